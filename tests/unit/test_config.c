// links: lib/config.c lib/json.c priv/fs.c net/netpolicy.c lib/resources.c
/* test_config.c - unit tests for loading config.json: defaults, types, errors with key and position, trust. */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config.h"

static char dir[PATH_MAX];

static const char *put(const char *name, const char *text, mode_t mode)
{
	static char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	unlink(path);
	f = fopen(path, "w");
	if (!f)
		return path;
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
	return path;
}

static void test_defaults(void)
{
	struct config c;
	struct config_err e;
	const char *p = put("min.json", "{\"package\": \"/opt/pi\"}", 0644);

	CHECK(config_load(&c, p, CONFIG_TRUST_ROOT, &e) == 0);
	CHECK_STR(c.user, "pi-agent");
	CHECK_STR(c.group, "pi-agent");
	CHECK_STR(c.state_dir, "/var/lib/pi-agent");
	CHECK_STR(c.binary_name, "pi-agent");
	CHECK_STR(c.command_name, "pi");
	CHECK_STR(c.runner_name, "m3ta-pi-agent-runner");
	CHECK_STR(c.host_config_path, ".pi/agent");
	CHECK_STR(c.sudo_path, "/usr/bin/sudo");
	CHECK_STR(c.systemd_run_path, "/usr/bin/systemd-run");
	CHECK_STR(c.runner_path, PI_RUNNER_PATH);
	CHECK_INT(c.sync_config, 1);
	CHECK_INT(c.sync_max_bytes, 1073741824);
	CHECK_INT(c.sync_max_entries, 100000);
	CHECK_INT(c.nhosts, 0);
	CHECK_INT(c.settings, -1);
	CHECK(c.project_group == NULL);
	CHECK_INT(c.runtime_path.n, 3);
	config_free(&c);
}

static const char full[] =
	"{\n"
	"  \"user\": \"agent\", \"group\": \"agents\", \"stateDir\": \"/var/lib/pa\",\n"
	"  \"package\": \"/opt/pi\", \"binaryName\": \"pi\",\n"
	"  \"hostUsers\": {\n"
	"    \"alice\": {\"projectRoots\": [\"~/p\", \"/srv/a\"], \"configPath\": null},\n"
	"    \"bob\": {\"projectRoots\": [\"work\"], \"configPath\": \"/etc/bob\", \"agentUser\": \"pi-bob\"}\n"
	"  },\n"
	"  \"settings\": {\"a\": {\"b\": 1}},\n"
	"  \"environment\": {\"A\": \"1\", \"B_2\": \"x y\"},\n"
	"  \"environmentFiles\": [\"/run/secrets/pi\"],\n"
	"  \"extraPackages\": [\"/opt/x\"], \"runtimePath\": [\"/usr/bin\"],\n"
	"  \"projectGroup\": \"users\", \"projectAccess\": \"group\",\n"
	"  \"runnerPath\": \"/usr/bin/pi-runner\",\n"
	"  \"sudoPath\": \"/usr/bin/sudo\", \"systemdRunPath\": \"/bin/systemd-run\",\n"
	"  \"resourceLimits\": {\"MemoryMax\": \"4G\", \"CPUQuota\": null, \"TasksMax\": \"100\"},\n"
	"  \"wrapper\": {\"commandName\": \"pi-safe\", \"runnerName\": \"pi-run\",\n"
	"    \"syncConfigFromHost\": false, \"hostConfigPath\": \".config/pi\",\n"
	"    \"syncMaxBytes\": 9223372036854775807, \"syncMaxEntries\": 1,\n"
	"    \"extraRunArgs\": [\"--x\", \"\"], \"extraEnvironment\": {\"E\": \"v\"},\n"
	"    \"extraProperties\": [\"CPUWeight=20\"]}\n"
	"}\n";

static void test_full(void)
{
	struct config c;
	struct config_err e;
	const struct host_user *h;

	CHECK(config_load(&c, put("full.json", full, 0644), CONFIG_TRUST_ROOT, &e) == 0);
	CHECK_STR(c.user, "agent");
	CHECK_STR(c.state_dir, "/var/lib/pa");
	CHECK_INT(c.nhosts, 2);
	h = config_host(&c, "alice");
	CHECK(h && h->roots.n == 2 && h->config_path == NULL);
	CHECK_STR(config_agent_user(&c, h), "agent");
	h = config_host(&c, "bob");
	CHECK(h && !strcmp(h->config_path, "/etc/bob"));
	CHECK_STR(config_agent_user(&c, h), "pi-bob");
	CHECK(config_host(&c, "carol") == NULL);
	CHECK(c.settings > 0);
	CHECK_INT(c.environment.n, 2);
	CHECK_STR(c.environment.v[1].value, "x y");
	CHECK_STR(c.project_group, "users");
	CHECK_STR(c.project_access, "group");
	CHECK_INT(config_idmap(&c), 0);
	CHECK_INT(c.limits.n, 2);
	CHECK_STR(c.limits.v[1].key, "TasksMax");
	CHECK_STR(c.command_name, "pi-safe");
	CHECK_INT(c.sync_config, 0);
	CHECK(c.sync_max_bytes == 9223372036854775807ULL);
	CHECK_INT(c.sync_max_entries, 1);
	CHECK_INT(c.extra_run_args.n, 2);
	CHECK_STR(c.extra_run_args.v[1], "");
	CHECK_STR(c.extra_environment.v[0].key, "E");
	CHECK_STR(c.extra_properties.v[0], "CPUWeight=20");
	config_free(&c);
}

/* An `environment` value is anything systemd carries in an env file: newlines, control
 * characters, quotes, backslashes, every valid code point that is not a noncharacter. */
static void test_env_values(void)
{
	struct config c;
	struct config_err e;

	CHECK(config_load(&c, put("env.json", "{\"package\": \"/p\", \"environment\": {"
				  "\"A\": \"x\\ny\\r\\t\\u0001\\u001f\\u007f\\\\\\\"'`$\", "
				  "\"B\": \"\\ufffd\\ufdcf\\ufdf0\\udbff\\udffd\xc3\xa9\"}}", 0644),
			  CONFIG_TRUST_ROOT, &e) == 0);
	CHECK_STR(c.environment.v[0].value, "x\ny\r\t\001\037\177\\\"'`$");
	CHECK_STR(c.environment.v[1].value, "\xef\xbf\xbd\xef\xb7\x8f\xef\xb7\xb0\xf4\x8f\xbf\xbd"
		  "\xc3\xa9");
	config_free(&c);
}

/* Loading text must fail naming key with msg containing want, at line/col when given. */
static void bad(const char *text, const char *key, const char *want, int line, int col)
{
	struct config c;
	struct config_err e;

	CHECK(config_load(&c, put("bad.json", text, 0644), CONFIG_TRUST_ROOT, &e) == -1);
	CHECK_STR(e.key, key);
	if (!strstr(e.msg, want)) {
		check_failed++;
		fprintf(stderr, "for %s: message '%s' lacks '%s'\n", text, e.msg, want);
	}
	if (line) {
		CHECK_INT(e.line, line);
		CHECK_INT(e.col, col);
	}
	config_free(&c);
}

static void test_errors(void)
{
	bad("{}", "package", "required", 0, 0);
	bad("{\"package\": \"/p\", \"usr\": 1}", "usr", "unknown key; did you mean user?", 1, 19);
	bad("{\"package\": \"p\"}", "package", "absolute", 1, 13);
	bad("{\"package\": \"/p/../q\"}", "package", "absolute", 0, 0);
	bad("{\"package\": \"/p//q\"}", "package", "absolute", 0, 0);
	bad("{\"package\": \"/p\",\n \"user\": 5}", "user", "must be a string, not a number", 2, 10);
	bad("{\"package\": \"/p\", \"user\": \"a b\"}", "user", "not a valid user", 0, 0);
	bad("{\"package\": \"/p\", \"user\": \"\"}", "user", "empty", 0, 0);
	bad("{\"package\": \"/p\", \"hostUsers\": {\"ALL\": {\"projectRoots\": [\"~/p\"]}}}",
	    "hostUsers", "sudoers alias", 0, 0);
	bad("{\"package\": \"/p\", \"user\": \"ADMINS_2\"}", "user", "sudoers alias", 0, 0);
	bad("{\"package\": \"/p\", \"hostUsers\": {\"a\": {\"projectRoots\": \"~/p\"}}}",
	    "hostUsers.a.projectRoots", "must be an array", 0, 0);
	bad("{\"package\": \"/p\", \"hostUsers\": {\"a\": {\"roots\": []}}}",
	    "hostUsers.a.roots", "unknown key; did you mean projectRoots?", 0, 0);
	bad("{\"package\": \"/p\", \"hostUsers\": {\"a\": {\"projectRoots\": [\"x\\ny\"]}}}",
	    "hostUsers.a.projectRoots[0]", "control", 0, 0);
	bad("{\"package\": \"/p\", \"hostUsers\": {\"a\": {\"projectRoots\": [\"x\\u0000\"]}}}",
	    "hostUsers.a.projectRoots[0]", "NUL", 0, 0);
	bad("{\"package\": \"/p\", \"environment\": {\"A=B\": \"1\"}}", "environment.A=B",
	    "environment variable name", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"extraEnvironment\": {\"A\": \"1\\n2\"}}}",
	    "wrapper.extraEnvironment.A", "newlines", 0, 0);
	/* what systemd refuses in an env file (the unit would not start): noncharacters */
	bad("{\"package\": \"/p\", \"environment\": {\"A\": \"x\\ufdd0\"}}", "environment.A",
	    "noncharacter", 0, 0);
	bad("{\"package\": \"/p\", \"environment\": {\"A\": \"\\uffff\"}}", "environment.A",
	    "noncharacter", 0, 0);
	bad("{\"package\": \"/p\", \"environment\": {\"A\": \"\\ud83f\\udffe\"}}", "environment.A",
	    "noncharacter", 0, 0);
	bad("{\"package\": \"/p\", \"environment\": {\"A\": \"\xf4\x8f\xbf\xbf\"}}",
	    "environment.A", "noncharacter", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"extraEnvironment\": {\"A\": \"\\ufdef\"}}}",
	    "wrapper.extraEnvironment.A", "noncharacter", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"extraProperties\": [\"nope\"]}}",
	    "wrapper.extraProperties[0]", "Name=value", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"commandName\": \"a/b\"}}",
	    "wrapper.commandName", "without '/'", 0, 0);
	/* names that reach a sudoers line, a path and pi.c's table */
	bad("{\"package\": \"/p\", \"wrapper\": {\"runnerName\": \"runner, ALL\"}}",
	    "wrapper.runnerName", "plain file name", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"commandName\": \"-pi\"}}",
	    "wrapper.commandName", "plain file name", 0, 0);
	bad("{\"package\": \"/p\", \"binaryName\": \"pi agent\"}", "binaryName", "plain file name",
	    0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"commandName\": \"pi-agent-init\"}}",
	    "wrapper.commandName", "'pi-agent-init' is a name the launcher answers to itself", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"runnerName\": \"pi-proxy\"}}",
	    "wrapper.runnerName", "'pi-proxy' is a name the launcher answers to itself", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"commandName\": \"p\", \"runnerName\": \"pi\"}}",
	    "wrapper.runnerName", "'pi' is a name the launcher answers to itself", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"commandName\": \"x\", \"runnerName\": \"x\"}}",
	    "wrapper.runnerName", "must differ from wrapper.commandName", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"syncConfigFromHost\": \"yes\"}}",
	    "wrapper.syncConfigFromHost", "boolean", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"syncMaxBytes\": \"1G\"}}",
	    "wrapper.syncMaxBytes", "must be a number, not a string", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"syncMaxBytes\": 0}}",
	    "wrapper.syncMaxBytes", "positive integer", 1, 47);
	bad("{\"package\": \"/p\", \"wrapper\": {\"syncMaxBytes\": -1}}",
	    "wrapper.syncMaxBytes", "positive integer", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"syncMaxEntries\": 1.5}}",
	    "wrapper.syncMaxEntries", "positive integer", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"syncMaxEntries\": 1e5}}",
	    "wrapper.syncMaxEntries", "positive integer", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"syncMaxEntries\": 100000.0}}",
	    "wrapper.syncMaxEntries", "positive integer", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"syncMaxBytes\": 9223372036854775808}}",
	    "wrapper.syncMaxBytes", "at most 9223372036854775807", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"syncMaxBytes\": 100000000000000000000000}}",
	    "wrapper.syncMaxBytes", "at most", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"syncMaxBytes\": 1, \"syncMaxBytes\": 2}}",
	    "wrapper.syncMaxBytes", "duplicate", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"syncMaxFiles\": 2}}",
	    "wrapper.syncMaxFiles", "unknown key (known: commandName, runnerName, "
	    "syncConfigFromHost, syncMaxBytes, syncMaxEntries, hostConfigPath, extraRunArgs, "
	    "extraEnvironment, extraProperties)", 0, 0);
	bad("{\"package\": \"/p\", \"extraPackages\": [\"/a:b\"]}", "extraPackages[0]", "':'", 0, 0);
	bad("{\"package\": \"/p\", \"resourceLimits\": {\"Memory\": \"1G\"}}",
	    "resourceLimits.Memory", "unknown key; did you mean MemoryMax?", 0, 0);
	bad("{\"package\": \"/p\", \"settings\": []}", "settings", "must be an object", 0, 0);
	bad("{\"package\": \"/p\", \"package\": \"/q\"}", "package", "duplicate", 1, 19);
	bad("{\"package\": \"/p\",}", "", "", 1, 18);
	bad("[]", "(top level)", "must be an object", 0, 0);
	bad("{\"package\": \"/p\", \"projectAccess\": \"idmapped\"}", "projectAccess",
	    "must be \"idmap\" or \"group\"", 1, 36);
	bad("{\"package\": \"/p\", \"projectAccess\": null}", "projectAccess", "must be a string",
	    0, 0);
}

/* An unknown key is named in full, with the nearest known key of its own object when one is
 * near (a case slip, a few edits, a part of it), else with the keys that object knows. */
static void test_unknown_keys(void)
{
	bad("{\"package\": \"/p\", \"hostUsers\": {\"alice\": {\"projectRoot\": [\"~/p\"]}}}",
	    "hostUsers.alice.projectRoot", "unknown key; did you mean projectRoots?", 1, 43);
	bad("{\"package\": \"/p\", \"hostUsers\": {\"alice\": {\"agentuser\": \"x\"}}}",
	    "hostUsers.alice.agentuser", "unknown key; did you mean agentUser?", 0, 0);
	bad("{\"package\": \"/p\", \"hostUsers\": {\"alice\": {\"netwrok\": {}}}}",
	    "hostUsers.alice.netwrok", "unknown key; did you mean network?", 0, 0);
	bad("{\"package\": \"/p\", \"hostUsers\": {\"alice\": {\"home\": \"/h\"}}}",
	    "hostUsers.alice.home", "unknown key (known: projectRoots, configPath, agentUser, "
	    "projectConfig, network, resources, devices)", 0, 0);
	bad("{\"package\": \"/p\", \"hostUsers\": {\"a\": {\"network\": {\"alow\": []}}}}",
	    "hostUsers.a.network.alow", "unknown key; did you mean allow?", 0, 0);
	bad("{\"package\": \"/p\", \"network\": {\"Mode\": \"open\"}}", "network.Mode",
	    "unknown key; did you mean mode?", 0, 0);
	bad("{\"Package\": \"/p\"}", "Package", "unknown key; did you mean package?", 1, 2);
	bad("{\"package\": \"/p\", \"runtimepaths\": []}", "runtimepaths",
	    "unknown key; did you mean runtimePath?", 0, 0);
	bad("{\"package\": \"/p\", \"hostUser\": {}}", "hostUser",
	    "unknown key; did you mean hostUsers?", 0, 0);
	bad("{\"package\": \"/p\", \"enviroment\": {}}", "enviroment",
	    "unknown key; did you mean environment?", 0, 0);
	bad("{\"package\": \"/p\", \"stateDirectory\": \"/s\"}", "stateDirectory",
	    "unknown key; did you mean stateDir?", 0, 0);
	bad("{\"package\": \"/p\", \"xyz\": 1}", "xyz", "unknown key (known: user, group, "
	    "stateDir, package, binaryName, hostUsers, settings, environment, environmentFiles, "
	    "extraPackages, runtimePath, projectGroup, projectAccess, projectConfig, network, resources, "
	    "proxyUser, runnerPath, sudoPath, systemdRunPath, resourceLimits, wrapper)", 0, 0);
	bad("{\"package\": \"/p\", \"wrapper\": {\"comandName\": \"x\"}}",
	    "wrapper.comandName", "unknown key; did you mean commandName?", 1, 31);
	bad("{\"package\": \"/p\", \"wrapper\": {\"extraEnv\": {}}}", "wrapper.extraEnv",
	    "unknown key; did you mean extraEnvironment?", 0, 0);
	/* "name" is part of commandName and runnerName alike: no guess */
	bad("{\"package\": \"/p\", \"wrapper\": {\"name\": \"x\"}}", "wrapper.name",
	    "unknown key (known: commandName", 0, 0);
	bad("{\"package\": \"/p\", \"resourceLimits\": {\"tasksmax\": \"9\"}}",
	    "resourceLimits.tasksmax", "unknown key; did you mean TasksMax?", 0, 0);
	bad("{\"package\": \"/p\", \"resourceLimits\": {\"IOWeight\": \"9\"}}",
	    "resourceLimits.IOWeight", "unknown key (known: MemoryMax, CPUQuota, TasksMax)", 0, 0);
	/* a control character in a key is not printed as is */
	bad("{\"package\": \"/p\", \"us\\u001ber\": 1}", "us?er", "unknown key; did you mean "
	    "user?", 0, 0);
}

/* idmap unless the file says group */
static void test_access_default(void)
{
	struct config c;
	struct config_err e;

	CHECK(config_load(&c, put("min.json", "{\"package\": \"/p\"}", 0644), CONFIG_TRUST_ROOT,
			  &e) == 0);
	CHECK_STR(c.project_access, "idmap");
	CHECK_INT(config_idmap(&c), 1);
	config_free(&c);
}

/* projectConfig: admin-wins unless set; a host user's own key replaces the top level's */
static void test_project_config(void)
{
	struct config c;
	struct config_err e;

	CHECK(config_load(&c, put("min.json", "{\"package\": \"/p\", \"hostUsers\": "
				  "{\"a\": {\"projectRoots\": []}}}", 0644), CONFIG_TRUST_ROOT, &e) == 0);
	CHECK_STR(config_project_config(&c, config_host(&c, "a")), "admin-wins");
	CHECK_STR(config_project_config(&c, NULL), "admin-wins");
	config_free(&c);
	CHECK(config_load(&c, put("pc.json", "{\"package\": \"/p\", \"projectConfig\": \"allow\", "
				  "\"hostUsers\": {\"a\": {\"projectRoots\": [], \"projectConfig\": \"deny\"}, "
				  "\"b\": {\"projectRoots\": [], \"projectConfig\": null}}}", 0644),
			  CONFIG_TRUST_ROOT, &e) == 0);
	CHECK_STR(config_project_config(&c, config_host(&c, "a")), "deny");
	CHECK_STR(config_project_config(&c, config_host(&c, "b")), "allow");
	config_free(&c);
	bad("{\"package\": \"/p\", \"projectConfig\": \"admin\"}", "projectConfig",
	    "must be \"admin-wins\", \"deny\" or \"allow\"", 1, 36);
	bad("{\"package\": \"/p\", \"projectConfig\": null}", "projectConfig", "must be a string",
	    0, 0);
	bad("{\"package\": \"/p\", \"hostUsers\": {\"a\": {\"projectConfig\": \"yes\"}}}",
	    "hostUsers.a.projectConfig", "must be \"admin-wins\"", 0, 0);
	bad("{\"package\": \"/p\", \"hostUsers\": {\"a\": {\"projectConfig\": \"deny\", "
	    "\"projectConfig\": \"allow\"}}}", "hostUsers.a.projectConfig", "duplicate", 0, 0);
}

static void test_trust(void)
{
	struct config c;
	struct config_err e;
	const char *p;
	char sub[PATH_MAX], link[PATH_MAX];

	p = put("gw.json", "{\"package\": \"/p\"}", 0664);
	CHECK(config_load(&c, p, CONFIG_TRUST_ROOT, &e) == -1);
	CHECK(strstr(e.msg, "writable by group") != NULL);
	config_free(&c);
	CHECK(config_load(&c, p, CONFIG_TRUST_ANY, &e) == 0);
	config_free(&c);

	p = put("user.json", "{\"package\": \"/p\"}", 0644);
	CHECK(chown(p, 65534, 65534) == 0);
	CHECK(config_load(&c, p, CONFIG_TRUST_ROOT, &e) == -1);
	CHECK(strstr(e.msg, "not owned by root") != NULL);
	config_free(&c);

	/* a root-owned link to a user's file is refused: the file is what counts */
	snprintf(link, sizeof link, "%s/link.json", dir);
	CHECK(symlink(p, link) == 0);
	CHECK(config_load(&c, link, CONFIG_TRUST_ROOT, &e) == -1);
	config_free(&c);

	/* a file in a directory a user can write is refused */
	snprintf(sub, sizeof sub, "%s/userdir", dir);
	mkdir(sub, 0755);
	CHECK(chown(sub, 65534, 65534) == 0);
	snprintf(sub, sizeof sub, "%s/userdir/c.json", dir);
	p = put("userdir/c.json", "{\"package\": \"/p\"}", 0644);
	CHECK(config_load(&c, p, CONFIG_TRUST_ROOT, &e) == -1);
	CHECK(strstr(e.msg, "directory") != NULL);
	config_free(&c);

	CHECK(config_load(&c, "/nonexistent/c.json", CONFIG_TRUST_ROOT, &e) == -1);
	CHECK(strstr(e.msg, "No such file") != NULL);
	config_free(&c);
	p = put("fifo", "", 0644);
	unlink(p);
	CHECK(mkfifo(p, 0644) == 0);
	CHECK(config_load(&c, p, CONFIG_TRUST_ANY, &e) == -1);
	CHECK(strstr(e.msg, "not a regular file") != NULL);
	config_free(&c);
}

/* network: open unless set; a host user's own value replaces the top level's whole */
static void test_network(void)
{
	struct config c;
	struct config_err e;
	const struct config_network *n;

	CHECK(config_load(&c, put("min.json", "{\"package\": \"/p\", \"hostUsers\": "
				  "{\"a\": {\"projectRoots\": []}}}", 0644), CONFIG_TRUST_ROOT, &e) == 0);
	CHECK_STR(config_network(&c, config_host(&c, "a"))->mode, "open");
	CHECK(!config_allowlist(&c, config_host(&c, "a")));
	CHECK_STR(c.proxy_user, "pi-proxy");
	config_free(&c);
	CHECK(config_load(&c, put("net.json", "{\"package\": \"/p\", \"proxyUser\": \"px\", "
				  "\"network\": {\"mode\": \"allowlist\", \"allow\": [\"api.example.com\", "
				  "\"*.example.org:443\", \"127.0.0.1:8080\"], \"deny\": [\"bad.example.org\"]}, "
				  "\"hostUsers\": {\"a\": {\"projectRoots\": []}, \"b\": {\"projectRoots\": [], "
				  "\"network\": {\"mode\": \"allowlist\", \"allow\": [\"github.com\"]}}, "
				  "\"c\": {\"projectRoots\": [], \"network\": {\"mode\": \"open\"}}}}", 0644),
			  CONFIG_TRUST_ROOT, &e) == 0);
	CHECK_STR(c.proxy_user, "px");
	n = config_network(&c, config_host(&c, "a"));
	CHECK(config_allowlist(&c, config_host(&c, "a")));
	CHECK_INT(n->allow.n, 3);
	CHECK_STR(n->allow.v[1], "*.example.org:443");
	CHECK_INT(n->deny.n, 1);
	n = config_network(&c, config_host(&c, "b"));
	CHECK(config_allowlist(&c, config_host(&c, "b")));
	CHECK_INT(n->allow.n, 1);
	CHECK_STR(n->allow.v[0], "github.com");
	CHECK_INT(n->deny.n, 0);        /* replaced, not merged */
	CHECK(!config_allowlist(&c, config_host(&c, "c")));
	config_free(&c);
	bad("{\"package\": \"/p\", \"network\": {\"mode\": \"closed\"}}", "network.mode",
	    "must be \"open\" or \"allowlist\"", 1, 39);
	bad("{\"package\": \"/p\", \"network\": {\"allow\": [\"a.example\"]}}", "network",
	    "has allow entries but mode \"open\"", 0, 0);
	bad("{\"package\": \"/p\", \"network\": {\"mode\": \"allowlist\", \"allow\": [\"*\"]}}",
	    "network.allow[0]", "", 0, 0);
	bad("{\"package\": \"/p\", \"network\": {\"mode\": \"allowlist\", \"allow\": "
	    "[\"a.example:99999\"]}}", "network.allow[0]", "", 0, 0);
	bad("{\"package\": \"/p\", \"network\": {\"mode\": \"allowlist\", \"deny\": [\"a b\"]}}",
	    "network.deny[0]", "", 0, 0);
	bad("{\"package\": \"/p\", \"network\": {\"mode\": \"allowlist\", \"ports\": []}}",
	    "network.ports", "unknown key (known: mode, allow, deny)", 0, 0);
	bad("{\"package\": \"/p\", \"hostUsers\": {\"a\": {\"network\": {\"mode\": \"allowlist\", "
	    "\"allow\": [\"127.1\"]}}}}", "hostUsers.a.network.allow[0]", "", 0, 0);
	bad("{\"package\": \"/p\", \"hostUsers\": {\"a\": {\"network\": \"open\"}}}",
	    "hostUsers.a.network", "must be an object", 0, 0);
	bad("{\"package\": \"/p\", \"proxyUser\": \"a b\"}", "proxyUser",
	    "is not a valid user or group name", 0, 0);
}

static void test_resources(void)
{
	struct config c;
	struct config_err e;
	const struct host_user *h;
	struct resources r;

	CHECK(config_load(&c, put("res.json", "{\"package\": \"/p\", \"resources\": "
				  "{\"memoryMax\": \"8G\", \"memoryHigh\": \"6G\", \"cpuWeight\": 100, "
				  "\"tasksMax\": 512, \"runtimeMaxSec\": \"8h\"}, \"hostUsers\": "
				  "{\"a\": {\"projectRoots\": []}, \"b\": {\"projectRoots\": [], "
				  "\"resources\": {\"memoryMax\": \"16G\", \"ioWeight\": \"50\"}, "
				  "\"devices\": [\"/dev/nvidia0\", \"/dev/dri/renderD128\"]}}}", 0644),
			  CONFIG_TRUST_ROOT, &e) == 0);
	h = config_host(&c, "a");
	resources_merge(&c.resources, &h->resources, &r);
	CHECK_STR(r.v[RES_MEMORY_MAX], "8G");
	CHECK_STR(r.v[RES_CPU_WEIGHT], "100");          /* a number, as written */
	CHECK_STR(r.v[RES_TASKS_MAX], "512");
	CHECK(r.v[RES_IO_WEIGHT] == NULL);
	CHECK_INT(h->devices.n, 0);
	h = config_host(&c, "b");
	resources_merge(&c.resources, &h->resources, &r);
	CHECK_STR(r.v[RES_MEMORY_MAX], "16G");          /* key by key */
	CHECK_STR(r.v[RES_MEMORY_HIGH], "6G");
	CHECK_STR(r.v[RES_IO_WEIGHT], "50");
	CHECK_STR(r.v[RES_RUNTIME_MAX_SEC], "8h");
	CHECK_INT(h->devices.n, 2);
	CHECK_STR(h->devices.v[1], "/dev/dri/renderD128");
	config_free(&c);
	bad("{\"package\": \"/p\", \"hostUsers\": {\"alice\": {\"resources\": "
	    "{\"memoryMax\": \"12Q\"}}}}", "hostUsers.alice.resources.memoryMax",
	    "\"12Q\" is not a size (bytes with K, M, G, T suffix, a percentage, or \"infinity\")",
	    1, 70);
	bad("{\"package\": \"/p\", \"resources\": {\"cpuWeight\": 0}}", "resources.cpuWeight",
	    "\"0\" is not a weight (an integer from 1 to 10000)", 0, 0);
	bad("{\"package\": \"/p\", \"resources\": {\"cpuWeight\": 1.5}}", "resources.cpuWeight",
	    "is not a weight", 0, 0);
	bad("{\"package\": \"/p\", \"resources\": {\"cpuQuota\": \"2 CPUs\"}}",
	    "resources.cpuQuota", "is not a CPU quota", 0, 0);
	bad("{\"package\": \"/p\", \"resources\": {\"tasksMax\": -1}}", "resources.tasksMax",
	    "is not a task count", 0, 0);
	bad("{\"package\": \"/p\", \"resources\": {\"runtimeMaxSec\": \"soon\"}}",
	    "resources.runtimeMaxSec", "is not a time span", 0, 0);
	bad("{\"package\": \"/p\", \"resources\": {\"memoryMax\": true}}", "resources.memoryMax",
	    "must be a string", 0, 0);
	bad("{\"package\": \"/p\", \"resources\": {\"memoryMax\": \"8G\\n\"}}",
	    "resources.memoryMax", "control characters", 0, 0);
	bad("{\"package\": \"/p\", \"resources\": {\"memoryMx\": \"8G\"}}", "resources.memoryMx",
	    "did you mean memoryMax?", 0, 0);
	bad("{\"package\": \"/p\", \"resources\": {\"tasksMax\": 5, \"tasksMax\": 6}}",
	    "resources.tasksMax", "duplicate key", 0, 0);
	bad("{\"package\": \"/p\", \"hostUsers\": {\"a\": {\"devices\": [\"/dev/a b\"]}}}",
	    "hostUsers.a.devices[0]", "must be an absolute path of letters", 0, 0);
	bad("{\"package\": \"/p\", \"hostUsers\": {\"a\": {\"devices\": [\"/dev/../x\"]}}}",
	    "hostUsers.a.devices[0]", "must be a clean path", 0, 0);
	bad("{\"package\": \"/p\", \"hostUsers\": {\"a\": {\"devices\": \"/dev/null\"}}}",
	    "hostUsers.a.devices", "must be an array", 0, 0);
	bad("{\"package\": \"/p\", \"devices\": [\"/dev/null\"]}", "devices",
	    "unknown key", 0, 0);
}

int main(void)
{
	char tmpl[] = "/tmp/test_config.XXXXXX";

	if (!mkdtemp(tmpl) || !realpath(tmpl, dir) || chmod(dir, 0755) < 0)
		return 1;
	test_defaults();
	test_full();
	test_env_values();
	test_project_config();
	test_network();
	test_resources();
	test_errors();
	test_unknown_keys();
	test_access_default();
	if (geteuid() == 0)
		test_trust();
	return check_done("config");
}
