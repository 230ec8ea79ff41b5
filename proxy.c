/* proxy.c - pi-proxy: the allowlist unit's forward proxy (HTTP CONNECT and http://), one thread per connection.
 *
 * MUST rules kept here:
 * - never runs as root, with a root group or with any capability (pi.c's table refuses it);
 * - a destination is checked (netpolicy_allows) before any lookup, every address it resolves to
 *   is checked (netpolicy_addr_ok) with its port, and only a checked address is connected to:
 *   there is no second lookup a rebinding name could answer differently;
 * - every connection gets one syslog line (LOG_AUTHPRIV); the values a client controls are
 *   quoted (audit_quote), so no request can forge a line or a field;
 * - no client can hold a thread past the head deadline, exceed the head limits, or exhaust
 *   descriptors or threads: connections beyond the cap wait in the listen backlog;
 * - nothing a client sends ends the process: SIGPIPE is ignored, and every failure (an
 *   allocation included) ends only its own connection.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "netpolicy.h"
#include "say.h"
#include "proxy.h"
#include "proxyreq.h"

enum {
	HEAD_MS = 10000,          /* the whole request head */
	DIAL_MS = 10000,          /* every address of a destination together */
	SEND_MS = 10000,          /* a response or head to a peer that does not read */
	LINGER_MS = 1000,         /* reading what a refused client still sends */
	BACKLOG = 4096,           /* the kernel caps it at net.core.somaxconn */
	PIPE_SIZE = 256 * 1024,
	COPY_SIZE = 16384,        /* a direction's buffer when splice is refused */
#ifdef __SANITIZE_ADDRESS__
	STACK_SIZE = 1024 * 1024,
#else
	STACK_SIZE = 128 * 1024,
#endif
};

struct proxy {
	struct netpol pol;
	const char *user, *unit;
	int lfd;
	int report_fd;  /* the runner's pipe: each policy refusal's host:port, or -1 */
	unsigned cap;
	sem_t slots;    /* connections that may still start */
};

struct conn {
	struct proxy *px;
	int cfd, ufd;
	long long start;
	const char *event;                 /* allow, deny or fail */
	char host[NETPOL_HOST_MAX + 2];    /* the normalized host, else the target as sent */
	int port;
	char addr[INET6_ADDRSTRLEN];
	unsigned long long sent, received;
	char why[NETPOL_HOST_MAX + 192];   /* a refusal's reason, also its response body */
};

/* One direction of a relay: from -> pipe (or buf) -> to. */
struct dir {
	int from, to;
	int p[2];
	char *buf;
	size_t off, queued, room;
	int eof, done, stuck;
	unsigned long long moved;
};

static long long now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Waits until fd is ready for ev or the deadline passes: 1 ready, 0 timed out, -1 error. */
static int wait_fd(int fd, short ev, long long deadline)
{
	struct pollfd p = { .fd = fd, .events = ev };
	long long left;
	int n;

	for (;;) {
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
		if (n > 0)
			return 1;
		if (n < 0 && errno != EINTR)
			return -1;
	}
}

/* Sends all of buf on a non-blocking socket before the deadline: 0, or -1. */
static int send_all(int fd, const char *buf, size_t len, long long deadline)
{
	ssize_t n;

	while (len > 0) {
		n = send(fd, buf, len, MSG_NOSIGNAL);
		if (n > 0) {
			buf += n;
			len -= (size_t)n;
		} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			return -1;
		} else if (n < 0 && errno == EAGAIN && wait_fd(fd, POLLOUT, deadline) != 1) {
			return -1;
		}
	}
	return 0;
}

static const char *status_text(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

/* Reads (and drops) what the client still sends, so closing does not reset the response. */
static void linger(int fd)
{
	long long deadline = now_ms() + LINGER_MS;
	char junk[512];
	size_t total = 0;
	ssize_t n;

	shutdown(fd, SHUT_WR);
	while (total < 65536 && wait_fd(fd, POLLIN, deadline) == 1) {
		n = recv(fd, junk, sizeof junk, 0);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return;
		if (n > 0)
			total += (size_t)n;
	}
}

/* Answers a refused request with status and c->why as its text/plain body. */
static void respond(struct conn *c, int status)
{
	char out[sizeof c->why + 256];
	int n;

	n = snprintf(out, sizeof out,
		     "HTTP/1.1 %d %s\r\nConnection: close\r\nContent-Type: text/plain\r\n"
		     "Content-Length: %zu\r\n\r\npi proxy: %s\n",
		     status, status_text(status), strlen(c->why) + 11, c->why);
	if (n > 0 && (size_t)n < sizeof out && send_all(c->cfd, out, (size_t)n, now_ms() + SEND_MS) == 0)
		linger(c->cfd);
}

/* A policy refusal's target, one line to the runner, which says it to the user when the
 * session ends; never waits (a full pipe drops the line). */
static void report(const struct conn *c)
{
	char line[NETPOL_HOST_MAX + 16];
	int n;

	if (c->px->report_fd < 0 || !c->host[0])
		return;
	n = snprintf(line, sizeof line, strchr(c->host, ':') ? "[%s]:%d\n" : "%s:%d\n", c->host,
		     c->port);
	if (n > 0 && (size_t)n < sizeof line)
		(void)!write(c->px->report_fd, line, (size_t)n);
}

/* Records a refusal (event, reason) and returns its status. */
static int refuse(struct conn *c, const char *event, int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int refuse(struct conn *c, const char *event, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
	c->event = event;
	if (status == 403)
		report(c);
	return status;
}

/* Reads the request head into buf: 0 with r filled, an HTTP status, or -1 when the client
 * went away (nothing to answer). */
static int read_head(struct conn *c, char *buf, size_t *len, struct proxyreq *r)
{
	long long deadline = c->start + HEAD_MS;
	const char *why = "malformed request";
	ssize_t n;
	int rc, w;

	for (;;) {
		w = wait_fd(c->cfd, POLLIN, deadline);
		if (w == 0)
			return refuse(c, "deny", 408, "the request head did not arrive within %d s",
				      HEAD_MS / 1000);
		n = w < 0 ? -1 : recv(c->cfd, buf + *len, PROXYREQ_HEAD_MAX - *len, 0);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			refuse(c, "deny", 0, "the client closed the connection before a complete request head");
			return -1;
		}
		*len += (size_t)n;
		rc = proxyreq_parse(buf, *len, r, &why);
		if (rc == PROXYREQ_DONE)
			return 0;
		if (rc == PROXYREQ_BAD)
			return refuse(c, "deny", r->status, "%s", why);
	}
}

static void set_nodelay(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Connects to sa before the deadline: the socket, or -1 with errno (ETIMEDOUT). */
static int connect_to(const struct sockaddr *sa, socklen_t salen, long long deadline)
{
	int fd, err = 0, w;
	socklen_t elen = sizeof err;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, sa, salen) == 0)
		return set_nodelay(fd), fd;
	if (errno == EINPROGRESS) {
		w = wait_fd(fd, POLLOUT, deadline);
		if (w == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == 0)
			return set_nodelay(fd), fd;
		errno = w == 0 ? ETIMEDOUT : w < 0 ? errno : err;
	}
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

static void addr_text(const struct sockaddr *sa, char *out, size_t n)
{
	const void *a = sa->sa_family == AF_INET
		? (const void *)&((const struct sockaddr_in *)sa)->sin_addr
		: (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr;

	if (!inet_ntop(sa->sa_family, a, out, (socklen_t)n))
		snprintf(out, n, "?");
}

/* What a dial has found so far: the first address the policy refused and why, the last
 * connection failure. */
struct dialed {
	const char *why;
	char refused[INET6_ADDRSTRLEN];
	int tried, err;
};

/* One resolved or literal address: checks it with its port, then connects to it. 1 connected
 * (c->ufd, c->addr), 0 refused or failed (noted in *d). */
static int try_addr(struct conn *c, struct sockaddr *sa, socklen_t salen, int port,
		    long long deadline, struct dialed *d)
{
	const char *why = NULL;

	if (sa->sa_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_port = htons((unsigned short)port);
	else if (sa->sa_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons((unsigned short)port);
	else
		return 0;
	if (!netpolicy_addr_ok(&c->px->pol, sa, &why)) {
		if (!d->why) {
			d->why = why ? why : "a refused address";
			addr_text(sa, d->refused, sizeof d->refused);
		}
		return 0;
	}
	addr_text(sa, c->addr, sizeof c->addr);
	c->ufd = connect_to(sa, salen, deadline);
	if (c->ufd >= 0)
		return 1;
	d->tried = 1;
	d->err = errno;
	return 0;
}

/* The sockaddr of an address literal. */
static socklen_t literal(const struct netpolicy_host *h, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	ss->ss_family = (sa_family_t)h->family;
	if (h->family == AF_INET) {
		memcpy(&((struct sockaddr_in *)ss)->sin_addr, h->addr, 4);
		return sizeof(struct sockaddr_in);
	}
	memcpy(&((struct sockaddr_in6 *)ss)->sin6_addr, h->addr, 16);
	return sizeof(struct sockaddr_in6);
}

/* After a dial found no address to connect to: the refusal or failure to answer with. */
static int dial_failed(struct conn *c, const struct netpolicy_host *h, int port,
		       const struct dialed *d)
{
	if (!d->tried) {
		c->addr[0] = '\0';
		return refuse(c, "deny", 403, "%s:%d is not allowed for user %s: %s (%s)", h->name,
			      port, c->px->user, d->why ? d->why : "no usable address",
			      d->refused[0] ? d->refused : "none");
	}
	if (d->err == ETIMEDOUT)
		return refuse(c, "fail", 504, "%s:%d (%s) did not answer within %d s", h->name, port,
			      c->addr, DIAL_MS / 1000);
	return refuse(c, "fail", 502, "cannot connect to %s:%d (%s): %s", h->name, port, c->addr,
		      strerror(d->err));
}

/* Resolves h (in this thread; a literal needs no lookup), checks each address and connects
 * to the first that passes and answers: 0 with c->ufd, or an HTTP status. */
static int dial(struct conn *c, const struct netpolicy_host *h, int port)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res = NULL, *ai;
	struct sockaddr_storage ss;
	struct dialed d = { 0 };
	long long deadline = now_ms() + DIAL_MS;
	int rc;

	if (h->family) {
		if (try_addr(c, (struct sockaddr *)&ss, literal(h, &ss), port, deadline, &d))
			return 0;
		return dial_failed(c, h, port, &d);
	}
	rc = getaddrinfo(h->name, NULL, &hints, &res);
	if (rc)
		return refuse(c, "fail", 502, "cannot resolve %s: %s", h->name,
			      rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
	for (ai = res, rc = 0; ai && !rc; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof ss)
			continue;
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		rc = try_addr(c, (struct sockaddr *)&ss, ai->ai_addrlen, port, deadline, &d);
	}
	freeaddrinfo(res);
	return rc ? 0 : dial_failed(c, h, port, &d);
}

static int dir_open(struct dir *d, int from, int to)
{
	memset(d, 0, sizeof *d);
	d->from = from;
	d->to = to;
	d->p[0] = d->p[1] = -1;
	if (pipe2(d->p, O_CLOEXEC | O_NONBLOCK) == 0) {
		fcntl(d->p[1], F_SETPIPE_SZ, PIPE_SIZE);
		d->room = (size_t)fcntl(d->p[1], F_GETPIPE_SZ);
		if ((ssize_t)d->room > 0)
			return 0;
		close(d->p[0]);
		close(d->p[1]);
		d->p[0] = d->p[1] = -1;
	}
	return -1;
}

/* Splice refused (or no pipe): the direction copies through a buffer instead. */
static int dir_copy(struct dir *d)
{
	if (d->p[0] >= 0) {
		close(d->p[0]);
		close(d->p[1]);
		d->p[0] = d->p[1] = -1;
	}
	d->buf = malloc(COPY_SIZE);
	d->room = COPY_SIZE;
	d->off = 0;
	return d->buf ? 0 : -1;
}

static void dir_close(struct dir *d)
{
	if (d->p[0] >= 0) {
		close(d->p[0]);
		close(d->p[1]);
	}
	free(d->buf);
}

static int again(ssize_t n)
{
	return n < 0 && (errno == EAGAIN || errno == EINTR);
}

/* Whether the direction can take more from its source: a copy buffer only when empty; a
 * pipe while it has room (a pipe can also fill up with small segments: stuck until drained). */
static int dir_wants(const struct dir *d)
{
	if (d->done || d->eof)
		return 0;
	return d->buf ? d->queued == 0 : d->queued < d->room && !d->stuck;
}

static ssize_t dir_in(struct dir *d)
{
	if (d->buf) {
		d->off = 0;
		return recv(d->from, d->buf, d->room, 0);
	}
	return splice(d->from, NULL, d->p[1], NULL, d->room - d->queued,
		      SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
}

static ssize_t dir_out(struct dir *d)
{
	if (d->buf)
		return send(d->to, d->buf + d->off, d->queued, MSG_NOSIGNAL);
	return splice(d->p[0], NULL, d->to, NULL, d->queued, SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
}

/* Moves what it can without blocking: 1 progress, 0 none, -1 the connection failed. */
static int dir_step(struct dir *d)
{
	ssize_t n;
	int moved = 0;

	if (dir_wants(d)) {
		n = dir_in(d);
		if (n < 0 && errno == EINVAL && !d->buf && d->queued == 0)
			return dir_copy(d) == 0 ? 1 : -1;
		if (n == 0)
			d->eof = moved = 1;
		else if (n > 0)
			d->queued += (size_t)n, moved = 1;
		else if (!again(n))
			return -1;
		else if (d->queued > 0)
			d->stuck = 1;
	}
	if (d->queued > 0) {
		n = dir_out(d);
		if (n > 0) {
			d->queued -= (size_t)n, d->moved += (size_t)n, moved = 1;
			d->off += (size_t)n;
			d->stuck = 0;
		} else if (!again(n)) {
			return -1;
		}
	}
	if (d->eof && d->queued == 0 && !d->done) {
		shutdown(d->to, SHUT_WR);
		d->done = moved = 1;
	}
	return moved;
}

/* A direction's poll events on its source and its destination. */
static void dir_events(const struct dir *d, struct pollfd *from, struct pollfd *to)
{
	if (dir_wants(d))
		from->events |= POLLIN;
	if (!d->done && d->queued > 0)
		to->events |= POLLOUT;
}

/* Relays both ways until the upstream has finished, either side fails, or the client hangs
 * up. Counts the bytes each way. */
static void relay(struct conn *c)
{
	struct dir up = { .p = { -1, -1 } }, down = { .p = { -1, -1 } };
	struct pollfd pf[2];
	int a, b, hup = 0;

	if ((dir_open(&up, c->cfd, c->ufd) < 0 && dir_copy(&up) < 0) ||
	    (dir_open(&down, c->ufd, c->cfd) < 0 && dir_copy(&down) < 0))
		goto out;
	for (;;) {
		a = dir_step(&up);
		b = dir_step(&down);
		if (a < 0 || b < 0 || down.done)
			break;
		if (a || b) {
			hup = 0;
			continue;
		}
		if (hup)
			break;
		pf[0] = (struct pollfd){ .fd = c->cfd };
		pf[1] = (struct pollfd){ .fd = c->ufd };
		dir_events(&up, &pf[0], &pf[1]);
		dir_events(&down, &pf[1], &pf[0]);
		if (poll(pf, 2, -1) < 0 && errno != EINTR)
			break;
		hup = ((pf[0].revents | pf[1].revents) & (POLLERR | POLLHUP | POLLNVAL)) != 0;
	}
out:
	c->sent += up.moved;
	c->received += down.moved;
	dir_close(&up);
	dir_close(&down);
}

/* The head that goes upstream before the relay (a CONNECT's client gets its 200 instead),
 * then whatever the client sent after its head. */
__attribute__((noinline)) static int forward_head(struct conn *c, const char *buf, size_t len, const struct proxyreq *r)
{
	static const char established[] = "HTTP/1.1 200 Connection established\r\n\r\n";
	char out[PROXYREQ_HEAD_MAX + 64];
	long long deadline = now_ms() + SEND_MS;
	int n;

	if (r->kind == PROXYREQ_CONNECT) {
		if (send_all(c->cfd, established, sizeof established - 1, deadline) < 0)
			return -1;
	} else {
		n = proxyreq_upstream(buf, r, out, sizeof out);
		if (n < 0 || send_all(c->ufd, out, (size_t)n, deadline) < 0)
			return -1;
		c->sent += (unsigned)n;
	}
	if (len > r->head_len && send_all(c->ufd, buf + r->head_len, len - r->head_len, deadline) < 0)
		return -1;
	c->sent += len - r->head_len;
	return 0;
}

/* A connection up to its relay: the head read and checked, the destination dialled, the head
 * forwarded. 0 when the relay may start; otherwise the refusal was answered (or the client is
 * gone). Not inlined: its frame (the head) is gone when the relay runs. */
__attribute__((noinline)) static int open_tunnel(struct conn *c)
{
	char buf[PROXYREQ_HEAD_MAX];
	struct proxyreq r;
	struct netpolicy_host h;
	const char *why = NULL;
	size_t len = 0;
	int status;

	memset(&r, 0, sizeof r);
	status = read_head(c, buf, &len, &r);
	if (status == 0) {
		snprintf(c->host, sizeof c->host, "%s", r.host);
		c->port = r.port;
		if (netpolicy_host(r.host, strlen(r.host), &h, &why) < 0)
			status = refuse(c, "deny", 400, "the target's host is not valid: %s",
					why ? why : "malformed");
	}
	if (status == 0) {
		snprintf(c->host, sizeof c->host, "%s", h.name);
		if (!netpolicy_allows(&c->px->pol, &h, r.port, &why))
			status = refuse(c, "deny", 403, "%s:%d is not allowed for user %s: %s", h.name,
					r.port, c->px->user, why ? why : "not on the allowlist");
	}
	if (status == 0)
		status = dial(c, &h, r.port);
	if (status > 0)
		respond(c, status);
	if (status != 0)
		return -1;
	c->event = "allow";
	return forward_head(c, buf, len, &r);
}

/* Gives back the stack pages the head and the lookup touched, below this frame, before a relay
 * that may last for hours: a tunnel then holds about two pages of stack. */
__attribute__((noinline)) static void stack_trim(void)
{
	uintptr_t end = ((uintptr_t)__builtin_frame_address(0) - 4096) & ~(uintptr_t)4095;
	pthread_attr_t a;
	void *lo;
	size_t size;

	if (pthread_getattr_np(pthread_self(), &a))
		return;
	if (!pthread_attr_getstack(&a, &lo, &size) && end > (uintptr_t)lo)
		madvise(lo, end - (uintptr_t)lo, MADV_DONTNEED);
	pthread_attr_destroy(&a);
}

/* The connection's one syslog line. */
static void log_conn(const struct conn *c)
{
	char u[160], n[320], h[NETPOL_HOST_MAX * 4 + 8], why[sizeof c->why * 4 + 8];
	const struct proxy *px = c->px;
	int deny = strcmp(c->event, "allow") != 0;

	syslog(LOG_INFO, "%s user=%s unit=%s host=%s port=%d addr=%s sent=%llu received=%llu ms=%lld%s%s",
	       c->event, audit_quote(px->user, u, sizeof u), audit_quote(px->unit, n, sizeof n),
	       c->host[0] ? audit_quote(c->host, h, sizeof h) : "-", c->port,
	       c->addr[0] ? c->addr : "-", c->sent, c->received, now_ms() - c->start,
	       deny ? " reason=" : "", deny ? audit_quote(c->why, why, sizeof why) : "");
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct proxy *px = c->px;

	if (open_tunnel(c) == 0) {
		stack_trim();
		relay(c);
	}
	log_conn(c);
	close(c->cfd);
	if (c->ufd >= 0)
		close(c->ufd);
	free(c);
	sem_post(&px->slots);
	return NULL;
}

/* Starts the thread of an accepted connection; on failure closes it (slot released). */
static void start_conn(struct proxy *px, pthread_attr_t *attr, int fd)
{
	struct conn *c = calloc(1, sizeof *c);
	char u[160], n[320];
	pthread_t t;

	if (c) {
		c->px = px;
		c->cfd = fd;
		c->ufd = -1;
		c->start = now_ms();
		c->event = "deny";
		set_nodelay(fd);
		if (pthread_create(&t, attr, conn_main, c) == 0)
			return;
		free(c);
	}
	syslog(LOG_WARNING, "fail user=%s unit=%s reason=\"no memory or thread for a connection\"",
	       audit_quote(px->user, u, sizeof u), audit_quote(px->unit, n, sizeof n));
	close(fd);
	sem_post(&px->slots);
}

/* Accepts forever; returns only when the listening socket is unusable (errno set). */
static int serve(struct proxy *px)
{
	pthread_attr_t attr;
	int fd;

	if (pthread_attr_init(&attr) || pthread_attr_setstacksize(&attr, STACK_SIZE) ||
	    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED))
		return errno = ENOMEM, -1;
	for (;;) {
		while (sem_wait(&px->slots))
			;
		fd = accept4(px->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			start_conn(px, &attr, fd);
			continue;
		}
		sem_post(&px->slots);
		if (errno == EBADF || errno == EINVAL || errno == ENOTSOCK || errno == EOPNOTSUPP)
			return -1;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
			poll(NULL, 0, 100);
	}
}

/* The connection cap from the descriptor limit (the soft limit raised to the hard one). */
static unsigned conn_cap(void)
{
	struct rlimit rl;
	rlim_t n;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	n = rl.rlim_cur == RLIM_INFINITY ? PROXY_CONN_MAX
		: (rl.rlim_cur - PROXY_FDS_SPARE) / PROXY_FDS_PER_CONN;
	if (rl.rlim_cur < PROXY_FDS_SPARE + PROXY_FDS_PER_CONN)
		n = 1;
	return n > PROXY_CONN_MAX ? PROXY_CONN_MAX : (unsigned)n;
}

/* --listen ADDR:PORT (IPv4): a listening socket of our own. */
static int listen_on(const char *spec)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char host[INET_ADDRSTRLEN];
	const char *colon = strrchr(spec, ':');
	char *end;
	long port;
	int fd, one = 1;

	if (!colon || (size_t)(colon - spec) >= sizeof host)
		return errno = EINVAL, -1;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 1 || port > 65535 || inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return errno = EINVAL, -1;
	sa.sin_port = htons((unsigned short)port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, BACKLOG) == 0)
		return fd;
	one = errno;
	close(fd);
	return errno = one, -1;
}

/* --fd N: an inherited TCP socket, made to listen (it may already). */
static int inherited(const char *s)
{
	struct stat st;
	char *end;
	long fd = strtol(s, &end, 10);
	int type = 0;
	socklen_t len = sizeof type;

	if (*end || end == s || fd < 3 || fd > 65535)
		return errno = EINVAL, -1;
	if (fstat((int)fd, &st) || !S_ISSOCK(st.st_mode))
		return errno = ENOTSOCK, -1;
	if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &len) || type != SOCK_STREAM ||
	    listen((int)fd, BACKLOG))
		return errno = EINVAL, -1;
	fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	return (int)fd;
}

/* --report-fd N: a pipe's write end, made non-blocking; -1 for anything else. */
static int report_fd(const char *arg)
{
	struct stat st;
	char *end;
	long fd = strtol(arg, &end, 10);

	if (*end || fd < 3 || fd > 1023 || fstat((int)fd, &st) || !S_ISFIFO(st.st_mode) ||
	    fcntl((int)fd, F_SETFL, O_WRONLY | O_NONBLOCK) < 0)
		return -1;
	fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	return (int)fd;
}

static int usage(void)
{
	pi_say("usage: %s (--fd N | --listen ADDR:PORT) --user USER --unit UNIT "
	       "[--report-fd N] [--allow ENTRY]... [--deny ENTRY]...", pi_prog);
	return EXIT_USAGE;
}

/* Parses one --allow/--deny entry into list[*n]: 0, or -1 after saying which entry. */
static int add_entry(const char *opt, const char *text, struct netpolicy_entry *list, size_t *n)
{
	const char *why = "invalid";

	if (netpolicy_parse_entry(text, &list[*n], &why) < 0) {
		pi_say("%s '%s': %s", opt, text, why);
		return -1;
	}
	(*n)++;
	return 0;
}

/* Reads the options into px (entries into the two arrays, each argc long). */
static int parse_args(int argc, char **argv, struct proxy *px, struct netpolicy_entry *allow,
		      struct netpolicy_entry *deny, const char **fd, const char **addr)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (i + 1 >= argc)
			return usage();
		if (!strcmp(argv[i], "--fd"))
			*fd = argv[++i];
		else if (!strcmp(argv[i], "--listen"))
			*addr = argv[++i];
		else if (!strcmp(argv[i], "--user"))
			px->user = argv[++i];
		else if (!strcmp(argv[i], "--unit"))
			px->unit = argv[++i];
		else if (!strcmp(argv[i], "--report-fd"))
			px->report_fd = report_fd(argv[++i]);
		else if (!strcmp(argv[i], "--allow")) {
			if (add_entry(argv[i], argv[i + 1], allow, &px->pol.nallow) < 0)
				return EXIT_DENIED;
			i++;
		} else if (!strcmp(argv[i], "--deny")) {
			if (add_entry(argv[i], argv[i + 1], deny, &px->pol.ndeny) < 0)
				return EXIT_DENIED;
			i++;
		} else
			return usage();
	}
	if (!px->user || !px->unit || !*fd == !*addr)
		return usage();
	return 0;
}

/* Checks the identity, reads the options, opens the socket and serves. */
static int run(int argc, char **argv, struct proxy *px, struct netpolicy_entry *allow,
	       struct netpolicy_entry *deny)
{
	const char *fd = NULL, *addr = NULL;
	char u[160], n[320];
	int rc = parse_args(argc, argv, px, allow, deny, &fd, &addr);

	if (rc)
		return rc;
	px->lfd = fd ? inherited(fd) : listen_on(addr);
	if (px->lfd < 0) {
		pi_say("cannot listen on %s%s: %s", fd ? "fd " : "", fd ? fd : addr,
		       strerror(errno));
		return EXIT_DENIED;
	}
	px->pol.allow = allow;
	px->pol.deny = deny;
	px->cap = conn_cap();
	if (sem_init(&px->slots, 0, px->cap)) {
		pi_say("cannot count connections: %s", strerror(errno));
		return EXIT_DENIED;
	}
	audit_open("pi-proxy");
	syslog(LOG_INFO, "start user=%s unit=%s allow=%zu deny=%zu connections=%u",
	       audit_quote(px->user, u, sizeof u), audit_quote(px->unit, n, sizeof n),
	       px->pol.nallow, px->pol.ndeny, px->cap);
	serve(px);
	pi_say("cannot accept connections: %s", strerror(errno));
	return EXIT_DENIED;
}

int proxy_main(int argc, char **argv)
{
	struct proxy px = { .report_fd = -1 };
	struct netpolicy_entry *allow, *deny;
	int rc;

	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	allow = calloc((size_t)argc, sizeof *allow);
	deny = calloc((size_t)argc, sizeof *deny);
	if (!allow || !deny) {
		pi_say("out of memory");
		rc = EXIT_DENIED;
	} else {
		rc = run(argc, argv, &px, allow, deny);
	}
	free(allow);
	free(deny);
	return rc;
}
