/* execrec.c - runs a command under ptrace and writes one line per exec anywhere in its process tree, with the credentials the program got: the recorder of argvprop.py.
 *
 * execrec OUT CMD [ARGS...]: each successful exec is "<pid> <ruid> <euid> <capeff> <exe>\t<argv>"
 * (argv NUL-joined by spaces, cut at 200 bytes). It stops the tree only at forks and execs (not
 * at every system call, as strace does), so thousands of sudo runs cost little more than
 * without it. A program made set-uid by exec is traced with its privileges (the tracer is
 * root), as under strace. Exits with the command's status.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

/* "<ruid> <euid> <capeff>" from /proc/PID/status. */
static void creds(pid_t pid, char *out, size_t n)
{
	char path[64], line[256];
	unsigned long r = 0, e = 0;
	unsigned long long cap = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof line, f)) {
		sscanf(line, "Uid: %lu %lu", &r, &e);
		sscanf(line, "CapEff: %llx", &cap);
	}
	if (f)
		fclose(f);
	snprintf(out, n, "%lu %lu %llx", r, e, cap);
}

static void record(FILE *out, pid_t pid)
{
	char path[64], exe[4096], args[201], c[96];
	ssize_t len;
	int fd;

	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	len = readlink(path, exe, sizeof exe - 1);
	exe[len < 0 ? 0 : len] = '\0';
	snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	len = fd < 0 ? 0 : read(fd, args, sizeof args - 1);
	if (fd >= 0)
		close(fd);
	for (ssize_t i = 0; i < len; i++)
		if (args[i] == '\0' || args[i] == '\n' || args[i] == '\t')
			args[i] = ' ';
	args[len < 0 ? 0 : len] = '\0';
	creds(pid, c, sizeof c);
	fprintf(out, "%d %s %s\t%s\n", (int)pid, c, exe, args);
	fflush(out);
}

int main(int argc, char **argv)
{
	FILE *out;
	pid_t child, pid;
	int st, rc = 1;

	if (argc < 3) {
		fputs("usage: execrec OUT CMD [ARGS...]\n", stderr);
		return 2;
	}
	out = fopen(argv[1], "w");
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	child = fork();
	if (child == 0) {
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	if (child < 0 || waitpid(child, &st, 0) != child) {
		perror("execrec");
		return 1;
	}
	ptrace(PTRACE_SETOPTIONS, child, NULL, (void *)(long)(PTRACE_O_TRACEEXEC |
		PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL));
	ptrace(PTRACE_CONT, child, NULL, NULL);
	for (;;) {
		int sig = 0, event;

		pid = waitpid(-1, &st, __WALL);
		if (pid < 0 && errno == EINTR)
			continue;
		if (pid < 0)
			break;
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (pid == child)
				rc = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
			continue;
		}
		if (!WIFSTOPPED(st))
			continue;
		event = st >> 16;
		if (event == PTRACE_EVENT_EXEC)
			record(out, pid);
		/* fork, clone and exec events and a new tracee's first stop pass no signal on;
		 * any other signal is the program's own */
		if (!event && WSTOPSIG(st) != SIGSTOP)
			sig = WSTOPSIG(st);
		ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
	}
	fclose(out);
	return rc;
}
