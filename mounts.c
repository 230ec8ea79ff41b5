/* mounts.c - stages each project root by fd, so the unit binds exactly the directory that was checked.
 *
 * MUST rules kept here:
 * - a root is opened with the host user's identity by its resolved path, beneath / with
 *   no link followed (fs_open_beneath): a root or parent swapped for a link since the check
 *   fails the launch, and a directory the host user cannot read and enter is never bound;
 * - the unit binds the clone of that opened directory (open_tree + move_mount), so the path
 *   is never resolved again;
 * - without those calls (Linux < 5.2, or a filter that refuses them with ENOSYS or EPERM)
 *   the same holds another way: the opened directory is bound through /proc/self/fd;
 * - the staging dir belongs to root alone (0700) and is emptied when the unit ends.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
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

/* Whether the kernel lacks a call (or a seccomp filter refuses it, as containers do). */
static int missing_call(void)
{
	return errno == ENOSYS || errno == EPERM;
}

/* The root at path, opened without following any link; the caller's identity must be able
 * to read it and enter it ("." looked up in it needs search permission). */
static int open_root(const char *path)
{
	int top = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), fd, in, err;

	if (top < 0)
		return -1;
	fd = path[0] == '/' ? fs_open_beneath(top, path + 1, O_RDONLY | O_DIRECTORY, 0) :
			      (errno = EINVAL, -1);
	err = errno;
	close(top);
	if (fd < 0) {
		errno = err;
		return -1;
	}
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
