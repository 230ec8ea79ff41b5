// links: priv/fs.c priv/ident.c
/* test_fs.c - fs_remove on trees an agent may leave: any depth, long paths, locked modes, in a few fds and a small stack. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fs.h"
#include "ident.h"

enum { WUID = 1 };   /* the agent: daemon */

static const struct ident agent = { .uid = WUID, .gid = WUID };
static char base[64];
static int basefd = -1;

static const char *at(const char *rel)
{
	return check_path(base, rel);
}

/* The fds this process has open. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = -1;   /* the DIR's own */

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n - 2;   /* "." and ".." */
}

/* As the agent: a chain of levels directories under dir (each named len times 'd'), walked
 * down one fd at a time; every seventh made 0000 and every fifth 0500 once its child is
 * there; at the bottom a file, a link out of the base and one up through "..". */
static int chain(const char *dir, int levels, int len)
{
	char name[256];
	int fd, next, i, rc = -1;

	memset(name, 'd', (size_t)len);
	name[len] = '\0';
	if (ident_enter(&agent) < 0)
		return -1;
	fd = fs_open_dir(basefd, dir);
	for (i = 0; fd >= 0 && i < levels; i++) {
		if (mkdirat(fd, name, 0755) < 0 || (next = fs_open_dir(fd, name)) < 0) {
			close(fd);
			fd = -1;
			break;
		}
		if (i % 7 == 6)
			fchmod(fd, 0);
		else if (i % 5 == 4)
			fchmod(fd, 0500);
		close(fd);
		fd = next;
	}
	if (fd >= 0) {
		rc = fs_write_atomic(fd, "leaf", "leaf\n", 5, 0444) == 0 &&
		     symlinkat(base, fd, "out") == 0 && symlinkat("../../..", fd, "up") == 0 ? 0 : -1;
		close(fd);
	}
	if (ident_enter(NULL) < 0)
		rc = -1;
	if (rc < 0)
		fprintf(stderr, "setup: chain %s: %s\n", dir, strerror(errno));
	return rc;
}

/* What lies outside the tree: a file and a directory of the agent's, and a root file. */
static void outside(void)
{
	int fd;

	mkdir(at("outside"), 0755);
	fd = open(at("outside/keep"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "keep\n", 5) != 5 || chown(at("outside"), WUID, WUID) < 0 ||
	    chown(at("outside/keep"), WUID, WUID) < 0)
		fprintf(stderr, "setup: outside: %s\n", strerror(errno));
	if (fd >= 0)
		close(fd);
}

static int outside_intact(void)
{
	struct stat st;
	char buf[16] = "";
	int fd = open(at("outside/keep"), O_RDONLY);

	if (fd < 0 || read(fd, buf, sizeof buf) != 5)
		buf[0] = '\0';
	if (fd >= 0)
		close(fd);
	return !strcmp(buf, "keep\n") && stat(at("outside"), &st) == 0 && st.st_nlink == 2 &&
	       stat(base, &st) == 0;
}

static void scratch(void)
{
	strcpy(base, "/tmp/test_fs.XXXXXX");
	if (!mkdtemp(base) || chmod(base, 0755) < 0 || chown(base, WUID, WUID) < 0 ||
	    (basefd = open(base, O_RDONLY | O_DIRECTORY)) < 0)
		fprintf(stderr, "setup: %s: %s\n", base, strerror(errno));
	outside();
}

/* fs_remove(base, name) as the agent. */
static int remove_as_agent(const char *name)
{
	int rc;

	if (ident_enter(&agent) < 0)
		return -2;
	rc = fs_remove(basefd, name);
	if (ident_enter(NULL) < 0)
		return -2;
	return rc;
}

/* 1,000 levels, some locked: gone, with at most three fds more than the caller's. */
static void test_deep_few_fds(void)
{
	struct rlimit old, few;
	int before = open_fds(), rc;

	CHECK_INT(chain(".", 1000, 1), 0);
	CHECK_INT(getrlimit(RLIMIT_NOFILE, &old), 0);
	few = old;
	few.rlim_cur = (rlim_t)(basefd + 4);   /* fds are given lowest first */
	CHECK_INT(setrlimit(RLIMIT_NOFILE, &few), 0);
	rc = remove_as_agent("d");
	CHECK_INT(setrlimit(RLIMIT_NOFILE, &old), 0);
	CHECK_INT(rc, 0);
	CHECK(faccessat(basefd, "d", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
	CHECK(outside_intact());
	CHECK_INT(open_fds(), before);
}

/* 40 names of 255 bytes: a path longer than PATH_MAX. */
static void test_long_path(void)
{
	char name[256];

	memset(name, 'd', 255);
	name[255] = '\0';
	CHECK_INT(chain(".", 40, 255), 0);
	CHECK_INT(remove_as_agent(name), 0);
	CHECK(faccessat(basefd, name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
	CHECK(outside_intact());
}

struct on_stack {
	const char *name;
	int rc;
};

static void *remove_thread(void *arg)
{
	struct on_stack *s = arg;

	s->rc = remove_as_agent(s->name);
	return NULL;
}

/* 5,000 levels with all the fds they could want, on a 256 KiB stack (a frame per level
 * would not fit). */
static void test_deep_small_stack(void)
{
	struct on_stack s = { "s", -3 };
	struct rlimit old, many;
	pthread_attr_t attr;
	pthread_t t;

	CHECK_INT(mkdir(at("s"), 0755) == 0 && chown(at("s"), WUID, WUID) == 0, 1);
	CHECK_INT(chain("s", 4999, 1), 0);
	CHECK_INT(getrlimit(RLIMIT_NOFILE, &old), 0);
	many = old;
	many.rlim_cur = old.rlim_max < 65536 ? old.rlim_max : 65536;
	CHECK_INT(setrlimit(RLIMIT_NOFILE, &many), 0);
	CHECK_INT(pthread_attr_init(&attr), 0);
	CHECK_INT(pthread_attr_setstacksize(&attr, 256 << 10), 0);
	CHECK_INT(pthread_create(&t, &attr, remove_thread, &s), 0);
	CHECK_INT(pthread_join(t, NULL), 0);
	pthread_attr_destroy(&attr);
	CHECK_INT(setrlimit(RLIMIT_NOFILE, &old), 0);
	CHECK_INT(s.rc, 0);
	CHECK(faccessat(basefd, "s", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
	CHECK(outside_intact());
}

/* A wide tree whose names clash with those the removal parks at (.pi-rm.N): a file, an
 * empty directory, a full one. */
static void test_wide_and_clashing(void)
{
	char rel[64];
	int i;

	mkdir(at("w"), 0755);
	for (i = 0; i < 300; i++) {
		snprintf(rel, sizeof rel, "w/%d", i);
		mkdir(at(rel), 0755);
		snprintf(rel, sizeof rel, "w/%d/a", i);
		mkdir(at(rel), 0755);
		snprintf(rel, sizeof rel, "w/%d/a/b", i);
		mkdir(at(rel), 0755);
		snprintf(rel, sizeof rel, "w/%d/a/b/f", i);
		close(open(at(rel), O_WRONLY | O_CREAT, 0644));
	}
	close(open(at("w/.pi-rm.0"), O_WRONLY | O_CREAT, 0644));
	mkdir(at("w/.pi-rm.1"), 0755);
	mkdir(at("w/.pi-rm.2"), 0755);
	mkdir(at("w/.pi-rm.2/x"), 0755);
	mkdir(at("w/.pi-rm.2/x/y"), 0755);
	snprintf(rel, sizeof rel, "chown -R %d:%d %s", WUID, WUID, at("w"));
	if (system(rel) != 0)
		fprintf(stderr, "setup: %s failed\n", rel);
	CHECK_INT(remove_as_agent("w"), 0);
	CHECK(faccessat(basefd, "w", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
	CHECK(outside_intact());
}

/* A directory of root's deep inside: the removal stops there (EACCES), root's file stays,
 * nothing outside changes, no fd is left open; the rest goes once root's part is gone. */
static void test_not_ours(void)
{
	char cmd[PATH_MAX];
	int before = open_fds();

	CHECK_INT(chain(".", 30, 1), 0);
	mkdir(at("d/d/d/d/d/root"), 0755);
	close(open(at("d/d/d/d/d/root/f"), O_WRONLY | O_CREAT, 0644));
	errno = 0;
	CHECK_INT(remove_as_agent("d"), -1);
	CHECK_INT(errno, EACCES);
	snprintf(cmd, sizeof cmd, "test -f \"$(find %s -path '*/root/f')\"", at("d"));
	CHECK_INT(system(cmd), 0);
	CHECK(outside_intact());
	CHECK_INT(open_fds(), before);
	CHECK_INT(fs_remove(basefd, "d"), 0);   /* root's own removal takes the rest */
	CHECK(faccessat(basefd, "d", F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT);
	CHECK(outside_intact());
}

int main(void)
{
	if (geteuid() != 0) {
		printf("fs: skipped, needs root\n");
		return 0;
	}
	umask(022);
	CHECK_INT(ident_save_root(), 0);
	scratch();
	test_deep_few_fds();
	test_long_path();
	test_deep_small_stack();
	test_wide_and_clashing();
	test_not_ours();
	CHECK_INT(fs_remove(AT_FDCWD, base), 0);
	return check_done("fs");
}
