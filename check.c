/* check.c - pi-runner --check (validate a config like visudo -c) and --explain (what a launch would do).
 *
 * MUST rules kept here:
 * - through sudo, --check reads only the compiled-in config, and looks at the caller's own
 *   host entry alone, its roots with the caller's identity: it never tells whether another
 *   user's paths exist.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "caller.h"
#include "config.h"
#include "fs.h"
#include "ident.h"
#include "netns.h"
#include "pi.h"
#include "proxy.h"
#include "runner.h"

static int usage(void)
{
	pi_plain("Usage: %s --check [--offline] [CONFIG]", pi_prog);
	return EXIT_USAGE;
}

/* Roots that do not exist are skipped at launch: worth a warning, not a failure. Looked at
 * with id's eyes when given (the caller through sudo), never with root's. */
static void warn_missing_roots(const struct config *c, const struct host_user *h, const char *home,
			       const struct ident *id)
{
	char path[PATH_MAX];
	struct stat st;
	size_t i;
	int missing;

	for (i = 0; i < h->roots.n; i++) {
		if (policy_expand(h->roots.v[i], home, path, sizeof path) < 0)
			continue;
		if (id && ident_enter(id) < 0)
			return;
		missing = stat(path, &st) < 0 || !S_ISDIR(st.st_mode);
		if (id && ident_enter(NULL) < 0) {
			pi_root_lost();
			return;
		}
		if (missing)
			pi_say("%s: warning: hostUsers.%s.projectRoots: %s does not exist", c->path,
			       h->name, path);
	}
}

/* A root configured inside another: the agent writes the outer one and can make the inner a
 * link, which the launch then refuses (policy_refuse). Looked at as written, expanded. */
static void warn_nested_roots(const struct config *c, const struct host_user *h, const char *home)
{
	char outer[PATH_MAX], inner[PATH_MAX];
	size_t i, j;

	for (i = 0; i < h->roots.n; i++)
		for (j = 0; j < h->roots.n; j++)
			if (i != j && policy_expand(h->roots.v[i], home, outer, sizeof outer) == 0 &&
			    policy_expand(h->roots.v[j], home, inner, sizeof inner) == 0 &&
			    strcmp(inner, outer) != 0 && policy_within(inner, outer))
				pi_say("%s: warning: hostUsers.%s.projectRoots: %s lies inside %s: the agent "
				       "writes there and can make it a link, and a launch then skips it; "
				       "configure the outer root alone", c->path, h->name, h->roots.v[j],
				       h->roots.v[i]);
}

#define NSCD_SOCKET "/var/run/nscd/socket"

/* Static musl asks nscd for a name /etc/passwd or /etc/group lacks: names from LDAP, SSSD or
 * systemd-homed resolve only while an nscd-compatible daemon answers on its socket. */
static const char *nss_hint(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX, .sun_path = NSCD_SOCKET };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	ok = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
	if (fd >= 0)
		close(fd);
	return ok ? "" : " (nor does nscd answer at " NSCD_SOCKET ": names from LDAP, SSSD or "
			 "systemd-homed need nscd or nsncd running)";
}

/* Different agent accounts of host users sharing a primary group: their agents could read
 * each other's files through it (the unit runs with the account's primary group). */
static int shared_groups(const struct config *c)
{
	const char *a, *b;
	struct passwd *pw;
	struct group *gr;
	gid_t ga;
	size_t i, j, k;
	int bad = 0, seen;

	for (i = 0; i < c->nhosts; i++) {
		a = config_agent_user(c, &c->hosts[i]);
		for (k = seen = 0; k < i && !seen; k++)
			seen = !strcmp(a, config_agent_user(c, &c->hosts[k]));
		if (seen || !(pw = getpwnam(a)))
			continue;
		ga = pw->pw_gid;
		for (j = i + 1; j < c->nhosts; j++) {
			b = config_agent_user(c, &c->hosts[j]);
			for (k = seen = 0; k < j && !seen; k++)
				seen = !strcmp(b, config_agent_user(c, &c->hosts[k]));
			if (seen || !(pw = getpwnam(b)) || pw->pw_gid != ga)
				continue;
			gr = getgrgid(ga);
			bad++;
			pi_say("%s: hostUsers.%s: agent account '%s' shares its primary group '%s' with "
			       "'%s' (agent of %s): give each agent account a group of its own "
			       "(groupadd %s && usermod -g %s %s)", c->path, c->hosts[j].name, b,
			       gr ? gr->gr_name : "?", a, c->hosts[i].name, b, b, b);
		}
	}
	return bad;
}

/* network: each allowlist needs proxyUser, an account of its own (netns.c). */
static int check_network(const struct config *c, const struct host_user *h)
{
	const struct config_network *n = config_network(c, h);
	struct ident id;

	printf("network of %s: %s%s", h->name, n->mode, h->network ? " (hostUsers.<user>.network)" :
	       "");
	if (strcmp(n->mode, "allowlist")) {
		printf(": the host's network\n");
		return 0;
	}
	printf(": %zu allow and %zu deny entries, through the proxy as %s\n", n->allow.n, n->deny.n,
	       c->proxy_user);
	if (netns_proxy_account(c, &id) == 0)
		return 0;
	if (errno == EPERM)
		pi_say("%s: proxyUser: '%s' must be an account of its own, not root, an agent account "
		       "or a host user", c->path, c->proxy_user);
	else
		pi_say("%s: proxyUser: user '%s' does not exist%s", c->path, c->proxy_user,
		       errno == ENOENT ? nss_hint() : "");
	return 1;
}

/* idmap mode: a group of the host user's that the agent account cannot stand for refuses
 * every launch that idmaps a root (runner.c check_stand_ins). */
static void warn_unpaired(const struct config *c, const struct host_user *h)
{
	const char *agent = config_agent_user(c, h);
	struct ident user, held;
	char names[700];
	size_t n;

	if (!config_idmap(c) || ident_of_user(&user, h->name, (gid_t)-1) < 0 ||
	    ident_of_user(&held, agent, (gid_t)-1) < 0)
		return;
	n = runner_unpaired(&user, &held, names, sizeof names);
	if (n)
		pi_say("%s: warning: hostUsers.%s: agent account '%s' has no group to stand for %s "
		       "on the idmapped roots: launches that idmap a root are refused; give it %zu "
		       "group%s of its own (groupadd --system %s-g1 && usermod -a -G %s-g1 %s)",
		       c->path, h->name, agent, names, n, n > 1 ? "s" : "", agent, agent, agent);
}

/* One host user's accounts and roots; id: the identity to look at the roots with, or NULL
 * for root's. */
static int check_host(const struct config *c, const struct host_user *h, const struct ident *id)
{
	struct passwd *pw = getpwnam(h->name);
	int bad = 0;

	if (!pw && ++bad)
		pi_say("%s: hostUsers.%s: user does not exist%s", c->path, h->name, nss_hint());
	else {
		warn_missing_roots(c, h, pw->pw_dir, id);
		warn_nested_roots(c, h, pw->pw_dir);
		warn_unpaired(c, h);
	}
	if (h->agent_user && !getpwnam(h->agent_user) && ++bad)
		pi_say("%s: hostUsers.%s.agentUser: user '%s' does not exist%s", c->path, h->name,
		       h->agent_user, nss_hint());
	return bad + check_network(c, h);
}

/* environmentFiles and extraPackages that are missing: every launch skips them. */
static void warn_missing_files(const struct config *c)
{
	char bin[PATH_MAX];
	const char *f;
	struct stat st;
	size_t i;

	for (i = 0; i < c->environment_files.n; i++) {
		f = c->environment_files.v[i];
		if (stat(f, &st) < 0)
			pi_say("%s: warning: environmentFiles: %s: %s", c->path, f,
			       errno == ENOENT || errno == ENOTDIR ?
			       "does not exist; every launch skips it" : strerror(errno));
		else if (!S_ISREG(st.st_mode))
			pi_say("%s: warning: environmentFiles: %s: not a regular file; every launch "
			       "skips it", c->path, f);
	}
	for (i = 0; i < c->extra_packages.n; i++) {
		f = c->extra_packages.v[i];
		snprintf(bin, sizeof bin, "%s/bin", f);
		if (stat(f, &st) < 0 || !S_ISDIR(st.st_mode))
			pi_say("%s: warning: extraPackages: %s is not a directory; it adds nothing to "
			       "PATH", c->path, f);
		else if (stat(bin, &st) < 0 || !S_ISDIR(st.st_mode))
			pi_say("%s: warning: extraPackages: %s has no bin directory; it adds nothing "
			       "to PATH", c->path, f);
	}
}

/* The caller's own host entry, its roots looked at with the caller's identity. */
static int check_caller_host(const struct config *c, const char *caller)
{
	const struct host_user *h = config_host(c, caller);
	struct ident id;

	if (!h) {
		pi_say("%s: warning: hostUsers: you (%s) are not configured; your launches are "
		       "denied", c->path, caller);
		return 0;
	}
	if (ident_of_user(&id, caller, (gid_t)-1) < 0) {
		pi_say("cannot read the groups of user '%s': %s", caller, strerror(errno));
		return 1;
	}
	return check_host(c, h, &id);
}

/* One line per problem the live system shows for a loaded config. Through sudo (caller set),
 * the caller's own host entry alone is looked at, its roots with the caller's identity:
 * nothing tells whether another user's paths exist. */
static int check_live(const struct config *c, const char *caller)
{
	char path[PATH_MAX];
	const char *bins[] = { c->binary_name, "pi", "pi-agent" };
	const char *exe[] = { c->sudo_path, c->systemd_run_path, c->runner_path };
	const char *exe_key[] = { "sudoPath", "systemdRunPath", "runnerPath" };
	int bad = 0, found = 0;
	size_t i;

	if (!getgrnam(c->group) && ++bad)
		pi_say("%s: group: group '%s' does not exist%s", c->path, c->group, nss_hint());
	if (c->project_group && !getgrnam(c->project_group) && ++bad)
		pi_say("%s: projectGroup: group '%s' does not exist%s", c->path, c->project_group,
		       nss_hint());
	if (!getpwnam(c->user) && ++bad)
		pi_say("%s: user: user '%s' does not exist%s", c->path, c->user, nss_hint());
	for (i = 0; !caller && i < c->nhosts; i++)
		bad += check_host(c, &c->hosts[i], NULL);
	if (caller)
		bad += check_caller_host(c, caller);
	if (!caller)
		bad += shared_groups(c);
	for (i = 0; i < 3 && !found; i++) {
		snprintf(path, sizeof path, "%s/bin/%s", c->package, bins[i]);
		found = fs_executable(path);
	}
	if (!found && ++bad)
		pi_say("%s: package: no executable %s, pi or pi-agent in %s/bin", c->path,
		       c->binary_name, c->package);
	if (config_idmap(c))
		printf("projectAccess: idmap: each root becomes an idmapped mount where the kernel "
		       "and its filesystem allow it, else falls back to group mode with a warning at "
		       "the launch (PI_AGENT_EXPLAIN=1 pi shows which a root gets)\n");
	else
		printf("projectAccess: group: the agent reaches the projects through %s%s\n",
		       c->project_group ? "projectGroup " : "group and other permissions",
		       c->project_group ? c->project_group : "");
	for (i = 0; i < 3; i++)
		if (!fs_executable(exe[i]) && ++bad)
			pi_say("%s: %s: %s is not an executable file", c->path, exe_key[i], exe[i]);
	warn_missing_files(c);
	return bad;
}

/* sudoPath: a tool the runner can learn its caller from (caller.c). */
static int check_tool(const struct config *c)
{
	if (caller_tool(c->sudo_path))
		return 0;
	pi_say("%s: sudoPath: %s is not a tool the runner can learn its caller from: use %s "
	       "(run0 and pkexec authorize through polkit, which cannot limit a user to the runner)",
	       c->path, c->sudo_path, caller_tools);
	return 1;
}

/* --check [--offline] [FILE]: validates a config like visudo -c. */
int runner_check_args(int argc, char **argv, int *offline, const char **path)
{
	int i;

	*offline = 0;
	*path = NULL;
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--offline"))
			*offline = 1;
		else if (!*path && argv[i][0] != '-')
			*path = argv[i];
		else
			return usage();
	}
	return 0;
}

int runner_check(int offline, const char *path)
{
	struct config c;
	struct config_err e;
	struct caller who = { .kind = CALLER_NONE };
	char why[512];
	int bad;

	if (path && geteuid() == 0 && caller_elevated()) {
		pi_say("--check FILE is not available as root for someone else (through sudo, doas "
		       "or su from their login); run it as yourself");
		return EXIT_USAGE;
	}
	if (config_load(&c, path ? path : caller_config_path(), path ? CONFIG_TRUST_ANY :
			CONFIG_TRUST_ROOT, &e) < 0) {
		pi_say_config_error(path ? path : caller_config_path(), &e);
		config_free(&c);
		return EXIT_DENIED;
	}
	if (geteuid() == 0 && caller_identify(&who, c.sudo_path, why, sizeof why) < 0) {
		pi_say("refused: cannot tell who called: %s", why);
		config_free(&c);
		return EXIT_DENIED;
	}
	if (!c.nhosts)
		pi_say("%s: hostUsers: no host user is configured; every launch is denied", c.path);
	bad = check_tool(&c);
	bad += offline ? 0 : check_live(&c, who.kind == CALLER_USER ? who.name : NULL);
	config_free(&c);
	if (bad)
		return EXIT_DENIED;
	puts("OK");
	return 0;
}


/* An argument as a POSIX shell reads it back: bare when safe, else in single quotes. */
static void put_quoted(const char *s)
{
	const char *p = s;

	for (; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-", *p))
			break;
	if (*s && !*p) {
		fputs(s, stdout);
		return;
	}
	putchar('\'');
	for (p = s; *p; p++)
		if (*p == '\'')
			fputs("'\\''", stdout);
		else
			putchar(*p);
	putchar('\'');
}

static void explain_env(const struct run *r)
{
	size_t i;

	printf("env files:      root only, hidden from the agent; each read on its own, later "
	       "ones win:\n");
	printf("                %s: %s/.env (read as %s, if present)\n", r->host_env_file,
	       r->source, r->user);
	printf("                %s: environment: %zu variable%s\n", r->env_file,
	       r->c.environment.n, r->c.environment.n == 1 ? "" : "s");
	for (i = 0; i < r->c.environment_files.n; i++)
		printf("                %s.%zu: %s%s\n", r->env_file, i, r->c.environment_files.v[i],
		       access(r->c.environment_files.v[i], F_OK) ? " (missing: skipped)" : "");
}

/* How a launch would give the agent root i, probed on a clone that is never attached. */
static void explain_root(struct run *r, size_t i)
{
	struct idmap map;
	const struct idmap *m = runner_idmap(r, &map);
	struct mounts_access *a = &r->mnt.access[i];
	char why[512];
	int opened = mounts_probe(r->pol.roots[i], &r->host_id, m, a) == 0;

	if (!opened)
		snprintf(why, sizeof why, "cannot be opened as %s: %s: a launch would fail", r->user,
			 strerror(errno));
	else if (a->idmapped)
		snprintf(why, sizeof why, "idmapped: the agent edits as %s, what it makes is %s's",
			 r->user, r->user);
	else if (!m)
		snprintf(why, sizeof why, "group mode: projectAccess is \"group\"");
	else
		runner_no_idmap(r, a, why, sizeof why);
	printf("root:           %s (bound at its own path; %s%s)\n", r->pol.roots[i],
	       m && !a->idmapped && a->call ? "group mode: " : "", why);
	if (opened && !a->idmapped && a->owner != r->host_id.uid)
		printf("                a launch would refuse it: not your directory, and the agent "
		       "would reach it through the project group\n");
}

/* The staging paths a launch would bind the roots from (mounts.c attaches them then). */
static int predict_staging(struct run *r)
{
	size_t i;

	snprintf(r->mnt.dir, sizeof r->mnt.dir, "%s/%ld", PI_BINDS_DIR, (long)getpid());
	r->mnt.staged = calloc(r->pol.nroots + 1, sizeof *r->mnt.staged);
	r->mnt.access = calloc(r->pol.nroots + 1, sizeof *r->mnt.access);
	if (!r->mnt.staged || !r->mnt.access)
		return -1;
	for (i = 0; i < r->pol.nroots; i++)
		if (asprintf(&r->mnt.staged[i], "%s/%zu", r->mnt.dir, i) < 0)
			return -1;
	r->mnt.n = r->pol.nroots;
	return 0;
}

/* projectConfig: what the unit sees of the project's .pi, and who decides trust. */
static void explain_project(const struct run *r)
{
	const struct projcfg *p = &r->pc;
	size_t i;

	printf("project config: %s (%s)\n", projcfg_name(p->mode), r->host->project_config ?
	       "hostUsers.<user>.projectConfig" : "projectConfig");
	if (p->mode == PROJCFG_ALLOW) {
		printf("                the agent loads the project's .pi as it decides\n");
		return;
	}
	if (p->settings_to)
		printf("                %s: seen merged under the managed settings, read-only (%s "
		       "never from the project)\n", p->settings_to, "shellPath, shellCommandPrefix, "
		       "npmCommand, packages, extensions");
	for (i = 0; i < p->nhide; i++)
		printf("                %s: seen empty and read-only\n", p->hide[i]);
	printf("                trust: %s\n", p->trust ? "trust.json written by the launcher; "
	       "-na added so -a/--approve takes no effect" : "the agent has no project trust "
	       "(pi < 1); trust.json written by the launcher");
}

static void explain_network(const struct run *r)
{
	const struct config_network *n = config_network(&r->c, r->host);
	size_t i;

	if (strcmp(n->mode, "allowlist")) {
		printf("network:        open: the host's network\n");
		return;
	}
	printf("network:        allowlist: a namespace with only loopback; the proxy on "
	       "127.0.0.1:%d, as %s, is the one way out, to\n", PROXY_PORT, r->c.proxy_user);
	for (i = 0; i < n->allow.n; i++)
		printf("                allow %s\n", n->allow.v[i]);
	for (i = 0; i < n->deny.n; i++)
		printf("                deny %s\n", n->deny.v[i]);
}

int runner_explain(struct run *r, char **args, size_t nargs)
{
	struct argv a;
	struct stat st;
	size_t i;

	printf("user:           %s, allowed in %s (inside %s)\n", r->user, r->pol.cwd,
	       r->pol.roots[r->pol.match]);
	if (predict_staging(r) < 0)
		return EXIT_DENIED;
	for (i = 0; i < r->pol.nroots; i++)
		explain_root(r, i);
	for (i = 0; i < r->pol.nmissing; i++)
		printf("root:           %s (missing: skipped)\n", r->pol.missing[i]);
	printf("agent account:  %s (uid %u), group %s\n", r->agent, (unsigned)r->agent_id.uid,
	       r->agent_group);
	printf("agent home:     %s (%s)\n", r->agent_home,
	       stat(r->agent_home, &st) == 0 ? "exists" : "created at the first launch");
	if (r->c.sync_config)
		printf("config copy:    %s -> %s/.pi/agent (at most %llu bytes, %llu entries)\n",
		       r->source, r->agent_home, r->c.sync_max_bytes, r->c.sync_max_entries);
	else
		printf("config copy:    off (wrapper.syncConfigFromHost is false)\n");
	printf("settings:       %s merged with the %s settings\n", r->c.sync_config ?
	       "your settings.json" : "the agent's settings.json", r->c.path);
	explain_env(r);
	if (runner_find_agent(r, 0) < 0) {
		printf("agent:          none executable among %s, pi, pi-agent in %s/bin: a launch "
		       "would exit 127\n", r->c.binary_name, r->c.package);
		return EXIT_NO_AGENT;
	}
	printf("agent:          %s\n", r->agent_bin);
	r->args = args;
	r->nargs = nargs;
	if (runner_project(r, 0) < 0)
		return EXIT_DENIED;
	explain_project(r);
	explain_network(r);
	if (runner_argv(r, args, nargs, &a) < 0)
		return EXIT_DENIED;
	printf("command (the unit name and the staging dir of the roots are new at each launch):\n");
	for (i = 0; i < a.n; i++) {
		fputs(i ? " " : "  ", stdout);
		put_quoted(a.v[i]);
	}
	putchar('\n');
	sandbox_argv_free(&a);
	return 0;
}
