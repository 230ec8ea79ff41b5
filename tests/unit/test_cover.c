// links: priv/cover.c priv/mounts.c priv/idmap.c priv/fs.c priv/ident.c policy.c
/* test_cover.c - unit tests for what covers a project inside its staged roots: the merged settings, the hidden dirs, the way to them pinned, what is refused, and the user's own tree untouched. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "check.h"
#include "cover.h"
#include "fs.h"
#include "ident.h"
#include "mounts.h"

static const struct ident root_id = { .uid = 0, .gid = 0 };
static char top[64];

static const char *at(const char *rel)
{
	return check_path(top, rel);
}

static void put(const char *rel, const char *text)
{
	check_put(top, rel, text);
}

/* The first line of the file at path, or "" when it cannot be read. */
static const char *text(const char *path)
{
	static char buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static const char *in(const struct mounts *m, size_t i, const char *rel)
{
	static char p[512];

	snprintf(p, sizeof p, "%s/%s", i < m->n ? m->staged[i] : "", rel);
	return p;
}

/* rename(2) of two paths under top. */
static int mv(const char *from, const char *to)
{
	char a[512];

	snprintf(a, sizeof a, "%s", at(from));
	return rename(a, at(to));
}

static int entries(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s')\"", dir);
	return system(cmd) == 0 ? 0 : 1;
}

/* Covers path in the staged roots; -1 keeps errno. */
static int cover(struct mounts *m, char **roots, const char *path, int file)
{
	char target[512];
	int src, rc, err;

	snprintf(target, sizeof target, "%s", path);
	src = file ? open(at("merged.json"), O_PATH | O_NOFOLLOW | O_CLOEXEC) : -1;
	rc = cover_path(m, roots, target, src);
	err = errno;
	if (src >= 0)
		close(src);
	errno = err;
	return rc;
}

static void covers(void)
{
	char *roots[] = { strdup(at("p")), strdup(at("p/sub")), NULL };
	struct mounts m;
	struct statvfs sv;
	const char *bad;
	char own[64];

	CHECK_INT(mounts_stage(&m, roots, 2, &root_id, NULL, &bad), 0);
	/* the settings: root's file, read-only, in both roots that hold it */
	CHECK_INT(cover(&m, roots, at("p/sub/.pi/settings.json"), 1), 2);
	CHECK_STR(text(in(&m, 0, "sub/.pi/settings.json")), "merged");
	CHECK_STR(text(in(&m, 1, ".pi/settings.json")), "merged");
	CHECK(statvfs(in(&m, 1, ".pi/settings.json"), &sv) == 0 && (sv.f_flag & ST_RDONLY) &&
	      (sv.f_flag & ST_NOSUID) && (sv.f_flag & ST_NODEV) && (sv.f_flag & ST_NOEXEC));
	CHECK(open(in(&m, 1, ".pi/settings.json"), O_WRONLY | O_CLOEXEC) < 0 && errno == EROFS);
	/* a hidden dir: an empty read-only tmpfs */
	CHECK_INT(cover(&m, roots, at("p/sub/.pi/extensions"), 0), 2);
	CHECK_INT(entries(in(&m, 1, ".pi/extensions")), 0);
	CHECK(mkdir(in(&m, 1, ".pi/extensions/x"), 0755) < 0 && errno == EROFS);
	/* the user's own tree (a shared mount) shows her files still, and they stay where they are */
	snprintf(own, sizeof own, "%s", text(at("p/sub/.pi/settings.json")));
	CHECK_STR(own, "own");
	CHECK_INT(entries(at("p/sub/.pi/extensions")), 1);
	CHECK(mv("p/sub/.pi/other.json", "p/sub/.pi/settings.json") < 0 &&
	      errno == EBUSY);
	CHECK(mv("p/sub/.pi/extensions", "p/sub/.pi/ext2") < 0 && errno == EBUSY);
	/* nor can the directories on the way to them (cwd, .pi) be swapped for others */
	CHECK(mv("p/sub/.pi", "p/sub/pi2") < 0 && errno == EBUSY);
	CHECK(mv("p/sub", "p/sub2") < 0 && errno == EBUSY);
	CHECK_STR(text(in(&m, 0, "sub/.pi/settings.json")), "merged");
	/* not inside any root: nothing covered */
	CHECK_INT(cover(&m, roots, at("elsewhere/.pi"), 0), 0);

	/* what is not as planned fails: a link at the end or on the way, gone, the other kind */
	errno = 0;
	CHECK_INT(cover(&m, roots, at("p/linked/settings.json"), 1), -1);
	CHECK_INT(errno, ELOOP);
	CHECK_INT(cover(&m, roots, at("p/.pi/link.json"), 1), -1);
	CHECK_INT(errno, ELOOP);
	CHECK_INT(cover(&m, roots, at("p/.pi/missing.json"), 1), -1);
	CHECK_INT(errno, ENOENT);
	CHECK_INT(cover(&m, roots, at("p/.pi/dir.json"), 1), -1);
	CHECK_INT(errno, EISDIR);
	CHECK_INT(cover(&m, roots, at("p/.pi/other.json"), 0), -1);
	CHECK_INT(errno, ENOTDIR);
	mounts_release(&m);
	CHECK_STR(text(at("p/sub/.pi/settings.json")), "own");
	CHECK(mv("p/sub/.pi/other.json", "p/sub/.pi/o2.json") == 0);
	CHECK(mv("p/sub", "p/sub2") == 0 && mv("p/sub2", "p/sub") == 0);
	free(roots[0]);
	free(roots[1]);
}

static long mount_count(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	long n = 0;
	int c;

	while (f && (c = fgetc(f)) != EOF)
		n += c == '\n';
	if (f)
		fclose(f);
	return n;
}

/* A deep cwd with a hidden dir every few levels (the .agents from the cwd up): each directory
 * on the way is pinned once, not again for every cover below it, with all that was mounted
 * beneath copied along (16 levels and 4 covers made 343 mounts, 200 levels and 4 covers
 * 81,954 of the host namespace's 100,000). */
static void deep(void)
{
	char path[1024], rel[1024] = "", *roots[] = { strdup(at("deep")), NULL };
	const char *hides[4], *bad;
	struct mounts m;
	long before;
	int i, k = 0;

	mkdir(at("deep"), 0755);
	for (i = 1; i <= 16; i++) {
		strcat(rel, "/a");
		snprintf(path, sizeof path, "deep%s", rel);
		mkdir(at(path), 0755);
		if (i % 4 == 0) {
			snprintf(path, sizeof path, "deep%s/.agents", rel);
			mkdir(at(path), 0755);
			snprintf(path, sizeof path, "deep%s/.agents/skill", rel);
			put(path, "skill");
			snprintf(path, sizeof path, "deep%s/.agents", rel);
			hides[k++] = strdup(at(path));
		}
	}
	CHECK_INT(mounts_stage(&m, roots, 1, &root_id, NULL, &bad), 0);
	before = mount_count();
	for (i = 0; i < 4; i++)
		CHECK_INT(cover(&m, roots, hides[i], 0), 1);
	CHECK(mount_count() - before <= 16 + 4);
	/* every cover still there once the deeper ones are made, and the way to them pinned */
	for (i = 0; i < 4; i++)
		CHECK_INT(entries(in(&m, 0, hides[i] + strlen(roots[0]) + 1)), 0);
	CHECK(mv("deep/a", "deep/b") < 0 && errno == EBUSY);
	mounts_release(&m);
	for (i = 0; i < 4; i++)
		free((char *)hides[i]);
	free(roots[0]);
}

/* The way from a root to a cover may pass at most COVER_PINS_MAX directories: one level more
 * is refused (EMLINK), with no more than that many pinned, and a launch's count is shared by
 * its covers. */
static void too_deep(void)
{
	char path[1024], rel[1024] = "", *roots[] = { strdup(at("deeper")), NULL };
	const char *bad;
	struct mounts m;
	long before;
	int i;

	mkdir(at("deeper"), 0755);
	for (i = 1; i <= COVER_PINS_MAX + 1; i++) {
		strcat(rel, "/d");
		snprintf(path, sizeof path, "deeper%s", rel);
		mkdir(at(path), 0755);
		snprintf(path, sizeof path, "deeper%s/.agents", rel);
		mkdir(at(path), 0755);
	}
	/* COVER_PINS_MAX levels down: allowed */
	CHECK_INT(mounts_stage(&m, roots, 1, &root_id, NULL, &bad), 0);
	snprintf(path, sizeof path, "%s%.*s/.agents", roots[0], 2 * COVER_PINS_MAX, rel);
	CHECK_INT(cover(&m, roots, path, 0), 1);
	CHECK_INT(m.pins, COVER_PINS_MAX);
	/* one more, even in the same launch: refused, nothing more pinned */
	before = mount_count();
	snprintf(path, sizeof path, "%s%s/.agents", roots[0], rel);
	CHECK(cover(&m, roots, path, 0) < 0 && errno == EMLINK);
	CHECK_INT(mount_count(), before);
	mounts_release(&m);
	/* alone, in a launch of its own: refused after COVER_PINS_MAX */
	CHECK_INT(mounts_stage(&m, roots, 1, &root_id, NULL, &bad), 0);
	before = mount_count();
	CHECK(cover(&m, roots, path, 0) < 0 && errno == EMLINK);
	CHECK(mount_count() - before <= COVER_PINS_MAX);
	mounts_release(&m);
	free(roots[0]);
}

int main(void)
{
	char p[512];

	if (geteuid() != 0) {
		printf("cover: skipped, needs root\n");
		return 0;
	}
	umask(022);
	strcpy(top, "/tmp/test_cover.XXXXXX");
	if (!mkdtemp(top) || chmod(top, 0755) < 0 || ident_save_root() < 0)
		return 1;
	if (mkdir(at("p"), 0755) < 0 || mkdir(at("p/.pi"), 0755) < 0 ||
	    mkdir(at("p/.pi/dir.json"), 0755) < 0 || mkdir(at("p/sub"), 0755) < 0 ||
	    mkdir(at("p/sub/.pi"), 0755) < 0 || mkdir(at("p/sub/.pi/extensions"), 0755) < 0 ||
	    mkdir(at("elsewhere"), 0755) < 0 || mkdir(at("elsewhere/.pi"), 0755) < 0 ||
	    symlink(".pi", at("p/linked")) < 0 || symlink("other.json", at("p/.pi/link.json")) < 0)
		fprintf(stderr, "setup: %s\n", strerror(errno));
	put("merged.json", "merged");
	put("p/sub/.pi/settings.json", "own");
	put("p/sub/.pi/other.json", "other");
	put("p/.pi/other.json", "other");
	put("p/sub/.pi/extensions/e.js", "code");
	/* the project as a shared mount, as systemd makes every mount of a booted host */
	snprintf(p, sizeof p, "%s", at("p"));
	if (mount(p, p, NULL, MS_BIND, NULL) < 0 ||
	    mount(NULL, at("p"), NULL, MS_SHARED, NULL) < 0)
		fprintf(stderr, "setup: cannot make %s a shared mount: %s\n", at("p"), strerror(errno));
	covers();
	deep();
	too_deep();
	umount2(at("p"), MNT_DETACH);
	CHECK_INT(fs_remove(AT_FDCWD, top), 0);
	return check_done("cover");
}
