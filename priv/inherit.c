/* inherit.c - what a process of ours takes over from its caller: signal state reset, stdio checked, limits set.
 *
 * MUST rules kept here:
 * - nothing the caller hands over through sudo is trusted: sudo passes fds 0-2, ignored
 *   signals, the signal mask and most resource limits on to the runner;
 * - a directory, a block device, a link or an O_PATH fd among fds 0-2 is refused: with no
 *   terminal, systemd-run --pipe would hand it into the unit, where it opens the host's
 *   filesystem past every namespace of the sandbox;
 * - a limit the caller lowered is lifted, or the launch refused: a file-size limit would
 *   fail (or, with SIGXFSZ, kill) root's copy halfway; lifting a hard limit needs
 *   CAP_SYS_RESOURCE;
 * - SIGCHLD ignored would have the kernel reap our children unseen (sigwaitinfo never
 *   returns, a pid could be reused before we signal it): every disposition is reset.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "inherit.h"

void inherit_reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;
	int sig;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	/* SIGKILL, SIGSTOP and the C library's own signals refuse: nothing to reset there */
	for (sig = 1; sig < _NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void inherit_close_from(int first)
{
	int fd;

	if (syscall(SYS_close_range, (unsigned)first, ~0U, 0U) == 0)
		return;
	for (fd = first; fd < 65536; fd++)
		close(fd);
}

static const char *const std_name[] = { "standard input", "standard output", "standard error" };

/* Why fd is no good as one of the unit's standard streams, or NULL. */
static const char *bad_stream(int fd)
{
	struct stat st;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fstat(fd, &st) < 0)
		return strerror(errno);
	if (fl & O_PATH)
		return "an O_PATH file descriptor";
	if (S_ISDIR(st.st_mode))
		return "a directory";
	if (S_ISBLK(st.st_mode))
		return "a block device";
	if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode) && !S_ISSOCK(st.st_mode) &&
	    !S_ISREG(st.st_mode))
		return "not a terminal, pipe, socket, regular file or character device";
	return NULL;
}

int inherit_check_stdio(char *why, size_t n)
{
	const char *bad;
	int fd, nul;

	for (fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			nul = open("/dev/null", O_RDWR);
			if (nul != fd) {
				snprintf(why, n, "%s (fd %d) is closed and /dev/null cannot take its "
					 "place", std_name[fd], fd);
				if (nul >= 0)
					close(nul);
				return fd;
			}
			continue;
		}
		bad = bad_stream(fd);
		if (bad) {
			snprintf(why, n, "%s (fd %d) is %s; it would reach the agent's unit: give it a "
				 "terminal, a pipe, a socket or a regular file", std_name[fd], fd, bad);
			return fd;
		}
	}
	return -1;
}

int inherit_reset_limits(const char **which)
{
	static const struct { int res; const char *name; } unlimited[] = {
		{ RLIMIT_FSIZE, "file size (ulimit -f)" }, { RLIMIT_AS, "address space (ulimit -v)" },
		{ RLIMIT_DATA, "data size (ulimit -d)" },
	};
	struct rlimit none = { 0, 0 }, all = { RLIM_INFINITY, RLIM_INFINITY }, fds;
	size_t i;

	umask(022);
	*which = "core size (ulimit -c)";
	if (setrlimit(RLIMIT_CORE, &none) < 0)
		return -1;
	for (i = 0; i < sizeof unlimited / sizeof *unlimited; i++) {
		*which = unlimited[i].name;
		if (setrlimit(unlimited[i].res, &all) < 0)
			return -1;
	}
	*which = "open files (ulimit -n)";
	if (getrlimit(RLIMIT_NOFILE, &fds) < 0)
		return -1;
	if (fds.rlim_cur < 1024) {
		fds.rlim_cur = 1024;
		if (fds.rlim_max < 1024)
			fds.rlim_max = 1024;
		return setrlimit(RLIMIT_NOFILE, &fds);
	}
	return 0;
}
