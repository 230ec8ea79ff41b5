/* caller.h - who ran the runner: the user the elevation tool (sudo, sudo-rs, doas) names, never the runner's own command line. */
#ifndef CALLER_H
#define CALLER_H
#include <stddef.h>
#include <sys/types.h>

/* An elevation tool the runner can learn its caller from. */
struct caller_tool {
	const char *name;          /* the basename of sudoPath: sudo, sudo-rs, doas */
	const char *var;           /* the variable the tool sets to the caller */
	const char *noninteractive; /* its flag that makes it fail instead of asking */
};

enum caller_kind {
	CALLER_NONE,   /* root's own: no tool and no login session names anyone but root */
	CALLER_USER,   /* the user a tool (or the login session) names */
};

struct caller {
	enum caller_kind kind;
	uid_t uid;
	char name[256];
	const char *how;           /* "SUDO_UID", "DOAS_USER" or "the login session" */
};

/* The tool sudoPath names, by its basename, or NULL when the runner cannot learn its caller
 * through it. */
const struct caller_tool *caller_tool(const char *sudo_path);
/* The names of the supported tools, for messages: "sudo, sudo-rs or doas". */
extern const char caller_tools[];
/* Whether root runs us for someone else: a tool's variable is set, or the login session or
 * the process that started us is a user's other than root. Then nothing the environment
 * names is trusted. */
int caller_elevated(void);
/* Config selection: PI_AGENT_CONFIG, unless root runs us for someone else. */
const char *caller_config_path(void);
/* Who ran us as root, through the tool sudoPath names: 0 and c filled, or -1 with the reason
 * in why (a variable of another tool or of a tool we cannot read, a uid without a user). */
int caller_identify(struct caller *c, const char *sudo_path, char *why, size_t n);
#endif
