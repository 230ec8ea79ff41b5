/* prepare.c - pi-runner's preparation of the agent's state: home, config copy, settings, env file, links.
 *
 * MUST rules kept here:
 * - the host user's files are read with the host user's filesystem identity (ident_enter);
 * - the agent's state is written with the agent's identity, through directory fds, never
 *   following a link: temp file + rename, fs_ensure_dir replaces a link in a dir's place
 *   and gives a directory the agent locked (chmod 000) its mode back;
 * - the copy of the host config dir is bounded (wrapper.syncMaxBytes, syncMaxEntries);
 *   what the host user cannot read is skipped with a warning, never copied;
 * - root alone writes the runtime dir and the env file, and creates the agent home;
 * - preparation is serialised per host user by a lock in the root-only runtime dir.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "merge.h"
#include "netpolicy.h"
#include "proxy.h"
#include "prepare.h"
#include "sandbox.h"
#include "sync.h"

/* What the runner reads of a host user's .env and settings.json: enough for any real one,
 * and a bound on what root parses for them (a JSON token costs 20 bytes). */
enum { ENV_MAX = 1 << 20, SETTINGS_MAX = 1 << 20 };

static const char *const sync_excludes[] = {
	"auth.json", "mcp-oauth", "sessions", "bin", "mcp-cache.json",
	"trust.json",      /* the launcher's under projectConfig admin-wins and deny (project.c) */
	"settings.json",   /* written by write_settings: never the raw host file, not even briefly */
	NULL,
};

/* Nonzero when name under dirfd is a regular file of uid with mode and exactly len bytes,
 * those of buf or, without buf, those of the file in from its start (never following a
 * link): rewriting it would change nothing, so a warm launch writes, fsyncs and renames
 * nothing. */
static int unchanged(int dirfd, const char *name, const char *buf, int in, size_t len,
		     uid_t uid, mode_t mode)
{
	char tmp[8192], want[8192];
	struct stat st;
	size_t off = 0;
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), same = 0;

	if (fd < 0)
		return 0;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 && st.st_uid == uid &&
	    (st.st_mode & 07777) == mode && (size_t)st.st_size == len)
		for (same = 1; same && off < len; off += (size_t)n) {
			n = read(fd, tmp, len - off < sizeof tmp ? len - off : sizeof tmp);
			same = n > 0 && (buf ? !memcmp(tmp, buf + off, (size_t)n) :
					 pread(in, want, (size_t)n, (off_t)off) == n &&
					 !memcmp(tmp, want, (size_t)n));
		}
	close(fd);
	return same;
}

/* A directory root alone may change, created 0755 (or mode) if missing. */
static int open_root_dir(const struct run *r, int at, const char *path, mode_t mode, const char *what)
{
	struct stat st;
	int fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && (mkdirat(at, path, mode) == 0 || errno == EEXIST))
		fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		r->say("cannot open %s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		r->say("%s %s must be owned by root and not writable by group or others "
		       "(found uid %u, mode %04o): run chown root:root %s && chmod %04o %s", what,
		       path, (unsigned)st.st_uid, (unsigned)(st.st_mode & 07777), path,
		       (unsigned)mode, path);
		close(fd);
		return -1;
	}
	return fd;
}

/* The agent home <stateDir>/users/<user>: created by root for the agent, 0700. */
static int open_agent_home(struct run *r, int users)
{
	struct stat st;
	int fd = fs_open_dir(users, r->user);

	if (fd < 0 && errno == ENOENT && mkdirat(users, r->user, 0700) == 0) {
		fd = fs_open_dir(users, r->user);
		if (fd >= 0 && fchown(fd, r->agent_id.uid, r->agent_id.gid) < 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0 || fstat(fd, &st) < 0) {
		r->say("cannot open the agent home %s: %s", r->agent_home, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_uid != r->agent_id.uid) {
		r->say("agent home %s belongs to uid %u, not to the agent account '%s': run "
		       "chown -R %s: %s", r->agent_home, (unsigned)st.st_uid, r->agent, r->agent,
		       r->agent_home);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0) {
		r->say("cannot set the mode of %s: %s", r->agent_home, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The seed's directories inside the agent home, made as the agent; a link in the way of
 * one is replaced, never followed; one the agent chmod'ed gets 0750 back. */
static int make_agent_dirs(struct run *r)
{
	static const char *const dirs[] = {
		".pi", ".pi/agent", ".pi/agent/sessions", ".npm", ".npm-global",
		".npm-global/bin", ".npm-global/lib", "projects",
	};
	char parent[64], *slash;
	size_t i;
	int pfd, fd;

	for (i = 0; i < sizeof dirs / sizeof *dirs; i++) {
		snprintf(parent, sizeof parent, "%s", dirs[i]);
		slash = strrchr(parent, '/');
		if (slash)
			*slash = '\0';
		pfd = slash ? fs_open_beneath(r->home_fd, parent, O_RDONLY | O_DIRECTORY, 0) :
			      r->home_fd;
		fd = pfd < 0 ? -1 : fs_ensure_dir(pfd, slash ? slash + 1 : dirs[i], 0750);
		if (pfd >= 0 && pfd != r->home_fd)
			close(pfd);
		if (fd < 0) {
			r->say("cannot create %s/%s: %s", r->agent_home, dirs[i], strerror(errno));
			return -1;
		}
		if (!strcmp(dirs[i], ".pi/agent"))
			r->agent_dir_fd = fd;
		else
			close(fd);
	}
	return 0;
}

static void sync_warning(void *ctx, const char *path, const char *reason)
{
	const struct run *r = ctx;

	r->say("warning: skipped %s/%s: %s", r->source, path, reason);
}

/* Copies the host config dir into the agent dir, reading as the host user. */
static int sync_config(struct run *r)
{
	struct sync_opts o = {
		.reader = &r->host_id, .writer = &r->agent_id, .exclude = sync_excludes,
		.warn = sync_warning, .ctx = r, .share_after = SYNC_SHARE_AFTER,
		.reader_name = r->user, .max_bytes = r->c.sync_max_bytes,
		.max_entries = r->c.sync_max_entries,
	};
	struct sync_stats st;
	struct sync_err e;
	int src, rc, err;

	if (ident_enter(&r->host_id) < 0)
		return -1;
	src = fs_open_follow(AT_FDCWD, r->source, O_RDONLY | O_DIRECTORY);
	err = errno;
	if (ident_enter(NULL) < 0) {
		if (src >= 0)
			close(src);
		return r->root_lost();
	}
	errno = err;
	if (src < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0;          /* like the seed: no config dir, nothing to sync */
	if (src < 0) {
		r->say("cannot open %s as %s: %s", r->source, r->user, strerror(errno));
		return -1;
	}
	memset(&st, 0, sizeof st);
	rc = sync_tree(src, r->agent_dir_fd, &o, &st, &e);
	close(src);
	r->synced = 1;
	r->settings_from = r->source;
	snprintf(r->host_settings, sizeof r->host_settings, "%s/settings.json", r->source);
	if (rc < 0 && e.limit)
		r->say("%s holds more than %llu %s (wrapper.%s in %s); nothing more was copied",
		       r->source, e.limit == SYNC_LIMIT_BYTES ? r->c.sync_max_bytes :
		       r->c.sync_max_entries, e.limit == SYNC_LIMIT_BYTES ? "bytes" : "entries",
		       e.limit == SYNC_LIMIT_BYTES ? "syncMaxBytes" : "syncMaxEntries", r->c.path);
	else if (rc < 0)
		r->say("cannot copy %s/%s to %s: %s: %s", r->source, e.path, r->agent_dir, e.op,
		       strerror(e.err));
	return rc;
}

/* settings.json = the seed's deep merge of the (synced) host settings and the managed ones.
 * An invalid host file is a warning; the managed settings alone are written then. */
static int write_settings(struct run *r)
{
	struct json_doc base = { 0 };
	struct json_err je;
	struct json_val b = { &base, -1 }, o = { &r->c.doc, r->c.settings };
	struct stat st;
	off_t len = 0;
	int fd, rc = -1;

	if (ident_enter(r->synced ? &r->host_id : &r->agent_id) < 0)
		return -1;
	fd = r->synced ? fs_open_regular(AT_FDCWD, r->host_settings, FS_FOLLOW_PLAIN) :
			 fs_open_regular(r->agent_dir_fd, "settings.json", 0);
	if (ident_enter(&r->agent_id) < 0) {
		if (fd >= 0)
			close(fd);
		return ident_enter(NULL) < 0 ? r->root_lost() : -1;
	}
	if (fd < 0 && errno != ENOENT)
		r->say("warning: ignoring %s/settings.json: %s; using the managed settings alone",
		       r->settings_from, errno == EFTYPE_PI ? "not a regular file" : strerror(errno));
	if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size > SETTINGS_MAX) {
		r->say("warning: ignoring %s/settings.json: larger than 1 MiB; using the managed "
		       "settings alone", r->settings_from);
		close(fd);
		fd = -1;
	}
	if (fd >= 0) {
		if (json_load_lazy(&base, fd, &je) == 0)
			b.tok = 0;
		else if (je.msg[0])
			r->say("warning: ignoring %s/settings.json: line %d col %d: %s; using the "
			       "managed settings alone", r->settings_from, je.line, je.col, je.msg);
		else
			r->say("warning: ignoring %s/settings.json: %s; using the managed settings "
			       "alone", r->settings_from, strerror(errno));
		close(fd);
	}
	/* rendered into a memory file first (never held whole in this process): written only
	 * when it differs from what the agent has */
	fd = memfd_create("settings.json", MFD_CLOEXEC);
	if (fd < 0 || merge_json(fd, b, o) < 0 || (len = lseek(fd, 0, SEEK_CUR)) == (off_t)-1 ||
	    (!unchanged(r->agent_dir_fd, "settings.json", NULL, fd, (size_t)len, r->agent_id.uid,
			0640) &&
	     fs_copy_atomic(r->agent_dir_fd, "settings.json", fd, (size_t)len, 0640) < 0))
		r->say("cannot write %s/settings.json: %s", r->agent_dir, strerror(errno));
	else
		rc = 0;
	if (fd >= 0)
		close(fd);
	json_free(&base);
	return ident_enter(NULL) < 0 ? r->root_lost() : rc;
}

struct buf {
	char *p;
	size_t n, cap;
};

static int buf_add(struct buf *b, const char *s, size_t n)
{
	if (b->n + n + 1 > b->cap) {
		size_t cap = (b->n + n + 1) * 2;
		char *p = realloc(b->p, cap);

		if (!p)
			return -1;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

/* Appends path's content and a newline, as the seed's `cat f >> env; printf '\n'` did.
 * A missing file is skipped (the seed tested -f); so is a FIFO or other special file, with
 * a warning; an unreadable one is an error. */
static int env_add_file(const struct run *r, struct buf *b, const char *path)
{
	char *text;
	size_t len;
	int fd = fs_open_regular(AT_FDCWD, path, FS_FOLLOW_PLAIN), rc;

	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0;
	if (fd < 0 && errno == EFTYPE_PI) {
		r->say("warning: skipped %s: not a regular file", path);
		return 0;
	}
	if (fd < 0) {
		r->say("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	rc = fs_read_all(fd, ENV_MAX, &text, &len);
	close(fd);
	if (rc < 0) {
		r->say("cannot read %s: %s", path, errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
		return -1;
	}
	if (memchr(text, '\0', len)) {
		r->say("cannot use %s: it contains a NUL byte, which systemd refuses", path);
		free(text);
		return -1;
	}
	rc = buf_add(b, text, len);
	if (rc == 0)
		rc = buf_add(b, "\n", 1);
	free(text);
	if (rc < 0)
		r->say("cannot read %s: %s", path, strerror(errno));
	return rc;
}

/* Writes buf as <user><suffix> in the runtime dir, root-only, and empties buf. */
static int put_env(struct run *r, const char *suffix, struct buf *b)
{
	char name[300];
	size_t n = b->n;

	snprintf(name, sizeof name, "%s%s", r->user, suffix);
	b->n = 0;
	if (unchanged(r->runtime_fd, name, b->p ? b->p : "", -1, n, 0, 0600) ||
	    fs_write_atomic(r->runtime_fd, name, b->p ? b->p : "", n, 0600) == 0)
		return 0;
	r->say("cannot write %s/%s: %s", PI_RUNTIME_DIR, name, strerror(errno));
	return -1;
}

/* The `environment` entries, one line each, quoted so systemd reads back each value. */
static int env_add_config(const struct run *r, struct buf *b, const struct kvlist *env)
{
	char *line;
	size_t i;
	int rc = 0;

	for (i = 0; rc == 0 && i < env->n; i++) {
		line = sandbox_env_line(env->v[i].key, env->v[i].value);
		rc = line ? buf_add(b, line, strlen(line)) : -1;
		free(line);
	}
	if (rc < 0)
		r->say("cannot write the environment: %s", strerror(errno));
	return rc;
}

/* NO_PROXY: the unit's own loopback, where the agent may run servers of its own; but an
 * address the allowlist names (the host's 127.0.0.1:11434, say) is the host's, reached
 * through the proxy, so it is left out. */
static void no_proxy(const struct config_network *net, char *out, size_t n)
{
	struct netpolicy_entry e;
	const char *why;
	int v4 = 1, v6 = 1;
	size_t i;

	for (i = 0; i < net->allow.n; i++)
		if (netpolicy_parse_entry(net->allow.v[i], &e, &why) == 0) {
			v4 &= strcmp(e.host, "127.0.0.1") != 0;
			v6 &= strcmp(e.host, "::1") != 0;
		}
	snprintf(out, n, "localhost%s%s", v4 ? ",127.0.0.1" : "", v6 ? ",::1" : "");
}

/* network allowlist: the proxy, for every client that reads these variables; last in
 * <user>.env, so the user's .env cannot point the agent elsewhere (it would only fail). */
static int env_add_proxy(const struct run *r, struct buf *b, const struct config_network *net)
{
	/* six take the proxy's URL, two the local addresses, the last "1" (node >= 22.21) */
	static const char *const names[] = { "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy",
					     "https_proxy", "all_proxy", "NO_PROXY", "no_proxy",
					     "NODE_USE_ENV_PROXY" };
	char url[64], local[64], *line;
	size_t i;
	int rc = 0;

	snprintf(url, sizeof url, "http://127.0.0.1:%d", PROXY_PORT);
	no_proxy(net, local, sizeof local);
	for (i = 0; rc == 0 && i < sizeof names / sizeof *names; i++) {
		line = sandbox_env_line(names[i], i < 6 ? url : i < 8 ? local : "1");
		rc = line ? buf_add(b, line, strlen(line)) : -1;
		free(line);
	}
	if (rc < 0)
		r->say("cannot write the environment: %s", strerror(errno));
	return rc;
}

/* network allowlist: the agent's own start-up calls (update and package checks, tool
 * downloads, telemetry) would only meet the allowlist's refusals, and Node warns on every
 * start that its proxy agent is experimental; first in <user>.env, so an admin's
 * `environment` entry of the same name wins. */
static int env_add_quiet(const struct run *r, struct buf *b)
{
	static const char quiet[] = "PI_OFFLINE=1\nNODE_NO_WARNINGS=1\n";

	if (buf_add(b, quiet, sizeof quiet - 1) == 0)
		return 0;
	r->say("cannot write the environment: %s", strerror(errno));
	return -1;
}

/* The env files systemd reads, in the seed's order (later ones win), each on its own so that
 * a stray quote or a trailing backslash in one cannot swallow the next: the host .env in
 * <user>.env.host, `environment` in <user>.env, environmentFiles entry i in <user>.env.<i>
 * (empty when the file is missing). Root-only, in the runtime dir the agent cannot reach. */
static int write_env(struct run *r)
{
	struct buf b = { 0 };
	char path[PATH_MAX + 8], sfx[32];
	size_t i, n = r->c.environment_files.n;
	int rc, allowlist;

	snprintf(path, sizeof path, "%s/.env", r->source);
	if (ident_enter(&r->host_id) < 0)
		return -1;
	rc = env_add_file(r, &b, path);
	if (ident_enter(NULL) < 0) {
		free(b.p);
		return r->root_lost();
	}
	if (rc == 0)
		rc = put_env(r, ".env.host", &b);
	allowlist = config_allowlist(&r->c, r->host);
	if (rc == 0 && allowlist)
		rc = env_add_quiet(r, &b);
	if (rc == 0 && (rc = env_add_config(r, &b, &r->c.environment)) == 0 &&
	    (!allowlist || (rc = env_add_proxy(r, &b, config_network(&r->c, r->host))) == 0))
		rc = put_env(r, ".env", &b);
	for (i = 0; rc == 0 && i < n; i++) {
		if (access(r->c.environment_files.v[i], F_OK) < 0 && errno == ENOENT)
			r->say("warning: environment file %s is missing; skipped",
			       r->c.environment_files.v[i]);
		snprintf(sfx, sizeof sfx, ".env.%zu", i);
		rc = env_add_file(r, &b, r->c.environment_files.v[i]);
		if (rc == 0)
			rc = put_env(r, sfx, &b);
	}
	/* the copies of entries the config no longer has */
	for (i = n; rc == 0; i++) {
		snprintf(path, sizeof path, "%s.env.%zu", r->user, i);
		if (unlinkat(r->runtime_fd, path, 0) < 0)
			break;
	}
	free(b.p);
	return rc;
}

/* projects/<index>-<slug> links to each root, for browsing; anything else there goes (what
 * cannot go is a warning: the agent's leftovers never block a launch). */
static int link_projects(struct run *r)
{
	char slug[PATH_MAX], tmp[PATH_MAX + 16], have[PATH_MAX];
	ssize_t n;
	struct dirent *de;
	DIR *d;
	size_t i;
	int fd, keep, rc = 0;

	fd = fs_open_beneath(r->home_fd, "projects", O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return -1;
	for (i = 0; rc == 0 && i < r->pol.nroots; i++) {
		policy_slug(r->pol.roots[i], i, slug, sizeof slug);
		snprintf(tmp, sizeof tmp, ".%s.pi-tmp", slug);
		n = readlinkat(fd, slug, have, sizeof have);
		if (n >= 0 && (size_t)n == strlen(r->pol.roots[i]) &&
		    !memcmp(have, r->pol.roots[i], (size_t)n))
			continue;       /* the link is already right */
		if (fs_remove(fd, tmp) < 0 || symlinkat(r->pol.roots[i], fd, tmp) < 0)
			rc = -1;
		/* a directory the agent made in the link's place goes (whatever its mode) */
		else if (renameat(fd, tmp, fd, slug) < 0 &&
			 (errno != EISDIR || fs_remove(fd, slug) < 0 || renameat(fd, tmp, fd, slug) < 0))
			rc = -1;
	}
	d = rc == 0 ? fdopendir(fd) : NULL;
	if (!d) {
		close(fd);
		return -1;
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		for (keep = 0, i = 0; !keep && i < r->pol.nroots; i++) {
			policy_slug(r->pol.roots[i], i, slug, sizeof slug);
			keep = !strcmp(slug, de->d_name);
		}
		if (!keep && fs_remove(dirfd(d), de->d_name) < 0)
			r->say("warning: cannot remove %s/projects/%s: %s; left in place",
			       r->agent_home, de->d_name, strerror(errno));
	}
	closedir(d);
	return rc;
}

int prepare_run(struct run *r)
{
	char name[300];
	int state, users, rc;

	r->runtime_fd = open_root_dir(r, AT_FDCWD, PI_RUNTIME_DIR, 0700, "runtime directory");
	if (r->runtime_fd < 0 || fchmod(r->runtime_fd, 0700) < 0)
		return -1;
	snprintf(name, sizeof name, "%s.lock", r->user);
	r->lock_fd = fs_lock(r->runtime_fd, name);
	if (r->lock_fd < 0) {
		r->say("cannot lock %s/%s: %s", PI_RUNTIME_DIR, name, strerror(errno));
		return -1;
	}
	state = open_root_dir(r, AT_FDCWD, r->c.state_dir, 0755, "stateDir");
	users = state < 0 ? -1 : open_root_dir(r, state, "users", 0711, "directory");
	if (state >= 0)
		close(state);
	r->home_fd = users < 0 ? -1 : open_agent_home(r, users);
	if (users >= 0)
		close(users);
	if (r->home_fd < 0 || ident_enter(&r->agent_id) < 0)
		return -1;
	rc = make_agent_dirs(r);
	if (ident_enter(NULL) < 0)
		return r->root_lost();
	if (rc < 0)
		return -1;
	r->settings_from = r->agent_dir;
	if (r->c.sync_config && sync_config(r) < 0)
		return -1;
	if (write_settings(r) < 0 || write_env(r) < 0 || ident_enter(&r->agent_id) < 0)
		return -1;
	rc = link_projects(r);
	if (rc < 0)
		r->say("cannot update %s/projects: %s", r->agent_home, strerror(errno));
	if (ident_enter(NULL) < 0)
		return r->root_lost();
	return rc;
}

