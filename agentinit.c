/* agentinit.c - the agent unit's main process (pi-agent-init, never root): runs the agent, exits with its status or 128+N.
 *
 * MUST rules kept here:
 * - it runs as the agent inside the unit (pi.c refuses it any uid or gid 0 and any
 *   capability) and adds nothing to what the unit allows: it execs the agent path and
 *   arguments it was given, with the environment the unit gave it;
 * - the agent starts with default signal dispositions and an empty signal mask;
 * - the exit status is the agent's own, or 128+N when signal N ended it (as main process the
 *   agent would have systemd count INT, TERM, HUP and PIPE as a clean exit, others as 255);
 * - on a terminal the agent is the foreground process group under us: the unit's session
 *   leader's own group is orphaned, and the kernel drops SIGTSTP sent to it (Ctrl-Z);
 * - a stop of the agent is announced by creating and removing AGENTINIT_MARK in the directory
 *   the runner watches (--suspend=DIR), else undone at once with SIGCONT: never left stopped;
 *   the runner believes the mark only from this process (suspend.c), which is not dumpable,
 *   so the agent, its child of the same account, can neither trace it nor write its memory;
 * - the agent starts only when each path the runner covered (--cover=DEV:INO:PATH, the
 *   merged settings; --hidden=PATH, an empty read-only tmpfs) is that cover as the agent will
 *   open it (cover.c cover_is), in the unit's own mount namespace: one gone or moved since the
 *   runner looked (coverwatch.c) refuses the start.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentinit.h"
#include "cover.h"
#include "say.h"

/* The child: its own foreground process group on a terminal, then the agent. */
static void run_agent(char **argv, int tty, const sigset_t *old)
{
	if (tty && (setpgid(0, 0) < 0 || tcsetpgrp(0, getpid()) < 0))
		pi_say("cannot give the agent the terminal: %s", strerror(errno));
	sigprocmask(SIG_SETMASK, old, NULL);
	execv(argv[0], argv);
	pi_say("cannot run %s: %s", argv[0], strerror(errno));
	_exit(EXIT_NO_AGENT);
}

/* DIR/AGENTINIT_MARK created and removed: the runner's watch on DIR sees it. */
static int announce(const char *dir)
{
	char path[4200];
	int fd;

	if (snprintf(path, sizeof path, "%s/%s", dir, AGENTINIT_MARK) >= (int)sizeof path)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && unlink(path) == 0)
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	close(fd);
	return unlink(path);
}

/* The agent stopped: the runner suspends the job and resumes the unit on fg; without it (or
 * its mark) the stop is undone now. A SIGSTOP is someone's deliberate act: left alone. */
static void stopped(pid_t pid, int sig, const char *suspend, int tty)
{
	if (sig == SIGSTOP)
		return;
	if (suspend && tty && announce(suspend) == 0)
		return;
	kill(tty ? -pid : pid, SIGCONT);
}

/* Whether check (--cover=DEV:INO:/PATH or --hidden=/PATH) is well formed; its path in *path
 * and, for --cover, the file it names in want. */
static int parse_check(const char *check, const char **path, struct stat *want, int *file)
{
	unsigned long long dev, ino;
	int off = 0;

	*file = !strncmp(check, "--cover=", 8);
	if (!*file) {
		*path = check + 9;
		return !strncmp(check, "--hidden=/", 10);
	}
	if (sscanf(check, "--cover=%llu:%llu:%n", &dev, &ino, &off) != 2 || !off || check[off] != '/')
		return 0;
	memset(want, 0, sizeof *want);
	want->st_dev = (dev_t)dev;
	want->st_ino = (ino_t)ino;
	*path = check + off;
	return 1;
}

/* The first of checks whose path is not its cover as the agent opens it, or NULL. */
static const char *uncovered(char **checks, int n)
{
	const char *path;
	struct stat want;
	int i, fd, file, ok;

	for (i = 0; i < n; i++) {
		parse_check(checks[i], &path, &want, &file);
		fd = open(path, O_PATH | O_CLOEXEC);
		/* a path the agent cannot reach (EACCES) it cannot read either */
		ok = fd < 0 ? errno == EACCES : cover_is(fd, file ? &want : NULL) == 0;
		if (fd >= 0)
			close(fd);
		if (!ok)
			return path;
	}
	return NULL;
}

int agentinit_main(int argc, char **argv)
{
	sigset_t set, old;
	pid_t pid;
	const char *suspend = argc > 1 && !strncmp(argv[1], "--suspend=/", 11) ? argv[1] + 10 : NULL;
	const char *path, *gone;
	struct stat want;
	char **checks;
	int st, tty, nchecks = 0, file;

	argv += suspend ? 2 : 1;
	argc -= suspend ? 2 : 1;
	for (checks = argv; nchecks < argc && parse_check(argv[nchecks], &path, &want, &file); )
		nchecks++;
	argv += nchecks;
	if (nchecks == argc || argv[0][0] != '/') {
		pi_say("usage: %s [--suspend=DIR] [--cover=DEV:INO:/PATH | --hidden=/PATH]... "
		       "/path/of/agent [args...]", pi_prog);
		return EXIT_USAGE;
	}
	if ((gone = uncovered(checks, nchecks))) {
		pi_say("refused to start the agent: %s is not what the launcher shows there: it was "
		       "removed, moved or replaced during the launch", gone);
		return EXIT_DENIED;
	}
	tty = isatty(0) && tcgetpgrp(0) == getpgrp();
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* terminal signals are the agent's; ours are only waited for */
	sigfillset(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = fork();
	if (pid < 0) {
		pi_say("cannot start the agent: %s", strerror(errno));
		return EXIT_DENIED;
	}
	if (pid == 0)
		run_agent(argv, tty, &old);
	if (tty)
		setpgid(pid, pid);
	for (;;) {
		if (sigwaitinfo(&set, NULL) != SIGCHLD)
			continue;
		while (waitpid(pid, &st, WNOHANG | WUNTRACED) == pid) {
			if (WIFSTOPPED(st))
				stopped(pid, WSTOPSIG(st), suspend, tty);
			else if (WIFEXITED(st))
				return WEXITSTATUS(st);
			else if (WIFSIGNALED(st))
				return 128 + WTERMSIG(st);
		}
	}
}
