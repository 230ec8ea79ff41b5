/* say.c - the one way the personalities print: prefixed messages, config errors, the seed's denials. */
#include <errno.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pi.h"

const char *pi_prog = "pi";

void pi_say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", pi_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void pi_plain(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The user sudo names (SUDO_UID, not root), into name; 0 when not through sudo, -1 when
 * SUDO_UID names nobody. */
int pi_sudo_caller(char *name, size_t n)
{
	const char *s = getenv("SUDO_UID");
	struct passwd *pw;
	unsigned long uid;
	char *end;

	if (!s || geteuid() != 0)
		return 0;
	errno = 0;
	uid = strtoul(s, &end, 10);
	if (errno || end == s || *end || uid != (uid_t)uid) {
		pi_say("SUDO_UID '%s' is not a uid", s);
		return -1;
	}
	if (uid == 0)
		return 0;
	pw = getpwuid((uid_t)uid);
	if (!pw) {
		pi_say("the invoking uid %lu has no passwd entry", uid);
		return -1;
	}
	if (strlen(pw->pw_name) >= n) {
		pi_say("the invoking user's name is too long");
		return -1;
	}
	strcpy(name, pw->pw_name);
	return 1;
}

const char *pi_config_path(void)
{
	const char *env = getenv("PI_AGENT_CONFIG");

	if (geteuid() == 0 && getenv("SUDO_UID"))
		return PI_CONFIG_PATH;
	return env && *env ? env : PI_CONFIG_PATH;
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

void pi_say_denial(const struct policy *p, enum policy_result r, const char *user,
		   const char *config)
{
	size_t i;

	if (r == POLICY_NO_ROOTS) {
		pi_plain("Denied: no valid existing project roots are configured for user '%s'.", user);
		if (p->nmissing)
			pi_plain("Configured but missing roots:");
		for (i = 0; i < p->nmissing; i++)
			pi_plain(" - %s", p->missing[i]);
		pi_say("create one of them, or ask an admin to change hostUsers.%s.projectRoots in %s",
		       user, config);
	} else if (r == POLICY_OUTSIDE) {
		pi_plain("Denied: '%s' is outside allowed project roots for user '%s'.", p->cwd, user);
		pi_plain("Allowed roots:");
		for (i = 0; i < p->nroots; i++)
			pi_plain(" - %s", p->roots[i]);
		pi_say("cd into one of them, or ask an admin to add the directory to "
		       "hostUsers.%s.projectRoots in %s", user, config);
	}
}

void pi_say_not_allowed(const char *user, const char *command, const char *config)
{
	pi_plain("User '%s' is not allowed to use %s", user, command);
	pi_say("ask an admin to add %s to hostUsers in %s", user, config);
}

int pi_version(void)
{
	printf("%s (pi-agent launcher) %s\n", pi_prog, PI_VERSION);
	return 0;
}

void pi_say_refused(const struct policy *p)
{
	size_t i;

	for (i = 0; i < p->nrefused; i++)
		if (!strcmp(p->refused_why[i], "/"))
			pi_say("warning: project root %s is '/' and is skipped", p->refused[i]);
		else
			pi_say("warning: project root %s holds or lies in %s, the launcher's own "
			       "state, and is skipped", p->refused[i], p->refused_why[i]);
}
