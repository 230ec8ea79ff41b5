/* prepare.h - pi-runner's preparation of the agent's state: home, config copy, settings, env file, links. */
#ifndef PREPARE_H
#define PREPARE_H
#include "plan.h"

/* Agent home, config copy, settings.json, env file and project links. Returns 0, or -1
 * after saying why through r->say. Takes the per-user lock, kept in r->lock_fd. */
int prepare_run(struct run *r);
#endif
