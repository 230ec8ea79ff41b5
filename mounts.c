/* mounts.c - stages each project root by fd, so the unit binds exactly the directory that was checked.
 *
 * MUST rules kept here:
 * - a root is opened with the host user's identity by its resolved path with
 *   RESOLVE_NO_SYMLINKS: a root or parent swapped for a link since the check fails the launch,
 *   and a directory the host user cannot read and enter is never bound;
 * - the unit binds the clone of that opened directory (open_tree + move_mount), so the path
 *   is never resolved again;
 * - without those calls (Linux < 5.6, or a filter that refuses them with ENOSYS or EPERM)
 *   the same holds another way: the path is walked from / one component at a time, none
 *   followed if it is a link, and the opened directory is bound through /proc/self/fd;
 * - the staging dir belongs to root alone (0700) and is emptied when the unit ends.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"
#include "mounts.h"

/* The new mount API, as in linux/mount.h (musl's headers lack it). */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef RESOLVE_NO_SYMLINKS
struct open_how {
	unsigned long long flags, mode, resolve;
};
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#endif

/* Whether the kernel lacks a call (or a seccomp filter refuses it as containers do). */
static int missing_call(void)
{
	return errno == ENOSYS || errno == EPERM;
}

/* RESOLVE_NO_SYMLINKS done by hand: the absolute path from / one component at a time, each
 * opened O_NOFOLLOW | O_DIRECTORY (the ones before the last O_PATH: search permission alone
 * lets the walk through, as in the kernel's), a link anywhere failing with ELOOP. */
static int open_walk(const char *path)
{
	char comp[NAME_MAX + 1];
	const char *p = path;
	struct stat st;
	size_t len;
	int fd, next, last;

	if (*p != '/') {
		errno = EINVAL;
		return -1;
	}
	fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	while (fd >= 0) {
		while (*p == '/')
			p++;
		len = strcspn(p, "/");
		if (len > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(comp, len ? p : ".", len ? len : 1);
		comp[len ? len : 1] = '\0';
		p += len;
		while (*p == '/')
			p++;
		last = !*p;
		next = openat(fd, comp, (last ? O_RDONLY : O_PATH) | O_DIRECTORY | O_NOFOLLOW |
			      O_CLOEXEC);
		if (next < 0 && errno == ENOTDIR && fstatat(fd, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISLNK(st.st_mode))
			errno = ELOOP;
		close(fd);
		if (next < 0 || last)
			return next;
		fd = next;
	}
	return -1;
}

/* The root at path, opened without following any link; the caller's identity must be able
 * to read it and enter it ("." looked up in it needs search permission). */
static int open_root(const char *path)
{
	struct open_how how = {
		.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
		.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how), in;

	if (fd < 0 && missing_call())
		fd = open_walk(path);
	if (fd < 0)
		return -1;
	in = openat(fd, ".", O_PATH | O_CLOEXEC);
	if (in < 0) {
		close(fd);
		return -1;
	}
	close(in);
	return fd;
}

/* Attaches a clone of the directory fd at name under dirfd (whose path is dir). Without
 * the new mount calls: a bind mount whose source is the fd itself, /proc/self/fd/N, which
 * the kernel resolves to the opened directory, never to a path. */
static int attach(int fd, int dirfd, const char *dir, const char *name)
{
	int tree = (int)syscall(SYS_open_tree, fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
				AT_EMPTY_PATH | AT_RECURSIVE);
	char src[40], dst[200];
	int rc;

	if (tree < 0 && !missing_call())
		return -1;
	rc = mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST ? -1 : 0;
	if (rc == 0 && tree >= 0) {
		rc = (int)syscall(SYS_move_mount, tree, "", dirfd, name, MOVE_MOUNT_F_EMPTY_PATH);
	} else if (rc == 0) {
		snprintf(src, sizeof src, "/proc/self/fd/%d", fd);
		snprintf(dst, sizeof dst, "%s/%s", dir, name);
		rc = mount(src, dst, NULL, MS_BIND | MS_REC, NULL);
	}
	if (tree >= 0)
		close(tree);
	return rc;
}

static int stage_one(struct mounts *m, int dirfd, const char *root, const struct ident *user)
{
	char name[24];
	struct stat st;
	int fd, rc;

	if (ident_enter(user) < 0)
		return -1;
	fd = open_root(root);
	ident_enter(NULL);
	if (fd < 0)
		return -1;
	snprintf(name, sizeof name, "%zu", m->n);
	rc = fstat(fd, &st) < 0 ? -1 : !S_ISDIR(st.st_mode) ? (errno = ENOTDIR, -1) :
	     attach(fd, dirfd, m->dir, name);
	close(fd);
	if (rc < 0)
		return -1;
	if (asprintf(&m->staged[m->n], "%s/%s", m->dir, name) < 0) {
		char path[160];

		snprintf(path, sizeof path, "%s/%s", m->dir, name);
		umount2(path, MNT_DETACH);
		return -1;
	}
	m->n++;
	return 0;
}

int mounts_stage(struct mounts *m, char *const *roots, size_t n, const struct ident *user,
		 const char **bad)
{
	int top, dirfd = -1;
	size_t i;

	memset(m, 0, sizeof *m);
	snprintf(m->dir, sizeof m->dir, "%s/%ld", PI_BINDS_DIR, (long)getpid());
	m->staged = calloc(n + 1, sizeof *m->staged);
	*bad = PI_BINDS_DIR;
	if (!m->staged || ((mkdir(PI_BINDS_DIR, 0700) < 0 && errno != EEXIST)))
		return -1;
	top = open(PI_BINDS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (top < 0 || fchmod(top, 0700) < 0 || (mkdirat(top, m->dir + sizeof PI_BINDS_DIR, 0700) < 0 &&
						 errno != EEXIST) ||
	    (dirfd = fs_open_dir(top, m->dir + sizeof PI_BINDS_DIR)) < 0) {
		if (top >= 0)
			close(top);
		return -1;
	}
	close(top);
	for (i = 0; i < n; i++) {
		*bad = roots[i];
		if (stage_one(m, dirfd, roots[i], user) < 0) {
			int e = errno;

			close(dirfd);
			mounts_release(m);
			errno = e;
			return -1;
		}
	}
	close(dirfd);
	return 0;
}

void mounts_release(struct mounts *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		umount2(m->staged[i], MNT_DETACH);
		rmdir(m->staged[i]);
		free(m->staged[i]);
	}
	free(m->staged);
	m->staged = NULL;
	m->n = 0;
	if (m->dir[0])
		rmdir(m->dir);
}

/* Detaches and removes every staged mount under dir, then dir. */
static void release_dir(const char *dir)
{
	char path[300];
	struct dirent *de;
	DIR *d = opendir(dir);

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		umount2(path, MNT_DETACH);
		rmdir(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

void mounts_reap(void)
{
	char dir[200];
	struct dirent *de;
	DIR *d = opendir(PI_BINDS_DIR);
	long pid;
	char *end;

	while (d && (de = readdir(d))) {
		pid = strtol(de->d_name, &end, 10);
		if (pid <= 0 || *end || (kill((pid_t)pid, 0) == 0 || errno != ESRCH))
			continue;
		snprintf(dir, sizeof dir, "%s/%s", PI_BINDS_DIR, de->d_name);
		release_dir(dir);
	}
	if (d)
		closedir(d);
}
