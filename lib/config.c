/* config.c - loads and validates /etc/pi-agent/config.json into struct config.
 *
 * MUST rules kept here:
 * - the runner's file is checked on the opened fd: owned by root, not group/other writable;
 * - every key is known, every value has its type; paths the binary execs or binds are
 *   absolute and clean; names and environment entries cannot inject anything into the
 *   systemd-run command line (no control characters, valid names); an `environment` value
 *   is anything systemd can carry in an env file (written quoted), nothing it refuses.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fs.h"
#include "netpolicy.h"

struct ctx {
	struct config *c;
	struct config_err *e;
};

static int fail(struct ctx *x, int tok, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (tok >= 0)
		json_where(&x->c->doc, tok, &x->e->line, &x->e->col);
	snprintf(x->e->key, sizeof x->e->key, "%s", key);
	va_start(ap, fmt);
	vsnprintf(x->e->msg, sizeof x->e->msg, fmt, ap);
	va_end(ap);
	return -1;
}

static void *cfg_alloc(struct config *c, size_t n)
{
	void **p = calloc(1, sizeof(void *) + n);

	if (!p)
		return NULL;
	*p = c->mem;
	c->mem = p;
	return p + 1;
}

int config_has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* An absolute path without empty, "." or ".." components and without a trailing slash. */
static int clean_abs_path(const char *p)
{
	const char *s;

	if (p[0] != '/' || config_has_ctl(p))
		return 0;
	if (!p[1])
		return 1;
	for (s = p; *s; ) {
		const char *n = ++s;
		size_t len;

		while (*s && *s != '/')
			s++;
		len = (size_t)(s - n);
		if (!len || (len == 1 && n[0] == '.') || (len == 2 && n[0] == '.' && n[1] == '.'))
			return 0;
	}
	return 1;
}

/* A name that reaches a file name, a sudoers line and a unit: [A-Za-z0-9_][A-Za-z0-9_.+-]*,
 * at most 64 (no ',', ':', '=', space or quote a sudoers line or a path would read apart). */
static int valid_file_name(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > 64 || s[0] == '.' || s[0] == '-' || s[0] == '+')
		return 0;
	for (i = 0; i < n; i++)
		if (!(strchr("_.+-", s[i]) || (s[i] >= '0' && s[i] <= '9') ||
		      ((s[i] | 0x20) >= 'a' && (s[i] | 0x20) <= 'z')))
			return 0;
	return 1;
}

/* A portable account name: [A-Za-z_][A-Za-z0-9_.-]*, at most 32, optional trailing '$';
 * never one a sudoers line reads as an alias or ALL ([A-Z][A-Z0-9_]*): the NixOS module writes
 * host user names into the runner's rule. */
static int valid_account(const char *s)
{
	size_t i, n = strlen(s);

	if (!n || n > 32 || !(s[0] == '_' || ((s[0] | 0x20) >= 'a' && (s[0] | 0x20) <= 'z')))
		return 0;
	if (s[0] >= 'A' && s[0] <= 'Z' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n)
		return 0;
	for (i = 1; i < n; i++) {
		char ch = s[i];

		if (ch == '$' && i == n - 1)
			break;
		if (!(ch == '_' || ch == '.' || ch == '-' || (ch >= '0' && ch <= '9') ||
		      ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')))
			return 0;
	}
	return 1;
}

/* Length of the code point at s as systemd's utf8_is_valid takes it, or 0: strict UTF-8
 * without surrogates, and none of the noncharacters U+FDD0..U+FDEF and U+xxFFFE/U+xxFFFF. */
static size_t systemd_utf8_len(const unsigned char *s)
{
	size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : s[0] >= 0xe0 && s[0] < 0xf0 ?
		   3 : s[0] >= 0xf0 && s[0] < 0xf5 ? 4 : 0, i;
	unsigned long cp;

	if (n <= 1)
		return n;
	cp = s[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0xfdd0 && cp <= 0xfdef) ||
	    (cp & 0xfffe) == 0xfffe)
		return 0;
	return n;
}

static int systemd_utf8(const char *s)
{
	size_t n;

	for (; *s; s += n)
		if (!(n = systemd_utf8_len((const unsigned char *)s)))
			return 0;
	return 1;
}

static int valid_env_name(const char *s)
{
	if (!(*s == '_' || ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z')))
		return 0;
	for (s++; *s; s++)
		if (!(*s == '_' || (*s >= '0' && *s <= '9') || ((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z')))
			return 0;
	return 1;
}

enum vkind { V_TEXT, V_ARG, V_PATH, V_PATHDIR, V_ACCOUNT, V_ENVVAL, V_ENVFILE, V_PROPERTY, V_ACCESS,
	     V_PROJCFG, V_NETMODE, V_NETENTRY, V_DEVICE };

static const char *vcheck(enum vkind k, const char *s)
{
	const char *eq;

	switch (k) {
	case V_ARG:
		return NULL;
	case V_TEXT:
		return config_has_ctl(s) ? "must not contain control characters" : NULL;
	case V_ENVFILE:
		return systemd_utf8(s) ? NULL : "holds a Unicode noncharacter (U+FDD0..U+FDEF or "
			"U+xxFFFE/U+xxFFFF), which systemd refuses";
	case V_ENVVAL:
		if (!systemd_utf8(s))
			return vcheck(V_ENVFILE, s);
		for (; *s; s++)
			if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
				return "must not contain newlines or other control characters";
		return NULL;
	case V_PATH:
		return clean_abs_path(s) ? NULL :
			"must be an absolute path without '.', '..' or empty components";
	case V_PATHDIR:
		if (strchr(s, ':'))
			return "must not contain ':' (it joins PATH)";
		return vcheck(V_PATH, s);
	case V_ACCOUNT:
		return valid_account(s) ? NULL : "is not a valid user or group name (an uppercase name "
			"like ALL is a sudoers alias)";
	case V_ACCESS:
		return !strcmp(s, "idmap") || !strcmp(s, "group") ? NULL :
			"must be \"idmap\" or \"group\"";
	case V_PROJCFG:
		return !strcmp(s, "admin-wins") || !strcmp(s, "deny") || !strcmp(s, "allow") ? NULL :
			"must be \"admin-wins\", \"deny\" or \"allow\"";
	case V_NETMODE:
		return !strcmp(s, "open") || !strcmp(s, "allowlist") ? NULL :
			"must be \"open\" or \"allowlist\"";
	case V_DEVICE:
		return resources_device_path(s);
	case V_NETENTRY: {
		struct netpolicy_entry e;
		const char *why = NULL;

		return netpolicy_parse_entry(s, &e, &why) < 0 ? (why ? why : "is not a valid entry") : NULL;
	}
	case V_PROPERTY:
		eq = strchr(s, '=');
		if (!eq || eq == s || config_has_ctl(s))
			return "must be a systemd property written Name=value";
		for (; s < eq; s++)
			if (!((*s | 0x20) >= 'a' && (*s | 0x20) <= 'z'))
				return "must be a systemd property written Name=value";
		return NULL;
	}
	return NULL;
}

static const char *kind_name(enum json_kind k)
{
	static const char *const names[] = { "null", "a boolean", "a number", "a string",
					     "an array", "an object" };
	return names[k];
}

static int want(struct ctx *x, int tok, const char *key, enum json_kind k)
{
	enum json_kind got = json_kind(&x->c->doc, tok);

	if (got == k)
		return 0;
	return fail(x, tok, key, "must be %s, not %s", kind_name(k), kind_name(got));
}

static int get_str(struct ctx *x, int tok, const char *key, enum vkind k, int nullable, char **out)
{
	const char *why;
	char *s;

	if (nullable && json_kind(&x->c->doc, tok) == JSON_NULL) {
		*out = NULL;
		return 0;
	}
	if (want(x, tok, key, JSON_STRING) < 0)
		return -1;
	s = json_str(&x->c->doc, tok);
	if (!s)
		return fail(x, tok, key, "must not contain NUL or lone surrogates");
	if (!*s && k != V_ARG) {
		free(s);
		return fail(x, tok, key, "must not be empty");
	}
	why = vcheck(k, s);
	if (why) {
		fail(x, tok, key, "%s", why);
		free(s);
		return -1;
	}
	*out = cfg_alloc(x->c, strlen(s) + 1);
	if (*out)
		strcpy(*out, s);
	free(s);
	return *out ? 0 : fail(x, tok, key, "out of memory");
}

static int get_list(struct ctx *x, int tok, const char *key, enum vkind k, struct strlist *l)
{
	const struct json_doc *d = &x->c->doc;
	char sub[128];
	int it = 0, v;

	if (want(x, tok, key, JSON_ARRAY) < 0)
		return -1;
	l->n = 0;
	l->v = cfg_alloc(x->c, ((size_t)d->tok[tok].size + 1) * sizeof *l->v);
	if (!l->v)
		return fail(x, tok, key, "out of memory");
	while (json_element(d, tok, &it, &v)) {
		snprintf(sub, sizeof sub, "%s[%zu]", key, l->n);
		if (get_str(x, v, sub, k, 0, &l->v[l->n]) < 0)
			return -1;
		l->n++;
	}
	return 0;
}

/* Rejects a key that appears twice in one object: the file would say two things. */
static int unique_key(struct ctx *x, int obj, int key, int val, const char *path)
{
	char *name = json_str(&x->c->doc, key);
	int last;

	if (!name)
		return fail(x, key, path, "key must not contain NUL or lone surrogates");
	last = json_find(&x->c->doc, obj, name);
	free(name);
	return last == val ? 0 : fail(x, last - 1, path, "duplicate key");
}

/* A NAME: value object; values of the given kind. */
static int get_kv(struct ctx *x, int tok, const char *key, enum vkind kind, struct kvlist *l)
{
	const struct json_doc *d = &x->c->doc;
	char sub[128];
	int it = 0, k, v;

	if (want(x, tok, key, JSON_OBJECT) < 0)
		return -1;
	l->n = 0;
	l->v = cfg_alloc(x->c, ((size_t)d->tok[tok].size + 1) * sizeof *l->v);
	if (!l->v)
		return fail(x, tok, key, "out of memory");
	while (json_member(d, tok, &it, &k, &v)) {
		struct kv *e = &l->v[l->n];

		snprintf(sub, sizeof sub, "%s", key);
		if (get_str(x, k, sub, V_TEXT, 0, &e->key) < 0 || unique_key(x, tok, k, v, sub) < 0)
			return -1;
		snprintf(sub, sizeof sub, "%s.%s", key, e->key);
		if (!valid_env_name(e->key))
			return fail(x, k, sub, "is not a valid environment variable name");
		if (get_str(x, v, sub, kind, 0, &e->value) < 0)
			return -1;
		l->n++;
	}
	return 0;
}

enum ftype { T_STR, T_NSTR, T_NAME, T_LIST, T_ENV, T_BOOL, T_COUNT, T_SETTINGS, T_HOSTS, T_LIMITS,
	     T_WRAPPER, T_NETWORK, T_RESOURCES };

struct field {
	const char *name;
	enum ftype t;
	enum vkind k;
	size_t off;
};

#define F(name, t, k, member) { name, t, k, offsetof(struct config, member) }
static const struct field top_fields[] = {
	F("user", T_STR, V_ACCOUNT, user),
	F("group", T_STR, V_ACCOUNT, group),
	F("stateDir", T_STR, V_PATH, state_dir),
	F("package", T_STR, V_PATH, package),
	F("binaryName", T_NAME, V_TEXT, binary_name),
	F("hostUsers", T_HOSTS, V_TEXT, hosts),
	F("settings", T_SETTINGS, V_TEXT, settings),
	F("environment", T_ENV, V_ENVFILE, environment),
	F("environmentFiles", T_LIST, V_PATH, environment_files),
	F("extraPackages", T_LIST, V_PATHDIR, extra_packages),
	F("runtimePath", T_LIST, V_PATHDIR, runtime_path),
	F("projectGroup", T_NSTR, V_ACCOUNT, project_group),
	F("projectAccess", T_STR, V_ACCESS, project_access),
	F("projectConfig", T_STR, V_PROJCFG, project_config),
	F("network", T_NETWORK, V_TEXT, network),
	F("resources", T_RESOURCES, V_TEXT, resources),
	F("proxyUser", T_STR, V_ACCOUNT, proxy_user),
	F("runnerPath", T_STR, V_PATH, runner_path),
	F("sudoPath", T_STR, V_PATH, sudo_path),
	F("systemdRunPath", T_STR, V_PATH, systemd_run_path),
	F("resourceLimits", T_LIMITS, V_TEXT, limits),
	F("wrapper", T_WRAPPER, V_TEXT, command_name),
};
static const struct field wrapper_fields[] = {
	F("commandName", T_NAME, V_TEXT, command_name),
	F("runnerName", T_NAME, V_TEXT, runner_name),
	F("syncConfigFromHost", T_BOOL, V_TEXT, sync_config),
	F("syncMaxBytes", T_COUNT, V_TEXT, sync_max_bytes),
	F("syncMaxEntries", T_COUNT, V_TEXT, sync_max_entries),
	F("hostConfigPath", T_STR, V_TEXT, host_config_path),
	F("extraRunArgs", T_LIST, V_ARG, extra_run_args),
	F("extraEnvironment", T_ENV, V_ENVVAL, extra_environment),
	F("extraProperties", T_LIST, V_PROPERTY, extra_properties),
};
#undef F

/* The keys one object knows: a field table's names or a list of names. */
struct keys {
	const char *const *names;
	const struct field *fields;
	size_t n;
};

static const char *key_at(const struct keys *ks, size_t i)
{
	return ks->fields ? ks->fields[i].name : ks->names[i];
}

#define KEYS_OF(table) { NULL, table, sizeof table / sizeof *table }
#define NAMES_OF(table) { table, NULL, sizeof table / sizeof *table }

static int lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch | 0x20 : ch;
}

/* Edits between a and b (insert, delete, replace, swap two neighbours), letters compared
 * without case; SIZE_MAX for names longer than any key. */
static size_t key_distance(const char *a, const char *b)
{
	enum { LONGEST = 40 };
	size_t d[3][LONGEST + 1], na = strlen(a), nb = strlen(b), i, j, best;

	if (na > LONGEST || nb > LONGEST)
		return (size_t)-1;
	for (j = 0; j <= nb; j++)
		d[0][j] = j;
	for (i = 1; i <= na; i++) {
		size_t *row = d[i % 3], *up = d[(i - 1) % 3], *up2 = d[(i + 1) % 3];

		row[0] = i;
		for (j = 1; j <= nb; j++) {
			best = up[j - 1] + (lower(a[i - 1]) != lower(b[j - 1]));
			if (up[j] + 1 < best)
				best = up[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
			    lower(a[i - 2]) == lower(b[j - 1]) && up2[j - 2] + 1 < best)
				best = up2[j - 2] + 1;
			row[j] = best;
		}
	}
	return d[na % 3][nb];
}

/* Nonzero when the shorter of a and b, four letters or more, lies inside the other (case
 * aside). */
static int key_part(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b), i, j;

	if (na > nb)
		return key_part(b, a);
	if (na < 4)
		return 0;
	for (i = 0; i + na <= nb; i++) {
		for (j = 0; j < na && lower(b[i + j]) == lower(a[j]); j++)
			;
		if (j == na)
			return 1;
	}
	return 0;
}

/* The known key a typed name most likely meant: the nearest within max(1, length / 5)
 * edits, else the one key it is part of or that is part of it; NULL when none (or when
 * two keys are parts alike). */
static const char *key_nearest(const char *name, const struct keys *ks)
{
	size_t i, d, best = strlen(name) / 5, parts = 0;
	const char *near = NULL, *part = NULL;

	if (best < 1)
		best = 1;
	for (i = 0; i < ks->n; i++) {
		d = key_distance(name, key_at(ks, i));
		if (d <= best && (!near || d < best)) {
			near = key_at(ks, i);
			best = d;
		}
		if (key_part(name, key_at(ks, i)) && ++parts)
			part = key_at(ks, i);
	}
	return near ? near : parts == 1 ? part : NULL;
}

/* Index of member key k among the keys of the object at path, or -1 after failing with the
 * full key (path.name) and the known key it most likely meant, else the keys known there. */
static int known_key(struct ctx *x, int k, const char *path, const struct keys *ks)
{
	char sub[128], known[320], *name, *p;
	const char *near;
	size_t i, at = 0;

	for (i = 0; i < ks->n; i++)
		if (json_streq(&x->c->doc, k, key_at(ks, i)))
			return (int)i;
	name = json_str(&x->c->doc, k);
	if (!name)
		return fail(x, k, path, "key must not contain NUL or lone surrogates");
	near = key_nearest(name, ks);
	for (p = name; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", name);
	free(name);
	if (near)
		return fail(x, k, sub, "unknown key; did you mean %s?", near);
	for (i = 0; i < ks->n && at < sizeof known; i++)
		at += (size_t)snprintf(known + at, sizeof known - at, "%s%s", i ? ", " : "",
				       key_at(ks, i));
	return fail(x, k, sub, "unknown key (known: %s)", known);
}

static const char *const limit_names[] = { "MemoryMax", "CPUQuota", "TasksMax" };

/* A positive integer written as digits alone (no sign, fraction or exponent), at most
 * 2^63 - 1. */
static int get_count(struct ctx *x, int tok, const char *key, unsigned long long *out)
{
	const jsmntok_t *t = &x->c->doc.tok[tok];
	const char *p = x->c->doc.text + t->start, *end = x->c->doc.text + t->end;
	unsigned long long v = 0;

	if (want(x, tok, key, JSON_NUMBER) < 0)
		return -1;
	for (; p < end && *p >= '0' && *p <= '9'; p++) {
		if (v > ((unsigned long long)LLONG_MAX - (unsigned)(*p - '0')) / 10)
			return fail(x, tok, key, "must be a positive integer of at most %lld",
				    LLONG_MAX);
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (p < end || !v)
		return fail(x, tok, key, "must be a positive integer");
	*out = v;
	return 0;
}

static int parse_object(struct ctx *x, int tok, const char *path, const struct keys *ks);
static const struct keys top_keys = KEYS_OF(top_fields), wrapper_keys = KEYS_OF(wrapper_fields);

static int parse_limits(struct ctx *x, int tok, const char *path)
{
	static const struct keys ks = NAMES_OF(limit_names);
	struct kvlist *l = &x->c->limits;
	char sub[128];
	int it = 0, i, k, v;

	if (want(x, tok, path, JSON_OBJECT) < 0)
		return -1;
	l->n = 0;
	l->v = cfg_alloc(x->c, 3 * sizeof *l->v);
	if (!l->v)
		return fail(x, tok, path, "out of memory");
	while (json_member(&x->c->doc, tok, &it, &k, &v)) {
		if ((i = known_key(x, k, path, &ks)) < 0)
			return -1;
		snprintf(sub, sizeof sub, "%s.%s", path, limit_names[i]);
		if (unique_key(x, tok, k, v, sub) < 0 || get_str(x, v, sub, V_TEXT, 1, &l->v[l->n].value) < 0)
			return -1;
		if (strchr(l->v[l->n].value ? l->v[l->n].value : "", ' '))
			return fail(x, v, sub, "must not contain spaces");
		if (l->v[l->n].value)
			l->v[l->n++].key = (char *)limit_names[i];
	}
	return 0;
}

/* {"mode": "open" | "allowlist", "allow": [...], "deny": [...]}: entries without the
 * allowlist that applies them are a mistake, refused rather than silently ignored. */
static int parse_network(struct ctx *x, int tok, const char *path, struct config_network *n)
{
	enum { N_MODE, N_ALLOW, N_DENY };
	static const char *const names[] = { [N_MODE] = "mode", [N_ALLOW] = "allow", [N_DENY] = "deny" };
	static const struct keys ks = NAMES_OF(names);
	char sub[160];
	int it = 0, i, k, v, rc;

	if (want(x, tok, path, JSON_OBJECT) < 0)
		return -1;
	n->mode = "open";
	n->allow.n = n->deny.n = 0;
	while (json_member(&x->c->doc, tok, &it, &k, &v)) {
		if ((i = known_key(x, k, path, &ks)) < 0)
			return -1;
		snprintf(sub, sizeof sub, "%s.%s", path, names[i]);
		if (i == N_MODE)
			rc = get_str(x, v, sub, V_NETMODE, 0, &n->mode);
		else
			rc = get_list(x, v, sub, V_NETENTRY, i == N_ALLOW ? &n->allow : &n->deny);
		if (rc < 0 || unique_key(x, tok, k, v, sub) < 0)
			return -1;
	}
	if (!strcmp(n->mode, "open") && (n->allow.n || n->deny.n))
		return fail(x, tok, path, "has %s entries but mode \"open\", which applies none: "
			    "set \"mode\": \"allowlist\"", n->allow.n ? "allow" : "deny");
	return 0;
}

/* A string, or a number as written ("100"). */
static int get_scalar(struct ctx *x, int tok, const char *key, char **out)
{
	const jsmntok_t *t = &x->c->doc.tok[tok];
	size_t n = (size_t)(t->end - t->start);

	if (json_kind(&x->c->doc, tok) != JSON_NUMBER)
		return get_str(x, tok, key, V_TEXT, 0, out);
	if (n > 24 || !(*out = cfg_alloc(x->c, n + 1)))
		return fail(x, tok, key, "is not a number systemd takes");
	memcpy(*out, x->c->doc.text + t->start, n);
	(*out)[n] = '\0';
	return 0;
}

/* {"memoryMax": "8G", "cpuWeight": 100, ...}: each value a string or a number in systemd's
 * syntax for its property (resources.c), refused with the full key and the value. */
static int parse_resources(struct ctx *x, int tok, const char *path, struct resources *r)
{
	static const struct keys ks = NAMES_OF(resources_keys);
	const char *why;
	char sub[160], *s;
	int it = 0, i, k, v;

	if (want(x, tok, path, JSON_OBJECT) < 0)
		return -1;
	while (json_member(&x->c->doc, tok, &it, &k, &v)) {
		if ((i = known_key(x, k, path, &ks)) < 0)
			return -1;
		snprintf(sub, sizeof sub, "%s.%s", path, resources_keys[i]);
		if (get_scalar(x, v, sub, &s) < 0)
			return -1;
		if ((why = resources_check((enum res_key)i, s)))
			return fail(x, v, sub, "\"%.64s\" %s", s, why);
		if (unique_key(x, tok, k, v, sub) < 0)
			return -1;
		r->v[i] = s;
	}
	return 0;
}

static int parse_host(struct ctx *x, int tok, struct host_user *h, const char *path)
{
	enum { H_ROOTS, H_CONFIG, H_AGENT, H_PROJCFG, H_NETWORK, H_RESOURCES, H_DEVICES };
	static const char *const names[] = { [H_ROOTS] = "projectRoots", [H_CONFIG] = "configPath",
		[H_AGENT] = "agentUser", [H_PROJCFG] = "projectConfig", [H_NETWORK] = "network",
		[H_RESOURCES] = "resources", [H_DEVICES] = "devices" };
	static const struct keys ks = NAMES_OF(names);
	char sub[160];
	int it = 0, i, k, v, rc = -1;

	if (want(x, tok, path, JSON_OBJECT) < 0)
		return -1;
	while (json_member(&x->c->doc, tok, &it, &k, &v)) {
		if ((i = known_key(x, k, path, &ks)) < 0)
			return -1;
		snprintf(sub, sizeof sub, "%s.%s", path, names[i]);
		switch (i) {
		case H_ROOTS:
			rc = get_list(x, v, sub, V_TEXT, &h->roots);
			break;
		case H_CONFIG:
			rc = get_str(x, v, sub, V_TEXT, 1, &h->config_path);
			break;
		case H_AGENT:
			rc = get_str(x, v, sub, V_ACCOUNT, 1, &h->agent_user);
			break;
		case H_PROJCFG:
			rc = get_str(x, v, sub, V_PROJCFG, 1, &h->project_config);
			break;
		case H_NETWORK:
			h->network = cfg_alloc(x->c, sizeof *h->network);
			rc = h->network ? parse_network(x, v, sub, h->network) :
				fail(x, v, sub, "out of memory");
			break;
		case H_RESOURCES:
			rc = parse_resources(x, v, sub, &h->resources);
			break;
		case H_DEVICES:
			rc = get_list(x, v, sub, V_DEVICE, &h->devices);
			break;
		}
		if (rc < 0 || unique_key(x, tok, k, v, sub) < 0)
			return -1;
	}
	return 0;
}

static int parse_hosts(struct ctx *x, int tok)
{
	struct config *c = x->c;
	char sub[160];
	int it = 0, k, v;

	if (want(x, tok, "hostUsers", JSON_OBJECT) < 0)
		return -1;
	c->nhosts = 0;
	c->hosts = cfg_alloc(c, ((size_t)c->doc.tok[tok].size + 1) * sizeof *c->hosts);
	if (!c->hosts)
		return fail(x, tok, "hostUsers", "out of memory");
	while (json_member(&c->doc, tok, &it, &k, &v)) {
		struct host_user *h = &c->hosts[c->nhosts];

		if (get_str(x, k, "hostUsers", V_ACCOUNT, 0, &h->name) < 0)
			return -1;
		snprintf(sub, sizeof sub, "hostUsers.%s", h->name);
		if (unique_key(x, tok, k, v, sub) < 0 || parse_host(x, v, h, sub) < 0)
			return -1;
		c->nhosts++;
	}
	return 0;
}

static int parse_field(struct ctx *x, const struct field *f, int v, const char *path)
{
	void *p = (char *)x->c + f->off;
	int rc;

	switch (f->t) {
	case T_STR:
	case T_NSTR:
		return get_str(x, v, path, f->k, f->t == T_NSTR, p);
	case T_NAME:
		rc = get_str(x, v, path, f->k, 0, p);
		if (rc == 0 && strchr(*(char **)p, '/'))
			return fail(x, v, path, "must be a file name, without '/'");
		if (rc == 0 && !valid_file_name(*(char **)p))
			return fail(x, v, path, "must be a plain file name of letters, digits and "
				    "'_', '.', '+', '-' (at most 64, not starting with '.', '-' or '+')");
		return rc;
	case T_LIST:
		return get_list(x, v, path, f->k, p);
	case T_ENV:
		return get_kv(x, v, path, f->k, p);
	case T_BOOL:
		if (want(x, v, path, JSON_BOOL) < 0)
			return -1;
		*(int *)p = json_true(&x->c->doc, v);
		return 0;
	case T_COUNT:
		return get_count(x, v, path, p);
	case T_SETTINGS:
		if (want(x, v, path, JSON_OBJECT) < 0)
			return -1;
		x->c->settings = v;
		return 0;
	case T_HOSTS:
		return parse_hosts(x, v);
	case T_LIMITS:
		return parse_limits(x, v, path);
	case T_WRAPPER:
		return parse_object(x, v, "wrapper", &wrapper_keys);
	case T_NETWORK:
		return parse_network(x, v, path, p);
	case T_RESOURCES:
		return parse_resources(x, v, path, p);
	}
	return 0;
}

static int parse_object(struct ctx *x, int tok, const char *path, const struct keys *ks)
{
	char sub[128];
	int it = 0, i, k, v;

	if (want(x, tok, path[0] ? path : "(top level)", JSON_OBJECT) < 0)
		return -1;
	while (json_member(&x->c->doc, tok, &it, &k, &v)) {
		if ((i = known_key(x, k, path, ks)) < 0)
			return -1;
		snprintf(sub, sizeof sub, "%s%s%s", path, path[0] ? "." : "", ks->fields[i].name);
		if (unique_key(x, tok, k, v, sub) < 0 || parse_field(x, &ks->fields[i], v, sub) < 0)
			return -1;
	}
	return 0;
}

static const char *const default_runtime_path[] = { "/usr/local/bin", "/usr/bin", "/bin" };

static void set_defaults(struct config *c)
{
	memset(c, 0, sizeof *c);
	c->settings = -1;
	c->user = "pi-agent";
	c->group = "pi-agent";
	c->state_dir = "/var/lib/pi-agent";
	c->binary_name = "pi-agent";
	c->runtime_path.v = (char **)default_runtime_path;
	c->runtime_path.n = sizeof default_runtime_path / sizeof *default_runtime_path;
	c->runner_path = PI_RUNNER_PATH;
	c->sudo_path = "/usr/bin/sudo";
	c->systemd_run_path = "/usr/bin/systemd-run";
	c->command_name = "pi";
	c->runner_name = "m3ta-pi-agent-runner";
	c->host_config_path = ".pi/agent";
	c->sync_config = 1;
	c->project_access = "idmap";
	c->sync_max_bytes = 1ULL << 30;
	c->sync_max_entries = 100000;
	c->project_config = "admin-wins";
	c->network.mode = "open";
	c->proxy_user = "pi-proxy";
}

/* Refuses a directory or file that someone other than root could change. */
static int trusted(const struct stat *st, int is_dir)
{
	if (st->st_uid != 0)
		return 0;
	if (is_dir && (st->st_mode & S_ISVTX))
		return 1;
	return !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* Every link on the way must be root's, and every directory root's alone: then nobody else
 * can steer where the path leads. */
static int trusted_component(const char *path, const struct stat *st, void *ctx)
{
	struct ctx *x = ctx;

	if (S_ISLNK(st->st_mode) && st->st_uid != 0)
		return fail(x, -1, "", "link %s is not owned by root", path);
	if (S_ISDIR(st->st_mode) && !trusted(st, 1))
		return fail(x, -1, "", "directory %s is not owned by root or is writable by group "
			    "or others", path);
	return 0;
}

/* Resolves the path checking each link and directory, then opens the result one component
 * at a time from "/", never following a link, and checks every directory and the file. */
static int open_trusted(const char *path, struct ctx *x)
{
	char real[4096], *p, *slash;
	struct stat st;
	int dir, next;

	x->e->msg[0] = '\0';
	if (path[0] != '/')
		return fail(x, -1, "", "must be an absolute path");
	if (fs_resolve(path, real, sizeof real, trusted_component, x) < 0)
		return x->e->msg[0] ? -1 : fail(x, -1, "", "cannot open: %s", strerror(errno));
	dir = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (p = real + 1; dir >= 0; p = slash + 1) {
		if (fstat(dir, &st) < 0 || !trusted(&st, 1)) {
			close(dir);
			*p = '\0';
			return fail(x, -1, "", "directory %s is not owned by root or is writable "
				    "by group or others", p - 1 == real ? "/" : (p[-1] = '\0', real));
		}
		slash = strchr(p, '/');
		if (!slash)
			break;
		*slash = '\0';
		next = fs_open_dir(dir, p);
		*slash = '/';
		close(dir);
		dir = next;
	}
	if (dir < 0)
		return fail(x, -1, "", "cannot open: %s", strerror(errno));
	next = fs_open_regular(dir, p, 0);
	close(dir);
	if (next < 0)
		return fail(x, -1, "", "cannot open: %s", errno == EFTYPE_PI ? "not a regular file" :
			    strerror(errno));
	if (fstat(next, &st) < 0 || !trusted(&st, 0)) {
		close(next);
		return fail(x, -1, "", "not owned by root or writable by group or others");
	}
	return next;
}

/* commandName and runnerName: two names of their own, neither one the binary answers to
 * itself (pi.c's table), so a configured name never reaches another personality. */
static int check_names(struct ctx *x)
{
	static const char *const taken[] = { "pi-merge", "pi-agent-init", "pi-proxy" };
	struct config *c = x->c;
	size_t i;

	x->e->line = x->e->col = 0;
	if (!strcmp(c->command_name, c->runner_name))
		return fail(x, -1, "wrapper.runnerName", "must differ from wrapper.commandName");
	for (i = 0; i < sizeof taken / sizeof *taken; i++) {
		if (!strcmp(c->command_name, taken[i]) || !strcmp(c->command_name, "pi-runner"))
			return fail(x, -1, "wrapper.commandName", "'%s' is a name the launcher "
				    "answers to itself", c->command_name);
		if (!strcmp(c->runner_name, taken[i]) || !strcmp(c->runner_name, "pi"))
			return fail(x, -1, "wrapper.runnerName", "'%s' is a name the launcher "
				    "answers to itself", c->runner_name);
	}
	return 0;
}

int config_load(struct config *c, const char *path, enum config_trust trust, struct config_err *e)
{
	struct ctx x = { c, e };
	struct json_err je;
	char *text;
	size_t len;
	int fd, rc;

	set_defaults(c);
	memset(e, 0, sizeof *e);
	c->path = (char *)path;
	if (trust == CONFIG_TRUST_ROOT)
		fd = open_trusted(path, &x);
	else if ((fd = fs_open_regular(AT_FDCWD, path, 1)) < 0)
		return fail(&x, -1, "", "cannot open: %s", errno == EFTYPE_PI ?
			    "not a regular file" : strerror(errno));
	if (fd < 0)
		return -1;
	rc = fs_read_all(fd, JSON_MAX_SIZE, &text, &len);
	close(fd);
	if (rc < 0)
		return fail(&x, -1, "", "cannot read: %s", strerror(errno));
	if (json_parse(&c->doc, text, len, &je) < 0) {
		e->line = je.line;
		e->col = je.col;
		snprintf(e->msg, sizeof e->msg, "%s", je.msg);
		return -1;
	}
	if (parse_object(&x, 0, "", &top_keys) < 0)
		return -1;
	if (!c->package) {
		e->line = e->col = 0;
		return fail(&x, -1, "package", "is required (the directory whose bin/ holds the agent)");
	}
	return check_names(&x);
}

void config_free(struct config *c)
{
	void **p = c->mem, **next;

	for (; p; p = next) {
		next = *p;
		free(p);
	}
	c->mem = NULL;
	json_free(&c->doc);
}

const struct host_user *config_host(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->nhosts; i++)
		if (!strcmp(c->hosts[i].name, name))
			return &c->hosts[i];
	return NULL;
}

int config_idmap(const struct config *c)
{
	return !strcmp(c->project_access, "idmap");
}

const char *config_project_config(const struct config *c, const struct host_user *h)
{
	return h && h->project_config ? h->project_config : c->project_config;
}

const struct config_network *config_network(const struct config *c, const struct host_user *h)
{
	return h && h->network ? h->network : &c->network;
}

int config_allowlist(const struct config *c, const struct host_user *h)
{
	return !strcmp(config_network(c, h)->mode, "allowlist");
}

void config_systemctl(const struct config *c, char *out, size_t n)
{
	const char *slash = strrchr(c->systemd_run_path, '/');

	snprintf(out, n, "%.*ssystemctl", slash ? (int)(slash - c->systemd_run_path + 1) : 0,
		 c->systemd_run_path);
}

const char *config_agent_user(const struct config *c, const struct host_user *h)
{
	return h->agent_user ? h->agent_user : c->user;
}

int config_shared_group(const struct config *c, size_t i, size_t j, gid_t *gid)
{
	const char *a = config_agent_user(c, &c->hosts[i]), *b = config_agent_user(c, &c->hosts[j]);
	struct passwd *pw;
	gid_t ga;

	if (!strcmp(a, b) || !(pw = getpwnam(a)))
		return 0;
	ga = pw->pw_gid;
	if (!(pw = getpwnam(b)) || pw->pw_gid != ga)
		return 0;
	*gid = ga;
	return 1;
}
