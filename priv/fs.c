/* fs.c - file primitives for root working between untrusted parties: dir fds, no links followed.
 *
 * MUST rules kept here:
 * - every lookup is one name under a directory fd, with O_NOFOLLOW / AT_SYMLINK_NOFOLLOW,
 *   or openat2 with RESOLVE_BENEATH|RESOLVE_NO_SYMLINKS for multi-component paths;
 * - decisions are taken on the opened fd (fstat), never on a path checked earlier;
 * - files are never opened for writing in place: temp file with O_EXCL, then renameat;
 * - a FIFO or device is never opened blocking;
 * - where a link may be followed (a user's own paths), a /proc magic link (fd/N, cwd, root,
 *   exe) is refused with ELOOP where the kernel has openat2;
 * - a mode is repaired only on a directory of the current fsuid, checked on an O_PATH fd
 *   opened without following a link, and changed through that fd (/proc/self/fd/N);
 * - a tree is removed at any depth in bounded fds, stack and memory: never a recursion per
 *   level; each directory is emptied one level, a non-empty one found in it renamed up into
 *   the top of the removal (.pi-rm.N) and emptied in its turn (at most three fds: the top,
 *   the directory being emptied, an O_PATH one for a mode); nothing is reached through "..",
 *   so a rename race cannot lead the walk out of the tree.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"

/* openat2(2) as in linux/openat2.h, which musl's headers do not ship. */
#ifndef RESOLVE_BENEATH
struct open_how {
	unsigned long long flags, mode, resolve;
};
#define RESOLVE_NO_MAGICLINKS 0x02
#define RESOLVE_NO_SYMLINKS 0x04
#define RESOLVE_BENEATH 0x08
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif

int fs_open_dir(int dirfd, const char *name)
{
	return openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

/* A link where a directory was wanted gives ENOTDIR under O_NOFOLLOW | O_DIRECTORY; the
 * kernel's RESOLVE_NO_SYMLINKS says ELOOP, and so does this. */
static void link_is_eloop(int dirfd, const char *name)
{
	struct stat st;
	int err = errno;

	errno = err == ENOTDIR && fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		S_ISLNK(st.st_mode) ? ELOOP : err;
}

/* openat2's RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS by hand: one component at a time, none
 * followed; the ones before the last opened O_PATH (search permission lets the walk
 * through, as in the kernel's); ".", ".." and empty components refused (EXDEV). */
static int open_beneath_walk(int dirfd, const char *relpath, int flags, mode_t mode)
{
	char buf[4096], *p, *slash;
	int fd = dirfd, next;

	if (strlen(relpath) >= sizeof buf) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(buf, relpath);
	for (p = buf; (slash = strchr(p, '/')); p = slash + 1) {
		*slash = '\0';
		if (!*p || !strcmp(p, ".") || !strcmp(p, "..")) {
			next = -1;
			errno = EXDEV;
		} else {
			next = openat(fd, p, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next < 0)
				link_is_eloop(fd, p);
		}
		if (fd != dirfd)
			close(fd);
		if (next < 0)
			return -1;
		fd = next;
	}
	if (!*p || !strcmp(p, "..")) {
		errno = EXDEV;
		next = -1;
	} else {
		next = openat(fd, p, flags | O_NOFOLLOW | O_CLOEXEC, mode);
		if (next < 0 && (flags & O_DIRECTORY))
			link_is_eloop(fd, p);
	}
	if (fd != dirfd)
		close(fd);
	return next;
}

int fs_open_beneath(int dirfd, const char *relpath, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.mode = (flags & O_CREAT) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, relpath, &how, sizeof how);

	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return (int)fd;
	return open_beneath_walk(dirfd, relpath, flags, mode);
}

int fs_open_follow(int dirfd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.resolve = RESOLVE_NO_MAGICLINKS,
	};
	long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);

	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return (int)fd;
	return openat(dirfd, path, flags | O_CLOEXEC);
}

/* Gives our directory name under dirfd mode, even one we cannot open (0000): the fd is
 * O_PATH, opened without following a link, checked to be a directory of the current fsuid,
 * and changed through /proc/self/fd (fchmod refuses O_PATH fds in glibc; musl takes the same
 * way itself). -1 with the errno of the first failure otherwise (EACCES if not ours). */
static int chmod_own_dir(int dirfd, const char *name, mode_t mode)
{
	char proc[32];
	struct stat st;
	int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC), rc = -1, err;

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) == 0) {
		errno = EACCES;
		if (S_ISDIR(st.st_mode) && st.st_uid == (uid_t)setfsuid((uid_t)-1)) {
			snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
			rc = chmod(proc, mode);
		}
	}
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

int fs_ensure_dir(int dirfd, const char *name, mode_t mode)
{
	struct stat st;
	int fd = fs_open_dir(dirfd, name);

	/* one of ours that we may not read (the agent's chmod 000): its mode first */
	if (fd < 0 && errno == EACCES && chmod_own_dir(dirfd, name, mode) == 0)
		fd = fs_open_dir(dirfd, name);
	if (fd < 0 && errno != ENOENT) {
		if (errno != ELOOP && errno != ENOTDIR)
			return -1;
		if (fs_remove(dirfd, name) < 0)
			return -1;
	}
	if (fd < 0) {
		if (mkdirat(dirfd, name, mode) < 0 && errno != EEXIST)
			return -1;
		fd = fs_open_dir(dirfd, name);
		if (fd < 0)
			return -1;
	}
	if (fstat(fd, &st) < 0 || ((st.st_mode & 07777) != mode && fchmod(fd, mode) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Opens the directory name under dirfd to empty it: one of ours is made writable and
 * searchable first (owner rwx), even one we cannot open yet (0000, 0300). */
static int open_to_empty(int dirfd, const char *name)
{
	struct stat st;
	int fd = fs_open_dir(dirfd, name);

	if (fd < 0 && errno == EACCES && chmod_own_dir(dirfd, name, 0700) == 0)
		fd = fs_open_dir(dirfd, name);
	/* a failure here is told by the removal that follows */
	if (fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 0700) != 0700 &&
	    st.st_uid == (uid_t)setfsuid((uid_t)-1))
		(void)!fchmod(fd, (st.st_mode & 07777) | 0700);
	return fd;
}

/* Removes name under dirfd if it is anything but a directory with something in it: 0 (gone,
 * or was not there), 1 (a directory not empty), -1. */
static int unlink_any(int dirfd, const char *name)
{
	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return -1;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) == 0 || errno == ENOENT)
		return 0;
	if (errno == ENOTDIR)
		errno = EPERM;  /* a file we may not unlink (immutable, sticky dir) */
	return errno == ENOTEMPTY || errno == EEXIST ? 1 : -1;
}

/* A tree being removed: its top directory, where a directory found non-empty deeper down is
 * parked (renamed to .pi-rm.N, N counting from 0) to be emptied in its turn. */
struct rm {
	int top;
	unsigned long next, done;      /* the next name to park at; the names emptied so far */
};

enum { RM_NAME = 32, RM_TRIES = 64 };

static void rm_name(char *buf, unsigned long n)
{
	snprintf(buf, RM_NAME, ".pi-rm.%lu", n);
}

/* Renames the non-empty directory name under fd up into the top as the next parked name;
 * one of ours that may not move (it needs write permission: 0500) is made owner rwx first.
 * A name the tree already has is passed over (the drain removes what is there too). */
static int park(struct rm *r, int fd, const char *name)
{
	char to[RM_NAME];
	int tries = 0, fixed = 0;

	for (;;) {
		rm_name(to, r->next);
		if (renameat(fd, name, r->top, to) == 0) {
			r->next++;
			return 0;
		}
		if (errno == ENOENT)
			return 0;
		if (errno == EACCES && !fixed++ && chmod_own_dir(fd, name, 0700) == 0)
			continue;
		if ((errno != EEXIST && errno != ENOTEMPTY && errno != ENOTDIR && errno != EISDIR) ||
		    ++tries > RM_TRIES)
			return -1;
		r->next++;
	}
}

/* Empties the directory name under at one level, parking the directories in it that are not
 * empty, then removes it. */
static int clear_one(struct rm *r, int at, const char *name)
{
	struct dirent *de;
	DIR *d;
	int fd = open_to_empty(at, name), rc = 0, err;

	if (fd < 0 && (errno == ENOTDIR || errno == ELOOP))   /* a file now: the agent's race */
		return unlinkat(at, name, 0) == 0 || errno == ENOENT ? 0 : -1;
	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return -1;
	}
	while (rc == 0 && (errno = 0, de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    (rc = unlink_any(fd, de->d_name)) == 1)
			rc = park(r, fd, de->d_name);
	}
	if (rc == 0 && !de && errno)
		rc = -1;
	err = errno;
	closedir(d);
	errno = err;
	if (rc == 0 && unlinkat(at, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

/* Removes the directory name under dirfd and all it holds: each directory of its top level
 * is emptied one level, then the directories parked meanwhile, in turn. */
static int remove_tree(int dirfd, const char *name)
{
	struct rm r = { .top = open_to_empty(dirfd, name) };
	char parked[RM_NAME];
	struct dirent *de;
	DIR *d;
	int rc = 0, err;

	if (r.top < 0)
		return errno == ENOENT ? 0 : -1;
	if (!(d = fdopendir(r.top))) {
		close(r.top);
		return -1;
	}
	while (rc == 0 && (errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((rc = unlink_any(r.top, de->d_name)) == 1)
			rc = clear_one(&r, r.top, de->d_name);
		while (rc == 0 && r.done < r.next) {
			rm_name(parked, r.done++);
			rc = clear_one(&r, r.top, parked);
		}
	}
	if (rc == 0 && !de && errno)
		rc = -1;
	err = errno;
	closedir(d);
	errno = err;
	if (rc == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

int fs_remove(int dirfd, const char *name)
{
	int rc = unlink_any(dirfd, name);

	return rc == 1 ? remove_tree(dirfd, name) : rc;
}

int fs_open_regular(int dirfd, const char *name, int follow)
{
	struct stat st;
	int flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
	int fd = follow == FS_FOLLOW_PLAIN ? fs_open_follow(dirfd, name, flags) :
		 openat(dirfd, name, flags | (follow ? 0 : O_NOFOLLOW));

	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EFTYPE_PI;
		return -1;
	}
	if (fcntl(fd, F_SETFL, 0) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int fs_read_all(int fd, size_t max, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap + 1), *nb;
	ssize_t r;

	if (!b)
		return -1;
	for (;;) {
		if (n == cap) {
			if (cap > max) {
				free(b);
				errno = EFBIG;
				return -1;
			}
			cap *= 2;
			nb = realloc(b, cap + 1);
			if (!nb) {
				free(b);
				return -1;
			}
			b = nb;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			free(b);
			return -1;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	if (n > max) {
		free(b);
		errno = EFBIG;
		return -1;
	}
	b[n] = '\0';
	*buf = b;
	*len = n;
	return 0;
}

int fs_write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;

	while (len) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int fs_tmp_open(struct fs_tmp *t, int dirfd, const char *name, int unique)
{
	int n;

	if (unique)
		n = snprintf(t->tmp, sizeof t->tmp, ".%s.%ld.pi-tmp", name, (long)getpid());
	else
		n = snprintf(t->tmp, sizeof t->tmp, ".%s.pi-tmp", name);
	if (n < 0 || (size_t)n >= sizeof t->tmp || strlen(name) >= sizeof t->name) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(t->name, name);
	t->dirfd = dirfd;
	if (!unique && fs_remove(dirfd, t->tmp) < 0)
		return -1;
	t->fd = openat(dirfd, t->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	return t->fd < 0 ? -1 : 0;
}

void fs_tmp_abort(struct fs_tmp *t)
{
	int e = errno;

	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
	unlinkat(t->dirfd, t->tmp, 0);
	errno = e;
}

int fs_tmp_commit(struct fs_tmp *t, mode_t mode)
{
	if (fchmod(t->fd, mode) < 0 || fsync(t->fd) < 0)
		goto fail;
	if (close(t->fd) < 0) {
		t->fd = -1;
		goto fail;
	}
	t->fd = -1;
	if (renameat(t->dirfd, t->tmp, t->dirfd, t->name) == 0)
		return 0;
	/* a directory in the way is no good file: it goes, then the rename is tried again */
	if ((errno != EISDIR && errno != ENOTEMPTY && errno != EEXIST) ||
	    fs_remove(t->dirfd, t->name) < 0 ||
	    renameat(t->dirfd, t->tmp, t->dirfd, t->name) < 0)
		goto fail;
	return 0;
fail:
	fs_tmp_abort(t);
	return -1;
}

/* fs_tmp_commit without the fsync: for many files made durable together by one syncfs. */
int fs_tmp_commit_nosync(struct fs_tmp *t, mode_t mode)
{
	int rc = fchmod(t->fd, mode);

	if (close(t->fd) < 0)
		rc = -1;
	t->fd = -1;
	if (rc == 0 && renameat(t->dirfd, t->tmp, t->dirfd, t->name) == 0)
		return 0;
	/* a directory in the way is no good file: it goes, then the rename is tried again */
	if (rc == 0 && (errno == EISDIR || errno == ENOTEMPTY || errno == EEXIST) &&
	    fs_remove(t->dirfd, t->name) == 0 && renameat(t->dirfd, t->tmp, t->dirfd, t->name) == 0)
		return 0;
	fs_tmp_abort(t);
	return -1;
}

int fs_copy_atomic(int dirfd, const char *name, int in, size_t len, mode_t mode)
{
	struct fs_tmp t;
	char buf[16384];
	size_t off = 0;
	ssize_t n = 0;

	if (fs_tmp_open(&t, dirfd, name, 0) < 0)
		return -1;
	while (off < len) {
		n = pread(in, buf, len - off < sizeof buf ? len - off : sizeof buf, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || fs_write_full(t.fd, buf, (size_t)n) < 0)
			break;
		off += (size_t)n;
	}
	if (off < len) {
		if (n == 0)
			errno = EIO;	/* in is shorter than len */
		fs_tmp_abort(&t);
		return -1;
	}
	return fs_tmp_commit(&t, mode);
}

int fs_write_atomic(int dirfd, const char *name, const void *buf, size_t len, mode_t mode)
{
	struct fs_tmp t;

	if (fs_tmp_open(&t, dirfd, name, 0) < 0)
		return -1;
	if (fs_write_full(t.fd, buf, len) < 0) {
		fs_tmp_abort(&t);
		return -1;
	}
	return fs_tmp_commit(&t, mode);
}

int fs_lock(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);

	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

int fs_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* Drops the last component of an absolute path ("/" stays "/"). */
static void drop_last(char *p)
{
	char *s = strrchr(p, '/');

	if (s == p)
		p[1] = '\0';
	else if (s)
		*s = '\0';
}

/* Appends component c (length len) to the absolute path out. */
static int append(char *out, size_t n, const char *c, size_t len)
{
	size_t l = strlen(out);
	size_t sep = out[l - 1] != '/';

	if (l + sep + len >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (sep)
		out[l++] = '/';
	memcpy(out + l, c, len);
	out[l + len] = '\0';
	return 0;
}

int fs_resolve(const char *path, char *out, size_t n,
	       int (*check)(const char *path, const struct stat *st, void *ctx), void *ctx)
{
	char work[2 * PATH_MAX], link[PATH_MAX];
	const char *p;
	int links = 0;

	if (path[0] != '/' || strlen(path) >= sizeof work || n < 2) {
		errno = path[0] != '/' ? EINVAL : ENAMETOOLONG;
		return -1;
	}
	strcpy(work, path);
	strcpy(out, "/");
	for (p = work; *p; ) {
		const char *c;
		size_t len;
		ssize_t ll;
		struct stat st;

		while (*p == '/')
			p++;
		for (c = p; *p && *p != '/'; p++)
			;
		len = (size_t)(p - c);
		if (!len || (len == 1 && c[0] == '.'))
			continue;
		if (len == 2 && c[0] == '.' && c[1] == '.') {
			drop_last(out);
			continue;
		}
		if (append(out, n, c, len) < 0)
			return -1;
		if (lstat(out, &st) < 0)
			continue;      /* missing: the rest is taken lexically, ".." included */
		if (check && check(out, &st, ctx) < 0)
			return -1;
		if (!S_ISLNK(st.st_mode))
			continue;
		if (++links > 40) {
			errno = ELOOP;
			return -1;
		}
		ll = readlink(out, link, sizeof link - 1);
		if (ll < 0)
			return -1;
		link[ll] = '\0';
		drop_last(out);
		if (link[0] == '/')
			strcpy(out, "/");
		if (strlen(link) + 1 + strlen(p) >= sizeof work) {
			errno = ENAMETOOLONG;
			return -1;
		}
		memmove(work + strlen(link) + 1, p, strlen(p) + 1);
		memcpy(work, link, strlen(link));
		work[strlen(link)] = '/';
		p = work;
	}
	return 0;
}
