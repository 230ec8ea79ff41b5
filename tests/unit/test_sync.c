// links: sync.c fs.c ident.c
/* test_sync.c - sync_tree as root between two accounts: copies, deletions and planted traps. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
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

static void on_warn(void *ctx, const char *path, const char *reason)
{
	warnings++;
	snprintf(warned, sizeof warned, "%s: %s", path, reason);
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
	struct sync_opts o = { &reader, &writer, excludes, on_warn, NULL, 0 };
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

	/* a root-only file inside the source: refused, named, never copied */
	mkd("src/d", 0755, RUID);
	put("src/d/secret", "SECRET", 0600, 0, 1600000001);
	CHECK_INT(run(&st, &e), -1);
	CHECK_STR(e.op, "open");
	CHECK_STR(e.path, "d/secret");
	CHECK_INT(e.err, EACCES);
	CHECK(!exists("dst/d/secret"));
	CHECK_INT(count_entries("dst/d"), 0);

	/* a root-only directory: the same */
	unlink(at("src/d/secret"));
	mkd("src/d/priv", 0700, 0);
	CHECK_INT(run(&st, &e), -1);
	CHECK_STR(e.op, "open");
	CHECK_STR(e.path, "d/priv");
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

		/* a root-only file in directory k: named, whichever process met it */
		snprintf(rel, sizeof rel, "src/d%d/secret", k);
		put(rel, "SECRET", 0600, 0, 1600000001);
		CHECK_INT(run(&st, &e), -1);
		CHECK_STR(e.op, "open");
		snprintf(want, sizeof want, "d%d/secret", k);
		CHECK_STR(e.path, want);
		CHECK_INT(e.err, EACCES);
		snprintf(rel, sizeof rel, "dst/d%d/secret", k);
		CHECK(!exists(rel));
	}
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

static void test_depth(void)
{
	struct sync_stats st;
	struct sync_err e;
	char rel[PATH_MAX] = "src";
	int i;

	scratch();
	for (i = 0; i < SYNC_MAX_DEPTH; i++) {
		strcat(rel, "/d");
		mkd(rel, 0755, RUID);
	}
	CHECK_INT(run_ok(&st), 0);
	memcpy(rel, "dst", 3);                  /* the deepest level allowed arrived */
	CHECK(exists(rel));
	memcpy(rel, "src", 3);
	strcat(rel, "/d");
	mkd(rel, 0755, RUID);
	CHECK_INT(run(&st, &e), -1);
	CHECK_STR(e.op, "depth");
	CHECK_INT((int)strlen(e.path), 2 * (SYNC_MAX_DEPTH + 1) - 1);
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
	test_shared();
	test_modes_and_names();
	test_depth();
	CHECK_INT(fs_remove(AT_FDCWD, base), 0);
	return check_done("sync");
}
