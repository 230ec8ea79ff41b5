// links: sandbox.c lib/resources.c
/* test_sandbox.c - unit tests for the systemd-run command line: order, quoting, env, args. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "sandbox.h"

/* Index of the first argv element equal to s at or after from, or -1. */
static int find(const struct argv *a, const char *s, int from)
{
	for (size_t i = (size_t)from; i < a->n; i++)
		if (!strcmp(a->v[i], s))
			return (int)i;
	return -1;
}

static struct config base_config(void)
{
	static char *extra_pkgs[] = { "/opt/extra" };
	static char *runtime[] = { "/usr/bin", "/bin" };
	static char *run_args[] = { "--extra", "x y" };
	static char *props[] = { "CPUWeight=50" };
	static struct kv env[] = { { "FOO", "bar baz" } };
	static struct kv lim[] = { { "MemoryMax", "4G" } };
	static char *env_files[] = { "/etc/a.env", "/etc/b.env" };
	struct config c;

	memset(&c, 0, sizeof c);
	c.user = "pi-agent";
	c.group = "pi-agent";
	c.state_dir = "/var/lib/pi-agent";
	c.package = "/opt/pi";
	c.systemd_run_path = "/usr/bin/systemd-run";
	c.extra_packages = (struct strlist){ extra_pkgs, 1 };
	c.runtime_path = (struct strlist){ runtime, 2 };
	c.extra_run_args = (struct strlist){ run_args, 2 };
	c.extra_properties = (struct strlist){ props, 1 };
	c.extra_environment = (struct kvlist){ env, 1 };
	c.limits = (struct kvlist){ lim, 1 };
	c.environment_files = (struct strlist){ env_files, 2 };
	return c;
}

/* The hardening on top of the seed's set, each one once, before the admin's extraProperties
 * (so that an admin can relax one); PrivateUsers, PrivateNetwork and ProcSubset stay off
 * (docs/HARDENING.md). */
static void check_hardening(const struct argv *a)
{
	static const char *const want[] = {
		"PrivateDevices=yes", "ProtectClock=yes", "ProtectKernelLogs=yes",
		"ProtectHostname=yes", "ProtectProc=invisible",
		"CapabilityBoundingSet=", "AmbientCapabilities=", "RemoveIPC=yes",
		"KeyringMode=private", "SystemCallArchitectures=native",
		"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
		"SystemCallFilter=@system-service", "SystemCallFilter=~@privileged @resources",
		"SystemCallFilter=@chown", "SystemCallErrorNumber=EPERM",
		"MemoryDenyWriteExecute=no",
	};
	int extra = find(a, "CPUWeight=50", 0), at;

	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		at = find(a, want[i], 0);
		CHECK(at > 0 && !strcmp(a->v[at - 1], "-p"));
		CHECK(at < extra);
		CHECK(find(a, want[i], at + 1) < 0);
	}
	/* the filter's order matters: allow the set, take groups out, put @chown back */
	CHECK(find(a, "SystemCallFilter=@system-service", 0) <
	      find(a, "SystemCallFilter=~@privileged @resources", 0));
	CHECK(find(a, "SystemCallFilter=~@privileged @resources", 0) <
	      find(a, "SystemCallFilter=@chown", 0));
	CHECK(find(a, "PrivateUsers=yes", 0) < 0);
	CHECK(find(a, "PrivateNetwork=yes", 0) < 0);
	CHECK(find(a, "ProcSubset=pid", 0) < 0);
}

static void test_argv(void)
{
	struct config c = base_config();
	char *roots[] = { "/home/alice/p", "/home/alice/my project: \"x\"" };
	const char *hidden[] = { "/srv" };
	char *args[] = { "-p", "--pty", "hello world", "", "$HOME ${X} $$" };
	struct launch l = {
		.c = &c, .host_user = "alice", .agent_user = "pi-agent", .agent_group = "pi-agent",
		.home = "/var/lib/pi-agent/users/alice", .cwd = "/home/alice/p/sub",
		.env_file = "/run/pi-agent/alice.env", .runtime_dir = "/run/pi-agent",
		.host_env_file = "/run/pi-agent/alice.env.host",
		.agent_bin = "/opt/pi/bin/pi", .roots = roots, .nroots = 2, .hidden = hidden,
		.nhidden = 1, .term = "xterm", .pty = 0, .args = args, .nargs = 5,
		.unit = "pi-agent-alice-0123abcd.service",
	};
	struct argv a;
	int bin;

	CHECK(sandbox_argv(&l, &a) == 0);
	CHECK_STR(a.v[0], "/usr/bin/systemd-run");
	CHECK_STR(a.v[1], "--wait");              /* no --collect: the runner asks how it ended */
	CHECK_STR(a.v[2], "--pipe");
	CHECK(find(&a, "--collect", 0) < 0);
	CHECK(find(&a, "--pty", 0) > find(&a, "/opt/pi/bin/pi", 0));
	CHECK(find(&a, "--quiet", 0) > 0);
	CHECK(find(&a, "--unit=pi-agent-alice-0123abcd.service", 0) > 0);
	CHECK(find(&a, "User=pi-agent", 0) > 0);
	CHECK(find(&a, "Group=pi-agent", 0) > 0);
	CHECK(find(&a, "InaccessiblePaths=-\"/opt/projects/bob\"", 0) < 0);
	CHECK(find(&a, "WorkingDirectory=/home/alice/p/sub", 0) > 0);
	CHECK(find(&a, "ProtectSystem=strict", 0) > 0);
	CHECK(find(&a, "NoNewPrivileges=yes", 0) > 0);
	CHECK(find(&a, "EnvironmentFile=/run/pi-agent/alice.env", 0) >
	      find(&a, "EnvironmentFile=/run/pi-agent/alice.env.host", 0));
	CHECK(find(&a, "EnvironmentFile=/run/pi-agent/alice.env.host", 0) > 0);
	/* then one file per environmentFiles entry, in order, each on its own */
	CHECK(find(&a, "EnvironmentFile=/run/pi-agent/alice.env.0", 0) >
	      find(&a, "EnvironmentFile=/run/pi-agent/alice.env", 0));
	CHECK(find(&a, "EnvironmentFile=/run/pi-agent/alice.env.1", 0) >
	      find(&a, "EnvironmentFile=/run/pi-agent/alice.env.0", 0));
	CHECK(find(&a, "EnvironmentFile=/run/pi-agent/alice.env.2", 0) < 0);
	CHECK(!strcmp(a.v[find(&a, "EnvironmentFile=/run/pi-agent/alice.env.1", 0) - 1], "-p"));
	check_hardening(&a);
	CHECK(find(&a, "InaccessiblePaths=\"/run/pi-agent\"", 0) > 0);
	CHECK(find(&a, "TemporaryFileSystem=\"/var/lib/pi-agent\"", 0) > 0);
	CHECK(find(&a, "BindPaths=\"/var/lib/pi-agent/users/alice\"", 0) > 0);
	CHECK(find(&a, "BindPaths=\"/home/alice/p\"", 0) > 0);
	CHECK(find(&a, "BindPaths=\"/home/alice/my project: \\\"x\\\"\"", 0) > 0);
	CHECK(find(&a, "TemporaryFileSystem=\"/srv\"", 0) > 0);
	CHECK(find(&a, "HOME=/var/lib/pi-agent/users/alice", 0) > 0);
	CHECK(find(&a, "PI_HOME=/var/lib/pi-agent/users/alice/.pi", 0) > 0);
	CHECK(find(&a, "PI_CODING_AGENT_DIR=/var/lib/pi-agent/users/alice/.pi/agent", 0) > 0);
	CHECK(find(&a, "MESSAGING_CWD=/home/alice/p/sub", 0) > 0);
	CHECK(find(&a, "PATH=/opt/pi/bin:/opt/extra/bin:/usr/bin:/bin", 0) > 0);
	CHECK(find(&a, "NPM_CONFIG_CACHE=/var/lib/pi-agent/users/alice/.npm", 0) > 0);
	CHECK(find(&a, "NPM_CONFIG_PREFIX=/var/lib/pi-agent/users/alice/.npm-global", 0) > 0);
	/* Node's compile cache outlives the unit's PrivateTmp, in the agent home */
	CHECK(find(&a, "NODE_COMPILE_CACHE=/var/lib/pi-agent/users/alice/.cache/node-compile-cache", 0) > 0);
	CHECK(find(&a, "PI_AGENT_INVOKING_USER=alice", 0) > 0);
	CHECK(find(&a, "TERM=xterm", 0) < 0);
	CHECK(find(&a, "SupplementaryGroups=users", 0) < 0);
	CHECK(find(&a, "MemoryMax=4G", 0) > 0);
	CHECK(find(&a, "CPUWeight=50", 0) > 0);
	CHECK(find(&a, "FOO=bar baz", 0) > 0);
	/* every -p and -E before the agent is followed by its value */
	bin = find(&a, "/opt/pi/bin/pi", 0);
	for (size_t i = 0; i < (size_t)bin; i++)
		if (!strcmp(a.v[i], "-p") || !strcmp(a.v[i], "-E"))
			CHECK(i + 1 < a.n && strchr(a.v[i + 1], '='));
	/* the agent, then extraRunArgs, then the user's args untouched, last */
	CHECK_INT(a.n, (size_t)bin + 8);
	CHECK_STR(a.v[bin + 1], "--extra");
	CHECK_STR(a.v[bin + 2], "x y");
	CHECK_STR(a.v[bin + 3], "-p");
	CHECK_STR(a.v[bin + 4], "--pty");
	CHECK_STR(a.v[bin + 5], "hello world");
	CHECK_STR(a.v[bin + 6], "");
	/* systemd expands $ in the command line: doubled, it reaches the agent as given */
	CHECK_STR(a.v[bin + 7], "$$HOME $${X} $$$$");
	CHECK(find(&a, "GIT_CONFIG_VALUE_0=*", 0) > 0);
	CHECK(a.v[a.n] == NULL);
	sandbox_argv_free(&a);

	c.project_group = "users";
	l.pty = 1;
	CHECK(sandbox_argv(&l, &a) == 0);
	CHECK_STR(a.v[2], "--pty");
	CHECK(find(&a, "SupplementaryGroups=users", 0) > 0);
	CHECK(find(&a, "TERM=xterm", 0) > 0);
	CHECK(find(&a, "UMask=0007", 0) > 0);
	CHECK(find(&a, "UMask=0022", 0) < 0);
	sandbox_argv_free(&a);

	/* every root idmapped: the user's umask, no project group */
	l.idmapped = 1;
	CHECK(sandbox_argv(&l, &a) == 0);
	CHECK(find(&a, "UMask=0022", 0) > 0);
	CHECK(find(&a, "UMask=0007", 0) < 0);
	CHECK(find(&a, "SupplementaryGroups=users", 0) < 0);
	sandbox_argv_free(&a);

	/* network allowlist: the runner's namespace, loopback alone, before extraProperties */
	CHECK(find(&a, "NetworkNamespacePath=/proc/1/fd/9", 0) < 0);
	l.netns = "/proc/1/fd/9";
	CHECK(sandbox_argv(&l, &a) == 0);
	CHECK(find(&a, "PrivateNetwork=yes", 0) > 0);
	CHECK(find(&a, "NetworkNamespacePath=/proc/1/fd/9", 0) > 0);
	CHECK(find(&a, "IPAddressDeny=any", 0) > 0);
	CHECK(find(&a, "IPAddressAllow=localhost", 0) > 0);
	CHECK(find(&a, "IPAddressAllow=localhost", 0) < find(&a, "CPUWeight=50", 0));
	CHECK(!strcmp(a.v[find(&a, "NetworkNamespacePath=/proc/1/fd/9", 0) - 1], "-p"));
	CHECK(find(&a, "InaccessiblePaths=-/run/nscd", 0) > 0);
	CHECK(find(&a, "InaccessiblePaths=-/run/systemd/resolve", 0) > 0);
	CHECK(find(&a, "InaccessiblePaths=-/run/dbus/system_bus_socket", 0) > 0);
	sandbox_argv_free(&a);
}

/* The description names the user and the cwd (as is: systemd 252 expands no specifier in a
 * transient unit's description), never the arguments; the
 * terminal and locale variables pass only from the fixed list, with plain values. */
static void test_terminal(void)
{
	struct config c = base_config();
	char *roots[] = { "/home/alice/100% p" };
	char *args[] = { "-p", "my secret prompt" };
	char *vars[] = { "COLORTERM=truecolor", "LANG=de_DE.UTF-8", "TERM_PROGRAM=WezTerm",
			 "LC_ALL=C.UTF-8", "LD_PRELOAD=/tmp/x.so", "LANG=a b", "LC_TIME=$(id)",
			 "COLORTERMX=1", "LANGUAGE=", "NO_COLOR" };
	struct launch l = {
		.c = &c, .host_user = "alice", .agent_user = "pi-agent", .agent_group = "pi-agent",
		.home = "/var/lib/pi-agent/users/alice", .cwd = "/home/alice/100% p",
		.env_file = "/run/pi-agent/alice.env", .runtime_dir = "/run/pi-agent",
		.host_env_file = "/run/pi-agent/alice.env.host", .agent_bin = "/opt/pi/bin/pi",
		.roots = roots, .nroots = 1, .args = args, .nargs = 2, .term_vars = vars,
		.nterm_vars = 10,
	};
	struct argv a;
	size_t i;
	int bin;

	CHECK(sandbox_argv(&l, &a) == 0);
	bin = find(&a, "/opt/pi/bin/pi", 0);
	CHECK(find(&a, "--description=pi agent of alice in /home/alice/100% p", 0) > 0);
	CHECK(find(&a, "--description=pi agent of alice in /home/alice/100% p", 0) < bin);
	for (i = 0; i < (size_t)bin; i++)
		CHECK(!strstr(a.v[i], "secret"));
	for (i = 0; i < 4; i++) {
		CHECK(find(&a, vars[i], 0) > 0 && find(&a, vars[i], 0) < bin);
		CHECK_STR(a.v[find(&a, vars[i], 0) - 1], "-E");
	}
	for (i = 4; i < 10; i++)
		CHECK(find(&a, vars[i], 0) < 0);
	sandbox_argv_free(&a);
	CHECK(sandbox_term_var("TERM_PROGRAM_VERSION=3.5.0-beta+1"));
	CHECK(!sandbox_term_var("TERM=xterm"));     /* TERM has its own rule: --pty only */
	CHECK(!sandbox_term_var("LANG=en_US.UTF-8\nEVIL=1"));
	CHECK(!sandbox_term_var("LANG=x'y"));
	CHECK(!sandbox_term_var("LANG=12345678901234567890123456789012345678901234567890123456789012345"));
	CHECK(sandbox_term_var("LANG=1234567890123456789012345678901234567890123456789012345678901234"));
}

/* The unit's Group= is the agent account's own group, not the config's shared one; other host
 * users' roots come as InaccessiblePaths=-"…", quoted, each once, after the binds. */
static void test_others(void)
{
	struct config c = base_config();
	char *roots[] = { "/opt/projects/alice" };
	char *others[] = { "/opt/projects/bob", "/srv/x y:\"z\"\\", "/opt/a$b c" };
	struct launch l = {
		.c = &c, .host_user = "alice", .agent_user = "pi-agent-alice",
		.agent_group = "pi-agent-alice", .home = "/var/lib/pi-agent/users/alice",
		.cwd = "/opt/projects/alice", .env_file = "/run/pi-agent/alice.env",
		.host_env_file = "/run/pi-agent/alice.env.host", .runtime_dir = "/run/pi-agent",
		.agent_bin = "/opt/pi/bin/pi", .roots = roots, .nroots = 1,
		.others = others, .nothers = 3,
	};
	struct argv a;
	int at, bind, n = 0;

	CHECK(sandbox_argv(&l, &a) == 0);
	CHECK(find(&a, "Group=pi-agent-alice", 0) > 0);
	CHECK(find(&a, "Group=pi-agent", 0) < 0);
	bind = find(&a, "BindPaths=\"/opt/projects/alice\"", 0);
	CHECK(bind > 0);
	at = find(&a, "InaccessiblePaths=-\"/opt/projects/bob\"", 0);
	CHECK(at > bind && !strcmp(a.v[at - 1], "-p"));
	CHECK(find(&a, "InaccessiblePaths=-\"/opt/projects/bob\"", at + 1) < 0);
	/* systemd unquotes "…" with \\ and \" escapes: the path comes back byte for byte */
	CHECK(find(&a, "InaccessiblePaths=-\"/srv/x y:\\\"z\\\"\\\\\"", 0) > at);
	CHECK(find(&a, "InaccessiblePaths=-\"/opt/a$b c\"", 0) > at);
	CHECK(find(&a, "InaccessiblePaths=\"/run/pi-agent\"", 0) > 0);
	for (size_t i = 0; i < a.n; i++)
		n += !strncmp(a.v[i], "InaccessiblePaths=-", 19);
	CHECK_INT(n, 3);
	CHECK(find(&a, "/opt/pi/bin/pi", 0) > find(&a, "InaccessiblePaths=-\"/opt/a$b c\"", 0));
	sandbox_argv_free(&a);

	/* no Group= to give the unit: refused, nothing built */
	l.agent_group = NULL;
	CHECK(sandbox_argv(&l, &a) == -1 && errno == EINVAL && a.v == NULL);
}

/* projectConfig: a hidden dir outside the roots (those inside are covered in the staged
 * roots, cover.c) an empty read-only tmpfs, quoted; nothing binds the merged settings by
 * path; all before the agent, whose arguments come as given. */
static void test_project(void)
{
	struct config c = base_config();
	char *roots[] = { "/home/alice/p" };
	char *hide[] = { "/opt/x \"b\"/.agents", "/opt/.agents" };
	char *args[] = { "-a", "-na", "-na" };
	struct launch l = {
		.c = &c, .host_user = "alice", .agent_user = "pi-agent", .agent_group = "pi-agent",
		.home = "/var/lib/pi-agent/users/alice", .cwd = "/home/alice/p/a",
		.env_file = "/run/pi-agent/alice.env", .runtime_dir = "/run/pi-agent",
		.host_env_file = "/run/pi-agent/alice.host.env", .agent_bin = "/opt/pi/bin/pi",
		.roots = roots, .nroots = 1, .args = args, .nargs = 3,
		.hide_ro = hide, .nhide_ro = 2,
	};
	struct argv a;
	int bin, at;

	CHECK(sandbox_argv(&l, &a) == 0);
	bin = find(&a, "/opt/pi/bin/pi", 0);
	at = find(&a, "TemporaryFileSystem=\"/opt/x \\\"b\\\"/.agents:ro\"", 0);
	CHECK(at > 0 && at < bin && !strcmp(a.v[at - 1], "-p"));
	at = find(&a, "TemporaryFileSystem=\"/opt/.agents:ro\"", 0);
	CHECK(at > 0 && at < bin && !strcmp(a.v[at - 1], "-p"));
	CHECK_INT(a.n, (size_t)bin + 6);
	CHECK_STR(a.v[bin + 3], "-a");
	CHECK_STR(a.v[bin + 5], "-na");
	for (size_t i = 0; i < a.n; i++)
		CHECK(!strstr(a.v[i], "BindReadOnlyPaths") && !strstr(a.v[i], "settings.json"));
	sandbox_argv_free(&a);

	/* allow, or everything inside the roots: none of it */
	l.nhide_ro = 0;
	CHECK(sandbox_argv(&l, &a) == 0);
	for (size_t i = 0; i < a.n; i++)
		CHECK(!strstr(a.v[i], "BindReadOnlyPaths") && !strstr(a.v[i], ":ro\""));
	sandbox_argv_free(&a);
}

static void test_quote(void)
{
	char out[64];

	CHECK(sandbox_quote_path("/a b:c", out, sizeof out) == 0);
	CHECK_STR(out, "\"/a b:c\"");
	CHECK(sandbox_quote_path("/a\\\"", out, sizeof out) == 0);
	CHECK_STR(out, "\"/a\\\\\\\"\"");
	CHECK(sandbox_quote_path("/0123456789012345678901234567890123456789", out, 20) == -1);
}

/* The value systemd 252's env-file parser (src/basic/env-file.c) reads from one line written
 * by sandbox_env_line: a bare value, or one in double quotes where a backslash before one of
 * " \\ ` $ gives that character, before a newline nothing, before anything else both. */
static const char *read_back(const char *line, const char *name)
{
	static char out[256];
	size_t j = 0, nl = strlen(name);
	const char *p = line + nl + 1;

	if (strncmp(line, name, nl) || line[nl] != '=')
		return "(wrong name)";
	if (*p != '"') {
		j = strcspn(p, "\n");
		memcpy(out, p, j);
		out[j] = '\0';
		return p[j] == '\n' && !p[j + 1] ? out : "(not one line)";
	}
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1] && strchr("\"\\`$", p[1]))
			p++;
		else if (*p == '\\' && p[1] == '\n') {
			p++;
			continue;
		}
		out[j++] = *p;
	}
	out[j] = '\0';
	return *p == '"' && p[1] == '\n' && !p[2] ? out : "(unterminated)";
}

static void test_env_line(void)
{
	static const char *const values[] = {
		"plain", "", "trailing\\", "\"lead", "trail\"", "'single'", "$VAR", "${VAR}",
		"`id`", "a#b", "#start", "a;b", ";", "  lead", "trail  ", "\ttab\t", "line\nnext",
		"x\\\nnext", "a=b=c", "caf\xc3\xa9 \xe2\x82\xac", "\\\"", "back\\slash", "cr\rx",
	};
	char *line;

	line = sandbox_env_line("A", "plain/value:1,2@x%+.-_=");
	CHECK_STR(line, "A=plain/value:1,2@x%+.-_=\n");
	free(line);
	line = sandbox_env_line("A", "");
	CHECK_STR(line, "A=\n");
	free(line);
	line = sandbox_env_line("A", "a\\\"`$b c");
	CHECK_STR(line, "A=\"a\\\\\\\"\\`\\$b c\"\n");
	free(line);
	line = sandbox_env_line("SECRET_1", "x\ny");
	CHECK_STR(line, "SECRET_1=\"x\ny\"\n");
	free(line);
	for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
		line = sandbox_env_line("NAME", values[i]);
		CHECK(line != NULL);
		CHECK_STR(read_back(line, "NAME"), values[i]);
		free(line);
	}
}

static void test_path(void)
{
	struct config c = base_config();
	char out[64];

	CHECK(sandbox_path(&c, out, sizeof out) == 0);
	CHECK_STR(out, "/opt/pi/bin:/opt/extra/bin:/usr/bin:/bin");
	CHECK(sandbox_path(&c, out, 40) == -1);
}

/* The unit's main process is pi-agent-init [--suspend=<agent home>] right before the agent's
 * path, with OOMPolicy=continue (its 137 for an OOM-killed agent must reach pi); none of it
 * without init. */
static void test_init(void)
{
	struct config c = base_config();
	char *args[] = { "--agent-init", "x" };
	char *checks[] = { "--cover=1:2:/home/alice/p$x/.pi/settings.json",
			   "--hidden=/home/alice/p/.pi/extensions" };
	struct launch l = {
		.c = &c, .host_user = "alice", .agent_user = "pi-agent", .agent_group = "pi-agent",
		.home = "/var/lib/pi-agent/users/alice", .cwd = "/home/alice/p",
		.env_file = "/run/pi-agent/alice.env", .runtime_dir = "/run/pi-agent",
		.host_env_file = "/run/pi-agent/alice.env.host", .agent_bin = "/opt/pi/bin/pi",
		.init = "/usr/local/bin/pi-agent-init", .suspend = 1, .args = args, .nargs = 2,
	};
	struct argv a;
	int bin;

	CHECK(sandbox_argv(&l, &a) == 0);
	bin = find(&a, "/opt/pi/bin/pi", 0);
	CHECK(bin > 2);
	CHECK_STR(a.v[bin - 2], "/usr/local/bin/pi-agent-init");
	CHECK_STR(a.v[bin - 1], "--suspend=/var/lib/pi-agent/users/alice");
	CHECK(find(&a, "OOMPolicy=continue", 0) > 0);
	CHECK(find(&a, "OOMPolicy=continue", 0) < bin - 2);
	CHECK_STR(a.v[bin + 3], "--agent-init"); /* the user's own argument, after extraRunArgs */
	sandbox_argv_free(&a);
	l.suspend = 0;
	CHECK(sandbox_argv(&l, &a) == 0);
	bin = find(&a, "/opt/pi/bin/pi", 0);
	CHECK_STR(a.v[bin - 1], "/usr/local/bin/pi-agent-init");
	CHECK(find(&a, "--suspend=/var/lib/pi-agent/users/alice", 0) < 0);
	sandbox_argv_free(&a);
	/* the covers it checks, between it and the agent, each $ doubled for systemd */
	l.init_checks = checks;
	l.ninit_checks = 2;
	CHECK(sandbox_argv(&l, &a) == 0);
	bin = find(&a, "/opt/pi/bin/pi", 0);
	CHECK_STR(a.v[bin - 3], "/usr/local/bin/pi-agent-init");
	CHECK_STR(a.v[bin - 2], "--cover=1:2:/home/alice/p$$x/.pi/settings.json");
	CHECK_STR(a.v[bin - 1], "--hidden=/home/alice/p/.pi/extensions");
	sandbox_argv_free(&a);
	l.init = NULL;
	CHECK(sandbox_argv(&l, &a) == 0);
	CHECK(find(&a, "/usr/local/bin/pi-agent-init", 0) < 0);
	CHECK(find(&a, "--hidden=/home/alice/p/.pi/extensions", 0) < 0);
	CHECK(find(&a, "OOMPolicy=continue", 0) < 0);
	sandbox_argv_free(&a);
}

/* resources: the user's slice by --slice=, runtimeMaxSec on the unit (the slice's keys are
 * set on the slice, never here), each device allowed and its node bound, PrivateDevices= kept;
 * none of it without a slice, resources or devices. */
static void test_resources(void)
{
	struct config c = base_config();
	struct resources res = { { 0 } };
	char *devices[] = { "/dev/nvidia0", "/dev/dri/renderD128" };
	struct launch l = {
		.c = &c, .host_user = "john-doe", .agent_user = "pi-agent", .agent_group = "pi-agent",
		.home = "/var/lib/pi-agent/users/john-doe", .cwd = "/home/john-doe",
		.env_file = "/run/pi-agent/john-doe.env", .runtime_dir = "/run/pi-agent",
		.host_env_file = "/run/pi-agent/john-doe.env.host", .agent_bin = "/opt/pi/bin/pi",
	};
	struct argv a;
	int bin, at;

	CHECK(sandbox_argv(&l, &a) == 0);
	for (size_t i = 0; i < a.n; i++)
		CHECK(strncmp(a.v[i], "--slice", 7) && strncmp(a.v[i], "DeviceAllow", 11) &&
		      strncmp(a.v[i], "RuntimeMaxSec", 13));
	sandbox_argv_free(&a);
	res.v[RES_MEMORY_MAX] = "8G", res.v[RES_CPU_WEIGHT] = "100", res.v[RES_RUNTIME_MAX_SEC] = "8h";
	l.slice = "pi-agent-john\\x2ddoe.slice", l.res = &res, l.devices = devices, l.ndevices = 2;
	CHECK(sandbox_argv(&l, &a) == 0);
	bin = find(&a, "/opt/pi/bin/pi", 0);
	at = find(&a, "--slice=pi-agent-john\\x2ddoe.slice", 0);
	CHECK(at > 0 && at < bin);
	at = find(&a, "RuntimeMaxSec=8h", 0);
	CHECK(at > 0 && at < bin && !strcmp(a.v[at - 1], "-p"));
	CHECK(find(&a, "MemoryMax=8G", 0) < 0);
	CHECK(find(&a, "CPUWeight=100", 0) < 0);
	at = find(&a, "DeviceAllow=/dev/nvidia0 rw", 0);
	CHECK(at > 0 && at < bin && !strcmp(a.v[at - 1], "-p"));
	CHECK(find(&a, "BindPaths=\"/dev/nvidia0\"", 0) > 0);
	CHECK(find(&a, "DeviceAllow=/dev/dri/renderD128 rw", 0) > at);
	CHECK(find(&a, "BindPaths=\"/dev/dri/renderD128\"", 0) > at);
	CHECK(find(&a, "PrivateDevices=yes", 0) > 0);
	sandbox_argv_free(&a);
}

int main(void)
{
	test_argv();
	test_init();
	test_terminal();
	test_others();
	test_quote();
	test_env_line();
	test_project();
	test_path();
	test_resources();
	return check_done("sandbox");
}
