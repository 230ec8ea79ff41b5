/* ident.h - borrowed identities: touch files as a given user, with none of root's powers, while the process stays root. */
#ifndef IDENT_H
#define IDENT_H
#include <stddef.h>
#include <sys/types.h>

enum { IDENT_MAX_GROUPS = 256 };

struct ident {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[IDENT_MAX_GROUPS];
};

/* Fills id from the passwd entry of name (groups from the group database). */
int ident_of_user(struct ident *id, const char *name, gid_t gid_override);
/* Saves the current identity and permitted capabilities as those ident_enter(NULL) returns to. */
int ident_save_root(void);
/* Switches fsuid, fsgid and supplementary groups to id and empties the calling thread's
 * effective capabilities; NULL returns to the saved identity with its capabilities. A failed
 * return to the saved identity is final: every later call fails too, and the caller must touch
 * no file after it (the result cannot be ignored). */
int ident_enter(const struct ident *id) __attribute__((warn_unused_result));
/* Whether the process holds any of root's powers: uid or gid 0 (real, effective, saved or a
 * supplementary group) or a capability in its effective, permitted, inheritable or ambient
 * set. 1 with what it holds in why, 0 when none, -1 when it cannot tell. */
int ident_holds_root(char *why, size_t n);
/* Whether the process holds any capability (effective, permitted or inheritable): 1, 0, or
 * -1 when it cannot tell. */
int ident_has_caps(void);
/* For good, in a child between fork and exec (never in a thread of the runner): groups
 * exactly the n given, then gid and uid (real, effective and saved), no capability kept
 * past the uid's change. 0, or -1 with errno set. */
int ident_drop(uid_t uid, gid_t gid, size_t n, const gid_t *groups);
#endif
