/* sync.h - copy the host user's config dir into the agent's dir, like rsync -a --delete. */
#ifndef SYNC_H
#define SYNC_H
#include <limits.h>
#include "ident.h"

enum {
	SYNC_MAX_DEPTH = 64,     /* directory levels below the top */
	SYNC_SHARE_AFTER = 1000, /* entries synced before a second thread pays for itself */
};

struct sync_opts {
	const struct ident *reader;    /* identity for everything under the source */
	const struct ident *writer;    /* identity for everything under the destination */
	const char *const *exclude;    /* names excluded at the top level only; NULL-terminated */
	/* Called for each entry skipped with a reason (FIFO, socket, device); path is relative. */
	void (*warn)(void *ctx, const char *path, const char *reason);
	void *ctx;
	/* Source entries synced before a second thread takes every other remaining top
	 * directory (SYNC_SHARE_AFTER: starting a thread costs more than a small tree's sync). */
	unsigned long share_after;
	const char *reader_name;       /* named in the warning for an unreadable entry */
	/* The most the source tree may hold: apparent bytes of its regular files, entries;
	 * 0 for no limit. Past either the sync stops and fails with SYNC_LIMIT_*. */
	unsigned long long max_bytes, max_entries;
};

struct sync_stats {
	unsigned long entries;   /* source entries looked at */
	unsigned long copied;    /* files and links written */
	unsigned long updated;   /* mode or mtime fixed without a copy */
	unsigned long deleted;   /* destination entries removed */
	unsigned long skipped;   /* special files and unreadable entries skipped */
	unsigned long long bytes; /* data bytes written (holes not counted) */
};

enum sync_limit { SYNC_LIMIT_NONE, SYNC_LIMIT_BYTES, SYNC_LIMIT_ENTRIES };

/* Where a sync failed: the operation, the relative path, and errno. */
struct sync_err {
	const char *op;          /* "read", "write", "remove", ..., "limit" */
	char path[PATH_MAX];
	int err;
	enum sync_limit limit;   /* op "limit": which one was passed (err EFBIG) */
};

/* Makes dst (a directory fd opened as writer) a copy of src (opened as reader): regular
 * files (their holes kept), directories and symlinks (as links), mode bits minus
 * setuid/setgid/sticky, and mtimes; dst itself keeps the mode its owner gave it; unchanged
 * files (same size and mtime) are not rewritten; FIFOs, sockets and devices are skipped with
 * a warning and never opened, and so are files the reader cannot read and directories it
 * cannot list or enter, and directories below SYNC_MAX_DEPTH levels; destination entries the source lacks (or skips) are removed, except
 * excluded names at the top. Past o->max_bytes or o->max_entries it stops writing. Files are replaced atomically and are durable when it returns (a fsync each for the
 * first few, then one syncfs of dst's filesystem). Nothing under dst is ever followed
 * through a link. The calling thread takes o->writer's identity for the whole sync and a
 * reader thread o->reader's for its whole life (op "thread" if it cannot start). Once
 * o->share_after entries are synced, a second such pair syncs every other remaining top
 * directory (all are joined before this returns). Returns with the saved (root) identity
 * active: 0, or -1 with e filled. */
int sync_tree(int src, int dst, const struct sync_opts *o, struct sync_stats *st,
	      struct sync_err *e);
#endif
