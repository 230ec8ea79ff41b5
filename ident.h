/* ident.h - borrowed identities: touch files as a given user, with none of root's powers, while the process stays root. */
#ifndef IDENT_H
#define IDENT_H
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
 * effective capabilities; NULL returns to the saved identity with its capabilities. */
int ident_enter(const struct ident *id);
#endif
