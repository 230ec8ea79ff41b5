/* hide.c - the other host users' project roots a unit must not see (InaccessiblePaths=).
 *
 * MUST rules kept here:
 * - the roots hidden from a unit are the other host users', never this launch's roots or cwd
 *   or one holding them, nor anything inside or holding the launcher's own places
 *   (policy_own_dirs), the package, extraPackages or runtimePath;
 * - another user's roots are expanded against that user's home and resolved with that user's
 *   identity, never root's;
 * - a path handed to systemd is one only root can replace: systemd follows links when it
 *   applies InaccessiblePaths=, so each entry on the way to it must sit in a directory of
 *   root's that no one else may write (or a sticky one, the entry being root's);
 * - a root reached through a link that a user owns, or widened to such a directory, is hidden
 *   only when the directory hidden belongs to that root's user;
 * - nothing that equals or holds a path of keep (the unit's own roots and cwd) is hidden, nor
 *   anything overlapping forbid (the launcher's state, the agent's package and PATH).
 */
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs.h"
#include "hide.h"
#include "ident.h"
#include "policy.h"

/* fs_resolve's look at each component: notes a link that someone other than root owns. */
static int note_link(const char *path, const struct stat *st, void *ctx)
{
	if (S_ISLNK(st->st_mode) && st->st_uid != 0)
		*(int *)ctx = 1;
	return 0;
}

/* Whether the entry st in the directory dir can be replaced by no one but root. */
static int fixed(const struct stat *dir, const struct stat *st)
{
	if (dir->st_uid != 0 || !S_ISDIR(st->st_mode))
		return 0;
	return !(dir->st_mode & (S_IWGRP | S_IWOTH)) || ((dir->st_mode & S_ISVTX) && st->st_uid == 0);
}

/* The deepest directory on path's way down from / (path resolved) that only root can replace,
 * with its owner. -1 (ENOENT) when even the first component can be replaced by someone else. */
static int cover(const char *path, char *out, size_t n, uid_t *owner)
{
	char cur[PATH_MAX];
	struct stat dir, st;
	size_t len = strlen(path), i;

	if (len < 2 || len >= sizeof cur || len >= n || lstat("/", &dir) < 0) {
		errno = ENOENT;
		return -1;
	}
	out[0] = '\0';
	for (i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		memcpy(cur, path, i);
		cur[i] = '\0';
		if (lstat(cur, &st) < 0 || !fixed(&dir, &st))
			break;
		memcpy(out, cur, i + 1);
		*owner = st.st_uid;
		dir = st;
	}
	if (!out[0]) {
		errno = ENOENT;
		return -1;
	}
	return 0;
}

int hide_fixed(const char *path)
{
	char out[PATH_MAX];
	uid_t owner;

	return cover(path, out, sizeof out, &owner) == 0 && !strcmp(out, path);
}

static int holds_any(const char *path, const char *const *list)
{
	for (; list && *list; list++)
		if (policy_within(*list, path))
			return 1;
	return 0;
}

static int overlaps_any(const char *path, const char *const *list)
{
	for (; list && *list; list++)
		if (policy_within(*list, path) || policy_within(path, *list))
			return 1;
	return 0;
}

int hide_path(const char *root, const char *home, uid_t uid, const char *const *keep,
	      const char *const *forbid, char *out, size_t n)
{
	char exp[PATH_MAX], res[PATH_MAX];
	int linked = 0;
	uid_t owner = (uid_t)-1;

	/* a missing root is hidden all the same (its cover), so the unit tells nothing of it */
	if (policy_expand(root, home, exp, sizeof exp) < 0 ||
	    fs_resolve(exp, res, sizeof res, note_link, &linked) < 0 ||
	    cover(res, out, n, &owner) < 0)
		return 0;
	if ((linked || strcmp(out, res) != 0) && owner != uid)
		return 0;
	return !holds_any(out, keep) && !overlaps_any(out, forbid);
}

static int add(struct hide *h, const char *path)
{
	char **v;
	size_t i;

	for (i = 0; i < h->n; i++)
		if (!strcmp(h->v[i], path))
			return 0;
	v = realloc(h->v, (h->n + 2) * sizeof *v);
	if (!v)
		return -1;
	h->v = v;
	h->v[h->n] = strdup(path);
	if (!h->v[h->n])
		return -1;
	h->v[++h->n] = NULL;
	return 0;
}

/* The roots of one other host user, looked at with that user's identity. */
static int user_roots(struct hide *h, const struct host_user *u, const char *const *keep,
		      const char *const *forbid)
{
	char home[PATH_MAX], out[PATH_MAX];
	struct passwd *pw = getpwnam(u->name);
	struct ident id;
	size_t i;
	int rc = 0;

	if (!pw || !pw->pw_dir || !*pw->pw_dir || strlen(pw->pw_dir) >= sizeof home)
		return 0;     /* no such user: nothing of theirs resolves */
	strcpy(home, pw->pw_dir);
	if (ident_of_user(&id, u->name, (gid_t)-1) < 0)
		return -1;
	rc = ident_enter(&id);
	for (i = 0; rc == 0 && i < u->roots.n; i++)
		if (hide_path(u->roots.v[i], home, id.uid, keep, forbid, out, sizeof out))
			rc = add(h, out);
	if (ident_enter(NULL) < 0)
		return -1;
	return rc;
}

int hide_roots(struct hide *h, const struct config *c, const char *self,
	       const char *const *keep, const char *const *forbid)
{
	size_t i;

	memset(h, 0, sizeof *h);
	for (i = 0; i < c->nhosts; i++)
		if (strcmp(c->hosts[i].name, self) != 0 &&
		    user_roots(h, &c->hosts[i], keep, forbid) < 0) {
			hide_free(h);
			return -1;
		}
	return 0;
}

/* Whether one of u's roots, resolved with u's identity, lies in dir and is not self's. */
static int user_within(const struct host_user *u, uid_t self, const char *dir)
{
	char home[PATH_MAX], exp[PATH_MAX], res[PATH_MAX];
	struct passwd *pw = getpwnam(u->name);
	struct ident id;
	struct stat st;
	size_t i;
	int in = 0;

	if (!pw || !pw->pw_dir || !*pw->pw_dir || strlen(pw->pw_dir) >= sizeof home)
		return 0;
	strcpy(home, pw->pw_dir);
	if (ident_of_user(&id, u->name, (gid_t)-1) < 0 || ident_enter(&id) < 0)
		return -1;
	for (i = 0; !in && i < u->roots.n; i++)
		in = policy_expand(u->roots.v[i], home, exp, sizeof exp) == 0 &&
		     fs_resolve(exp, res, sizeof res, NULL, NULL) == 0 && policy_within(res, dir) &&
		     (stat(res, &st) < 0 || st.st_uid != self);
	return ident_enter(NULL) < 0 ? -1 : in;
}

int hide_holds_other(const struct config *c, const char *self, uid_t uid, const char *dir,
		     char *who, size_t n)
{
	size_t i;
	int in;

	for (i = 0; i < c->nhosts; i++) {
		if (!strcmp(c->hosts[i].name, self))
			continue;
		in = user_within(&c->hosts[i], uid, dir);
		if (in) {
			snprintf(who, n, "%s", c->hosts[i].name);
			return in;
		}
	}
	return 0;
}

int hide_for_launch(struct hide *h, const struct config *c, const char *self,
		    char *const *roots, size_t nroots, const char *cwd)
{
	const char **keep, **forbid;
	size_t i, k = 0, f = POLICY_OWN_DIRS;
	int rc = -1;

	keep = calloc(nroots + 2, sizeof *keep);
	forbid = calloc(c->extra_packages.n + c->runtime_path.n + POLICY_OWN_DIRS + 3,
			sizeof *forbid);
	if (keep && forbid) {
		for (i = 0; i < nroots; i++)
			keep[k++] = roots[i];
		keep[k++] = cwd;
		policy_own_dirs(c->state_dir, forbid);
		forbid[f++] = c->package;
		for (i = 0; i < c->extra_packages.n; i++)
			forbid[f++] = c->extra_packages.v[i];
		for (i = 0; i < c->runtime_path.n; i++)
			forbid[f++] = c->runtime_path.v[i];
		rc = hide_roots(h, c, self, keep, forbid);
	} else {
		errno = ENOMEM;
	}
	free(keep);
	free(forbid);
	return rc;
}

void hide_free(struct hide *h)
{
	size_t i;

	for (i = 0; i < h->n; i++)
		free(h->v[i]);
	free(h->v);
	memset(h, 0, sizeof *h);
}
