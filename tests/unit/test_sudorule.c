// links: launch/sudorule.c priv/caller.c priv/inherit.c priv/ident.c
/* test_sudorule.c - unit tests for asking the elevation tool about the runner's rule: each tool's form and answers, what the tool gets, the rule's words. */
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "sudorule.h"

static char dir[64];

/* A stand-in tool named name in dir: records its argv, environment and open fds, prints
 * dir/out, exits with dir/rc. */
static void tool(const char *name)
{
	FILE *f = fopen(check_path(dir, name), "w");

	fprintf(f, "#!/bin/sh\nprintf '%%s\\n' \"$@\" >%s/argv\nenv >%s/env\n"
		"ls /proc/$$/fd >%s/fds\npwd >%s/cwd\ncat %s/out 2>/dev/null\nexit $(cat %s/rc)\n",
		dir, dir, dir, dir, dir, dir);
	fclose(f);
	chmod(check_path(dir, name), 0755);
}

static void put(const char *name, const char *text)
{
	FILE *f = fopen(check_path(dir, name), "w");

	fputs(text, f);
	fclose(f);
}

static const char *got(const char *name)
{
	static char buf[4096];
	FILE *f = fopen(check_path(dir, name), "r");
	size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return buf;
}

static void test_sudo(void)
{
	struct config c = { 0 };
	char *args[] = { "alice", "/home/alice/p", "--x", NULL }, path[128];
	int leak = open("/dev/null", O_RDONLY);

	snprintf(path, sizeof path, "%s/sudo", dir);
	c.sudo_path = path;
	c.runner_path = "/usr/bin/pi-runner";
	tool("sudo");
	put("rc", "0\n");
	CHECK_INT(sudorule_ask(&c, NULL, args), SUDORULE_OK);
	CHECK_STR(got("argv"), "-n\n-l\n/usr/bin/pi-runner\nalice\n/home/alice/p\n--x\n");
	/* an environment of its own, fds 0-2 only (ls's own aside), in / */
	CHECK_STR(got("env"), "PATH=/usr/sbin:/usr/bin:/sbin:/bin\nPWD=/\n");
	/* our fd without close-on-exec is not the tool's (the shell's own are 10 and up) */
	CHECK(leak >= 3 && leak < 10);
	CHECK(!strncmp(got("fds"), "0\n1\n", 4) && strstr(got("fds"), "\n2\n"));
	snprintf(path, sizeof path, "\n%d\n", leak);
	CHECK(!strstr(got("fds"), path));
	snprintf(path, sizeof path, "%s/sudo", dir);
	close(leak);
	CHECK_STR(got("cwd"), "/\n");
	put("rc", "1\n");
	CHECK_INT(sudorule_ask(&c, NULL, NULL), SUDORULE_MISSING);
	CHECK_STR(got("argv"), "-n\n-l\n/usr/bin/pi-runner\n");
	put("rc", "2\n");
	CHECK_INT(sudorule_ask(&c, NULL, NULL), SUDORULE_UNKNOWN);
	snprintf(path, sizeof path, "%s/missing/sudo", dir);
	CHECK_INT(sudorule_ask(&c, NULL, NULL), SUDORULE_UNKNOWN);
	c.sudo_path = "/usr/bin/env";
	CHECK_INT(sudorule_ask(&c, NULL, NULL), SUDORULE_UNKNOWN);
}

static void test_doas(void)
{
	struct config c = { 0 };
	char path[128];

	snprintf(path, sizeof path, "%s/doas", dir);
	c.sudo_path = path;
	c.runner_path = "/usr/bin/pi-runner";
	tool("doas");
	put("rc", "0\n");
	put("out", "permit nopass\n");
	CHECK_INT(sudorule_ask(&c, NULL, NULL), SUDORULE_OK);
	CHECK_STR(got("argv"), "-C\n/etc/doas.conf\n/usr/bin/pi-runner\n");
	put("out", "permit\n");
	CHECK_INT(sudorule_ask(&c, NULL, NULL), SUDORULE_MISSING);
	put("rc", "1\n");
	put("out", "deny\n");
	CHECK_INT(sudorule_ask(&c, NULL, NULL), SUDORULE_MISSING);
	/* the config unreadable: doas says so on stderr, nothing on stdout */
	put("out", "");
	CHECK_INT(sudorule_ask(&c, NULL, NULL), SUDORULE_UNKNOWN);
	/* a rule's answer with something after it is no answer */
	put("rc", "0\n");
	put("out", "permit nopass\npermit nopass\n");
	CHECK_INT(sudorule_ask(&c, NULL, NULL), SUDORULE_UNKNOWN);
}

/* On a kernel without close_range (ENOSYS, made here by a filter in a child): the tool still
 * gets no fd of ours but 0-2 (the one-by-one fallback, shared by every child we exec). */
static void test_no_close_range(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_close_range, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof f / sizeof *f, f };
	struct config c = { 0 };
	char path[128], mark[32];
	int st = -1, leak;
	pid_t pid;

	snprintf(path, sizeof path, "%s/sudo", dir);
	c.sudo_path = path;
	c.runner_path = "/usr/bin/pi-runner";
	tool("sudo");
	put("rc", "0\n");
	pid = fork();
	if (pid == 0) {
		leak = open("/dev/null", O_RDONLY);
		if (leak < 3 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0) < 0 ||
		    syscall(SYS_close_range, 100U, 101U, 0U) != -1 || errno != ENOSYS)
			_exit(2);
		_exit(sudorule_ask(&c, NULL, NULL) == SUDORULE_OK ? 10 + leak : 3);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) >= 13);
	snprintf(mark, sizeof mark, "\n%d\n", WEXITSTATUS(st) - 10);
	CHECK(!strncmp(got("fds"), "0\n1\n", 4) && strstr(got("fds"), "\n2\n"));
	CHECK(!strstr(got("fds"), mark));
}

static void test_describe(void)
{
	struct config c = { 0 };
	char what[256], fix[512];

	c.sudo_path = "/usr/bin/sudo";
	c.runner_path = "/usr/bin/pi-runner";
	sudorule_describe(&c, "alice", what, sizeof what, fix, sizeof fix);
	CHECK_STR(what, "no sudo rule lets alice run /usr/bin/pi-runner without a password");
	CHECK_STR(fix, "add \"alice ALL=(root) NOPASSWD: /usr/bin/pi-runner\" to " PI_SUDOERS_FILE
		  " (visudo -f " PI_SUDOERS_FILE ")");
	c.sudo_path = "/usr/bin/doas";
	sudorule_describe(&c, "bob", what, sizeof what, fix, sizeof fix);
	CHECK_STR(what, "no doas rule lets bob run /usr/bin/pi-runner without a password");
	CHECK_STR(fix, "add \"permit nopass bob as root cmd /usr/bin/pi-runner\" to /etc/doas.conf");
	/* the Nix package (SUDOERS_FILE empty): the rule comes from the NixOS module */
	c.sudo_path = "/run/wrappers/bin/sudo";
	c.runner_path = "/run/current-system/sw/bin/m3ta-pi-agent-runner";
	sudorule_describe_in(&c, "alice", "", what, sizeof what, fix, sizeof fix);
	CHECK_STR(what, "no sudo rule lets alice run /run/current-system/sw/bin/m3ta-pi-agent-runner "
		  "without a password");
	CHECK_STR(fix, "list alice under m3ta.pi-agent.hostUsers with wrapper.enable = true (the "
		  "NixOS module writes the rule for /run/current-system/sw/bin/m3ta-pi-agent-runner) "
		  "and run nixos-rebuild switch");
	sudorule_describe_in(&c, "alice", "/etc/sudoers.d/x", what, sizeof what, fix, sizeof fix);
	CHECK_STR(fix, "add \"alice ALL=(root) NOPASSWD: /run/current-system/sw/bin/m3ta-pi-agent-runner\" "
		  "to /etc/sudoers.d/x (visudo -f /etc/sudoers.d/x)");
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/test_sudorule.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	test_sudo();
	test_doas();
	test_describe();
	test_no_close_range();
	put("rm", "");
	if (fork() == 0)
		execl("/bin/rm", "rm", "-rf", dir, (char *)NULL);
	printf("test_sudorule: %d checks, %d failed\n", check_run, check_failed);
	return check_failed != 0;
}
