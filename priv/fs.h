/* fs.h - file primitives for root working between untrusted parties: dir fds, no links followed. */
#ifndef FS_H
#define FS_H
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Opens name under dirfd as a directory, never following a link (O_PATH-free, readable). */
int fs_open_dir(int dirfd, const char *name);
/* Opens relpath beneath dirfd: no component may be a link (ELOOP) or leave dirfd. Without
 * openat2 (old kernels, filters refusing it with ENOSYS or EPERM) the same by hand. */
int fs_open_beneath(int dirfd, const char *relpath, int flags, mode_t mode);
/* Opens path under dirfd following ordinary links but never a /proc magic link (fd/N, cwd,
 * root: ELOOP), where the kernel has openat2; without it, as openat does. */
int fs_open_follow(int dirfd, const char *path, int flags);
/* Opens or creates the directory name under dirfd with mode; a link, file or anything
 * else found in its place is removed first; one of the current fsuid's that it cannot open
 * (mode 0000) gets mode first. Returns the directory fd. */
int fs_ensure_dir(int dirfd, const char *name, mode_t mode);
/* Removes name under dirfd whatever it is (a directory with its contents), never
 * following a link; directories of the current fsuid are made owner rwx before they are
 * emptied (0555, 0500, 0000). Any depth, in at most three fds and no recursion: deeper
 * directories are renamed up into the top one (.pi-rm.N) to be emptied in turn, so a
 * failure may leave the rest of the tree there under such names. ENOENT is not an error. */
int fs_remove(int dirfd, const char *name);
/* Opens a regular file for reading without blocking on FIFOs; follow: 0 no link followed, 1
 * any link, FS_FOLLOW_PLAIN ordinary links but never a /proc magic link (fs_open_follow: for
 * what root reads on a user's behalf). Anything but a regular file: -1 with errno EFTYPE_PI. */
int fs_open_regular(int dirfd, const char *name, int follow);
#define EFTYPE_PI EINVAL
enum { FS_FOLLOW_PLAIN = 2 };
/* Reads all of fd (at most max bytes, else EFBIG) into a NUL-terminated malloc'd buffer. */
int fs_read_all(int fd, size_t max, char **buf, size_t *len);
/* Writes len bytes, retrying short writes. */
int fs_write_full(int fd, const void *buf, size_t len);

/* Atomic replacement: create a temp file beside name (O_EXCL, never following a link),
 * fill it, then fs_commit fchmods, fsyncs and renames it over name. With unique=0 the
 * caller holds a lock and a stale temp of an earlier killed run is removed first. */
struct fs_tmp {
	int dirfd;
	int fd;
	char name[256];
	char tmp[300];
};
int fs_tmp_open(struct fs_tmp *t, int dirfd, const char *name, int unique);
int fs_tmp_commit(struct fs_tmp *t, mode_t mode);
/* The same without the fsync: the caller makes the whole batch durable (syncfs). */
int fs_tmp_commit_nosync(struct fs_tmp *t, mode_t mode);
void fs_tmp_abort(struct fs_tmp *t);
int fs_write_atomic(int dirfd, const char *name, const void *buf, size_t len, mode_t mode);
/* The same with the first len bytes of the file in (read with pread from offset 0). */
int fs_copy_atomic(int dirfd, const char *name, int in, size_t len, mode_t mode);

/* Nonzero when path (links followed) is a regular file with an execute bit. */
int fs_executable(const char *path);

/* Like realpath -m: links in existing components resolved, the rest taken lexically. check,
 * when given, sees every existing component (lstat) before it is used and may refuse it. */
int fs_resolve(const char *path, char *out, size_t n,
	       int (*check)(const char *path, const struct stat *st, void *ctx), void *ctx);

/* Takes an exclusive lock on name under dirfd (created 0600 if missing). Returns the fd. */
int fs_lock(int dirfd, const char *name);
#endif
