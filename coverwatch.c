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
 * - the work per wakeup is bounded: at most 64 reads of the queue, its events dropped unread,
 *   then at most COVERWATCH_MAX lookups, however many events there were.
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
	*s = (struct coverwatch_step){ .parent = parent, .fd = fd, .path = path,
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

/* A directory step: watched, and (but a staged root) a mount point of its own, pinned. */
static int watch_dir(struct coverwatch *w, int i)
{
	char proc[40];
	const struct coverwatch_step *s = &w->v[i];

	if (s->parent >= 0 && s->mnt && s->mnt == w->v[s->parent].mnt) {
		errno = ESTALE;
		return -1;
	}
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", s->fd);
	return inotify_add_watch(w->fd, proc, COVERWATCH_EVENTS) < 0 ? -1 : 0;
}

/* path at rel beneath the staged root staged: each directory watched, the last step the
 * cover. */
static int add_one(struct coverwatch *w, const char *staged, const char *rel, const char *path,
		   int src)
{
	char buf[4096], *p, *next;
	struct stat want;
	int at = step(w, -1, staged, path);

	if (at < 0 || snprintf(buf, sizeof buf, "%s", rel) >= (int)sizeof buf) {
		errno = at < 0 ? errno : ENAMETOOLONG;
		return -1;
	}
	for (p = buf; *p; p = next) {
		next = strchr(p, '/');
		next = next ? (*next = '\0', next + 1) : p + strlen(p);
		if (watch_dir(w, at) < 0 || (at = step(w, at, p, path)) < 0)
			return -1;
	}
	if (src >= 0 && fstat(src, &want) < 0)
		return -1;
	if (!same(w, (size_t)at) || cover_is(w->v[at].fd, src >= 0 ? &want : NULL) < 0 ||
	    (w->v[at].parent >= 0 && w->v[at].mnt && w->v[at].mnt == w->v[w->v[at].parent].mnt)) {
		errno = ESTALE;
		return -1;
	}
	return 0;
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
		if (add_one(w, m->staged[i], path[len] ? path + len + 1 : "", path, src) < 0)
			return -1;
	}
	return 0;
}

int coverwatch_changed(struct coverwatch *w, const char **gone)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	size_t i;
	int reads = 0;

	/* at most 64 reads a wakeup: what a flood leaves queued wakes the next poll */
	while (reads++ < 64 && read(w->fd, buf, sizeof buf) > 0)
		;
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
