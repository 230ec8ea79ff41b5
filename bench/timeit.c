/* timeit.c - the benchmarks' stopwatch: runs commands in turn; median wall time and peak RSS.
 *
 * usage: timeit [-n RUNS] [-w WARMUP] [-b PREP] [-m] [-e K:FILE] CMD [ARG...] [::: CMD [ARG...]]...
 * Each round runs every command once, in turn (so drift hits them alike); PREP, when given,
 * runs untimed before each timed command with the command's index (0, 1, ...) as argument.
 * With -e, command K (0-based) is timed from its spawn to the CLOCK_MONOTONIC nanoseconds
 * something it started wrote to FILE (bench/stamp.c), not to its exit; a stamp older than
 * the spawn fails the benchmark.
 * Commands get /dev/null as stdin and stdout; a command that fails stops the benchmark.
 * Prints one line per command: "median_ms min_ms max_ms peak_rss_kib argv0". The peak is the
 * largest ru_maxrss of the timed runs, which this kernel counts approximately (per-CPU
 * counters: a few hundred KiB low for small programs); with -m it is the exact VmHWM of
 * one more, untimed run (after PREP), read when the command exits (ptrace exit stop), summed
 * over the processes it forks.
 * Exit 0, 1 (a command failed), 2 (usage).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { MAX_CMDS = 8, MAX_RUNS = 1000 };

extern char **environ;

struct cmd {
	char **argv;
	double ms[MAX_RUNS];
	long rss;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The time in FILE (CLOCK_MONOTONIC nanoseconds) in ms, or -1. */
static double stamp_ms(const char *file)
{
	long long ns = -1;
	FILE *f = fopen(file, "r");

	if (f && fscanf(f, "%lld", &ns) != 1)
		ns = -1;
	if (f)
		fclose(f);
	return ns < 0 ? -1 : (double)ns / 1e6;
}

/* Runs argv to its end; returns its wall time in ms (rusage in *ru), or -1 if it failed.
 * With a stamp file, the time runs to the stamp instead of the exit. */
static double run(char **argv, struct rusage *ru, const char *stamp)
{
	posix_spawn_file_actions_t fa;
	double t0, t1;
	pid_t pid;
	int status, err;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	t0 = now_ms();
	err = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		fprintf(stderr, "timeit: cannot run %s: %s\n", argv[0], strerror(err));
		return -1;
	}
	while (wait4(pid, &status, 0, ru) < 0)
		if (errno != EINTR)
			return -1;
	t1 = now_ms();
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "timeit: %s failed (status %#x)\n", argv[0], status);
		return -1;
	}
	if (stamp && (t1 = stamp_ms(stamp)) < t0) {
		fprintf(stderr, "timeit: %s left no fresh time in %s\n", argv[0], stamp);
		return -1;
	}
	return t1 - t0;
}

/* VmHWM of pid from /proc, in KiB; 0 for a thread that is not its process's leader (the
 * leader counts for all its threads); -1 if unknown. */
static long vm_hwm(pid_t pid)
{
	char path[64], line[256];
	long kib = -1, tgid = pid;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Tgid: %ld", &tgid) == 1 || sscanf(line, "VmHWM: %ld kB", &kib) == 1)
			continue;
	fclose(f);
	return tgid == pid ? kib : 0;
}

/* Runs argv under ptrace, with every process it forks; returns the sum of their VmHWM at
 * exit in KiB (a bound of the whole's peak: rsync's three processes, the sync's two), or -1. */
static long peak_rss(char **argv)
{
	long kib = 0, one;
	int status, fd;
	pid_t pid = fork(), w;

	if (pid == 0) {
		fd = open("/dev/null", O_RDWR);
		dup2(fd, 0);
		dup2(fd, 1);
		ptrace(PTRACE_TRACEME, 0, NULL, NULL);
		raise(SIGSTOP);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL |
			PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE));
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	while ((w = waitpid(-1, &status, __WALL)) > 0) {
		if (!WIFSTOPPED(status))
			continue;
		if (status >> 8 == (SIGTRAP | (PTRACE_EVENT_EXIT << 8)) && (one = vm_hwm(w)) > 0)
			kib += one;
		/* pass real signals on; swallow the traps and a new process's first stop */
		ptrace(PTRACE_CONT, w, NULL, (void *)(long)(WSTOPSIG(status) == SIGTRAP ||
							   WSTOPSIG(status) == SIGSTOP ? 0 :
							   WSTOPSIG(status)));
	}
	return kib ? kib : -1;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int usage(void)
{
	fputs("usage: timeit [-n RUNS] [-w WARMUP] [-b PREP] [-m] [-e K:FILE] CMD [ARG...] "
	      "[::: CMD [ARG...]]...\n", stderr);
	return 2;
}

int main(int argc, char **argv)
{
	static struct cmd cmds[MAX_CMDS];
	char *prep = NULL, idx[16], *pargv[3] = { NULL, idx, NULL }, *stamp = NULL, *end;
	struct rusage ru;
	int runs = 10, warm = 1, ncmd = 0, exact = 0, stamped = -1, c, r, k, i;
	double ms;

	while ((c = getopt(argc, argv, "+n:w:b:me:")) != -1) {
		if (c == 'n')
			runs = atoi(optarg);
		else if (c == 'w')
			warm = atoi(optarg);
		else if (c == 'b')
			prep = optarg;
		else if (c == 'm')
			exact = 1;
		else if (c == 'e' && (stamped = (int)strtol(optarg, &end, 10)) >= 0 && *end == ':')
			stamp = end + 1;
		else
			return usage();
	}
	if (runs < 1 || runs > MAX_RUNS || warm < 0 || optind >= argc)
		return usage();
	cmds[ncmd++].argv = argv + optind;
	for (i = optind; i < argc; i++) {
		if (strcmp(argv[i], ":::"))
			continue;
		argv[i] = NULL;
		if (i + 1 >= argc || ncmd == MAX_CMDS)
			return usage();
		cmds[ncmd++].argv = argv + i + 1;
	}
	if (stamp && stamped >= ncmd)
		return usage();
	pargv[0] = prep;
	for (r = 0; r < warm + runs; r++) {
		for (k = 0; k < ncmd; k++) {
			snprintf(idx, sizeof idx, "%d", k);
			if (prep && run(pargv, &ru, NULL) < 0)
				return 1;
			ms = run(cmds[k].argv, &ru, k == stamped ? stamp : NULL);
			if (ms < 0)
				return 1;
			if (r < warm)
				continue;
			cmds[k].ms[r - warm] = ms;
			if (ru.ru_maxrss > cmds[k].rss)
				cmds[k].rss = ru.ru_maxrss;
		}
	}
	for (k = 0; exact && k < ncmd; k++) {
		snprintf(idx, sizeof idx, "%d", k);
		if (prep && run(pargv, &ru, NULL) < 0)
			return 1;
		cmds[k].rss = peak_rss(cmds[k].argv);
	}
	for (k = 0; k < ncmd; k++) {
		ms = median(cmds[k].ms, runs);
		printf("%.3f %.3f %.3f %ld %s\n", ms, cmds[k].ms[0], cmds[k].ms[runs - 1], cmds[k].rss,
		       cmds[k].argv[0]);
	}
	return 0;
}
