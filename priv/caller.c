/* caller.c - who ran the runner: the user the elevation tool (sudo, sudo-rs, doas) names, never the runner's own command line.
 *
 * MUST rules kept here:
 * - the caller comes from the variable of the tool sudoPath names (SUDO_UID for sudo and
 *   sudo-rs, which set it themselves; DOAS_USER for doas, which sets it even with keepenv);
 * - a variable of any other tool is a refusal, not a fallback: through doas with keepenv a
 *   user sets SUDO_UID to anything, and through sudo with env_keep DOAS_USER;
 * - a sudoPath the runner cannot learn its caller from is never trusted (caller_tool: the
 *   launch refuses it);
 * - with no tool's variable, the login session's user (/proc/self/loginuid, set at login
 *   and kept across su and any tool we do not know) is the caller; only when it names no
 *   one, or root, is the runner root's own;
 * - the process that started us says who it runs for: when its real uid is not root's, that
 *   user is the caller, and a tool's variable naming someone else is refused (a sudo rule
 *   with SETENV, or ALL, lets the caller set SUDO_UID; sudo's own process keeps the caller's
 *   real uid);
 * - only root's own runner honours PI_AGENT_CONFIG.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "caller.h"

static const struct caller_tool tools[] = {
	{ "sudo", "SUDO_UID", "--non-interactive" },
	{ "sudo-rs", "SUDO_UID", "--non-interactive" },
	{ "doas", "DOAS_USER", "-n" },
};
const char caller_tools[] = "sudo, sudo-rs or doas";

/* Variables a tool sets for its command: any of them seen means that tool ran us. */
static const struct { const char *var, *tool; } markers[] = {
	{ "SUDO_UID", "sudo" }, { "DOAS_USER", "doas" }, { "PKEXEC_UID", "pkexec" },
};

const struct caller_tool *caller_tool(const char *sudo_path)
{
	const char *base = strrchr(sudo_path, '/');
	size_t i;

	base = base ? base + 1 : sudo_path;
	for (i = 0; i < sizeof tools / sizeof *tools; i++)
		if (!strcmp(base, tools[i].name))
			return &tools[i];
	return NULL;
}

/* The login session's uid, or -1 when none is set (4294967295) or it cannot be read. */
static long login_uid(void)
{
	char buf[32];
	unsigned long v;
	char *end;
	ssize_t n;
	int fd = open("/proc/self/loginuid", O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || v >= 4294967295UL)
		return -1;
	return (long)v;
}

/* The real uid of the process that started us, or -1 when it is not known. */
static long parent_uid(void)
{
	char path[64], line[256];
	unsigned long uid;
	long r = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)getppid());
	f = fopen(path, "re");
	while (f && r < 0 && fgets(line, sizeof line, f))
		if (sscanf(line, "Uid: %lu", &uid) == 1)
			r = (long)uid;
	if (f)
		fclose(f);
	return r;
}

int caller_elevated(void)
{
	size_t i;

	for (i = 0; i < sizeof markers / sizeof *markers; i++)
		if (getenv(markers[i].var))
			return 1;
	return login_uid() > 0 || parent_uid() > 0;
}

const char *caller_config_path(void)
{
	const char *env = getenv("PI_AGENT_CONFIG");

	if (geteuid() == 0 && caller_elevated())
		return PI_CONFIG_PATH;
	return env && *env ? env : PI_CONFIG_PATH;
}

/* c from a uid: its passwd entry names the caller; root is root's own runner. */
static int by_uid(struct caller *c, unsigned long uid, const char *how, char *why, size_t n)
{
	struct passwd *pw;

	if (uid == 0) {
		c->kind = CALLER_NONE;
		return 0;
	}
	pw = getpwuid((uid_t)uid);
	if (!pw || strlen(pw->pw_name) >= sizeof c->name) {
		snprintf(why, n, "the invoking uid %lu (%s) has no passwd entry", uid, how);
		return -1;
	}
	c->kind = CALLER_USER;
	c->uid = (uid_t)uid;
	c->how = how;
	strcpy(c->name, pw->pw_name);
	return 0;
}

static int by_tool(struct caller *c, const char *sudo_path, char *why, size_t n)
{
	const struct caller_tool *t = caller_tool(sudo_path);
	const char *v;
	struct passwd *pw;
	unsigned long uid;
	long login;
	char *end;
	size_t i;

	memset(c, 0, sizeof *c);
	for (i = 0; i < sizeof markers / sizeof *markers; i++)
		if (getenv(markers[i].var) && (!t || strcmp(markers[i].var, t->var))) {
			snprintf(why, n, "%s is set: run through %s, but sudoPath is %s%s",
				 markers[i].var, markers[i].tool, sudo_path, t ? "" :
				 ", not a tool the runner can learn its caller from");
			return -1;
		}
	v = t ? getenv(t->var) : NULL;
	if (v && !strcmp(t->var, "DOAS_USER")) {
		pw = getpwnam(v);
		if (!pw) {
			snprintf(why, n, "DOAS_USER '%s' names no user", v);
			return -1;
		}
		return by_uid(c, pw->pw_uid, t->var, why, n);
	}
	if (v) {
		errno = 0;
		uid = strtoul(v, &end, 10);
		if (errno || end == v || *end || *v == '-' || uid != (uid_t)uid) {
			snprintf(why, n, "%s '%s' is not a uid", t->var, v);
			return -1;
		}
		return by_uid(c, uid, t->var, why, n);
	}
	login = login_uid();
	if (login >= 0)
		return by_uid(c, (unsigned long)login, "the login session", why, n);
	c->kind = CALLER_NONE;
	return 0;
}

int caller_identify(struct caller *c, const char *sudo_path, char *why, size_t n)
{
	long parent = parent_uid();
	struct passwd *pw;

	if (by_tool(c, sudo_path, why, n) < 0)
		return -1;
	if (parent <= 0)
		return 0;
	if (c->kind == CALLER_NONE)
		return by_uid(c, (unsigned long)parent, "the calling process", why, n);
	if ((uid_t)parent != c->uid) {
		pw = getpwuid((uid_t)parent);
		snprintf(why, n, "%s names %s, but the process that started the runner is %s's (a "
			 "sudo rule with SETENV, or ALL, lets the caller set SUDO_UID: the runner's rule "
			 "must not have it)", c->how, c->name, pw ? pw->pw_name : "another user");
		return -1;
	}
	return 0;
}
