// links: launch/projcfg.c merge.c lib/json.c priv/fs.c
/* test_projcfg.c - unit tests for projectConfig: modes, the agent's trust flags, the project settings under the admin's, version detection. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "projcfg.h"

static char dir[PATH_MAX];

/* projcfg_args joined by spaces. */
static const char *args_of(enum projcfg_mode m, int trust, const char *line)
{
	static char out[512];
	char buf[256], *v[16], **res, *tok;
	size_t n = 0, nres, i, j = 0;

	snprintf(buf, sizeof buf, "%s", line);
	for (tok = strtok(buf, " "); tok && n < 16; tok = strtok(NULL, " "))
		v[n++] = tok;
	if (projcfg_args(m, trust, v, n, &res, &nres) < 0)
		return "(error)";
	out[0] = '\0';
	for (i = 0; i < nres; i++)
		j += (size_t)snprintf(out + j, sizeof out - j, "%s%s", i ? " " : "", res[i]);
	CHECK(res[nres] == NULL);
	free(res);
	return out;
}

static void test_args(void)
{
	CHECK_STR(args_of(PROJCFG_ADMIN_WINS, 1, "-a -p hi"), "-a -p hi -na -na");
	CHECK_STR(args_of(PROJCFG_DENY, 1, "--approve"), "--approve -na -na");
	CHECK_STR(args_of(PROJCFG_ADMIN_WINS, 1, ""), "-na -na");
	/* after "--" pi reads no flag: the flags go before it */
	CHECK_STR(args_of(PROJCFG_ADMIN_WINS, 1, "-a -- -a text"), "-a -na -na -- -a text");
	/* a trailing option that takes a value swallows one -na, the other still counts */
	CHECK_STR(args_of(PROJCFG_ADMIN_WINS, 1, "-a --model"), "-a --model -na -na");
	/* subcommands stay first */
	CHECK_STR(args_of(PROJCFG_ADMIN_WINS, 1, "install ./pkg -a"), "install ./pkg -a -na -na");
	CHECK_STR(args_of(PROJCFG_DENY, 1, "config -l"), "config -l -na -na");
	CHECK_STR(args_of(PROJCFG_ADMIN_WINS, 1, "auth login x"), "auth login x");
	CHECK_STR(args_of(PROJCFG_ADMIN_WINS, 1, "mcp list"), "mcp list");
	/* allow, or an agent without trust (pi < 1: -na would be an unknown option) */
	CHECK_STR(args_of(PROJCFG_ALLOW, 1, "-a -p hi"), "-a -p hi");
	CHECK_STR(args_of(PROJCFG_ADMIN_WINS, 0, "-a -p hi"), "-a -p hi");
}

static void test_modes(void)
{
	CHECK_INT(projcfg_mode("admin-wins"), PROJCFG_ADMIN_WINS);
	CHECK_INT(projcfg_mode("deny"), PROJCFG_DENY);
	CHECK_INT(projcfg_mode("allow"), PROJCFG_ALLOW);
	CHECK_INT(projcfg_mode(NULL), PROJCFG_ADMIN_WINS);
	CHECK_STR(projcfg_name(PROJCFG_DENY), "deny");
	CHECK_STR(projcfg_name(PROJCFG_ADMIN_WINS), "admin-wins");
}

/* projcfg_merge of project under admin, as text ("(error)" with e on failure). */
static const char *merged(const char *project, const char *admin, struct json_err *e)
{
	static char out[4096];
	struct json_doc over;
	struct json_err je;
	char *p = strdup(project), *a = strdup(admin);
	int fd = memfd_create("t", 0), rc;
	ssize_t n;

	CHECK(json_parse(&over, a, strlen(a), &je) == 0);
	rc = projcfg_merge(fd, p, strlen(p), (struct json_val){ &over, 0 }, e);
	json_free(&over);
	n = rc < 0 ? -1 : pread(fd, out, sizeof out - 1, 0);
	close(fd);
	if (n < 0)
		return "(error)";
	out[n] = '\0';
	return out;
}

static void test_merge(void)
{
	struct json_err e;

	/* the admin's keys win at any depth; the project's others stay; code keys never come
	 * from the project, however they are spelled or repeated */
	CHECK_STR(merged("{\"defaultModel\": \"project-model\", \"theme\": \"light\", "
			 "\"shellPath\": \"/p/evil\", \"shell\\u0050ath\": \"/p/evil2\", "
			 "\"shellCommandPrefix\": \"evil;\", \"npmCommand\": [\"evil\"], "
			 "\"packages\": [\"npm:evil\"], \"extensions\": [\"./evil.ts\"], "
			 "\"nested\": {\"a\": 1, \"b\": 1, \"shellPath\": \"kept\"}, \"shellPath\": 3}",
			 "{\"defaultModel\": \"mock-model\", \"nested\": {\"b\": 2}, "
			 "\"defaultTools\": [\"read\"]}", &e),
		  "{\n  \"defaultModel\": \"mock-model\",\n  \"defaultTools\": [\n    \"read\"\n  ],\n"
		  "  \"nested\": {\n    \"a\": 1,\n    \"b\": 2,\n    \"shellPath\": \"kept\"\n  },\n"
		  "  \"theme\": \"light\"\n}\n");
	/* the admin may set a code key: the admin's value is kept */
	CHECK_STR(merged("{\"shellPath\": \"/p/evil\"}", "{\"shellPath\": \"/bin/bash\"}", &e),
		  "{\n  \"shellPath\": \"/bin/bash\"\n}\n");
	/* a project file that is not an object counts as {} */
	CHECK_STR(merged("[1, 2]", "{\"a\": true}", &e), "{\n  \"a\": true\n}\n");
	CHECK_STR(merged("{}", "{}", &e), "{}\n");
	errno = 0;
	CHECK_STR(merged("{\"a\": }", "{}", &e), "(error)");
	CHECK_INT(errno, EINVAL);
	CHECK_INT(e.line, 1);
	CHECK_INT(e.col, 7);
}

static void put(const char *rel, const char *text)
{
	FILE *f = fopen(check_path(dir, rel), "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* bin/pi -> ../pkg/dist/bundle/cli.js, as npm links it; the package.json decides. */
static void test_agent_trusts(void)
{
	CHECK(mkdir(check_path(dir, "pkg"), 0755) == 0);
	CHECK(mkdir(check_path(dir, "pkg/dist"), 0755) == 0);
	CHECK(mkdir(check_path(dir, "pkg/dist/bundle"), 0755) == 0);
	CHECK(mkdir(check_path(dir, "bin"), 0755) == 0);
	put("pkg/dist/bundle/cli.js", "#!/usr/bin/env node\n");
	CHECK(symlink("../pkg/dist/bundle/cli.js", check_path(dir, "bin/pi")) == 0);
	CHECK_INT(projcfg_agent_trusts(check_path(dir, "bin/pi")), 0);
	put("pkg/package.json", "{\"name\": \"@earendil-works/pi-coding-agent\", \"version\": \"1.6.0\"}");
	CHECK_INT(projcfg_agent_trusts(check_path(dir, "bin/pi")), 1);
	put("pkg/package.json", "{\"name\": \"@mariozechner/pi-coding-agent\", \"version\": \"0.73.1\"}");
	CHECK_INT(projcfg_agent_trusts(check_path(dir, "bin/pi")), 0);
	put("pkg/package.json", "{\"name\": \"something-else\", \"version\": \"2.0.0\"}");
	CHECK_INT(projcfg_agent_trusts(check_path(dir, "bin/pi")), 0);
	put("pkg/package.json", "{\"name\": \"pi-coding-agent\", \"version\": \"12.0.0-rc1\"}");
	CHECK_INT(projcfg_agent_trusts(check_path(dir, "bin/pi")), 1);
	CHECK_INT(projcfg_agent_trusts(check_path(dir, "bin/missing")), 0);
}

int main(void)
{
	char tmpl[] = "/tmp/test_projcfg.XXXXXX";

	if (!mkdtemp(tmpl) || !realpath(tmpl, dir))
		return 1;
	test_modes();
	test_args();
	test_merge();
	test_agent_trusts();
	return check_done("projcfg");
}
