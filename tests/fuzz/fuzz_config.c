/* fuzz_config.c - libFuzzer target: config_load on arbitrary bytes (through a memfd), then checks that what it accepted keeps the loader's MUST rules. */
/*
 * The input is written to a memfd and loaded as /proc/self/fd/N with CONFIG_TRUST_ANY (the
 * trust walk needs root-owned directories, which the unit tests cover). Traps when:
 * - a refusal has an empty or unterminated message or key, or a negative position;
 * - an accepted config holds a value the loader promises to refuse: account names outside
 *   [A-Za-z_][A-Za-z0-9_.-]*$?, paths that are not absolute and clean, ':' in PATH entries,
 *   '/' in file names, control characters where they could inject into the systemd-run
 *   command line (environment values are quoted into their env file instead), bad
 *   environment names, properties not Name=value,
 *   resource limits other than the three or with spaces, duplicate host users or variables;
 * - config_host does not find every host user, or settings is not an object.
 * The settings object is also printed through merge_json, as the runner uses it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config.h"
#include "merge.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_config: invariant failed: %s (%s:%d)\n", \
	#c, __FILE__, __LINE__); __builtin_trap(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int in_fd = -1, null_fd = -1;
static char in_path[64];

static int no_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

static int letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int digit(char c)
{
	return c >= '0' && c <= '9';
}

static int account(const char *s)
{
	size_t i, n;

	if (!s || !(n = strlen(s)) || n > 32 || !(letter(s[0]) || s[0] == '_'))
		return 0;
	for (i = 1; i < n; i++)
		if (!(letter(s[i]) || digit(s[i]) || strchr("_.-", s[i]) ||
		      (s[i] == '$' && i == n - 1)))
			return 0;
	return 1;
}

/* Absolute, no "", "." or ".." component, no trailing slash (except "/"), no controls. */
static int clean_path(const char *s)
{
	const char *c, *e;

	if (!s || s[0] != '/' || !no_ctl(s))
		return 0;
	if (!s[1])
		return 1;
	for (c = s + 1;; c = e + 1) {
		e = strchrnul(c, '/');
		if (e == c || (e - c == 1 && c[0] == '.') || (e - c == 2 && c[0] == '.' && c[1] == '.'))
			return 0;
		if (!*e)
			return 1;
	}
}

static int file_name(const char *s)
{
	return s && *s && !strchr(s, '/') && no_ctl(s);
}

static int env_name(const char *s)
{
	if (!(letter(*s) || *s == '_'))
		return 0;
	for (s++; *s; s++)
		if (!(letter(*s) || digit(*s) || *s == '_'))
			return 0;
	return 1;
}

static int env_value(const char *s)
{
	for (; *s; s++)
		if (((unsigned char)*s < 0x20 && *s != '\t') || *s == 0x7f)
			return 0;
	return 1;
}

static void check_paths(const struct strlist *l, int pathdir)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		CHECK(clean_path(l->v[i]) && (!pathdir || !strchr(l->v[i], ':')));
}

/* quoted: the values go into an env file, quoted for systemd (control characters allowed);
 * otherwise onto systemd-run's command line (none but tab). */
static void check_env(const struct kvlist *l, int quoted)
{
	size_t i, j;

	for (i = 0; i < l->n; i++) {
		CHECK(l->v[i].key && env_name(l->v[i].key));
		CHECK(l->v[i].value && (quoted || env_value(l->v[i].value)));
		for (j = 0; j < i; j++)
			CHECK(strcmp(l->v[i].key, l->v[j].key));
	}
}

static void check_hosts(const struct config *c)
{
	size_t i, j;

	for (i = 0; i < c->nhosts; i++) {
		const struct host_user *h = &c->hosts[i];

		CHECK(account(h->name) && config_host(c, h->name) == h);
		for (j = 0; j < h->roots.n; j++)
			CHECK(h->roots.v[j] && *h->roots.v[j] && no_ctl(h->roots.v[j]));
		CHECK(!h->config_path || (*h->config_path && no_ctl(h->config_path)));
		CHECK(!h->agent_user || account(h->agent_user));
		CHECK(account(config_agent_user(c, h)));
	}
}

static void check_wrapper(const struct config *c)
{
	size_t i;
	const char *eq, *p;

	CHECK(file_name(c->command_name) && file_name(c->runner_name));
	CHECK(c->host_config_path && *c->host_config_path && no_ctl(c->host_config_path));
	CHECK(c->sync_config == 0 || c->sync_config == 1);
	for (i = 0; i < c->extra_run_args.n; i++)
		CHECK(c->extra_run_args.v[i]);
	check_env(&c->extra_environment, 0);
	for (i = 0; i < c->extra_properties.n; i++) {
		p = c->extra_properties.v[i];
		CHECK(p && no_ctl(p) && (eq = strchr(p, '=')) && eq > p);
		for (; p < eq; p++)
			CHECK(letter(*p));
	}
}

static void check_config(const struct config *c)
{
	struct json_val none = { NULL, -1 }, s = { &c->doc, c->settings };
	size_t i, j;

	CHECK(c->path == in_path);
	CHECK(account(c->user) && account(c->group));
	CHECK(!c->project_group || account(c->project_group));
	CHECK(clean_path(c->state_dir) && clean_path(c->package) && clean_path(c->runner_path));
	CHECK(clean_path(c->sudo_path) && clean_path(c->systemd_run_path));
	CHECK(file_name(c->binary_name));
	check_hosts(c);
	check_env(&c->environment, 1);
	check_paths(&c->environment_files, 0);
	check_paths(&c->extra_packages, 1);
	check_paths(&c->runtime_path, 1);
	CHECK(c->limits.n <= 3);
	for (i = 0; i < c->limits.n; i++) {
		CHECK(!strcmp(c->limits.v[i].key, "MemoryMax") || !strcmp(c->limits.v[i].key, "CPUQuota") ||
		      !strcmp(c->limits.v[i].key, "TasksMax"));
		for (j = 0; j < i; j++)
			CHECK(strcmp(c->limits.v[i].key, c->limits.v[j].key));
		CHECK(*c->limits.v[i].value && no_ctl(c->limits.v[i].value) &&
		      !strchr(c->limits.v[i].value, ' '));
	}
	check_wrapper(c);
	CHECK(c->settings == -1 || (c->settings > 0 && c->settings < c->doc.ntok &&
				     json_kind(&c->doc, c->settings) == JSON_OBJECT));
	if (c->settings > 0)
		CHECK(merge_json(null_fd, none, s) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct config_err e;

	if (in_fd < 0) {
		in_fd = memfd_create("config.json", MFD_CLOEXEC);
		null_fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
		CHECK(in_fd >= 0 && null_fd >= 0);
		snprintf(in_path, sizeof in_path, "/proc/self/fd/%d", in_fd);
	}
	CHECK(ftruncate(in_fd, 0) == 0);
	CHECK(size == 0 || pwrite(in_fd, data, size, 0) == (ssize_t)size);
	memset(&e, 0x55, sizeof e);	/* the loader must set every field it reports */
	if (config_load(&c, in_path, CONFIG_TRUST_ANY, &e) == 0) {
		check_config(&c);
	} else {
		CHECK(e.msg[0] && memchr(e.msg, '\0', sizeof e.msg) && memchr(e.key, '\0', sizeof e.key));
		CHECK(e.line >= 0 && e.col >= 0 && (e.line == 0) == (e.col == 0));
	}
	config_free(&c);
	return 0;
}
