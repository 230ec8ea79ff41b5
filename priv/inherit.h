/* inherit.h - what a process of ours takes over from its caller: signal state reset, stdio checked, limits set. */
#ifndef INHERIT_H
#define INHERIT_H
#include <stddef.h>

/* Every signal's disposition back to the default, and an empty signal mask. */
void inherit_reset_signals(void);
/* Closes every fd from first up (close_range, else one by one): what a child of ours execs
 * with holds only the fds it was given below first. */
void inherit_close_from(int first);
/* Checks fds 0-2: each must be a terminal, pipe, socket, regular file or character device,
 * and not an O_PATH fd; a closed one is opened on /dev/null. On a refusal returns the fd
 * and puts the reason in why; 0 ... 2 are valid returns, so success is -1. */
int inherit_check_stdio(char *why, size_t n);
/* The runner's own limits and umask: no core dumps, no file-size, address-space or data
 * limit a caller could use to make root's writes fail halfway, room for fds; umask 022.
 * On failure *which names the limit that could not be set. */
int inherit_reset_limits(const char **which);
#endif
