/* idmap.c - a user namespace that maps the host user to the agent account, for idmapped project mounts.
 *
 * MUST rules kept here:
 * - the namespace maps exactly one uid and one gid (host user -> agent account), nothing
 *   else: files of any other owner stay unmapped (the overflow id) through the mount;
 * - setgroups is "deny" before gid_map is written, so the namespace can never drop groups;
 * - the child does nothing but wait on a pipe and exit; it runs no program and is reaped
 *   before this returns, whatever failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "idmap.h"

int idmap_line(char *out, size_t n, unsigned long host, unsigned long agent)
{
	int w = snprintf(out, n, "%lu %lu 1\n", host, agent);

	if (w < 0 || (size_t)w >= n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return w;
}

/* Writes text to /proc/<pid>/<name>. */
static int write_proc(pid_t pid, const char *name, const char *text)
{
	char path[64];
	int fd, rc, err;

	snprintf(path, sizeof path, "/proc/%ld/%s", (long)pid, name);
	fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fs_write_full(fd, text, strlen(text));
	err = errno;
	close(fd);
	errno = err;
	return rc;
}

/* The maps of the child's namespace, then an fd of it. */
static int map_child(pid_t pid, const struct idmap *map)
{
	char uid_line[64], gid_line[64], path[64];

	if (idmap_line(uid_line, sizeof uid_line, map->host_uid, map->agent_uid) < 0 ||
	    idmap_line(gid_line, sizeof gid_line, map->host_gid, map->agent_gid) < 0 ||
	    write_proc(pid, "uid_map", uid_line) < 0 || write_proc(pid, "setgroups", "deny") < 0 ||
	    write_proc(pid, "gid_map", gid_line) < 0)
		return -1;
	snprintf(path, sizeof path, "/proc/%ld/ns/user", (long)pid);
	return open(path, O_RDONLY | O_CLOEXEC);
}

/* The child: a new user namespace, its errno (0) to the parent, then wait for the parent. */
static void child(int ready, int done)
{
	int err = unshare(CLONE_NEWUSER) == 0 ? 0 : errno;
	char c;

	if (write(ready, &err, sizeof err) == (ssize_t)sizeof err && !err)
		while (read(done, &c, 1) < 0 && errno == EINTR)
			;
	_exit(0);
}

/* What the child said: 0 once its namespace exists, else why not. */
static int child_said(int ready)
{
	int err;
	ssize_t n;

	while ((n = read(ready, &err, sizeof err)) < 0 && errno == EINTR)
		;
	return n == (ssize_t)sizeof err ? err : n < 0 ? errno : EIO;
}

int idmap_userns(const struct idmap *map)
{
	int ready[2], done[2], fd = -1, err = 0, status;
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(done, O_CLOEXEC) < 0) {
		err = errno;
		goto close_ready;
	}
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(done[1]);
		child(ready[1], done[0]);
	}
	close(ready[1]);
	close(done[0]);
	if (pid < 0) {
		err = errno;
	} else if ((err = child_said(ready[0])) != 0) {
		; /* no user namespaces here (or none for us) */
	} else if ((fd = map_child(pid, map)) < 0) {
		err = errno;
	}
	close(done[1]);
	while (pid > 0 && waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	close(ready[0]);
	errno = err;
	return fd;
close_ready:
	close(ready[0]);
	close(ready[1]);
	errno = err;
	return -1;
}
