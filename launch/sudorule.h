/* sudorule.h - whether the elevation tool lets a user run the runner without a password, asked of the tool as that user; and the rule that would. */
#ifndef SUDORULE_H
#define SUDORULE_H
#include <stddef.h>

#include "config.h"
#include "ident.h"

#ifndef PI_SUDOERS_FILE
#define PI_SUDOERS_FILE "/etc/sudoers.d/pi-agent"
#endif
#define PI_DOAS_CONF "/etc/doas.conf"

enum sudorule {
	SUDORULE_UNKNOWN = -1, /* the tool gave no answer (doas.conf unreadable, no such tool) */
	SUDORULE_MISSING = 0,  /* no rule lets the user run it without a password */
	SUDORULE_OK = 1,
};

/* Asks the tool sudoPath names whether the user may run runnerPath with args (NULL-terminated,
 * or NULL) as root without a password: sudo -n -l, doas -C. as: the user's identity when root
 * asks for someone else; NULL to ask as ourselves. */
enum sudorule sudorule_ask(const struct config *c, const struct ident *as, char *const *args);
/* For user, the missing rule in words ("no sudo rule lets alice run /usr/bin/pi-runner without
 * a password") in what, and what adds it ("add \"alice ALL=(root) NOPASSWD: /usr/bin/pi-runner\"
 * to /etc/sudoers.d/pi-agent (visudo -f /etc/sudoers.d/pi-agent)") in fix. */
void sudorule_describe(const struct config *c, const char *user, char *what, size_t nwhat,
		       char *fix, size_t nfix);
/* The same with the sudoers drop-in named: sudoers is the build's SUDOERS_FILE, empty in the
 * Nix package, whose fix names the NixOS module's option instead. */
void sudorule_describe_in(const struct config *c, const char *user, const char *sudoers,
			  char *what, size_t nwhat, char *fix, size_t nfix);
#endif
