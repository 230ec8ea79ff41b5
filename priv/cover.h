/* cover.h - mounts what a unit is shown of its project's own files inside the staged roots, by fd: the merged settings, the hidden directories. */
#ifndef COVER_H
#define COVER_H
#include "mounts.h"

/* Covers path (resolved, a file or directory under roots[i], staged at m->staged[i]) in every
 * staged root that holds it: with src >= 0 (an open regular file of root's) by a read-only
 * bind of that file over the regular file there, with src < 0 by an empty read-only tmpfs
 * over the directory there. The way down from the root is walked with no link followed. Returns how many roots were covered (0: path lies in none), or -1 with
 * errno: ELOOP a link on the way or at path, ENOENT gone, ENOTDIR or EISDIR the other kind. */
int cover_path(const struct mounts *m, char *const *roots, const char *path, int src);
#endif
