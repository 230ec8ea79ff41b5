/* policy.c - who may launch where: expands and resolves project roots, checks the working directory.
 *
 * MUST rules kept here:
 * - containment is decided on resolved paths, component-wise ("/p" never contains "/p2");
 * - the runner calls policy_check and policy_refuse with the host user's filesystem identity
 *   active, so a path the user cannot see resolves as missing, never through root's eyes;
 * - a root is never "/", never holds or lies in the launcher's own places, never lies on a
 *   kernel or runtime filesystem (proc, sysfs, cgroup, any tmpfs under /dev, /run, /sys: bound
 *   read-write over the unit's own), and its configured path never passes through a link
 *   the agent could have made (inside another root, or in the state): the next launch would
 *   bind whatever the agent pointed it at.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "fs.h"
#include "policy.h"

static int put(char *out, size_t n, const char *a, const char *b, const char *c)
{
	size_t la = strlen(a), lb = strlen(b), lc = strlen(c);

	if (la + lb + lc >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(out, a, la);
	memcpy(out + la, b, lb);
	memcpy(out + la + lb, c, lc + 1);
	return 0;
}

int policy_expand(const char *root, const char *home, char *out, size_t n)
{
	if (!strcmp(root, "~"))
		return put(out, n, home, "", "");
	if (!strncmp(root, "~/", 2))
		return put(out, n, home, "/", root + 2);
	if (root[0] == '/')
		return put(out, n, root, "", "");
	return put(out, n, home, "/", root);
}

int policy_resolve(const char *path, char *out, size_t n)
{
	return fs_resolve(path, out, n, NULL, NULL);
}

int policy_within(const char *path, const char *root)
{
	size_t l = strlen(root);

	if (!strcmp(root, "/"))
		return path[0] == '/';
	return !strncmp(path, root, l) && (path[l] == '\0' || path[l] == '/');
}

static int add(char **list, size_t *n, const char *s)
{
	if (*n >= POLICY_MAX_ROOTS) {
		errno = E2BIG;
		return -1;
	}
	list[*n] = strdup(s);
	if (!list[*n])
		return -1;
	(*n)++;
	return 0;
}

enum policy_result policy_check(struct policy *p, const struct strlist *roots, const char *home,
				const char *cwd)
{
	char exp[PATH_MAX], res[PATH_MAX];
	struct stat st;
	size_t i, best = 0;

	memset(p, 0, sizeof *p);
	p->match = -1;
	if (cwd[0] != '/') {
		errno = EINVAL;
		return POLICY_ERROR;
	}
	if (policy_resolve(cwd, p->cwd, sizeof p->cwd) < 0)
		return POLICY_ERROR;
	for (i = 0; i < roots->n; i++) {
		if (policy_expand(roots->v[i], home, exp, sizeof exp) < 0 ||
		    policy_resolve(exp, res, sizeof res) < 0)
			return POLICY_ERROR;
		if (stat(res, &st) < 0 || !S_ISDIR(st.st_mode)) {
			if (add(p->missing, &p->nmissing, res) < 0)
				return POLICY_ERROR;
			continue;
		}
		if (add(p->roots, &p->nroots, res) < 0)
			return POLICY_ERROR;
		if (policy_within(p->cwd, res) && (p->match < 0 || strlen(res) > best)) {
			p->match = (int)p->nroots - 1;
			best = strlen(res);
		}
	}
	if (!p->nroots)
		return POLICY_NO_ROOTS;
	return p->match < 0 ? POLICY_OUTSIDE : POLICY_OK;
}

void policy_free(struct policy *p)
{
	size_t i;

	for (i = 0; i < p->nroots; i++)
		free(p->roots[i]);
	for (i = 0; i < p->nmissing; i++)
		free(p->missing[i]);
	for (i = 0; i < p->nrefused; i++) {
		free(p->refused[i].root);
		free(p->refused[i].link);
	}
	p->nroots = p->nmissing = p->nrefused = 0;
}

int policy_slug(const char *root, size_t index, char *out, size_t n)
{
	char num[24], slug[PATH_MAX];
	size_t j = 0;
	const char *s = root;

	while (*s == '/')
		s++;
	for (; *s && j < sizeof slug - 1; s++) {
		char ch = *s == '/' ? '-' : *s;

		if (ch == '-' && j && slug[j - 1] == '-')
			continue;
		slug[j++] = ch;
	}
	while (j && slug[j - 1] == '-')
		j--;
	slug[j] = '\0';
	snprintf(num, sizeof num, "%zu-", index);
	return put(out, n, num, j ? slug : "root", "");
}

/* Kernel filesystems (statfs f_type, linux/magic.h): never a project. */
static const struct { unsigned long magic; const char *name; } kernel_fs[] = {
	{ 0x9fa0, "proc" }, { 0x62656572, "sysfs" }, { 0x27e0eb, "cgroup" },
	{ 0x63677270, "cgroup2" }, { 0x1cd1, "devpts" }, { 0x64626720, "debugfs" },
	{ 0x74726163, "tracefs" }, { 0x73636673, "securityfs" }, { 0x6165676c, "pstore" },
	{ 0xcafe4a11, "bpf" }, { 0x62656570, "configfs" }, { 0x65735543, "fusectl" },
	{ 0x19800202, "mqueue" }, { 0x42494e4d, "binfmt_misc" }, { 0xde5e81e4, "efivarfs" },
	{ 0xf97cff8c, "selinuxfs" }, { 0x43415d53, "smackfs" }, { 0x6e736673, "nsfs" },
	{ 0x958458f6, "hugetlbfs" }, { 0x0187, "autofs" }, { 0x67596969, "rpc_pipefs" },
};
#define TMPFS_MAGIC_ 0x01021994UL

const char *policy_kernel_fs(const struct statfs *sf, const char *path)
{
	unsigned long t = (unsigned long)sf->f_type & 0xffffffffUL;
	size_t i;

	for (i = 0; i < sizeof kernel_fs / sizeof *kernel_fs; i++)
		if (t == kernel_fs[i].magic)
			return kernel_fs[i].name;
	if (t != TMPFS_MAGIC_)
		return NULL;
	if (policy_within(path, "/dev"))
		return "devtmpfs or tmpfs under /dev";
	if (policy_within(path, "/run"))
		return "tmpfs under /run, the runtime directory";
	if (policy_within(path, "/sys"))
		return "tmpfs under /sys";
	return policy_within(path, "/proc") ? "tmpfs under /proc" : NULL;
}

/* fs_resolve's look at each component of a root's path: a link inside one of the places the
 * agent can write (ctx: the places, then the link found). */
struct agent_links {
	char *const *places;
	size_t n;
	const char *state;
	const char *place;
	char link[PATH_MAX];
};

static int agent_link(const char *path, const struct stat *st, void *ctx)
{
	struct agent_links *l = ctx;
	size_t i;

	if (!S_ISLNK(st->st_mode))
		return 0;
	for (i = 0; i <= l->n && !l->place; i++) {
		const char *place = i < l->n ? l->places[i] : l->state;

		if (place && policy_within(path, place))
			l->place = place;
	}
	if (!l->place)
		return 0;
	snprintf(l->link, sizeof l->link, "%s", path);
	errno = ELOOP;
	return -1;
}

/* The root configured as conf: does its path pass through a link the agent could have made? */
static int through_agent_link(const struct policy *p, const char *conf, const char *home,
			      const char *state, struct policy_refused *out)
{
	struct agent_links l = { p->roots, p->nroots, state, NULL, "" };
	char exp[PATH_MAX], res[PATH_MAX];

	if (policy_expand(conf, home, exp, sizeof exp) < 0 ||
	    fs_resolve(exp, res, sizeof res, agent_link, &l) == 0 || !l.place)
		return 0;
	out->why = POLICY_REFUSED_LINK;
	out->what = l.place;
	out->link = strdup(l.link);
	return out->link ? 1 : -1;
}

/* Why root (resolved, existing) is no place for projects at all, into out; 0 when it is one. */
static int unfit(const char *root, const char *const *forbidden, struct policy_refused *out)
{
	struct statfs sf;
	size_t i;

	memset(out, 0, sizeof *out);
	if (!strcmp(root, "/")) {
		out->why = POLICY_REFUSED_SLASH;
		return 1;
	}
	for (i = 0; forbidden && forbidden[i]; i++)
		if (policy_within(root, forbidden[i]) || policy_within(forbidden[i], root)) {
			out->why = POLICY_REFUSED_STATE;
			out->what = forbidden[i];
			return 1;
		}
	if (statfs(root, &sf) == 0 && (out->what = policy_kernel_fs(&sf, root))) {
		out->why = POLICY_REFUSED_KERNEL;
		return 1;
	}
	return 0;
}

/* Whether a configured path leading to root (resolved) passes through a link the agent could
 * have made: inside one of the roots fit for projects (the agent writes there, and in the
 * state). 1 with out filled, 0, -1 on error. */
static int agent_made(const struct policy *p, const char *root, const struct strlist *roots,
		      const char *home, const char *state, struct policy_refused *out)
{
	char exp[PATH_MAX], res[PATH_MAX];
	size_t i;
	int rc;

	for (i = 0; roots && i < roots->n; i++)
		if (policy_expand(roots->v[i], home, exp, sizeof exp) == 0 &&
		    policy_resolve(exp, res, sizeof res) == 0 && !strcmp(res, root) &&
		    (rc = through_agent_link(p, roots->v[i], home, state, out)) != 0)
			return rc;
	return 0;
}

/* Keeps the roots that out does not refuse, moving the others to refused. */
static void keep(struct policy *p, struct policy_refused *out)
{
	size_t i, k = 0;

	for (i = 0; i < p->nroots; i++) {
		if (out[i].root)
			p->refused[p->nrefused++] = out[i];
		else
			p->roots[k++] = p->roots[i];
	}
	p->nroots = k;
}

enum policy_result policy_refuse(struct policy *p, const struct strlist *roots, const char *home,
				 const char *state, const char *const *forbidden)
{
	struct policy_refused out[POLICY_MAX_ROOTS];
	size_t i, best = 0;
	int rc;

	for (i = 0; i < p->nroots; i++)
		out[i].root = unfit(p->roots[i], forbidden, &out[i]) ? p->roots[i] : NULL;
	keep(p, out);
	/* the links, against every root fit for projects, a root refused for its own link
	 * included (the agent wrote there while it was one) */
	for (i = 0; i < p->nroots; i++) {
		memset(&out[i], 0, sizeof out[i]);
		rc = agent_made(p, p->roots[i], roots, home, state, &out[i]);
		if (rc < 0)
			return POLICY_ERROR;
		out[i].root = rc ? p->roots[i] : NULL;
	}
	keep(p, out);
	p->match = -1;
	for (i = 0; i < p->nroots; i++)
		if (policy_within(p->cwd, p->roots[i]) && (p->match < 0 || strlen(p->roots[i]) > best)) {
			p->match = (int)i;
			best = strlen(p->roots[i]);
		}
	if (!p->nroots)
		return POLICY_NO_ROOTS;
	return p->match < 0 ? POLICY_OUTSIDE : POLICY_OK;
}

void policy_own_dirs(const char *state, const char *out[POLICY_OWN_DIRS + 1])
{
	out[0] = state;
	out[1] = PI_RUNTIME_DIR;
	out[2] = PI_BINDS_DIR;
	out[3] = NULL;
}
