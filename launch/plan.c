/* plan.c - what a launch will do, shared by the launch, --check and --explain: the agent, the idmap choice, the hidden roots, the unit's name and its systemd-run argv.
 *
 * MUST rules kept here:
 * - nothing here prints: a failure is said through the run's say (the personality's own);
 * - nothing here switches identity: the other users' roots come resolved (hide_for_launch,
 *   each as its own user, called by the personality), and the caller's identity is runner.c's;
 * - the unit's main process is this very binary's pi-agent-init (same inode), never a file
 *   of that name that is not;
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentinit.h"
#include "fs.h"
#include "plan.h"
#include "slice.h"

/* The agent in dir: binaryName, then pi, then pi-agent; 0 with its path in out, else -1 with
 * the first name's. */
static int agent_in(const struct config *c, const char *dir, char *out, size_t n)
{
	const char *names[] = { c->binary_name, "pi", "pi-agent" };
	size_t i;

	for (i = 0; i < 3; i++) {
		snprintf(out, n, "%s/%s", dir, names[i]);
		if (fs_executable(out))
			return 0;
	}
	snprintf(out, n, "%s/%s", dir, names[0]);
	return -1;
}

int plan_agent_path(const struct config *c, char *out, size_t n)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof dir, "%s/bin", c->package);
	return agent_in(c, dir, out, n);
}

const char *plan_agent_names(const struct config *c)
{
	static char buf[96];

	if (!strcmp(c->binary_name, "pi") || !strcmp(c->binary_name, "pi-agent"))
		return !strcmp(c->binary_name, "pi") ? "pi or pi-agent" : "pi-agent or pi";
	snprintf(buf, sizeof buf, "%s, pi or pi-agent", c->binary_name);
	return buf;
}

int plan_package_parent(const struct config *c, char *parent, size_t n, char *found, size_t nf)
{
	const char *base = strrchr(c->package, '/');

	if (strcmp(base + 1, "bin") || agent_in(c, c->package, found, nf) < 0)
		return -1;
	snprintf(parent, n, "%.*s", base == c->package ? 1 : (int)(base - c->package), c->package);
	return 0;
}

/* A TERM value worth passing on: a plain terminal name. */
const char *plan_term(void)
{
	const char *t = getenv("TERM"), *s;

	if (!t || !*t || strlen(t) > 64)
		return NULL;
	for (s = t; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("._+-", *s)))
			return NULL;
	return t;
}

/* pi-agent-<user>-<random>.service ('$' of a user name, not allowed in units, becomes '_'). */
static int unit_name(struct run *r)
{
	unsigned char rnd[4];
	char *p;

	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		return -1;
	snprintf(r->unit, sizeof r->unit, "pi-agent-%s-%02x%02x%02x%02x.service", r->user,
		 rnd[0], rnd[1], rnd[2], rnd[3]);
	for (p = r->unit; *p; p++)
		if (*p == '$')
			*p = '_';
	return 0;
}

/* pi-agent-init beside our own binary (make install, the package and the Nix package link it
 * there): the unit's main process. It must be this very file, so the unit runs the launcher's
 * own init under the name that never runs as root. */
static int init_path(char *out, size_t n)
{
	char exe[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
	struct stat self, init;
	char *slash;
	int fd, rc;

	if (len <= 0)
		return -1;
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	if (!slash || snprintf(out, n, "%.*s/%s", (int)(slash - exe), exe, AGENTINIT_NAME) >= (int)n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* fstat of the open file, not stat of the link: the same inode, and valgrind (make
	 * bench's instruction count) answers it with its client's, where stat gives its own */
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fstat(fd, &self);
	close(fd);
	if (rc < 0 || stat(out, &init) < 0)
		return -1;
	if (self.st_dev != init.st_dev || self.st_ino != init.st_ino) {
		errno = EEXIST;
		return -1;
	}
	return 0;
}

int plan_argv(struct run *r, char **args, size_t nargs, char *const *others, size_t nothers,
	      struct argv *a)
{
	static const char *const maybe_hidden[] = { "/mnt", "/media", "/srv" };
	const char *hidden[3];
	struct launch l = {
		.c = &r->c, .host_user = r->user, .agent_user = r->agent,
		.agent_group = r->agent_group, .home = r->agent_home,
		.cwd = r->pol.cwd, .env_file = r->env_file, .host_env_file = r->host_env_file,
		.runtime_dir = PI_RUNTIME_DIR,
		.agent_bin = r->agent_bin, .roots = r->pol.roots, .nroots = r->pol.nroots,
		.init = r->init, .suspend = r->watch_fd >= 0,
		.init_checks = r->pc.checks, .ninit_checks = r->pc.nchecks,
		.hidden = hidden, .term = plan_term(), .pty = isatty(0) && isatty(1),
		.term_vars = r->term_vars, .nterm_vars = r->nterm_vars,
		.args = r->pc.args ? r->pc.args : args, .nargs = r->pc.args ? r->pc.nargs : nargs,
		.unit = r->unit,
		.hide_ro = r->pc.unit_hide, .nhide_ro = r->pc.nunit_hide,
		.bind_from = r->mnt.n == r->pol.nroots ? r->mnt.staged : NULL,
		.idmapped = r->mnt.n == r->pol.nroots && mounts_all_idmapped(&r->mnt),
		.netns = !config_allowlist(&r->c, r->host) ? NULL :
			 r->net.path[0] ? r->net.path : "/proc/<runner>/fd/<namespace>",
	};
	struct resources res;
	char slice[300];
	struct stat st;
	size_t i;
	int rc;

	if (slice_of(&r->c, r->host, slice, sizeof slice, &res) < 0) {
		r->say("cannot name the slice of %s: %s", r->user, strerror(errno));
		return -1;
	}
	l.slice = slice, l.res = &res;
	l.devices = r->host->devices.v, l.ndevices = r->host->devices.n;
	if (init_path(r->init, sizeof r->init) < 0) {
		r->say("cannot use %s as the unit's main process: %s", r->init, errno == EEXIST ?
		       "it is not this binary (an upgrade under way? make install, the package and "
		       "the Nix package link it beside pi)" : strerror(errno));
		return -1;
	}
	for (i = 0; i < 3; i++)
		if (lstat(maybe_hidden[i], &st) == 0)
			hidden[l.nhidden++] = maybe_hidden[i];
	l.others = others;
	l.nothers = nothers;
	rc = unit_name(r) < 0 || sandbox_argv(&l, a) < 0 ? -1 : 0;
	if (rc < 0)
		r->say("cannot build the systemd-run command: %s", strerror(errno));
	return rc;
}

const struct idmap *plan_idmap(const struct run *r, struct idmap *map)
{
	if (!config_idmap(&r->c))
		return NULL;
	map->host_uid = r->host_id.uid;
	map->agent_uid = r->agent_id.uid;
	/* the unit's Group= and the account's groups, which systemd gives it (initgroups) */
	idmap_pair(map, &r->host_id, &r->agent_held, NULL, 0);
	return map;
}

void plan_no_idmap(const struct run *r, const struct mounts_access *a, char *out, size_t n)
{
	char how[128];

	if (r->c.project_group)
		snprintf(how, sizeof how, "projectGroup '%s'", r->c.project_group);
	else
		snprintf(how, sizeof how, "group and other permissions (no projectGroup is set)");
	snprintf(out, n, "idmapped mounts are not available here (%s: %s; Linux >= 5.12 and a "
		 "filesystem that supports them, e.g. ext4, xfs, btrfs, tmpfs >= 6.3, are needed); "
		 "the agent reaches it through %s", a->call, strerror(a->err), how);
}

size_t plan_unpaired(const struct ident *user, const struct ident *agent, char *out, size_t n)
{
	gid_t left[8];
	struct idmap map;
	size_t k = idmap_pair(&map, user, agent, left, 8), i;
	char one[72];
	struct group *gr;

	out[0] = '\0';
	for (i = 0; i < k && i < 8; i++) {
		gr = getgrgid(left[i]);
		if (gr)
			snprintf(one, sizeof one, "'%.64s'", gr->gr_name);
		else
			snprintf(one, sizeof one, "%u", (unsigned)left[i]);
		snprintf(out + strlen(out), n - strlen(out), "%s%s", i ? ", " : "", one);
	}
	if (k > 8)
		snprintf(out + strlen(out), n - strlen(out), " and %zu more", k - 8);
	return k;
}
