/* mounts.h - stages each project root by fd, so the unit binds exactly the directory that was checked. */
#ifndef MOUNTS_H
#define MOUNTS_H
#include <stddef.h>
#include "ident.h"

#ifndef PI_BINDS_DIR
#define PI_BINDS_DIR "/run/pi-agent-binds"
#endif

struct mounts {
	char dir[128];        /* PI_BINDS_DIR/<runner pid> */
	char **staged;        /* dir/<i>: a clone of roots[i], attached there */
	size_t n;
};

/* Opens each of roots (resolved paths) with user's filesystem identity, refusing any link on
 * the way, and attaches a clone of each opened directory at m->staged[i] (root-only). On
 * failure *bad is the root that failed and errno says why; nothing stays attached. */
int mounts_stage(struct mounts *m, char *const *roots, size_t n, const struct ident *user,
		 const char **bad);
/* Detaches and removes what mounts_stage attached. */
void mounts_release(struct mounts *m);
/* Detaches the staging of runners that no longer run (killed before they could). */
void mounts_reap(void);
#endif
