/* sudorule.h - whether the elevation tool lets a user run the runner without a password, read from the tool's own listing; and the rule that would. */
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
	SUDORULE_MISSING = 0,  /* no rule lets the user run it */
	SUDORULE_OK = 1,       /* a rule lets the user run it without a password */
	SUDORULE_PASSWORD = 2, /* the rule that lets the user run it asks for a password */
	SUDORULE_NOLIST = 3,   /* sudo asks a password for the user's own listing: with sudo's
				* default listpw=any, no rule of the user's has NOPASSWD */
};

/* Asks the tool sudoPath names, as the user (as: the user's identity when root asks for the
 * caller; NULL to ask as ourselves), whether the user may run runnerPath as root without a
 * password: sudo -n -ll read with sudorule_parse (NOLIST when it wants a password); sudo-rs,
 * or a listing not understood: sudo -n -l RUNNER args (args NULL-terminated, or NULL), which
 * cannot tell PASSWORD from OK; doas -C. */
enum sudorule sudorule_ask(const struct config *c, const struct ident *as, char *const *args);
/* Root's own question about user: sudo -n -ll -U user as root, read with sudorule_parse; for
 * another tool, or a listing not understood, sudorule_ask as the user (as). */
enum sudorule sudorule_ask_root(const struct config *c, const char *user, const struct ident *as);
/* What a sudo -ll listing (sudo 1.9, C locale) says of running runner as root with arguments
 * the rule does not fix: the last entry that matches decides, as in sudo; its NOPASSWD or
 * PASSWD tag, else Defaults!runner, Defaults>root, then the user's Defaults decide the
 * password. MISSING when none matches or the last denies; UNKNOWN when it is not a listing. */
enum sudorule sudorule_parse(const char *listing, const char *runner);
/* For user and the answer r, the missing rule in words ("no sudo rule lets alice run
 * /usr/bin/pi-runner without a password"; for PASSWORD "the sudo rule that lets alice run ...
 * asks for a password ..."; for NOLIST "a password is required for sudo -l, so ...") in what,
 * and what adds it ("add \"alice ALL=(root) NOPASSWD: /usr/bin/pi-runner\" to
 * /etc/sudoers.d/pi-agent (visudo -f /etc/sudoers.d/pi-agent)") in fix. */
void sudorule_describe(const struct config *c, const char *user, enum sudorule r, char *what,
		       size_t nwhat, char *fix, size_t nfix);
/* The same with the sudoers drop-in named: sudoers is the build's SUDOERS_FILE, empty in the
 * Nix package, whose fix names the NixOS module's option instead. */
void sudorule_describe_in(const struct config *c, const char *user, enum sudorule r,
			  const char *sudoers, char *what, size_t nwhat, char *fix, size_t nfix);
#endif
