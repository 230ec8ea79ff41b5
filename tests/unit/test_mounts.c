// links: priv/mounts.c priv/idmap.c priv/fs.c priv/ident.c policy.c
/* test_mounts.c - unit tests for the staging of project roots: what is bound, what is refused, with the new mount calls and without them. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fs.h"
#include "ident.h"
#include "mounts.h"

enum { NOBODY = 65534 };

static const struct ident root_id = { .uid = 0, .gid = 0 };
static const struct ident nobody = { .uid = NOBODY, .gid = NOBODY };
static char top[64];

static const char *at(const char *rel)
{
	return check_path(top, rel);
}

static void mkd(const char *rel, mode_t mode)
{
	if (mkdir(at(rel), mode) < 0 || chmod(at(rel), mode) < 0)
		fprintf(stderr, "setup: cannot mkdir %s: %s\n", at(rel), strerror(errno));
}

/* Whether a and b are the same directory (device and inode). */
static int same_dir(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
	       sa.st_ino == sb.st_ino;
}

/* Stages one root as id; returns what mounts_stage returned, errno kept. */
static int stage(struct mounts *m, const char *root, const struct ident *id, const char **bad)
{
	char *roots[] = { (char *)root, NULL };

	return mounts_stage(m, roots, 1, id, NULL, bad);
}

/* Staging must fail with err for root, name it, and leave nothing behind. */
static void refused(const char *root, const struct ident *id, int err)
{
	struct mounts m;
	const char *bad = NULL;
	struct stat st;

	errno = 0;
	CHECK_INT(stage(&m, root, id, &bad), -1);
	CHECK_INT(errno, err);
	CHECK_STR(bad, root);
	CHECK(stat(m.dir, &st) < 0 && errno == ENOENT);
}

static void checks(void)
{
	struct mounts m;
	const char *bad = NULL;
	char inside[PATH_MAX];
	struct statvfs sv;
	int fd;

	/* the directory checked is the directory bound, and it stays live */
	CHECK_INT(stage(&m, at("a/b/root"), &root_id, &bad), 0);
	CHECK_INT(m.n, 1);
	CHECK(m.n == 1 && same_dir(m.staged[0], at("a/b/root")));
	/* never a set-id program or a device through it, with or without the new calls */
	CHECK(m.n == 1 && statvfs(m.staged[0], &sv) == 0 && (sv.f_flag & ST_NOSUID) &&
	      (sv.f_flag & ST_NODEV));
	fd = open(at("a/b/root/new"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	snprintf(inside, sizeof inside, "%s/new", m.n ? m.staged[0] : "");
	CHECK(access(inside, F_OK) == 0);
	unlink(at("a/b/root/new"));
	snprintf(inside, sizeof inside, "%s", m.n ? m.staged[0] : "");
	mounts_release(&m);
	CHECK(access(inside, F_OK) < 0 && errno == ENOENT);

	/* a link anywhere on the way, or at the end, is never followed */
	refused(at("link/b/root"), &root_id, ELOOP);
	refused(at("a/b/rootlink"), &root_id, ELOOP);
	refused(at("a/b/missing"), &root_id, ENOENT);
	refused(at("a/b/file"), &root_id, ENOTDIR);

	/* with the user's identity: a parent they may only search is fine, a root they cannot
	 * read or enter is not */
	CHECK_INT(stage(&m, at("shut/open"), &nobody, &bad), 0);
	CHECK(m.n == 1 && same_dir(m.staged[0], at("shut/open")));
	mounts_release(&m);
	refused(at("a/private"), &nobody, EACCES);
	refused(at("noenter"), &nobody, EACCES);
}

/* The attack: a root swapped for a link to another directory, back and forth, while it is
 * staged again and again. Each staging either fails or binds the real root, never the
 * victim. */
static void swapped_root(void)
{
	struct mounts m;
	const char *bad;
	int i, bound = 0, victim = 0;
	pid_t swapper = fork();

	if (swapper == 0) {
		for (;;) {
			rename(at("race/root"), at("race/real"));
			rename(at("race/trap"), at("race/root"));
			rename(at("race/root"), at("race/trap"));
			rename(at("race/real"), at("race/root"));
		}
	}
	for (i = 0; i < 300 && swapper > 0; i++) {
		if (stage(&m, at("race/root"), &root_id, &bad) < 0)
			continue;
		bound++;
		victim += m.n == 1 && same_dir(m.staged[0], at("victim"));
		mounts_release(&m);
	}
	if (swapper > 0) {
		kill(swapper, SIGKILL);
		waitpid(swapper, NULL, 0);
	}
	CHECK(swapper > 0);
	CHECK_INT(victim, 0);
	CHECK(bound > 0);
	/* the swapper stopped anywhere: put the real root back */
	if (access(at("race/real"), F_OK) == 0)
		rename(at("race/real"), at("race/root"));
}

/* A child where openat2, open_tree and move_mount fail with ENOSYS, as on Linux < 5.6:
 * the same checks must hold through the fallbacks. Exits with the child's failure count. */
static int checks_without_new_calls(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 437 /* openat2 */, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 428 /* open_tree */, 1, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 429 /* move_mount */, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof f / sizeof *f, f };
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		check_run = check_failed = 0;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0) {
			perror("seccomp");
			_exit(99);
		}
		errno = 0;
		CHECK_INT(syscall(SYS_openat2, AT_FDCWD, "/", NULL, 0), -1);
		CHECK_INT(errno, ENOSYS);
		checks();
		swapped_root();
		status = check_done("mounts without openat2 and open_tree");
		fflush(stdout);
		_exit(status);
	}
	return pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ? -1 :
	       WEXITSTATUS(status);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("mounts: skipped, needs root\n");
		return 0;
	}
	umask(022);
	strcpy(top, "/tmp/test_mounts.XXXXXX");
	if (!mkdtemp(top) || chmod(top, 0755) < 0 || ident_save_root() < 0)
		return 1;
	mkd("a", 0755);
	mkd("a/b", 0755);
	mkd("a/b/root", 0755);
	mkd("a/private", 0700);
	mkd("shut", 0711);
	mkd("shut/open", 0755);
	mkd("noenter", 0744);
	if (symlink(at("a"), at("link")) < 0 || symlink("root", at("a/b/rootlink")) < 0 ||
	    close(open(at("a/b/file"), O_WRONLY | O_CREAT, 0644)) < 0)
		fprintf(stderr, "setup: %s\n", strerror(errno));
	mkd("race", 0755);
	mkd("race/root", 0755);
	mkd("victim", 0755);
	if (symlink(at("victim"), at("race/trap")) < 0)
		fprintf(stderr, "setup: %s\n", strerror(errno));
	fflush(stdout);
	checks();
	swapped_root();
	CHECK_INT(checks_without_new_calls(), 0);
	CHECK_INT(fs_remove(AT_FDCWD, top), 0);
	return check_done("mounts");
}
