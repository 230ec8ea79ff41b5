/* config.h - the launcher's configuration: /etc/pi-agent/config.json, keys named as the seed's options. */
#ifndef CONFIG_H
#define CONFIG_H
#include <stddef.h>
#include <sys/types.h>
#include "json.h"
#include "resources.h"

#ifndef PI_CONFIG_PATH
#define PI_CONFIG_PATH "/etc/pi-agent/config.json"
#endif
#ifndef PI_RUNNER_PATH
#define PI_RUNNER_PATH "/usr/local/bin/pi-runner"
#endif

struct strlist {
	char **v;
	size_t n;
};

struct kv {
	char *key;
	char *value;
};

struct kvlist {
	struct kv *v;
	size_t n;
};

/* network: "open" (the host's network) or "allowlist" (a namespace with only loopback, and
 * the proxy as the one way out, to the allow entries minus the deny ones). */
struct config_network {
	char *mode;                 /* "open" or "allowlist" */
	struct strlist allow, deny; /* entries netpolicy_parse_entry accepts */
};

struct host_user {
	char *name;
	struct strlist roots;       /* projectRoots as written */
	char *config_path;          /* NULL: wrapper.hostConfigPath */
	char *agent_user;           /* NULL: user */
	char *project_config;       /* NULL: projectConfig */
	struct config_network *network; /* NULL: the top level's network */
	struct resources resources; /* each set key replaces the top level's */
	struct strlist devices;     /* character devices granted to this user's units */
};

struct config {
	void *mem;                  /* every allocation below, chained */
	struct json_doc doc;        /* kept for settings */
	int settings;               /* token of settings in doc, or -1 */
	char *path;                 /* the file loaded */
	char *user, *group, *state_dir, *package, *binary_name;
	struct host_user *hosts;
	size_t nhosts;
	struct kvlist environment;
	struct strlist environment_files, extra_packages, runtime_path;
	char *project_group;
	char *project_access;       /* "idmap" (default) or "group" */
	char *project_config;       /* "admin-wins" (default), "deny" or "allow" */
	struct config_network network;
	char *proxy_user;           /* the account the allowlist proxy runs as */
	char *runner_path, *sudo_path, *systemd_run_path;
	struct kvlist limits;       /* resourceLimits that are set: MemoryMax, CPUQuota, TasksMax */
	struct resources resources; /* each host user's, unless its own sets the key */
	char *command_name, *runner_name, *host_config_path;
	int sync_config;
	unsigned long long sync_max_bytes, sync_max_entries;   /* what one sync may copy */
	struct strlist extra_run_args, extra_properties;
	struct kvlist extra_environment;
};

/* Why a config failed to load: position (0 when none), the key path and the reason. */
struct config_err {
	int line, col;
	char key[128];
	char msg[384];
};

/* Trust rule for the file: CONFIG_TRUST_ROOT refuses a file not owned by root or writable
 * by group or others (checked on the opened fd). */
enum config_trust { CONFIG_TRUST_ANY, CONFIG_TRUST_ROOT };

int config_load(struct config *c, const char *path, enum config_trust trust, struct config_err *e);
void config_free(struct config *c);
const struct host_user *config_host(const struct config *c, const char *name);
/* Nonzero when projectAccess asks for idmapped project mounts. */
int config_idmap(const struct config *c);
/* projectConfig for a host user: its own, else the top level's. */
const char *config_project_config(const struct config *c, const struct host_user *h);
/* network for a host user: its own, else the top level's (never merged). */
const struct config_network *config_network(const struct config *c, const struct host_user *h);
/* Nonzero when that network is an allowlist. */
int config_allowlist(const struct config *c, const struct host_user *h);
/* systemctl beside systemdRunPath (the runner stops, kills and sizes units with it) into out. */
void config_systemctl(const struct config *c, char *out, size_t n);
/* Whether s holds a control byte (below 0x20, or 0x7f): such a name or path is refused. */
int config_has_ctl(const char *s);
/* The agent account for a host user. */
const char *config_agent_user(const struct config *c, const struct host_user *h);
/* The shared-group rule: 1 when hosts i and j have different agent accounts with the same
 * primary group (the unit's Group=: each agent could read what the other creates), its id in
 * gid; else 0 (the same account, or one that does not exist). */
int config_shared_group(const struct config *c, size_t i, size_t j, gid_t *gid);
#endif
