/* idmap.h - a user namespace that maps the host user to the agent account, for idmapped project mounts. */
#ifndef IDMAP_H
#define IDMAP_H
#include <stddef.h>
#include <sys/types.h>
#include "ident.h"

/* Files of host_uid on disk appear as agent_uid's through the mount, and what the agent creates
 * there lands as host_uid's; each of the host user's groups, host_gid[i], appears as a group
 * the agent holds, agent_gid[i] ([0]: the two primary groups); every other id is unmapped. */
struct idmap {
	uid_t host_uid, agent_uid;
	size_t ngroups;
	gid_t host_gid[IDENT_MAX_GROUPS], agent_gid[IDENT_MAX_GROUPS];
};

/* Pairs every group of user with a group of agent's (both as ident_of_user fills them): the
 * primary groups together, a group both hold with itself, each other group of the user with
 * one of the agent's left over, in order. Fills map's groups and returns how many of the
 * user's groups found none; the first nleft of them go to left. */
size_t idmap_pair(struct idmap *map, const struct ident *user, const struct ident *agent,
		  gid_t *left, size_t nleft);
/* The one line of a uid_map or gid_map for that: "<host id> <agent id> 1\n" (the namespace's
 * "inside" id is the one on disk, its "outside" id the one the agent holds). Returns its
 * length, or -1 with ENAMETOOLONG. */
int idmap_line(char *out, size_t n, unsigned long host, unsigned long agent);
/* The gid_map text for map's groups, one idmap_line each. Returns its length, or -1 with
 * ENAMETOOLONG (the kernel takes one write of less than a page). */
int idmap_gid_lines(char *out, size_t n, const struct idmap *map);
/* A user namespace with map's lines (root only), made in a short-lived child: returns an fd of
 * it for mount_setattr(MOUNT_ATTR_IDMAP), or -1 with errno. */
int idmap_userns(const struct idmap *map);
#endif
