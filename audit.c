/* audit.c - one syslog line (LOG_AUTHPRIV) for every launch, denial and failure.
 *
 * MUST rules kept here:
 * - a value the caller controls (user name, cwd, reason text) can never forge a second
 *   line or field: quotes and backslashes are escaped, control characters written as \xNN.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "audit.h"

void audit_open(const char *ident)
{
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
}

const char *audit_quote(const char *s, char *out, unsigned n)
{
	unsigned j = 0;
	int quote = !*s || strpbrk(s, " \"\\=") != NULL;
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			quote = 1;
	if (quote && j + 1 < n)
		out[j++] = '"';
	for (p = (const unsigned char *)s; *p && j + 5 < n; p++) {
		if (*p < 0x20 || *p == 0x7f)
			j += (unsigned)snprintf(out + j, n - j, "\\x%02x", *p);
		else if (*p == '"' || *p == '\\')
			j += (unsigned)snprintf(out + j, n - j, "\\%c", *p);
		else
			out[j++] = (char)*p;
	}
	if (quote && j + 1 < n)
		out[j++] = '"';
	out[j] = '\0';
	return out;
}

void audit(const char *event, const char *user, const char *cwd, const char *fmt, ...)
{
	char u[128], c[8192], detail[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof detail, fmt, ap);
	va_end(ap);
	syslog(LOG_NOTICE | LOG_AUTHPRIV, "%s user=%s cwd=%s %s", event,
	       audit_quote(user ? user : "?", u, sizeof u),
	       audit_quote(cwd ? cwd : "?", c, sizeof c), detail);
}
