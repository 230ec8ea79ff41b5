/* ident.c - borrowed identities: touch files as a given user, with none of root's powers, while the process stays root.
 *
 * MUST rules kept here:
 * - a switch to a borrowed identity sets groups first, then fsgid, then fsuid, verifies each
 *   took effect, and then empties the calling thread's effective capability set: acting as
 *   the user carries no CAP_SYS_PTRACE (/proc/PID/cwd, environ, fd/N of other users), no
 *   CAP_DAC_*, no CAP_SYS_RESOURCE (quotas and reserved blocks apply), nothing;
 * - switching back raises the effective set to the saved permitted one first (setgroups
 *   and setfsuid need CAP_SETGID and CAP_SETUID), then restores groups, fsgid and fsuid;
 * - credentials are per thread: every thread switches for itself (the kernel's calls, never
 *   musl's all-threads setgroups) and assumes nothing about the identity it starts with;
 * - a failed switch returns -1 and the caller must not touch any file afterwards; a failed
 *   return to the saved identity is final (broken): every later switch fails too;
 * - the real and effective ids and the permitted set never change, so root can always
 *   switch back.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ident.h"

/* 32-bit group ids: the plain call takes 16-bit ones on i386 and arm */
#ifdef SYS_setgroups32
#define SYS_SETGROUPS SYS_setgroups32
#else
#define SYS_SETGROUPS SYS_setgroups
#endif

/* capget(2)/capset(2) as in linux/capability.h (musl has no wrapper): version 3, two words. */
#define CAP_V3 0x20080522
struct cap_header {
	uint32_t version;
	int pid;                 /* 0: the calling thread */
};
struct cap_data {
	uint32_t effective, permitted, inheritable;
};

static struct ident saved;
static struct cap_data saved_caps[2];
static int have_saved;
static int broken;          /* a return to the saved identity failed: no more switching */

int ident_of_user(struct ident *id, const char *name, gid_t gid_override)
{
	struct passwd *pw;
	int n = IDENT_MAX_GROUPS;

	errno = 0;
	pw = getpwnam(name);
	if (!pw) {
		if (!errno)
			errno = ENOENT;
		return -1;
	}
	id->uid = pw->pw_uid;
	id->gid = gid_override != (gid_t)-1 ? gid_override : pw->pw_gid;
	if (getgrouplist(name, id->gid, id->groups, &n) < 0) {
		errno = E2BIG;
		return -1;
	}
	id->ngroups = n;
	return 0;
}

int ident_save_root(void)
{
	struct cap_header h = { CAP_V3, 0 };
	int n = getgroups(IDENT_MAX_GROUPS, saved.groups);

	if (n < 0 || syscall(SYS_capget, &h, saved_caps) < 0)
		return -1;
	saved.ngroups = n;
	saved.uid = geteuid();
	saved.gid = getegid();
	have_saved = 1;
	return 0;
}

/* The calling thread's effective set: the saved permitted one (on) or empty (off). */
static int caps_effective(int on)
{
	struct cap_header h = { CAP_V3, 0 };
	struct cap_data d[2];
	int i;

	for (i = 0; i < 2; i++) {
		d[i] = saved_caps[i];
		d[i].effective = on ? saved_caps[i].permitted : 0;
	}
	return (int)syscall(SYS_capset, &h, d);
}

int ident_enter(const struct ident *id)
{
	const struct ident *to = id ? id : &saved;

	if (!have_saved || broken) {
		errno = broken ? EPERM : EINVAL;
		return -1;
	}
	if (caps_effective(1) < 0)
		goto fail;
	/* the kernel's call: musl's setgroups makes every thread run it (one call and three
	 * signal-mask calls more per switch, ~200 switches in a 10,000-file sync) */
	if (syscall(SYS_SETGROUPS, (size_t)to->ngroups, to->groups) < 0)
		goto fail;
	setfsgid(to->gid);
	if ((gid_t)setfsgid((gid_t)-1) != to->gid)
		goto fail;
	setfsuid(to->uid);
	if ((uid_t)setfsuid((uid_t)-1) != to->uid)
		goto fail;
	if (id && caps_effective(0) < 0)
		goto fail;
	return 0;
fail:
	if (!id)
		broken = 1;
	errno = EPERM;
	return -1;
}

int ident_has_caps(void)
{
	struct cap_header h = { CAP_V3, 0 };
	struct cap_data d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	return (d[0].effective | d[0].permitted | d[0].inheritable | d[1].effective |
		d[1].permitted | d[1].inheritable) != 0;
}

/* The highest capability number the kernel knows: the ambient probe stops at EINVAL. */
enum { CAP_PROBE_MAX = 63 };

int ident_holds_root(char *why, size_t n)
{
	struct cap_header h = { CAP_V3, 0 };
	struct cap_data d[2];
	gid_t groups[IDENT_MAX_GROUPS];
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	int i, ng, amb = 0;

	if (getresuid(&ru, &eu, &su) < 0 || getresgid(&rg, &eg, &sg) < 0 ||
	    syscall(SYS_capget, &h, d) < 0 || (ng = getgroups(IDENT_MAX_GROUPS, groups)) < 0)
		return -1;
	for (i = 0; i <= CAP_PROBE_MAX; i++) {
		int r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, i, 0, 0);

		if (r < 0)
			break;
		amb |= r;
	}
	if (!ru || !eu || !su) {
		snprintf(why, n, "uid %u, euid %u, saved uid %u", ru, eu, su);
		return 1;
	}
	if (!rg || !eg || !sg) {
		snprintf(why, n, "gid %u, egid %u, saved gid %u", rg, eg, sg);
		return 1;
	}
	for (i = 0; i < ng; i++)
		if (!groups[i]) {
			snprintf(why, n, "supplementary group 0");
			return 1;
		}
	for (i = 0; i < 2; i++)
		if (d[i].effective | d[i].permitted | d[i].inheritable) {
			snprintf(why, n, "capabilities (uid %u)", eu);
			return 1;
		}
	if (amb) {
		snprintf(why, n, "ambient capabilities (uid %u)", eu);
		return 1;
	}
	return 0;
}

int ident_drop(uid_t uid, gid_t gid, size_t n, const gid_t *groups)
{
	if (setgroups(n, groups) < 0 || setresgid(gid, gid, gid) < 0 ||
	    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 || setresuid(uid, uid, uid) < 0)
		return -1;
	return 0;
}
