/* pi.c - every way into the binary: the name it was started under, looked up in one table with the privilege each needs, enforced here before the personality runs.
 *
 * MUST rules kept here:
 * - this table is the only list of entry points: a personality is reached by its name alone,
 *   never by a flag of another (the runner's command line is what sudo hands every allowed
 *   user, as root, with any arguments);
 * - no name runs set-id or, but as root, with capabilities (a mis-installed binary);
 * - the privilege column is checked before anything of the personality runs: `pi` never as
 *   root and never set-id; `pi-runner` as root only (real and effective), else only its
 *   forms that need nothing; `pi-merge` as anyone but root for someone else; the agent
 *   unit's main process and the proxy never with a uid or gid 0, a root group or any
 *   capability;
 * - signal dispositions and mask are reset first: nothing of the caller's is trusted;
 * - an unknown name is a usage error, unless it is the configured commandName or runnerName
 *   (the config is read as root only when it is root's alone).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agentinit.h"
#include "caller.h"
#include "config.h"
#include "ident.h"
#include "inherit.h"
#include "pi.h"
#include "say.h"
#include "proxy.h"

enum need {
	NEED_USER,      /* a host user: never root, never set-id */
	NEED_ROOT,      /* root (through sudo); without root only the forms listed as open */
	NEED_SELF,      /* anyone as themselves: not root through sudo or doas */
	NEED_NOT_ROOT,  /* no uid or gid 0, no root group, no capability in any set */
};

static const char *const runner_open[] = { "--help", "--version", "--check", NULL };

static const struct entry {
	const char *name;
	enum need need;
	const char *const *open;    /* NEED_ROOT: argv[1] values that need no root */
	int (*main)(int, char **);
} entries[] = {
	{ "pi", NEED_USER, NULL, wrapper_main },
	{ "pi-runner", NEED_ROOT, runner_open, runner_main },
	{ "pi-merge", NEED_SELF, NULL, mergecmd_main },
	{ AGENTINIT_NAME, NEED_NOT_ROOT, NULL, agentinit_main },
	{ PROXY_NAME, NEED_NOT_ROOT, NULL, proxy_main },
};

/* An unknown name may be the configured wrapper.commandName or wrapper.runnerName. */
static const struct entry *configured(const char *name)
{
	struct config c;
	struct config_err e;
	const struct entry *p = NULL;

	if (config_load(&c, caller_config_path(), geteuid() == 0 ? CONFIG_TRUST_ROOT : CONFIG_TRUST_ANY,
			&e) == 0) {
		if (!strcmp(name, c.command_name))
			p = &entries[0];
		else if (!strcmp(name, c.runner_name))
			p = &entries[1];
	}
	config_free(&c);
	return p;
}

static int listed(const char *const *v, const char *s)
{
	for (; v && *v; v++)
		if (s && !strcmp(*v, s))
			return 1;
	return 0;
}

/* The entry's privilege column against who we are: 0 to go on, else the exit status after
 * saying why. */
static int enforce(const struct entry *p, int argc, char **argv)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	char why[128];
	int r;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) {
		pi_say("cannot read the process's identity");
		return EXIT_DENIED;
	}
	switch (p->need) {
	case NEED_USER:
		if (!ru) {
			pi_say("must not run as root: run it as the host user who works in the project");
			return EXIT_DENIED;
		}
		return 0;
	case NEED_ROOT:
		if ((!ru && !eu) || listed(p->open, argc > 1 ? argv[1] : NULL))
			return 0;
		pi_plain("%s must run as root", pi_prog);
		return EXIT_DENIED;
	case NEED_SELF:
		if (eu || !caller_elevated())
			return 0;
		pi_say("refusing to run as root for someone else (through sudo, doas or su from their "
		       "login); run it as yourself");
		return EXIT_DENIED;
	case NEED_NOT_ROOT:
		r = ident_holds_root(why, sizeof why);
		if (r == 0)
			return 0;
		pi_say("refuses to run with root's powers (%s): it runs as an unprivileged account, "
		       "started by pi-runner", r < 0 ? "cannot read the process's identity" : why);
		return EXIT_DENIED;
	}
	return EXIT_DENIED;
}

/* No name runs set-id or with file capabilities: each would then act with powers its caller
 * does not have, and the table's column would judge the wrong identity. Root's own runner
 * (through sudo) has every id 0 and its capabilities from being root. */
static int plain_install(const char *name)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0) {
		fprintf(stderr, "%s: cannot read the process's identity\n", name);
		return -1;
	}
	if (ru != eu || eu != su || rg != eg || eg != sg) {
		fprintf(stderr, "%s: must not be installed setuid or setgid; the runner is reached "
			"through sudo\n", name);
		return -1;
	}
	if (ru != 0 && ident_has_caps() != 0) {
		fprintf(stderr, "%s: must not run with capabilities (file capabilities on the binary, "
			"or ambient ones): it runs as its caller, or as root through sudo\n", name);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct entry *p = NULL;
	const char *name;
	char why[256];
	size_t i;
	int rc;

	inherit_reset_signals();
	if (argc < 1 || !argv[0]) {
		fputs("usage: run as pi, pi-runner or pi-merge\n", stderr);
		return EXIT_USAGE;
	}
	name = strrchr(argv[0], '/');
	name = name ? name + 1 : argv[0];
	if (plain_install(name) < 0)
		return EXIT_DENIED;
	for (i = 0; i < sizeof entries / sizeof *entries && !p; i++)
		if (!strcmp(name, entries[i].name))
			p = &entries[i];
	/* an unknown name reads the config to know itself: as root, not on a bad fd 0-2 */
	if (!p && geteuid() == 0 && inherit_check_stdio(why, sizeof why) >= 0) {
		fprintf(stderr, "%s: refused: %s\n", name, why);
		return EXIT_DENIED;
	}
	if (!p)
		p = configured(name);
	if (!p) {
		fprintf(stderr, "%s: unknown name; run as pi, pi-runner or pi-merge\n", name);
		return EXIT_USAGE;
	}
	pi_prog = name;
	rc = enforce(p, argc, argv);
	return rc ? rc : p->main(argc, argv);
}
