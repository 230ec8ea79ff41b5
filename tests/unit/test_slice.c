// links: launch/slice.c lib/resources.c lib/config.c lib/json.c priv/fs.c net/netpolicy.c
/* test_slice.c - unit tests for a user's devices checked at launch, the slice's set-property argv and its words. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "slice.h"

static char dir[64];
static char devdir[64];                /* under /dev: systemd grants nodes there only */

static void refused(const char *path, const char *want)
{
	char why[4200];
	const char *got = slice_device_refused(path, why, sizeof why);

	CHECK(got && strstr(got, want));
	if (!got || !strstr(got, want))
		fprintf(stderr, "  %s: got '%s', want '%s'\n", path, got ? got : "(granted)", want);
}

static void test_devices(void)
{
	char why[4200];
	FILE *f;

	CHECK(slice_device_refused("/dev/null", why, sizeof why) == NULL);
	CHECK(mknod(check_path(devdir, "gpu"), S_IFCHR | 0666, makedev(1, 3)) == 0);
	CHECK(slice_device_refused(check_path(devdir, "gpu"), why, sizeof why) == NULL);
	f = fopen(check_path(devdir, "file"), "w");
	CHECK(f != NULL);
	if (f)
		fclose(f);
	refused(check_path(devdir, "file"), "is not a character device");
	CHECK(mknod(check_path(devdir, "disk"), S_IFBLK | 0600, makedev(7, 0)) == 0);
	refused(check_path(devdir, "disk"), "is not a character device");
	CHECK(symlink("/dev/null", check_path(devdir, "link")) == 0);
	refused(check_path(devdir, "link"), "is a link");
	CHECK(symlink(devdir, check_path(devdir, "dirlink")) == 0);
	refused(check_path(devdir, "dirlink/gpu"), "dirlink is a link");
	refused(check_path(devdir, "missing"), "No such file");
	/* a directory someone else could change: the node could be swapped before systemd binds it */
	CHECK(mkdir(check_path(devdir, "open"), 0777) == 0 && chmod(check_path(devdir, "open"), 0777) == 0);
	CHECK(mknod(check_path(devdir, "open/gpu"), S_IFCHR | 0666, makedev(1, 3)) == 0);
	refused(check_path(devdir, "open/gpu"), "is not root's alone");
	CHECK(mkdir(check_path(devdir, "theirs"), 0755) == 0 && chown(check_path(devdir, "theirs"), 1, 1) == 0);
	CHECK(mknod(check_path(devdir, "theirs/gpu"), S_IFCHR | 0666, makedev(1, 3)) == 0);
	refused(check_path(devdir, "theirs/gpu"), "is not root's alone");
	refused("/dev/../dev/null", "clean absolute path");
}

static void test_host_devices(void)
{
	char err[8192];
	char *ok[] = { "/dev/null", "/dev/zero" };
	char *bad[] = { "/dev/null", NULL };
	struct host_user h = { .name = "alice", .devices = { ok, 2 } };

	CHECK(slice_devices(&h, err, sizeof err) == 0);
	bad[1] = (char *)check_path(devdir, "file");
	h.devices = (struct strlist){ bad, 2 };
	CHECK(slice_devices(&h, err, sizeof err) == -1);
	CHECK(!strncmp(err, "hostUsers.alice.devices[1]: /", 29));
	CHECK(strstr(err, "file is not a character device") != NULL);
}

static void test_apply(void)
{
	char run[4096], rec[4096], line[4096];
	struct config c = { .systemd_run_path = run };
	struct host_user h = { .name = "john-doe" };
	FILE *f;

	snprintf(run, sizeof run, "%s", check_path(dir, "systemd-run"));
	snprintf(rec, sizeof rec, "%s", check_path(dir, "rec"));
	f = fopen(check_path(dir, "systemctl"), "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "#!/bin/sh\nfor a; do printf '%%s|' \"$a\"; done >%s\nprintf '\\n%%s\\n' >>%s \"PATH=$PATH "
		"HOME=${HOME-unset}\"\necho noise\nexit ${FAIL:-0}\n", rec, rec);
	fclose(f);
	chmod(check_path(dir, "systemctl"), 0755);
	c.resources.v[RES_MEMORY_MAX] = "8G", c.resources.v[RES_CPU_WEIGHT] = "100";
	c.resources.v[RES_RUNTIME_MAX_SEC] = "8h";
	h.resources.v[RES_MEMORY_MAX] = "16G", h.resources.v[RES_TASKS_MAX] = "512";
	setenv("HOME", "/root", 1);
	setenv("FAIL", "0", 1);
	CHECK(slice_apply(&c, &h, -1, NULL, line, sizeof line) == 0);
	f = fopen(rec, "r");
	CHECK(f && fgets(line, sizeof line, f));
	/* every slice key, set or undone; the session's runtimeMaxSec never on the slice */
	CHECK_STR(line, "set-property|--runtime|pi-agent-john\\x2ddoe.slice|MemoryMax=16G|"
		  "MemoryHigh=infinity|CPUWeight=100|CPUQuota=|TasksMax=512|IOWeight=|\n");
	/* an environment of its own: the caller's HOME (and FAIL) never reach it */
	CHECK(f && fgets(line, sizeof line, f));
	CHECK_STR(line, "PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=unset\n");
	if (f)
		fclose(f);
	chmod(check_path(dir, "systemctl"), 0644);
	CHECK(slice_apply(&c, &h, -1, NULL, line, sizeof line) == -1);
	CHECK(strstr(line, "cannot run ") && strstr(line, "systemctl: Permission denied"));
	f = fopen(check_path(dir, "systemctl"), "w");
	if (f)
		fputs("#!/bin/sh\nexit 3\n", f), fclose(f);
	chmod(check_path(dir, "systemctl"), 0755);
	CHECK(slice_apply(&c, &h, -1, NULL, line, sizeof line) == -1);
	CHECK(strstr(line, "cannot give pi-agent-john\\x2ddoe.slice its resources: ") &&
	      strstr(line, "set-property pi-agent-john\\x2ddoe.slice exited 3"));
}

/* A fake systemctl that does what set-property --runtime does to systemd's runtime drop-ins (a
 * file renamed into <sys>/run/systemd/system.control/<slice>.d) and counts its runs in runs; it
 * fails while runs.fail exists (systemctl gets an environment of its own: no variable reaches
 * it). */
static void fake_systemd(const char *sys, const char *runs)
{
	FILE *f = fopen(check_path(dir, "systemctl"), "w");

	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "#!/bin/sh\necho run >>%s\n[ -e %s.fail ] && exit 1\n"
		"d=\"%s/run/systemd/system.control/$3.d\"\n"
		"mkdir -p \"$d\" && echo \"$*\" >\"$d/.tmp\" && mv \"$d/.tmp\" \"$d/50-props.conf\"\n",
		runs, runs, sys);
	fclose(f);
	chmod(check_path(dir, "systemctl"), 0755);
}

/* A file renamed into path, as systemd writes its drop-ins. */
static void drop_in(const char *path)
{
	check_put(dir, "other", "");
	CHECK(rename(check_path(dir, "other"), path) == 0);
}

static int runs_of(const char *runs)
{
	char line[64];
	int k = 0;
	FILE *f = fopen(runs, "r");

	while (f && fgets(line, sizeof line, f))
		k++;
	if (f)
		fclose(f);
	return k;
}

/* The record: set-property runs when the properties or systemd's drop-ins changed, not else. */
static void test_record(void)
{
	char run[4096], sys[4096], runs[4096], err[4096], conf[4096], path[4096];
	struct config c = { .systemd_run_path = run };
	struct host_user h = { .name = "alice" };
	int rt, bad, k;

	snprintf(run, sizeof run, "%s", check_path(dir, "systemd-run"));
	snprintf(sys, sizeof sys, "%s", check_path(dir, "sys"));
	snprintf(runs, sizeof runs, "%s", check_path(dir, "runs"));
	snprintf(conf, sizeof conf, "%s/run/systemd/system.control/pi-agent-alice.slice.d/"
		 "50-props.conf", sys);
	snprintf(path, sizeof path, "mkdir -p %s/run/systemd/generator "
		 "%s/etc/systemd/system.control", sys, sys);
	CHECK(system(path) == 0);
	CHECK(mkdir(check_path(dir, "rt"), 0700) == 0);
	rt = open(check_path(dir, "rt"), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHECK(rt >= 0);
	fake_systemd(sys, runs);
	c.resources.v[RES_MEMORY_MAX] = "8G";
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 1);
	CHECK(faccessat(rt, "alice.slice", F_OK, 0) == 0);
	/* the same again: systemd is not asked */
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 1);
	/* another value: asked */
	c.resources.v[RES_MEMORY_MAX] = "4G";
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 2);
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 2);
	/* the runtime drop-ins changed behind it (an admin's set-property --runtime, a revert) */
	drop_in(conf);
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 3);
	CHECK(unlink(conf) == 0);
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 4);
	/* a set-property without --runtime: its drop-ins in /etc win over the launcher's */
	snprintf(path, sizeof path, "%s/etc/systemd/system.control/pi-agent-alice.slice.d", sys);
	CHECK(mkdir(path, 0755) == 0);
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 5);
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 5);
	snprintf(path, sizeof path, "%s/etc/systemd/system.control/pi-agent-alice.slice.d/"
		 "50-MemoryMax.conf", sys);
	drop_in(path);
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 6);
	/* a daemon-reload (which reads drop-ins an admin added anywhere) makes the generators'
	 * directory anew */
	snprintf(path, sizeof path, "%s/run/systemd/generator", sys);
	CHECK(rmdir(path) == 0 && mkdir(path, 0755) == 0);
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 7);
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 7);
	/* nothing to compare with (no sysroot, or systemd left no runtime drop-ins): every time */
	CHECK(slice_apply(&c, &h, rt, NULL, err, sizeof err) == 0);
	CHECK(slice_apply(&c, &h, rt, NULL, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 9);
	h.name = "carol";
	snprintf(path, sizeof path, "%s/nowhere", sys);
	CHECK(slice_apply(&c, &h, rt, path, err, sizeof err) == 0);
	CHECK(slice_apply(&c, &h, rt, path, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 11);
	CHECK(faccessat(rt, "carol.slice", F_OK, 0) == -1 && errno == ENOENT);
	h.name = "alice";
	/* a failed set-property leaves no record behind: the next launch asks again */
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 12);
	check_put(dir, "runs.fail", "");
	c.resources.v[RES_MEMORY_MAX] = "2G";
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == -1);
	CHECK(runs_of(runs) == 13);
	CHECK(faccessat(rt, "alice.slice", F_OK, 0) == -1 && errno == ENOENT);
	CHECK(unlink(check_path(dir, "runs.fail")) == 0);
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == 0);
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 14);
	/* another user's record is not this one's */
	h.name = "bob";
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 15);
	/* a record that can be neither read nor written (its directory is no directory, as a
	 * record on a full disk is never written): each launch asks systemd, none fails for it */
	h.name = "dave";
	check_put(dir, "notadir", "");
	bad = open(check_path(dir, "notadir"), O_RDONLY | O_CLOEXEC);
	CHECK(bad >= 0);
	CHECK(slice_apply(&c, &h, bad, sys, err, sizeof err) == 0);
	CHECK(slice_apply(&c, &h, bad, sys, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 17);
	if (bad >= 0)
		close(bad);
	/* more entries than a record holds (the last directory it reads, the generators'): no
	 * record, each launch asks */
	h.name = "erin";
	for (k = 0; k < 800; k++) {
		snprintf(path, sizeof path, "run/systemd/generator/%03d-x.conf", k);
		check_put(sys, path, "");
	}
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == 0);
	CHECK(slice_apply(&c, &h, rt, sys, err, sizeof err) == 0);
	CHECK(runs_of(runs) == 19);
	CHECK(faccessat(rt, "erin.slice", F_OK, 0) == -1 && errno == ENOENT);
	if (rt >= 0)
		close(rt);
}

static void test_describe(void)
{
	struct config c = { 0 };
	struct host_user h = { .name = "alice" };
	char out[1024];

	slice_describe(&c, &h, out, sizeof out);
	CHECK_STR(out, "pi-agent-alice.slice in pi-agent.slice: no limits");
	c.resources.v[RES_MEMORY_HIGH] = "6G", c.resources.v[RES_TASKS_MAX] = "512";
	h.resources.v[RES_RUNTIME_MAX_SEC] = "8h";
	slice_describe(&c, &h, out, sizeof out);
	CHECK_STR(out, "pi-agent-alice.slice in pi-agent.slice: MemoryHigh=6G TasksMax=512 (all of "
		  "alice's sessions together); each session: RuntimeMaxSec=8h");
}

int main(void)
{
	char tmpl[] = "/run/test_slice.XXXXXX", devtmpl[] = "/dev/test_slice.XXXXXX";
	pid_t pid;

	if (geteuid() != 0) {
		puts("slice: needs root (mknod, chown), skipped");
		return 0;
	}
	if (!mkdtemp(tmpl) || !mkdtemp(devtmpl))
		return 1;
	snprintf(dir, sizeof dir, "%s", tmpl);
	snprintf(devdir, sizeof devdir, "%s", devtmpl);
	test_devices();
	test_host_devices();
	test_apply();
	test_record();
	test_describe();
	pid = fork();
	if (pid == 0)
		execl("/bin/rm", "rm", "-rf", dir, devdir, (char *)NULL), _exit(127);
	waitpid(pid, NULL, 0);
	return check_done("slice");
}
