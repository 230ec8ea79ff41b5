/* proxyload.c - the proxy benchmark's origin and clients: request latency, tunnel throughput, many tunnels at once.
 *
 * usage: proxyload serve                          prints "HTTP_PORT SINK_PORT", serves until killed
 *        proxyload port                           prints a free port on 127.0.0.1
 *        proxyload wait PORT                      returns once PORT accepts (at most 10 s)
 *        proxyload latency N HTTP_PORT PROXY_PORT N requests each way, in turn, each on a new
 *                                                 connection: "direct_us proxied_us" (medians)
 *        proxyload throughput MIB SINK_PORT PROXY_PORT
 *                                                 MIB MiB into the sink, direct and through a
 *                                                 CONNECT tunnel, 5 times each in turn:
 *                                                 "direct_MBps proxied_MBps" (medians)
 *        proxyload hold N MIB SINK_PORT PROXY_PORT [HOST]
 *                                                 N tunnels (to HOST, 127.0.0.1 by default)
 *                                                 opened first, then MIB MiB through each at
 *                                                 once: "ok"
 * The origin answers any request head with a 200 and closes; the sink reads to EOF, then
 * answers the byte count (8 bytes) and closes. Exit 0, 1 (a failure), 2 (usage).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum { RUNS = 5, MAX_N = 100000, CHUNK = 256 * 1024 };

static char chunk[CHUNK];

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static int dial(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

static int listener(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4096) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		die("listen");
	*port = ntohs(sa.sin_port);
	return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	for (; n > 0; p += w, n -= (size_t)w)
		if ((w = send(fd, p, n, MSG_NOSIGNAL)) <= 0)
			die("send");
}

/* Reads until the blank line (a head) or EOF; returns the bytes read. */
static size_t read_head(int fd, char *buf, size_t n)
{
	size_t len = 0;
	ssize_t r;

	while (len + 1 < n && (r = recv(fd, buf + len, n - 1 - len, 0)) > 0) {
		len += (size_t)r;
		buf[len] = '\0';
		if (strstr(buf, "\r\n\r\n"))
			break;
	}
	buf[len] = '\0';
	return len;
}

static void *origin_conn(void *arg)
{
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
	int fd = (int)(intptr_t)arg;
	char buf[4096];

	if (read_head(fd, buf, sizeof buf) > 0)
		send(fd, ok, sizeof ok - 1, MSG_NOSIGNAL);
	close(fd);
	return NULL;
}

static void *sink_conn(void *arg)
{
	int fd = (int)(intptr_t)arg;
	uint64_t total = 0;
	ssize_t r;
	char *buf = malloc(CHUNK);

	while (buf && (r = recv(fd, buf, CHUNK, 0)) > 0)
		total += (uint64_t)r;
	send(fd, &total, sizeof total, MSG_NOSIGNAL);
	close(fd);
	free(buf);
	return NULL;
}

struct acceptor { int fd; void *(*fn)(void *); };

static __attribute__((noreturn)) void *accept_loop(void *arg)
{
	struct acceptor *a = arg;
	pthread_attr_t attr;
	pthread_t t;
	int fd;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (;;)
		if ((fd = accept4(a->fd, NULL, NULL, SOCK_CLOEXEC)) >= 0 &&
		    pthread_create(&t, &attr, a->fn, (void *)(intptr_t)fd) != 0)
			close(fd);
}

static int serve(void)
{
	static struct acceptor http, sink;
	int hp, sp;
	pthread_t t;

	http = (struct acceptor){ listener(&hp), origin_conn };
	sink = (struct acceptor){ listener(&sp), sink_conn };
	printf("%d %d\n", hp, sp);
	fflush(stdout);
	pthread_create(&t, NULL, accept_loop, &sink);
	accept_loop(&http);
	return 0;
}

static const char *target = "127.0.0.1";

/* A tunnel to target:port through the proxy (its 200 read). */
static int tunnel(int proxy, int port)
{
	char buf[512];
	int fd = dial(proxy);

	snprintf(buf, sizeof buf, "CONNECT %s:%d HTTP/1.1\r\nHost: %s:%d\r\n\r\n", target, port,
		 target, port);
	send_all(fd, buf, strlen(buf));
	if (read_head(fd, buf, sizeof buf) == 0 || strncmp(buf, "HTTP/1.1 200 ", 13)) {
		fprintf(stderr, "proxyload: CONNECT refused: %s\n", buf);
		exit(1);
	}
	return fd;
}

/* One request on a new connection; returns its microseconds. */
static double request(int port, int proxy)
{
	char req[256], buf[4096];
	double t0 = now_us();
	int fd = dial(proxy ? proxy : port);

	if (proxy)
		snprintf(req, sizeof req, "GET http://127.0.0.1:%d/ HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", port, port);
	else
		snprintf(req, sizeof req, "GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n", port);
	send_all(fd, req, strlen(req));
	read_head(fd, buf, sizeof buf);
	while (recv(fd, req, sizeof req, 0) > 0)
		;
	close(fd);
	if (strncmp(buf, "HTTP/1.1 200 ", 13)) {
		fprintf(stderr, "proxyload: request failed: %s\n", buf);
		exit(1);
	}
	return now_us() - t0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp);
	return v[n / 2];
}

static int latency(int n, int port, int proxy)
{
	double *d = calloc((size_t)n, sizeof *d), *p = calloc((size_t)n, sizeof *p);
	int i;

	if (!d || !p)
		die("calloc");
	for (i = 0; i < 50; i++)
		request(port, 0), request(port, proxy);
	for (i = 0; i < n; i++) {
		d[i] = request(port, 0);
		p[i] = request(port, proxy);
	}
	printf("%.1f %.1f\n", median(d, n), median(p, n));
	return 0;
}

/* Half-closes fd and checks that the sink counted want bytes. */
static void finish(int fd, uint64_t want)
{
	uint64_t got = 0;

	shutdown(fd, SHUT_WR);
	if (recv(fd, &got, sizeof got, MSG_WAITALL) != sizeof got || got != want) {
		fprintf(stderr, "proxyload: the sink got %llu of %llu bytes\n",
			(unsigned long long)got, (unsigned long long)want);
		exit(1);
	}
	close(fd);
}

/* Sends mib MiB on fd, then finish. */
static void pump(int fd, long mib)
{
	long i;

	for (i = 0; i < mib * (1 << 20) / CHUNK; i++)
		send_all(fd, chunk, CHUNK);
	finish(fd, (uint64_t)mib << 20);
}

static double mbps(long mib, int port, int proxy)
{
	int fd = proxy ? tunnel(proxy, port) : dial(port);
	double t0 = now_us();

	pump(fd, mib);
	return (double)(mib << 20) / (now_us() - t0);
}

static int throughput(long mib, int port, int proxy)
{
	double d[RUNS], p[RUNS];
	int i;

	mbps(mib / 4 + 1, port, 0);
	mbps(mib / 4 + 1, port, proxy);
	for (i = 0; i < RUNS; i++) {
		d[i] = mbps(mib, port, 0);
		p[i] = mbps(mib, port, proxy);
	}
	printf("%.0f %.0f\n", median(d, RUNS), median(p, RUNS));
	return 0;
}

/* n tunnels open at once; mib MiB through each, interleaved; every count checked. */
static int hold(int n, long mib, int port, int proxy)
{
	int *fd = calloc((size_t)n, sizeof *fd), i, left = n;
	long *sent = calloc((size_t)n, sizeof *sent);
	struct pollfd *pf = calloc((size_t)n, sizeof *pf);
	ssize_t w;

	if (!fd || !sent || !pf)
		die("calloc");
	for (i = 0; i < n; i++)
		fd[i] = tunnel(proxy, port);
	while (left > 0) {
		for (i = 0; i < n; i++)
			pf[i] = (struct pollfd){ .fd = sent[i] < mib << 20 ? fd[i] : -1, .events = POLLOUT };
		if (poll(pf, (nfds_t)n, 10000) <= 0)
			die("poll");
		for (i = 0; i < n; i++) {
			if (!(pf[i].revents & POLLOUT))
				continue;
			w = send(fd[i], chunk, 65536, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (w < 0)
				die("send");
			if ((sent[i] += w) >= mib << 20)
				left--;
		}
	}
	for (i = 0; i < n; i++)
		finish(fd[i], (uint64_t)sent[i]);
	printf("ok\n");
	return 0;
}

static int wait_port(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	double end = now_us() + 10e6;
	int fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while (now_us() < end) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			return close(fd), 0;
		close(fd);
		poll(NULL, 0, 10);
	}
	fprintf(stderr, "proxyload: nothing listens on %d\n", port);
	return 1;
}

int main(int argc, char **argv)
{
	int port;

	signal(SIGPIPE, SIG_IGN);
	if (argc == 2 && !strcmp(argv[1], "serve"))
		return serve();
	if (argc == 2 && !strcmp(argv[1], "port")) {
		close(listener(&port));
		return printf("%d\n", port) < 0;
	}
	if (argc == 3 && !strcmp(argv[1], "wait"))
		return wait_port(atoi(argv[2]));
	if (argc == 5 && !strcmp(argv[1], "latency"))
		return latency(atoi(argv[2]) > 0 && atoi(argv[2]) <= MAX_N ? atoi(argv[2]) : 1,
			       atoi(argv[3]), atoi(argv[4]));
	if (argc == 5 && !strcmp(argv[1], "throughput"))
		return throughput(atol(argv[2]), atoi(argv[3]), atoi(argv[4]));
	if (argc == 7 && !strcmp(argv[1], "hold"))
		target = argv[6];
	if (argc >= 6 && argc <= 7 && !strcmp(argv[1], "hold"))
		return hold(atoi(argv[2]) > 0 && atoi(argv[2]) <= MAX_N ? atoi(argv[2]) : 1,
			    atol(argv[3]), atoi(argv[4]), atoi(argv[5]));
	fputs("usage: proxyload serve | port | wait PORT | latency N HTTP PROXY | "
	      "throughput MIB SINK PROXY | hold N MIB SINK PROXY\n", stderr);
	return 2;
}
