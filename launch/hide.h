/* hide.h - the other host users' project roots a unit must not see (InaccessiblePaths=). */
#ifndef HIDE_H
#define HIDE_H
#include <stddef.h>
#include <sys/types.h>
#include "config.h"

struct hide {
	char **v;       /* NULL-terminated (NULL when empty) */
	size_t n;
};

/* Decides for one configured root of a user (uid, home), called with that user's filesystem
 * identity: 1 with out set to the directory to hide (the root resolved, or the deepest
 * directory above it that only root can replace), 0 when nothing may be hidden for it. keep
 * and forbid are NULL-terminated; nothing equal to or holding a path of keep, nothing inside
 * or holding a path of forbid is hidden. */
int hide_path(const char *root, const char *home, uid_t uid, const char *const *keep,
	      const char *const *forbid, char *out, size_t n);
/* Nonzero when only root can replace path (resolved, a directory) and each directory on the
 * way to it: each one root's, in a directory of root's that no one else may write (or a
 * sticky one, the entry being root's). */
int hide_fixed(const char *path);
/* hide_path for every root of every host user of c but self, each with that user's identity
 * (ident_enter; back to the saved one after). Returns 0, or -1 with errno. */
int hide_roots(struct hide *h, const struct config *c, const char *self,
	       const char *const *keep, const char *const *forbid);
/* The other host users' roots a launch of self must not see: hide_roots with keep = self's
 * roots and cwd, forbid = the launcher's own places (policy_own_dirs under stateDir), the
 * package, extraPackages and runtimePath. Returns 0, or -1 with errno. */
int hide_for_launch(struct hide *h, const struct config *c, const char *self,
		    char *const *roots, size_t nroots, const char *cwd);
void hide_free(struct hide *h);
/* Whether a root of another host user than self (uid), resolved with that user's identity,
 * lies in dir (resolved) and is not self's own directory (a link of theirs to self's files
 * exposes nothing of theirs): 1 with that user's name in who, 0 when none, -1 with errno. */
int hide_holds_other(const struct config *c, const char *self, uid_t uid, const char *dir,
		     char *who, size_t n);
#endif
