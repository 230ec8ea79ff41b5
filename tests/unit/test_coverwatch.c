// links: launch/coverwatch.c priv/cover.c priv/mounts.c priv/idmap.c priv/fs.c priv/ident.c policy.c
/* test_coverwatch.c - unit tests for the session's watch on the covers: what a mount namespace made before them does to them is seen, the user's ordinary work is not. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "cover.h"
#include "coverwatch.h"
#include "fs.h"
#include "ident.h"
#include "mounts.h"

static const struct ident root_id = { .uid = 0, .gid = 0 };
static char top[64];
static int to_old[2], from_old[2];
static char *settings, *agents;   /* the covered paths */

static const char *at(const char *rel)
{
	return check_path(top, rel);
}

static void put(const char *rel, const char *text)
{
	check_put(top, rel, text);
}

/* What the old namespace is asked: 'r' rename a to b, 'u' unlink a, 'q' end. */
struct ask {
	char op, a[200], b[200];
};

/* A process in a mount namespace of its own made now, before anything is covered: there the
 * covers are no mount points. It does what it is asked and answers with the errno (0: done). */
static pid_t old_namespace(void)
{
	struct ask q;
	pid_t pid;
	int err = 0;

	if (pipe(to_old) < 0 || pipe(from_old) < 0 || (pid = fork()) < 0)
		return -1;
	if (pid) {
		close(to_old[0]);
		close(from_old[1]);
		/* made once it says so */
		return read(from_old[0], &err, sizeof err) == (ssize_t)sizeof err && !err ? pid : -1;
	}
	close(to_old[1]);
	close(from_old[0]);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		perror("old namespace");
		_exit(1);
	}
	if (write(from_old[1], &err, sizeof err) != (ssize_t)sizeof err)
		_exit(1);
	while (read(to_old[0], &q, sizeof q) == (ssize_t)sizeof q && q.op != 'q') {
		err = (q.op == 'x' ? syscall(SYS_renameat2, AT_FDCWD, at(q.a), AT_FDCWD,
					     check_path(top, q.b), 2 /* RENAME_EXCHANGE */) :
		       q.op == 'r' ? rename(at(q.a), check_path(top, q.b)) : unlink(at(q.a))) < 0 ?
		      errno : 0;
		if (write(from_old[1], &err, sizeof err) != (ssize_t)sizeof err)
			_exit(1);
	}
	_exit(0);
}

/* Asks the old namespace; its errno, or 0. */
static int in_old(char op, const char *a, const char *b)
{
	struct ask q = { .op = op };
	int err = -1;

	snprintf(q.a, sizeof q.a, "%s", a);
	snprintf(q.b, sizeof q.b, "%s", b ? b : "");
	if (write(to_old[1], &q, sizeof q) != (ssize_t)sizeof q ||
	    read(from_old[0], &err, sizeof err) != (ssize_t)sizeof err)
		return -1;
	return err;
}

/* Whether the watch has an event queued now (the kernel queues it within the call). */
static int pending(const struct coverwatch *w)
{
	struct pollfd p = { .fd = w->fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* Stages p (roots[0]), covers p/.pi/settings.json with merged.json and hides p/sub/.agents, all watched. */
static void arm(struct mounts *m, char **roots, struct coverwatch *w)
{
	const char *bad;
	int src = open(at("merged.json"), O_PATH | O_NOFOLLOW | O_CLOEXEC);

	coverwatch_init(w);
	CHECK_INT(mounts_stage(m, roots, 1, &root_id, NULL, &bad), 0);
	CHECK_INT(cover_path(m, roots, settings, src), 1);
	CHECK_INT(coverwatch_add(w, m, roots, settings, src), 0);
	CHECK_INT(cover_path(m, roots, agents, -1), 1);
	CHECK_INT(coverwatch_add(w, m, roots, agents, -1), 0);
	close(src);
}

static void fresh_sub(void)
{
	mkdir(at("p/sub"), 0755);
	mkdir(at("p/sub/.agents"), 0755);
	put("p/sub/.agents/skill", "skill");
}

static void fresh(void)
{
	mkdir(at("p/.pi"), 0755);
	put("p/.pi/settings.json", "own");
	fresh_sub();
}

static void attacks(char **roots)
{
	struct coverwatch w;
	struct mounts m;
	const char *gone = NULL;

	/* the user's ordinary work beside the covers wakes the watch, and nothing is gone */
	fresh();
	arm(&m, roots, &w);
	put("p/a", "a");
	CHECK(rename(at("p/a"), check_path(top, "p/b")) == 0 && unlink(at("p/b")) == 0);
	CHECK(pending(&w));
	CHECK_INT(coverwatch_changed(&w, &gone), 0);
	CHECK(!pending(&w));
	/* here the covered file is a mount point; in the old namespace it is not */
	CHECK(unlink(at("p/.pi/settings.json")) < 0 && errno == EBUSY);
	CHECK_INT(in_old('u', "p/.pi/settings.json", NULL), 0);
	put("p/.pi/settings.json", "mine");
	CHECK(pending(&w));
	CHECK_INT(coverwatch_changed(&w, &gone), 1);
	CHECK_STR(gone, settings);
	coverwatch_free(&w);
	mounts_release(&m);

	/* a directory on the way renamed away, and made again */
	arm(&m, roots, &w);
	CHECK_INT(in_old('r', "p/sub", "p/sub-old"), 0);
	fresh_sub();
	CHECK(pending(&w));
	CHECK_INT(coverwatch_changed(&w, &gone), 1);
	CHECK_STR(gone, agents);
	coverwatch_free(&w);
	mounts_release(&m);

	/* .pi moved away: its cover goes with it */
	arm(&m, roots, &w);
	CHECK_INT(in_old('r', "p/.pi", "p/pi-old"), 0);
	CHECK(pending(&w));
	CHECK_INT(coverwatch_changed(&w, &gone), 1);
	CHECK_STR(gone, settings);
	coverwatch_free(&w);
	mounts_release(&m);
}

/* .pi swapped with hers (RENAME_EXCHANGE) and swapped back before the runner looks: in between
 * the staged root showed hers, so the watch says the cover went although the state is back. */
static void swapped_back(char **roots)
{
	struct coverwatch w;
	struct mounts m;
	const char *gone = NULL;
	char path[512], buf[64] = "";
	int fd;
	ssize_t n;

	fresh();
	mkdir(at("p/evil"), 0755);
	put("p/evil/settings.json", "mine");
	arm(&m, roots, &w);
	snprintf(path, sizeof path, "%s/.pi/settings.json", m.staged[0]);
	CHECK_INT(in_old('x', "p/.pi", "p/evil"), 0);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR(buf, "mine");                /* what the unit reads now: hers */
	CHECK_INT(in_old('x', "p/.pi", "p/evil"), 0);
	CHECK(pending(&w));
	CHECK_INT(coverwatch_changed(&w, &gone), 1);
	coverwatch_free(&w);
	mounts_release(&m);
}

/* A queue that overflowed may have lost the event that mattered: the cover counts as gone,
 * though every step is back in place and the events that came through name no step. The
 * queue's bound is fs.inotify.max_queued_events when the watch is made: 4 for that moment. */
static void overflow(char **roots)
{
	struct coverwatch w;
	struct mounts m;
	const char *gone = NULL;
	char was[32] = "";
	int i, fd = open("/proc/sys/fs/inotify/max_queued_events", O_RDWR | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, was, sizeof was - 1);

	CHECK(n > 0);
	if (n <= 0)
		return;
	fresh();
	CHECK(pwrite(fd, "4\n", 2, 0) == 2);
	arm(&m, roots, &w);
	CHECK(pwrite(fd, was, (size_t)n, 0) == n);
	close(fd);
	for (i = 0; i < 10; i++) {
		put("p/other", "x");
		CHECK_INT(rename(at("p/other"), at("p/other2")), 0);
	}
	CHECK(pending(&w));
	CHECK_INT(coverwatch_changed(&w, &gone), 1);
	coverwatch_free(&w);
	mounts_release(&m);
	unlink(at("p/other2"));
}

/* A cover gone between its mount and the watch's arming is refused when armed. */
static void gone_before(char **roots)
{
	struct coverwatch w;
	struct mounts m;
	const char *bad;
	int src = open(at("merged.json"), O_PATH | O_NOFOLLOW | O_CLOEXEC);

	fresh();
	coverwatch_init(&w);
	CHECK_INT(mounts_stage(&m, roots, 1, &root_id, NULL, &bad), 0);
	CHECK_INT(cover_path(&m, roots, settings, src), 1);
	CHECK_INT(in_old('u', "p/.pi/settings.json", NULL), 0);
	put("p/.pi/settings.json", "mine");
	CHECK(coverwatch_add(&w, &m, roots, settings, src) < 0 && errno == ESTALE);
	close(src);
	coverwatch_free(&w);
	mounts_release(&m);
}

int main(void)
{
	char *roots[1];
	pid_t old;

	if (geteuid() != 0) {
		printf("coverwatch: skipped, needs root\n");
		return 0;
	}
	umask(022);
	strcpy(top, "/tmp/test_coverwatch.XXXXXX");
	if (!mkdtemp(top) || chmod(top, 0755) < 0 || ident_save_root() < 0 ||
	    mkdir(at("p"), 0755) < 0)
		return 1;
	put("merged.json", "merged");
	roots[0] = strdup(at("p"));
	settings = strdup(at("p/.pi/settings.json"));
	agents = strdup(at("p/sub/.agents"));
	old = old_namespace();
	CHECK(old > 0);
	attacks(roots);
	gone_before(roots);
	swapped_back(roots);
	overflow(roots);
	in_old('q', "", NULL);
	waitpid(old, NULL, 0);
	free(roots[0]);
	free(settings);
	free(agents);
	CHECK_INT(fs_remove(AT_FDCWD, top), 0);
	return check_done("coverwatch");
}
