/* policy.h - who may launch where: expands and resolves project roots, checks the working directory. */
#ifndef POLICY_H
#define POLICY_H
#include <limits.h>
#include <stddef.h>
#include "config.h"

enum { POLICY_MAX_ROOTS = 64 };

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
	char *refused[POLICY_MAX_ROOTS];     /* existing, but "/" or overlapping a forbidden path */
	const char *refused_why[POLICY_MAX_ROOTS];
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
/* Moves the roots that are "/" or hold or lie in one of forbidden (NULL-terminated: the
 * launcher's own state) to refused, and decides again. Call after policy_check. */
int policy_refuse(struct policy *p, const char *const *forbidden);
/* The seed's link name for root number index: "<index>-<path with '/' as '-'>". */
int policy_slug(const char *root, size_t index, char *out, size_t n);
#endif
