/* cover.h - mounts what a unit is shown of its project's own files inside the staged roots, by fd: the merged settings, the hidden directories. */
#ifndef COVER_H
#define COVER_H
#include <sys/stat.h>
#include "mounts.h"

/* At most this many directories are pinned per launch (m->pins): each is a mount in the host's
 * namespace, whose fs.mount-max every user shares. */
enum { COVER_PINS_MAX = 128 };

/* Covers path (resolved, a file or directory under roots[i], staged at m->staged[i]) in every
 * staged root that holds it: with src >= 0 (an open regular file of root's) by a read-only
 * bind of that file over the regular file there, with src < 0 by an empty read-only tmpfs
 * over the directory there. The way down from the root is walked with no link followed. Returns how many roots were covered (0: path lies in none), or -1 with
 * errno: ELOOP a link on the way or at path, ENOENT gone, ENOTDIR or EISDIR the other kind,
 * EMLINK more than COVER_PINS_MAX directories pinned. */
int cover_path(struct mounts *m, char *const *roots, const char *path, int src);
/* Whether fd (opened O_PATH) is a cover: with want the regular file it describes (device and
 * inode), else an empty tmpfs; either read-only. 0, or -1 with errno (ESTALE: it is not). */
int cover_is(int fd, const struct stat *want);
/* The id of the mount fd lies on, or 0 when the kernel cannot say (statx before 5.8). */
unsigned long long cover_mount_id(int fd);
#endif
