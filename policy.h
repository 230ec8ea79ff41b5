/* policy.h - who may launch where: expands and resolves project roots, checks the working directory. */
#ifndef POLICY_H
#define POLICY_H
#include <limits.h>
#include <stddef.h>
#include <sys/vfs.h>
#include "config.h"

enum { POLICY_MAX_ROOTS = 64 };

/* The launcher's own places besides stateDir (the Makefile sets them). */
#ifndef PI_RUNTIME_DIR
#define PI_RUNTIME_DIR "/run/pi-agent"
#endif
#ifndef PI_BINDS_DIR
#define PI_BINDS_DIR "/run/pi-agent-binds"
#endif
enum { POLICY_OWN_DIRS = 3 };

/* Why a root that exists is not a project root (policy_refuse). */
enum policy_refusal {
	POLICY_REFUSED_SLASH,    /* it is "/" */
	POLICY_REFUSED_STATE,    /* it holds or lies in one of the launcher's own places (what) */
	POLICY_REFUSED_KERNEL,   /* it is on a kernel or runtime filesystem (what: its name) */
	POLICY_REFUSED_LINK,     /* its path passes through a link (link) inside a place the
				  * agent can write: another root or the state (what) */
};

struct policy_refused {
	char *root;
	enum policy_refusal why;
	const char *what;
	char *link;
};

enum policy_result {
	POLICY_OK,         /* cwd lies inside roots[match] */
	POLICY_NO_ROOTS,   /* none of the configured roots exists */
	POLICY_OUTSIDE,    /* cwd lies outside every existing root */
	POLICY_ERROR,      /* errno set */
};

struct policy {
	char cwd[PATH_MAX];                  /* resolved working directory */
	char *roots[POLICY_MAX_ROOTS];       /* resolved, existing, in configured order */
	size_t nroots;
	char *missing[POLICY_MAX_ROOTS];     /* resolved but not an existing directory */
	size_t nmissing;
	int match;                           /* longest root containing cwd, or -1 */
	struct policy_refused refused[POLICY_MAX_ROOTS];   /* existing, but not a project root */
	size_t nrefused;
};

/* "~" and "~/x" against home; absolute as is; anything else relative to home. */
int policy_expand(const char *root, const char *home, char *out, size_t n);
/* Like realpath -m: links in existing components resolved, the rest taken lexically. */
int policy_resolve(const char *path, char *out, size_t n);
/* Nonzero when path is root itself or lies below it ("/p" does not contain "/p2"). */
int policy_within(const char *path, const char *root);
/* Resolves every root and cwd (cwd must be absolute) with the caller's filesystem identity. */
enum policy_result policy_check(struct policy *p, const struct strlist *roots, const char *home,
				const char *cwd);
void policy_free(struct policy *p);
/* Moves to refused every root that is "/", holds or lies in one of forbidden (NULL-terminated:
 * the launcher's own places), lies on a kernel or runtime filesystem, or whose configured
 * path (of roots, against home) passes through a link inside another of these roots or in
 * state (a link the agent could have made), and decides again. Call after policy_check,
 * with the same identity. */
enum policy_result policy_refuse(struct policy *p, const struct strlist *roots, const char *home,
				 const char *state, const char *const *forbidden);
/* The launcher's own places, no project root holds or lies in: state (stateDir), then
 * PI_RUNTIME_DIR and PI_BINDS_DIR, into out, NULL after them. */
void policy_own_dirs(const char *state, const char *out[POLICY_OWN_DIRS + 1]);
/* The name of the kernel or runtime filesystem sf (of path, resolved) is, or NULL when it may
 * hold projects: proc, sysfs, cgroup, devpts and the like, any tmpfs under /dev, /run, /sys
 * or /proc. */
const char *policy_kernel_fs(const struct statfs *sf, const char *path);
/* The seed's link name for root number index: "<index>-<path with '/' as '-'>". */
int policy_slug(const char *root, size_t index, char *out, size_t n);
#endif
