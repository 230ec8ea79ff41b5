/* netns.c - the network namespace of an allowlist unit (only loopback) and the proxy that is its one way out.
 *
 * MUST rules kept here:
 * - the namespace has loopback and nothing else: no route, no address but 127.0.0.1 and ::1;
 * - the runner's thread is back in its own namespace before anything else happens, also on
 *   every failure;
 * - the proxy holds none of root's powers (uid, gid and groups of the proxy account only,
 *   no capability, no_new_privs), nothing of the runner's but its listening socket (every
 *   other fd closed, empty environment, default signals, its own session), and it dies
 *   with the runner (PR_SET_PDEATHSIG, checked against a parent that died first);
 * - every resource limit of the proxy is set here, none is the caller's: its processes are
 *   counted per account, and every user's proxy shares that account.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <pwd.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ident.h"
#include "inherit.h"
#include "netns.h"
#include "proxy.h"

/* Whether name's account has uid. */
static int has_uid(const char *name, uid_t uid)
{
	struct passwd *pw = getpwnam(name);

	return pw && pw->pw_uid == uid;
}

int netns_proxy_account(const struct config *c, struct ident *id)
{
	size_t i;

	if (ident_of_user(id, c->proxy_user, (gid_t)-1) < 0)
		return -1;
	for (i = 0; i < c->nhosts; i++)
		if (has_uid(c->hosts[i].name, id->uid) ||
		    has_uid(config_agent_user(c, &c->hosts[i]), id->uid))
			break;
	if (!id->uid || !id->gid || i < c->nhosts || has_uid(c->user, id->uid)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

static int loopback_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;

	if (s < 0)
		return -1;
	memset(&ifr, 0, sizeof ifr);
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return rc;
}

static int listen_loopback(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PROXY_PORT) };
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (s < 0)
		return -1;
	if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(s, SOMAXCONN) < 0) {
		int e = errno;

		close(s);
		errno = e;
		return -1;
	}
	return s;
}

/* In the new namespace: loopback up, the socket, a handle on the namespace. */
static int inside(struct netns *n, const char **step)
{
	*step = "bring up loopback in it";
	if (loopback_up() < 0)
		return -1;
	*step = "listen on 127.0.0.1 in it";
	n->listen_fd = listen_loopback();
	if (n->listen_fd < 0)
		return -1;
	*step = "open it";
	n->ns_fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	return n->ns_fd < 0 ? -1 : 0;
}

int netns_create(struct netns *n, const char **step)
{
	int host, rc, e;

	n->ns_fd = n->listen_fd = -1;
	n->proxy = 0;
	*step = "open the host's network namespace";
	host = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (host < 0)
		return -1;
	*step = "create it";
	rc = unshare(CLONE_NEWNET);
	if (rc == 0) {
		rc = inside(n, step);
		e = errno;
		if (setns(host, CLONE_NEWNET) < 0)
			rc = -1, e = errno, *step = "return to the host's network namespace";
		errno = e;
	}
	e = errno;
	close(host);
	if (rc < 0) {
		netns_release(n);
		errno = e;
		return -1;
	}
	snprintf(n->path, sizeof n->path, "/proc/%d/fd/%d", (int)getpid(), n->ns_fd);
	return 0;
}

/* The proxy's limits. INIT: init's own value (the system's default, which no caller sets). */
#define INIT ((rlim_t)-2)
static const struct {
	int res;
	rlim_t value;
	const char *step;
} proxy_limits[] = {
	{ RLIMIT_CPU, RLIM_INFINITY, "set its CPU time limit (ulimit -t)" },
	{ RLIMIT_FSIZE, RLIM_INFINITY, "set its file size limit (ulimit -f)" },
	{ RLIMIT_DATA, RLIM_INFINITY, "set its data size limit (ulimit -d)" },
	{ RLIMIT_STACK, 8 << 20, "set its stack size limit (ulimit -s)" },
	{ RLIMIT_CORE, 0, "set its core size limit (ulimit -c)" },
	{ RLIMIT_RSS, RLIM_INFINITY, "set its resident set limit (ulimit -m)" },
	{ RLIMIT_NPROC, INIT, "set its process limit (ulimit -u) to init's" },
	{ RLIMIT_NOFILE, PROXY_NOFILE, "set its open files limit (ulimit -n)" },
	{ RLIMIT_MEMLOCK, 0, "set its locked memory limit (ulimit -l)" },
	{ RLIMIT_AS, RLIM_INFINITY, "set its address space limit (ulimit -v)" },
	{ RLIMIT_LOCKS, RLIM_INFINITY, "set its file locks limit (ulimit -x)" },
	{ RLIMIT_SIGPENDING, 128, "set its pending signals limit (ulimit -i)" },
	{ RLIMIT_MSGQUEUE, 0, "set its message queue limit (ulimit -q)" },
	{ RLIMIT_NICE, 0, "set its nice limit (ulimit -e)" },
	{ RLIMIT_RTPRIO, 0, "set its real-time priority limit (ulimit -r)" },
	{ RLIMIT_RTTIME, RLIM_INFINITY, "set its real-time timeout limit (ulimit -R)" },
};
enum { NLIMITS = sizeof proxy_limits / sizeof *proxy_limits };

/* Every limit of proxy_limits, soft and hard, as root: -1 at the index that failed. */
static int set_limits(int *failed)
{
	struct rlimit rl;
	int i;

	for (i = 0; i < NLIMITS; i++) {
		*failed = i;
		rl.rlim_cur = proxy_limits[i].value;
		if (rl.rlim_cur == INIT && prlimit(1, proxy_limits[i].res, NULL, &rl) < 0)
			return -1;
		rl.rlim_max = rl.rlim_cur;
		if (setrlimit(proxy_limits[i].res, &rl) < 0)
			return -1;
	}
	return 0;
}

/* Everything between fork and exec; returns only on failure, with the fd its errno goes to
 * (err until the fds are moved, then 4); *step is the index of the limit that failed, or -1. */
static int child(struct netns *n, const struct ident *id, char *const *argv, pid_t parent, int err,
		 int *step)
{
	static char *const envp[] = { NULL };
	int null, lfd, efd, rfd = -1;

	*step = -1;
	inherit_reset_signals();
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	lfd = fcntl(n->listen_fd, F_DUPFD_CLOEXEC, 10);
	efd = fcntl(err, F_DUPFD_CLOEXEC, 10);
	if (n->report_fd >= 0 && (rfd = fcntl(n->report_fd, F_DUPFD_CLOEXEC, 10)) < 0)
		return err;
	if (null < 0 || lfd < 0 || efd < 0 || dup2(null, 0) < 0 || dup2(null, 1) < 0 ||
	    dup2(null, 2) < 0 || dup2(lfd, 3) < 0 || dup2(efd, 4) < 0 ||
	    fcntl(4, F_SETFD, FD_CLOEXEC) < 0 || (rfd >= 0 && dup2(rfd, 5) < 0))
		return err;
	inherit_close_from(rfd >= 0 ? 6 : 5);
	if (set_limits(step) < 0)
		return 4;
	*step = -1;
	if (setsid() < 0 || ident_drop(id->uid, id->gid, 0, NULL) < 0)
		return 4;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		return 4;
	if (getppid() != parent)
		_exit(127);
	umask(077);
	if (chdir("/") == 0)
		execve("/proc/self/exe", argv, envp);
	return 4;
}

int netns_start_proxy(struct netns *n, const struct ident *id, char *const *argv,
		      const char **step)
{
	pid_t parent = getpid(), pid;
	int p[2], e[2] = { 0, -1 };
	ssize_t got;

	*step = NULL;
	if (id->uid == 0 || id->gid == 0) {
		errno = EPERM;
		return -1;
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int out;

		close(p[0]);
		out = child(n, id, argv, parent, p[1], &e[1]);
		e[0] = errno;
		(void)!write(out, e, sizeof e);
		_exit(127);
	}
	e[0] = errno;
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		errno = e[0];
		return -1;
	}
	do
		got = read(p[0], e, sizeof e);
	while (got < 0 && errno == EINTR);
	close(p[0]);
	n->proxy = pid;
	if (got <= 0) {
		/* the proxy's alone: if it dies, a connect is refused at once instead of waiting in
		 * a backlog nobody accepts from */
		close(n->listen_fd);
		n->listen_fd = -1;
		return 0;
	}
	if (got == sizeof e && e[1] >= 0 && e[1] < NLIMITS)
		*step = proxy_limits[e[1]].step;
	netns_release(n);
	errno = got == sizeof e && e[0] ? e[0] : EIO;
	return -1;
}

void netns_release(struct netns *n)
{
	if (n->proxy > 0) {
		kill(n->proxy, SIGKILL);
		while (waitpid(n->proxy, NULL, 0) < 0 && errno == EINTR)
			;
		n->proxy = 0;
	}
	if (n->listen_fd >= 0)
		close(n->listen_fd);
	if (n->ns_fd >= 0)
		close(n->ns_fd);
	n->listen_fd = n->ns_fd = -1;
}

/* A socket made inside n's namespace (a socket stays in the namespace it was made in), the
 * calling thread back in its own. */
static int socket_inside(const struct netns *n)
{
	int host = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC), s = -1, e;

	if (host < 0)
		return -1;
	if (setns(n->ns_fd, CLONE_NEWNET) == 0) {
		s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		e = errno;
		if (setns(host, CLONE_NEWNET) < 0) {
			/* never left in the agent's namespace: the caller stops */
			e = errno;
			if (s >= 0)
				close(s);
			s = -2;
		}
		errno = e;
	}
	close(host);
	return s;
}

int netns_ask_proxy(const struct netns *n, const char *target, int *code)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(PROXY_PORT) };
	struct timeval tv = { .tv_sec = 5 };
	char req[600], ans[64];
	size_t got = 0;
	ssize_t r;
	int s = socket_inside(n), len, e;

	*code = 0;
	if (s == -2)
		return -2;
	if (s < 0)
		return -1;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = snprintf(req, sizeof req, "CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n", target, target);
	if (len < 0 || (size_t)len >= sizeof req || setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof tv) < 0 || setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv) < 0 ||
	    connect(s, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    send(s, req, (size_t)len, MSG_NOSIGNAL) != (ssize_t)len) {
		e = errno;
		close(s);
		errno = e;
		return -1;
	}
	while (got + 1 < sizeof ans && !memchr(ans, '\n', got) &&
	       (r = recv(s, ans + got, sizeof ans - 1 - got, 0)) > 0)
		got += (size_t)r;
	ans[got] = '\0';
	close(s);
	if (sscanf(ans, "HTTP/1.%*[01] %3d", code) != 1) {
		errno = got ? EPROTO : ETIMEDOUT;
		return -1;
	}
	return 0;
}
