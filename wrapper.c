/* wrapper.c - pi: run by the host user; checks the policy, then hands over to the runner via sudo. */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "caller.h"
#include "config.h"
#include "inherit.h"
#include "mounts.h"
#include "pi.h"
#include "policy.h"
#include "runner.h"
#include "sandbox.h"

extern char **environ;

/* `pi --help` and `pi --version` belong to the agent: the launcher adds a note on stderr,
 * once the policy lets the launch go ahead. */
static void launcher_note(int argc, char **argv, const char *agent_user)
{
	if (argc != 2)
		return;
	if (!strcmp(argv[1], "--version"))
		pi_say("pi-agent launcher %s; the agent's version follows", PI_VERSION);
	else if (!strcmp(argv[1], "--help"))
		pi_say("the pi-agent launcher %s runs the agent as '%s' in a sandbox, in your project "
		       "roots; PI_AGENT_EXPLAIN=1 pi shows what a launch would do, man pi tells more. "
		       "The agent's help follows.", PI_VERSION, agent_user);
}

/* PI_AGENT_EXPLAIN=1: ask the runner what it would do, instead of launching. */
static int explaining(void)
{
	const char *e = getenv("PI_AGENT_EXPLAIN");

	return e && *e && strcmp(e, "0") != 0;
}

static int run_runner(const struct config *c, const char *user, const char *cwd, int argc,
		      char **argv)
{
	const struct caller_tool *tool = caller_tool(c->sudo_path);
	char **args, **e;
	int i, n = 0, vars = 0;

	if (!tool) {
		pi_say("%s: sudoPath %s is not a tool the runner can learn its caller from (%s); ask "
		       "an admin to fix it (pi-runner --check tells more)", c->path, c->sudo_path,
		       caller_tools);
		return EXIT_DENIED;
	}
	args = calloc((size_t)argc + 6 + 2 * RUN_TERM_VARS, sizeof *args);
	if (!args)
		return EXIT_DENIED;
	args[n++] = c->sudo_path;
	args[n++] = (char *)tool->noninteractive;
	args[n++] = c->runner_path;
	if (explaining())
		args[n++] = "--explain";
	/* the terminal and locale: sudo's env_reset would drop them */
	for (e = environ; *e && vars < RUN_TERM_VARS; e++)
		if (sandbox_term_var(*e)) {
			args[n++] = "--env";
			args[n++] = *e;
			vars++;
		}
	args[n++] = (char *)user;
	args[n++] = (char *)cwd;
	for (i = 1; i < argc; i++)
		args[n++] = argv[i];
	execve(c->sudo_path, args, environ);
	pi_say("cannot run %s: %s", c->sudo_path, strerror(errno));
	return EXIT_DENIED;
}

int wrapper_main(int argc, char **argv)
{
	struct config c;
	struct config_err e;
	struct policy p;
	const struct host_user *h;
	struct passwd *pw;
	const char *home;
	char cwd[PATH_MAX];
	enum policy_result r;
	char why[256];

	audit_open(pi_prog);
	if (inherit_check_stdio(why, sizeof why) >= 0) {
		pi_say("refused: %s", why);
		return EXIT_DENIED;
	}
	pw = getpwuid(getuid());
	if (!pw) {
		pi_say("uid %u has no passwd entry", (unsigned)getuid());
		return EXIT_DENIED;
	}
	if (config_load(&c, caller_config_path(), CONFIG_TRUST_ANY, &e) < 0) {
		pi_say_config_error(caller_config_path(), &e);
		return EXIT_DENIED;
	}
	h = config_host(&c, pw->pw_name);
	if (!h) {
		pi_say_not_allowed(pw->pw_name, c.command_name, c.path);
		audit("deny", pw->pw_name, NULL, "reason=not-in-hostUsers");
		return EXIT_DENIED;
	}
	home = pw->pw_dir && *pw->pw_dir ? pw->pw_dir : getenv("HOME");
	if (!home) {
		pi_say("cannot determine the home directory of '%s'", pw->pw_name);
		return EXIT_DENIED;
	}
	if (!getcwd(cwd, sizeof cwd)) {
		pi_say("cannot determine the working directory: %s", strerror(errno));
		return EXIT_DENIED;
	}
	r = policy_check(&p, &h->roots, home, cwd);
	if (r != POLICY_ERROR) {
		const char *const forbidden[] = { c.state_dir, PI_RUNTIME_DIR, PI_BINDS_DIR, NULL };

		r = policy_refuse(&p, &h->roots, home, c.state_dir, forbidden);
		pi_say_refused(&p);
	}
	if (r == POLICY_ERROR) {
		pi_say("cannot resolve the project roots of '%s': %s", pw->pw_name, strerror(errno));
		return EXIT_DENIED;
	}
	if (r != POLICY_OK) {
		pi_say_denial(&p, r, pw->pw_name, c.path);
		audit("deny", pw->pw_name, p.cwd, "reason=%s",
		      r == POLICY_OUTSIDE ? "outside-roots" : "no-existing-roots");
		return EXIT_DENIED;
	}
	launcher_note(argc, argv, config_agent_user(&c, h));
	return run_runner(&c, pw->pw_name, p.cwd, argc, argv);
}
