/* cover.c - mounts what a unit is shown of its project's own files inside the staged roots, by fd: the merged settings, the hidden directories.
 *
 * MUST rules kept here:
 * - the covered file or directory is found beneath the staged clone of each root that holds
 *   it, no link followed (fs_open_beneath): a link, a missing entry or the other kind there
 *   fails the launch; nothing there is read (root walks it: an idmapped clone shows the
 *   user's own directories as the agent's);
 * - the mount goes onto that opened entry (/proc/self/fd/N), never onto a path: systemd binds
 *   the staged root with what covers it and resolves nothing the user controls;
 * - each directory between the root and the entry is bound onto itself on the way down, and
 *   the entry covered: mount points, which no one can rename, remove or replace while the
 *   unit runs, so the path the agent reads leads to the cover for the unit's life;
 * - a directory an earlier cover pinned is not bound again: a launch makes one mount per
 *   directory on the covered paths and one per cover, never copies of what lies beneath
 *   (the host's namespace holds at most fs.mount-max mounts, for every user);
 * - what was mounted is checked on the entry looked up again, after any rename in its directory
 *   that was under way when it was mounted has ended (settle): the settings are root's file,
 *   read-only, nosuid, nodev, noexec; a hidden directory an empty read-only tmpfs;
 * - a staged root is a slave of the user's tree before anything covers it (mounts.c), so no
 *   cover reaches the user's own view of the project.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cover.h"
#include "fs.h"
#include "policy.h"

#define COVER_TMPFS_MAGIC 0x01021994UL

static void close_keep_errno(int fd)
{
	int err = errno;

	if (fd >= 0)
		close(fd);
	errno = err;
}

static int mount_fd(int from, int to, const char *type, unsigned long flags, const char *data)
{
	char src[40], dst[40];

	snprintf(src, sizeof src, "/proc/self/fd/%d", from);
	snprintf(dst, sizeof dst, "/proc/self/fd/%d", to);
	return mount(from >= 0 ? src : type, dst, type, flags, data);
}

/* Waits for any rename or removal in the directory dirfd that is under way: the kernel checks
 * that the entry it moves is no mount point before it moves it, holding the directory's lock
 * until it has, and reading the directory takes that lock. A mount made on the entry in
 * between would otherwise be moved away after its check. */
static int settle(int dirfd)
{
	char buf[512];
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = syscall(SYS_getdents64, fd, buf, sizeof buf) < 0 ? -1 : 0;
	close_keep_errno(fd);
	return rc;
}

/* The kernel's struct statx as far as stx_mnt_id (musl declares none), padded to its size. */
struct kstatx {
	uint32_t mask, blksize;
	uint64_t attributes;
	uint32_t nlink, uid, gid;
	uint16_t mode, pad0;
	uint64_t ino, size, blocks, attributes_mask;
	struct { int64_t sec; uint32_t nsec; int32_t pad; } atime, btime, ctime, mtime;
	uint32_t rdev_major, rdev_minor, dev_major, dev_minor;
	uint64_t mnt_id;
	uint64_t spare[13];
};
#define COVER_STATX_MNT_ID 0x1000U

unsigned long long cover_mount_id(int fd)
{
	struct kstatx sx;

	if (syscall(SYS_statx, fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW, COVER_STATX_MNT_ID,
		    &sx) < 0 || !(sx.mask & COVER_STATX_MNT_ID))
		return 0;
	return sx.mnt_id;
}

/* Whether fd (the directory name in parent, opened) is pinned already: the root of a bind of
 * parent's own filesystem stacked on it (an earlier cover's pin). Binding it again, with
 * everything mounted below it, copied every pin and cover beneath at each level of each
 * covered path: a deep cwd with a few .agents made tens of thousands of mounts in the host's
 * namespace, whose fs.mount-max (100,000) every user shares. */
static int pinned(int parent, int fd, const struct stat *st)
{
	struct stat p;
	unsigned long long a = cover_mount_id(parent), b = cover_mount_id(fd);

	return a && b && a != b && fstat(parent, &p) == 0 && p.st_dev == st->st_dev;
}

/* Moves *dirfd into its directory name, no link followed, bound onto itself first (unless an
 * earlier cover pinned it): a mount point that no one can rename, remove or replace while
 * the unit runs. */
static int pin_step(int *dirfd, const char *name, size_t *pins)
{
	struct stat a, b, l;
	int fd = openat(*dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), in = -1;

	if (fd < 0 && errno == ENOTDIR && fstatat(*dirfd, name, &l, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(l.st_mode))
		errno = ELOOP;
	if (fd >= 0 && fstat(fd, &a) == 0 && pinned(*dirfd, fd, &a)) {
		close(*dirfd);
		*dirfd = fd;
		return 0;
	}
	if (fd >= 0 && *pins >= COVER_PINS_MAX) {
		close(fd);
		errno = EMLINK;
		return -1;
	}
	if (fd >= 0)
		++*pins;
	if (fd < 0 || fstat(fd, &a) < 0 || mount_fd(fd, fd, NULL, MS_BIND | MS_REC, NULL) < 0 ||
	    settle(*dirfd) < 0 || (in = openat(*dirfd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fstat(in, &b) < 0) {
		close_keep_errno(fd);
		close_keep_errno(in);
		return -1;
	}
	close(fd);
	if (a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
		close(in);
		errno = ESTALE;
		return -1;
	}
	close(*dirfd);
	*dirfd = in;
	return 0;
}

/* The directory holding rel beneath the staged root at staged (rel's last component into
 * *base), each directory on the way pinned (pin_step). rel "" is the staged root itself: its
 * parent is the staging dir. */
static int open_parent(const char *staged, const char *rel, char *dir, size_t n,
		       const char **base, size_t *pins)
{
	const char *slash = strrchr(rel, '/');
	char *p, *next;
	int fd;

	if (!*rel) {
		slash = strrchr(staged, '/');
		snprintf(dir, n, "%.*s", (int)(slash - staged), staged);
		*base = slash + 1;
		return open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	}
	*base = slash ? slash + 1 : rel;
	fd = open(staged, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !slash)
		return fd;
	if ((size_t)(slash - rel) >= n) {
		close(fd);
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(dir, n, "%.*s", (int)(slash - rel), rel);
	for (p = dir; p; p = next) {
		next = strchr(p, '/');
		if (next)
			*next++ = '\0';
		if (!*p || !strcmp(p, ".") || !strcmp(p, "..") ? (errno = EXDEV, -1) :
		    pin_step(&fd, p, pins) < 0) {
			close_keep_errno(fd);
			return -1;
		}
	}
	return fd;
}

/* The entry base in parent, not followed, checked to be a regular file (want_file) or a
 * directory. */
static int open_entry(int parent, const char *base, int want_file)
{
	struct stat st;
	int fd = openat(parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		err = errno;
	else if (S_ISLNK(st.st_mode))
		err = ELOOP;
	else if (want_file && !S_ISREG(st.st_mode))
		err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
	else if (!want_file && !S_ISDIR(st.st_mode))
		err = ENOTDIR;
	if (err) {
		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

int cover_is(int fd, const struct stat *want)
{
	struct stat a;
	struct statvfs sv;
	struct statfs sf;

	if (fstat(fd, &a) < 0 || fstatvfs(fd, &sv) < 0 || (!want && fstatfs(fd, &sf) < 0))
		return -1;
	if (want ? a.st_dev != want->st_dev || a.st_ino != want->st_ino || !S_ISREG(a.st_mode) :
	    (unsigned long)sf.f_type != COVER_TMPFS_MAGIC || a.st_nlink != 2 ||
	    !S_ISDIR(a.st_mode)) {
		errno = ESTALE;
		return -1;
	}
	if (!(sv.f_flag & ST_RDONLY)) {
		errno = ESTALE;
		return -1;
	}
	return 0;
}

/* The mount just made on base in parent, looked up again: src's file, then made read-only, or
 * an empty tmpfs. ESTALE when it is not what was mounted. */
static int check_cover(int parent, const char *base, int src)
{
	const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
	struct stat a, b;
	int fd = openat(parent, base, O_PATH | O_NOFOLLOW | O_CLOEXEC), rc = -1;

	if (fd < 0 || fstat(fd, &a) < 0)
		goto out;
	if (src >= 0) {
		if (fstat(src, &b) < 0)
			goto out;
		if (a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
			errno = ESTALE;
			goto out;
		}
		if (mount_fd(-1, fd, NULL, MS_REMOUNT | MS_BIND | ro, NULL) < 0)
			goto out;
	}
	rc = cover_is(fd, src >= 0 ? &b : NULL);
out:
	close_keep_errno(fd);
	return rc;
}

static int cover_one(const char *staged, const char *rel, int src, size_t *pins)
{
	char dir[4096];
	const char *base;
	int parent = open_parent(staged, rel, dir, sizeof dir, &base, pins), fd, rc = -1;

	if (parent < 0)
		return -1;
	fd = open_entry(parent, base, src >= 0);
	if (fd >= 0 && (src >= 0 ? mount_fd(src, fd, NULL, MS_BIND, NULL) :
			mount_fd(-1, fd, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
				 "mode=0755,size=4k")) == 0 && settle(parent) == 0)
		rc = check_cover(parent, base, src);
	close_keep_errno(fd);
	close_keep_errno(parent);
	return rc;
}

int cover_path(struct mounts *m, char *const *roots, const char *path, int src)
{
	size_t i, len;
	int n = 0;

	for (i = 0; i < m->n; i++) {
		if (!policy_within(path, roots[i]))
			continue;
		len = strlen(roots[i]);
		if (cover_one(m->staged[i], path[len] ? path + len + 1 : "", src, &m->pins) < 0)
			return -1;
		n++;
	}
	return n;
}
