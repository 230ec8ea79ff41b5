/* wrapper.c - pi: run by the host user; checks the policy, then hands over to the runner via sudo. */
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "audit.h"
#include "caller.h"
#include "config.h"
#include "inherit.h"
#include "mounts.h"
#include "deny.h"
#include "pi.h"
#include "say.h"
#include "policy.h"
#include "plan.h"
#include "sandbox.h"
#include "sudorule.h"

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

/* Signals that end the session: one sent to pi alone is relayed to the tool (which relays it
 * to the runner); one sent to the whole job (the terminal's Ctrl-C, kill of the group)
 * reached the tool already. A sender whose group pi cannot see (0: it lies in a parent pid
 * namespace, as does pi's own when it was started through nsenter) counts as outside. */
static const int relayed[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2 };

/* sudo drops a signal sent from its own process group (the terminal's, it takes it, which
 * reached the command already), and pi is in that group: the relay is sent from a process
 * of a group of its own. */
static void relay(pid_t pid, int sig)
{
	pid_t r = fork();

	if (r == 0) {
		setpgid(0, 0);
		kill(pid, sig);
		_exit(0);
	}
	if (r > 0)
		while (waitpid(r, NULL, 0) < 0 && errno == EINTR)
			;
}

/* The signals that stop the job. pi stops only once the tool has: sudo, its child in the
 * job, notes whose the terminal is when its command stops, and gives it back to that group
 * when it resumes. Had pi stopped first, the shell would have taken the terminal already and
 * sudo, resumed by fg, would hand it back to the shell: the job stopped again at once. */
static const int stops[] = { SIGTSTP, SIGTTIN, SIGTTOU };

/* pi stops as the tool did (sig, its stop signal), and once resumed, resumes the tool. */
static void stop_as(pid_t pid, int sig)
{
	sigset_t one;

	if (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU)
		sig = SIGSTOP;
	sigemptyset(&one);
	sigaddset(&one, sig);
	raise(sig);             /* blocked until the unblock below, which stops pi */
	sigprocmask(SIG_UNBLOCK, &one, NULL);
	sigprocmask(SIG_BLOCK, &one, NULL);
	kill(pid, SIGCONT);
}

/* Runs the tool and waits for it, so that pi can say why the tool refused: its wait status,
 * or -1 (errno set) when it could not be started. */
static int run_tool(char **args)
{
	posix_spawnattr_t at;
	sigset_t set, old;
	siginfo_t si;
	pid_t pid = -1, g;
	int st = 0, sig, err;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof relayed / sizeof *relayed; i++)
		sigaddset(&set, relayed[i]);
	for (i = 0; i < sizeof stops / sizeof *stops; i++)
		sigaddset(&set, stops[i]);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	err = posix_spawnattr_init(&at);
	if (!err && !(err = posix_spawnattr_setsigmask(&at, &old)) &&
	    !(err = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK)))
		err = posix_spawn(&pid, args[0], NULL, &at, args, environ);
	posix_spawnattr_destroy(&at);
	while (!err) {
		sig = sigwaitinfo(&set, &si);
		if (sig < 0 || sig == SIGCHLD) {
			g = waitpid(pid, &st, WNOHANG | WUNTRACED);
			if (g == pid && WIFSTOPPED(st))
				stop_as(pid, WSTOPSIG(st));
			else if (g == pid)
				break;
		} else if (sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) {
			continue;       /* the job's: pi follows the tool's stop (above) */
		} else if (si.si_code == SI_USER || si.si_code == SI_QUEUE) {
			/* si_pid 0: a sender in a parent pid namespace (getpgid(0) would be our own) */
			g = si.si_pid > 0 ? getpgid(si.si_pid) : -1;
			if (g <= 0 || g != getpgrp())
				relay(pid, sig);
		}
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = err;
	return err ? -1 : st;
}

/* pi ends as the tool did: its exit code, or the signal that ended it; after sudo's (or
 * doas's) own refusal, with the rule that is missing and the file that takes it. */
static int end_as(const struct config *c, const char *user, char **args, int st)
{
	char what[PATH_MAX + 128], fix[2 * PATH_MAX + 256];
	enum sudorule r;

	if (st < 0) {
		pi_say("cannot run %s: %s", c->sudo_path, strerror(errno));
		return EXIT_DENIED;
	}
	if (WIFSIGNALED(st)) {
		signal(WTERMSIG(st), SIG_DFL);
		raise(WTERMSIG(st));
		return 128 + WTERMSIG(st);
	}
	if (WEXITSTATUS(st) == EXIT_DENIED && (r = sudorule_ask(c, NULL, args + 3)) != SUDORULE_OK &&
	    r != SUDORULE_UNKNOWN) {
		sudorule_describe(c, user, r, what, sizeof what, fix, sizeof fix);
		pi_say("%s: ask an admin to %s", what, fix);
	}
	return WEXITSTATUS(st);
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
	return end_as(c, user, args, run_tool(args));
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
		deny_not_allowed(pw->pw_name, c.command_name, c.path);
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
		const char *forbidden[POLICY_OWN_DIRS + 1];

		policy_own_dirs(c.state_dir, forbidden);
		r = policy_refuse(&p, &h->roots, home, c.state_dir, forbidden);
		deny_refused(&p);
	}
	if (r == POLICY_ERROR) {
		pi_say("cannot resolve the project roots of '%s': %s", pw->pw_name, strerror(errno));
		return EXIT_DENIED;
	}
	if (r != POLICY_OK) {
		deny_denial(&p, r, pw->pw_name, c.path);
		audit("deny", pw->pw_name, p.cwd, "reason=%s",
		      r == POLICY_OUTSIDE ? "outside-roots" : "no-existing-roots");
		return EXIT_DENIED;
	}
	launcher_note(argc, argv, config_agent_user(&c, h));
	return run_runner(&c, pw->pw_name, p.cwd, argc, argv);
}
