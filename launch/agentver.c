/* agentver.c - whether the agent starts: the node its PATH yields against its package's engines.node, and its --version run as the agent account. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <grp.h>

#include "agentver.h"
#include "fs.h"
#include "inherit.h"
#include "json.h"

enum {
	RUN_SECONDS = 30,        /* the longest a --version may take */
	PKG_LEVELS = 8,          /* directories looked up from the agent for its package.json */
	/* the probe's real, effective and saved gid (the kernel's overflow gid, "nogroup"), the
	 * agent's group only a supplementary one: the kernel lets a process into another's
	 * /proc/PID/{root,cwd,environ,mem} without CAP_SYS_PTRACE only when all their uids and
	 * gids match, so a running unit's agent, of the same account, cannot reach through
	 * this process outside its unit to the host's / */
	PROBE_GID = 65534,
};

/* The first executable name in the ':'-separated path, into out; 0 or -1. */
static int on_path(const char *path, const char *name, char *out, size_t n)
{
	const char *p = path, *end;
	size_t len;

	while (*p) {
		end = strchrnul(p, ':');
		len = (size_t)(end - p);
		if (len && snprintf(out, n, "%.*s/%s", (int)len, p, name) < (int)n &&
		    fs_executable(out))
			return 0;
		p = *end ? end + 1 : end;
	}
	out[0] = '\0';
	return -1;
}

/* "vA.B.C" or "A.B.C" (a missing part is 0) into v[3]; the text after it in *end. */
static int parse_version(const char *s, long v[3], const char **end)
{
	char *e;
	int i;

	if (*s == 'v')
		s++;
	for (i = 0; i < 3; i++) {
		v[i] = 0;
		if (i && *s != '.')
			continue;
		if (i)
			s++;
		if (*s < '0' || *s > '9')
			return i ? (v[i] = 0, 0) : -1;
		v[i] = strtol(s, &e, 10);
		s = e;
	}
	if (end)
		*end = s;
	return 0;
}

static int version_cmp(const long a[3], const long b[3])
{
	int i;

	for (i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

/* The lowest version engines.node admits, read from its ">=", "^", "~" or bare bounds (of
 * every "||" alternative); -1 for a range this does not read. */
static int engines_floor(const char *range, long floor[3])
{
	const char *s = range;
	long v[3];
	int found = 0;

	while (*s) {
		while (*s == ' ' || *s == '|')
			s++;
		if (s[0] == '>' && s[1] == '=')
			s += 2;
		else if (*s == '^' || *s == '~' || *s == '=')
			s++;
		while (*s == ' ')
			s++;
		if (parse_version(s, v, &s) < 0)
			return -1;
		if (!found++ || version_cmp(v, floor) < 0)
			memcpy(floor, v, sizeof v);
		/* an upper bound of the same alternative ("<23") leaves the floor as it is */
		while (*s && *s != '|')
			s++;
	}
	return found ? 0 : -1;
}

/* engines.node of the nearest package.json above the agent's real path. */
static void read_engines(const char *agent, struct agentver *v)
{
	char real[PATH_MAX], *slash, *text = NULL, *s;
	struct json_doc d;
	struct json_err e;
	size_t len;
	int fd, i, eng, node;

	if (!realpath(agent, real))
		return;
	for (i = 0; i < PKG_LEVELS && (slash = strrchr(real, '/')) && slash != real; i++) {
		*slash = '\0';
		if (snprintf(v->package_json, sizeof v->package_json, "%s/package.json", real) >=
		    (int)sizeof v->package_json)
			break;
		fd = open(v->package_json, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (fd < 0)
			continue;
		if (fs_read_all(fd, 1 << 20, &text, &len) < 0 ||
		    json_parse(&d, text, len, &e) < 0) {
			close(fd);
			break;
		}
		close(fd);
		eng = json_kind(&d, 0) == JSON_OBJECT ? json_find(&d, 0, "engines") : -1;
		node = eng >= 0 && json_kind(&d, eng) == JSON_OBJECT ? json_find(&d, eng, "node") : -1;
		s = node >= 0 ? json_str(&d, node) : NULL;
		if (s)
			snprintf(v->engines, sizeof v->engines, "%s", s);
		free(s);
		json_free(&d);
		return;
	}
	v->package_json[0] = '\0';
}

/* The last non-empty line of out, control bytes shown as '?'. */
static void last_line(char *buf, size_t len, char *out, size_t n)
{
	char *end = buf + len, *start;
	size_t i;

	while (end > buf && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' '))
		end--;
	start = end;
	while (start > buf && start[-1] != '\n')
		start--;
	snprintf(out, n, "%.*s", (int)(end - start), start);
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
}

/* Between fork and exec: the agent account with nothing of root's, its group only a
 * supplementary one (PROBE_GID), its output to fd w. */
static void child(const struct ident *as, int w, const char *home, char *const argv[],
		  char *const envp[])
{
	int null;

	inherit_reset_signals();
	null = open("/dev/null", O_RDONLY);
	if (null < 0 || dup2(null, 0) < 0 || dup2(w, 1) < 0 || dup2(w, 2) < 0)
		_exit(126);
	/* no fallback before: on a kernel without close_range the runner's fds reached the agent */
	inherit_close_from(3);
	if (setsid() < 0 || ident_drop(as->uid, PROBE_GID, 1, &as->gid) < 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 ||
	    chdir(home) < 0)
		_exit(126);
	umask(077);
	execve(argv[0], argv, envp);
	_exit(127);
}

/* Runs argv as the account, at most RUN_SECONDS; its exit status (128+N by signal N, -1 when
 * it cannot be run) and its last output line. */
static int run_as(const struct ident *as, const char *home, char *const argv[],
		  char *const envp[], char *line, size_t n)
{
	char buf[8192];
	size_t len = 0;
	struct pollfd p;
	time_t until = time(NULL) + RUN_SECONDS;
	ssize_t got;
	pid_t pid;
	int fd[2], status, left;

	line[0] = '\0';
	if (pipe2(fd, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0) {
		close(fd[0]);
		close(fd[1]);
		return -1;
	}
	if (pid == 0)
		child(as, fd[1], home, argv, envp);
	close(fd[1]);
	p.fd = fd[0];
	p.events = POLLIN;
	for (;;) {
		left = (int)(until - time(NULL));
		if (left <= 0 || poll(&p, 1, left * 1000) == 0) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			snprintf(line, n, "no answer within %d s", RUN_SECONDS);
			break;
		}
		got = read(fd[0], len < sizeof buf ? buf + len : buf, len < sizeof buf ?
			   sizeof buf - len : sizeof buf);
		if (got <= 0 && !(got < 0 && errno == EINTR))
			break;
		if (got > 0 && len < sizeof buf)
			len += (size_t)got;
	}
	close(fd[0]);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (!line[0])
		last_line(buf, len, line, n);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int agentver_probe(const char *agent, const char *path, const struct ident *as,
		   struct agentver *v)
{
	char env_path[8192], home[] = "/tmp/pi-check.XXXXXX", home_env[32], tmp_env[32];
	char cache_env[96];
	char *argv[] = { (char *)agent, "--version", NULL };
	char *nargv[] = { v->node, "--version", NULL };
	/* TMPDIR and Node's compile cache in the throwaway home: pi >= 1.0 enables the cache,
	 * by default in /tmp/node-compile-cache, which any local user can make first and fill */
	char *envp[] = { env_path, NULL, tmp_env, cache_env, "PI_OFFLINE=1",
			 "PI_SKIP_VERSION_CHECK=1",
			 "NODE_NO_WARNINGS=1", "TERM=dumb", "LANG=C.UTF-8", NULL };
	char line[sizeof v->node_version];
	long have[3], need[3];
	int dir, rc;

	memset(v, 0, sizeof *v);
	v->status = -1;
	if (snprintf(env_path, sizeof env_path, "PATH=%s", path) >= (int)sizeof env_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	read_engines(agent, v);
	/* a home of its own for this one run, the agent's to write, removed after */
	if (!mkdtemp(home))
		return -1;
	if (chown(home, as->uid, as->gid) < 0) {
		rmdir(home);
		return -1;
	}
	snprintf(home_env, sizeof home_env, "HOME=%s", home);
	snprintf(tmp_env, sizeof tmp_env, "TMPDIR=%s", home);
	snprintf(cache_env, sizeof cache_env, "NODE_COMPILE_CACHE=%s/.cache/node-compile-cache",
		 home);
	envp[1] = home_env;
	if (on_path(path, "node", v->node, sizeof v->node) == 0 &&
	    run_as(as, home, nargv, envp, line, sizeof line) == 0 &&
	    parse_version(line, have, NULL) == 0) {
		snprintf(v->node_version, sizeof v->node_version, "%s", line);
		v->too_old = v->engines[0] && engines_floor(v->engines, need) == 0 &&
			     version_cmp(have, need) < 0;
	}
	if (!v->too_old)
		v->status = run_as(as, home, argv, envp, v->out, sizeof v->out);
	/* what the agent left there goes, without following anything it made */
	dir = open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	rc = dir >= 0 ? fs_remove(dir, home + 5) : -1;
	if (dir >= 0)
		close(dir);
	return rc < 0 ? -1 : 0;
}
