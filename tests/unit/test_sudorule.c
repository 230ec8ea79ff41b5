// links: launch/sudorule.c priv/caller.c priv/inherit.c priv/ident.c
/* test_sudorule.c - unit tests for asking the elevation tool about the runner's rule: sudo -ll listings read, each tool's form and answers, what the tool gets, the rule's words. */
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

/* Recorded sudo 1.9.13 -ll listings (Debian 12), cut to what the parser reads. */
#define HEAD "Matching Defaults entries for alice on vm:\n    env_reset, mail_badpass,\n" \
	"    secure_path=/usr/local/sbin\\:/usr/local/bin\\:/usr/sbin\\:/usr/bin\\:/sbin\\:/bin,\n" \
	"    use_pty\n\n"
#define MAY "User alice may run the following commands on vm:\n\n"
#define ENTRY(runas, opts, cmds) "Sudoers entry:\n    RunAsUsers: " runas "\n" opts \
	"    Commands:\n" cmds "\n"
#define NOPW "    Options: !authenticate\n"
#define R "/usr/bin/pi-runner"

static int parse(const char *listing)
{
	return sudorule_parse(listing, R);
}

static void test_parse(void)
{
	/* the NOPASSWD rule; the rule without, beside another NOPASSWD one (sudo -n -l says 0) */
	CHECK_INT(parse(HEAD MAY ENTRY("root", NOPW, "\t" R "\n")), SUDORULE_OK);
	CHECK_INT(parse(HEAD MAY ENTRY("root", "", "\t" R "\n") ENTRY("root", NOPW, "\t/bin/true\n")),
		  SUDORULE_PASSWORD);
	CHECK_INT(parse(HEAD MAY ENTRY("root", NOPW, "\t/bin/true\n")), SUDORULE_MISSING);
	CHECK_INT(parse("User alice is not allowed to run sudo on vm.\n"), SUDORULE_MISSING);
	/* Defaults !authenticate (Defaults:alice, Defaults@host land here), wrapped or not */
	CHECK_INT(parse("Matching Defaults entries for alice on vm:\n    env_reset, use_pty,\n"
			"    !authenticate\n\n" MAY ENTRY("root", "", "\t" R "\n")), SUDORULE_OK);
	CHECK_INT(parse("Matching Defaults entries for alice on vm:\n    env_reset, !authenticate, "
			"use_pty\n\n" MAY ENTRY("root", "    Options: authenticate\n", "\t" R "\n")),
		  SUDORULE_PASSWORD);
	/* a command list with several commands, the runner among them, and other options */
	CHECK_INT(parse(HEAD MAY ENTRY("root, daemon", "    Options: setenv, noexec, !authenticate, "
				       "log_input\n", "\t/usr/bin/id -u\n\t" R "\n\t/bin/echo\n")),
		  SUDORULE_OK);
	CHECK_INT(parse(HEAD MAY ENTRY("root", "", "\t/usr/bin/id\n\t" R "\n")), SUDORULE_PASSWORD);
	/* ALL (Debian's %sudo line), ALL with NOPASSWD, RunAsGroups */
	CHECK_INT(parse(HEAD MAY "Sudoers entry:\n    RunAsUsers: ALL\n    RunAsGroups: ALL\n"
			"    Commands:\n\tALL\n"), SUDORULE_PASSWORD);
	CHECK_INT(parse(HEAD MAY ENTRY("ALL", NOPW, "\tALL\n")), SUDORULE_OK);
	/* the last matching entry decides, as in sudo; a negated command denies */
	CHECK_INT(parse(HEAD MAY ENTRY("root", NOPW, "\t" R "\n") ENTRY("ALL", "", "\tALL\n")),
		  SUDORULE_PASSWORD);
	CHECK_INT(parse(HEAD MAY ENTRY("ALL", "", "\tALL\n") ENTRY("root", NOPW, "\t" R "\n")),
		  SUDORULE_OK);
	CHECK_INT(parse(HEAD MAY ENTRY("ALL", NOPW, "\tALL\n\t!" R "\n")), SUDORULE_MISSING);
	CHECK_INT(parse(HEAD MAY ENTRY("ALL", NOPW, "\tALL\n\t!" R " --check\n")), SUDORULE_OK);
	/* another runas user only, root negated, root by uid */
	CHECK_INT(parse(HEAD MAY ENTRY("daemon", NOPW, "\t" R "\n")), SUDORULE_MISSING);
	CHECK_INT(parse(HEAD MAY ENTRY("alice\n    RunAsGroups: alice", NOPW, "\t" R "\n")),
		  SUDORULE_MISSING);
	CHECK_INT(parse(HEAD MAY ENTRY("ALL, !root", NOPW, "\t" R "\n")), SUDORULE_MISSING);
	CHECK_INT(parse(HEAD MAY ENTRY("#0", NOPW, "\t" R "\n")), SUDORULE_OK);
	/* arguments: none allowed (""), any (*), only some: pi passes its own */
	CHECK_INT(parse(HEAD MAY ENTRY("root", NOPW, "\t" R " \"\"\n")), SUDORULE_MISSING);
	CHECK_INT(parse(HEAD MAY ENTRY("root", NOPW, "\t" R " *\n")), SUDORULE_OK);
	CHECK_INT(parse(HEAD MAY ENTRY("root", NOPW, "\t" R " --check\n")), SUDORULE_MISSING);
	/* another path (the README's /usr/local/bin), a directory, a glob, a digest sudo wrapped */
	CHECK_INT(parse(HEAD MAY ENTRY("root", NOPW, "\t/usr/local/bin/pi-runner\n")),
		  SUDORULE_MISSING);
	CHECK_INT(parse(HEAD MAY ENTRY("root", NOPW, "\t/usr/bin/\n")), SUDORULE_OK);
	CHECK_INT(parse(HEAD MAY ENTRY("root", NOPW, "\t/usr/sbin/\n")), SUDORULE_MISSING);
	CHECK_INT(parse(HEAD MAY ENTRY("root", NOPW, "\t/usr/bin/pi-* *\n")), SUDORULE_OK);
	CHECK_INT(parse(HEAD MAY ENTRY("root", NOPW, "\t/usr/*/pi-runner\n")), SUDORULE_OK);
	CHECK_INT(parse(HEAD MAY ENTRY("root", NOPW, "\tsha256:00000000000000000000000000000000"
				       "00000000000000000000000000000000\n        " R "\n")),
		  SUDORULE_OK);
	/* command and runas Defaults: they decide for an entry without a tag, a tag overrides
	 * them; sudo 1.9.13 can print two on one line */
	CHECK_INT(parse(HEAD "Runas and Command-specific defaults for alice:\n"
			"    Defaults!/usr/bin/id, " R " !authenticate, env_keep+=\"A, B\"\n\n"
			MAY ENTRY("root", "", "\t" R "\n")), SUDORULE_OK);
	CHECK_INT(parse(HEAD "Runas and Command-specific defaults for alice:\n"
			"    Defaults!" R " !authenticate\n\n"
			MAY ENTRY("root", "    Options: authenticate\n", "\t" R "\n")),
		  SUDORULE_PASSWORD);
	CHECK_INT(parse(HEAD "Runas and Command-specific defaults for alice:\n"
			"    Defaults!/usr/bin/id !authenticate\n\n"
			MAY ENTRY("root", "", "\t" R "\n")), SUDORULE_PASSWORD);
	CHECK_INT(parse(HEAD "Runas and Command-specific defaults for alice:\n"
			"    Defaults>daemon !authenticate    Defaults>root, !bin !authenticate\n\n"
			MAY ENTRY("root", "", "\t" R "\n")), SUDORULE_OK);
	CHECK_INT(parse(HEAD "Runas and Command-specific defaults for alice:\n"
			"    Defaults>daemon !authenticate\n\n"
			MAY ENTRY("root", "", "\t" R "\n")), SUDORULE_PASSWORD);
	/* the LDAP form; something that is not a listing */
	CHECK_INT(parse(HEAD MAY "LDAP Role: pi\n    RunAsUsers: root\n    Options: !authenticate\n"
			"    Commands:\n\t" R "\n"), SUDORULE_OK);
	CHECK_INT(parse(""), SUDORULE_UNKNOWN);
	CHECK_INT(parse("usage: sudo -h | -K | -k | -V\n"), SUDORULE_UNKNOWN);
}

/* A rule naming another path to the same file (a link with the runner's name) is the runner
 * for sudo, which compares the files when the names end alike. */
static void test_parse_same_file(void)
{
	char listing[1024], runner[128];

	mkdir(check_path(dir, "bin"), 0755);
	mkdir(check_path(dir, "lbin"), 0755);
	put("bin/pi-runner", "");
	link(check_path(dir, "bin/pi-runner"), check_path(dir, "lbin/pi-runner"));
	put("lbin/other", "");
	snprintf(runner, sizeof runner, "%s/bin/pi-runner", dir);
	snprintf(listing, sizeof listing, HEAD MAY ENTRY("root", NOPW, "\t%s/lbin/pi-runner\n"), dir);
	CHECK_INT(sudorule_parse(listing, runner), SUDORULE_OK);
	snprintf(listing, sizeof listing, HEAD MAY ENTRY("root", NOPW, "\t%s/lbin/other\n"), dir);
	CHECK_INT(sudorule_parse(listing, runner), SUDORULE_MISSING);
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
	put("out", HEAD MAY ENTRY("root", NOPW, "\t" R "\n"));
	CHECK_INT(sudorule_ask(&c, NULL, args), SUDORULE_OK);
	CHECK_STR(got("argv"), "-n\n-ll\n");
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
	put("out", HEAD MAY ENTRY("root", "", "\t" R "\n") ENTRY("root", NOPW, "\t/bin/true\n"));
	CHECK_INT(sudorule_ask(&c, NULL, args), SUDORULE_PASSWORD);
	/* sudo wants a password for the listing itself */
	put("rc", "1\n");
	put("out", "");
	CHECK_INT(sudorule_ask(&c, NULL, NULL), SUDORULE_NOLIST);
	CHECK_STR(got("argv"), "-n\n-ll\n");
	/* root's own question: -U, and no answer from the listing falls back to asking as the user */
	put("rc", "0\n");
	put("out", "User alice is not allowed to run sudo on vm.\n");
	CHECK_INT(sudorule_ask_root(&c, "alice", NULL), SUDORULE_MISSING);
	CHECK_STR(got("argv"), "-n\n-ll\n-U\nalice\n");
	/* a listing this parser does not know: sudo -n -l RUNNER ARGS, as before */
	put("out", "something else\n");
	CHECK_INT(sudorule_ask(&c, NULL, args), SUDORULE_OK);
	CHECK_STR(got("argv"), "-n\n-l\n/usr/bin/pi-runner\nalice\n/home/alice/p\n--x\n");
	CHECK_INT(sudorule_ask_root(&c, "alice", NULL), SUDORULE_OK);
	CHECK_STR(got("argv"), "-n\n-l\n/usr/bin/pi-runner\n");
	put("rc", "2\n");
	CHECK_INT(sudorule_ask(&c, NULL, NULL), SUDORULE_UNKNOWN);
	snprintf(path, sizeof path, "%s/missing/sudo", dir);
	CHECK_INT(sudorule_ask(&c, NULL, NULL), SUDORULE_UNKNOWN);
	c.sudo_path = "/usr/bin/env";
	CHECK_INT(sudorule_ask(&c, NULL, NULL), SUDORULE_UNKNOWN);
	/* sudo-rs: sudo -n -l RUNNER alone (its listing is not sudo's) */
	snprintf(path, sizeof path, "%s/sudo-rs", dir);
	c.sudo_path = path;
	tool("sudo-rs");
	put("rc", "0\n");
	CHECK_INT(sudorule_ask(&c, NULL, NULL), SUDORULE_OK);
	CHECK_STR(got("argv"), "-n\n-l\n/usr/bin/pi-runner\n");
	put("rc", "1\n");
	CHECK_INT(sudorule_ask(&c, NULL, NULL), SUDORULE_MISSING);
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
	CHECK_INT(sudorule_ask(&c, NULL, NULL), SUDORULE_PASSWORD);
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
	sudorule_describe(&c, "alice", SUDORULE_MISSING, what, sizeof what, fix, sizeof fix);
	CHECK_STR(what, "no sudo rule lets alice run /usr/bin/pi-runner without a password");
	sudorule_describe(&c, "alice", SUDORULE_PASSWORD, what, sizeof what, fix, sizeof fix);
	CHECK_STR(what, "the sudo rule that lets alice run /usr/bin/pi-runner asks for a password "
		  "(pi runs sudo -n, which cannot ask)");
	sudorule_describe(&c, "alice", SUDORULE_NOLIST, what, sizeof what, fix, sizeof fix);
	CHECK_STR(what, "a password is required for sudo -l, so no sudo rule seems to let alice run "
		  "/usr/bin/pi-runner without one");
	CHECK_STR(fix, "add \"alice ALL=(root) NOPASSWD: /usr/bin/pi-runner\" to " PI_SUDOERS_FILE
		  " (visudo -f " PI_SUDOERS_FILE ")");
	c.sudo_path = "/usr/bin/doas";
	sudorule_describe(&c, "bob", SUDORULE_MISSING, what, sizeof what, fix, sizeof fix);
	CHECK_STR(what, "no doas rule lets bob run /usr/bin/pi-runner without a password");
	CHECK_STR(fix, "add \"permit nopass bob as root cmd /usr/bin/pi-runner\" to /etc/doas.conf");
	/* the Nix package (SUDOERS_FILE empty): the rule comes from the NixOS module */
	c.sudo_path = "/run/wrappers/bin/sudo";
	c.runner_path = "/run/current-system/sw/bin/m3ta-pi-agent-runner";
	sudorule_describe_in(&c, "alice", SUDORULE_MISSING, "", what, sizeof what, fix, sizeof fix);
	CHECK_STR(what, "no sudo rule lets alice run /run/current-system/sw/bin/m3ta-pi-agent-runner "
		  "without a password");
	CHECK_STR(fix, "list alice under m3ta.pi-agent.hostUsers with wrapper.enable = true (the "
		  "NixOS module writes the rule for /run/current-system/sw/bin/m3ta-pi-agent-runner) "
		  "and run nixos-rebuild switch");
	sudorule_describe_in(&c, "alice", SUDORULE_PASSWORD, "/etc/sudoers.d/x", what, sizeof what, fix, sizeof fix);
	CHECK_STR(fix, "add \"alice ALL=(root) NOPASSWD: /run/current-system/sw/bin/m3ta-pi-agent-runner\" "
		  "to /etc/sudoers.d/x (visudo -f /etc/sudoers.d/x)");
}

int main(void)
{
	snprintf(dir, sizeof dir, "/tmp/test_sudorule.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	test_parse();
	test_parse_same_file();
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
