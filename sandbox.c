/* sandbox.c - the systemd-run command line that starts the agent in its hardened transient unit.
 *
 * MUST rules kept here:
 * - the argv is built from the config and the runner's own resolved values only, never from
 *   the caller's environment: TERM and a fixed list of terminal and locale variables
 *   excepted, each checked to be a plain short value (sandbox_term_var);
 * - the unit's description names the user and the cwd, never the agent's arguments (a
 *   prompt given as an argument would land in the journal);
 * - every path put into a list-valued property is quoted so systemd reads back that path;
 * - each env file is its own EnvironmentFile= (a file systemd misreads swallows nothing of
 *   the next), and a value written into one is quoted so systemd reads back that value;
 * - the user's arguments come last, after the agent's absolute path, so systemd-run never
 *   parses them as its own options;
 * - the unit's main process is pi-agent-init, root's own binary run as the agent under the
 *   name that never runs as root, so that pi exits with the agent's status or 128+N (systemd
 *   counts INT/TERM/HUP/PIPE as a clean exit).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

/* The seed's sandbox properties, kept as they were. */
static const char *const seed_properties[] = {
	"NoNewPrivileges=yes", "PrivateTmp=yes", "ProtectSystem=strict", "ProtectHome=tmpfs",
	"ProtectControlGroups=yes", "ProtectKernelTunables=yes", "ProtectKernelModules=yes",
	"RestrictSUIDSGID=yes", "LockPersonality=yes", "RestrictRealtime=yes",
	"RestrictNamespaces=yes", "MemoryDenyWriteExecute=no",
};

/* Hardening on top of the seed's set: what the agent (node, git, bash) does not need.
 * docs/HARDENING.md gives each one's reason and what stays relaxed for which agent feature. */
static const char *const hardening_properties[] = {
	"PrivateDevices=yes", "ProtectClock=yes", "ProtectKernelLogs=yes", "ProtectHostname=yes",
	"ProtectProc=invisible", "CapabilityBoundingSet=", "AmbientCapabilities=",
	"RemoveIPC=yes", "KeyringMode=private", "SystemCallArchitectures=native",
	"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
	/* node's pkey_alloc at start is outside @system-service: refused with EPERM, not SIGSYS */
	"SystemCallFilter=@system-service", "SystemCallFilter=~@privileged @resources",
	"SystemCallFilter=@chown", "SystemCallErrorNumber=EPERM",
};

/* Unix sockets through which a host service would carry data off the machine for the agent:
 * name lookups (nscd, systemd-resolved, the system bus to resolved) and mDNS (avahi). */
static const char *const name_services[] = {
	"/run/nscd", "/run/systemd/resolve", "/run/dbus/system_bus_socket", "/run/avahi-daemon",
};

static int push(struct argv *a, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		char **v = realloc(a->v, cap * sizeof *v);

		if (!v)
			return -1;
		a->v = v;
		a->cap = cap;
	}
	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	a->v[a->n++] = s;
	a->v[a->n] = NULL;
	return 0;
}

/* An argument of the agent's command line: systemd expands $NAME and ${NAME} in it and reads
 * $$ as $, so each $ is doubled to reach the agent as it was given. */
static int push_arg(struct argv *a, const char *s)
{
	size_t n = 0;
	const char *p;
	char *d, *q;
	int rc;

	for (p = s; *p; p++)
		n += *p == '$' ? 2 : 1;
	d = malloc(n + 1);
	if (!d)
		return -1;
	for (p = s, q = d; *p; p++) {
		if (*p == '$')
			*q++ = '$';
		*q++ = *p;
	}
	*q = '\0';
	rc = push(a, "%s", d);
	free(d);
	return rc;
}

/* --suspend=<agent home>: where the unit's main process marks the agent's Ctrl-Z */
static int push_suspend(struct argv *a, const char *home)
{
	char s[4200];

	if (snprintf(s, sizeof s, "--suspend=%s", home) >= (int)sizeof s)
		return -1;
	return push_arg(a, s);
}

void sandbox_argv_free(struct argv *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	memset(a, 0, sizeof *a);
}

int sandbox_quote_path(const char *path, char *out, size_t n)
{
	size_t j = 0;

	if (n < 3)
		goto toolong;
	out[j++] = '"';
	for (; *path; path++) {
		if (j + 4 > n)
			goto toolong;
		if (*path == '"' || *path == '\\')
			out[j++] = '\\';
		out[j++] = *path;
	}
	out[j++] = '"';
	out[j] = '\0';
	return 0;
toolong:
	errno = ENAMETOOLONG;
	return -1;
}

char *sandbox_env_line(const char *name, const char *value)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				   "_@%+=:,./-";
	size_t nl = strlen(name), j = nl + 1;
	char *out = malloc(nl + 2 * strlen(value) + 5);
	const char *p;

	if (!out)
		return NULL;
	memcpy(out, name, nl);
	out[nl] = '=';
	if (strspn(value, safe) == strlen(value)) {
		strcpy(out + j, value);
		j += strlen(value);
	} else {
		out[j++] = '"';
		for (p = value; *p; p++) {
			if (strchr("\\\"`$", *p))
				out[j++] = '\\';
			out[j++] = *p;
		}
		out[j++] = '"';
	}
	out[j++] = '\n';
	out[j] = '\0';
	return out;
}

static int cat(char *out, size_t n, size_t *j, const char *s, const char *suffix)
{
	int w = snprintf(out + *j, n - *j, "%s%s%s", *j ? ":" : "", s, suffix);

	if (w < 0 || (size_t)w >= n - *j) {
		errno = ENAMETOOLONG;
		return -1;
	}
	*j += (size_t)w;
	return 0;
}

int sandbox_path(const struct config *c, char *out, size_t n)
{
	size_t i, j = 0;

	out[0] = '\0';
	if (cat(out, n, &j, c->package, "/bin") < 0)
		return -1;
	for (i = 0; i < c->extra_packages.n; i++)
		if (cat(out, n, &j, c->extra_packages.v[i], "/bin") < 0)
			return -1;
	for (i = 0; i < c->runtime_path.n; i++)
		if (cat(out, n, &j, c->runtime_path.v[i], "") < 0)
			return -1;
	return 0;
}

static int push_quoted(struct argv *a, const char *prop, const char *path)
{
	char q[2 * 4096 + 3];

	if (sandbox_quote_path(path, q, sizeof q) < 0)
		return -1;
	return push(a, "%s=%s", prop, q);
}

static int push_prop(struct argv *a, const char *fmt, const char *v)
{
	return push(a, "-p") < 0 ? -1 : push(a, fmt, v);
}

static int push_env(struct argv *a, const char *name, const char *v)
{
	return push(a, "-E") < 0 ? -1 : push(a, "%s=%s", name, v);
}

/* -E NAME=<home><suffix> */
static int push_env_home(struct argv *a, const char *name, const char *home, const char *suffix)
{
	return push(a, "-E") < 0 ? -1 : push(a, "%s=%s%s", name, home, suffix);
}

static int push_prop_kv(struct argv *a, const char *key, const char *value)
{
	return push(a, "-p") < 0 ? -1 : push(a, "%s=%s", key, value);
}

/* -p BindPaths="<from>":"<to>" */
static int push_bind(struct argv *a, const char *from, const char *to)
{
	char qf[2 * 4096 + 3], qt[2 * 4096 + 3];

	if (sandbox_quote_path(from, qf, sizeof qf) < 0 || sandbox_quote_path(to, qt, sizeof qt) < 0)
		return -1;
	return push(a, "-p") < 0 ? -1 : push(a, "BindPaths=%s:%s", qf, qt);
}

static int push_prop_path(struct argv *a, const char *prop, const char *path)
{
	return push(a, "-p") < 0 ? -1 : push_quoted(a, prop, path);
}

/* projectConfig: -p TemporaryFileSystem="<dir>:ro" */
static int push_project(struct argv *a, const struct launch *l)
{
	char ro[4096 + 4];
	size_t i;
	int rc = 0;

	for (i = 0; i < l->nhide_ro; i++) {
		if (snprintf(ro, sizeof ro, "%s:ro", l->hide_ro[i]) >= (int)sizeof ro)
			return -1;
		rc |= push_prop_path(a, "TemporaryFileSystem", ro);
	}
	return rc ? -1 : 0;
}

/* The user's slice, the session's own bounds and the granted devices (PrivateDevices= keeps
 * every other node out). */
static int push_resources(struct argv *a, const struct launch *l)
{
	size_t i;
	int rc = 0;

	if (l->slice)
		rc |= push(a, "--slice=%s", l->slice);
	for (i = 0; l->res && i < RES_N; i++)
		if (!resources_on_slice(i) && l->res->v[i])
			rc |= push_prop_kv(a, resources_property(i), l->res->v[i]);
	for (i = 0; i < l->ndevices; i++)
		rc |= push_prop(a, "DeviceAllow=%s rw", l->devices[i]) |
		      push_prop_path(a, "BindPaths", l->devices[i]);
	return rc ? -1 : 0;
}

static const char *const term_names[] = {
	"COLORTERM", "TERM_PROGRAM", "TERM_PROGRAM_VERSION", "NO_COLOR", "LANG", "LANGUAGE",
	"LC_ALL", "LC_CTYPE", "LC_COLLATE", "LC_MESSAGES", "LC_MONETARY", "LC_NUMERIC", "LC_TIME",
	"LC_ADDRESS", "LC_IDENTIFICATION", "LC_MEASUREMENT", "LC_NAME", "LC_PAPER", "LC_TELEPHONE",
};

int sandbox_term_var(const char *assignment)
{
	const char *eq = strchr(assignment, '='), *p;
	size_t i, len;

	if (!eq || !eq[1] || strlen(eq + 1) > 64)
		return 0;
	for (p = eq + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      strchr("._+-@:,", *p)))
			return 0;
	len = (size_t)(eq - assignment);
	for (i = 0; i < sizeof term_names / sizeof *term_names; i++)
		if (strlen(term_names[i]) == len && !memcmp(term_names[i], assignment, len))
			return 1;
	return 0;
}

/* --description=pi agent of <user> in <cwd> (a transient unit's description is taken as
 * given: systemd expands no specifier in it). */
static int push_description(struct argv *a, const struct launch *l)
{
	return push(a, "--description=pi agent of %s in %s", l->host_user, l->cwd);
}

/* -p InaccessiblePaths=-"<path>": '-' because a path missing in the unit is no error */
static int push_inaccessible(struct argv *a, const char *path)
{
	char q[2 * 4096 + 3];

	if (sandbox_quote_path(path, q, sizeof q) < 0)
		return -1;
	return push(a, "-p") < 0 ? -1 : push(a, "InaccessiblePaths=-%s", q);
}

static int push_identity(const struct launch *l, struct argv *a)
{
	const struct config *c = l->c;
	char path[8192];
	size_t i;
	int rc = 0;

	rc |= push(a, "%s", c->systemd_run_path);
	rc |= push(a, "--wait");
	rc |= push(a, l->pty ? "--pty" : "--pipe");
	rc |= push(a, "--service-type=exec");
	rc |= push(a, "--quiet");
	if (l->unit)
		rc |= push(a, "--unit=%s", l->unit);
	rc |= push_description(a, l);
	rc |= push_prop(a, "User=%s", l->agent_user);
	rc |= push_prop(a, "Group=%s", l->agent_group);
	rc |= push_prop(a, "WorkingDirectory=%s", l->cwd);
	for (i = 0; i < sizeof seed_properties / sizeof *seed_properties; i++)
		rc |= push_prop(a, "%s", seed_properties[i]);
	/* idmapped roots: what the agent makes is the user's, with the user's usual modes */
	rc |= push_prop(a, "UMask=%s", l->idmapped ? "0022" : "0007");
	for (i = 0; i < sizeof hardening_properties / sizeof *hardening_properties; i++)
		rc |= push_prop(a, "%s", hardening_properties[i]);
	/* allowlist: a namespace with only loopback, where the proxy listens (netns.c) */
	if (l->netns)
		rc |= push_prop(a, "PrivateNetwork=%s", "yes") |
		      push_prop(a, "NetworkNamespacePath=%s", l->netns) |
		      push_prop(a, "IPAddressDeny=%s", "any") |
		      push_prop(a, "IPAddressAllow=%s", "localhost");
	/* ... and no host service that looks names up or sends for the caller: a way out too */
	for (i = 0; l->netns && i < sizeof name_services / sizeof *name_services; i++)
		rc |= push_prop(a, "InaccessiblePaths=-%s", name_services[i]);
	rc |= push_prop_path(a, "TemporaryFileSystem", c->state_dir);
	rc |= push_prop_path(a, "BindPaths", l->home);
	rc |= push_prop_path(a, "InaccessiblePaths", l->runtime_dir);
	rc |= push_prop(a, "EnvironmentFile=%s", l->host_env_file);
	rc |= push_prop(a, "EnvironmentFile=%s", l->env_file);
	for (i = 0; i < c->environment_files.n; i++)
		rc |= push(a, "-p") < 0 ? -1 : push(a, "EnvironmentFile=%s.%zu", l->env_file, i);
	if (rc || sandbox_path(c, path, sizeof path) < 0)
		return -1;
	rc |= push_env(a, "HOME", l->home);
	rc |= push_env_home(a, "PI_HOME", l->home, "/.pi");
	rc |= push_env_home(a, "PI_CODING_AGENT_DIR", l->home, "/.pi/agent");
	rc |= push_env(a, "MESSAGING_CWD", l->cwd);
	rc |= push_env(a, "PATH", path);
	rc |= push_env_home(a, "NPM_CONFIG_CACHE", l->home, "/.npm");
	rc |= push_env_home(a, "NPM_CONFIG_PREFIX", l->home, "/.npm-global");
	/* Node's compile cache (enableCompileCache) would go to the unit's new PrivateTmp */
	rc |= push_env_home(a, "NODE_COMPILE_CACHE", l->home, "/.cache/node-compile-cache");
	rc |= push_env(a, "PI_AGENT_INVOKING_USER", l->host_user);
	/* the projects belong to the host user: without this, git refuses them to the agent */
	rc |= push_env(a, "GIT_CONFIG_COUNT", "1");
	rc |= push_env(a, "GIT_CONFIG_KEY_0", "safe.directory");
	rc |= push_env(a, "GIT_CONFIG_VALUE_0", "*");
	if (l->pty && l->term)
		rc |= push_env(a, "TERM", l->term);
	for (i = 0; i < l->nterm_vars; i++)
		if (sandbox_term_var(l->term_vars[i]))
			rc |= push(a, "-E") | push(a, "%s", l->term_vars[i]);
	return rc ? -1 : 0;
}

int sandbox_argv(const struct launch *l, struct argv *a)
{
	const struct config *c = l->c;
	size_t i;
	int rc;

	memset(a, 0, sizeof *a);
	if (!l->agent_group) {
		errno = EINVAL;
		return -1;
	}
	rc = push_identity(l, a);
	if (c->project_group && !l->idmapped)
		rc |= push_prop(a, "SupplementaryGroups=%s", c->project_group);
	for (i = 0; i < l->nhidden; i++)
		rc |= push_prop_path(a, "TemporaryFileSystem", l->hidden[i]);
	for (i = 0; i < l->nroots; i++)
		rc |= l->bind_from ? push_bind(a, l->bind_from[i], l->roots[i]) :
				     push_prop_path(a, "BindPaths", l->roots[i]);
	for (i = 0; i < l->nothers; i++)
		rc |= push_inaccessible(a, l->others[i]);
	rc |= push_project(a, l);
	rc |= push_resources(a, l);
	for (i = 0; i < c->limits.n; i++)
		rc |= push_prop_kv(a, c->limits.v[i].key, c->limits.v[i].value);
	for (i = 0; i < c->extra_properties.n; i++)
		rc |= push_prop(a, "%s", c->extra_properties.v[i]);
	for (i = 0; i < c->extra_environment.n; i++)
		rc |= push_env(a, c->extra_environment.v[i].key, c->extra_environment.v[i].value);
	/* our own main process: the agent's exit status or 128+N, its Ctrl-Z (agentinit.c);
	 * it exits 137 on the agent's OOM kill, which systemd must not turn into a stop */
	if (l->init)
		rc |= push_prop(a, "%s", "OOMPolicy=continue") | push(a, "%s", l->init) |
		      (l->suspend ? push_suspend(a, l->home) : 0);
	for (i = 0; l->init && i < l->ninit_checks; i++)
		rc |= push_arg(a, l->init_checks[i]);
	rc |= push(a, "%s", l->agent_bin);
	for (i = 0; i < c->extra_run_args.n; i++)
		rc |= push_arg(a, c->extra_run_args.v[i]);
	for (i = 0; i < l->nargs; i++)
		rc |= push_arg(a, l->args[i]);
	if (rc) {
		sandbox_argv_free(a);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}
