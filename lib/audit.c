/* audit.c - one syslog line (LOG_AUTHPRIV) for every launch, denial and failure.
 *
 * MUST rules kept here:
 * - a value the caller controls (user name, cwd, reason text) can never forge a second
 *   line or field: quotes and backslashes are escaped, control characters written as \xNN.
 * - nothing is cut silently: a value that does not fit its buffer ends in "...", a line
 *   longer than AUDIT_LINE in " [cut]" (audit() sends its own datagram to /dev/log, in
 *   syslog's format, because musl's syslog() cuts at 1,024 bytes).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"

/* audit() writes its own datagram: musl's syslog() cuts every line at 1,024 bytes, and a
 * launch line with long roots or a cwd near PATH_MAX is longer. */
static int log_fd = -1;
static char log_ident[32];

static void log_connect(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };

	if (log_fd < 0)
		log_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (log_fd >= 0 && connect(log_fd, (struct sockaddr *)&a, sizeof a) < 0 &&
	    errno != EISCONN) {
		close(log_fd);
		log_fd = -1;
	}
}

void audit_open(const char *ident)
{
	/* syslog() stays for the proxy's per-connection lines, which are short */
	openlog(ident, LOG_PID | LOG_NDELAY, LOG_AUTHPRIV);
	snprintf(log_ident, sizeof log_ident, "%s", ident);
	log_connect();
}

const char *audit_quote(const char *s, char *out, unsigned n)
{
	unsigned j = 0, need = 0, c;
	int quote = !*s || strpbrk(s, " \"\\=") != NULL, cut;
	const unsigned char *p;

	if (!n)
		return out;
	for (p = (const unsigned char *)s; *p; p++) {
		c = *p < 0x20 || *p == 0x7f ? 4u : *p == '"' || *p == '\\' ? 2u : 1u;
		quote |= c == 4;
		need += c;
	}
	/* a value that does not fit is quoted and ends in "...": never cut silently */
	cut = need + 2u * (unsigned)quote + 1 > n;
	quote |= cut;
	if (cut && n < 6) {
		/* no room even for "...": nothing, which no whole value quotes to */
		out[0] = '\0';
		return out;
	}
	if (quote)
		out[j++] = '"';
	for (p = (const unsigned char *)s; *p; p++) {
		c = *p < 0x20 || *p == 0x7f ? 4u : *p == '"' || *p == '\\' ? 2u : 1u;
		if (j + c + 3u * (unsigned)cut + (unsigned)quote + 1 > n)
			break;
		if (c == 4)
			j += (unsigned)snprintf(out + j, n - j, "\\x%02x", *p);
		else if (c == 2)
			out[j++] = '\\', out[j++] = (char)*p;
		else
			out[j++] = (char)*p;
	}
	if (cut)
		memcpy(out + j, "...", 3), j += 3;
	if (quote)
		out[j++] = '"';
	out[j] = '\0';
	return out;
}

void audit(const char *event, const char *user, const char *cwd, const char *fmt, ...)
{
	static const char cut[] = " [cut]";
	char u[AUDIT_QUOTED(64)], c[AUDIT_QUOTED(PATH_MAX)], line[AUDIT_LINE], stamp[16];
	struct tm tm;
	time_t now = time(NULL);
	va_list ap;
	int n, m;

	if (!localtime_r(&now, &tm) || !strftime(stamp, sizeof stamp, "%b %e %T", &tm))
		stamp[0] = '\0';
	n = snprintf(line, sizeof line, "<%d>%s %s[%d]: %s user=%s cwd=%s ",
		     LOG_NOTICE | LOG_AUTHPRIV, stamp, log_ident, (int)getpid(), event,
		     audit_quote(user ? user : "?", u, sizeof u),
		     audit_quote(cwd ? cwd : "?", c, sizeof c));
	if (n < 0 || (size_t)n >= sizeof line)
		return;
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	/* a line too long for the buffer says so at its end, where no quoted value can */
	if ((size_t)m >= sizeof line - (size_t)n)
		memcpy(line + sizeof line - sizeof cut, cut, sizeof cut);
	n = (int)strlen(line);
	if (log_fd < 0)
		log_connect();
	if (log_fd >= 0 && send(log_fd, line, (size_t)n, MSG_NOSIGNAL) < 0 &&
	    (errno == ECONNREFUSED || errno == ENOTCONN)) {
		/* the log daemon restarted: one new connection, then the line is dropped */
		close(log_fd);
		log_fd = -1;
		log_connect();
		if (log_fd >= 0)
			send(log_fd, line, (size_t)n, MSG_NOSIGNAL);
	}
}
