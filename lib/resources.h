/* resources.h - per-user resources in systemd's syntax, the user's slice name and the device path rule. */
#ifndef RESOURCES_H
#define RESOURCES_H
#include <stddef.h>

enum res_key { RES_MEMORY_MAX, RES_MEMORY_HIGH, RES_CPU_WEIGHT, RES_CPU_QUOTA, RES_TASKS_MAX,
	       RES_IO_WEIGHT, RES_RUNTIME_MAX_SEC, RES_N };

/* The values a config sets, as written (NULL: not set). */
struct resources {
	const char *v[RES_N];
};

/* The config's key names ("memoryMax" ...), in enum res_key order. */
extern const char *const resources_keys[RES_N];
/* systemd's property for a key ("MemoryMax" ...). */
const char *resources_property(enum res_key k);
/* Nonzero for a key that bounds the user's slice (the sum of the user's sessions); zero for
 * one that bounds each session's unit (runtimeMaxSec). */
int resources_on_slice(enum res_key k);
/* NULL when value is systemd's syntax for key k, else why not ("is not a size (...)"). */
const char *resources_check(enum res_key k, const char *value);
/* The per-user value where set, else the top level's, key by key. */
void resources_merge(const struct resources *top, const struct resources *user,
		     struct resources *out);
/* The user's slice, "pi-agent-<user escaped as systemd-escape does>.slice", below
 * RESOURCES_SLICE ("john-doe" -> "pi-agent-john\x2ddoe.slice", never under john's).
 * 0, or -1 with errno EINVAL (not a name of [A-Za-z0-9_.$-], 1 to 64 long) or ENAMETOOLONG. */
int resources_slice(const char *user, char *out, size_t n);
#define RESOURCES_SLICE "pi-agent.slice"
/* The value that undoes a slice key on `systemctl set-property` ("infinity" or ""). */
const char *resources_unset(enum res_key k);
/* NULL when path can name a granted device: a clean absolute path of [A-Za-z0-9_.:+-/]
 * (DeviceAllow= reads it up to a space), else why not. */
const char *resources_device_path(const char *path);
#endif
