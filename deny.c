/* deny.c - the seed's words for who may not launch where: denials, roots set aside, users missing from hostUsers. */
#include <dirent.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <stddef.h>

#include "deny.h"
#include "plan.h"
#include "say.h"

void deny_denial(const struct policy *p, enum policy_result r, const char *user,
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

void deny_refused(const struct policy *p)
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

void deny_not_allowed(const char *user, const char *command, const char *config)
{
	pi_plain("User '%s' is not allowed to use %s", user, command);
	pi_say("ask an admin to add %s to hostUsers in %s", user, config);
}

void deny_others_unresolved(int err)
{
	pi_say("cannot resolve the project roots of the other host users: %s", strerror(err));
}

void deny_shared_group(const char *prefix, const struct config *c, size_t i, size_t j,
			 gid_t gid)
{
	const char *a = config_agent_user(c, &c->hosts[i]), *b = config_agent_user(c, &c->hosts[j]);
	const struct group *gr = getgrgid(gid);

	pi_say("%sagent accounts '%s' (of %s) and '%s' (of %s) share the primary group '%s': "
	       "each agent could read the files the other creates; give each agent account a "
	       "group of its own (groupadd %s && usermod -g %s %s)", prefix, a, c->hosts[i].name,
	       b, c->hosts[j].name, gr ? gr->gr_name : "?", b, b, b);
}

void deny_no_agent(const struct config *c, const char *tried)
{
	char dir[PATH_MAX], parent[PATH_MAX], found[PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof dir, "%s/bin", c->package);
	pi_plain("Pi binary not found or not executable: %s", tried);
	pi_plain("Available executables in %s:", dir);
	d = opendir(dir);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			pi_plain("%s", de->d_name);
	if (d)
		closedir(d);
	if (plan_package_parent(c, parent, sizeof parent, found, sizeof found) == 0)
		pi_say("package %s is itself the bin directory holding the agent (%s): ask an admin "
		       "to set \"package\": \"%s\" in %s", c->package, found, parent, c->path);
}
