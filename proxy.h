/* proxy.h - the allowlist unit's forward proxy: pi-proxy, started by the runner as the proxy account. */
#ifndef PROXY_H
#define PROXY_H

/* The name the runner starts the proxy under (argv[0] of /proc/self/exe); pi.c refuses it
 * root, a root group and any capability. */
#define PROXY_NAME "pi-proxy"
enum { PROXY_PORT = 3128 };   /* on 127.0.0.1 in the unit's own network namespace */

/* pi-proxy (--fd N | --listen ADDR:PORT) --user USER --unit UNIT
 *          [--allow ENTRY]... [--deny ENTRY]...
 * Returns the exit code. */
int proxy_main(int argc, char **argv);
#endif
