/* sudorule.c - whether the elevation tool lets a user run the runner without a password, asked of the tool as that user; and the rule that would.
 *
 * MUST rules kept here:
 * - the tool is asked as the user, with the user's credentials alone: pi asks as itself; root
 *   asks from a child that sets every id and group to the user's before the exec, so the tool
 *   answers what the user may do, never what root may (sudo -l -U tells root a rule exists,
 *   not whether it asks for a password);
 * - only the tool's forms that run no command: sudo -n -l (sudo, sudo-rs), doas -C;
 * - sudoPath is exec'd by its absolute path, with an environment built from scratch, fds 0-2
 *   on /dev/null (doas's answer through a pipe) and nothing else open, in /.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caller.h"
#include "inherit.h"
#include "sudorule.h"

static int is_doas(const struct caller_tool *t)
{
	return !strcmp(t->name, "doas");
}

/* Everything between fork and exec; returns only on failure. */
static void child(char *const *argv, const struct ident *as, int out)
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	int null;

	inherit_reset_signals();
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0 || dup2(null, 0) < 0 || dup2(out >= 0 ? out : null, 1) < 0 ||
	    dup2(null, 2) < 0)
		return;
	inherit_close_from(3);
	if (as && ident_drop(as->uid, as->gid, (size_t)as->ngroups, as->groups) < 0)
		return;
	if (chdir("/") == 0)
		execve(argv[0], argv, envp);
}

/* Runs argv as described above; its exit status (or -1), what it printed in out. */
static int ask(char *const *argv, const struct ident *as, char *out, size_t n)
{
	int p[2] = { -1, -1 }, st;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	if (out && pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		child(argv, as, p[1]);
		_exit(126);
	}
	if (p[1] >= 0)
		close(p[1]);
	while (pid > 0 && p[0] >= 0 && got + 1 < n) {
		r = read(p[0], out + got, n - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (out)
		out[got] = '\0';
	if (p[0] >= 0)
		close(p[0]);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

enum sudorule sudorule_ask(const struct config *c, const struct ident *as, char *const *args)
{
	const struct caller_tool *t = caller_tool(c->sudo_path);
	char out[64], **argv;
	size_t n = 0, i;
	int rc;

	for (i = 0; args && args[i]; i++)
		;
	if (!t || !(argv = calloc(i + 5, sizeof *argv)))
		return SUDORULE_UNKNOWN;
	argv[n++] = c->sudo_path;
	argv[n++] = is_doas(t) ? "-C" : "-n";
	argv[n++] = is_doas(t) ? PI_DOAS_CONF : "-l";
	argv[n++] = c->runner_path;
	for (i = 0; args && args[i]; i++)
		argv[n++] = args[i];
	rc = ask(argv, as, is_doas(t) ? out : NULL, sizeof out);
	free(argv);
	if (!is_doas(t))
		return rc == 0 ? SUDORULE_OK : rc == 1 ? SUDORULE_MISSING : SUDORULE_UNKNOWN;
	/* doas -C prints "permit nopass", "permit" or "deny", nothing when it cannot read the file */
	if (rc == 0 && !strcmp(out, "permit nopass\n"))
		return SUDORULE_OK;
	if ((rc == 0 && !strcmp(out, "permit\n")) || (rc == 1 && !strcmp(out, "deny\n")))
		return SUDORULE_MISSING;
	return SUDORULE_UNKNOWN;
}

void sudorule_describe_in(const struct config *c, const char *user, const char *sudoers,
			  char *what, size_t nwhat, char *fix, size_t nfix)
{
	const struct caller_tool *t = caller_tool(c->sudo_path);
	int doas = t && is_doas(t);

	snprintf(what, nwhat, "no %s rule lets %s run %s without a password", t ? t->name : "sudo",
		 user, c->runner_path);
	if (doas)
		snprintf(fix, nfix, "add \"permit nopass %s as root cmd %s\" to %s", user,
			 c->runner_path, PI_DOAS_CONF);
	else if (!*sudoers)
		/* the Nix package: NixOS writes the sudoers file from the module, not from a drop-in */
		snprintf(fix, nfix, "list %s under m3ta.pi-agent.hostUsers with wrapper.enable = true "
			 "(the NixOS module writes the rule for %s) and run nixos-rebuild switch",
			 user, c->runner_path);
	else
		snprintf(fix, nfix, "add \"%s ALL=(root) NOPASSWD: %s\" to %s (visudo -f %s)", user,
			 c->runner_path, sudoers, sudoers);
}

void sudorule_describe(const struct config *c, const char *user, char *what, size_t nwhat,
		       char *fix, size_t nfix)
{
	sudorule_describe_in(c, user, PI_SUDOERS_FILE, what, nwhat, fix, nfix);
}
