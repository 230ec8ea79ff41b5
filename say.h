/* say.h - how the personalities speak: the program's name, messages on stderr, exit codes; it includes nothing of ours. */
#ifndef SAY_H
#define SAY_H
#include <stddef.h>

/* Exit codes shared by every personality. */
enum { EXIT_DENIED = 1, EXIT_USAGE = 2, EXIT_NO_AGENT = 127 };

/* The name messages start with ("pi", "pi-runner", "pi-merge"). */
extern const char *pi_prog;
/* "<prog>: <message>\n" on stderr. */
void pi_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Says again, once, the warnings pi_say printed in this run (the agent's screen hid them). */
void pi_say_again(void);
/* The message as is, on stderr (for the seed's own wording, which has no prefix). */
void pi_plain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "<prog>: <file>: line L col C: <key>: <reason>" for a config that failed to load. */
struct config_err;
void pi_say_config_error(const char *path, const struct config_err *e);
/* The command that creates a missing account, with its real names: an agent account in group
 * (groupadd first when that group is missing too), the proxy's account, or a group. */
enum pi_account { PI_ACCOUNT_AGENT, PI_ACCOUNT_PROXY, PI_ACCOUNT_GROUP };
const char *pi_create_account(char *buf, size_t n, enum pi_account kind, const char *name,
			      const char *group);
/* Says that a return to root's identity failed (ident_enter(NULL)); returns -1: the caller
 * stops touching files and fails. */
int pi_root_lost(void);
/* "<prog> (pi-agent launcher) <version>" on stdout; returns 0. */
int pi_version(void);
#endif
