/* sync.c - copy the host user's config dir into the agent's dir, like rsync -a --delete.
 *
 * MUST rules kept here:
 * - everything under src (listing, lstat, readlink, open) happens with o->reader's identity,
 *   everything under dst (listing, lstat, create, rename, chmod, remove) with o->writer's;
 *   the switch is made per phase of a batch of entries, never left to chance;
 * - no link is ever followed on either side: entries are lstat'ed, files and directories
 *   opened O_NOFOLLOW, links copied as links; a dst link or file where a directory should
 *   be is removed, never written through;
 * - source files are opened O_NONBLOCK and checked on the fd; FIFOs, sockets and devices
 *   are skipped with a warning and never opened;
 * - a file appears under its name only complete: temp file (O_EXCL) then renameat;
 * - setuid, setgid and sticky bits are never copied;
 * - memory stays bounded: one small batch per directory level, at most SYNC_MAX_DEPTH levels.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "sync.h"

enum {
	BATCH_MAX = 64,                        /* entries handled per identity round trip */
	BATCH_BUF = 8192,                      /* names and link targets of one batch */
	ENT_ROOM = NAME_MAX + 1 + PATH_MAX,    /* the most one entry can need in buf */
	COPY_BUF = 32768,                      /* read/write fallback of copy_file_range */
};

enum act { A_NONE, A_COPY, A_LINK, A_DIR, A_DEL, A_GONE };

struct ent {
	off_t size;
	struct timespec mtime;
	mode_t mode;
	unsigned short name, target, tlen;     /* offsets into batch.buf, target length */
	unsigned char act;
	unsigned char dst_dir;                 /* dst has a directory here: remove before rename */
	unsigned char fresh;                   /* A_DIR: the dst directory is new and empty */
	unsigned char same;                    /* A_DIR: it had the right mode and mtime */
	int fd;                                /* A_COPY: the opened source file */
};

struct batch {
	int n;
	int dirty;                             /* this dst directory was written to */
	size_t used;
	struct ent e[BATCH_MAX];
	char buf[BATCH_BUF];
};

struct ctx {
	const struct sync_opts *o;
	struct sync_stats *st;
	struct sync_err *e;
	const struct ident *cur;               /* identity in force; &unknown_id if not known */
	uid_t wuid;                            /* owner of everything we write */
	size_t plen;
	char path[PATH_MAX];                   /* relative path of the directory being synced */
};

static const struct ident unknown_id;

static int sync_dir(struct ctx *c, DIR *src, int dst, int depth, const struct stat *want,
		    int fresh, int same);

static size_t push(struct ctx *c, const char *name)
{
	size_t old = c->plen, room = sizeof c->path - old;
	int n = snprintf(c->path + old, room, "%s%s", old ? "/" : "", name);

	c->plen = (n < 0 || (size_t)n >= room) ? sizeof c->path - 1 : old + (size_t)n;
	return old;
}

static void pop(struct ctx *c, size_t old)
{
	c->plen = old;
	c->path[old] = '\0';
}

/* Records op, the relative path of name (or of the current directory) and errno. */
static int fail(struct ctx *c, const char *op, const char *name)
{
	int err = errno;
	size_t old = name ? push(c, name) : c->plen;

	c->e->op = op;
	if (c->plen)
		memcpy(c->e->path, c->path, c->plen + 1);
	else
		strcpy(c->e->path, ".");
	c->e->err = err;
	pop(c, old);
	errno = err;
	return -1;
}

static int as(struct ctx *c, const struct ident *id)
{
	if (c->cur == id)
		return 0;
	c->cur = &unknown_id;
	if (ident_enter(id) < 0)
		return fail(c, "ident", NULL);
	c->cur = id;
	return 0;
}

static int same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static int excluded(const struct ctx *c, const char *name)
{
	const char *const *x;

	for (x = c->o->exclude; x && *x; x++)
		if (!strcmp(*x, name))
			return 1;
	return 0;
}

static int syncable(mode_t m)
{
	return S_ISREG(m) || S_ISDIR(m) || S_ISLNK(m);
}

static const char *name_of(const struct batch *b, const struct ent *x)
{
	return b->buf + x->name;
}

/* Reads the next directory entry that takes part: not "." or "..", not excluded at the top. */
static const char *next_name(struct ctx *c, DIR *d, int top, int *err)
{
	struct dirent *de;

	for (;;) {
		errno = 0;
		de = readdir(d);
		if (!de) {
			*err = errno ? fail(c, "list", NULL) : 0;
			return NULL;
		}
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (top && excluded(c, de->d_name))
			continue;
		return de->d_name;
	}
}

static int skip_special(struct ctx *c, const char *name, mode_t m)
{
	const char *why = S_ISFIFO(m) ? "FIFO" : S_ISSOCK(m) ? "socket" :
			  S_ISCHR(m) || S_ISBLK(m) ? "device" : "unknown file type";
	size_t old = push(c, name);

	c->st->skipped++;
	if (c->o->warn)
		c->o->warn(c->o->ctx, c->path, why);
	pop(c, old);
	return 0;
}

/* As reader: lstats name and, for a link, reads its target into the batch. */
static int add_entry(struct ctx *c, int src, struct batch *b, const char *name)
{
	struct ent *x = &b->e[b->n];
	size_t len = strlen(name) + 1;
	struct stat s;
	ssize_t t;

	if (fstatat(src, name, &s, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : fail(c, "stat", name);
	c->st->entries++;
	if (!syncable(s.st_mode))
		return skip_special(c, name, s.st_mode);
	memset(x, 0, sizeof *x);
	x->fd = -1;
	x->mode = s.st_mode;
	x->size = s.st_size;
	x->mtime = s.st_mtim;
	x->name = (unsigned short)b->used;
	memcpy(b->buf + b->used, name, len);
	if (S_ISLNK(s.st_mode)) {
		t = readlinkat(src, name, b->buf + b->used + len, PATH_MAX);
		if (t < 0)
			return errno == ENOENT ? 0 : fail(c, "readlink", name);
		if (t >= PATH_MAX) {
			errno = ENAMETOOLONG;
			return fail(c, "readlink", name);
		}
		x->target = (unsigned short)(b->used + len);
		x->tlen = (unsigned short)t;
		b->buf[x->target + t] = '\0';
		len += (size_t)t + 1;
	}
	b->used += len;
	b->n++;
	return 0;
}

/* As reader: fills b with the next entries of the source directory. */
static int read_batch(struct ctx *c, DIR *d, struct batch *b, int top)
{
	const char *name;
	int err;

	b->n = 0;
	b->used = 0;
	while (b->n < BATCH_MAX && BATCH_BUF - b->used >= ENT_ROOM) {
		if (!(name = next_name(c, d, top, &err)))
			return err < 0 ? -1 : b->n;
		if (add_entry(c, dirfd(d), b, name) < 0)
			return -1;
	}
	return b->n;
}

/* As writer: keeps an unchanged dst file, fixing its mode in place if needed. */
static void keep_file(struct ctx *c, int dst, const char *name, struct ent *x,
		      const struct stat *d)
{
	mode_t want = x->mode & 0777;

	if (!S_ISREG(d->st_mode) || d->st_size != x->size || !same_time(d->st_mtim, x->mtime))
		return;
	if ((d->st_mode & 07777) != want) {
		/* never follows a link (O_PATH + fd, or fchmodat2); on any failure: copy */
		if (fchmodat(dst, name, want, AT_SYMLINK_NOFOLLOW) < 0)
			return;
		c->st->updated++;
	}
	x->act = A_NONE;
}

/* As writer: keeps a dst link with the same target, fixing its mtime if needed. */
static void keep_link(struct ctx *c, int dst, const char *name, struct ent *x,
		      const struct stat *d, const char *target)
{
	char buf[PATH_MAX];
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, x->mtime };
	ssize_t n;

	if (!S_ISLNK(d->st_mode) || d->st_size != x->tlen)
		return;
	n = readlinkat(dst, name, buf, sizeof buf);
	if (n != x->tlen || memcmp(buf, target, (size_t)n))
		return;
	if (!same_time(d->st_mtim, x->mtime)) {
		if (utimensat(dst, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
			return;
		c->st->updated++;
	}
	x->act = A_NONE;
}

/* As writer: compares each entry with what dst holds and decides what to do. */
static int decide(struct ctx *c, int dst, struct batch *b, int fresh)
{
	struct stat d;
	struct ent *x;
	const char *name;
	int i;

	for (i = 0; i < b->n; i++) {
		x = &b->e[i];
		name = name_of(b, x);
		x->act = S_ISDIR(x->mode) ? A_DIR : S_ISLNK(x->mode) ? A_LINK : A_COPY;
		x->fresh = 1;
		if (fresh)
			continue;
		if (fstatat(dst, name, &d, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			return fail(c, "stat", name);
		}
		x->dst_dir = S_ISDIR(d.st_mode) ? 1 : 0;
		if (x->act == A_DIR) {
			x->fresh = !x->dst_dir;
			x->same = x->dst_dir && (d.st_mode & 07777) == (x->mode & 0777) &&
				  same_time(d.st_mtim, x->mtime);
			/* a directory of ours we cannot enter (mode 0500, 0000): make it usable */
			if (x->dst_dir && c->wuid && (d.st_mode & 0700) != 0700)
				fchmodat(dst, name, (d.st_mode & 0777) | 0700, AT_SYMLINK_NOFOLLOW);
		} else if (d.st_nlink == 1 && d.st_uid == c->wuid) {
			if (x->act == A_COPY)
				keep_file(c, dst, name, x, &d);
			else
				keep_link(c, dst, name, x, &d, b->buf + x->target);
		}
	}
	return 0;
}

/* As reader: opens the source files to copy; their fd decides size, mtime and mode. */
static int open_sources(struct ctx *c, int src, struct batch *b)
{
	struct stat s;
	struct ent *x;
	int i;

	for (i = 0; i < b->n; i++) {
		x = &b->e[i];
		if (x->act != A_COPY)
			continue;
		x->fd = fs_open_regular(src, name_of(b, x), 0);
		if (x->fd < 0) {
			if (errno != ENOENT)
				return fail(c, "open", name_of(b, x));
			x->act = A_GONE;
			continue;
		}
		if (fstat(x->fd, &s) < 0)
			return fail(c, "stat", name_of(b, x));
		x->mode = s.st_mode;
		x->size = s.st_size;
		x->mtime = s.st_mtim;
	}
	return 0;
}

static long long copy_slow(int in, int out, long long done)
{
	char buf[COPY_BUF];
	ssize_t n;

	for (;;) {
		n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : done;
		if (fs_write_full(out, buf, (size_t)n) < 0)
			return -1;
		done += n;
	}
}

/* Copies in to out from their current offsets; returns the bytes copied or -1. */
static long long copy_data(int in, int out, off_t size)
{
	long long done = 0;
	ssize_t n;

	for (;;) {
		n = copy_file_range(in, NULL, out, NULL, (size_t)1 << 30, 0);
		if (n > 0) {
			done += n;
			continue;
		}
		if (n == 0 && (done || !size))
			return done;
		if (n < 0 && errno == EINTR)
			continue;
		/* nothing from a non-empty file (procfs-like) or a kernel/fs without it */
		if (n == 0 || errno == EXDEV || errno == EINVAL || errno == ENOSYS ||
		    errno == EOPNOTSUPP || errno == EBADF)
			return copy_slow(in, out, done);
		return -1;
	}
}

/* Temp name beside name (".NAME.PID.pi-tmp"), or ".pi-tmp.PID" when that is too long. */
static void tmp_name(char *buf, size_t size, const char *name)
{
	int n = snprintf(buf, size, ".%s.%ld.pi-tmp", name, (long)getpid());

	if (n < 0 || n > NAME_MAX)
		snprintf(buf, size, ".pi-tmp.%ld", (long)getpid());
}

/* fs_tmp_open, clearing a stale temp of the same name and handling the longest names. */
static int tmp_open(struct fs_tmp *t, int dst, const char *name)
{
	if (fs_tmp_open(t, dst, name, 1) == 0)
		return 0;
	if (errno == EEXIST) {
		if (fs_remove(dst, t->tmp) < 0)
			return -1;
		return fs_tmp_open(t, dst, name, 1);
	}
	if (errno != ENAMETOOLONG || strlen(name) >= sizeof t->name)
		return -1;
	tmp_name(t->tmp, sizeof t->tmp, name);
	strcpy(t->name, name);
	t->dirfd = dst;
	if (fs_remove(dst, t->tmp) < 0)
		return -1;
	t->fd = openat(dst, t->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	return t->fd < 0 ? -1 : 0;
}

/* As writer: writes the opened source file to a temp file and renames it over name. */
static int copy_one(struct ctx *c, int dst, const char *name, struct ent *x)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, x->mtime };
	struct fs_tmp t;
	long long n;

	if (tmp_open(&t, dst, name) < 0)
		return fail(c, "create", name);
	n = copy_data(x->fd, t.fd, x->size);
	close(x->fd);
	x->fd = -1;
	if (n < 0 || futimens(t.fd, ts) < 0 || (x->dst_dir && fs_remove(dst, name) < 0)) {
		fs_tmp_abort(&t);
		return fail(c, n < 0 ? "copy" : "write", name);
	}
	if (fs_tmp_commit(&t, x->mode & 0777) < 0)
		return fail(c, "write", name);
	c->st->copied++;
	c->st->bytes += (unsigned long long)n;
	return 0;
}

/* As writer: creates the link under a temp name, sets its mtime, renames it over name. */
static int link_one(struct ctx *c, int dst, const char *name, const struct ent *x,
		    const char *target)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, x->mtime };
	char tmp[NAME_MAX + 1];

	tmp_name(tmp, sizeof tmp, name);
	if (symlinkat(target, dst, tmp) < 0 &&
	    (errno != EEXIST || fs_remove(dst, tmp) < 0 || symlinkat(target, dst, tmp) < 0))
		return fail(c, "symlink", name);
	if (utimensat(dst, tmp, ts, AT_SYMLINK_NOFOLLOW) < 0 ||
	    (x->dst_dir && fs_remove(dst, name) < 0) || renameat(dst, tmp, dst, name) < 0) {
		int err = errno;

		unlinkat(dst, tmp, 0);
		errno = err;
		return fail(c, "symlink", name);
	}
	c->st->copied++;
	return 0;
}

/* As writer: writes the files and links decided on. */
static int apply(struct ctx *c, int dst, struct batch *b)
{
	struct ent *x;
	int i, rc = 0;

	for (i = 0; i < b->n && rc == 0; i++) {
		x = &b->e[i];
		if (x->act == A_COPY)
			rc = copy_one(c, dst, name_of(b, x), x);
		else if (x->act == A_LINK)
			rc = link_one(c, dst, name_of(b, x), x, b->buf + x->target);
		else
			continue;
		b->dirty = 1;
	}
	return rc;
}

/* Opens the source directory name (reader), makes its dst counterpart (writer), recurses. */
static int descend(struct ctx *c, int src, int dst, struct ent *x, const char *name,
		   int depth)
{
	struct stat s;
	int sfd, dfd, rc;
	size_t old;
	DIR *d;

	if (depth >= SYNC_MAX_DEPTH) {
		errno = ELOOP;
		return fail(c, "depth", name);
	}
	if (as(c, c->o->reader) < 0)
		return -1;
	sfd = fs_open_dir(src, name);
	if (sfd < 0 && errno == ENOENT) {
		x->act = A_GONE;
		return 0;
	}
	if (sfd < 0 || fstat(sfd, &s) < 0 || !(d = fdopendir(sfd))) {
		if (sfd >= 0)
			close(sfd);
		return fail(c, "open", name);
	}
	if (as(c, c->o->writer) < 0) {
		closedir(d);
		return -1;
	}
	dfd = fs_ensure_dir(dst, name, (s.st_mode & 0777) | (c->wuid ? 0700 : 0));
	if (dfd < 0) {
		closedir(d);
		return fail(c, "mkdir", name);
	}
	old = push(c, name);
	rc = sync_dir(c, d, dfd, depth + 1, &s, x->fresh, x->same);
	pop(c, old);
	closedir(d);
	close(dfd);
	return rc;
}

/* One batch through all phases; counts the names now present in dst in *expect. */
static int sync_batch(struct ctx *c, DIR *d, int dst, struct batch *b, int depth, int fresh,
		      unsigned long *expect)
{
	int i, copies = 0;

	if (as(c, c->o->writer) < 0 || decide(c, dst, b, fresh) < 0)
		return -1;
	for (i = 0; i < b->n; i++)
		copies += b->e[i].act == A_COPY;
	if (copies && (as(c, c->o->reader) < 0 || open_sources(c, dirfd(d), b) < 0))
		return -1;
	if (as(c, c->o->writer) < 0 || apply(c, dst, b) < 0)
		return -1;
	for (i = 0; i < b->n; i++) {
		if (b->e[i].act == A_DIR) {
			if (descend(c, dirfd(d), dst, &b->e[i], name_of(b, &b->e[i]), depth) < 0)
				return -1;
			b->dirty |= b->e[i].fresh;
		}
		*expect += b->e[i].act != A_GONE;
	}
	return 0;
}

/* As writer: reads the next names of the dst directory into b. */
static int read_names(struct ctx *c, DIR *d, struct batch *b, int top)
{
	const char *name;
	size_t len;
	int err;

	b->n = 0;
	b->used = 0;
	while (b->n < BATCH_MAX && BATCH_BUF - b->used > NAME_MAX) {
		if (!(name = next_name(c, d, top, &err)))
			return err < 0 ? -1 : b->n;
		len = strlen(name) + 1;
		memset(&b->e[b->n], 0, sizeof b->e[b->n]);
		b->e[b->n].fd = -1;
		b->e[b->n].name = (unsigned short)b->used;
		memcpy(b->buf + b->used, name, len);
		b->used += len;
		b->n++;
	}
	return b->n;
}

/* Reader marks the names src lacks (or holds as a special file), writer removes them. */
static int prune_batch(struct ctx *c, int src, int dst, struct batch *b)
{
	struct stat s;
	int i;

	if (as(c, c->o->reader) < 0)
		return -1;
	for (i = 0; i < b->n; i++) {
		if (fstatat(src, name_of(b, &b->e[i]), &s, AT_SYMLINK_NOFOLLOW) == 0)
			b->e[i].act = syncable(s.st_mode) ? A_NONE : A_DEL;
		else if (errno == ENOENT)
			b->e[i].act = A_DEL;
		else
			return fail(c, "stat", name_of(b, &b->e[i]));
	}
	if (as(c, c->o->writer) < 0)
		return -1;
	for (i = 0; i < b->n; i++) {
		if (b->e[i].act != A_DEL)
			continue;
		if (fs_remove(dst, name_of(b, &b->e[i])) < 0)
			return fail(c, "remove", name_of(b, &b->e[i]));
		c->st->deleted++;
		b->dirty = 1;
	}
	return 0;
}

/* Removes what dst has beyond the expect names synced; a count alone proves there is none. */
static int prune(struct ctx *c, int src, int dst, struct batch *b, int top,
		 unsigned long expect)
{
	unsigned long have = 0;
	int fd, err, n, rc;
	DIR *d;

	if (as(c, c->o->writer) < 0)
		return -1;
	fd = openat(dst, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return fail(c, "list", NULL);
	}
	while (next_name(c, d, top, &err))
		have++;
	if (err < 0 || have == expect) {
		closedir(d);
		return err;
	}
	rewinddir(d);
	for (;;) {
		if (as(c, c->o->writer) < 0 || (n = read_names(c, d, b, top)) < 0) {
			rc = -1;
			break;
		}
		if (n == 0 || prune_batch(c, src, dst, b) < 0) {
			rc = n ? -1 : 0;
			break;
		}
	}
	closedir(d);
	return rc;
}

/* As writer: gives the dst directory the source's mode and mtime, after its contents. */
static int set_dir_attrs(struct ctx *c, int dst, const struct stat *want, int quiet)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, want->st_mtim };
	mode_t mode = want->st_mode & 0777;
	struct stat d;
	int changed = 0;

	if (as(c, c->o->writer) < 0)
		return -1;
	if (fstat(dst, &d) < 0)
		return fail(c, "stat", NULL);
	if ((d.st_mode & 07777) != mode) {
		if (fchmod(dst, mode) < 0)
			return fail(c, "chmod", NULL);
		changed = 1;
	}
	if (!same_time(d.st_mtim, want->st_mtim)) {
		if (futimens(dst, ts) < 0)
			return fail(c, "utime", NULL);
		changed = 1;
	}
	if (changed && !quiet)
		c->st->updated++;
	return 0;
}

static void close_batch(struct batch *b)
{
	int i;

	for (i = 0; i < b->n; i++)
		if (b->e[i].fd >= 0)
			close(b->e[i].fd);
	b->n = 0;
}

/* Syncs one directory level: batches of entries, then extras pruned, then attributes. A
 * fresh dst directory is empty; a same one had the wanted attributes before we came. */
static int sync_dir(struct ctx *c, DIR *src, int dst, int depth, const struct stat *want,
		    int fresh, int same)
{
	unsigned long expect = 0;
	struct batch *b = malloc(sizeof *b);
	int n, rc = -1;

	if (!b)
		return fail(c, "memory", NULL);
	b->n = 0;
	b->dirty = 0;
	for (;;) {
		if (as(c, c->o->reader) < 0 || (n = read_batch(c, src, b, depth == 0)) < 0)
			goto out;
		if (n == 0)
			break;
		n = sync_batch(c, src, dst, b, depth, fresh, &expect);
		close_batch(b);
		if (n < 0)
			goto out;
	}
	if (fresh || prune(c, dirfd(src), dst, b, depth == 0, expect) == 0)
		rc = set_dir_attrs(c, dst, want, fresh || same || b->dirty);
out:
	close_batch(b);
	free(b);
	return rc;
}

int sync_tree(int src, int dst, const struct sync_opts *o, struct sync_stats *st,
	      struct sync_err *e)
{
	struct ctx c = { .o = o, .st = st, .e = e, .cur = &unknown_id };
	struct stat s;
	DIR *d = NULL;
	int fd = -1, rc = -1;

	memset(st, 0, sizeof *st);
	e->op = NULL;
	e->path[0] = '\0';
	e->err = 0;
	c.wuid = o->writer ? o->writer->uid : geteuid();
	if (as(&c, o->reader) == 0) {
		fd = openat(src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &s) < 0 || !(d = fdopendir(fd)))
			fail(&c, "open", NULL);
		else
			rc = sync_dir(&c, d, dst, 0, &s, 0, 0);
	}
	if (d)
		closedir(d);
	else if (fd >= 0)
		close(fd);
	if (ident_enter(NULL) < 0 && rc == 0)
		rc = fail(&c, "ident", NULL);
	return rc;
}
