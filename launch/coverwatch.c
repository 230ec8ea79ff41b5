/* coverwatch.c - keeps watch for a session on the covers cover.c mounted: tells when one is no longer where the unit looks.
 *
 * MUST rules kept here:
 * - a cover is a mount on the user's own dentries: from a mount namespace made before the
 *   launch, where they are no mount points, the user can remove or rename them, and the kernel
 *   then detaches or moves the cover in every namespace, the unit's among them; that cannot be
 *   stopped, so every directory on the way from a staged root to a cover is watched (inotify:
 *   an entry moved or removed there, from any namespace) and each step looked up again;
 * - each step is looked up by fd in the one before it, never by path, no link followed, and
 *   must be the very mount (id) and file (device, inode) found when the watch was armed; the
 *   watch is armed right after the covers are mounted, before the unit starts, and checks
 *   that each step is what cover.c made (a pinned directory, the cover itself);
 * - the host's own way to each root holding a cover is watched too, from /: the unit binds
 *   the staged root at the root's path, and renaming the root or a directory above it moves
 *   that bind away (where the path is the host's, outside the unit's own tmpfs), so a rename
 *   of any directory on it ends the session, even one the unit would not have noticed;
 * - an event that moved, removed or replaced a step's name in its directory is the cover gone,
 *   even when the state is back by the time it is read (a swap and a swap back between two
 *   wakeups); so is a watch the kernel dropped (IN_IGNORED) and an overflowed queue;
 * - the work per wakeup is bounded: at most 64 reads of the queue, each event matched against
 *   the steps (at most COVERWATCH_MAX), then at most COVERWATCH_MAX lookups.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cover.h"
#include "coverwatch.h"
#include "policy.h"

#define COVERWATCH_EVENTS (IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE | IN_ONLYDIR)

void coverwatch_init(struct coverwatch *w)
{
	w->fd = -1;
	w->v = NULL;
	w->n = 0;
}

/* The step name in parent, found now: an existing step's index, or a new one's (its fd open,
 * its mount and inode recorded); -1 with errno. */
static int step(struct coverwatch *w, int parent, const char *name, const char *path)
{
	struct coverwatch_step *s;
	size_t i;
	int fd;

	for (i = 0; i < w->n; i++)
		if (w->v[i].parent == parent && !strcmp(w->v[i].name, name))
			return (int)i;
	if (w->n == COVERWATCH_MAX) {
		errno = E2BIG;
		return -1;
	}
	fd = openat(parent < 0 ? AT_FDCWD : w->v[parent].fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (!(w->n % 16)) {
		s = realloc(w->v, (w->n + 16) * sizeof *w->v);
		if (!s) {
			close(fd);
			return -1;
		}
		w->v = s;
	}
	s = &w->v[w->n];
	*s = (struct coverwatch_step){ .parent = parent, .fd = fd, .wd = -1, .path = path,
				       .mnt = cover_mount_id(fd), .name = strdup(name) };
	if (!s->name) {
		close(fd);
		return -1;
	}
	return (int)w->n++;
}

/* Whether step i is found in its parent as it was when armed: the same mount, the same file. */
static int same(const struct coverwatch *w, size_t i)
{
	const struct coverwatch_step *s = &w->v[i];
	struct stat a, b;
	int fd = openat(s->parent < 0 ? AT_FDCWD : w->v[s->parent].fd, s->name,
			O_PATH | O_NOFOLLOW | O_CLOEXEC), ok;

	if (fd < 0)
		return 0;
	ok = cover_mount_id(fd) == s->mnt && fstat(fd, &a) == 0 && fstat(s->fd, &b) == 0 &&
	     a.st_dev == b.st_dev && a.st_ino == b.st_ino;
	close(fd);
	return ok;
}

/* Whether step i sits on a mount of its own (a staged root has no parent to share one with). */
static int own_mount(const struct coverwatch *w, int i)
{
	const struct coverwatch_step *s = &w->v[i];

	return s->parent < 0 || !s->mnt || s->mnt != w->v[s->parent].mnt;
}

/* A directory step: watched; when pinned, a mount point of its own (cover.c bound it). */
static int watch_dir(struct coverwatch *w, int i, int pinned)
{
	char proc[40];
	struct coverwatch_step *s = &w->v[i];

	if (pinned && !own_mount(w, i)) {
		errno = ESTALE;
		return -1;
	}
	if (s->wd >= 0)
		return 0;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", s->fd);
	s->wd = inotify_add_watch(w->fd, proc, COVERWATCH_EVENTS);
	return s->wd < 0 ? -1 : 0;
}

/* The steps from the directory from (absolute) down rel, each directory on the way watched
 * (pinned: each a mount point of its own): the last step's index, or -1 with errno. */
static int walk(struct coverwatch *w, const char *from, const char *rel, const char *path,
		int pinned)
{
	char buf[4096], *p, *next;
	int at = step(w, -1, from, path);

	if (at < 0 || snprintf(buf, sizeof buf, "%s", rel) >= (int)sizeof buf) {
		errno = at < 0 ? errno : ENAMETOOLONG;
		return -1;
	}
	for (p = buf; *p; p = next) {
		next = strchr(p, '/');
		next = next ? (*next = '\0', next + 1) : p + strlen(p);
		if (watch_dir(w, at, pinned) < 0 || (at = step(w, at, p, path)) < 0)
			return -1;
	}
	return at;
}

/* path at rel beneath the staged root staged: each directory pinned and watched, the last
 * step the cover. */
static int add_one(struct coverwatch *w, const char *staged, const char *rel, const char *path,
		   int src)
{
	struct stat want;
	int at = walk(w, staged, rel, path, 1);

	if (at < 0 || (src >= 0 && fstat(src, &want) < 0))
		return -1;
	if (!same(w, (size_t)at) || cover_is(w->v[at].fd, src >= 0 ? &want : NULL) < 0 ||
	    !own_mount(w, at)) {
		errno = ESTALE;
		return -1;
	}
	return 0;
}

/* The host's own way to root (resolved, absolute), from /: each directory on it watched, the
 * root the last step. The unit binds the staged root at root's path; where that path is the
 * host's (outside the unit's own tmpfs), renaming root or a directory above it, from any
 * namespace where it is no mount point, moves the unit's bind away and leaves the path to her. */
static int add_host(struct coverwatch *w, const char *root, const char *path)
{
	return walk(w, "/", root + 1, path, 0) < 0 ? -1 : 0;
}

int coverwatch_add(struct coverwatch *w, const struct mounts *m, char *const *roots,
		   const char *path, int src)
{
	size_t i, len;

	if (w->fd < 0 && (w->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return -1;
	for (i = 0; i < m->n; i++) {
		if (!policy_within(path, roots[i]))
			continue;
		len = strlen(roots[i]);
		if (add_one(w, m->staged[i], path[len] ? path + len + 1 : "", path, src) < 0 ||
		    add_host(w, roots[i], path) < 0)
			return -1;
	}
	return 0;
}

/* The step that event e moved, removed or replaced, or -1: a step whose directory's watch is
 * e's and whose name is e's. A dropped watch or an overflowed queue is the first step. */
static int hit(const struct coverwatch *w, const struct inotify_event *e)
{
	size_t i;

	if (e->mask & (IN_Q_OVERFLOW | IN_IGNORED | IN_UNMOUNT))
		return 0;
	if (!e->len)
		return -1;
	for (i = 0; i < w->n; i++)
		if (w->v[i].parent >= 0 && w->v[w->v[i].parent].wd == e->wd &&
		    !strcmp(w->v[i].name, e->name))
			return (int)i;
	return -1;
}

int coverwatch_changed(struct coverwatch *w, const char **gone)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *e;
	ssize_t len, off;
	size_t i;
	int reads = 0, at;

	/* at most 64 reads a wakeup: what a flood leaves queued wakes the next poll */
	while (reads++ < 64 && (len = read(w->fd, buf, sizeof buf)) > 0)
		for (off = 0; off + (ssize_t)sizeof *e <= len; off += (ssize_t)(sizeof *e + e->len)) {
			e = (const struct inotify_event *)(buf + off);
			if ((at = hit(w, e)) >= 0) {
				*gone = w->n ? w->v[at].path : "";
				return 1;
			}
		}
	for (i = 0; i < w->n; i++)
		if (!same(w, i)) {
			*gone = w->v[i].path;
			return 1;
		}
	return 0;
}

void coverwatch_free(struct coverwatch *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		close(w->v[i].fd);
		free(w->v[i].name);
	}
	free(w->v);
	if (w->fd >= 0)
		close(w->fd);
	coverwatch_init(w);
}
