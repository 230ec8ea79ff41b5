/* idmap.c - a user namespace that maps the host user to the agent account, for idmapped project mounts.
 *
 * MUST rules kept here:
 * - the namespace maps exactly one uid (host user -> agent account) and the host user's
 *   groups, each to a group the agent holds, one to one, nothing else: files of any other
 *   owner or group stay unmapped (the overflow id) through the mount, so the agent falls in
 *   a file's group class exactly where its user does (never "other" where the user's group
 *   is denied);
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

static int holds(const gid_t *v, size_t n, gid_t g)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (v[i] == g)
			return 1;
	return 0;
}

/* The groups of id, its primary first, each once, into v; returns how many. */
static size_t groups_of(const struct ident *id, gid_t *v)
{
	size_t n = 0;
	int i;

	v[n++] = id->gid;
	for (i = 0; i < id->ngroups && n < IDENT_MAX_GROUPS; i++)
		if (!holds(v, n, id->groups[i]))
			v[n++] = id->groups[i];
	return n;
}

size_t idmap_pair(struct idmap *map, const struct ident *user, const struct ident *agent,
		  gid_t *left, size_t nleft)
{
	gid_t u[IDENT_MAX_GROUPS], a[IDENT_MAX_GROUPS];
	size_t nu = groups_of(user, u), na = groups_of(agent, a), i, j = 1, unpaired = 0;
	char done[IDENT_MAX_GROUPS] = { 1 };

	map->ngroups = 1;
	map->host_gid[0] = u[0];
	map->agent_gid[0] = a[0];
	for (i = 1; i < nu; i++)
		if (u[i] != a[0] && holds(a, na, u[i])) {
			map->host_gid[map->ngroups] = map->agent_gid[map->ngroups] = u[i];
			map->ngroups++;
			done[i] = 1;
		}
	for (i = 1; i < nu; i++) {
		if (done[i])
			continue;
		while (j < na && (holds(u, nu, a[j]) || holds(map->agent_gid, map->ngroups, a[j])))
			j++;
		if (j < na) {
			map->host_gid[map->ngroups] = u[i];
			map->agent_gid[map->ngroups++] = a[j++];
		} else if (unpaired++ < nleft) {
			left[unpaired - 1] = u[i];
		}
	}
	return unpaired;
}

int idmap_gid_lines(char *out, size_t n, const struct idmap *map)
{
	size_t i, used = 0;
	int w;

	for (i = 0; i < map->ngroups; i++, used += (size_t)w)
		if ((w = idmap_line(out + used, n - used, map->host_gid[i], map->agent_gid[i])) < 0)
			return -1;
	return (int)used;
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
	char uid_line[64], gid_lines[4096], path[64];

	if (idmap_line(uid_line, sizeof uid_line, map->host_uid, map->agent_uid) < 0 ||
	    idmap_gid_lines(gid_lines, sizeof gid_lines, map) < 0 ||
	    write_proc(pid, "uid_map", uid_line) < 0 || write_proc(pid, "setgroups", "deny") < 0 ||
	    write_proc(pid, "gid_map", gid_lines) < 0)
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
