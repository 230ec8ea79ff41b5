/* runner.h - the state of one pi-runner call, shared by its parts: runner.c, prepare.c, check.c. */
#ifndef RUNNER_H
#define RUNNER_H
#include <limits.h>
#include "config.h"
#include "ident.h"
#include "mounts.h"
#include "netns.h"
#include "policy.h"
#include "projcfg.h"
#include "coverwatch.h"
#include "sandbox.h"

enum { RUN_TERM_VARS = 32 };

struct run {
	struct config c;
	const struct host_user *host;
	const char *user;                 /* the invoking host user */
	const char *cwd;                  /* the working directory as the command line gave it */
	int check_offline;                /* --check [--offline] [FILE] */
	const char *check_path;
	const char *agent;                /* the agent account */
	char agent_group[256];            /* its primary group: the unit's Group= */
	char home[PATH_MAX];              /* the host user's home */
	char source[PATH_MAX];            /* the host user's config dir */
	char agent_home[PATH_MAX];        /* <stateDir>/users/<user> */
	char env_file[PATH_MAX];          /* /run/pi-agent/<user>.env */
	char host_env_file[PATH_MAX];     /* /run/pi-agent/<user>.env.host */
	char agent_bin[PATH_MAX];
	char init[PATH_MAX];              /* pi-agent-init beside the runner: the unit's main process */
	char agent_dir[PATH_MAX];         /* <agent_home>/.pi/agent */
	const char *settings_from;        /* the directory settings.json came from */
	char host_settings[PATH_MAX + 16];
	int synced;                       /* the host config dir was copied */
	struct ident host_id, agent_id;
	struct ident agent_held;          /* the agent account's groups, as the unit gets them */
	struct policy pol;
	int runtime_fd, home_fd, agent_dir_fd, lock_fd;
	int account_fd;                   /* shared lock on the agent account, held to the end */
	int watch_fd;                     /* the agent's Ctrl-Z announced in agent_home (suspend.c), or -1 */
	pid_t main_pid;                   /* the unit's main process, once asked of systemd, or 0 */
	int main_lookups;                 /* how often it was asked */
	char unit[128];                   /* the transient unit's name */
	char *term_vars[RUN_TERM_VARS];   /* --env NAME=value: terminal and locale variables */
	size_t nterm_vars;
	struct mounts mnt;                /* the roots, staged by fd for the unit to bind */
	char **args;                      /* the user's arguments for the agent */
	size_t nargs;
	struct projcfg pc;                /* projectConfig's plan for this launch (project.c) */
	struct coverwatch cw;             /* its covers, watched for the session (coverwatch.c) */
	struct netns net;                 /* network allowlist: the unit's namespace and proxy */
};

/* Agent home, config copy, settings.json, env file and project links (prepare.c).
 * Returns 0, or -1 after printing why. Takes the per-user lock, kept in r->lock_fd. */
int runner_prepare(struct run *r);
/* The agent in <package>/bin: binaryName, then pi, then pi-agent (runner.c). With loud, a
 * miss is printed with the seed's listing of bin/. */
int runner_find_agent(struct run *r, int loud);
/* The same search for a config: 0 with the agent's path in out, else -1 with the first
 * name's path. */
int runner_agent_path(const struct config *c, char *out, size_t n);
/* The names it tries, for a message: "pi-agent or pi", "NAME, pi or pi-agent". */
const char *runner_agent_names(const struct config *c);
/* A package that is itself the bin/ directory holding the agent ("/opt/pi/bin"): 0 with the
 * directory to set instead in parent and the agent's path in found; else -1. */
int runner_package_parent(const struct config *c, char *parent, size_t n, char *found, size_t nf);
/* The full systemd-run command line of a launch (runner.c). */
int runner_argv(struct run *r, char **args, size_t nargs, struct argv *a);
/* The idmap of the host user to the agent account, when projectAccess asks for it; NULL in
 * group mode (runner.c). */
const struct idmap *runner_idmap(const struct run *r, struct idmap *map);
/* How many of user's groups no group of agent's can stand for on an idmapped root
 * (idmap_pair); their names, quoted and comma-separated, into out. */
size_t runner_unpaired(const struct ident *user, const struct ident *agent, char *out, size_t n);
/* Why a root that was to be idmapped is reached through the group instead, and what the
 * admin can do: "idmapped mounts are not available here (…); the agent reaches it …". */
void runner_no_idmap(const struct run *r, const struct mounts_access *a, char *out, size_t n);
/* projectConfig for this launch (project.c): reads the project's .pi as the host user and
 * plans what the unit sees of it; with launch, writes the merged settings and trust.json.
 * Needs r->agent_bin. Returns 0, or -1 after printing why. */
int runner_project(struct run *r, int launch);
/* Mounts the plan over the project inside the staged roots (r->mnt): the merged settings, the
 * hidden dirs (cover.c). Returns 0, or -1 after printing why; the caller releases r->mnt. */
int runner_project_cover(struct run *r);
/* Says that the cover of path went during the session and puts it on record (project.c). */
void runner_cover_gone(const struct run *r, const char *path);
/* Removes what runner_project wrote for the launch. */
void runner_project_release(struct run *r);
/* --check [--offline] [FILE] (check.c). */
int runner_check(int offline, const char *path);
/* Its grammar, read before anything acts: 0, or EXIT_USAGE after the usage. */
int runner_check_args(int argc, char **argv, int *offline, const char **path);
/* --explain: what a launch would do and why, without doing it (check.c). */
int runner_explain(struct run *r, char **args, size_t nargs);
#endif
