/* proxy.h - the allowlist unit's forward proxy: pi-runner --proxy, started by the runner as the proxy account. */
#ifndef PROXY_H
#define PROXY_H

#define PROXY_FLAG "--proxy"
enum { PROXY_PORT = 3128 };   /* on 127.0.0.1 in the unit's own network namespace */

/* pi-runner --proxy (--fd N | --listen ADDR:PORT) --user USER --unit UNIT
 *                   [--allow ENTRY]... [--deny ENTRY]...
 * Refuses to run as root or with any capability. Returns the exit code. */
int proxy_main(int argc, char **argv);
#endif
