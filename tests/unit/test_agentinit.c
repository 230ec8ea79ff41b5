// links: agentinit.c priv/cover.c say.c priv/mounts.c priv/idmap.c priv/fs.c priv/ident.c policy.c
/* test_agentinit.c - unit tests for the unit's main process: the agent starts only when each covered path is its cover. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agentinit.h"
#include "check.h"
#include "fs.h"

static char top[64];

static const char *at(const char *rel)
{
	return check_path(top, rel);
}

static void put(const char *rel, const char *text)
{
	check_put(top, rel, text);
}

/* pi-agent-init CHECK... /bin/sh -c 'echo ran >TOP/ran' in a child: its exit status; whether
 * the agent ran in *ran. */
static int init_with(const char *c1, const char *c2, int *ran)
{
	char cmd[160], *argv[8];
	int argc = 0, st;
	pid_t pid;

	snprintf(cmd, sizeof cmd, "echo ran >%s/ran", top);
	unlink(at("ran"));
	argv[argc++] = "pi-agent-init";
	if (c1)
		argv[argc++] = (char *)c1;
	if (c2)
		argv[argc++] = (char *)c2;
	argv[argc++] = "/bin/sh";
	argv[argc++] = "-c";
	argv[argc++] = cmd;
	argv[argc] = NULL;
	pid = fork();
	if (pid == 0)
		_exit(agentinit_main(argc, argv));
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	*ran = access(at("ran"), F_OK) == 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(void)
{
	char hidden[128], cover[192], wrong[192];
	struct stat st, own;
	int ran = -1;

	if (geteuid() != 0) {
		printf("agentinit: skipped, needs root\n");
		return 0;
	}
	umask(022);
	strcpy(top, "/tmp/test_agentinit.XXXXXX");
	if (!mkdtemp(top) || unshare(CLONE_NEWNS) < 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 || mkdir(at("p"), 0755) < 0 ||
	    mkdir(at("p/.pi"), 0755) < 0 || mkdir(at("p/.agents"), 0755) < 0)
		return 1;
	put("merged.json", "merged");
	put("p/.pi/settings.json", "own");
	put("p/.agents/skill", "skill");
	stat(at("merged.json"), &st);
	stat(at("p/.pi/settings.json"), &own);
	snprintf(hidden, sizeof hidden, "--hidden=%s", at("p/.agents"));
	snprintf(cover, sizeof cover, "--cover=%llu:%llu:%s", (unsigned long long)st.st_dev,
		 (unsigned long long)st.st_ino, at("p/.pi/settings.json"));
	snprintf(wrong, sizeof wrong, "--cover=%llu:%llu:%s", (unsigned long long)own.st_dev,
		 (unsigned long long)own.st_ino, at("p/.pi/settings.json"));
	/* nothing covers them: the agent never starts */
	CHECK_INT(init_with(hidden, NULL, &ran), 1);
	CHECK_INT(ran, 0);
	CHECK_INT(init_with(cover, NULL, &ran), 1);
	CHECK_INT(ran, 0);
	/* covered as the runner covers them: it starts */
	CHECK(mount("tmpfs", at("p/.agents"), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
		    "mode=0755,size=4k") == 0);
	CHECK(mount(check_path(top, "merged.json"), at("p/.pi/settings.json"), NULL, MS_BIND, NULL) == 0);
	CHECK(mount(NULL, at("p/.pi/settings.json"), NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) == 0);
	CHECK_INT(init_with(hidden, cover, &ran), 0);
	CHECK_INT(ran, 1);
	/* the project's own file named instead of root's, or the cover not read-only: refused */
	CHECK_INT(init_with(hidden, wrong, &ran), 1);
	CHECK_INT(ran, 0);
	CHECK(mount(NULL, at("p/.pi/settings.json"), NULL, MS_REMOUNT | MS_BIND, NULL) == 0);
	CHECK_INT(init_with(cover, NULL, &ran), 1);
	CHECK_INT(ran, 0);
	/* a malformed check is a usage error */
	CHECK_INT(init_with("--cover=1:2:relative", NULL, &ran), 2);
	CHECK_INT(ran, 0);
	umount2(at("p/.pi/settings.json"), MNT_DETACH);
	umount2(at("p/.agents"), MNT_DETACH);
	CHECK_INT(fs_remove(AT_FDCWD, top), 0);
	return check_done("agentinit");
}
