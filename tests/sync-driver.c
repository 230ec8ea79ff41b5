// links: sync.c priv/fs.c priv/ident.c
/* sync-driver.c - runs sync_tree on two directories as root: test and benchmark driver only.
 *
 * usage: sync-driver [-r USER] [-w USER] [-s ENTRIES] [-q] SRC DST
 * Excludes the runner's top-level names. Without -r/-w reader and writer are the saved
 * root identity (no switches); "-r root -w root" forces the identity switches anyway. -s
 * sets share_after (the runner's SYNC_SHARE_AFTER without it; 0: a second thread from the
 * start, as the comparison tests run it).
 * Prints the stats on stdout unless -q; exit 0 synced, 1 failed, 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "ident.h"
#include "sync.h"

static const char *const excludes[] = {
	"auth.json", "mcp-oauth", "sessions", "bin", "mcp-cache.json", NULL,
};

static void warn(void *ctx, const char *path, const char *reason)
{
	fprintf(stderr, "sync-driver: skipping %s: %s\n", path, reason);
}

static int usage(void)
{
	fprintf(stderr, "usage: sync-driver [-r USER] [-w USER] [-s ENTRIES] [-q] SRC DST\n");
	return 2;
}

static int who(struct ident *id, const char *name)
{
	if (ident_of_user(id, name, (gid_t)-1) == 0)
		return 0;
	fprintf(stderr, "sync-driver: unknown user %s\n", name);
	return -1;
}

int main(int argc, char **argv)
{
	static struct ident rd, wr;
	struct sync_opts o = { .exclude = excludes, .warn = warn, .share_after = SYNC_SHARE_AFTER };
	struct sync_stats st;
	struct sync_err e;
	int c, quiet = 0, src, dst;

	while ((c = getopt(argc, argv, "r:w:s:q")) != -1) {
		if (c == 'r' && who(&rd, optarg) == 0)
			o.reader = &rd;
		else if (c == 'w' && who(&wr, optarg) == 0)
			o.writer = &wr;
		else if (c == 's')
			o.share_after = strtoul(optarg, NULL, 10);
		else if (c == 'q')
			quiet = 1;
		else
			return usage();
	}
	if (argc - optind != 2)
		return usage();
	if (ident_save_root() < 0 || ident_enter(o.reader) < 0 ||
	    (src = fs_open_dir(AT_FDCWD, argv[optind])) < 0 || ident_enter(o.writer) < 0 ||
	    (dst = fs_open_dir(AT_FDCWD, argv[optind + 1])) < 0) {
		fprintf(stderr, "sync-driver: cannot open %s or %s: %s\n", argv[optind],
			argv[optind + 1], strerror(errno));
		return 1;
	}
	if (sync_tree(src, dst, &o, &st, &e) < 0) {
		fprintf(stderr, "sync-driver: cannot sync %s: %s %s: %s\n", argv[optind], e.op,
			e.path, strerror(e.err));
		return 1;
	}
	if (!quiet)
		printf("entries=%lu copied=%lu updated=%lu deleted=%lu skipped=%lu bytes=%llu\n",
		       st.entries, st.copied, st.updated, st.deleted, st.skipped, st.bytes);
	return 0;
}
