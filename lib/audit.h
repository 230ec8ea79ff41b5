/* audit.h - one syslog line (LOG_AUTHPRIV) for every launch, denial and failure. */
#ifndef AUDIT_H
#define AUDIT_H

/* Opens the log under ident (the program name). */
void audit_open(const char *ident);
/* "<event> user=<user> cwd=<cwd> <detail>": event is launch, deny, fail or end. Values are
 * quoted when they hold spaces or quotes, and control characters are escaped. */
void audit(const char *event, const char *user, const char *cwd, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Quotes s for a log value into out (always NUL-terminated). */
const char *audit_quote(const char *s, char *out, unsigned n);
/* The room audit_quote needs for a value of n bytes: each may become \xNN, and the quotes. */
#define AUDIT_QUOTED(n) (4 * (n) + 3)
/* The longest line audit() sends; a longer one ends in " [cut]". */
#define AUDIT_LINE 65536
#endif
