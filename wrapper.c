/* wrapper.c - pi: run by the host user; checks the policy, then hands over to the runner via sudo. */
#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "pi.h"
#include "policy.h"

extern char **environ;

int wrapper_main(int argc, char **argv)
{
	struct config c;
	struct config_err e;
	struct policy p;
	const struct host_user *h;
	struct passwd *pw;
	const char *home;
	char cwd[PATH_MAX], **args;
	enum policy_result r;
	int i;

	if (geteuid() != getuid() || getegid() != getgid()) {
		pi_say("must not be installed setuid or setgid; the runner is reached through sudo");
		return EXIT_DENIED;
	}
	pw = getpwuid(getuid());
	if (!pw) {
		pi_say("uid %u has no passwd entry", (unsigned)getuid());
		return EXIT_DENIED;
	}
	if (config_load(&c, pi_config_path(), CONFIG_TRUST_ANY, &e) < 0) {
		pi_say_config_error(pi_config_path(), &e);
		return EXIT_DENIED;
	}
	h = config_host(&c, pw->pw_name);
	if (!h) {
		pi_plain("User '%s' is not allowed to use %s", pw->pw_name, c.command_name);
		return EXIT_DENIED;
	}
	home = pw->pw_dir && *pw->pw_dir ? pw->pw_dir : getenv("HOME");
	if (!home || !getcwd(cwd, sizeof cwd)) {
		pi_say(home ? "cannot determine the working directory: %s" :
		       "cannot determine the home directory of '%s'", home ? strerror(errno) : pw->pw_name);
		return EXIT_DENIED;
	}
	r = policy_check(&p, &h->roots, home, cwd);
	if (r == POLICY_ERROR) {
		pi_say("cannot resolve the project roots: %s", strerror(errno));
		return EXIT_DENIED;
	}
	if (r != POLICY_OK) {
		pi_say_denial(&p, r, pw->pw_name);
		return EXIT_DENIED;
	}
	args = calloc((size_t)argc + 5, sizeof *args);
	if (!args)
		return EXIT_DENIED;
	args[0] = c.sudo_path;
	args[1] = "--non-interactive";
	args[2] = c.runner_path;
	args[3] = pw->pw_name;
	args[4] = p.cwd;
	for (i = 1; i < argc; i++)
		args[4 + i] = argv[i];
	execve(c.sudo_path, args, environ);
	pi_say("cannot run %s: %s", c.sudo_path, strerror(errno));
	return EXIT_DENIED;
}
