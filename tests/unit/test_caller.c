// links: priv/caller.c
/* test_caller.c - unit tests for who ran the runner: each tool's own variable, another tool's refused, the login session, root's own. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caller.h"
#include "check.h"

static void clear(void)
{
	unsetenv("SUDO_UID");
	unsetenv("DOAS_USER");
	unsetenv("PKEXEC_UID");
	unsetenv("PI_AGENT_CONFIG");
}

/* Identifies through sudo_path; returns the result, with who and why filled. */
static int who(const char *sudo_path, struct caller *c, char *why)
{
	why[0] = '\0';
	return caller_identify(c, sudo_path, why, 512);
}

static void test_tools(void)
{
	CHECK_STR(caller_tool("/usr/bin/sudo")->var, "SUDO_UID");
	CHECK_STR(caller_tool("/run/wrappers/bin/sudo")->noninteractive, "--non-interactive");
	CHECK_STR(caller_tool("/usr/bin/sudo-rs")->var, "SUDO_UID");
	CHECK_STR(caller_tool("/usr/bin/doas")->var, "DOAS_USER");
	CHECK_STR(caller_tool("/usr/bin/doas")->noninteractive, "-n");
	CHECK(caller_tool("/usr/bin/run0") == NULL);
	CHECK(caller_tool("/usr/bin/pkexec") == NULL);
	CHECK(caller_tool("/usr/bin/sudo.sh") == NULL);
	CHECK(caller_tool("/usr/bin/env") == NULL);
}

static void test_sudo(void)
{
	struct caller c;
	char why[512];

	clear();
	setenv("SUDO_UID", "65534", 1);
	CHECK_INT(who("/usr/bin/sudo", &c, why), 0);
	CHECK_INT(c.kind, CALLER_USER);
	CHECK_INT(c.uid, 65534);
	CHECK_STR(c.name, "nobody");
	CHECK_STR(c.how, "SUDO_UID");
	CHECK(caller_elevated());
	setenv("SUDO_UID", "0", 1);                 /* root ran sudo: root's own */
	CHECK_INT(who("/usr/bin/sudo", &c, why), 0);
	CHECK_INT(c.kind, CALLER_NONE);
	setenv("SUDO_UID", "65534x", 1);
	CHECK_INT(who("/usr/bin/sudo", &c, why), -1);
	CHECK_STR(why, "SUDO_UID '65534x' is not a uid");
	setenv("SUDO_UID", "-1", 1);
	CHECK_INT(who("/usr/bin/sudo", &c, why), -1);
	setenv("SUDO_UID", "4294967296", 1);
	CHECK_INT(who("/usr/bin/sudo", &c, why), -1);
	setenv("SUDO_UID", "3999999", 1);
	CHECK_INT(who("/usr/bin/sudo", &c, why), -1);
	CHECK_STR(why, "the invoking uid 3999999 (SUDO_UID) has no passwd entry");
	/* a doas variable under sudo: not a fallback, a refusal */
	setenv("SUDO_UID", "65534", 1);
	setenv("DOAS_USER", "nobody", 1);
	CHECK_INT(who("/usr/bin/sudo", &c, why), -1);
	CHECK_STR(why, "DOAS_USER is set: run through doas, but sudoPath is /usr/bin/sudo");
	clear();
	setenv("PKEXEC_UID", "65534", 1);
	CHECK_INT(who("/usr/bin/sudo-rs", &c, why), -1);
	CHECK_STR(why, "PKEXEC_UID is set: run through pkexec, but sudoPath is /usr/bin/sudo-rs");
}

static void test_doas(void)
{
	struct caller c;
	char why[512];

	clear();
	setenv("DOAS_USER", "nobody", 1);
	CHECK_INT(who("/usr/bin/doas", &c, why), 0);
	CHECK_INT(c.kind, CALLER_USER);
	CHECK_STR(c.name, "nobody");
	CHECK_STR(c.how, "DOAS_USER");
	setenv("DOAS_USER", "no-such-user-here", 1);
	CHECK_INT(who("/usr/bin/doas", &c, why), -1);
	CHECK_STR(why, "DOAS_USER 'no-such-user-here' names no user");
	/* doas with keepenv passes the caller's own SUDO_UID on */
	setenv("DOAS_USER", "nobody", 1);
	setenv("SUDO_UID", "0", 1);
	CHECK_INT(who("/usr/bin/doas", &c, why), -1);
	CHECK_STR(why, "SUDO_UID is set: run through sudo, but sudoPath is /usr/bin/doas");
}

/* A tool the runner does not know: a variable is a refusal; none, root's own (the launch
 * refuses the tool itself: runner.c). */
static void test_unknown(void)
{
	struct caller c;
	char why[512];

	clear();
	CHECK_INT(who("/usr/bin/run0", &c, why), 0);
	CHECK_INT(c.kind, CALLER_NONE);
	setenv("SUDO_UID", "65534", 1);
	CHECK_INT(who("/usr/bin/run0", &c, why), -1);
	CHECK_STR(why, "SUDO_UID is set: run through sudo, but sudoPath is /usr/bin/run0, not a tool "
		  "the runner can learn its caller from");
}

/* In a child (a login uid, once set, stays): the login session names the caller when no
 * tool does, and then the environment chooses no config. */
static void login_session(void)
{
	struct caller c;
	char why[512];
	int fd = open("/proc/self/loginuid", O_WRONLY);

	check_failed = 0;
	clear();
	CHECK(fd >= 0 && write(fd, "65534", 5) == 5);
	if (fd >= 0)
		close(fd);
	CHECK_INT(who("/usr/bin/sudo", &c, why), 0);
	CHECK_INT(c.kind, CALLER_USER);
	CHECK_STR(c.name, "nobody");
	CHECK_STR(c.how, "the login session");
	CHECK(caller_elevated());
	setenv("PI_AGENT_CONFIG", "/tmp/mine.json", 1);
	CHECK_STR(caller_config_path(), PI_CONFIG_PATH);
	_exit(check_failed ? 1 : 0);
}

static void test_login(void)
{
	struct caller c;
	char why[512];
	int st = -1;
	pid_t pid;

	clear();
	setenv("PI_AGENT_CONFIG", "/tmp/mine.json", 1);
	if (!caller_elevated()) {        /* root's own: no login session but root's */
		CHECK_INT(who("/usr/bin/sudo", &c, why), 0);
		CHECK_INT(c.kind, CALLER_NONE);
		CHECK_STR(caller_config_path(), "/tmp/mine.json");
	}
	pid = fork();
	if (pid == 0)
		login_session();
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK_INT(st, 0);
	clear();
}

/* In a grandchild whose parent has nobody's real uid (as sudo's own process keeps the
 * caller's): that parent names the caller, and a SUDO_UID of someone else is refused. */
static void parent_says(void)
{
	struct caller c;
	char why[512];
	int st = -1;
	pid_t pid;

	check_failed = 0;
	clear();
	CHECK_INT(setresuid(65534, 0, 0), 0);
	pid = fork();
	if (pid == 0) {
		check_failed = 0;
		CHECK_INT(who("/usr/bin/sudo", &c, why), 0);
		CHECK_INT(c.kind, CALLER_USER);
		CHECK_STR(c.name, "nobody");
		CHECK_STR(c.how, "the calling process");
		CHECK(caller_elevated());
		setenv("SUDO_UID", "65534", 1);
		CHECK_INT(who("/usr/bin/sudo", &c, why), 0);
		CHECK_STR(c.how, "SUDO_UID");
		setenv("SUDO_UID", "1", 1);             /* daemon, set by the caller (SETENV) */
		CHECK_INT(who("/usr/bin/sudo", &c, why), -1);
		CHECK(strstr(why, "SUDO_UID names daemon, but the process that started the runner is "
			  "nobody's") == why);
		_exit(check_failed ? 1 : 0);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK_INT(st, 0);
	_exit(check_failed ? 1 : 0);
}

static void test_parent(void)
{
	int st = -1;
	pid_t pid = fork();

	if (pid == 0)
		parent_says();
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid);
	CHECK_INT(st, 0);
	clear();
}

int main(void)
{
	if (getuid() != 0) {
		printf("caller: needs root\n");
		return 1;
	}
	test_tools();
	test_sudo();
	test_doas();
	test_unknown();
	test_login();
	test_parent();
	return check_done("caller");
}
