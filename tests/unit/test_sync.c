// links: sync.c priv/fs.c priv/ident.c
/* test_sync.c - sync_tree as root between two accounts: copies, deletions and planted traps. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fs.h"
#include "ident.h"
#include "sync.h"

enum { RUID = 65534, WUID = 1 };   /* reader: nobody, writer: daemon */

static const struct ident reader = { .uid = RUID, .gid = RUID };
static const struct ident writer = { .uid = WUID, .gid = WUID };
static const char *const excludes[] = { "auth.json", "sessions", "bin", NULL };
static char base[64];
static int warnings;
static char warned[PATH_MAX];
static unsigned long long max_bytes, max_entries;   /* the limits of the next run */

static void (*warn_hook)(void);        /* called on each warning, as the reader */
static char warned_all[4 * PATH_MAX];   /* every warning since the last forget_warnings */

static void on_warn(void *ctx, const char *path, const char *reason)
{
	size_t n = strlen(warned_all);

	warnings++;
	snprintf(warned, sizeof warned, "%s: %s", path, reason);
	snprintf(warned_all + n, sizeof warned_all - n, "%s\n", warned);
	if (warn_hook)
		warn_hook();
}

static void forget_warnings(void)
{
	warnings = 0;
	warned_all[0] = '\0';
}

/* The line "what" is among the warnings. */
static int warned_of(const char *what)
{
	char line[PATH_MAX + 2];

	snprintf(line, sizeof line, "%s\n", what);
	return strncmp(warned_all, line, strlen(line)) == 0 ||
	       (snprintf(line, sizeof line, "\n%s\n", what), strstr(warned_all, line) != NULL);
}

static const char *at(const char *rel)
{
	return check_path(base, rel);
}

static void stamp(const char *rel, long sec)
{
	struct timespec ts[2] = { { .tv_nsec = UTIME_OMIT }, { sec, 123456789 } };

	utimensat(AT_FDCWD, at(rel), ts, AT_SYMLINK_NOFOLLOW);
}

static void put(const char *rel, const char *data, mode_t mode, uid_t uid, long sec)
{
	int fd = open(at(rel), O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);

	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data))
		fprintf(stderr, "setup: cannot write %s: %s\n", at(rel), strerror(errno));
	if (fd >= 0)
		close(fd);
	if (chown(at(rel), uid, uid) < 0 || chmod(at(rel), mode) < 0)
		fprintf(stderr, "setup: cannot chown %s\n", at(rel));
	stamp(rel, sec);
}

static void mkd(const char *rel, mode_t mode, uid_t uid)
{
	if (mkdir(at(rel), mode) < 0 || chown(at(rel), uid, uid) < 0 || chmod(at(rel), mode) < 0)
		fprintf(stderr, "setup: cannot mkdir %s: %s\n", at(rel), strerror(errno));
}

static void lnk(const char *target, const char *rel, uid_t uid, long sec)
{
	if (symlink(target, at(rel)) < 0 || lchown(at(rel), uid, uid) < 0)
		fprintf(stderr, "setup: cannot link %s\n", at(rel));
	stamp(rel, sec);
}

static const char *slurp(const char *rel)
{
	static char buf[256];
	int fd = open(at(rel), O_RDONLY | O_NOFOLLOW);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);

	if (fd >= 0)
		close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return n < 0 ? "(unreadable)" : buf;
}

static struct stat lst(const char *rel)
{
	struct stat s;

	if (lstat(at(rel), &s) < 0)
		memset(&s, 0, sizeof s);
	return s;
}

static const char *target(const char *rel)
{
	static char buf[PATH_MAX];
	ssize_t n = readlink(at(rel), buf, sizeof buf - 1);

	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static int exists(const char *rel)
{
	struct stat s;

	return lstat(at(rel), &s) == 0;
}

static int count_entries(const char *rel)
{
	DIR *d = opendir(at(rel));
	struct dirent *de;
	int n = 0;

	while (d && (de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

/* Fresh scratch base with src (reader's) and dst (writer's). */
static void scratch(void)
{
	if (base[0] && fs_remove(AT_FDCWD, base) < 0)
		fprintf(stderr, "setup: cannot clean %s: %s\n", base, strerror(errno));
	strcpy(base, "/tmp/test_sync.XXXXXX");
	if (!mkdtemp(base) || chmod(base, 0755) < 0)
		fprintf(stderr, "setup: mkdtemp failed\n");
	mkd("src", 0755, RUID);
	mkd("dst", 0750, WUID);
}

static int run(struct sync_stats *st, struct sync_err *e)
{
	/* share_after 0: with two top directories or more, a second thread from the start */
	struct sync_opts o = {
		.reader = &reader, .writer = &writer, .exclude = excludes, .warn = on_warn,
		.share_after = 0, .reader_name = "nobody", .max_bytes = max_bytes,
		.max_entries = max_entries,
	};
	int src = fs_open_dir(AT_FDCWD, at("src")), dst = fs_open_dir(AT_FDCWD, at("dst"));
	int rc = sync_tree(src, dst, &o, st, e);

	CHECK_INT(setfsuid((uid_t)-1), 0);   /* back to root whatever happened */
	CHECK_INT(setfsgid((gid_t)-1), 0);
	close(src);
	close(dst);
	return rc;
}

static int run_ok(struct sync_stats *st)
{
	struct sync_err e;
	int rc = run(st, &e);

	if (rc < 0)
		fprintf(stderr, "sync failed: %s %s: %s\n", e.op, e.path, strerror(e.err));
	return rc;
}

static void test_copy(void)
{
	struct sync_stats st;
	struct stat a, b;

	scratch();
	put("src/f1", "hello", 0644, RUID, 1600000001);
	mkd("src/sub", 0750, RUID);
	put("src/sub/f2", "suid", 04755, RUID, 1600000002);
	mkd("src/sub/deep", 0700, RUID);
	put("src/sub/deep/f3", "three", 0600, RUID, 1600000003);
	lnk("sub/f2", "src/l", RUID, 1600000004);
	lnk("/etc/shadow", "src/abs", RUID, 1600000005);
	put("src/auth.json", "host secret", 0600, RUID, 1600000006);
	mkd("src/bin", 0755, RUID);
	put("src/bin/x", "x", 0755, RUID, 1600000007);
	mkd("src/ext", 0755, RUID);
	mkd("src/ext/bin", 0755, RUID);
	put("src/ext/bin/y", "y", 0755, RUID, 1600000008);
	stamp("src/sub/deep", 1600000010);
	stamp("src/sub", 1600000011);
	put("dst/auth.json", "agent token", 0600, WUID, 1600000012);
	mkd("dst/sessions", 0700, WUID);
	put("dst/sessions/s1", "session", 0600, WUID, 1600000013);

	CHECK_INT(run_ok(&st), 0);
	CHECK_INT(st.copied, 6);
	CHECK_INT(st.deleted, 0);
	CHECK_STR(slurp("dst/f1"), "hello");
	a = lst("src/f1");
	b = lst("dst/f1");
	CHECK_INT(b.st_mode & 07777, 0644);
	CHECK_INT(b.st_mtim.tv_sec, a.st_mtim.tv_sec);
	CHECK_INT(b.st_mtim.tv_nsec, a.st_mtim.tv_nsec);
	CHECK_INT(b.st_uid, WUID);
	CHECK_INT(b.st_gid, WUID);
	CHECK_INT(lst("dst/sub/f2").st_mode & 07777, 0755);    /* setuid stripped */
	CHECK_INT(lst("dst/sub").st_mode & 07777, 0750);
	CHECK_INT(lst("dst/sub").st_mtim.tv_sec, 1600000011);   /* set after its contents */
	CHECK_INT(lst("dst/sub/deep").st_mtim.tv_sec, 1600000010);
	CHECK_INT(lst("dst/sub/deep").st_mode & 07777, 0700);
	CHECK_STR(slurp("dst/sub/deep/f3"), "three");
	CHECK(S_ISLNK(lst("dst/l").st_mode));
	CHECK_STR(target("dst/l"), "sub/f2");
	CHECK_INT(lst("dst/l").st_mtim.tv_sec, 1600000004);
	CHECK_STR(target("dst/abs"), "/etc/shadow");
	CHECK_STR(slurp("dst/auth.json"), "agent token");    /* excluded: kept, not copied */
	CHECK_STR(slurp("dst/sessions/s1"), "session");
	CHECK(!exists("dst/bin"));                            /* top-level bin excluded */
	CHECK_STR(slurp("dst/ext/bin/y"), "y");               /* nested bin copied */
	CHECK_INT(lst("dst").st_mode & 07777, 0750);          /* top dir keeps the runner's mode */

	/* second run: nothing rewritten */
	a = lst("dst/f1");
	CHECK_INT(run_ok(&st), 0);
	CHECK_INT(st.copied + st.updated + st.deleted, 0);
	CHECK_INT(lst("dst/f1").st_ino, a.st_ino);

	/* same size, new mtime: rewritten */
	put("src/f1", "HELLO", 0644, RUID, 1600000020);
	CHECK_INT(run_ok(&st), 0);
	CHECK_INT(st.copied, 1);
	CHECK_STR(slurp("dst/f1"), "HELLO");
	CHECK(lst("dst/f1").st_ino != a.st_ino);

	/* mode only: fixed in place */
	a = lst("dst/f1");
	chmod(at("src/f1"), 0640);
	CHECK_INT(run_ok(&st), 0);
	CHECK_INT(st.copied, 0);
	CHECK_INT(st.updated, 1);
	CHECK_INT(lst("dst/f1").st_mode & 07777, 0640);
	CHECK_INT(lst("dst/f1").st_ino, a.st_ino);
}

static void test_delete_and_types(void)
{
	struct sync_stats st;

	scratch();
	put("src/f1", "one", 0644, RUID, 1600000001);
	put("src/gone", "bye", 0644, RUID, 1600000001);
	mkd("src/tree", 0755, RUID);
	put("src/tree/a", "a", 0644, RUID, 1600000001);
	mkd("src/d2f", 0755, RUID);
	put("src/f2d", "f", 0644, RUID, 1600000001);
	lnk("f1", "src/l2f", RUID, 1600000001);
	CHECK_INT(run_ok(&st), 0);

	unlink(at("src/gone"));
	CHECK_INT(fs_remove(AT_FDCWD, at("src/tree")), 0);
	rmdir(at("src/d2f"));
	put("src/d2f", "now a file", 0644, RUID, 1600000002);
	unlink(at("src/f2d"));
	mkd("src/f2d", 0755, RUID);
	put("src/f2d/in", "in", 0644, RUID, 1600000002);
	unlink(at("src/l2f"));
	put("src/l2f", "was a link", 0644, RUID, 1600000002);
	put("dst/.f1.pi-tmp", "stale", 0600, WUID, 1600000003);   /* a killed run's temps */
	put("dst/.f1.999.pi-tmp", "stale", 0600, WUID, 1600000003);
	mkd("dst/extra", 0755, WUID);
	put("dst/extra/x", "x", 0644, WUID, 1600000003);
	CHECK_INT(run_ok(&st), 0);
	CHECK(!exists("dst/gone"));
	CHECK(!exists("dst/tree"));
	CHECK(!exists("dst/.f1.pi-tmp"));
	CHECK(!exists("dst/.f1.999.pi-tmp"));
	CHECK(!exists("dst/extra"));
	CHECK_INT(st.deleted, 5);
	CHECK_STR(slurp("dst/d2f"), "now a file");
	CHECK_STR(slurp("dst/f2d/in"), "in");
	CHECK(S_ISREG(lst("dst/l2f").st_mode));
	CHECK_INT(count_entries("dst"), 4);

	/* a directory in dst where the source has a file or a link */
	mkd("dst/f1.d", 0755, WUID);
	put("src/f1.d", "file", 0644, RUID, 1600000004);
	put("dst/f1.d/inner", "x", 0644, WUID, 1600000004);
	mkd("dst/l1.d", 0755, WUID);
	put("dst/l1.d/inner", "x", 0644, WUID, 1600000004);
	lnk("f1", "src/l1.d", RUID, 1600000004);
	CHECK_INT(run_ok(&st), 0);
	CHECK_STR(slurp("dst/f1.d"), "file");
	CHECK_STR(target("dst/l1.d"), "f1");
	CHECK_INT(count_entries("dst"), 6);
}

static void test_fifo(void)
{
	struct sync_stats st;

	scratch();
	put("src/f", "f", 0644, RUID, 1600000001);
	if (mkfifo(at("src/fifo"), 0666) < 0 || chown(at("src/fifo"), RUID, RUID) < 0)
		fprintf(stderr, "setup: mkfifo failed\n");
	mkd("src/sub", 0755, RUID);
	if (mkfifo(at("src/sub/p"), 0666) < 0)
		fprintf(stderr, "setup: mkfifo failed\n");
	put("dst/fifo", "stale file", 0644, WUID, 1600000001);
	warnings = 0;
	alarm(20);   /* a FIFO opened blocking would hang here */
	CHECK_INT(run_ok(&st), 0);
	alarm(0);
	CHECK_INT(st.skipped, 2);
	CHECK_INT(warnings, 2);
	CHECK_STR(warned, "sub/p: FIFO");
	CHECK(!exists("dst/fifo"));
	CHECK(!exists("dst/sub/p"));
	CHECK_STR(slurp("dst/f"), "f");
}

static void test_dst_traps(void)
{
	struct sync_stats st;
	struct stat a;

	scratch();
	mkd("outside", 0755, WUID);                 /* writable by the writer: only no-follow saves it */
	put("outfile", "outside", 0644, WUID, 1600000001);
	put("rootfile", "ROOT", 0644, 0, 1600000009);
	mkd("src/sub", 0755, RUID);
	put("src/sub/f", "sub file", 0644, RUID, 1600000001);
	put("src/f1", "hello", 0644, RUID, 1600000002);
	put("src/hl", "ABCD", 0644, RUID, 1600000009);   /* same size and mtime as rootfile */
	lnk(at("outside"), "dst/sub", WUID, 1600000001);
	lnk(at("outfile"), "dst/f1", WUID, 1600000001);
	if (link(at("rootfile"), at("dst/hl")) < 0)
		fprintf(stderr, "setup: link failed\n");
	a = lst("rootfile");
	CHECK_INT(run_ok(&st), 0);
	CHECK(S_ISDIR(lst("dst/sub").st_mode));
	CHECK_STR(slurp("dst/sub/f"), "sub file");
	CHECK_INT(count_entries("outside"), 0);
	CHECK_INT(lst("outside").st_mode & 07777, 0755);
	CHECK(S_ISREG(lst("dst/f1").st_mode));
	CHECK_STR(slurp("dst/f1"), "hello");
	CHECK_STR(slurp("outfile"), "outside");
	CHECK_INT(lst("outfile").st_mode & 07777, 0644);
	CHECK_STR(slurp("dst/hl"), "ABCD");
	CHECK(lst("dst/hl").st_ino != a.st_ino);
	CHECK_STR(slurp("rootfile"), "ROOT");
	CHECK_INT(lst("rootfile").st_nlink, 1);
	CHECK_INT(lst("rootfile").st_mode & 07777, 0644);

	/* a directory the writer may not write: the write fails, so it is done as writer */
	mkd("dst/rootdir", 0755, 0);
	mkd("src/rootdir", 0755, RUID);
	put("src/rootdir/new", "n", 0644, RUID, 1600000001);
	{
		struct sync_err e;

		CHECK_INT(run(&st, &e), -1);
		CHECK_STR(e.op, "create");
		CHECK_STR(e.path, "rootdir/new");
		CHECK_INT(e.err, EACCES);
	}
}

static void test_src_traps(void)
{
	struct sync_stats st;
	struct sync_err e;

	scratch();
	put("secret", "SECRET", 0600, 0, 1600000001);
	lnk(at("secret"), "src/lnk", RUID, 1600000001);
	put("src/ok", "ok", 0644, RUID, 1600000001);
	CHECK_INT(run_ok(&st), 0);
	CHECK(S_ISLNK(lst("dst/lnk").st_mode));
	CHECK_STR(target("dst/lnk"), at("secret"));
	CHECK_INT(st.bytes, 2);

	(void)e;
}

/* Entries the reader may not read are skipped with one warning each, never copied, and a
 * copy an earlier run left is removed; the rest is synced. */
static void test_unreadable(void)
{
	struct sync_stats st;

	scratch();
	mkd("src/d", 0755, RUID);
	put("src/d/ok", "ok", 0644, RUID, 1600000001);
	put("src/d/secret", "SECRET", 0600, 0, 1600000001);     /* root's, after a sudo npm i */
	put("src/d/mine", "mine", 0200, RUID, 1600000001);      /* the reader's, write-only */
	mkd("src/priv", 0700, 0);                               /* root's directory */
	put("src/priv/inner", "inner", 0644, 0, 1600000001);
	mkd("src/noexec", 0600, RUID);                          /* listable, not enterable */
	put("src/top", "top", 0644, RUID, 1600000001);
	forget_warnings();
	CHECK_INT(run_ok(&st), 0);
	CHECK_INT(warnings, 4);
	CHECK(warned_of("d/secret: not readable by nobody"));
	CHECK(warned_of("d/mine: not readable by nobody"));
	CHECK(warned_of("priv: not readable by nobody"));
	CHECK(warned_of("noexec: not readable by nobody"));
	CHECK_INT(st.skipped, 4);
	CHECK_STR(slurp("dst/d/ok"), "ok");
	CHECK_STR(slurp("dst/top"), "top");
	CHECK(!exists("dst/d/secret"));
	CHECK(!exists("dst/d/mine"));
	CHECK(!exists("dst/priv"));
	CHECK(!exists("dst/noexec"));
	CHECK_INT(count_entries("dst/d"), 1);
	forget_warnings();
	mkd("src/noexec2", 0755, RUID);
	put("src/noexec2/f", "f", 0644, RUID, 1600000001);
	chmod(at("src/noexec2"), 0644);
	CHECK_INT(run_ok(&st), 0);
	CHECK_INT(warnings, 5);
	CHECK(warned_of("noexec2: not readable by nobody"));
	CHECK(!exists("dst/noexec2"));

	/* copies of an earlier run go once the reader cannot read them: a file chowned to root
	 * keeps its size and mtime, so only the reader's check can tell */
	chmod(at("src/noexec2"), 0755);
	chown(at("src/priv"), RUID, RUID);
	chmod(at("src/d/mine"), 0600);
	CHECK_INT(run_ok(&st), 0);
	CHECK_STR(slurp("dst/noexec2/f"), "f");
	CHECK_STR(slurp("dst/priv/inner"), "inner");
	CHECK_STR(slurp("dst/d/mine"), "mine");
	put("src/d/ok", "ok", 0600, 0, 1600000001);              /* now root's, same mtime */
	chown(at("src/priv"), 0, 0);
	chmod(at("src/noexec2"), 0644);
	chmod(at("src/d/mine"), 0200);
	forget_warnings();
	CHECK_INT(run_ok(&st), 0);
	CHECK_INT(warnings, 6);
	CHECK(warned_of("d/ok: not readable by nobody"));
	CHECK(!exists("dst/d/ok"));
	CHECK(!exists("dst/d/mine"));
	CHECK(!exists("dst/priv"));
	CHECK(!exists("dst/noexec2"));
	CHECK_STR(slurp("dst/top"), "top");
	CHECK_INT(count_entries("dst/d"), 0);
	CHECK_INT(st.deleted, 4);
	chmod(at("src/noexec2"), 0755);
}

/* Two or more top directories are synced by two processes (the child takes every other
 * one): counts, outcomes and errors come back whole, whichever process had them. Each round
 * puts the trouble in another of four directories, so both processes meet it. */
static void test_shared(void)
{
	struct sync_stats st;
	struct sync_err e;
	char rel[64], want[64];
	int i, k;

	for (k = 0; k < 4; k++) {
		scratch();
		for (i = 0; i < 4; i++) {
			snprintf(rel, sizeof rel, "src/d%d", i);
			mkd(rel, 0755, RUID);
			snprintf(rel, sizeof rel, "src/d%d/sub", i);
			mkd(rel, 0750, RUID);
			snprintf(rel, sizeof rel, "src/d%d/f", i);
			put(rel, "data", 0644, RUID, 1600000000 + i);
			snprintf(rel, sizeof rel, "src/d%d/sub/g", i);
			put(rel, "more", 0640, RUID, 1600000100 + i);
			snprintf(rel, sizeof rel, "src/d%d/sub", i);
			stamp(rel, 1600000200 + i);
			snprintf(rel, sizeof rel, "src/d%d", i);
			stamp(rel, 1600000300 + i);
		}
		CHECK_INT(run_ok(&st), 0);
		CHECK_INT(st.entries, 16);
		CHECK_INT(st.copied, 8);
		CHECK_INT(st.bytes, 32);
		for (i = 0; i < 4; i++) {
			snprintf(rel, sizeof rel, "dst/d%d/sub/g", i);
			CHECK_STR(slurp(rel), "more");
			CHECK_INT(lst(rel).st_mtim.tv_sec, 1600000100 + i);
			snprintf(rel, sizeof rel, "dst/d%d/sub", i);
			CHECK_INT(lst(rel).st_mode & 07777, 0750);
			CHECK_INT(lst(rel).st_mtim.tv_sec, 1600000200 + i);
			snprintf(rel, sizeof rel, "dst/d%d", i);
			CHECK_INT(lst(rel).st_mtim.tv_sec, 1600000300 + i);
		}
		CHECK_INT(run_ok(&st), 0);
		CHECK_INT(st.entries, 16);
		CHECK_INT(st.copied + st.updated + st.deleted, 0);

		/* in directory k: one file changed, a subdirectory gone */
		snprintf(rel, sizeof rel, "src/d%d/f", k);
		put(rel, "changed", 0644, RUID, 1600000400);
		snprintf(rel, sizeof rel, "src/d%d/sub", k);
		CHECK_INT(fs_remove(AT_FDCWD, at(rel)), 0);
		CHECK_INT(run_ok(&st), 0);
		CHECK_INT(st.copied, 1);
		CHECK_INT(st.deleted, 1);
		snprintf(rel, sizeof rel, "dst/d%d/f", k);
		CHECK_STR(slurp(rel), "changed");
		snprintf(rel, sizeof rel, "dst/d%d/sub", k);
		CHECK(!exists(rel));

		/* a root-only file in directory k: skipped with its name, whichever thread met it */
		snprintf(rel, sizeof rel, "src/d%d/secret", k);
		put(rel, "SECRET", 0600, 0, 1600000001);
		warnings = 0;
		CHECK_INT(run_ok(&st), 0);
		CHECK_INT(warnings, 1);
		snprintf(want, sizeof want, "d%d/secret: not readable by nobody", k);
		CHECK_STR(warned, want);
		snprintf(rel, sizeof rel, "dst/d%d/secret", k);
		CHECK(!exists(rel));

		/* a directory in k the writer may not write: named, whichever thread met it */
		snprintf(rel, sizeof rel, "dst/d%d/locked", k);
		mkd(rel, 0755, 0);
		snprintf(rel, sizeof rel, "src/d%d/locked", k);
		mkd(rel, 0755, RUID);
		snprintf(rel, sizeof rel, "src/d%d/locked/new", k);
		put(rel, "new", 0644, RUID, 1600000001);
		CHECK_INT(run(&st, &e), -1);
		CHECK_STR(e.op, "create");
		snprintf(want, sizeof want, "d%d/locked/new", k);
		CHECK_STR(e.path, want);
		CHECK_INT(e.err, EACCES);
	}
}

/* The hook of test_unreadable_late: the files become unreadable while their directory is
 * listed (the FIFO's warning), after the listing may have found them readable. */
static void make_late_unreadable(void)
{
	char rel[32];
	int i;

	for (i = 0; i < 40; i++) {
		snprintf(rel, sizeof rel, "src/late/f%02d", i);
		chmod(at(rel), 0200);
	}
}

/* A file the reader could read when listed but not when opened: skipped, its earlier copy
 * removed, the sync goes on. */
static void test_unreadable_late(void)
{
	struct sync_stats st;
	char rel[32];
	int i;

	scratch();
	mkd("src/late", 0755, RUID);
	for (i = 0; i < 40; i++) {
		snprintf(rel, sizeof rel, "src/late/f%02d", i);
		put(rel, "old", 0644, RUID, 1600000001);
	}
	CHECK_INT(run_ok(&st), 0);
	CHECK_INT(count_entries("dst/late"), 40);
	for (i = 0; i < 40; i++) {
		snprintf(rel, sizeof rel, "src/late/f%02d", i);
		put(rel, "new", 0644, RUID, 1600000002);
	}
	if (mkfifo(at("src/late/fifo"), 0644) < 0 || chown(at("src/late/fifo"), RUID, RUID) < 0)
		fprintf(stderr, "setup: mkfifo failed\n");
	forget_warnings();
	warn_hook = make_late_unreadable;
	CHECK_INT(run_ok(&st), 0);
	warn_hook = NULL;
	CHECK_INT(warnings, 41);
	CHECK(warned_of("late/f00: not readable by nobody"));
	CHECK(warned_of("late/f39: not readable by nobody"));
	CHECK_INT(count_entries("dst/late"), 0);
	CHECK_INT(st.copied, 0);
}

/* Sparse files keep their holes (SEEK_DATA/SEEK_HOLE, then the size): few blocks in dst. */
static void test_sparse(void)
{
	static char data[8192];
	struct sync_stats st;
	struct stat a, b;
	int fd;

	scratch();
	memset(data, 'x', sizeof data);
	put("src/model.bin", "", 0644, RUID, 1600000001);
	fd = open(at("src/model.bin"), O_WRONLY);
	if (fd < 0 || ftruncate(fd, 48 << 20) < 0 || pwrite(fd, data, sizeof data, 0) < 0 ||
	    pwrite(fd, data, sizeof data, 20 << 20) < 0 || pwrite(fd, "end", 3, (48 << 20) - 3) < 0)
		fprintf(stderr, "setup: cannot write the sparse file\n");
	if (fd >= 0)
		close(fd);
	stamp("src/model.bin", 1600000001);
	put("src/hole.bin", "", 0644, RUID, 1600000001);
	if (truncate(at("src/hole.bin"), 32 << 20) < 0)
		fprintf(stderr, "setup: truncate failed\n");
	stamp("src/hole.bin", 1600000001);
	put("src/small", "small", 0644, RUID, 1600000001);
	CHECK_INT(run_ok(&st), 0);
	a = lst("src/model.bin");
	b = lst("dst/model.bin");
	CHECK(a.st_blocks < 1024);                      /* the source is sparse here */
	CHECK_INT(b.st_size, 48 << 20);
	CHECK(b.st_blocks <= a.st_blocks + 64);        /* not 98,304 blocks */
	CHECK_INT(lst("dst/hole.bin").st_size, 32 << 20);
	CHECK(lst("dst/hole.bin").st_blocks <= 8);
	CHECK_STR(slurp("dst/small"), "small");
	CHECK(st.bytes <= 2 * sizeof data + 3 + 5 + 2 * 65536);
	{
		char x[8192], y[8192];
		int sf = open(at("src/model.bin"), O_RDONLY), df = open(at("dst/model.bin"), O_RDONLY);
		off_t off;
		int same = sf >= 0 && df >= 0;

		for (off = 0; same && off < (48 << 20); off += sizeof x)
			same = pread(sf, x, sizeof x, off) == (ssize_t)sizeof x &&
			       pread(df, y, sizeof y, off) == (ssize_t)sizeof y && !memcmp(x, y, sizeof x);
		CHECK(same);
		if (sf >= 0)
			close(sf);
		if (df >= 0)
			close(df);
	}
	CHECK_INT(run_ok(&st), 0);
	CHECK_INT(st.copied, 0);
}

/* The source tree's entries and apparent bytes are limited: refused past either, naming
 * it, before anything of the batch is written. */
static void test_limits(void)
{
	struct sync_stats st;
	struct sync_err e;
	char rel[32];
	int i;

	scratch();
	for (i = 0; i < 300; i++) {                 /* more than one batch */
		snprintf(rel, sizeof rel, "src/f%03d", i);
		put(rel, "0123456789", 0644, RUID, 1600000001);
	}
	mkd("src/sessions", 0755, RUID);            /* excluded: not counted */
	put("src/sessions/s", "0123456789", 0644, RUID, 1600000001);
	max_entries = 200;
	CHECK_INT(run(&st, &e), -1);
	CHECK_STR(e.op, "limit");
	CHECK_INT(e.limit, SYNC_LIMIT_ENTRIES);
	CHECK_INT(e.err, EFBIG);
	CHECK_INT(count_entries("dst"), 0);         /* nothing of the batch that passed it */
	max_entries = 0;
	max_bytes = 1999;
	CHECK_INT(run(&st, &e), -1);
	CHECK_STR(e.op, "limit");
	CHECK_INT(e.limit, SYNC_LIMIT_BYTES);
	CHECK_INT(count_entries("dst"), 0);
	max_bytes = 2999;                           /* the first batch (256) fits, not the next */
	CHECK_INT(run(&st, &e), -1);
	CHECK_INT(e.limit, SYNC_LIMIT_BYTES);
	CHECK_INT(count_entries("dst"), 256);
	max_bytes = 0;
	max_entries = 299;
	CHECK_INT(run(&st, &e), -1);
	CHECK_INT(e.limit, SYNC_LIMIT_ENTRIES);
	CHECK_INT(count_entries("dst"), 256);
	max_entries = 300;
	max_bytes = 3000;
	CHECK_INT(run_ok(&st), 0);
	CHECK_INT(count_entries("dst"), 300);
	CHECK_INT(run_ok(&st), 0);                  /* unchanged files count the same */

	/* apparent sizes count: a sparse 48 MiB file is 48 MiB */
	put("src/big", "", 0644, RUID, 1600000001);
	if (truncate(at("src/big"), 48 << 20) < 0)
		fprintf(stderr, "setup: truncate failed\n");
	max_entries = 301;
	max_bytes = 48 << 20;
	CHECK_INT(run(&st, &e), -1);
	CHECK_INT(e.limit, SYNC_LIMIT_BYTES);
	CHECK(!exists("dst/big"));
	max_bytes += 3000;
	CHECK_INT(run_ok(&st), 0);
	CHECK_INT(lst("dst/big").st_size, 48 << 20);

	/* four top directories, two threads, one tally */
	scratch();
	for (i = 0; i < 40; i++) {
		snprintf(rel, sizeof rel, "src/d%d", i % 4);
		if (i < 4)
			mkd(rel, 0755, RUID);
		snprintf(rel, sizeof rel, "src/d%d/f%02d", i % 4, i);
		put(rel, "x", 0644, RUID, 1600000001);
	}
	max_entries = 43;
	max_bytes = 40;
	CHECK_INT(run(&st, &e), -1);
	CHECK_INT(e.limit, SYNC_LIMIT_ENTRIES);
	max_entries = 44;
	max_bytes = 39;
	CHECK_INT(run(&st, &e), -1);
	CHECK_INT(e.limit, SYNC_LIMIT_BYTES);
	max_bytes = 40;
	CHECK_INT(run_ok(&st), 0);
	CHECK_INT(st.entries, 44);
	max_entries = max_bytes = 0;
}

/* Directories of the writer's that it may not write, search or read (0555 from a
 * read-only source tree, 0500, 0300, 0000, with contents) are removed all the same. */
static void test_remove_modes(void)
{
	static const mode_t modes[] = { 0555, 0500, 0300, 0000 };
	struct sync_stats st;
	char rel[64];
	size_t i;
	int fd;

	scratch();
	mkd("src/ro", 0755, RUID);
	mkd("src/ro/sub", 0755, RUID);
	put("src/ro/sub/f", "f", 0444, RUID, 1600000001);
	put("src/ro/g", "g", 0444, RUID, 1600000001);
	chmod(at("src/ro/sub"), 0555);
	chmod(at("src/ro"), 0555);
	for (i = 0; i < sizeof modes / sizeof *modes; i++) {
		snprintf(rel, sizeof rel, "dst/planted%zu", i);
		mkd(rel, 0755, WUID);
		snprintf(rel, sizeof rel, "dst/planted%zu/inner", i);
		mkd(rel, 0755, WUID);
		snprintf(rel, sizeof rel, "dst/planted%zu/inner/f", i);
		put(rel, "f", 0644, WUID, 1600000001);
		snprintf(rel, sizeof rel, "dst/planted%zu/inner", i);
		chmod(at(rel), modes[i]);
		snprintf(rel, sizeof rel, "dst/planted%zu", i);
		chmod(at(rel), modes[i]);
	}
	CHECK_INT(run_ok(&st), 0);
	CHECK_INT(count_entries("dst"), 1);
	CHECK_INT(lst("dst/ro").st_mode & 07777, 0555);
	CHECK_INT(lst("dst/ro/sub").st_mode & 07777, 0555);
	chmod(at("src/ro/sub"), 0755);
	chmod(at("src/ro"), 0755);
	CHECK_INT(fs_remove(AT_FDCWD, at("src/ro")), 0);
	CHECK_INT(run_ok(&st), 0);
	CHECK_INT(count_entries("dst"), 0);

	/* fs_remove and fs_ensure_dir as the writer: its own 0000 directory is repaired ... */
	mkd("dst/z", 0755, WUID);
	put("dst/z/f", "f", 0644, WUID, 1600000001);
	chmod(at("dst/z"), 0);
	mkd("dst/e", 0, WUID);
	mkd("dst/root", 0, 0);                      /* ... never someone else's */
	mkd("dst/root2", 0755, 0);
	put("dst/root2/f", "f", 0644, 0, 1600000001);
	chmod(at("dst/root2"), 0555);
	mkd("dst/target", 0, WUID);
	lnk(at("dst/target"), "dst/l", WUID, 1600000001);
	fd = fs_open_dir(AT_FDCWD, at("dst"));
	CHECK_INT(ident_enter(&writer), 0);
	CHECK_INT(fs_remove(fd, "z"), 0);
	{
		int e = fs_ensure_dir(fd, "e", 0750), r = fs_ensure_dir(fd, "root", 0750), err = errno;
		int l = fs_ensure_dir(fd, "l", 0750);

		CHECK(e >= 0);
		CHECK_INT(r, -1);
		CHECK_INT(err, EACCES);
		CHECK_INT(fs_remove(fd, "root2"), -1);
		CHECK(l >= 0);
		if (e >= 0)
			close(e);
		if (l >= 0)
			close(l);
	}
	CHECK_INT(ident_enter(NULL), 0);
	close(fd);
	CHECK(!exists("dst/z"));
	CHECK_INT(lst("dst/e").st_mode & 07777, 0750);
	CHECK_INT(lst("dst/root").st_mode & 07777, 0);
	CHECK_INT(lst("dst/root2").st_mode & 07777, 0555);
	CHECK_STR(slurp("dst/root2/f"), "f");
	CHECK(S_ISDIR(lst("dst/l").st_mode));
	CHECK_INT(lst("dst/target").st_mode & 07777, 0);
}

static void test_modes_and_names(void)
{
	struct sync_stats st;
	char name[300], rel[320];

	scratch();
	mkd("src/ro", 0755, RUID);
	put("src/ro/f", "f", 0444, RUID, 1600000001);
	chmod(at("src/ro"), 0500);
	memset(name, 'n', 255);
	name[255] = '\0';
	snprintf(rel, sizeof rel, "src/%s", name);
	put(rel, "long", 0644, RUID, 1600000001);
	name[0] = 'l';
	snprintf(rel, sizeof rel, "src/%s", name);
	lnk("target", rel, RUID, 1600000001);
	put("src/new\nline", "nl", 0644, RUID, 1600000001);
	CHECK_INT(run_ok(&st), 0);
	CHECK_INT(lst("dst/ro").st_mode & 07777, 0500);
	CHECK_STR(slurp("dst/ro/f"), "f");
	snprintf(rel, sizeof rel, "dst/%s", name);
	CHECK_STR(target(rel), "target");
	name[0] = 'n';
	snprintf(rel, sizeof rel, "dst/%s", name);
	CHECK_STR(slurp(rel), "long");
	CHECK_STR(slurp("dst/new\nline"), "nl");
	CHECK_INT(count_entries("dst"), 4);

	/* read-only directory of the writer's: usable again next time */
	chmod(at("src/ro"), 0755);
	put("src/ro/g", "g", 0644, RUID, 1600000002);
	chmod(at("src/ro"), 0500);
	CHECK_INT(run_ok(&st), 0);
	CHECK_STR(slurp("dst/ro/g"), "g");
	CHECK_INT(lst("dst/ro").st_mode & 07777, 0500);
	CHECK_INT(run_ok(&st), 0);
	CHECK_INT(st.copied + st.updated + st.deleted, 0);
	CHECK_INT(lst("dst/ro").st_mode & 07777, 0500);
}

/* A chain of levels directories "d" of uid under rel, walked down one fd at a time (any
 * depth, whatever PATH_MAX says), a file at its bottom. */
static void chain(const char *rel, int levels, uid_t uid)
{
	int fd = open(at(rel), O_RDONLY | O_DIRECTORY), next, i;

	for (i = 0; fd >= 0 && i < levels; i++) {
		next = mkdirat(fd, "d", 0755) == 0 ? openat(fd, "d", O_RDONLY | O_DIRECTORY) : -1;
		if (next < 0 || fchown(next, uid, uid) < 0)
			fprintf(stderr, "setup: chain %s: %s\n", rel, strerror(errno));
		close(fd);
		fd = next;
	}
	if (fd >= 0 && (next = openat(fd, "leaf", O_WRONLY | O_CREAT, 0644)) >= 0) {
		if (fchown(next, uid, uid) < 0)
			fprintf(stderr, "setup: chain %s: %s\n", rel, strerror(errno));
		close(next);
	}
	if (fd >= 0)
		close(fd);
}

/* The deepest "d" below rel (0: none). */
static int levels(const char *rel)
{
	int fd = open(at(rel), O_RDONLY | O_DIRECTORY), next, n = 0;

	while (fd >= 0 && (next = openat(fd, "d", O_RDONLY | O_DIRECTORY | O_NOFOLLOW)) >= 0) {
		close(fd);
		fd = next;
		n++;
	}
	if (fd >= 0)
		close(fd);
	return n;
}

static void test_depth(void)
{
	struct sync_stats st;
	struct rlimit old, few;
	char rel[PATH_MAX] = "src", want[PATH_MAX];
	int i, rc;

	scratch();
	for (i = 0; i < SYNC_MAX_DEPTH; i++) {
		strcat(rel, "/d");
		mkd(rel, 0755, RUID);
	}
	CHECK_INT(run_ok(&st), 0);
	memcpy(rel, "dst", 3);                  /* the deepest level allowed arrived */
	CHECK(exists(rel));

	/* one level more in the source, and the agent's 1,000 below it in dst: the level is
	 * skipped with one warning naming it, dst's copy goes */
	memcpy(rel, "src", 3);
	strcat(rel, "/d");
	mkd(rel, 0755, RUID);
	memcpy(rel, "dst", 3);
	mkd(rel, 0755, WUID);
	chain(rel, 1000, WUID);
	forget_warnings();
	CHECK_INT(run_ok(&st), 0);
	CHECK_INT(levels("dst"), SYNC_MAX_DEPTH);
	CHECK_INT(levels("src"), SYNC_MAX_DEPTH + 1);
	snprintf(want, sizeof want, "%s: deeper than %d levels", rel + 4, SYNC_MAX_DEPTH);
	CHECK_INT(warnings, 1);
	CHECK_STR(warned, want);
	CHECK_INT(st.deleted, 1);
	CHECK_INT(run_ok(&st), 0);              /* and nothing more to do next time */
	CHECK_INT(st.copied + st.updated + st.deleted, 0);

	/* a 1,000-level source and a 1,000-level dst chain beside it: with 300 fds */
	scratch();
	mkd("src/deep", 0755, RUID);
	chain("src/deep", 999, RUID);
	mkd("dst/junk", 0755, WUID);
	chain("dst/junk", 1000, WUID);
	CHECK_INT(getrlimit(RLIMIT_NOFILE, &old), 0);
	few = old;
	few.rlim_cur = 300;
	CHECK_INT(setrlimit(RLIMIT_NOFILE, &few), 0);
	forget_warnings();
	rc = run_ok(&st);
	CHECK_INT(setrlimit(RLIMIT_NOFILE, &old), 0);
	CHECK_INT(rc, 0);
	CHECK_INT(warnings, 1);
	CHECK_INT(levels("dst/deep"), SYNC_MAX_DEPTH - 1);
	CHECK(!exists("dst/junk"));
}

/* setfsuid(uid) fails with EPERM from now on, in every thread (a filter on its argument). */
static int refuse_fsuid(uid_t uid)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_setfsuid, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, uid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof f / sizeof *f, f };

	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

/* In a child (the filter cannot be undone): the sync where uid cannot be taken. 0 when it
 * failed on the identity and dst is as it was. */
static int sync_refused(uid_t uid)
{
	struct sync_stats st;
	struct sync_err e;
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		int rc = refuse_fsuid(uid) < 0 ? 0 : run(&st, &e);

		_exit(rc == -1 && !strcmp(e.op, "ident") && exists("dst/old") &&
		      !exists("dst/d0") && !exists("dst/d1") && !exists("dst/f") && !check_failed ?
		      0 : 1);
	}
	return pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ? -1 :
	       WEXITSTATUS(status);
}

/* Each thread takes its identity once, first: where the reader's or the writer's cannot be
 * taken, nothing is read or written (dst keeps what it had), and the error says why. */
static void test_identity_refused(void)
{
	scratch();
	mkd("src/d0", 0755, RUID);
	mkd("src/d1", 0755, RUID);
	put("src/f", "new", 0644, RUID, 1600000001);
	put("dst/old", "old", 0644, WUID, 1600000001);
	CHECK_INT(sync_refused(RUID), 0);
	CHECK_INT(sync_refused(WUID), 0);
	CHECK_INT(sync_refused(12345), 1);      /* the check itself: an unrelated uid syncs */
}

int main(void)
{
	if (geteuid() != 0) {
		printf("sync: skipped, needs root\n");
		return 0;
	}
	umask(022);
	CHECK_INT(ident_save_root(), 0);
	test_copy();
	test_delete_and_types();
	test_fifo();
	test_dst_traps();
	test_src_traps();
	test_unreadable();
	test_unreadable_late();
	test_sparse();
	test_limits();
	test_remove_modes();
	test_shared();
	test_modes_and_names();
	test_depth();
	test_identity_refused();
	CHECK_INT(fs_remove(AT_FDCWD, base), 0);
	return check_done("sync");
}
