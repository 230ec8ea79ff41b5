// links: priv/mounts.c priv/idmap.c priv/fs.c priv/ident.c policy.c
/* test_idmap.c - unit tests for the idmapped project mounts: the mapping, and real clones seen and written by the agent's ids. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <dirent.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/xattr.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "fs.h"
#include "idmap.h"
#include "ident.h"
#include "mounts.h"

/* Ids no account on a test machine has: the host user, the agent, someone else; a group of
 * the host user's (INTERNS) and one of the agent account's own that stands for it (SPARE). */
enum { HOST = 41000, AGENT = 41001, OTHER = 41002, INTERNS = 41003, SPARE = 41004 };

static const struct idmap map = { .host_uid = HOST, .agent_uid = AGENT, .ngroups = 2,
				  .host_gid = { HOST, INTERNS }, .agent_gid = { AGENT, SPARE } };
static const struct ident root_id = { .uid = 0, .gid = 0 };
static char top[64];
static unsigned overflow_uid = 65534;

static const char *at(const char *rel)
{
	return check_path(top, rel);
}

static void test_line(void)
{
	char out[32];

	/* "inside" is the id on disk, "outside" the id the agent holds */
	CHECK_INT(idmap_line(out, sizeof out, 1000, 997), 11);
	CHECK_STR(out, "1000 997 1\n");
	CHECK_INT(idmap_line(out, sizeof out, 4294967294UL, 0), 15);
	CHECK_STR(out, "4294967294 0 1\n");
	errno = 0;
	CHECK_INT(idmap_line(out, 8, 1000, 997), -1);
	CHECK_INT(errno, ENAMETOOLONG);
}

static struct ident who(gid_t gid, int n, const gid_t *groups)
{
	struct ident id = { .uid = HOST, .gid = gid, .ngroups = n };

	memcpy(id.groups, groups, (size_t)n * sizeof *groups);
	return id;
}

/* Whether map pairs host group h with agent group a. */
static int paired(const struct idmap *m, gid_t h, gid_t a)
{
	size_t i;

	for (i = 0; i < m->ngroups; i++)
		if (m->host_gid[i] == h)
			return m->agent_gid[i] == a;
	return 0;
}

/* Every group of the user finds one of the agent's, one to one, or is named as left over. */
static void test_pair(void)
{
	const gid_t u1[] = { 100, 200, 300 }, a1[] = { 900, 901, 902, 903 };
	const gid_t u2[] = { 100, 200, 300, 400 }, a2[] = { 900, 300, 901 };
	const gid_t u3[] = { 100, 900, 100 }, a3[] = { 900 };
	struct ident user = who(100, 3, u1), agent = who(900, 4, a1);
	struct idmap m;
	gid_t left[4] = { 0 };
	char text[4096];

	/* the primaries together; the rest onto the agent's other groups, in order */
	CHECK_INT(idmap_pair(&m, &user, &agent, left, 4), 0);
	CHECK_INT(m.ngroups, 3);
	CHECK(m.host_gid[0] == 100 && m.agent_gid[0] == 900);
	CHECK(paired(&m, 200, 901) && paired(&m, 300, 902));
	CHECK_INT(idmap_gid_lines(text, sizeof text, &m), 30);
	CHECK_STR(text, "100 900 1\n200 901 1\n300 902 1\n");
	CHECK_INT(idmap_gid_lines(text, 20, &m), -1);
	CHECK_INT(errno, ENAMETOOLONG);
	/* a group both hold stands for itself and is no one else's; what is left over is named */
	user = who(100, 4, u2);
	agent = who(900, 3, a2);
	CHECK_INT(idmap_pair(&m, &user, &agent, left, 4), 1);
	CHECK(paired(&m, 100, 900) && paired(&m, 300, 300) && paired(&m, 200, 901));
	CHECK_INT(m.ngroups, 3);
	CHECK_INT(left[0], 400);
	/* the user in the agent's own primary group: that group needs another of the agent's */
	user = who(100, 3, u3);
	agent = who(900, 1, a3);
	CHECK_INT(idmap_pair(&m, &user, &agent, left, 4), 1);
	CHECK_INT(m.ngroups, 1);
	CHECK_INT(left[0], 900);
	/* more left over than left holds: all counted, none written past it */
	user = who(100, 4, u2);
	agent = who(900, 1, a3);
	left[1] = 7;
	CHECK_INT(idmap_pair(&m, &user, &agent, left, 1), 3);
	CHECK(left[0] == 200 && left[1] == 7);
}

/* Whether /proc/self/<name> holds the one line "<inside> <outside> 1". */
static int one_line(const char *name, unsigned long inside, unsigned long outside)
{
	char path[64], text[256];
	unsigned long in, out, count;
	int fd, used = 0;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/self/%s", name);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
	if (fd >= 0)
		close(fd);
	text[n < 0 ? 0 : n] = '\0';
	return sscanf(text, "%lu %lu %lu\n%n", &in, &out, &count, &used) == 3 && in == inside &&
	       out == outside && count == 1 && used == n;
}

/* Whether /proc/self/<name> holds exactly the map's two group lines. */
static int two_lines(const char *name)
{
	char path[64], text[256];
	unsigned long v[6];
	int fd, used = 0;
	ssize_t n;

	snprintf(path, sizeof path, "/proc/self/%s", name);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, text, sizeof text - 1);
	if (fd >= 0)
		close(fd);
	text[n < 0 ? 0 : n] = '\0';
	return sscanf(text, "%lu %lu %lu\n%lu %lu %lu\n%n", &v[0], &v[1], &v[2], &v[3], &v[4],
		      &v[5], &used) == 6 && used == n && v[0] == HOST && v[1] == AGENT && v[2] == 1 &&
	       v[3] == INTERNS && v[4] == SPARE && v[5] == 1;
}

/* The namespace maps the one uid and the user's groups, and nothing else; setgroups is denied. */
static void test_userns(void)
{
	int fd = idmap_userns(&map), status, bad = 0;
	char text[16] = "";
	pid_t pid;

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	pid = fork();
	if (pid == 0) {
		if (setns(fd, CLONE_NEWUSER) < 0)
			_exit(1);
		bad |= !one_line("uid_map", HOST, AGENT) << 1;
		bad |= !two_lines("gid_map") << 2;
		status = open("/proc/self/setgroups", O_RDONLY);
		bad |= (status < 0 || read(status, text, sizeof text - 1) < 0 ||
			strcmp(text, "deny\n")) << 3;
		_exit(bad);
	}
	CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status));
	CHECK_INT(WEXITSTATUS(status), 0);
	close(fd);
}

/* In a child that fully becomes the agent (uid, gid, no groups) in the staged root at dir
 * (entered as root: the staging dir is root's): what it lets the agent do. Returns a bit per
 * failed expectation. */
static int as_agent(const char *dir, int idmapped)
{
	const char *p[5] = { "mine", "other", "new", "null", "shared" };
	struct stat st;
	int bad = 0, fd, status;
	pid_t pid = fork();

	if (pid != 0)
		return pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ? -1 :
		       WEXITSTATUS(status);
	umask(022);
	if (chdir(dir) < 0 || setgroups(0, NULL) < 0 || setgid(AGENT) < 0 || setuid(AGENT) < 0)
		_exit(255);
	/* the host user's file appears as the agent's, and the agent appends to it */
	if (idmapped && (stat(p[0], &st) < 0 || st.st_uid != AGENT || st.st_gid != AGENT))
		bad |= 1;
	fd = open(p[0], O_WRONLY | O_APPEND);
	if ((fd >= 0) != idmapped)
		bad |= 2;
	if (fd >= 0 && (write(fd, "agent\n", 6) != 6 || close(fd) < 0))
		bad |= 2;
	/* a file it creates */
	fd = open(p[2], O_WRONLY | O_CREAT | O_EXCL, 0666);
	if ((fd >= 0) != idmapped)
		bad |= 4;
	if (fd >= 0)
		close(fd);
	/* another owner's file is unowned, keeps its other-bits, and is not the agent's to change */
	if (stat(p[1], &st) < 0 || st.st_uid != (idmapped ? overflow_uid : OTHER) ||
	    (st.st_mode & 07777) != 0644)
		bad |= 8;
	if (open(p[1], O_WRONLY) >= 0 || errno != EACCES || chmod(p[1], 0666) == 0 ||
	    chown(p[1], AGENT, AGENT) == 0 || unlink(p[1]) == 0)
		bad |= 16;
	/* a device node cannot be opened (nodev), even the agent's own with 0666 */
	if (open(p[3], O_RDWR) >= 0 || errno != EACCES || open(p[3], O_RDONLY) >= 0)
		bad |= 32;
	/* another owner's 0666 file: readable; through the idmapped mount not writable either
	 * (the kernel refuses writes to inodes whose owner it cannot map) */
	fd = open(p[4], O_RDONLY);
	if (fd < 0)
		bad |= 64;
	else
		close(fd);
	fd = open(p[4], O_WRONLY);
	if ((fd >= 0) == idmapped)
		bad |= 128;
	if (fd >= 0)
		close(fd);
	_exit(bad);
}

/* Staging the tmpfs at top/t with the map: on disk, whatever the agent made is the host
 * user's, with the modes of umask 022. */
static void test_clone(void)
{
	struct mounts m;
	const char *bad = NULL;
	char *roots[] = { (char *)at("t"), NULL };
	struct statvfs sv;
	struct stat st;
	int rc;

	CHECK_INT(mounts_stage(&m, roots, 1, &root_id, &map, &bad), 0);
	CHECK_INT(m.n, 1);
	if (m.n != 1)
		return;
	CHECK(statvfs(m.staged[0], &sv) == 0 && (sv.f_flag & ST_NOSUID) && (sv.f_flag & ST_NODEV));
	if (!m.access[0].idmapped) {
		printf("idmap: skipped the idmapped clone: the kernel refused it (%s: %s)\n",
		       m.access[0].call, strerror(m.access[0].err));
		CHECK(m.access[0].call != NULL);
		mounts_release(&m);
		return;
	}
	CHECK(m.access[0].call == NULL);
	CHECK_INT(mounts_all_idmapped(&m), 1);
	rc = as_agent(m.staged[0], 1);
	CHECK_INT(rc, 0);
	CHECK(stat(at("t/mine"), &st) == 0 && st.st_uid == HOST && st.st_gid == HOST &&
	      st.st_size == 6 + 6);
	CHECK(stat(at("t/new"), &st) == 0 && st.st_uid == HOST && st.st_gid == HOST &&
	      (st.st_mode & 07777) == 0644);
	CHECK(stat(at("t/other"), &st) == 0 && st.st_uid == OTHER && (st.st_mode & 07777) == 0644);
	mounts_release(&m);
	unlink(at("t/new"));
}

/* In a child that is fully the agent, holding its primary group and SPARE when spare: what
 * it reaches in dir, a bit each: 1 payroll read, 2 team read, 4 acl read, 8 hr listed. */
static int agent_reaches(const char *dir, int spare)
{
	const gid_t held[] = { AGENT, SPARE };
	int got = 0, status, fd;
	pid_t pid = fork();
	DIR *d;

	if (pid != 0)
		return pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ? -1 :
		       WEXITSTATUS(status);
	if (chdir(dir) < 0 || setgroups(spare ? 2 : 1, held) < 0 || setgid(AGENT) < 0 ||
	    setuid(AGENT) < 0)
		_exit(255);
	if ((fd = open("payroll", O_RDONLY)) >= 0 && close(fd) == 0)
		got |= 1;
	if ((fd = open("team", O_RDONLY)) >= 0 && close(fd) == 0)
		got |= 2;
	if ((fd = open("acl", O_RDONLY)) >= 0 && close(fd) == 0)
		got |= 4;
	if ((d = opendir("hr")) && closedir(d) == 0)
		got |= 8;
	_exit(got);
}

/* A file of someone else's in a group of the host user's: the agent gets the group's bits
 * (team read; payroll, the ACL's named group and hr denied, as the user is), not the
 * others'; without the pairing it got the others' (the hole of issue 21 item 4). */
static void test_groups(void)
{
	static const struct { const char *name; mode_t mode; } f[] = {
		{ "payroll", 0604 }, { "team", 0640 }, { "acl", 0644 },
	};
	/* u::rw- g::r-- g:INTERNS:--- m::r-- o::r-- */
	const uint32_t acl[] = { 2, 0x01 | 6 << 16, ~0u, 0x04 | 4 << 16, ~0u, 0x08, INTERNS,
				 0x10 | 4 << 16, ~0u, 0x20 | 4 << 16, ~0u };
	struct idmap alone = map;
	struct mounts m;
	const char *bad = NULL;
	char root[4096], *roots[] = { root, NULL };
	size_t i;
	int fd;

	snprintf(root, sizeof root, "%s", at("t/g"));
	CHECK(mkdir(at("t/g"), 0755) == 0 && chown(at("t/g"), HOST, HOST) == 0);
	for (i = 0; i < 3; i++) {
		char rel[32];

		snprintf(rel, sizeof rel, "t/g/%s", f[i].name);
		fd = open(at(rel), O_WRONLY | O_CREAT, 0600);
		CHECK(fd >= 0 && fchown(fd, OTHER, i == 2 ? OTHER : INTERNS) == 0 &&
		      fchmod(fd, f[i].mode) == 0);
		if (fd >= 0)
			close(fd);
	}
	CHECK(mkdir(at("t/g/hr"), 0705) == 0 && chown(at("t/g/hr"), OTHER, INTERNS) == 0);
	if (setxattr(at("t/g/acl"), "system.posix_acl_access", acl, sizeof acl, 0) < 0) {
		printf("idmap: the ACL case skipped: %s\n", strerror(errno));
		fflush(stdout);
		CHECK(chmod(at("t/g/acl"), 0604) == 0);
	}
	CHECK_INT(mounts_stage(&m, roots, 1, &root_id, &map, &bad), 0);
	if (m.n == 1 && m.access[0].idmapped)
		CHECK_INT(agent_reaches(m.staged[0], 1), 2);
	if (m.n == 1)
		mounts_release(&m);
	alone.ngroups = 1;
	CHECK_INT(mounts_stage(&m, roots, 1, &root_id, &alone, &bad), 0);
	if (m.n == 1 && m.access[0].idmapped)
		CHECK_INT(agent_reaches(m.staged[0], 1), 1 | 4 | 8);
	if (m.n == 1)
		mounts_release(&m);
}

/* Group mode (no map): the same clone, unmapped, still nosuid and nodev. */
static void test_group_mode(void)
{
	struct mounts m;
	const char *bad = NULL;
	char *roots[] = { (char *)at("t"), NULL };
	struct statvfs sv;

	CHECK_INT(mounts_stage(&m, roots, 1, &root_id, NULL, &bad), 0);
	CHECK(m.n == 1 && !m.access[0].idmapped && !m.access[0].call);
	CHECK_INT(mounts_all_idmapped(&m), 0);
	CHECK(m.n == 1 && statvfs(m.staged[0], &sv) == 0 && (sv.f_flag & ST_NOSUID) &&
	      (sv.f_flag & ST_NODEV));
	if (m.n == 1)
		CHECK_INT(as_agent(m.staged[0], 0), 0);
	mounts_release(&m);
}

/* A filesystem without idmapped mounts (overlayfs): staged unmapped, the refusal recorded. */
static void test_fallback(void)
{
	struct mounts m;
	struct mounts_access a;
	const char *bad = NULL;
	char *roots[] = { (char *)at("ovl"), NULL };
	char opts[600];
	struct statvfs sv;

	snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", at("lower"), at("upper"),
		 at("work"));
	if (mount("overlay", at("ovl"), "overlay", 0, opts) < 0) {
		printf("idmap: skipped the fallback on overlayfs: cannot mount it (%s)\n",
		       strerror(errno));
		return;
	}
	CHECK_INT(mounts_stage(&m, roots, 1, &root_id, &map, &bad), 0);
	CHECK_INT(m.n, 1);
	if (m.n == 1 && m.access[0].idmapped) {
		printf("idmap: skipped the fallback: this kernel idmaps overlayfs\n");
	} else if (m.n == 1) {
		CHECK_STR(m.access[0].call, "mount_setattr");
		CHECK_INT(m.access[0].err, EINVAL);
		CHECK_INT(mounts_all_idmapped(&m), 0);
		CHECK(statvfs(m.staged[0], &sv) == 0 && (sv.f_flag & ST_NOSUID) &&
		      (sv.f_flag & ST_NODEV));
	}
	mounts_release(&m);
	/* --explain's probe says the same and attaches nothing */
	CHECK_INT(mounts_probe(at("ovl"), &root_id, &map, &a), 0);
	CHECK(a.idmapped || (a.call && !strcmp(a.call, "mount_setattr") && a.err == EINVAL));
	CHECK_INT(mounts_probe(at("t"), &root_id, &map, &a), 0);
	CHECK(a.idmapped || a.call);
	CHECK_INT(mounts_probe(at("t"), &root_id, NULL, &a), 0);
	CHECK(!a.idmapped && !a.call);
	CHECK_INT(mounts_probe(at("missing"), &root_id, &map, &a), -1);
	umount2(at("ovl"), MNT_DETACH);
}

/* A child where mount_setattr fails with ENOSYS, as on Linux < 5.12: the root falls back,
 * the refusal is recorded, and the bind is still nosuid and nodev (by a remount). */
static int without_mount_setattr(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 442 /* mount_setattr */, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof f / sizeof *f, f };
	struct mounts m;
	const char *bad;
	char *roots[] = { (char *)at("t"), NULL };
	struct statvfs sv;
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		check_run = check_failed = 0;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
			_exit(99);
		CHECK_INT(mounts_stage(&m, roots, 1, &root_id, &map, &bad), 0);
		CHECK(m.n == 1 && !m.access[0].idmapped && m.access[0].call &&
		      !strcmp(m.access[0].call, "mount_setattr") && m.access[0].err == ENOSYS);
		CHECK(m.n == 1 && statvfs(m.staged[0], &sv) == 0 && (sv.f_flag & ST_NOSUID) &&
		      (sv.f_flag & ST_NODEV));
		if (m.n == 1)
			CHECK_INT(as_agent(m.staged[0], 0), 0);
		mounts_release(&m);
		status = check_done("idmap without mount_setattr");
		fflush(stdout);
		_exit(status);
	}
	return pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ? -1 :
	       WEXITSTATUS(status);
}

static int setup(void)
{
	FILE *f = fopen("/proc/sys/kernel/overflowuid", "r");
	int fd, rc = 0;

	if (f && fscanf(f, "%u", &overflow_uid) != 1)
		overflow_uid = 65534;
	if (f)
		fclose(f);
	strcpy(top, "/tmp/test_idmap.XXXXXX");
	if (!mkdtemp(top) || chmod(top, 0755) < 0 || ident_save_root() < 0)
		return -1;
	mkdir(at("t"), 0755);
	if (mount("tmpfs", at("t"), "tmpfs", 0, "mode=0755,size=1m") < 0)
		return -1;
	fd = open(at("t/mine"), O_WRONLY | O_CREAT, 0644);
	rc |= fd < 0 || write(fd, "alice\n", 6) != 6 || fchown(fd, HOST, HOST) < 0;
	close(fd);
	fd = open(at("t/other"), O_WRONLY | O_CREAT, 0644);
	rc |= fd < 0 || fchown(fd, OTHER, OTHER) < 0;
	close(fd);
	fd = open(at("t/shared"), O_WRONLY | O_CREAT, 0644);
	rc |= fd < 0 || fchown(fd, OTHER, OTHER) < 0 || fchmod(fd, 0666) < 0;
	close(fd);
	/* made by root beforehand, given to the host user: usable but for nodev */
	rc |= mknod(at("t/null"), S_IFCHR | 0666, makedev(1, 3)) < 0 || chmod(at("t/null"), 0666) < 0 ||
	      chown(at("t/null"), HOST, HOST) < 0;
	/* the root itself is the host user's, so the agent may create files in it */
	rc |= chown(at("t"), HOST, HOST) < 0;
	mkdir(at("lower"), 0755);
	mkdir(at("upper"), 0755);
	mkdir(at("work"), 0755);
	mkdir(at("ovl"), 0755);
	return rc ? -1 : 0;
}

int main(void)
{
	if (geteuid() != 0) {
		printf("idmap: skipped the mounts, needs root\n");
		test_line();
		test_pair();
		return check_done("idmap");
	}
	umask(022);
	test_line();
	test_pair();
	if (setup() < 0) {
		fprintf(stderr, "setup: %s\n", strerror(errno));
		return 1;
	}
	test_userns();
	test_clone();
	test_group_mode();
	test_groups();
	test_fallback();
	CHECK_INT(without_mount_setattr(), 0);
	umount2(at("t"), MNT_DETACH);
	CHECK_INT(fs_remove(AT_FDCWD, top), 0);
	return check_done("idmap");
}
