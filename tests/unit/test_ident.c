// links: priv/ident.c
/* test_ident.c - unit tests for borrowed identities: ids, groups and an empty effective capability set on every thread. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ident.h"

static const struct ident nobody = { 65534, 65534, 1, { 65534 } };
static unsigned long long full;         /* root's effective set at the start */

/* The calling thread's effective capabilities, from /proc/thread-self/status. */
static unsigned long long cap_eff(void)
{
	char line[256];
	unsigned long long v = ~0ULL;
	FILE *f = fopen("/proc/thread-self/status", "r");

	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "CapEff: %llx", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* As nobody: no capability at all, and a root-only file stays closed; back: all of them. */
static void *borrow(void *arg)
{
	const char *secret = arg;
	int fd;

	CHECK_INT(ident_enter(&nobody), 0);
	CHECK_INT(cap_eff(), 0);
	CHECK_INT(setfsuid((uid_t)-1), 65534);
	fd = open(secret, O_RDONLY);
	CHECK(fd < 0 && errno == EACCES);
	if (fd >= 0)
		close(fd);
	/* a second borrowed identity from a borrowed one: the switch still works */
	CHECK_INT(ident_enter(&nobody), 0);
	CHECK_INT(cap_eff(), 0);
	CHECK_INT(ident_enter(NULL), 0);
	CHECK_INT(cap_eff(), full);
	CHECK_INT(setfsuid((uid_t)-1), 0);
	fd = open(secret, O_RDONLY);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* A thread started while the main thread is borrowed switches for itself, and the main
 * thread's borrowed state is its own. */
static void test_threads(const char *secret)
{
	pthread_t t;

	CHECK_INT(ident_enter(&nobody), 0);
	CHECK_INT(pthread_create(&t, NULL, borrow, (void *)secret), 0);
	pthread_join(t, NULL);
	CHECK_INT(cap_eff(), 0);
	CHECK_INT(ident_enter(NULL), 0);
	CHECK_INT(cap_eff(), full);
}

/* fn in a child (it changes the process for good); its checks count there: its exit says
 * whether all held. */
static void in_child(void (*fn)(void))
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0) {
		check_failed = 0;
		fn();
		_exit(check_failed ? 1 : 0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK_INT(st, 0);
}

/* capset(2) of the calling thread, version 3: effective, permitted, inheritable (low word). */
static int caps_set(uint32_t eff, uint32_t perm, uint32_t inh)
{
	struct { uint32_t version; int pid; } h = { 0x20080522, 0 };
	struct { uint32_t e, p, i; } d[2] = { { eff, perm, inh }, { 0, 0, 0 } };

	return (int)syscall(SYS_capset, &h, d);
}

/* setgroups(2, ...) fails with EPERM from now on (a filter on the call's first argument):
 * root's own two groups cannot come back, one group (nobody's) still can. */
static int refuse_two_groups(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_setgroups, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof f / sizeof *f, f };

	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

/* A failed return to root is final: the thread stays the user's, and no later switch works,
 * not even to a user where the switch itself would succeed. */
static void broken_return(void)
{
	gid_t two[2] = { 0, 1 };

	CHECK_INT(setgroups(2, two), 0);
	CHECK_INT(ident_save_root(), 0);
	CHECK_INT(refuse_two_groups(), 0);          /* while root: it needs CAP_SYS_ADMIN */
	CHECK_INT(ident_enter(&nobody), 0);
	CHECK_INT(ident_enter(NULL), -1);
	CHECK_INT(errno, EPERM);
	CHECK_INT(setfsuid((uid_t)-1), 65534);      /* still nobody, never half root */
	CHECK_INT(ident_enter(&nobody), -1);        /* one group would pass the filter */
	CHECK_INT(errno, EPERM);
	CHECK_INT(ident_enter(NULL), -1);
}

static void holds_as_root(void)
{
	char why[128];

	CHECK_INT(ident_holds_root(why, sizeof why), 1);
	CHECK_STR(why, "uid 0, euid 0, saved uid 0");
}

/* Only the saved uid 0 left (a set-uid program that switched its effective id): still root. */
static void holds_saved_uid(void)
{
	char why[128];

	CHECK_INT(setresuid(65534, 65534, 0), 0);
	CHECK_INT(ident_holds_root(why, sizeof why), 1);
	CHECK_STR(why, "uid 65534, euid 65534, saved uid 0");
}

static void holds_root_group(void)
{
	gid_t zero = 0;
	char why[128];

	CHECK_INT(setgroups(1, &zero), 0);
	CHECK_INT(setresgid(65534, 65534, 65534), 0);
	CHECK_INT(setresuid(65534, 65534, 65534), 0);
	CHECK_INT(ident_holds_root(why, sizeof why), 1);
	CHECK_STR(why, "supplementary group 0");
}

/* An inheritable capability alone, kept across the switch to nobody, counts. */
static void holds_inheritable(void)
{
	gid_t g = 65534;
	char why[128];

	CHECK_INT(setgroups(1, &g), 0);
	CHECK_INT(setresgid(65534, 65534, 65534), 0);
	/* CAP_NET_BIND_SERVICE (10) to keep, CAP_SETUID (7) for the switch */
	CHECK_INT(caps_set(1u << 10 | 1u << 7, 1u << 10 | 1u << 7, 1u << 10), 0);
	CHECK_INT(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
	CHECK_INT(setresuid(65534, 65534, 65534), 0);
	CHECK_INT(caps_set(0, 0, 1u << 10), 0);
	CHECK_INT(ident_holds_root(why, sizeof why), 1);
	CHECK_STR(why, "capabilities (uid 65534)");
	CHECK_INT(caps_set(0, 0, 0), 0);
	CHECK_INT(ident_holds_root(why, sizeof why), 0);
}

static void holds_nothing(void)
{
	gid_t g = 65534;
	char why[128] = "";

	CHECK_INT(setgroups(1, &g), 0);
	CHECK_INT(setresgid(65534, 65534, 65534), 0);
	CHECK_INT(setresuid(65534, 65534, 65534), 0);
	CHECK_INT(ident_holds_root(why, sizeof why), 0);
	CHECK_STR(why, "");
}

/* ident_drop from root: exactly the groups given, every id the user's, no capability kept
 * even when the caller had asked to keep them (PR_SET_KEEPCAPS), and root cannot come back
 * (dropping any of its steps fails here: no setgroups, no KEEPCAPS 0, the saved uid or gid left 0). */
static void drops_for_good(void)
{
	gid_t g = 65534, got[64];
	char why[128] = "";

	CHECK_INT(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
	CHECK_INT(ident_drop(65534, 65534, 1, &g), 0);
	CHECK_INT(getgroups(64, got), 1);
	CHECK_INT(got[0], 65534);
	CHECK_INT(ident_holds_root(why, sizeof why), 0);
	CHECK_STR(why, "");
	CHECK_INT(setresuid(0, 0, 0), -1);
	CHECK_INT(setgroups(0, NULL), -1);
}

int main(void)
{
	char dir[] = "/tmp/pi-ident-XXXXXX";
	const char *secret;
	int fd;

	if (getuid() != 0) {
		printf("ident: needs root\n");
		return 1;
	}
	full = cap_eff();
	CHECK(full != 0 && full != ~0ULL);
	CHECK(mkdtemp(dir) != NULL);
	secret = check_path(dir, "secret");
	fd = open(secret, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	chmod(dir, 0755);
	CHECK_INT(ident_enter(&nobody), -1);      /* nothing saved to return to yet */
	CHECK_INT(ident_save_root(), 0);
	borrow((void *)secret);
	test_threads(secret);
	in_child(broken_return);
	in_child(holds_as_root);
	in_child(holds_saved_uid);
	in_child(holds_root_group);
	in_child(holds_inheritable);
	in_child(holds_nothing);
	in_child(drops_for_good);
	unlink(secret);
	rmdir(dir);
	return check_done("ident");
}
