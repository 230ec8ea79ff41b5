/* projcfg.h - projectConfig: what the unit sees of a project's own .pi, and the agent's trust flags. */
#ifndef PROJCFG_H
#define PROJCFG_H
#include <stddef.h>
#include "json.h"
#include "merge.h"

#ifndef PI_PROJECT_DIR
#define PI_PROJECT_DIR "/run/pi-agent-project"  /* root-only: the merged project settings */
#endif

enum projcfg_mode { PROJCFG_ADMIN_WINS, PROJCFG_DENY, PROJCFG_ALLOW };
enum { PROJCFG_MAX_HIDE = 64 };

/* The plan of one launch (project.c fills it and covers the staged roots with it, cover.c;
 * sandbox.c turns what lies outside them into unit properties). */
struct projcfg {
	enum projcfg_mode mode;
	int trust;                     /* the agent decides project trust (pi >= 1): the launcher owns it */
	char *settings_from;           /* the merged settings, root-owned, or NULL */
	char *settings_to;             /* <cwd>/.pi/settings.json, covered by it read-only */
	int written;                   /* settings_from was written by this launch */
	char *hide[PROJCFG_MAX_HIDE];  /* directories the unit sees empty and read-only */
	size_t nhide;
	char *unit_hide[PROJCFG_MAX_HIDE]; /* those outside every root, whose paths only root can
					    * change: hidden by the unit (borrowed from hide) */
	size_t nunit_hide;
	char *checks[PROJCFG_MAX_HIDE + 1]; /* pi-agent-init's --cover=DEV:INO:PATH and --hidden=PATH
					     * for each covered path (agentinit.c) */
	size_t nchecks;
	char **args;                   /* the user's arguments with the trust flags (borrowed strings) */
	size_t nargs;
};

/* Keys a project's settings.json never sets under admin-wins: they run code (the agent's shell,
 * a command prefix, the npm command, packages and extensions to install and load). */
extern const char *const projcfg_code_keys[];

enum projcfg_mode projcfg_mode(const char *name);
const char *projcfg_name(enum projcfg_mode m);
/* The agent's arguments: under admin-wins and deny, for an agent that decides trust, "-na"
 * twice (one may be taken as the value of a trailing option) before the first "--", else at
 * the end, so no -a/--approve of the user's takes effect and a subcommand stays first; "auth"
 * and "mcp" take no such flag and are left as they are. *out is malloc'd; its strings are
 * args' or static. */
int projcfg_args(enum projcfg_mode m, int trust, char *const *args, size_t nargs, char ***out,
		 size_t *nout);
/* Nonzero when the agent at bin (links resolved) belongs to a pi-coding-agent package of
 * version 1 or later (a package.json within three directories above it says so). */
int projcfg_agent_trusts(const char *bin);
/* Writes to fd the project settings text[0..len) (malloc'd, NUL-terminated, taken over)
 * without projcfg_code_keys at the top, deep-merged under over (over's values win), as
 * merge_json prints. A top level that is not an object counts as {}. -1 with errno; a syntax
 * error sets e and errno EINVAL. */
int projcfg_merge(int fd, char *text, size_t len, struct json_val over, struct json_err *e);
void projcfg_free(struct projcfg *p);
#endif
