/* sync.c - copy the host user's config dir into the agent's dir, like rsync -a --delete.
 *
 * MUST rules kept here:
 * - everything under src (listing, lstat, readlink, open) happens on a reader thread that
 *   takes o->reader's identity once, first, and keeps it to its end; everything under dst
 *   (listing, lstat, create, rename, chmod, remove) on a walker thread that takes
 *   o->writer's once, first, and keeps it until sync_tree returns to the saved identity; no
 *   thread switches back and forth, and none assumes the identity it was started with;
 * - a walker hands its reader one step at a time and waits for it (a semaphore each way):
 *   the two never run at once, so the step's batch, path and counts need no other lock;
 *   source fds the reader opens are O_CLOEXEC and closed by the walker;
 * - no link is ever followed on either side: entries are lstat'ed, files and directories
 *   opened O_NOFOLLOW, links copied as links; a dst link or file where a directory should
 *   be is removed, never written through;
 * - source files are opened O_NONBLOCK and checked on the fd; FIFOs, sockets and devices
 *   are skipped with a warning and never opened;
 * - a file appears under its name only complete: temp file (O_EXCL) then renameat; the
 *   first FSYNC_MAX copies are fsynced each, more are made durable together by one syncfs
 *   of dst at the end (bench/README.md says why);
 * - setuid, setgid and sticky bits are never copied;
 * - a file the reader may not read, or a directory it may not list and enter, is skipped
 *   with a warning, never copied, and a copy an earlier run left in dst is removed;
 * - holes stay holes: a file with fewer blocks than its size is copied one data segment at
 *   a time (SEEK_DATA, SEEK_HOLE), then given its size (ftruncate);
 * - the source tree is counted as it is listed, both threads in one tally: entries, and the
 *   apparent size of its regular files (the size of the opened fd, and what a file without
 *   a size really gave); past o->max_entries or o->max_bytes nothing more is written;
 * - memory stays bounded: one batch per directory level (about 44 KiB: entries, names, a
 *   getdents buffer), allocated on the level's first use and reused by its directories;
 *   the tree is streamed, never held;
 * - fds and stack stay bounded whatever the depth of either tree: one frame and two fds
 *   (source, dst) per level, at most SYNC_MAX_DEPTH levels; a source directory deeper is
 *   skipped with a warning and dst's copy of it removed; what dst has beyond the source's
 *   levels is removed by fs_remove, which never recurses;
 * - once o->share_after entries are synced, a second walker (with a reader of its own) syncs
 *   every other remaining top directory under the same rules: credentials are per thread
 *   (ident.c makes the kernel's calls, never musl's all-threads setgroups), and it has its
 *   own context (path, batches, counts, error) and disjoint subtrees; it and its reader are
 *   joined before the top is pruned or given its attributes.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"
#include "sync.h"

enum {
	BATCH_MAX = 256,                       /* entries handled per identity round trip */
	BATCH_BUF = 16384,                     /* names and link targets of one batch */
	ENT_ROOM = NAME_MAX + 1 + PATH_MAX,    /* the most one entry can need in buf */
	DENTS_BUF = 16384,                     /* one getdents64 call: ~600 short names */
	COPY_BUF = 32768,                      /* read/write fallback of copy_file_range */
	FSYNC_MAX = 8,                         /* files fsynced one by one; beyond: one syncfs */
};

/* A_SKIP: a file the reader could not open after all; dst's copy of it goes. */
enum act { A_NONE, A_COPY, A_LINK, A_DIR, A_DEL, A_GONE, A_SKIP };

struct ent {
	off_t size;
	struct timespec mtime;
	mode_t mode;
	unsigned short name, target, tlen;     /* offsets into batch.buf, target length */
	unsigned char act;
	unsigned char dst_dir;                 /* dst has a directory here: remove before rename */
	unsigned char fresh;                   /* A_DIR: the dst directory is new and empty;
	                                        * others: dst has nothing of that name */
	unsigned char same;                    /* A_DIR: it had the right mode and mtime */
	unsigned char shared;                  /* A_DIR at the top: the second thread's */
	unsigned char sparse;                  /* A_COPY: fewer blocks than its size */
	int fd;                                /* A_COPY: the opened source file */
};

/* A directory listing read with getdents64 on our own fd: no DIR, no allocation. */
struct dents {
	int fd;
	unsigned pos, end;                     /* the unread records in buf */
	_Alignas(8) char buf[DENTS_BUF];
};

/* The linux_dirent64 records getdents64 fills buf with. */
struct dent {
	unsigned long long ino;
	long long off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

/* One directory level's memory, allocated once and reused by every directory of that level. */
struct batch {
	int n;
	int eof;                               /* the source directory has no more entries */
	int dirty;                             /* this dst directory was written to */
	size_t used;
	struct dents list;                     /* the source listing; then the dst's, to prune */
	struct ent e[BATCH_MAX];
	char buf[BATCH_BUF];
};

/* What the source tree holds so far, counted by both threads. */
struct tally {
	atomic_ullong bytes, entries;
};

struct reader;

struct ctx {
	const struct sync_opts *o;
	struct tally *tally;
	struct sync_stats *st;
	struct sync_err *e;
	struct reader *rd;                     /* the reader thread of this walker */
	unsigned long files;                   /* regular files committed so far */
	long pid;                              /* for temp names */
	uid_t wuid;                            /* owner of everything we write */
	size_t plen;
	char path[PATH_MAX];                   /* relative path of the directory being synced */
	struct batch *level[SYNC_MAX_DEPTH + 1];   /* each depth's batch, made on first use */
};

static int sync_dir(struct ctx *c, int src, int dst, int depth, const struct stat *want,
		    int fresh, int same, struct batch *b);

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
	c->e->limit = SYNC_LIMIT_NONE;
	pop(c, old);
	errno = err;
	return -1;
}

/* The limit the source tree has passed (in either thread), or SYNC_LIMIT_NONE. */
static enum sync_limit over(const struct ctx *c)
{
	const struct sync_opts *o = c->o;

	if (o->max_entries &&
	    atomic_load_explicit(&c->tally->entries, memory_order_relaxed) > o->max_entries)
		return SYNC_LIMIT_ENTRIES;
	if (o->max_bytes &&
	    atomic_load_explicit(&c->tally->bytes, memory_order_relaxed) > o->max_bytes)
		return SYNC_LIMIT_BYTES;
	return SYNC_LIMIT_NONE;
}

/* Fails with the limit passed, at name (EFBIG). */
static int fail_limit(struct ctx *c, enum sync_limit l, const char *name)
{
	errno = EFBIG;
	fail(c, "limit", name);
	c->e->limit = l;
	return -1;
}

/* Counts n more bytes (fewer when negative) and k more entries of the source tree; -1
 * once it is past a limit. */
static int count(struct ctx *c, long long n, unsigned k, const char *name)
{
	enum sync_limit l;

	if (n)
		atomic_fetch_add_explicit(&c->tally->bytes, (unsigned long long)n,
					  memory_order_relaxed);
	if (k)
		atomic_fetch_add_explicit(&c->tally->entries, k, memory_order_relaxed);
	l = over(c);
	return l ? fail_limit(c, l, name) : 0;
}

/* The most the file x may give (a file without a size reads to its end): its counted size
 * and what is left under max_bytes. */
static long long room_for(const struct ctx *c, const struct ent *x)
{
	unsigned long long used, max = c->o->max_bytes, left;

	if (!max)
		return LLONG_MAX;
	used = atomic_load_explicit(&c->tally->bytes, memory_order_relaxed);
	left = used < max ? max - used : 0;
	return left >= (unsigned long long)(LLONG_MAX - x->size) ? LLONG_MAX : x->size + (long long)left;
}

/* A step of the reader, run on its thread: its arguments and what it gives back. */
struct step {
	int src;                               /* the source directory (open_dir: the parent) */
	const char *name;                      /* open_dir: the directory to open; NULL: src */
	struct batch *b;
	int top;                               /* b lists the top directory */
	int fd;                                /* open_dir: the opened directory, or -1 */
	struct stat s;                         /* open_dir: its fstat */
	size_t old;                            /* open_dir: c->path before name was pushed */
};

typedef int (*step_fn)(struct ctx *c, struct step *p);

/* A thread that holds o->reader's credentials from its start to its end and runs the reader
 * steps of one walker (which holds o->writer's), one at a time while the walker waits: no
 * thread ever switches back and forth. */
struct reader {
	pthread_t t;
	sem_t go, done;
	const struct ident *id;
	step_fn fn;                            /* NULL: end the thread */
	struct ctx *c;
	struct step *p;
	int rc, err;
};

static void wait_sem(sem_t *s)
{
	while (sem_wait(s) < 0 && errno == EINTR)
		;
}

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	/* it starts with its creator's credentials, whatever they are: it takes the reader's */
	r->rc = ident_enter(r->id) < 0 ? -1 : 0;
	r->err = errno;
	sem_post(&r->done);
	if (r->rc < 0)
		return NULL;
	for (;;) {
		wait_sem(&r->go);
		if (!r->fn)
			return NULL;
		r->rc = r->fn(r->c, r->p);
		r->err = errno;
		sem_post(&r->done);
	}
}

/* Starts c's reader thread; it has taken the reader's identity when this returns 0. */
static int reader_start(struct ctx *c, struct reader *r)
{
	pthread_attr_t at;
	int err = -1;

	memset(r, 0, sizeof *r);
	r->id = c->o->reader;
	if (sem_init(&r->go, 0, 0) < 0 || sem_init(&r->done, 0, 0) < 0 ||
	    pthread_attr_init(&at) != 0)
		return fail(c, "thread", NULL);
	/* room for the warning callback's own frames */
	if (pthread_attr_setstacksize(&at, 1 << 18) == 0)
		err = pthread_create(&r->t, &at, reader_main, r);
	pthread_attr_destroy(&at);
	if (err) {
		errno = err > 0 ? err : ENOMEM;
		return fail(c, "thread", NULL);
	}
	wait_sem(&r->done);
	if (r->rc < 0) {
		pthread_join(r->t, NULL);
		errno = r->err;
		return fail(c, "ident", NULL);
	}
	c->rd = r;
	return 0;
}

static void reader_stop(struct ctx *c)
{
	struct reader *r = c->rd;

	if (!r)
		return;
	r->fn = NULL;
	sem_post(&r->go);
	pthread_join(r->t, NULL);
	sem_destroy(&r->go);
	sem_destroy(&r->done);
	c->rd = NULL;
}

/* Runs fn(c, p) on c's reader thread and returns what it returned, with its errno. */
static int on_reader(struct ctx *c, step_fn fn, struct step *p)
{
	struct reader *r = c->rd;

	r->fn = fn;
	r->c = c;
	r->p = p;
	sem_post(&r->go);
	wait_sem(&r->done);
	errno = r->err;
	return r->rc;
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

/* Starts listing the directory fd from its beginning. */
static void list_start(struct dents *l, int fd)
{
	l->fd = fd;
	l->pos = l->end = 0;
}

/* Reads the next directory entry that takes part: not "." or "..", not excluded at the top.
 * NULL at the end (*err 0) or on an error (*err -1). */
static const char *next_name(struct ctx *c, struct dents *l, int top, int *err)
{
	const struct dent *de;
	long n;

	for (;;) {
		if (l->pos >= l->end) {
			n = syscall(SYS_getdents64, l->fd, l->buf, sizeof l->buf);
			if (n <= 0) {
				*err = n < 0 ? fail(c, "list", NULL) : 0;
				return NULL;
			}
			l->pos = 0;
			l->end = (unsigned)n;
		}
		de = (const struct dent *)(l->buf + l->pos);
		l->pos += de->reclen;
		if (!strcmp(de->name, ".") || !strcmp(de->name, ".."))
			continue;
		if (top && excluded(c, de->name))
			continue;
		return de->name;
	}
}

/* Counts name as skipped and warns with why. */
static int skip(struct ctx *c, const char *name, const char *why)
{
	size_t old = push(c, name);

	c->st->skipped++;
	if (c->o->warn)
		c->o->warn(c->o->ctx, c->path, why);
	pop(c, old);
	return 0;
}

static int skip_special(struct ctx *c, const char *name, mode_t m)
{
	return skip(c, name, S_ISFIFO(m) ? "FIFO" : S_ISSOCK(m) ? "socket" :
		    S_ISCHR(m) || S_ISBLK(m) ? "device" : "unknown file type");
}

static int skip_unreadable(struct ctx *c, const char *name)
{
	char why[128];

	snprintf(why, sizeof why, "not readable by %s",
		 c->o->reader_name ? c->o->reader_name : "the reader");
	return skip(c, name, why);
}

/* As reader: whether it may read the file name, or list and enter the directory. The mode
 * answers for the owner (an ACL's owner entry is the mode's); faccessat2 with the reader's
 * credentials for anyone else; without it (kernels before 5.8) the open answers later. */
static int readable(const struct ctx *c, int src, const char *name, const struct stat *s)
{
	int dir = S_ISDIR(s->st_mode);
	mode_t need = dir ? S_IRUSR | S_IXUSR : S_IRUSR;

	if (S_ISLNK(s->st_mode) || !c->o->reader || !c->o->reader->uid)
		return 1;
	if (s->st_uid == c->o->reader->uid)
		return (s->st_mode & need) == need;
	if (syscall(SYS_faccessat2, src, name, dir ? R_OK | X_OK : R_OK,
		    AT_EACCESS | AT_SYMLINK_NOFOLLOW) == 0)
		return 1;
	return errno != EACCES && errno != EPERM;
}

/* As reader: whether the entry of that lstat takes part in the copy. */
static int takes_part(const struct ctx *c, int src, const char *name, const struct stat *s)
{
	return syncable(s->st_mode) && readable(c, src, name, s);
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
	if (count(c, 0, 1, name) < 0)
		return -1;
	if (!syncable(s.st_mode))
		return skip_special(c, name, s.st_mode);
	if (!readable(c, src, name, &s))
		return skip_unreadable(c, name);
	if (S_ISREG(s.st_mode) && count(c, s.st_size, 0, name) < 0)
		return -1;
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

/* As reader: fills b with the next entries of the source directory; b->eof at its end. */
static int read_batch(struct ctx *c, struct batch *b, int top)
{
	const char *name;
	int err;

	b->n = 0;
	b->used = 0;
	while (b->n < BATCH_MAX && BATCH_BUF - b->used >= ENT_ROOM) {
		if (!(name = next_name(c, &b->list, top, &err))) {
			b->eof = 1;
			return err < 0 ? -1 : b->n;
		}
		if (add_entry(c, b->list.fd, b, name) < 0)
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
		x->fresh = 0;
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

/* Opens name for reading like fs_open_regular (no link followed, a FIFO never blocks, the
 * type checked on the fd), with one fstat that also gives x its size, mtime and mode. */
static int open_source(int src, const char *name, struct ent *x)
{
	struct stat s;
	int fd = openat(src, name, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC), ok;

	if (fd < 0)
		return -1;
	ok = fstat(fd, &s) == 0;
	if (!ok || !S_ISREG(s.st_mode) || fcntl(fd, F_SETFL, 0) < 0) {
		if (ok && !S_ISREG(s.st_mode))
			errno = EFTYPE_PI;
		close(fd);
		return -1;
	}
	x->mode = s.st_mode;
	x->size = s.st_size;
	x->mtime = s.st_mtim;
	x->sparse = s.st_blocks < s.st_size / 512;
	x->fd = fd;
	return 0;
}

/* Reader step: opens the source files to copy; their fd decides size, mtime and mode (and
 * what they count). One the reader may not open after all is skipped (A_SKIP). */
static int open_sources(struct ctx *c, struct step *p)
{
	struct batch *b = p->b;
	int src = p->src;
	struct ent *x;
	off_t seen;
	int i;

	for (i = 0; i < b->n; i++) {
		x = &b->e[i];
		seen = x->size;
		if (x->act != A_COPY)
			continue;
		if (open_source(src, name_of(b, x), x) == 0) {
			if (count(c, (long long)(x->size - seen), 0, name_of(b, x)) < 0)
				return -1;
			continue;
		}
		if (errno != ENOENT && errno != EACCES && errno != EPERM)
			return fail(c, "open", name_of(b, x));
		x->act = errno == ENOENT ? A_GONE : A_SKIP;
		if (x->act == A_SKIP)
			skip_unreadable(c, name_of(b, x));
		if (count(c, -(long long)seen, 0, name_of(b, x)) < 0)
			return -1;
	}
	return 0;
}

enum {
	COPY_OVER = -2,         /* the file gave more than the room it had under max_bytes */
	COPY_PLAIN = -3,        /* the file cannot tell where its data is */
};

/* Reads in from where it is to its end into out; done bytes are there already. Past max
 * bytes in all: COPY_OVER. Returns the bytes out has. */
static long long copy_slow(int in, int out, long long done, long long max)
{
	char buf[COPY_BUF];
	ssize_t n;

	for (;;) {
		n = read(in, buf, max - done < (long long)sizeof buf ? (size_t)(max - done) + 1 :
			 sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -1 : done;
		if ((done += n) > max)
			return COPY_OVER;
		if (fs_write_full(out, buf, (size_t)n) < 0)
			return -1;
	}
}

static int copy_unsupported(int err)
{
	return err == EXDEV || err == EINVAL || err == ENOSYS || err == EOPNOTSUPP || err == EBADF;
}

/* Copies len bytes at off in in to the same offset in out (fewer if in shrank meanwhile),
 * with copy_file_range until *slow says it is not supported here. Returns the bytes copied
 * or -1. */
static long long copy_range(int in, int out, off_t off, off_t len, int *slow)
{
	off_t from = off, to = off, end = off + len;
	char buf[COPY_BUF];
	ssize_t n;

	while (from < end) {
		if (!*slow) {
			n = copy_file_range(in, &from, out, &to, (size_t)(end - from), 0);
			if (n < 0 && copy_unsupported(errno)) {
				*slow = 1;
				continue;
			}
		} else {
			n = pread(in, buf, end - from < (off_t)sizeof buf ? (size_t)(end - from) :
				  sizeof buf, from);
			for (ssize_t w, put = 0; n > 0 && put < n; put += w)
				if ((w = pwrite(out, buf + put, (size_t)(n - put), to + put)) < 0)
					return -1;
			if (n > 0) {
				from += n;
				to += n;
			}
		}
		if (n == 0)
			break;
		if (n < 0 && errno != EINTR)
			return -1;
	}
	return from - off;
}

/* Copies the data of in below size one segment at a time (SEEK_DATA, SEEK_HOLE) and gives
 * out that size: its holes stay holes. Returns the data bytes copied, -1, or COPY_PLAIN. */
static long long copy_sparse(int in, int out, off_t size)
{
	off_t data, hole, pos = 0;
	long long done = 0, n;
	int slow = 0;

	while (pos < size) {
		data = lseek(in, pos, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break;                  /* nothing but a hole from pos on */
		if (data < 0)
			return pos ? -1 : COPY_PLAIN;
		if (data >= size)
			break;
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			return -1;
		if ((n = copy_range(in, out, data, (hole < size ? hole : size) - data, &slow)) < 0)
			return -1;
		done += n;
		pos = hole;
	}
	return ftruncate(out, size) < 0 ? -1 : done;
}

/* Copies the opened source file of x to out: the size fstat saw (a file that grows
 * meanwhile has a new size and mtime for the next run's quick check), without a call to
 * find the end; a file without a size (procfs-like) to its end, at most room bytes. Returns
 * the size out has (-1, COPY_OVER); *data: the bytes written, holes left out. */
static long long copy_data(int in, int out, const struct ent *x, long long room,
			   long long *data)
{
	long long done = 0;
	off_t size = x->size;
	ssize_t n;

	*data = x->sparse ? copy_sparse(in, out, size) : COPY_PLAIN;
	if (*data != COPY_PLAIN)
		return *data < 0 ? -1 : size;
	if (!size)              /* empty, or procfs-like: read to the end */
		return *data = copy_slow(in, out, 0, room);
	while (done < size) {
		n = copy_file_range(in, NULL, out, NULL, (size_t)(size - done), 0);
		if (n > 0) {
			done += n;
			continue;
		}
		if (n == 0)     /* it shrank; or nothing at all from a procfs-like file */
			return *data = done ? done : copy_slow(in, out, 0, room);
		if (errno == EINTR)
			continue;
		/* a kernel or filesystem without it */
		if (copy_unsupported(errno))
			return *data = copy_slow(in, out, done, room);
		return -1;
	}
	return *data = done;
}

/* Temp name beside name (".NAME.PID.pi-tmp", as fs_tmp_open names it), or ".pi-tmp.PID"
 * when that is too long. */
static void tmp_name(char *buf, size_t size, const char *name, long pid)
{
	int n = snprintf(buf, size, ".%s.%ld.pi-tmp", name, pid);

	if (n < 0 || n > NAME_MAX)
		snprintf(buf, size, ".pi-tmp.%ld", pid);
}

/* fs_tmp_open(t, dst, name, 1) without a getpid per file; a stale temp of the same name,
 * left by a killed run whose pid came round again, is removed first. */
static int tmp_open(struct ctx *c, struct fs_tmp *t, int dst, const char *name)
{
	int i;

	tmp_name(t->tmp, sizeof t->tmp, name, c->pid);
	snprintf(t->name, sizeof t->name, "%s", name);
	t->dirfd = dst;
	for (i = 0; i < 2; i++) {
		t->fd = openat(dst, t->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			       0600);
		if (t->fd >= 0 || errno != EEXIST || i || fs_remove(dst, t->tmp) < 0)
			break;
	}
	return t->fd < 0 ? -1 : 0;
}

/* As writer: writes the opened source file to a temp file and renames it over name. */
static int copy_one(struct ctx *c, int dst, const char *name, struct ent *x)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, x->mtime };
	struct fs_tmp t;
	long long n, data;

	if (tmp_open(c, &t, dst, name) < 0)
		return fail(c, "create", name);
	n = copy_data(x->fd, t.fd, x, room_for(c, x), &data);
	close(x->fd);
	x->fd = -1;
	/* what a file without a size gave counts now */
	if (n == COPY_OVER || (n > x->size && count(c, n - x->size, 0, name) < 0)) {
		fs_tmp_abort(&t);
		return n == COPY_OVER ? fail_limit(c, SYNC_LIMIT_BYTES, name) : -1;
	}
	if (n < 0 || futimens(t.fd, ts) < 0 || (x->dst_dir && fs_remove(dst, name) < 0)) {
		fs_tmp_abort(&t);
		return fail(c, n < 0 ? "copy" : "write", name);
	}
	if ((++c->files <= FSYNC_MAX ? fs_tmp_commit(&t, x->mode & 0777) :
	     fs_tmp_commit_nosync(&t, x->mode & 0777)) < 0)
		return fail(c, "write", name);
	c->st->copied++;
	c->st->bytes += (unsigned long long)data;
	return 0;
}

/* As writer: creates the link under a temp name, sets its mtime, renames it over name. */
static int link_one(struct ctx *c, int dst, const char *name, const struct ent *x,
		    const char *target)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, x->mtime };
	char tmp[NAME_MAX + 1];

	tmp_name(tmp, sizeof tmp, name, c->pid);
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

/* As writer: removes what dst holds at name (a copy of a source entry now skipped). */
static int drop(struct ctx *c, int dst, const char *name)
{
	if (fs_remove(dst, name) < 0)
		return fail(c, "remove", name);
	c->st->deleted++;
	return 0;
}

/* As writer: writes the files and links decided on; nothing once the tree is past a limit. */
static int apply(struct ctx *c, int dst, struct batch *b)
{
	enum sync_limit l;
	struct ent *x;
	int i, rc = 0;

	for (i = 0; i < b->n && rc == 0; i++) {
		x = &b->e[i];
		if (x->act != A_COPY && x->act != A_LINK && (x->act != A_SKIP || x->fresh))
			continue;
		if ((l = over(c)))
			return fail_limit(c, l, name_of(b, x));
		if (x->act == A_COPY)
			rc = copy_one(c, dst, name_of(b, x), x);
		else if (x->act == A_LINK)
			rc = link_one(c, dst, name_of(b, x), x, b->buf + x->target);
		else
			rc = drop(c, dst, name_of(b, x));
		b->dirty = 1;
	}
	return rc;
}

/* The batch of a directory level, emptied; allocated on the level's first use. */
static struct batch *level(struct ctx *c, int depth)
{
	struct batch *b = c->level[depth];

	if (!b && !(b = c->level[depth] = malloc(sizeof *b)))
		return NULL;
	b->n = 0;
	b->eof = 0;
	b->dirty = 0;
	return b;
}

static void close_batch(struct batch *b)
{
	int i;

	for (i = 0; i < b->n; i++)
		if (b->e[i].fd >= 0)
			close(b->e[i].fd);
	b->n = 0;
}

/* A source directory below SYNC_MAX_DEPTH levels: skipped with a warning, like an unreadable
 * one; dst's copy of it (the agent's, whatever depth) goes. */
static int skip_deep(struct ctx *c, int dst, struct ent *x, const char *name)
{
	char why[64];
	struct stat d;

	snprintf(why, sizeof why, "deeper than %d levels", SYNC_MAX_DEPTH);
	skip(c, name, why);
	x->act = A_GONE;
	if (fstatat(dst, name, &d, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : fail(c, "stat", name);
	return drop(c, dst, name);
}

/* Reader step: opens the directory p->name under p->src (p->src itself without a name),
 * pushes its name and reads its first batch into p->b. 0, 1 gone, 2 unreadable (skipped
 * with a warning), or -1 with the error recorded; p->fd is open (and the name pushed)
 * whenever the open succeeded. */
static int open_dir(struct ctx *c, struct step *p)
{
	p->fd = p->name ? fs_open_dir(p->src, p->name) :
		openat(p->src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (p->fd < 0 && p->name && errno == ENOENT)
		return 1;
	if (p->fd < 0 && p->name && (errno == EACCES || errno == EPERM))
		return skip_unreadable(c, p->name) + 2;
	if (p->fd < 0 || fstat(p->fd, &p->s) < 0) {
		if (p->fd >= 0)
			close(p->fd);
		p->fd = -1;
		return fail(c, "open", p->name);
	}
	p->old = p->name ? push(c, p->name) : c->plen;
	list_start(&p->b->list, p->fd);
	return read_batch(c, p->b, p->top) < 0 ? -1 : 0;
}

/* Reader step: the next batch of the directory p->b lists. */
static int next_batch(struct ctx *c, struct step *p)
{
	return read_batch(c, p->b, p->top);
}

/* The reader opens the source directory name and reads its first batch, then (as writer)
 * its dst counterpart is made and synced. */
static int descend(struct ctx *c, int src, int dst, struct ent *x, const char *name,
		   int depth)
{
	struct step p = { .src = src, .name = name };
	int dfd, rc = -1, got;

	if (depth >= SYNC_MAX_DEPTH)
		return skip_deep(c, dst, x, name);
	if (!(p.b = level(c, depth + 1)))
		return fail(c, "memory", name);
	got = on_reader(c, open_dir, &p);
	if (got == 1 || got == 2) {
		x->act = A_GONE;      /* unreadable after all: dst's copy goes */
		return got == 2 ? drop(c, dst, name) : 0;
	}
	if (got == 0) {
		dfd = fs_ensure_dir(dst, name, (p.s.st_mode & 0777) | (c->wuid ? 0700 : 0));
		if (dfd < 0) {
			fail(c, "mkdir", NULL);
		} else {
			rc = sync_dir(c, p.fd, dfd, depth + 1, &p.s, x->fresh, x->same, p.b);
			close(dfd);
		}
	}
	close_batch(p.b);
	if (p.fd >= 0) {
		pop(c, p.old);
		close(p.fd);
	}
	return rc;
}

/* The second thread's share of the top directories (the entries marked shared): a context
 * of its own (identity, path, batches, counts, error); the entries it syncs are its own in
 * the shared top batch. */
struct share {
	struct ctx c;
	struct sync_stats st;
	struct sync_err e;
	struct reader rd;
	int src, dst, depth, rc;
	struct batch *b;
	pthread_t t;
};

static void free_levels(struct ctx *c)
{
	int i;

	for (i = 0; i <= SYNC_MAX_DEPTH; i++) {
		if (c->level[i])
			close_batch(c->level[i]);
		free(c->level[i]);
		c->level[i] = NULL;
	}
}

static void *share_main(void *arg)
{
	struct share *sh = arg;
	struct batch *b = sh->b;
	int i;

	/* it starts with its creator's credentials, whatever they are: it takes the writer's */
	if (ident_enter(sh->c.o->writer) < 0)
		sh->rc = fail(&sh->c, "ident", NULL);
	for (i = 0; i < b->n && sh->rc == 0; i++)
		if (b->e[i].act == A_DIR && b->e[i].shared)
			sh->rc = descend(&sh->c, sh->src, sh->dst, &b->e[i], name_of(b, &b->e[i]),
					 sh->depth);
	free_levels(&sh->c);
	reader_stop(&sh->c);
	return NULL;
}

/* Marks every other top directory from b->e[from] on as the second thread's and starts it
 * with a reader thread of its own. Credentials are per thread (ident.c makes the kernel's
 * calls), and neither thread assumes an identity: each takes its own once, first. NULL
 * (nothing marked) if they cannot start. */
static struct share *share_start(struct ctx *c, int src, int dst, struct batch *b, int from,
				 int depth)
{
	struct share *sh = calloc(1, sizeof *sh);
	pthread_attr_t at;
	int i, k = 0, err = -1;

	if (!sh || pthread_attr_init(&at) != 0) {
		free(sh);
		return NULL;
	}
	sh->c = *c;
	memset(sh->c.level, 0, sizeof sh->c.level);
	sh->c.rd = NULL;
	sh->c.st = &sh->st;
	sh->c.e = &sh->e;
	sh->c.files = 0;
	if (reader_start(&sh->c, &sh->rd) < 0) {
		pthread_attr_destroy(&at);
		free(sh);
		return NULL;
	}
	sh->src = src;
	sh->dst = dst;
	sh->depth = depth;
	sh->b = b;
	for (i = from; i < b->n; i++)
		if (b->e[i].act == A_DIR)
			b->e[i].shared = k++ % 2;
	/* room for SYNC_MAX_DEPTH levels of frames and copy_slow's buffer */
	if (pthread_attr_setstacksize(&at, 1 << 20) == 0)
		err = pthread_create(&sh->t, &at, share_main, sh);
	pthread_attr_destroy(&at);
	if (err) {
		for (i = from; i < b->n; i++)
			b->e[i].shared = 0;
		reader_stop(&sh->c);
		free(sh);
		return NULL;
	}
	return sh;
}

/* Joins the second thread and takes its counts; its error counts if rc had none. */
static int share_join(struct ctx *c, struct share *sh, int rc)
{
	pthread_join(sh->t, NULL);
	c->files += sh->c.files;
	c->st->entries += sh->st.entries;
	c->st->copied += sh->st.copied;
	c->st->updated += sh->st.updated;
	c->st->deleted += sh->st.deleted;
	c->st->skipped += sh->st.skipped;
	c->st->bytes += sh->st.bytes;
	if (rc == 0 && sh->rc < 0) {
		*c->e = sh->e;
		errno = sh->e.err;
		rc = -1;
	}
	free(sh);
	return rc;
}

/* Syncs the directories of the batch, in order. At the top, once enough entries are
 * synced for a thread to pay, a second thread takes every other remaining directory, so
 * two cores list and lstat at once (as rsync's two processes do). */
static int descend_all(struct ctx *c, int src, int dst, struct batch *b, int depth)
{
	struct share *sh = NULL;
	int i, left = 0, rc = 0;

	for (i = 0; i < b->n; i++)
		left += b->e[i].act == A_DIR;
	for (i = 0; i < b->n && rc == 0; i++) {
		if (b->e[i].act != A_DIR || b->e[i].shared)
			continue;
		if (depth == 0 && !sh && left >= 2 && c->st->entries >= c->o->share_after)
			sh = share_start(c, src, dst, b, i, depth);
		rc = descend(c, src, dst, &b->e[i], name_of(b, &b->e[i]), depth);
		left--;
	}
	return sh ? share_join(c, sh, rc) : rc;
}

/* One batch through all phases; counts the names now present in dst in *expect. */
static int sync_batch(struct ctx *c, int src, int dst, struct batch *b, int depth, int fresh,
		      unsigned long *expect)
{
	int i, copies = 0;

	struct step p = { .src = src, .b = b };

	if (decide(c, dst, b, fresh) < 0)
		return -1;
	for (i = 0; i < b->n; i++)
		copies += b->e[i].act == A_COPY;
	if (copies && on_reader(c, open_sources, &p) < 0)
		return -1;
	if (apply(c, dst, b) < 0)
		return -1;
	if (descend_all(c, src, dst, b, depth) < 0)
		return -1;
	for (i = 0; i < b->n; i++) {
		if (b->e[i].act == A_DIR)
			b->dirty |= b->e[i].fresh;
		*expect += b->e[i].act != A_GONE && b->e[i].act != A_SKIP;
	}
	return 0;
}

/* As writer: reads the next names of the dst directory (listed in b->list) into b. */
static int read_names(struct ctx *c, struct batch *b, int top)
{
	const char *name;
	size_t len;
	int err;

	b->n = 0;
	b->used = 0;
	while (b->n < BATCH_MAX && BATCH_BUF - b->used > NAME_MAX) {
		if (!(name = next_name(c, &b->list, top, &err)))
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

/* Reader step: marks the names src lacks (or holds as a special file, or unreadable). */
static int mark_extra(struct ctx *c, struct step *p)
{
	struct batch *b = p->b;
	int src = p->src, i;
	struct stat s;

	for (i = 0; i < b->n; i++) {
		if (fstatat(src, name_of(b, &b->e[i]), &s, AT_SYMLINK_NOFOLLOW) == 0)
			b->e[i].act = takes_part(c, src, name_of(b, &b->e[i]), &s) ? A_NONE : A_DEL;
		else if (errno == ENOENT)
			b->e[i].act = A_DEL;
		else
			return fail(c, "stat", name_of(b, &b->e[i]));
	}
	return 0;
}

/* The reader marks the names src lacks, the writer removes them. */
static int prune_batch(struct ctx *c, int src, int dst, struct batch *b)
{
	struct step p = { .src = src, .b = b };
	int i;

	if (on_reader(c, mark_extra, &p) < 0)
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

/* Removes what dst has beyond the expect names synced; a count alone proves there is none.
 * The listing reuses b->list (the source's is done): dst's own fd below the top, which
 * nothing else reads; a fd of its own at the top, which is the caller's. */
static int prune(struct ctx *c, int src, int dst, struct batch *b, int top,
		 unsigned long expect)
{
	unsigned long have = 0;
	int fd, err, n, rc;

	fd = top ? openat(dst, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : dst;
	if (fd < 0)
		return fail(c, "list", NULL);
	list_start(&b->list, fd);
	while (next_name(c, &b->list, top, &err))
		have++;
	rc = err;
	if (err == 0 && have != expect) {
		if (lseek(fd, 0, SEEK_SET) < 0)
			rc = fail(c, "list", NULL);
		list_start(&b->list, fd);
		while (rc == 0) {
			if ((n = read_names(c, b, top)) < 0)
				rc = -1;
			else if (n == 0)
				break;
			else
				rc = prune_batch(c, src, dst, b);
		}
	}
	if (top)
		close(fd);
	return rc;
}

/* As writer: gives the dst directory the source's mode and mtime, after its contents; the
 * top one keeps the mode its owner (the runner) gave it. */
static int set_dir_attrs(struct ctx *c, int dst, const struct stat *want, int top, int quiet)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, want->st_mtim };
	mode_t mode = want->st_mode & 0777;
	struct stat d;
	int changed = 0;

	if (fstat(dst, &d) < 0)
		return fail(c, "stat", NULL);
	if (!top && (d.st_mode & 07777) != mode) {
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

/* Syncs one directory level whose first batch the reader has read into b: batches of
 * entries, then extras pruned, then attributes. A fresh dst directory is empty; a same one
 * had the wanted attributes before we came. */
static int sync_dir(struct ctx *c, int src, int dst, int depth, const struct stat *want,
		    int fresh, int same, struct batch *b)
{
	struct step p = { .src = src, .b = b, .top = depth == 0 };
	unsigned long expect = 0;
	int rc;

	for (;;) {
		rc = sync_batch(c, src, dst, b, depth, fresh, &expect);
		close_batch(b);
		if (rc < 0)
			return -1;
		if (b->eof)
			break;
		if (on_reader(c, next_batch, &p) < 0)
			return -1;
	}
	if (!fresh && prune(c, src, dst, b, depth == 0, expect) < 0)
		return -1;
	return set_dir_attrs(c, dst, want, depth == 0, fresh || same || b->dirty);
}

int sync_tree(int src, int dst, const struct sync_opts *o, struct sync_stats *st,
	      struct sync_err *e)
{
	struct tally tally = { 0, 0 };
	struct ctx c = { .o = o, .tally = &tally, .st = st, .e = e };
	struct step p = { .src = src, .top = 1, .fd = -1 };
	struct reader rd;
	int rc = -1;

	memset(st, 0, sizeof *st);
	e->op = NULL;
	e->path[0] = '\0';
	e->err = 0;
	e->limit = SYNC_LIMIT_NONE;
	c.wuid = o->writer ? o->writer->uid : geteuid();
	c.pid = (long)getpid();
	/* this thread is the writer from here to the end, its reader thread the reader */
	if (!(p.b = level(&c, 0)))
		fail(&c, "memory", NULL);
	else if (reader_start(&c, &rd) == 0 && ident_enter(o->writer) < 0)
		fail(&c, "ident", NULL);
	else if (c.rd && on_reader(&c, open_dir, &p) == 0)
		rc = sync_dir(&c, p.fd, dst, 0, &p.s, 0, 0, p.b);
	if (p.fd >= 0)
		close(p.fd);
	reader_stop(&c);
	free_levels(&c);
	/* one flush for the files committed without their fsync */
	if (rc == 0 && c.files > FSYNC_MAX && syncfs(dst) < 0)
		rc = fail(&c, "sync", NULL);
	if (ident_enter(NULL) < 0 && rc == 0)
		rc = fail(&c, "ident", NULL);
	return rc;
}
