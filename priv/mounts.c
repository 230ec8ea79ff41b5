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
 * - every staged mount is nosuid and nodev (mount_setattr on the clone and all its submounts
 *   before it is attached; without that call a bind remount keeping the other flags);
 * - an idmapped clone maps the host user and its groups to the agent alone (idmap.c) and is idmapped before
 *   it is attached; where the kernel or filesystem refuses, the root is staged unmapped and
 *   m->access says why (the caller falls back to group mode and says so);
 * - a staged clone is a slave of the tree it was cloned from (it receives mounts, sends none),
 *   so what is mounted over the project inside it (cover.c) never reaches the user's own view;
 * - the staging dir belongs to root alone (0700) and is emptied when the unit ends;
 * - a root on a kernel or runtime filesystem (policy_kernel_fs, decided on the opened fd) is
 *   never staged, and each staged root's owner is recorded for the group-mode rule.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"
#include "mounts.h"
#include "policy.h"

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
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#define ATTR_NOSUID 0x00000002
#define ATTR_NODEV 0x00000004
#define ATTR_IDMAP 0x00100000

struct mount_attr_pi {
	uint64_t attr_set, attr_clr, propagation, userns_fd;
};

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

/* Whether mount_setattr's refusal of an idmap means "not here" (old kernel, a filter, a
 * filesystem without idmapped mounts) rather than a failure. */
static int idmap_refused(void)
{
	return errno == ENOSYS || errno == EINVAL || errno == EPERM || errno == EOPNOTSUPP;
}

static void refused(struct mounts_access *a, const char *call)
{
	a->idmapped = 0;
	a->call = call;
	a->err = errno;
}

/* A detached clone of the directory fd and all mounts below it, or -1. */
static int clone_tree(int fd)
{
	return (int)syscall(SYS_open_tree, fd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
			    AT_EMPTY_PATH | AT_RECURSIVE);
}

static int set_attr(int tree, uint64_t attr, int userns)
{
	struct mount_attr_pi ma = { .attr_set = attr };

	ma.userns_fd = (uint64_t)(userns < 0 ? 0 : userns);
	return (int)syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &ma,
			    sizeof ma);
}

/* Makes the detached clone nosuid and nodev, and idmapped with userns when userns >= 0 (a
 * refusal of the idmap goes to a). Returns 0, 1 when mount_setattr is missing (the caller
 * remounts after attaching), or -1. */
static int harden_tree(int tree, int userns, struct mounts_access *a)
{
	if (userns >= 0) {
		if (set_attr(tree, ATTR_IDMAP | ATTR_NOSUID | ATTR_NODEV, userns) == 0) {
			a->idmapped = 1;
			return 0;
		}
		if (!idmap_refused())
			return -1;
		refused(a, "mount_setattr");
	}
	if (set_attr(tree, ATTR_NOSUID | ATTR_NODEV, -1) == 0)
		return 0;
	return missing_call() ? 1 : -1;
}

/* nosuid and nodev on the mount at path, keeping its other flags (bind remount: the top
 * mount only, where mount_setattr is missing). */
static int remount_hardened(const char *path)
{
	static const struct { unsigned long st, ms; } keep[] = {
		{ ST_RDONLY, MS_RDONLY }, { ST_NOEXEC, MS_NOEXEC }, { ST_NOATIME, MS_NOATIME },
		{ ST_NODIRATIME, MS_NODIRATIME }, { ST_RELATIME, MS_RELATIME },
	};
	unsigned long flags = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV;
	struct statvfs sv;
	size_t i;

	if (statvfs(path, &sv) < 0)
		return -1;
	for (i = 0; i < sizeof keep / sizeof *keep; i++)
		if (sv.f_flag & keep[i].st)
			flags |= keep[i].ms;
	return mount(NULL, path, NULL, flags, NULL);
}

/* Attaches a nosuid, nodev slave clone of the directory fd at name under dirfd (whose path is
 * dir), idmapped with userns when userns >= 0 and the kernel allows. Without the new mount
 * calls: a bind mount whose source is the fd itself, /proc/self/fd/N, which the kernel
 * resolves to the opened directory, never to a path. */
static int attach(int fd, int dirfd, const char *dir, const char *name, int userns,
		  struct mounts_access *a)
{
	int tree = clone_tree(fd), later = 1, rc, err;
	char src[40], dst[200];

	if (tree < 0 && !missing_call())
		return -1;
	if (tree < 0 && userns >= 0)
		refused(a, "open_tree");
	if (tree >= 0 && (later = harden_tree(tree, userns, a)) < 0) {
		err = errno;
		close(tree);
		errno = err;
		return -1;
	}
	snprintf(dst, sizeof dst, "%s/%s", dir, name);
	rc = mkdirat(dirfd, name, 0700) < 0 && errno != EEXIST ? -1 : 0;
	if (rc == 0 && tree >= 0) {
		rc = (int)syscall(SYS_move_mount, tree, "", dirfd, name, MOVE_MOUNT_F_EMPTY_PATH);
	} else if (rc == 0) {
		snprintf(src, sizeof src, "/proc/self/fd/%d", fd);
		rc = mount(src, dst, NULL, MS_BIND | MS_REC, NULL);
	}
	err = errno;
	if (tree >= 0)
		close(tree);
	if (rc == 0 && ((later && remount_hardened(dst) < 0) ||
			mount(NULL, dst, NULL, MS_SLAVE | MS_REC, NULL) < 0)) {
		err = errno;
		umount2(dst, MNT_DETACH);
		rc = -1;
	}
	errno = err;
	return rc;
}

/* The directory root opened with user's identity, or -1; its owner into *owner. */
static int open_as(const char *root, const struct ident *user, uid_t *owner)
{
	struct statfs sf;
	struct stat st;
	int fd, err;

	if (ident_enter(user) < 0)
		return -1;
	fd = open_root(root);
	err = errno;
	if (ident_enter(NULL) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (fd < 0) {
		errno = err;
		return -1;
	}
	err = fstat(fd, &st) < 0 || fstatfs(fd, &sf) < 0 ? errno : !S_ISDIR(st.st_mode) ? ENOTDIR :
	      policy_kernel_fs(&sf, root) ? EMEDIUMTYPE : 0;
	if (err) {
		close(fd);
		errno = err;
		return -1;
	}
	*owner = st.st_uid;
	return fd;
}

static int stage_one(struct mounts *m, int dirfd, const char *root, const struct ident *user,
		     int userns)
{
	char name[24];
	int fd = open_as(root, user, &m->access[m->n].owner), rc;

	if (fd < 0)
		return -1;
	snprintf(name, sizeof name, "%zu", m->n);
	rc = attach(fd, dirfd, m->dir, name, userns, &m->access[m->n]);
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

/* The user namespace for map, once per staging; a refusal goes to every root's access. */
static int make_userns(struct mounts *m, size_t n, const struct idmap *map)
{
	int fd;
	size_t i;

	if (!map)
		return -1;
	fd = idmap_userns(map);
	for (i = 0; fd < 0 && i < n; i++)
		refused(&m->access[i], "unshare(CLONE_NEWUSER)");
	return fd;
}

static int stage_all(struct mounts *m, int dirfd, char *const *roots, size_t n,
		     const struct ident *user, const struct idmap *map, const char **bad)
{
	int userns = make_userns(m, n, map), rc = 0, err;
	size_t i;

	for (i = 0; i < n && rc == 0; i++) {
		*bad = roots[i];
		rc = stage_one(m, dirfd, roots[i], user, userns);
	}
	err = errno;
	if (userns >= 0)
		close(userns);
	errno = err;
	return rc;
}

int mounts_stage(struct mounts *m, char *const *roots, size_t n, const struct ident *user,
		 const struct idmap *map, const char **bad)
{
	int top, dirfd = -1;

	memset(m, 0, sizeof *m);
	snprintf(m->dir, sizeof m->dir, "%s/%ld", PI_BINDS_DIR, (long)getpid());
	m->staged = calloc(n + 1, sizeof *m->staged);
	m->access = calloc(n + 1, sizeof *m->access);
	*bad = PI_BINDS_DIR;
	if (!m->staged || !m->access || ((mkdir(PI_BINDS_DIR, 0700) < 0 && errno != EEXIST)))
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
	if (stage_all(m, dirfd, roots, n, user, map, bad) < 0) {
		int e = errno;

		close(dirfd);
		mounts_release(m);
		errno = e;
		return -1;
	}
	close(dirfd);
	return 0;
}

int mounts_all_idmapped(const struct mounts *m)
{
	size_t i;

	for (i = 0; i < m->n && m->access; i++)
		if (!m->access[i].idmapped)
			return 0;
	return m->n > 0 && m->access;
}

int mounts_any_idmapped(const struct mounts *m)
{
	size_t i;

	for (i = 0; i < m->n && m->access; i++)
		if (m->access[i].idmapped)
			return 1;
	return 0;
}

int mounts_probe(const char *root, const struct ident *user, const struct idmap *map,
		 struct mounts_access *a)
{
	int fd, tree, userns;

	memset(a, 0, sizeof *a);
	fd = open_as(root, user, &a->owner);
	if (fd < 0)
		return -1;
	tree = clone_tree(fd);
	close(fd);
	if (tree < 0 && !missing_call())
		return -1;
	if (!map || tree < 0) {
		if (map)
			refused(a, "open_tree");
		if (tree >= 0)
			close(tree);
		return 0;
	}
	userns = idmap_userns(map);
	if (userns < 0)
		refused(a, "unshare(CLONE_NEWUSER)");
	else if (harden_tree(tree, userns, a) < 0)
		refused(a, "mount_setattr");
	if (userns >= 0)
		close(userns);
	close(tree);
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
	free(m->access);
	m->staged = NULL;
	m->access = NULL;
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
