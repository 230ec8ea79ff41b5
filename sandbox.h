/* sandbox.h - the systemd-run command line that starts the agent in its hardened transient unit. */
#ifndef SANDBOX_H
#define SANDBOX_H
#include <stddef.h>
#include "config.h"

struct launch {
	const struct config *c;
	const char *host_user;     /* the invoking user */
	const char *agent_user;    /* the account the unit runs as */
	const char *agent_group;   /* that account's primary group: the unit's Group= */
	const char *home;          /* the agent home: <stateDir>/users/<host_user> */
	const char *cwd;           /* resolved working directory, a host path */
	const char *host_env_file; /* root-only: the host user's .env, read first */
	const char *env_file;      /* root-only: `environment`, read second; then env_file.0 ...
				    * env_file.<n-1>, one per environmentFiles entry, in order */
	const char *runtime_dir;   /* hidden from the unit */
	const char *agent_bin;     /* absolute path of the agent */
	const char *init;          /* the unit's main process (pi-agent-init beside us), or NULL */
	int suspend;               /* the runner watches home for the agent's Ctrl-Z (--suspend=) */
	char *const *init_checks;  /* init's --cover= and --hidden= arguments (agentinit.c) */
	size_t ninit_checks;
	char *const *roots;        /* existing resolved project roots, bound at their own path */
	char *const *bind_from;    /* where each root is staged (NULL: bound from its path) */
	int idmapped;              /* every root is an idmapped mount: UMask=0022, no projectGroup */
	size_t nroots;
	const char *const *hidden; /* existing top-level dirs to hide (/mnt, /media, /srv) */
	size_t nhidden;
	char *const *others;       /* other host users' roots: InaccessiblePaths=-"<path>" */
	size_t nothers;
	const char *term;          /* TERM for --pty, or NULL */
	char *const *term_vars;    /* NAME=value of the caller's terminal and locale (sandbox_term_var) */
	size_t nterm_vars;
	int pty;                   /* 1: --pty, 0: --pipe */
	const char *unit;          /* --unit= name, or NULL */
	char *const *hide_ro;      /* projectConfig: directories the unit sees empty, read-only
				    * (outside the roots: those inside are covered when staged) */
	size_t nhide_ro;
	const char *netns;         /* network allowlist: the namespace the unit joins, or NULL */
	const char *slice;         /* --slice=: the host user's (resources_slice), or NULL */
	const struct resources *res; /* the user's resources: those bounding one session go on
				    * the unit (the slice's are set on the slice), or NULL */
	char *const *devices;      /* granted: DeviceAllow=PATH rw and the node bound at its path */
	size_t ndevices;
	char *const *args;         /* the user's arguments, untouched */
	size_t nargs;
};

struct argv {
	char **v;       /* NULL-terminated */
	size_t n, cap;
};

/* Builds the full argv (v[0] = systemdRunPath). Returns 0, or -1 with errno. */
int sandbox_argv(const struct launch *l, struct argv *a);
void sandbox_argv_free(struct argv *a);
/* Quotes a path for a systemd list-valued property (BindPaths=, TemporaryFileSystem=,
 * InaccessiblePaths=): the
 * result is read back by systemd as exactly that one path. */
int sandbox_quote_path(const char *path, char *out, size_t n);
/* Nonzero when assignment is NAME=value with NAME one of the terminal and locale variables
 * that reach the agent (COLORTERM, TERM_PROGRAM, TERM_PROGRAM_VERSION, NO_COLOR, LANG,
 * LANGUAGE, LC_*) and value 1 to 64 characters of letters, digits and "._+-@:,". */
int sandbox_term_var(const char *assignment);
/* "NAME=value\n" as systemd's EnvironmentFile= parser reads back exactly value (any UTF-8
 * systemd accepts, newlines and quotes included): bare when value is only letters, digits
 * and _@%+=:,./-, else in double quotes with \ " ` $ escaped. malloc'd; NULL with errno. */
char *sandbox_env_line(const char *name, const char *value);
/* PATH for the agent: package/bin, extraPackages' bin, then runtimePath. */
int sandbox_path(const struct config *c, char *out, size_t n);
#endif
