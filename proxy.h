/* proxy.h - the allowlist unit's forward proxy: pi-proxy, started by the runner as the proxy account. */
#ifndef PROXY_H
#define PROXY_H

/* The name the runner starts the proxy under (argv[0] of /proc/self/exe); pi.c refuses it
 * root, a root group and any capability. */
#define PROXY_NAME "pi-proxy"
enum {
	PROXY_PORT = 3128,          /* on 127.0.0.1 in the unit's own network namespace */
	PROXY_CONN_MAX = 1024,      /* connections at once, one thread each; the rest wait */
	PROXY_FDS_PER_CONN = 6,     /* client, upstream, a pipe each way */
	PROXY_FDS_SPARE = 32,       /* stdio, the listener, the log, a lookup's sockets */
	/* the descriptor limit the runner gives the proxy: room for PROXY_CONN_MAX connections */
	PROXY_NOFILE = PROXY_FDS_SPARE + PROXY_FDS_PER_CONN * PROXY_CONN_MAX,
};

/* pi-proxy (--fd N | --listen ADDR:PORT) --user USER --unit UNIT
 *          [--allow ENTRY]... [--deny ENTRY]...
 * Returns the exit code. */
int proxy_main(int argc, char **argv);
#endif
