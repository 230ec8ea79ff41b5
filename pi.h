/* pi.h - the personalities of the binary (pi.c's table) and the one way they print. */
#ifndef PI_H
#define PI_H

#include "config.h"
#include "policy.h"

#ifndef PI_VERSION
#define PI_VERSION "0.0.0"
#endif
#ifndef PI_RUNTIME_DIR
#define PI_RUNTIME_DIR "/run/pi-agent"
#endif

/* Exit codes shared by every personality. */
enum { EXIT_DENIED = 1, EXIT_USAGE = 2, EXIT_NO_AGENT = 127 };

int wrapper_main(int argc, char **argv);
int runner_main(int argc, char **argv);
int mergecmd_main(int argc, char **argv);
int agentinit_main(int argc, char **argv);
int proxy_main(int argc, char **argv);

/* The name messages start with ("pi", "pi-runner", "pi-merge"). */
extern const char *pi_prog;
/* "<prog>: <message>\n" on stderr. */
void pi_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Says again, once, the warnings pi_say printed in this run (the agent's screen hid them). */
void pi_say_again(void);
/* The message as is, on stderr (for the seed's own wording, which has no prefix). */
void pi_plain(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "<prog>: <file>: line L col C: <key>: <reason>" for a config that failed to load. */
void pi_say_config_error(const char *path, const struct config_err *e);
/* The seed's denial text for a policy result (nothing for POLICY_OK / POLICY_ERROR). */
void pi_say_denial(const struct policy *p, enum policy_result r, const char *user,
		   const char *config);
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
/* A warning for each root policy_refuse set aside. */
void pi_say_refused(const struct policy *p);
/* The seed's refusal of a user missing from hostUsers, with what to do. */
void pi_say_not_allowed(const char *user, const char *command, const char *config);
#endif
