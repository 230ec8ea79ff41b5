/* projcfg.c - projectConfig: the modes, the agent's trust flags and the project settings merged under the admin's.
 *
 * MUST rules kept here:
 * - under admin-wins a project's settings never set projcfg_code_keys, and every key the
 *   admin set keeps the admin's value;
 * - the trust flags come after every -a/--approve of the user's that the agent would parse,
 *   and never before a subcommand.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "projcfg.h"

const char *const projcfg_code_keys[] = {
	"shellPath", "shellCommandPrefix", "npmCommand", "packages", "extensions", NULL,
};

static const char *const names[] = { "admin-wins", "deny", "allow" };

enum projcfg_mode projcfg_mode(const char *name)
{
	if (name && !strcmp(name, "deny"))
		return PROJCFG_DENY;
	if (name && !strcmp(name, "allow"))
		return PROJCFG_ALLOW;
	return PROJCFG_ADMIN_WINS;
}

const char *projcfg_name(enum projcfg_mode m)
{
	return names[m];
}

int projcfg_args(enum projcfg_mode m, int trust, char *const *args, size_t nargs, char ***out,
		 size_t *nout)
{
	static char na[] = "-na";
	size_t i, at = nargs, n = 0;
	int flags = trust && m != PROJCFG_ALLOW &&
		    !(nargs && (!strcmp(args[0], "auth") || !strcmp(args[0], "mcp")));
	char **v = malloc((nargs + 3) * sizeof *v);

	if (!v)
		return -1;
	for (i = 0; flags && i < nargs; i++)
		if (!strcmp(args[i], "--")) {
			at = i;
			break;
		}
	for (i = 0; i <= nargs; i++) {
		if (flags && i == at) {
			v[n++] = na;
			v[n++] = na;
		}
		if (i < nargs)
			v[n++] = args[i];
	}
	v[n] = NULL;
	*out = v;
	*nout = n;
	return 0;
}

/* The major version in a package.json of a pi-coding-agent package, or -1. */
static int package_major(int dirfd)
{
	struct json_doc d;
	struct json_err e;
	char *name, *ver;
	int fd = fs_open_regular(dirfd, "package.json", 0), major = -1, v;

	if (fd < 0)
		return -1;
	if (json_load(&d, fd, &e) == 0 && json_kind(&d, 0) == JSON_OBJECT) {
		name = (v = json_find(&d, 0, "name")) >= 0 ? json_str(&d, v) : NULL;
		ver = (v = json_find(&d, 0, "version")) >= 0 ? json_str(&d, v) : NULL;
		if (name && ver && strlen(name) >= 15 &&
		    !strcmp(name + strlen(name) - 15, "pi-coding-agent") && ver[0] >= '0' &&
		    ver[0] <= '9')
			major = atoi(ver);
		free(name);
		free(ver);
	}
	json_free(&d);
	close(fd);
	return major;
}

int projcfg_agent_trusts(const char *bin)
{
	char real[PATH_MAX], *slash;
	int level, fd, major = -1;

	if (!realpath(bin, real))
		return 0;
	for (level = 0; level < 4 && major < 0; level++) {
		slash = strrchr(real, '/');
		if (!slash || slash == real)
			break;
		*slash = '\0';
		fd = open(real, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			break;
		major = package_major(fd);
		close(fd);
	}
	return major >= 1;
}

static int code_key(const struct json_doc *d, int k)
{
	size_t i;

	for (i = 0; projcfg_code_keys[i]; i++)
		if (json_streq(d, k, projcfg_code_keys[i]))
			return 1;
	return 0;
}

/* The raw text of the value at i, quotes of a string included. */
static void raw(const struct json_doc *d, int i, const char **s, size_t *n)
{
	int q = d->tok[i].type == JSMN_STRING;

	*s = d->text + d->tok[i].start - q;
	*n = (size_t)(d->tok[i].end + q - d->tok[i].start + q);
}

/* The top-level object of d without the code keys, as JSON text (malloc'd). */
static char *filtered(const struct json_doc *d, size_t *len)
{
	char *out = malloc(d->len + 3), *p = out;
	const char *s;
	size_t n;
	int it = 0, k, v, first = 1;

	if (!out)
		return NULL;
	*p++ = '{';
	while (json_kind(d, 0) == JSON_OBJECT && json_member(d, 0, &it, &k, &v)) {
		if (code_key(d, k))
			continue;
		if (!first)
			*p++ = ',';
		first = 0;
		raw(d, k, &s, &n);
		memcpy(p, s, n);
		p += n;
		*p++ = ':';
		raw(d, v, &s, &n);
		memcpy(p, s, n);
		p += n;
	}
	*p++ = '}';
	*p = '\0';
	*len = (size_t)(p - out);
	return out;
}

int projcfg_merge(int fd, char *text, size_t len, struct json_val over, struct json_err *e)
{
	struct json_doc d, f;
	char *ftext;
	size_t flen;
	int rc = -1;

	memset(&f, 0, sizeof f);
	if (json_parse(&d, text, len, e) < 0) {
		json_free(&d);
		errno = EINVAL;
		return -1;
	}
	ftext = filtered(&d, &flen);
	if (ftext && json_parse(&f, ftext, flen, e) == 0)
		rc = merge_json(fd, (struct json_val){ &f, 0 }, over);
	else if (ftext)
		errno = EINVAL;
	else
		errno = ENOMEM;
	json_free(&f);
	json_free(&d);
	return rc;
}

void projcfg_free(struct projcfg *p)
{
	size_t i;

	free(p->settings_from);
	free(p->settings_to);
	for (i = 0; i < p->nhide; i++)
		free(p->hide[i]);
	for (i = 0; i < p->nchecks; i++)
		free(p->checks[i]);
	free(p->args);
	memset(p, 0, sizeof *p);
}
