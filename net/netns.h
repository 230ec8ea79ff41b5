/* netns.h - the network namespace of an allowlist unit (only loopback) and the proxy that is its one way out. */
#ifndef NETNS_H
#define NETNS_H
#include <sys/types.h>
#include "config.h"
#include "ident.h"

struct netns {
	int ns_fd;        /* the namespace, held open for the unit to join */
	int listen_fd;    /* the proxy's socket: 127.0.0.1:PROXY_PORT inside it */
	pid_t proxy;      /* the proxy's pid while it runs, else 0 */
	int report_fd;    /* a pipe's write end the proxy reports refusals to (its fd 5), or -1 */
	char path[64];    /* /proc/<runner pid>/fd/<ns_fd>: the unit's NetworkNamespacePath= */
};

/* The proxy account, proxyUser, into id: an account of its own, so that no agent can signal,
 * trace or read the proxy. Returns 0, or -1 with errno ENOENT (no such account; or what the
 * lookup failed with) or EPERM (root's uid or gid, or the uid of a host user or an agent
 * account). */
int netns_proxy_account(const struct config *c, struct ident *id);
/* Makes a namespace with loopback up and the proxy's listening socket in it, leaving the
 * calling thread in the namespace it was in. Returns 0, or -1 with errno and *step
 * ("bring up loopback"). */
int netns_create(struct netns *n, const char **step);
/* Forks the proxy: the listening socket as fd 3, stdio on /dev/null, its own session, no
 * other fd, every resource limit set (netns.c's table: none is the caller's), the proxy
 * account's uid and gid alone (no capability, no supplementary group), no_new_privs, killed
 * when the caller dies; then execs this binary with argv and an empty environment. Returns 0,
 * or -1 with errno (the child's, when it failed before the exec) and, when setting a limit
 * failed, *step naming it ("set its process limit (ulimit -u) to init's"; else NULL). */
int netns_start_proxy(struct netns *n, const struct ident *id, char *const *argv,
		      const char **step);
/* Kills and reaps the proxy and closes what netns_create opened. */
void netns_release(struct netns *n);
/* Asks the proxy serving n, from inside its namespace, to CONNECT to target ("host:port"):
 * 0 with the answer's status code in *code; -1 with errno (ETIMEDOUT: no answer in 5 s);
 * -2 when the calling thread could not return to its own namespace (it must stop). */
int netns_ask_proxy(const struct netns *n, const char *target, int *code);
#endif
