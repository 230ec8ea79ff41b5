/* plan.h - one pi-runner call: its state (struct run) and the plan a launch, --check and --explain share. */
#ifndef PLAN_H
#define PLAN_H
#include <limits.h>
#include "config.h"
#include "ident.h"
#include "mounts.h"
#include "netns.h"
#include "policy.h"
#include "coverwatch.h"
#include "projcfg.h"
#include "sandbox.h"

enum { RUN_TERM_VARS = 32 };

/* One pi-runner call, by owner: runner.c fills the command line and the caller before
 * anything acts; prepare.c opens and holds the fds; plan.c, project.c and runner.c's launch
 * fill the plan; the parts below the runner speak through say and root_lost. */
struct run {
	struct {                          /* the command line (runner.c's parse) */
		const char *user;         /* the invoking host user */
		const char *cwd;          /* the working directory as the command line gave it */
		int check_offline;        /* --check [--offline] [FILE] */
		const char *check_path;
		char *term_vars[RUN_TERM_VARS];   /* --env NAME=value: terminal and locale variables */
		size_t nterm_vars;
		char **args;              /* the user's arguments for the agent */
		size_t nargs;
	};
	struct {                          /* who the caller is and who acts for them (runner.c) */
		struct config c;
		const struct host_user *host;
		const char *agent;        /* the agent account */
		char agent_group[256];    /* its primary group: the unit's Group= */
		char home[PATH_MAX];      /* the host user's home */
		struct ident host_id, agent_id;
		struct ident agent_held;  /* the agent account's groups, as the unit gets them */
		struct policy pol;        /* the roots and cwd, checked as the host user */
	};
	struct {                          /* the fds a launch holds (prepare.c, runner.c) */
		int runtime_fd, home_fd, agent_dir_fd, lock_fd;
		int account_fd;           /* shared lock on the agent account, held to the end */
		int watch_fd;             /* the agent's Ctrl-Z announced in agent_home (suspend.c), or -1 */
	};
	struct {                          /* the plan (plan.c, project.c, prepare.c) */
		char source[PATH_MAX];            /* the host user's config dir */
		char agent_home[PATH_MAX];        /* <stateDir>/users/<user> */
		char env_file[PATH_MAX];          /* /run/pi-agent/<user>.env */
		char host_env_file[PATH_MAX];     /* /run/pi-agent/<user>.env.host */
		char agent_bin[PATH_MAX];
		char init[PATH_MAX];      /* pi-agent-init beside the runner: the unit's main process */
		char agent_dir[PATH_MAX];         /* <agent_home>/.pi/agent */
		const char *settings_from;        /* the directory settings.json came from */
		char host_settings[PATH_MAX + 16];
		int synced;               /* the host config dir was copied */
		char unit[128];           /* the transient unit's name */
		struct mounts mnt;        /* the roots, staged by fd for the unit to bind */
		struct projcfg pc;        /* projectConfig's plan for this launch (project.c) */
		struct coverwatch cw;     /* its covers, watched for the session (coverwatch.c) */
		struct netns net;         /* network allowlist: the unit's namespace and proxy */
	};
	struct {                          /* the running unit (runner.c's supervision) */
		pid_t main_pid;           /* the unit's main process, once asked of systemd, or 0 */
		int main_lookups;         /* how often it was asked */
	};
	/* how the parts below the runner speak: the personality's own (pi_say, pi_root_lost) */
	void (*say)(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
	int (*root_lost)(void);
};

/* The agent in <package>/bin: binaryName, then pi, then pi-agent; 0 with its path in out,
 * else -1 with the first name's path. */
int plan_agent_path(const struct config *c, char *out, size_t n);
/* The names it tries, for a message: "pi-agent or pi", "NAME, pi or pi-agent". */
const char *plan_agent_names(const struct config *c);
/* A package that is itself the bin/ directory holding the agent ("/opt/pi/bin"): 0 with the
 * directory to set instead in parent and the agent's path in found; else -1. */
int plan_package_parent(const struct config *c, char *parent, size_t n, char *found, size_t nf);
/* A TERM value worth passing on (a plain terminal name), or NULL. */
const char *plan_term(void);
/* The full systemd-run command line of a launch, with a new unit name in r->unit; others are
 * the other host users' roots to hide (hide_for_launch). Returns 0, or -1 after saying why
 * through r->say. */
int plan_argv(struct run *r, char **args, size_t nargs, char *const *others, size_t nothers,
	      struct argv *a);
/* The idmap of the host user to the agent account, when projectAccess asks for it; NULL in
 * group mode. */
const struct idmap *plan_idmap(const struct run *r, struct idmap *map);
/* How many of user's groups no group of agent's can stand for on an idmapped root
 * (idmap_pair); their names, quoted and comma-separated, into out. */
size_t plan_unpaired(const struct ident *user, const struct ident *agent, char *out, size_t n);
/* Why a root that was to be idmapped is reached through the group instead, and what the
 * admin can do: "idmapped mounts are not available here (…); the agent reaches it …". */
void plan_no_idmap(const struct run *r, const struct mounts_access *a, char *out, size_t n);
#endif
