/* agentver.h - whether the agent starts: its node against engines.node, its --version as the agent account. */
#ifndef AGENTVER_H
#define AGENTVER_H
#include <limits.h>

#include "ident.h"

struct agentver {
	char node[PATH_MAX];          /* the first node on the agent's PATH, or "" */
	char node_version[32];        /* what it says to --version ("v20.20.2"), or "" */
	char package_json[PATH_MAX];  /* the agent's package.json, or "" */
	char engines[64];             /* its engines.node, or "" */
	int too_old;                  /* node_version is below what engines.node admits */
	int status;                   /* the agent's --version: exit status, 128+N by signal N,
				       * -1 not run (too_old, or it could not be started) */
	char out[512];                /* the last line it printed, control bytes as '?' */
};

/* As root: runs node --version, then (unless node is too old) agent --version, each as the
 * account `as` with PATH=path, a throwaway home and at most 30 s. -1 with errno when the
 * probe itself could not be made. */
int agentver_probe(const char *agent, const char *path, const struct ident *as,
		   struct agentver *v);
#endif
