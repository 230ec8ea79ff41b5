/* check.h - pi-runner --check (validate a config like visudo -c) and --explain (what a launch would do). */
#ifndef CHECK_H
#define CHECK_H
#include "plan.h"

/* --check [--offline] [FILE]. */
int check_config(int offline, const char *path);
/* Its grammar, read before anything acts: 0, or EXIT_USAGE after the usage. */
int check_args(int argc, char **argv, int *offline, const char **path);
/* --explain: what a launch would do and why, without doing it. */
int check_explain(struct run *r, char **args, size_t nargs);
#endif
