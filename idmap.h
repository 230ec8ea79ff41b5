/* idmap.h - a user namespace that maps the host user to the agent account, for idmapped project mounts. */
#ifndef IDMAP_H
#define IDMAP_H
#include <stddef.h>
#include <sys/types.h>

/* Files of host_uid:host_gid on disk appear as agent_uid:agent_gid through the mount, and
 * what the agent creates there lands as host_uid:host_gid; every other id is unmapped. */
struct idmap {
	uid_t host_uid, agent_uid;
	gid_t host_gid, agent_gid;
};

/* The one line of a uid_map or gid_map for that: "<host id> <agent id> 1\n" (the namespace's
 * "inside" id is the one on disk, its "outside" id the one the agent holds). Returns its
 * length, or -1 with ENAMETOOLONG. */
int idmap_line(char *out, size_t n, unsigned long host, unsigned long agent);
/* A user namespace with map's two lines (root only), made in a short-lived child: returns
 * an fd of it for mount_setattr(MOUNT_ATTR_IDMAP), or -1 with errno. */
int idmap_userns(const struct idmap *map);
#endif
