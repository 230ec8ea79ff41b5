/* sudorule.c - whether the elevation tool lets a user run the runner without a password, read from the tool's own listing; and the rule that would.
 *
 * MUST rules kept here:
 * - only the tool's forms that run no command: sudo -ll (-U USER as root), sudo -n -l,
 *   doas -C;
 * - root reads another user's rules with sudo -n -ll -U USER as root (root is never asked a
 *   password and sees the tags and Defaults that decide one); anyone else asks with the user's
 *   credentials alone: pi asks as itself; root checking the caller through sudo asks from a
 *   child that sets every id and group to the caller's, so a caller learns no more than its
 *   own sudo -l tells it;
 * - a listing a user's sudo printed decides a hint, never anything the runner grants;
 * - sudoPath is exec'd by its absolute path, with an environment built from scratch (no
 *   locale: sudo's words in C), fds 0-2 on /dev/null (the listing through a pipe) and nothing
 *   else open, in /.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "caller.h"
#include "inherit.h"
#include "sudorule.h"

enum { LISTING_MAX = 1 << 16 };

static int is_doas(const struct caller_tool *t)
{
	return !strcmp(t->name, "doas");
}

/* What a sudo -ll listing says so far, read top to bottom; the auth fields hold 1
 * (authenticate), 0 (!authenticate) or -1 (not said). */
struct listing {
	const char *runner;
	enum { SEC_NONE, SEC_DEFAULTS, SEC_SPECIFIC, SEC_RULES } sec;
	int seen;       /* sudo's "User ... may run" or "... is not allowed" line */
	int auth;       /* Defaults, Defaults:user, Defaults@host */
	int runas_auth; /* Defaults>root */
	int cmnd_auth;  /* Defaults!runner */
	int entry_root; /* the current entry runs its commands as root */
	int entry_auth; /* its tag: NOPASSWD, PASSWD */
	int in_cmds;
	int last;       /* the last command that matches the runner: -1 none, 0 denied, 1 allowed */
	int last_auth;  /* its entry's tag */
};

static int blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The item up to the next comma outside double quotes, trimmed; *s moves past the comma. */
static char *next_item(char **s)
{
	char *p = *s, *item, *e;
	int q = 0;

	while (blank(*p))
		p++;
	for (item = p; *p && (q || *p != ','); p++)
		q ^= *p == '"';
	*s = *p ? p + 1 : p;
	for (e = p; e > item && blank(e[-1]); e--)
		;
	*e = '\0';
	return item;
}

/* Each item of a settings list that is authenticate or !authenticate, into *to. */
static void set_auth(int *to, char *list)
{
	char *it;

	do {
		it = next_item(&list);
		if (!strcmp(it, "authenticate") || !strcmp(it, "!authenticate"))
			*to = *it != '!';
	} while (*list);
}

/* Whether a runas list (ALL, root, #0, other names, each maybe negated) includes root: the last
 * item that names root decides. */
static int runas_root(char *list)
{
	int root = 0, neg;
	char *it;

	do {
		it = next_item(&list);
		neg = *it == '!';
		if (!strcmp(it + neg, "ALL") || !strcmp(it + neg, "root") || !strcmp(it + neg, "#0"))
			root = !neg;
	} while (*list);
	return root;
}

/* sudo matches a rule's path to the command's by name, and by file when the names end alike. */
static int same_file(const char *rule, const char *runner)
{
	const char *a = strrchr(rule, '/'), *b = strrchr(runner, '/');
	struct stat x, y;

	return a && b && !strcmp(a, b) && stat(rule, &x) == 0 && stat(runner, &y) == 0 &&
	       x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

/* One command of a listing against the runner run with arguments pi chooses: 1 allows it, 0
 * denies it (!cmd), -1 does not match (another command, or arguments other than any: *). A
 * digest before the path is sudo's to check; a regular expression (^...$) is not read. */
static int cmd_match(char *cmd, const char *runner)
{
	const char *dir = strrchr(runner, '/');
	int neg = *cmd == '!';
	char *args;
	size_t n;

	for (cmd += neg; blank(*cmd); cmd++)
		;
	if (!strncmp(cmd, "sha", 3) && (args = strchr(cmd, ' ')) &&
	    memchr(cmd, ':', (size_t)(args - cmd)))
		for (cmd = args; blank(*cmd); cmd++)
			;
	if (!strcmp(cmd, "ALL"))
		return !neg;
	if ((args = strchr(cmd, ' '))) {
		for (*args++ = '\0'; blank(*args); args++)
			;
		if (*args && strcmp(args, "*"))
			return -1;
	}
	n = strlen(cmd);
	if (*cmd != '/' || !dir)
		return -1;
	if (cmd[n - 1] == '/') {
		if (n != (size_t)(dir + 1 - runner) || strncmp(cmd, runner, n))
			return -1;
	} else if (strpbrk(cmd, "*?[")) {
		if (fnmatch(cmd, runner, FNM_PATHNAME))
			return -1;
	} else if (strcmp(cmd, runner) && !same_file(cmd, runner)) {
		return -1;
	}
	return !neg;
}

/* A command list against the runner: the last command that matches decides (as cmd_match). */
static int cmd_list(char *list, const char *runner)
{
	int r = -1, m;

	do {
		m = cmd_match(next_item(&list), runner);
		r = m >= 0 ? m : r;
	} while (*list);
	return r;
}

static int setting_word(const char *w)
{
	char c = w[*w == '!'];

	return (c >= 'a' && c <= 'z') || c == '_';
}

/* Splits the part of a Defaults!LIST or Defaults>LIST line after its '!' or '>' into the list
 * (returned) and its settings (*settings). The list ends at the first word, other than an
 * item's first (a digest's path is part of it), that reads as a setting: for runas names any
 * such word; for commands a lower-case name, !name or name=... (not an argument such as -l). */
static char *spec_split(char *line, int cmnd, char **settings)
{
	int start = 1, digest = 0;
	char *p = line, *w;

	*settings = p + strlen(p);
	while (*p) {
		while (*p == ' ')
			p++;
		for (w = p; *p && *p != ' '; p++)
			;
		if (!start && !digest && *w && (!cmnd || setting_word(w))) {
			w[-1] = '\0';
			*settings = w;
			break;
		}
		digest = start && !strncmp(w, "sha", 3) && memchr(w, ':', (size_t)(p - w));
		start = p > w && p[-1] == ',';
	}
	return line;
}

/* A line of Runas and Command-specific defaults; sudo 1.9.13 can print two on one line. */
static void specific(struct listing *l, char *line)
{
	char *d = strstr(line, "Defaults"), *next, *list, *set;
	int cmnd;

	while (d) {
		d += strlen("Defaults");
		if ((next = strstr(d, "    Defaults")))
			*next++ = '\0';
		cmnd = *d == '!';
		if (cmnd || *d == '>') {
			list = spec_split(d + 1, cmnd, &set);
			if (cmnd ? cmd_list(list, l->runner) == 1 : runas_root(list))
				set_auth(cmnd ? &l->cmnd_auth : &l->runas_auth, set);
		}
		d = next ? strstr(next, "Defaults") : NULL;
	}
}

/* One line of the listing, continuation lines (sudo's wrap, 8 spaces) already joined. */
static void listing_line(struct listing *l, char *line)
{
	if (!*line || (*line != ' ' && *line != '\t')) {
		l->in_cmds = 0;
		if (!*line && l->sec != SEC_RULES)
			l->sec = SEC_NONE;
		if (!strncmp(line, "Matching Defaults entries for ", 30))
			l->sec = SEC_DEFAULTS;
		else if (!strncmp(line, "Runas and Command-specific defaults for ", 40))
			l->sec = SEC_SPECIFIC;
		else if (!strncmp(line, "User ", 5) && strstr(line, " may run the following commands"))
			l->sec = SEC_RULES, l->seen = 1;
		else if (!strncmp(line, "User ", 5) && strstr(line, " is not allowed to run sudo"))
			l->seen = 1;
		else if (l->sec == SEC_RULES && (!strncmp(line, "Sudoers entry:", 14) ||
						 !strncmp(line, "LDAP Role:", 10)))
			l->entry_root = 1, l->entry_auth = -1;
		return;
	}
	if (l->sec == SEC_DEFAULTS) {
		set_auth(&l->auth, line);
	} else if (l->sec == SEC_SPECIFIC) {
		specific(l, line);
	} else if (l->sec == SEC_RULES && *line == '\t') {
		int m = l->in_cmds && l->entry_root ? cmd_match(line + 1, l->runner) : -1;

		if (m >= 0)
			l->last = m, l->last_auth = l->entry_auth;
	} else if (l->sec == SEC_RULES) {
		while (*line == ' ')
			line++;
		if (!strncmp(line, "RunAsUsers:", 11))
			l->entry_root = runas_root(line + 11);
		else if (!strncmp(line, "Options:", 8))
			set_auth(&l->entry_auth, line + 8);
		l->in_cmds = !strcmp(line, "Commands:");
	}
}

enum sudorule sudorule_parse(const char *listing, const char *runner)
{
	struct listing l = { .runner = runner, .auth = 1, .runas_auth = -1, .cmnd_auth = -1,
			     .entry_root = 1, .entry_auth = -1, .last = -1, .last_auth = -1 };
	char *copy = strdup(listing), *p, *nl;
	int auth;

	if (!copy)
		return SUDORULE_UNKNOWN;
	for (p = copy; (p = strstr(p, "\n        ")); )
		*p = ' ';
	for (p = copy; p; p = nl) {
		if ((nl = strchr(p, '\n')))
			*nl++ = '\0';
		listing_line(&l, p);
	}
	free(copy);
	if (!l.seen)
		return SUDORULE_UNKNOWN;
	if (l.last != 1)
		return SUDORULE_MISSING;
	auth = l.last_auth >= 0 ? l.last_auth : l.cmnd_auth >= 0 ? l.cmnd_auth :
	       l.runas_auth >= 0 ? l.runas_auth : l.auth;
	return auth ? SUDORULE_PASSWORD : SUDORULE_OK;
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
		out[got + 1 < n ? got : 0] = '\0'; /* a listing cut short is no listing */
	if (p[0] >= 0)
		close(p[0]);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return pid > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* sudo -n -l RUNNER ARGS: allowed or not, whatever it asks (sudo-rs; a listing not read). */
static enum sudorule ask_l(const struct config *c, const struct ident *as, char *const *args)
{
	char **argv;
	size_t n = 0, i;
	int rc;

	for (i = 0; args && args[i]; i++)
		;
	if (!(argv = calloc(i + 5, sizeof *argv)))
		return SUDORULE_UNKNOWN;
	argv[n++] = c->sudo_path;
	argv[n++] = "-n";
	argv[n++] = "-l";
	argv[n++] = c->runner_path;
	for (i = 0; args && args[i]; i++)
		argv[n++] = args[i];
	rc = ask(argv, as, NULL, 0);
	free(argv);
	return rc == 0 ? SUDORULE_OK : rc == 1 ? SUDORULE_MISSING : SUDORULE_UNKNOWN;
}

/* sudo -n -ll [-U user]: the listing read; NOLIST when sudo wants a password for it. */
static enum sudorule ask_ll(const struct config *c, const char *user, const struct ident *as)
{
	char *argv[] = { c->sudo_path, "-n", "-ll", user ? "-U" : NULL, (char *)user, NULL };
	char *out = malloc(LISTING_MAX);
	enum sudorule r = SUDORULE_UNKNOWN;
	int rc;

	if (!out)
		return r;
	rc = ask(argv, as, out, LISTING_MAX);
	if (rc == 0)
		r = sudorule_parse(out, c->runner_path);
	else if (rc == 1 && !user)
		r = SUDORULE_NOLIST;
	free(out);
	return r;
}

enum sudorule sudorule_ask(const struct config *c, const struct ident *as, char *const *args)
{
	const struct caller_tool *t = caller_tool(c->sudo_path);
	char *argv[] = { c->sudo_path, "-C", PI_DOAS_CONF, c->runner_path, NULL }, out[64];
	enum sudorule r;
	int rc;

	if (!t)
		return SUDORULE_UNKNOWN;
	if (!strcmp(t->name, "sudo") && (r = ask_ll(c, NULL, as)) != SUDORULE_UNKNOWN)
		return r;
	if (!is_doas(t))
		return ask_l(c, as, args);
	rc = ask(argv, as, out, sizeof out);
	/* doas -C prints "permit nopass", "permit" or "deny", nothing when it cannot read the file */
	if (rc == 0 && !strcmp(out, "permit nopass\n"))
		return SUDORULE_OK;
	if (rc == 0 && !strcmp(out, "permit\n"))
		return SUDORULE_PASSWORD;
	if (rc == 1 && !strcmp(out, "deny\n"))
		return SUDORULE_MISSING;
	return SUDORULE_UNKNOWN;
}

enum sudorule sudorule_ask_root(const struct config *c, const char *user, const struct ident *as)
{
	const struct caller_tool *t = caller_tool(c->sudo_path);
	enum sudorule r;

	if (t && !strcmp(t->name, "sudo") && (r = ask_ll(c, user, NULL)) != SUDORULE_UNKNOWN)
		return r;
	return sudorule_ask(c, as, NULL);
}

void sudorule_describe_in(const struct config *c, const char *user, enum sudorule r,
			  const char *sudoers, char *what, size_t nwhat, char *fix, size_t nfix)
{
	const struct caller_tool *t = caller_tool(c->sudo_path);
	const char *tool = t ? t->name : "sudo";
	int doas = t && is_doas(t);

	if (r == SUDORULE_PASSWORD)
		snprintf(what, nwhat, "the %s rule that lets %s run %s asks for a password (pi runs "
			 "%s -n, which cannot ask)", tool, user, c->runner_path, tool);
	else if (r == SUDORULE_NOLIST)
		snprintf(what, nwhat, "a password is required for %s -l, so no %s rule seems to let "
			 "%s run %s without one", tool, tool, user, c->runner_path);
	else
		snprintf(what, nwhat, "no %s rule lets %s run %s without a password", tool, user,
			 c->runner_path);
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

void sudorule_describe(const struct config *c, const char *user, enum sudorule r, char *what,
		       size_t nwhat, char *fix, size_t nfix)
{
	sudorule_describe_in(c, user, r, PI_SUDOERS_FILE, what, nwhat, fix, nfix);
}
