/* coverwatch.h - keeps watch for a session on the covers cover.c mounted: tells when one is no longer where the unit looks. */
#ifndef COVERWATCH_H
#define COVERWATCH_H
#include <stddef.h>
#include "mounts.h"

/* At most this many steps (staged roots, pinned directories and covers) are watched per
 * launch: cover.c pins at most COVER_PINS_MAX directories, so only many roots could reach it. */
enum { COVERWATCH_MAX = 512 };

struct coverwatch_step {
	int parent;                    /* index of the step it is looked up in, or -1 */
	char *name;                    /* its name there (a staged root: its absolute path) */
	int fd;                        /* the step as found when armed (O_PATH) */
	int wd;                        /* a directory step's inotify watch, or -1 */
	unsigned long long mnt;        /* the id of the mount found there then */
	const char *path;              /* the user's path it stands for (borrowed) */
};

struct coverwatch {
	int fd;                        /* inotify on every directory of the way, or -1 */
	struct coverwatch_step *v;
	size_t n;
};

/* An empty watch (fd -1). */
void coverwatch_init(struct coverwatch *w);
/* Adds path (as cover_path covered it, with the same src) in every staged root holding it:
 * each directory on the way is watched for entries moved or removed, and the way is checked
 * now: each directory a mount point of its own (pinned), the entry the cover (src's file; an
 * empty read-only tmpfs). Returns 0, or -1 with errno (ESTALE: not the cover any more; E2BIG:
 * more than COVERWATCH_MAX steps). path is borrowed for the watch's life. */
int coverwatch_add(struct coverwatch *w, const struct mounts *m, char *const *roots,
		   const char *path, int src);
/* After the watch's fd polled readable: its events are read, and any that moved, removed or
 * replaced a step's name in its directory (even if something put it back since), a lost watch
 * or an overflowed queue counts as gone; then every step is looked up again in the one before
 * it. 0 when nothing is gone, else 1 with the user's path in *gone. */
int coverwatch_changed(struct coverwatch *w, const char **gone);
/* Closes and frees everything. */
void coverwatch_free(struct coverwatch *w);
#endif
