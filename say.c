/* say.c - the one way the personalities print: prefixed messages, config errors, the seed's denials. */
#include <errno.h>
#include <grp.h>
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

void pi_say_refused(const struct policy *p)
{
	const struct policy_refused *r;
	size_t i;

	for (i = 0; i < p->nrefused; i++) {
		r = &p->refused[i];
		if (r->why == POLICY_REFUSED_SLASH)
			pi_say("warning: project root %s is '/' and is skipped", r->root);
		else if (r->why == POLICY_REFUSED_STATE)
			pi_say("warning: project root %s holds or lies in %s, the launcher's own "
			       "state, and is skipped", r->root, r->what);
		else if (r->why == POLICY_REFUSED_KERNEL)
			pi_say("warning: project root %s is on %s, not a place for projects (bound "
			       "read-write into the unit it would replace the unit's own), and is "
			       "skipped", r->root, r->what);
		else
			pi_say("warning: project root %s is reached through the link %s, inside %s, "
			       "where the agent can write: the agent could have made it; the root is "
			       "skipped (configure the path the link leads to, or remove the link)",
			       r->root, r->link, r->what);
	}
}
