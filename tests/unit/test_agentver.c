// links: launch/agentver.c priv/fs.c priv/ident.c lib/json.c priv/inherit.c
/* test_agentver.c - unit tests for the --check probe of the agent: its environment keeps Node's compile cache and temp files in the probe's own home, never the shared /tmp. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agentver.h"
#include "check.h"
#include "fs.h"
#include "ident.h"

static const struct ident nobody = { .uid = 65534, .gid = 65534 };
static char top[64];

static void script(const char *rel, const char *body)
{
	FILE *f = fopen(check_path(top, rel), "w");

	if (!f || fprintf(f, "#!/bin/sh\n%s\n", body) < 0 || fclose(f) != 0 ||
	    chmod(check_path(top, rel), 0755) < 0)
		fprintf(stderr, "setup: cannot write %s: %s\n", rel, strerror(errno));
}

/* pi >= 1.0 calls module.enableCompileCache(): without NODE_COMPILE_CACHE Node reads and
 * writes V8 code cache in os.tmpdir()/node-compile-cache, /tmp/node-compile-cache, which any
 * local user can make first and fill for the agent account's unsandboxed --version to load. */
static void test_cache_in_own_home(void)
{
	struct agentver v;
	char want[128], home[64] = "";
	const char *c;

	script("node", "echo v22.20.0");
	script("pi", "echo \"cache=$NODE_COMPILE_CACHE tmp=$TMPDIR\"");
	CHECK_INT(agentver_probe(check_path(top, "pi"), top, &nobody, &v), 0);
	CHECK_INT(v.status, 0);
	c = strstr(v.out, "tmp=");
	if (c)
		snprintf(home, sizeof home, "%s", c + 4);
	CHECK(strncmp(home, "/tmp/pi-check.", 14) == 0);
	snprintf(want, sizeof want, "cache=%s/.cache/node-compile-cache tmp=%s", home, home);
	CHECK_STR(v.out, want);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("agentver: skipped, needs root\n");
		return 0;
	}
	umask(022);
	strcpy(top, "/tmp/test_agentver.XXXXXX");
	if (!mkdtemp(top) || chmod(top, 0755) < 0 || ident_save_root() < 0)
		return 1;
	test_cache_in_own_home();
	CHECK_INT(fs_remove(AT_FDCWD, top), 0);
	return check_done("agentver");
}
