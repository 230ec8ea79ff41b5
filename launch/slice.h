/* slice.h - a host user's slice and devices at launch: the devices checked, the slice given its limits, both said in words. */
#ifndef SLICE_H
#define SLICE_H
#include <stddef.h>
#include "config.h"

/* Why path cannot be granted as a device (missing, a link on the way, a directory above it
 * someone other than root can change, not a character device), or NULL. why: room for it. */
const char *slice_device_refused(const char *path, char *why, size_t n);
/* Every device of h, checked: 0, or -1 with "hostUsers.U.devices[i]: PATH REASON" in err. */
int slice_devices(const struct host_user *h, char *err, size_t n);
/* The user's slice (resources_slice) and the user's resources (the top level's, each key the
 * user sets replaced): 0, or -1 with errno from resources_slice. */
int slice_of(const struct config *c, const struct host_user *h, char *slice, size_t n,
	     struct resources *res);
/* `systemctl set-property --runtime <slice> KEY=VALUE...` beside systemdRunPath, with an
 * environment of its own: every slice key, the configured value or the one that undoes it,
 * so a key taken out of the config is undone at the next launch. That round trip to systemd
 * (27-60 ms in the launches traced here) is saved by a record, <user>.slice in dirfd (-1:
 * none): when it names the same properties and systemd's drop-in directories for the slice
 * and its generator directory (under sysroot, SLICE_SYSROOT; NULL: none) are as the last
 * call left them, nothing runs; a record that cannot be read or written only means the
 * call runs. 0, or -1 with why in err. */
int slice_apply(const struct config *c, const struct host_user *h, int dirfd, const char *sysroot,
		char *err, size_t n);
#define SLICE_SYSROOT ""
/* One line of words: "pi-agent-alice.slice in pi-agent.slice: MemoryMax=8G ... (all of
 * alice's sessions together); each session: RuntimeMaxSec=8h". */
void slice_describe(const struct config *c, const struct host_user *h, char *out, size_t n);
#endif
