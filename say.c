/* say.c - the one way the personalities print: prefixed messages, config errors, the command that makes an account. */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "say.h"

#ifndef PI_VERSION
#define PI_VERSION "0.0.0"
#endif

const char *pi_prog = "pi";

/* The warnings of this run, kept to be said again when the agent's screen is gone. Both of
 * the sync's threads warn: each warning takes its slot by an atomic count (two taking the
 * last one at once wrote past the array). */
enum { SAID_MAX = 8, SAID_LEN = 1024 };
static char said[SAID_MAX][SAID_LEN];
static int nsaid;

void pi_say(const char *fmt, ...)
{
	char line[SAID_LEN];
	va_list ap, again;
	int slot;

	/* said whole: a message cut short can end in another command than the one it gave */
	va_start(ap, fmt);
	va_copy(again, ap);
	flockfile(stderr);      /* one line, whichever thread says it */
	fprintf(stderr, "%s: ", pi_prog);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	vsnprintf(line, sizeof line, fmt, again);
	va_end(again);
	va_end(ap);
	if (strncmp(line, "warning: ", 9) != 0)
		return;
	slot = __atomic_fetch_add(&nsaid, 1, __ATOMIC_RELAXED);
	if (slot < SAID_MAX)
		memcpy(said[slot], line, sizeof line);
}

void pi_say_again(void)
{
	int i, n = __atomic_load_n(&nsaid, __ATOMIC_RELAXED);

	if (!n)
		return;
	fprintf(stderr, "%s: before the agent started, this launch said:\n", pi_prog);
	for (i = 0; i < n && i < SAID_MAX; i++)
		fprintf(stderr, "%s:   %s\n", pi_prog, said[i]);
	if (n > SAID_MAX)
		fprintf(stderr, "%s:   and %d more warnings\n", pi_prog, n - SAID_MAX);
}

void pi_plain(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void pi_say_config_error(const char *path, const struct config_err *e)
{
	if (e->line && e->key[0])
		pi_say("%s: line %d col %d: %s: %s", path, e->line, e->col, e->key, e->msg);
	else if (e->line)
		pi_say("%s: line %d col %d: %s", path, e->line, e->col, e->msg);
	else if (e->key[0])
		pi_say("%s: %s: %s", path, e->key, e->msg);
	else
		pi_say("%s: %s", path, e->msg);
}

const char *pi_create_account(char *buf, size_t n, enum pi_account kind, const char *name,
			      const char *group)
{
	int has_group = kind == PI_ACCOUNT_AGENT && getgrnam(group);

	if (kind == PI_ACCOUNT_GROUP)
		snprintf(buf, n, "groupadd --system %s", name);
	else if (kind == PI_ACCOUNT_PROXY)
		snprintf(buf, n, "useradd --system --no-create-home --shell /usr/sbin/nologin %s", name);
	else
		snprintf(buf, n, "%s%s%suseradd --system -g %s -d /nonexistent -s /usr/sbin/nologin %s",
			 has_group ? "" : "groupadd --system ", has_group ? "" : group,
			 has_group ? "" : " && ", group, name);
	return buf;
}

int pi_root_lost(void)
{
	pi_say("cannot return to root's own identity after acting as a user (%s): stopping before "
	       "touching another file", strerror(errno));
	return -1;
}

int pi_version(void)
{
	printf("%s (pi-agent launcher) %s\n", pi_prog, PI_VERSION);
	return 0;
}
