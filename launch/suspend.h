/* suspend.h - the agent's Ctrl-Z, as the unit's main process announces it: a watch on the agent home that believes only that process. */
#ifndef SUSPEND_H
#define SUSPEND_H
#include <sys/types.h>

/* A watch (fanotify, reporting who acted) for files created in the directory dirfd, its
 * readiness seen by poll (fanotify sends no SIGIO); or -1 with errno (no fanotify here: then
 * there is no suspending, the agent's stops are undone in the unit). */
int suspend_watch(int dirfd);
/* Reads every pending event of the watch: 1 when one of them is the creation of name by the
 * process main_pid asks for (asked at most once per call, and only for such a creation), 0
 * when none is, -1 on error. main_pid returns the pid, or 0 when it is not known. */
int suspend_marked(int fd, const char *name, pid_t (*main_pid)(void *), void *ctx);
#endif
