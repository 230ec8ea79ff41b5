/* slice.c - a host user's slice and devices at launch: the devices checked, the slice given its limits, both said in words.
 *
 * MUST rules kept here:
 * - a device is granted only when it is a character device reached through no link, every
 *   directory above it root's alone (no group or other write): what systemd
 *   binds later is what was checked here, no other user can swap it in between;
 * - systemctl runs from an absolute path (beside systemdRunPath) with an argv built from the
 *   checked slice name and checked values only, an environment built from scratch, an empty
 *   signal mask and default dispositions, its stdout on /dev/null;
 * - set-property is skipped only when the record in the runtime directory (root's alone) names
 *   the same properties and systemd's drop-in directories for the slice and its generator
 *   directory are the very ones, with the very entries (names and inodes), that the last
 *   set-property left: anything else (or nothing to compare) runs it again.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "resources.h"
#include "slice.h"

#define RECORD_MAX 8192   /* a record: the properties' line and the directories' */

static const char *refuse(char *why, size_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static const char *refuse(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
	return why;
}

const char *slice_device_refused(const char *path, char *why, size_t n)
{
	char at[4096];
	struct stat st;
	const char *p = path;

	if (resources_device_path(path) || strlen(path) >= sizeof at)
		return refuse(why, n, "is not a clean absolute path");
	for (;;) {
		p = strchr(p + 1, '/');
		snprintf(at, sizeof at, "%.*s", p ? (int)(p - path) : (int)strlen(path), path);
		if (lstat(at, &st) < 0)
			return refuse(why, n, "cannot be granted: %s: %s", at, strerror(errno));
		if (S_ISLNK(st.st_mode))
			return refuse(why, n, "cannot be granted: %s is a link (name the device "
				      "itself)", at);
		if (!p)
			break;
		if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))
			return refuse(why, n, "cannot be granted: directory %s is not root's alone "
				      "(owned by root, not writable by group or others)", at);
	}
	if (!S_ISCHR(st.st_mode))
		return refuse(why, n, "is not a character device");
	return NULL;
}

int slice_devices(const struct host_user *h, char *err, size_t n)
{
	char why[4200];
	size_t i;

	for (i = 0; i < h->devices.n; i++)
		if (slice_device_refused(h->devices.v[i], why, sizeof why)) {
			snprintf(err, n, "hostUsers.%s.devices[%zu]: %s %s", h->name, i,
				 h->devices.v[i], why);
			return -1;
		}
	return 0;
}

int slice_of(const struct config *c, const struct host_user *h, char *slice, size_t n,
	     struct resources *res)
{
	resources_merge(&c->resources, &h->resources, res);
	return resources_slice(h->name, slice, n);
}

/* Runs argv with envp, stdout on /dev/null; its wait status, or -1 with errno. */
static int run(char *const argv[], char *const envp[])
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	pid_t pid = -1;
	int err, st = 0;

	sigemptyset(&none);
	sigfillset(&all);
	err = posix_spawn_file_actions_init(&fa);
	if (!err && !(err = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0)) &&
	    !(err = posix_spawnattr_init(&at))) {
		if (!(err = posix_spawnattr_setsigmask(&at, &none)) &&
		    !(err = posix_spawnattr_setsigdefault(&at, &all)) &&
		    !(err = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)))
			err = posix_spawn(&pid, argv[0], &fa, &at, argv, envp);
		posix_spawnattr_destroy(&at);
	}
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		errno = err;
		return -1;
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return st;
}

/* Appends to out at *j: 0, or -1 when it does not fit. */
static int put(char *out, size_t n, size_t *j, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int put(char *out, size_t n, size_t *j, const char *fmt, ...)
{
	va_list ap;
	int k;

	va_start(ap, fmt);
	k = *j < n ? vsnprintf(out + *j, n - *j, fmt, ap) : -1;
	va_end(ap);
	if (k < 0 || (size_t)k >= n - *j)
		return -1;
	*j += (size_t)k;
	return 0;
}

/* One directory as a line at *j: its device, inode and times (a directory removed and made
 * again may get the same inode number) and each entry's name and inode (systemd writes a
 * drop-in to a new file it renames over the old one: a new inode, whatever the clock), or
 * "absent". 1 when absent, 0 when not, -1 when it cannot be read or out is full. */
static int dir_state(const char *path, char *out, size_t n, size_t *j)
{
	struct dirent *e;
	struct stat st;
	DIR *d = NULL;
	int fd, rc;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT && put(out, n, j, "absent\n") == 0 ? 1 : -1;
	if (fstat(fd, &st) < 0 || !(d = fdopendir(fd))) {
		close(fd);
		return -1;
	}
	rc = put(out, n, j, "%ju:%ju %lld.%09ld %lld.%09ld", (uintmax_t)st.st_dev,
		 (uintmax_t)st.st_ino, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
		 (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
	while (rc == 0 && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			rc = put(out, n, j, " %s:%ju", e->d_name, (uintmax_t)e->d_ino);
	closedir(d);
	return rc < 0 ? -1 : put(out, n, j, "\n");
}

/* What tells that systemd still holds what the last set-property (argv, from its slice on)
 * gave the slice: that argv as a line, then the directories below; "" when it cannot be told.
 * set-property --runtime leaves a drop-in directory under sysroot/run/systemd/system.control:
 * none there, no record. A set-property or revert since renames or removes a file there; one
 * without --runtime does the same under /etc/systemd/system.control; a daemon-reload or
 * reexec (which reads any other drop-in an admin added) makes /run/systemd/generator anew. */
static void control_state(const char *sysroot, char *const *argv, char *out, size_t n)
{
	static const struct { const char *dir; int per_slice; } where[] = {
		{ "run/systemd/system.control", 1 },
		{ "etc/systemd/system.control", 1 },
		{ "run/systemd/generator", 0 },
	};
	char path[1024];
	size_t i, j = 0;
	int rc = sysroot ? 0 : -1, k;

	for (i = 0; rc == 0 && argv[i]; i++)
		rc = put(out, n, &j, "%s%s", argv[i], argv[i + 1] ? " " : "\n");
	for (i = 0; rc == 0 && i < sizeof where / sizeof *where; i++) {
		k = where[i].per_slice ?
			snprintf(path, sizeof path, "%s/%s/%s.d", sysroot, where[i].dir, argv[0]) :
			snprintf(path, sizeof path, "%s/%s", sysroot, where[i].dir);
		rc = k < 0 || k >= (int)sizeof path ? -1 : dir_state(path, out, n, &j);
		/* no runtime drop-ins after set-property --runtime: nothing to compare with */
		if (rc > 0 && i == 0)
			rc = -1;
		else if (rc > 0)
			rc = 0;
	}
	if (rc < 0)
		*out = 0;
}

/* Whether the record name in dirfd says exactly state (not empty). */
static int recorded(int dirfd, const char *name, const char *state)
{
	char buf[RECORD_MAX];
	ssize_t got = -1;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		got = read(fd, buf, sizeof buf);
		close(fd);
	}
	return got == (ssize_t)strlen(state) && !memcmp(buf, state, (size_t)got);
}

int slice_apply(const struct config *c, const struct host_user *h, int dirfd, const char *sysroot,
		char *err, size_t n)
{
	static char *const envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C", NULL };
	char ctl[4096], slice[300], prop[RES_N][96], *argv[RES_N + 5];
	char state[RECORD_MAX], name[300];
	struct resources res;
	size_t k, j = 0;
	int st;

	if (slice_of(c, h, slice, sizeof slice, &res) < 0) {
		refuse(err, n, "hostUsers.%s: no slice can be named for this user: %s", h->name,
		       strerror(errno));
		return -1;
	}
	config_systemctl(c, ctl, sizeof ctl);
	argv[j++] = ctl, argv[j++] = "set-property", argv[j++] = "--runtime", argv[j++] = slice;
	for (k = 0; k < RES_N; k++)
		if (resources_on_slice(k)) {
			snprintf(prop[k], sizeof prop[k], "%s=%s", resources_property(k),
				 res.v[k] ? res.v[k] : resources_unset(k));
			argv[j++] = prop[k];
		}
	argv[j] = NULL;
	snprintf(name, sizeof name, "%s.slice", h->name);
	/* as this user's last launch left it, with the same values: nothing to ask of systemd */
	control_state(sysroot, argv + 3, state, sizeof state);
	if (dirfd >= 0 && *state && recorded(dirfd, name, state))
		return 0;
	st = run(argv, envp);
	if (st == 0) {
		control_state(sysroot, argv + 3, state, sizeof state);
		if (dirfd >= 0 && (!*state || fs_write_atomic(dirfd, name, state, strlen(state), 0600) < 0))
			unlinkat(dirfd, name, 0);
		return 0;
	}
	if (dirfd >= 0)
		unlinkat(dirfd, name, 0);
	if (st < 0)
		snprintf(err, n, "cannot run %s: %s", ctl, strerror(errno));
	else
		snprintf(err, n, "cannot give %s its resources: %s set-property %s %s %d", slice,
			 ctl, slice, WIFEXITED(st) ? "exited" : "was killed by signal",
			 WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
	return -1;
}

void slice_describe(const struct config *c, const struct host_user *h, char *out, size_t n)
{
	struct resources res;
	char slice[300];
	size_t k, j, any = 0;

	if (slice_of(c, h, slice, sizeof slice, &res) < 0) {
		snprintf(out, n, "no slice can be named for this user: %s", strerror(errno));
		return;
	}
	j = (size_t)snprintf(out, n, "%s in %s:", slice, RESOURCES_SLICE);
	for (k = 0; k < RES_N && j < n; k++)
		if (resources_on_slice(k) && res.v[k] && ++any)
			j += (size_t)snprintf(out + j, n - j, " %s=%s", resources_property(k), res.v[k]);
	if (j < n && any)
		j += (size_t)snprintf(out + j, n - j, " (all of %s's sessions together)", h->name);
	else if (j < n)
		j += (size_t)snprintf(out + j, n - j, " no limits");
	for (k = 0, any = 0; k < RES_N && j < n; k++)
		if (!resources_on_slice(k) && res.v[k])
			j += (size_t)snprintf(out + j, n - j, "%s %s=%s", any++ ? "" : "; each session:",
					      resources_property(k), res.v[k]);
}
