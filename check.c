/* check.c - pi-runner --check (validate a config like visudo -c) and --explain (what a launch would do).
 *
 * MUST rules kept here:
 * - through sudo, --check reads only the compiled-in config, and looks at the caller's own
 *   host entry alone, its roots with the caller's identity: it never tells whether another
 *   user's paths exist;
 * - a host user's sudo (or doas) rule: root's own --check reads it with root's listing of
 *   that user (sudorule.c); through sudo the caller's alone, asked as the caller; without
 *   root the invoking user's alone.
 */
#include <errno.h>
#include <ftw.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agentver.h"
#include "caller.h"
#include "config.h"
#include "fs.h"
#include "hide.h"
#include "ident.h"
#include "idmap.h"
#include "mounts.h"
#include "netns.h"
#include "deny.h"
#include "say.h"
#include "proxy.h"
#include "check.h"
#include "plan.h"
#include "project.h"
#include "sandbox.h"
#include "slice.h"
#include "sudorule.h"

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

/* s as one shell word: as it is when plain, else in single quotes; NULL when it does not
 * fit in n (a word cut short names another path). */
static const char *shell_word(const char *s, char *out, size_t n)
{
	size_t i, j = 0;

	if (s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:@%")] == '\0')
		return s;
	out[j++] = '\'';
	for (i = 0; s[i]; i++) {
		if (j + 6 > n)
			return NULL;
		if (s[i] == '\'') {
			memcpy(out + j, "'\\''", 4);
			j += 4;
		} else
			out[j++] = s[i];
	}
	out[j++] = '\'';
	out[j] = '\0';
	return out;
}

/* A name the user chose, for the admin's terminal: control bytes shown as '?' (a newline
 * would start a line of its own, an escape sequence would act on the terminal). */
static void printable(const char *s, char *out, size_t n)
{
	size_t i;

	snprintf(out, n, "%s", s);
	for (i = 0; out[i]; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
}

/* What a group-mode root's tree gives the project group: the walk's state (nftw has no
 * argument of its own to carry it). */
static struct {
	gid_t group;
	uid_t user;
	size_t seen, wrong;
	char first[PATH_MAX];
} walk;

enum { WALK_MAX = 20000 };      /* entries looked at in one root */

/* An entry of the user's the project group cannot use as the agent needs: not in the group,
 * without the group's read and write (and search, and set-gid, for a directory). Entries that
 * are not the user's are not theirs to fix: the agent's own it writes as their owner. */
static int walk_one(const char *path, const struct stat *st, int type, struct FTW *f)
{
	mode_t need = S_ISDIR(st->st_mode) ? S_IRWXG | S_ISGID : S_IRGRP | S_IWGRP;

	(void)type;
	(void)f;
	if ((S_ISDIR(st->st_mode) || S_ISREG(st->st_mode)) && st->st_uid == walk.user &&
	    (st->st_gid != walk.group || (st->st_mode & need) != need) && !walk.wrong++)
		printable(path, walk.first, sizeof walk.first);
	return ++walk.seen >= WALK_MAX;
}

/* A root reached in group mode: whether the agent can work there, else the commands that
 * make it so. Walked with id's eyes when given (the caller through sudo). */
static int check_group_mode(const struct config *c, const struct host_user *h, const char *root,
			    uid_t owner, uid_t user, const struct ident *id)
{
	char qbuf[4 * PATH_MAX + 3];
	const char *q = shell_word(root, qbuf, sizeof qbuf);
	struct passwd *pw;
	struct group *g;
	int rc;

	if (!q) {
		pi_say("%s: hostUsers.%s.projectRoots: %s: too long to print as a shell word",
		       c->path, h->name, root);
		return 1;
	}
	if (owner != user) {
		pw = getpwuid(owner);
		pi_say("%s: hostUsers.%s.projectRoots: %s is %s's, not %s's: in group mode a launch "
		       "refuses it; give it to %s (chown -h %s %s) or remove it", c->path, h->name, root,
		       pw ? pw->pw_name : "another account", h->name, h->name, h->name, q);
		return 1;
	}
	if (!c->project_group) {
		/* the agent may read what others may: a setup for reading, not a broken one */
		pi_say("%s: warning: hostUsers.%s.projectRoots: %s: in group mode with no "
		       "projectGroup the agent reaches it only through the others' bits (it can write "
		       "nothing there); to let it work there set \"projectGroup\" (groupadd --system "
		       "pi-proj) and run --check again for the commands that give the root to it",
		       c->path, h->name, root);
		return 0;
	}
	if (!(g = getgrnam(c->project_group)))
		return 0;       /* named already */
	memset(&walk, 0, sizeof walk);
	walk.group = g->gr_gid;
	walk.user = user;
	if (id && ident_enter(id) < 0)
		return 1;
	rc = nftw(root, walk_one, 16, FTW_PHYS | FTW_MOUNT);
	if (id && ident_enter(NULL) < 0)
		return pi_root_lost(), 1;
	if (rc < 0) {
		pi_say("cannot look through %s: %s", root, strerror(errno));
		return 1;
	}
	if (!walk.wrong) {
		printf("root of %s: %s: group mode through projectGroup %s; every entry%s is the "
		       "group's\n", h->name, root, c->project_group, walk.seen >= WALK_MAX ?
		       " of the first 20000" : "");
		return 0;
	}
	/* a tree shared in part may be meant so: named with its fix, not a failure. The fix acts
	 * as the user with the group as its only one: root's own chgrp, chmod or find would
	 * follow a link the user swaps in for the root or a directory of it, anywhere on the
	 * system; with the user's own group too, chgrp kept the set-gid bit of the user's file
	 * (2705) and chmod g+rwX made it a set-gid program of the project group, and the user
	 * could trace the command (same uid and gid). It touches the user's own entries only
	 * (chgrp of another's fails, even to its own group), never a link (chmod would follow
	 * it), clears g+s everywhere before it sets it through "DIR/." so that nothing but a
	 * directory has it (whether chgrp clears a 2705 file's bit depends on the kernel). */
	pi_say("%s: warning: hostUsers.%s.projectRoots: %s: in group mode the agent works through "
	       "projectGroup %s, and %zu entr%s of %s's lack%s it (%s%s); acting as %s with that "
	       "group as its only one, so that a link swapped in leads nowhere %s could not go, "
	       "%s cannot trace the command, and no file gains a set-gid bit: as root, setpriv "
	       "--reuid=%s --regid=%s --clear-groups --reset-env sh -c 'cd \"$1\" || exit 1; find . "
	       "-user \"$3\" ! -group \"$2\" -exec chgrp -h \"$2\" {} + && find . -user \"$3\" ! "
	       "-type l -exec chmod g-s,g+rwX {} + && find . -user \"$3\" -type d -exec chmod g+s {}/. "
	       "\\;' sh %s %s %s; for what "
	       "%s makes later, umask 0007 in %s's shell or, as %s, setfacl -R -d -m g:%s:rwX %s",
	       c->path, h->name, root, c->project_group, walk.wrong, walk.wrong == 1 ? "y" : "ies",
	       h->name, walk.wrong == 1 ? "s" : "", walk.seen >= WALK_MAX ? "of the first 20000; " :
	       "first ", walk.first, h->name, h->name, h->name, h->name, c->project_group, q,
	       c->project_group, h->name, h->name, h->name, h->name, c->project_group, q);
	return 0;
}

/* Each existing root as a launch would give it to the agent: tried for an idmapped mount
 * (on a clone never attached), else group mode and whether it can work. */
static int check_roots_access(const struct config *c, const struct host_user *h,
			      const struct passwd *pw, const struct ident *id)
{
	uid_t uid = pw->pw_uid;         /* pw and g are the lookups' own: the next reuses them */
	struct group *g;
	struct idmap map;
	struct mounts_access a;
	struct ident user, held;
	char home[PATH_MAX], root[PATH_MAX];
	gid_t group;
	size_t i;
	int bad = 0;

	snprintf(home, sizeof home, "%s", pw->pw_dir);
	if (!getpwnam(config_agent_user(c, h)) || !(g = getgrnam(c->group)))
		return 0;       /* named already */
	group = g->gr_gid;
	if (ident_of_user(&user, h->name, (gid_t)-1) < 0 ||
	    ident_of_user(&held, config_agent_user(c, h), group) < 0)
		return 0;       /* named already */
	/* the map a launch makes (plan_idmap): the unit's Group= and the account's groups */
	map.host_uid = uid;
	map.agent_uid = held.uid;
	idmap_pair(&map, &user, &held, NULL, 0);
	for (i = 0; i < h->roots.n; i++) {
		if (policy_expand(h->roots.v[i], home, root, sizeof root) < 0 ||
		    mounts_probe(root, &user, config_idmap(c) ? &map : NULL, &a) < 0)
			continue;       /* missing: warned about */
		if (a.idmapped)
			printf("root of %s: %s: idmapped: the agent acts there as %s\n", h->name,
			       root, h->name);
		else {
			if (a.call)
				printf("root of %s: %s: no idmapped mount here (%s: %s): group mode\n",
				       h->name, root, a.call, strerror(a.err));
			bad += check_group_mode(c, h, root, a.owner, uid, id);
		}
	}
	return bad;
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

/* Whether host i's agent account is also an earlier host's (said once, for the first). */
static int account_seen(const struct config *c, size_t i)
{
	size_t k;

	for (k = 0; k < i; k++)
		if (!strcmp(config_agent_user(c, &c->hosts[i]), config_agent_user(c, &c->hosts[k])))
			return 1;
	return 0;
}

/* The shared-group rule (config_shared_group), each pair of accounts said once. */
static int shared_groups(const struct config *c)
{
	char prefix[PATH_MAX + 8];
	size_t i, j;
	gid_t gid;
	int bad = 0;

	snprintf(prefix, sizeof prefix, "%s: ", c->path);
	for (i = 0; i < c->nhosts; i++)
		for (j = i + 1; j < c->nhosts && !account_seen(c, i); j++)
			if (!account_seen(c, j) && config_shared_group(c, i, j, &gid)) {
				deny_shared_group(prefix, c, i, j, gid);
				bad++;
			}
	return bad;
}

/* network: each allowlist needs proxyUser, an account of its own (netns.c). */
static int check_network(const struct config *c, const struct host_user *h)
{
	const struct config_network *n = config_network(c, h);
	struct ident id;
	char cmd[256];

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
		pi_say("%s: proxyUser: user '%s' does not exist%s; create it: %s", c->path,
		       c->proxy_user, errno == ENOENT ? nss_hint() : "", pi_create_account(cmd,
		       sizeof cmd, PI_ACCOUNT_PROXY, c->proxy_user, NULL));
	return 1;
}

/* The user's slice with its limits, and each device: granted, or why a launch would refuse it. */
static int check_resources(const struct config *c, const struct host_user *h)
{
	char line[1024], why[4200];
	size_t i;
	int bad = 0;

	slice_describe(c, h, line, sizeof line);
	printf("resources of %s: %s\n", h->name, line);
	for (i = 0; i < h->devices.n; i++)
		if (slice_device_refused(h->devices.v[i], why, sizeof why) && ++bad)
			pi_say("%s: hostUsers.%s.devices[%zu]: %s %s", c->path, h->name, i,
			       h->devices.v[i], why);
		else
			printf("device of %s: %s (DeviceAllow= rw, bound into the unit)\n", h->name,
			       h->devices.v[i]);
	return bad;
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
	n = plan_unpaired(&user, &held, names, sizeof names);
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
	char cmd[256];
	int bad = 0;

	if (!pw && ++bad)
		pi_say("%s: hostUsers.%s: user does not exist%s", c->path, h->name, nss_hint());
	else {
		warn_missing_roots(c, h, pw->pw_dir, id);
		warn_nested_roots(c, h, pw->pw_dir);
		bad += check_roots_access(c, h, pw, id);
		warn_unpaired(c, h);
	}
	if (h->agent_user && !getpwnam(h->agent_user) && ++bad)
		pi_say("%s: hostUsers.%s.agentUser: user '%s' does not exist%s; create it: %s", c->path,
		       h->name, h->agent_user, nss_hint(), pi_create_account(cmd, sizeof cmd,
		       PI_ACCOUNT_AGENT, h->agent_user, h->agent_user));
	return bad + check_network(c, h) + check_resources(c, h);
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

/* The agent as a launch would run it: the first node on the unit's PATH against the
 * package's engines.node, then its --version as the agent account. */
static int check_agent_starts(const struct config *c, const char *agent)
{
	char path[8192];
	struct agentver v;
	struct ident as;
	struct group *g = getgrnam(c->group);

	if (!g || sandbox_path(c, path, sizeof path) < 0 ||
	    ident_of_user(&as, c->user, g->gr_gid) < 0)
		return 0;       /* named already, or nothing to run the agent with */
	if (agentver_probe(agent, path, &as, &v) < 0) {
		pi_say("cannot run %s as %s to see that it starts: %s", agent, c->user,
		       strerror(errno));
		return 1;
	}
	if (v.too_old) {
		pi_say("%s: runtimePath: %s needs node %s (engines.node of %s), and the first node "
		       "on the agent's PATH, %s, is %s: put the directory of a node that satisfies "
		       "it first in runtimePath", c->path, agent, v.engines, v.package_json, v.node,
		       v.node_version);
		return 1;
	}
	if (v.status != 0) {
		pi_say("%s: package: %s --version, run as %s with the agent's PATH, %s %d: %s%s",
		       c->path, agent, c->user, v.status > 128 ? "ended by signal" : "exited",
		       v.status > 128 ? v.status - 128 : v.status, v.out[0] ? v.out : "(no output)",
		       v.node[0] ? "" : " (there is no node on its PATH: add the directory of one "
		       "to runtimePath)");
		return 1;
	}
	printf("agent: %s starts as %s: %s, on %s%s%s\n", agent, c->user, v.out,
	       v.node[0] ? v.node : "no node", v.node_version[0] ? " " : "", v.node_version);
	return 0;
}

/* Whether host user h may run the runner through sudoPath without a password: root's own
 * --check (own) reads anyone's rules; through sudo the caller's, asked as the caller; without
 * root only our own. */
static int check_rule(const struct config *c, const struct host_user *h, int own)
{
	char what[PATH_MAX + 128], fix[2 * PATH_MAX + 256];
	struct passwd *pw = getpwnam(h->name);
	struct ident id;
	enum sudorule r;

	if (!pw || !caller_tool(c->sudo_path) || !fs_executable(c->sudo_path))
		return 0;
	if (geteuid() != 0 && pw->pw_uid != getuid())
		return 0;
	if (geteuid() == 0 && ident_of_user(&id, h->name, (gid_t)-1) < 0) {
		pi_say("cannot read the groups of user '%s': %s", h->name, strerror(errno));
		return 1;
	}
	r = geteuid() != 0 ? sudorule_ask(c, NULL, NULL) : !own ? sudorule_ask(c, &id, NULL) :
	    sudorule_ask_root(c, h->name, &id);
	sudorule_describe(c, h->name, r, what, sizeof what, fix, sizeof fix);
	if (r != SUDORULE_OK && r != SUDORULE_UNKNOWN)
		pi_say("%s: hostUsers.%s: %s: %s", c->path, h->name, what, fix);
	else if (r == SUDORULE_UNKNOWN)
		pi_say("%s: warning: hostUsers.%s: %s gave no answer whether %s may run %s (doas "
		       "answers only where %s is readable by %s)", c->path, h->name, c->sudo_path,
		       h->name, c->runner_path, PI_DOAS_CONF, h->name);
	return r != SUDORULE_OK && r != SUDORULE_UNKNOWN;
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
	return check_host(c, h, &id) + check_rule(c, h, 0);
}

/* The proxy a launch starts, started as a launch would (proxyUser, a namespace of its own,
 * the runner's limits, no list): it must answer, refusing a name no list holds. Every user's
 * proxy is the same program and account, so once, and only as root for the admin. */
static int check_proxy_starts(const struct config *c)
{
	static char *argv[] = { PROXY_NAME, "--fd", "3", "--user", "pi-runner --check", "--unit",
				"(none)", NULL };
	static const char target[] = "pi-runner-check.invalid:443";
	struct netns n = { .report_fd = -1 };
	struct ident id;
	const char *step = NULL;
	int code, rc;

	if (netns_proxy_account(c, &id) < 0)
		return 0;       /* check_network named it */
	if (netns_create(&n, &step) < 0) {
		pi_say("proxy: cannot make a network namespace for it: cannot %s: %s", step,
		       strerror(errno));
		return 1;
	}
	if (netns_start_proxy(&n, &id, argv, &step) < 0) {
		pi_say("proxy: cannot start it as '%s': %s%s%s%s", c->proxy_user, step ? "cannot " :
		       "", step ? step : "", step ? ": " : "", strerror(errno));
		netns_release(&n);
		return 1;
	}
	rc = netns_ask_proxy(&n, target, &code);
	netns_release(&n);
	if (rc == -2) {
		/* never go on in the agent's namespace */
		pi_say("cannot return to the host's network namespace: %s", strerror(errno));
		exit(EXIT_DENIED);
	}
	if (rc < 0 || code != 403) {
		if (rc < 0)
			pi_say("proxy: started as '%s', but did not answer: %s", c->proxy_user,
			       strerror(errno));
		else
			pi_say("proxy: started as '%s', but answered %d to %s, which no list holds "
			       "(403 expected)", c->proxy_user, code, target);
		return 1;
	}
	printf("proxy: starts as %s in a network namespace of its own and refuses a host no list "
	       "holds (403)\n", c->proxy_user);
	return 0;
}

/* One line per problem the live system shows for a loaded config. Through sudo (caller set),
 * the caller's own host entry alone is looked at, its roots with the caller's identity:
 * nothing tells whether another user's paths exist. */
static int check_live(const struct config *c, const char *caller)
{
	char path[PATH_MAX], parent[PATH_MAX], cmd[256];
	const char *exe[] = { c->sudo_path, c->systemd_run_path, c->runner_path };
	const char *exe_key[] = { "sudoPath", "systemdRunPath", "runnerPath" };
	int bad = 0;
	size_t i;

	if (!getgrnam(c->group) && ++bad)
		pi_say("%s: group: group '%s' does not exist%s; create it: %s", c->path, c->group,
		       nss_hint(), pi_create_account(cmd, sizeof cmd, PI_ACCOUNT_GROUP, c->group, NULL));
	if (c->project_group && !getgrnam(c->project_group) && ++bad)
		pi_say("%s: projectGroup: group '%s' does not exist%s; create it: %s", c->path,
		       c->project_group, nss_hint(), pi_create_account(cmd, sizeof cmd,
		       PI_ACCOUNT_GROUP, c->project_group, NULL));
	if (!getpwnam(c->user) && ++bad)
		pi_say("%s: user: user '%s' does not exist%s; create it: %s", c->path, c->user,
		       nss_hint(), pi_create_account(cmd, sizeof cmd, PI_ACCOUNT_AGENT, c->user,
		       c->group));
	for (i = 0; !caller && i < c->nhosts; i++)
		bad += check_host(c, &c->hosts[i], NULL) + check_rule(c, &c->hosts[i], 1);
	if (caller)
		bad += check_caller_host(c, caller);
	if (!caller)
		bad += shared_groups(c);
	if (plan_agent_path(c, path, sizeof path) < 0 && ++bad) {
		if (plan_package_parent(c, parent, sizeof parent, path, sizeof path) == 0)
			pi_say("%s: package: no executable %s in %s/bin; %s is itself the bin "
			       "directory holding the agent (%s): set \"package\": \"%s\"", c->path,
			       plan_agent_names(c), c->package, c->package, path, parent);
		else
			pi_say("%s: package: no executable %s in %s/bin", c->path,
			       plan_agent_names(c), c->package);
	} else if (!caller && geteuid() == 0)
		bad += check_agent_starts(c, path);
	for (i = 0; !caller && geteuid() == 0 && i < c->nhosts; i++)
		if (config_allowlist(c, &c->hosts[i])) {
			bad += check_proxy_starts(c);
			break;
		}
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
	config_systemctl(c, path, sizeof path);
	if (!fs_executable(path) && ++bad)
		pi_say("%s: systemdRunPath: %s, beside it, is not an executable file: the runner "
		       "sizes, stops and kills each unit with it; point systemdRunPath at the "
		       "directory that holds both", c->path, path);
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
int check_args(int argc, char **argv, int *offline, const char **path)
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

int check_config(int offline, const char *path)
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
	const struct idmap *m = plan_idmap(r, &map);
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
		plan_no_idmap(r, a, why, sizeof why);
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
	if (p->settings_to || p->nhide > p->nunit_hide)
		printf("                (covered inside the staged roots before the unit starts; "
		       "until it ends these and the directories above them up to the root cannot be "
		       "renamed or removed)\n");
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

static void explain_resources(const struct run *r)
{
	char line[1024], why[4200];
	size_t i;

	slice_describe(&r->c, r->host, line, sizeof line);
	printf("slice:          %s\n", line);
	for (i = 0; i < r->host->devices.n; i++)
		printf("device:         %s (%s)\n", r->host->devices.v[i],
		       slice_device_refused(r->host->devices.v[i], why, sizeof why) ?
		       why : "DeviceAllow= rw, bound into the unit");
}

int check_explain(struct run *r, char **args, size_t nargs)
{
	struct argv a;
	struct hide others = { 0 };
	struct stat st;
	size_t i;
	int rc;

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
	if (plan_agent_path(&r->c, r->agent_bin, sizeof r->agent_bin) < 0) {
		char parent[PATH_MAX], found[PATH_MAX];

		printf("agent:          none executable among %s in %s/bin: a launch would exit "
		       "127\n", plan_agent_names(&r->c), r->c.package);
		if (plan_package_parent(&r->c, parent, sizeof parent, found, sizeof found) == 0)
			printf("                %s is itself the bin directory holding the agent "
			       "(%s): ask an admin to set \"package\": \"%s\"\n", r->c.package, found,
			       parent);
		return EXIT_NO_AGENT;
	}
	printf("agent:          %s\n", r->agent_bin);
	r->args = args;
	r->nargs = nargs;
	if (project_plan(r, 0) < 0)
		return EXIT_DENIED;
	explain_project(r);
	explain_network(r);
	explain_resources(r);
	if (hide_for_launch(&others, &r->c, r->user, r->pol.roots, r->pol.nroots, r->pol.cwd) < 0) {
		deny_others_unresolved(errno);
		return EXIT_DENIED;
	}
	rc = plan_argv(r, args, nargs, others.v, others.n, &a);
	hide_free(&others);
	if (rc < 0)
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
