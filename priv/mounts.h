/* mounts.h - stages each project root by fd, so the unit binds exactly the directory that was checked. */
#ifndef MOUNTS_H
#define MOUNTS_H
#include <stddef.h>
#include "ident.h"
#include "idmap.h"
#include "policy.h"

/* How the agent reaches a staged root. */
struct mounts_access {
	int idmapped;         /* 1: through an idmapped mount, as the host user */
	const char *call;     /* an idmap was asked and refused: the call that refused it */
	int err;              /* and its errno */
	uid_t owner;          /* the owner of the root's directory, as opened */
};

struct mounts {
	char dir[128];        /* PI_BINDS_DIR/<runner pid> */
	char **staged;        /* dir/<i>: a clone of roots[i], attached there */
	struct mounts_access *access; /* per root */
	size_t n;
	size_t pins;          /* directories cover.c pinned in them (at most COVER_PINS_MAX) */
};

/* Opens each of roots (resolved paths) with user's filesystem identity, refusing any link on
 * the way, and attaches a nosuid, nodev clone of each opened directory at m->staged[i]
 * (root-only). With map, each clone is also idmapped by it where the kernel and the
 * filesystem allow (m->access[i] says whether, and if not why). On failure *bad is the root
 * that failed and errno says why; nothing stays attached. */
int mounts_stage(struct mounts *m, char *const *roots, size_t n, const struct ident *user,
		 const struct idmap *map, const char **bad);
/* Nonzero when there are staged roots and every one is idmapped. */
int mounts_all_idmapped(const struct mounts *m);
/* Nonzero when some staged root is idmapped. */
int mounts_any_idmapped(const struct mounts *m);
/* What staging root with map would give, found by trying it on a clone that is never
 * attached (--explain). Returns -1 with errno when the root cannot be opened. */
int mounts_probe(const char *root, const struct ident *user, const struct idmap *map,
		 struct mounts_access *a);
/* Detaches and removes what mounts_stage attached. */
void mounts_release(struct mounts *m);
/* Detaches the staging of runners that no longer run (killed before they could). */
void mounts_reap(void);
#endif
