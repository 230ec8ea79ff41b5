/* runner.c - pi-runner: run as root through sudo; re-checks the policy, prepares the agent's
 * state and execs systemd-run.
 *
 * MUST rules kept here:
 * - the invoking user is the one sudo names (SUDO_UID); a different <user> argument is denied;
 * - the config comes from the compiled-in path under sudo and must be root's alone;
 * - the host user's files are read with the host user's filesystem identity, the agent's
 *   state is written with the agent's identity, through directory fds, never following links;
 * - root-only work (runtime dir, env file, ownership of the agent home) happens on fds;
 * - preparation is serialised per host user by a lock in the root-only runtime dir;
 * - systemd-run runs by absolute path with an environment built from scratch; the runner
 *   stays to stop the unit when it is signalled (systemd-run alone would leave it running).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "config.h"
#include "fs.h"
#include "ident.h"
#include "merge.h"
#include "pi.h"
#include "policy.h"
#include "sandbox.h"
#include "sync.h"

enum { ENV_MAX = 1 << 20 };

struct run {
	struct config c;
	const struct host_user *host;
	const char *user;                 /* the invoking host user */
	const char *agent;                /* the agent account */
	char home[PATH_MAX];              /* the host user's home */
	char source[PATH_MAX];            /* the host user's config dir */
	char agent_home[PATH_MAX];        /* <stateDir>/users/<user> */
	char env_file[PATH_MAX];
	char agent_bin[PATH_MAX];
	char agent_dir[PATH_MAX];         /* <agent_home>/.pi/agent */
	const char *settings_from;        /* the directory settings.json came from */
	char host_settings[PATH_MAX + 16];
	int synced;                       /* the host config dir was copied */
	struct ident host_id, agent_id;
	struct policy pol;
	int runtime_fd, home_fd, agent_dir_fd, lock_fd;
	char unit[128];                   /* the transient unit's name */
};

static const char *const sync_excludes[] = {
	"auth.json", "mcp-oauth", "sessions", "bin", "mcp-cache.json", NULL,
};

static int usage(void)
{
	pi_plain("Usage: %s <invoking-user> <cwd> [pi-args...]", pi_prog);
	pi_plain("       %s --check [--offline] [CONFIG]", pi_prog);
	return EXIT_USAGE;
}

/* The user sudo says ran us must be the user named on the command line. */
static int check_caller(const char *named)
{
	const char *sudo_uid = getenv("SUDO_UID");
	struct passwd *pw;
	char *end;
	unsigned long uid;

	if (!sudo_uid)
		return 0;
	errno = 0;
	uid = strtoul(sudo_uid, &end, 10);
	if (errno || end == sudo_uid || *end) {
		pi_say("SUDO_UID '%s' is not a uid", sudo_uid);
		return -1;
	}
	if (uid == 0)
		return 0;
	pw = getpwuid((uid_t)uid);
	if (!pw) {
		pi_say("the invoking uid %lu has no passwd entry", uid);
		return -1;
	}
	if (strcmp(pw->pw_name, named) != 0) {
		pi_plain("Denied: user argument '%s' does not match the invoking user '%s'.",
			 named, pw->pw_name);
		return -1;
	}
	return 0;
}

static int has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

/* Identities, home, and the policy re-check with the host user's eyes. */
static int check_policy(struct run *r, const char *cwd)
{
	struct passwd *pw = getpwnam(r->user);
	struct group *gr;
	enum policy_result res;
	struct stat st;
	size_t i;

	if (!pw || !pw->pw_dir || !*pw->pw_dir) {
		pi_plain("Unable to determine home directory for user '%s'", r->user);
		return -1;
	}
	snprintf(r->home, sizeof r->home, "%s", pw->pw_dir);
	if (ident_of_user(&r->host_id, r->user, (gid_t)-1) < 0) {
		pi_say("cannot read the groups of user '%s': %s", r->user, strerror(errno));
		return -1;
	}
	gr = getgrnam(r->c.group);
	if (!gr || ident_of_user(&r->agent_id, r->agent, gr->gr_gid) < 0) {
		pi_say("agent account '%s' (group '%s') does not exist: create it or fix user/group "
		       "in %s", r->agent, r->c.group, r->c.path);
		return -1;
	}
	r->agent_id.ngroups = 1;
	r->agent_id.groups[0] = gr->gr_gid;
	if (ident_enter(&r->host_id) < 0) {
		pi_say("cannot take the identity of '%s': %s", r->user, strerror(errno));
		return -1;
	}
	res = policy_check(&r->pol, &r->host->roots, r->home, cwd);
	if (res == POLICY_ERROR)
		pi_say("cannot resolve the project roots of '%s': %s", r->user, strerror(errno));
	if (res == POLICY_OK) {
		const char *why = stat(r->pol.cwd, &st) < 0 ? strerror(errno) :
				  !S_ISDIR(st.st_mode) ? "not a directory" : NULL;

		if (why) {
			pi_say("cannot use working directory '%s': %s", r->pol.cwd, why);
			res = POLICY_ERROR;
		}
	}
	ident_enter(NULL);
	pi_say_denial(&r->pol, res, r->user);
	for (i = 0; res == POLICY_OK && i < r->pol.nroots; i++)
		if (has_ctl(r->pol.roots[i]) || has_ctl(r->pol.cwd)) {
			pi_plain("Denied: project paths of user '%s' must not contain control characters.",
				 r->user);
			res = POLICY_ERROR;
		}
	return res == POLICY_OK ? 0 : -1;
}

/* A directory root alone may change, created 0755 (or mode) if missing. */
static int open_root_dir(int at, const char *path, mode_t mode, const char *what)
{
	struct stat st;
	int fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT && (mkdirat(at, path, mode) == 0 || errno == EEXIST))
		fd = openat(at, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		pi_say("cannot open %s %s: %s", what, path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		pi_say("%s %s must be owned by root and not writable by group or others "
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
		pi_say("cannot open the agent home %s: %s", r->agent_home, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_uid != r->agent_id.uid) {
		pi_say("agent home %s belongs to uid %u, not to the agent account '%s': run "
		       "chown -R %s: %s", r->agent_home, (unsigned)st.st_uid, r->agent, r->agent,
		       r->agent_home);
		close(fd);
		return -1;
	}
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0) {
		pi_say("cannot set the mode of %s: %s", r->agent_home, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* The seed's directories inside the agent home, made as the agent; a link in the way of
 * one is replaced, never followed. */
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
			pi_say("cannot create %s/%s: %s", r->agent_home, dirs[i], strerror(errno));
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
	pi_say("warning: skipped %s/%s: %s", (const char *)ctx, path, reason);
}

/* Copies the host config dir into the agent dir, reading as the host user. */
static int sync_config(struct run *r)
{
	struct sync_opts o = {
		.reader = &r->host_id, .writer = &r->agent_id, .exclude = sync_excludes,
		.warn = sync_warning, .ctx = r->source,
	};
	struct sync_stats st;
	struct sync_err e;
	int src, rc, err;

	if (ident_enter(&r->host_id) < 0)
		return -1;
	src = open(r->source, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	err = errno;
	ident_enter(NULL);
	errno = err;
	if (src < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0;          /* like the seed: no config dir, nothing to sync */
	if (src < 0) {
		pi_say("cannot open %s as %s: %s", r->source, r->user, strerror(errno));
		return -1;
	}
	memset(&st, 0, sizeof st);
	rc = sync_tree(src, r->agent_dir_fd, &o, &st, &e);
	close(src);
	r->synced = 1;
	r->settings_from = r->source;
	snprintf(r->host_settings, sizeof r->host_settings, "%s/settings.json", r->source);
	if (rc < 0)
		pi_say("cannot copy %s/%s to %s: %s: %s", r->source, e.path, r->agent_dir, e.op,
		       strerror(e.err));
	return rc;
}

/* settings.json = the seed's deep merge of the (synced) host settings and the managed ones.
 * An invalid host file is a warning; the managed settings alone are written then. */
static int write_settings(struct run *r)
{
	struct json_doc base = { 0 };
	struct json_err je;
	struct fs_tmp t;
	struct json_val b = { &base, -1 }, o = { &r->c.doc, r->c.settings };
	int fd, rc = -1;

	if (ident_enter(r->synced ? &r->host_id : &r->agent_id) < 0)
		return -1;
	fd = r->synced ? fs_open_regular(AT_FDCWD, r->host_settings, 1) :
			 fs_open_regular(r->agent_dir_fd, "settings.json", 0);
	if (ident_enter(&r->agent_id) < 0) {
		if (fd >= 0)
			close(fd);
		ident_enter(NULL);
		return -1;
	}
	if (fd < 0 && errno != ENOENT)
		pi_say("warning: ignoring %s/settings.json: %s; using the managed settings alone",
		       r->settings_from, errno == EFTYPE_PI ? "not a regular file" : strerror(errno));
	if (fd >= 0) {
		if (json_load(&base, fd, &je) == 0)
			b.tok = 0;
		else if (je.msg[0])
			pi_say("warning: ignoring %s/settings.json: line %d col %d: %s; using the "
			       "managed settings alone", r->settings_from, je.line, je.col, je.msg);
		else
			pi_say("warning: ignoring %s/settings.json: %s; using the managed settings "
			       "alone", r->settings_from, strerror(errno));
		close(fd);
	}
	if (fs_tmp_open(&t, r->agent_dir_fd, "settings.json", 0) < 0) {
		pi_say("cannot write %s/settings.json: %s", r->agent_dir, strerror(errno));
	} else if (merge_json(t.fd, b, o) < 0 || fs_tmp_commit(&t, 0640) < 0) {
		pi_say("cannot write %s/settings.json: %s", r->agent_dir, strerror(errno));
		fs_tmp_abort(&t);
	} else {
		rc = 0;
	}
	json_free(&base);
	ident_enter(NULL);
	return rc;
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
static int env_add_file(struct buf *b, const char *path)
{
	char *text;
	size_t len;
	int fd = fs_open_regular(AT_FDCWD, path, 1), rc;

	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0 && errno == EFTYPE_PI) {
		pi_say("warning: skipped %s: not a regular file", path);
		return 0;
	}
	if (fd < 0) {
		pi_say("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	rc = fs_read_all(fd, ENV_MAX, &text, &len);
	close(fd);
	if (rc < 0) {
		pi_say("cannot read %s: %s", path, errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
		return -1;
	}
	rc = buf_add(b, text, len);
	if (rc == 0)
		rc = buf_add(b, "\n", 1);
	free(text);
	if (rc < 0)
		pi_say("cannot read %s: %s", path, strerror(errno));
	return rc;
}

/* The env file systemd reads: host .env, then `environment`, then environmentFiles (later
 * lines win), written root-only into the runtime dir the agent cannot reach. */
static int write_env(struct run *r)
{
	struct buf b = { 0 };
	char path[PATH_MAX + 8], name[300];
	size_t i;
	int rc = 0;

	snprintf(path, sizeof path, "%s/.env", r->source);
	if (ident_enter(&r->host_id) < 0)
		return -1;
	rc = env_add_file(&b, path);
	ident_enter(NULL);
	for (i = 0; rc == 0 && i < r->c.environment.n; i++) {
		const struct kv *e = &r->c.environment.v[i];

		if ((i && buf_add(&b, "\n", 1) < 0) || buf_add(&b, e->key, strlen(e->key)) < 0 ||
		    buf_add(&b, "=", 1) < 0 || buf_add(&b, e->value, strlen(e->value)) < 0)
			rc = -1;
	}
	if (rc == 0)
		rc = buf_add(&b, "\n", 1);
	for (i = 0; rc == 0 && i < r->c.environment_files.n; i++) {
		if (access(r->c.environment_files.v[i], F_OK) < 0 && errno == ENOENT)
			pi_say("warning: environment file %s is missing; skipped",
			       r->c.environment_files.v[i]);
		rc = env_add_file(&b, r->c.environment_files.v[i]);
	}
	snprintf(name, sizeof name, "%s.env", r->user);
	if (rc == 0 && fs_write_atomic(r->runtime_fd, name, b.p ? b.p : "", b.n, 0600) < 0) {
		pi_say("cannot write %s: %s", r->env_file, strerror(errno));
		rc = -1;
	}
	free(b.p);
	return rc;
}

/* projects/<index>-<slug> links to each root, for browsing; anything else there goes. */
static int link_projects(struct run *r)
{
	char slug[PATH_MAX], tmp[PATH_MAX + 16];
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
		if (fs_remove(fd, tmp) < 0 || symlinkat(r->pol.roots[i], fd, tmp) < 0 ||
		    renameat(fd, tmp, fd, slug) < 0)
			rc = -1;
	}
	d = rc == 0 ? fdopendir(fd) : NULL;
	if (!d) {
		close(fd);
		return -1;
	}
	while (rc == 0 && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		for (keep = 0, i = 0; !keep && i < r->pol.nroots; i++) {
			policy_slug(r->pol.roots[i], i, slug, sizeof slug);
			keep = !strcmp(slug, de->d_name);
		}
		if (!keep)
			rc = fs_remove(dirfd(d), de->d_name);
	}
	closedir(d);
	return rc;
}

static int executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

/* binaryName, then pi, then pi-agent in <package>/bin; else list bin/ and fail. */
static int find_agent(struct run *r)
{
	const char *names[] = { r->c.binary_name, "pi", "pi-agent" };
	char dir[PATH_MAX];
	struct dirent *de;
	DIR *d;
	size_t i;

	snprintf(dir, sizeof dir, "%s/bin", r->c.package);
	for (i = 0; i < 3; i++) {
		snprintf(r->agent_bin, sizeof r->agent_bin, "%s/%s", dir, names[i]);
		if (executable(r->agent_bin))
			return 0;
	}
	snprintf(r->agent_bin, sizeof r->agent_bin, "%s/%s", dir, names[0]);
	pi_plain("Pi binary not found or not executable: %s", r->agent_bin);
	pi_plain("Available executables in %s:", dir);
	d = opendir(dir);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			pi_plain("%s", de->d_name);
	if (d)
		closedir(d);
	return -1;
}

static int prepare(struct run *r)
{
	char name[300];
	int state, users;

	r->runtime_fd = open_root_dir(AT_FDCWD, PI_RUNTIME_DIR, 0700, "runtime directory");
	if (r->runtime_fd < 0 || fchmod(r->runtime_fd, 0700) < 0)
		return -1;
	snprintf(name, sizeof name, "%s.lock", r->user);
	r->lock_fd = fs_lock(r->runtime_fd, name);
	if (r->lock_fd < 0) {
		pi_say("cannot lock %s/%s: %s", PI_RUNTIME_DIR, name, strerror(errno));
		return -1;
	}
	state = open_root_dir(AT_FDCWD, r->c.state_dir, 0755, "stateDir");
	users = state < 0 ? -1 : open_root_dir(state, "users", 0711, "directory");
	if (state >= 0)
		close(state);
	r->home_fd = users < 0 ? -1 : open_agent_home(r, users);
	if (users >= 0)
		close(users);
	if (r->home_fd < 0 || ident_enter(&r->agent_id) < 0)
		return -1;
	if (make_agent_dirs(r) < 0) {
		ident_enter(NULL);
		return -1;
	}
	ident_enter(NULL);
	r->settings_from = r->agent_dir;
	if (r->c.sync_config && sync_config(r) < 0)
		return -1;
	if (write_settings(r) < 0 || write_env(r) < 0 || ident_enter(&r->agent_id) < 0)
		return -1;
	if (link_projects(r) < 0) {
		pi_say("cannot update %s/projects: %s", r->agent_home, strerror(errno));
		ident_enter(NULL);
		return -1;
	}
	ident_enter(NULL);
	return find_agent(r) < 0 ? -EXIT_NO_AGENT : 0;
}

/* A TERM value worth passing on: a plain terminal name. */
static const char *plain_term(void)
{
	const char *t = getenv("TERM"), *s;

	if (!t || !*t || strlen(t) > 64)
		return NULL;
	for (s = t; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr("._+-", *s)))
			return NULL;
	return t;
}

/* pi-agent-<user>-<random>.service ('$' of a user name, not allowed in units, becomes '_'). */
static int unit_name(struct run *r)
{
	unsigned char rnd[4];
	char *p;

	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		return -1;
	snprintf(r->unit, sizeof r->unit, "pi-agent-%s-%02x%02x%02x%02x.service", r->user,
		 rnd[0], rnd[1], rnd[2], rnd[3]);
	for (p = r->unit; *p; p++)
		if (*p == '$')
			*p = '_';
	return 0;
}

/* Runs argv in a child with the signals unblocked; returns its pid. */
static pid_t spawn(char *const *argv, char **envp, const sigset_t *old)
{
	pid_t pid = fork();

	if (pid == 0) {
		sigprocmask(SIG_SETMASK, old, NULL);
		execve(argv[0], argv, envp);
		pi_say("cannot run %s: %s", argv[0], strerror(errno));
		_exit(EXIT_DENIED);
	}
	return pid;
}

/* systemctl stop <unit>, from systemd-run's own directory. */
static pid_t stop_unit(struct run *r, char **envp, const sigset_t *old)
{
	char ctl[PATH_MAX], *slash;
	char *argv[] = { ctl, "stop", r->unit, NULL };

	snprintf(ctl, sizeof ctl, "%s", r->c.systemd_run_path);
	slash = strrchr(ctl, '/');
	snprintf(slash + 1, sizeof ctl - (size_t)(slash + 1 - ctl), "systemctl");
	return spawn(argv, envp, old);
}

/* Waits for systemd-run; SIGINT, SIGTERM, SIGHUP or SIGQUIT stop the unit first (systemd-run
 * itself leaves it running), and then the exit status is 128 + the signal. */
static int supervise(struct run *r, char *const *argv, char **envp)
{
	sigset_t set, old;
	pid_t pid, stopper = -1, w;
	int sig, status = 0, got = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = spawn(argv, envp, &old);
	if (pid < 0) {
		pi_say("cannot run %s: %s", argv[0], strerror(errno));
		return EXIT_DENIED;
	}
	for (;;) {
		sig = sigwaitinfo(&set, NULL);
		if (sig > 0 && sig != SIGCHLD && !got) {
			got = sig;
			stopper = stop_unit(r, envp, &old);
		}
		while ((w = waitpid(-1, &sig, WNOHANG)) > 0)
			if (w == pid)
				status = sig, pid = 0;
			else if (w == stopper)
				stopper = -1;
		if (!pid && stopper <= 0)
			break;
	}
	if (got)
		return 128 + got;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int launch(struct run *r, char **args, size_t nargs)
{
	static const char *const maybe_hidden[] = { "/mnt", "/media", "/srv" };
	const char *hidden[3];
	char term_env[80];
	char *envp[3] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL, NULL };
	struct launch l = {
		.c = &r->c, .host_user = r->user, .agent_user = r->agent, .home = r->agent_home,
		.cwd = r->pol.cwd, .env_file = r->env_file, .runtime_dir = PI_RUNTIME_DIR,
		.agent_bin = r->agent_bin, .roots = r->pol.roots, .nroots = r->pol.nroots,
		.hidden = hidden, .term = plain_term(), .pty = isatty(0) && isatty(1),
		.args = args, .nargs = nargs, .unit = r->unit,
	};
	struct argv a;
	struct stat st;
	size_t i;
	int rc;

	for (i = 0; i < 3; i++)
		if (lstat(maybe_hidden[i], &st) == 0)
			hidden[l.nhidden++] = maybe_hidden[i];
	if (unit_name(r) < 0 || sandbox_argv(&l, &a) < 0) {
		pi_say("cannot build the systemd-run command: %s", strerror(errno));
		return EXIT_DENIED;
	}
	if (l.pty && l.term) {
		snprintf(term_env, sizeof term_env, "TERM=%s", l.term);
		envp[1] = term_env;
	}
	/* preparation is over: the next launch of this user may start */
	close(r->lock_fd);
	close(r->runtime_fd);
	close(r->home_fd);
	close(r->agent_dir_fd);
	rc = supervise(r, a.v, envp);
	sandbox_argv_free(&a);
	return rc;
}

/* One line per problem the live system shows for a loaded config. */
static int check_live(const struct config *c)
{
	char path[PATH_MAX];
	const char *bins[] = { c->binary_name, "pi", "pi-agent" };
	const char *exe[] = { c->sudo_path, c->systemd_run_path, c->runner_path };
	const char *exe_key[] = { "sudoPath", "systemdRunPath", "runnerPath" };
	int bad = 0, found = 0;
	size_t i;

	if (!getgrnam(c->group) && ++bad)
		pi_say("%s: group: group '%s' does not exist", c->path, c->group);
	if (c->project_group && !getgrnam(c->project_group) && ++bad)
		pi_say("%s: projectGroup: group '%s' does not exist", c->path, c->project_group);
	if (!getpwnam(c->user) && ++bad)
		pi_say("%s: user: user '%s' does not exist", c->path, c->user);
	for (i = 0; i < c->nhosts; i++) {
		if (!getpwnam(c->hosts[i].name) && ++bad)
			pi_say("%s: hostUsers.%s: user does not exist", c->path, c->hosts[i].name);
		if (c->hosts[i].agent_user && !getpwnam(c->hosts[i].agent_user) && ++bad)
			pi_say("%s: hostUsers.%s.agentUser: user '%s' does not exist", c->path,
			       c->hosts[i].name, c->hosts[i].agent_user);
	}
	for (i = 0; i < 3 && !found; i++) {
		snprintf(path, sizeof path, "%s/bin/%s", c->package, bins[i]);
		found = executable(path);
	}
	if (!found && ++bad)
		pi_say("%s: package: no executable %s, pi or pi-agent in %s/bin", c->path,
		       c->binary_name, c->package);
	for (i = 0; i < 3; i++)
		if (!executable(exe[i]) && ++bad)
			pi_say("%s: %s: %s is not an executable file", c->path, exe_key[i], exe[i]);
	return bad;
}

/* --check [--offline] [FILE]: validates a config like visudo -c. */
static int check_main(int argc, char **argv)
{
	struct config c;
	struct config_err e;
	const char *path = NULL;
	int offline = 0, i, bad;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--offline"))
			offline = 1;
		else if (!path && argv[i][0] != '-')
			path = argv[i];
		else
			return usage();
	}
	if (path && geteuid() == 0 && getenv("SUDO_UID")) {
		pi_say("--check FILE is not available through sudo; run it as yourself");
		return EXIT_USAGE;
	}
	if (config_load(&c, path ? path : pi_config_path(), path ? CONFIG_TRUST_ANY :
			CONFIG_TRUST_ROOT, &e) < 0) {
		pi_say_config_error(path ? path : pi_config_path(), &e);
		config_free(&c);
		return EXIT_DENIED;
	}
	if (!c.nhosts)
		pi_say("%s: hostUsers: no host user is configured; every launch is denied", c.path);
	bad = offline ? 0 : check_live(&c);
	config_free(&c);
	if (bad)
		return EXIT_DENIED;
	puts("OK");
	return 0;
}

int runner_main(int argc, char **argv)
{
	struct run r;
	struct config_err e;
	int rc;

	if (argc >= 2 && !strcmp(argv[1], "--check"))
		return check_main(argc - 1, argv + 1);
	if (getuid() != 0 || geteuid() != 0) {
		pi_plain("%s must run as root", pi_prog);
		return EXIT_DENIED;
	}
	if (argc < 3 || argv[2][0] != '/')
		return usage();
	memset(&r, 0, sizeof r);
	r.runtime_fd = r.home_fd = r.agent_dir_fd = r.lock_fd = -1;
	r.user = argv[1];
	if (check_caller(r.user) < 0 || ident_save_root() < 0)
		return EXIT_DENIED;
	if (config_load(&r.c, pi_config_path(), CONFIG_TRUST_ROOT, &e) < 0) {
		pi_say_config_error(pi_config_path(), &e);
		return EXIT_DENIED;
	}
	r.host = config_host(&r.c, r.user);
	if (!r.host) {
		pi_plain("User '%s' is not allowed to use %s", r.user, r.c.command_name);
		return EXIT_DENIED;
	}
	r.agent = config_agent_user(&r.c, r.host);
	if (check_policy(&r, argv[2]) < 0)
		return EXIT_DENIED;
	if (snprintf(r.agent_home, sizeof r.agent_home, "%s/users/%s", r.c.state_dir,
		     r.user) >= (int)sizeof r.agent_home - 16 ||
	    policy_expand(r.host->config_path ? r.host->config_path : r.c.host_config_path, r.home,
			  r.source, sizeof r.source - 16) < 0) {
		pi_say("the state or config path of user '%s' is too long", r.user);
		return EXIT_DENIED;
	}
	snprintf(r.agent_dir, sizeof r.agent_dir, "%s/.pi/agent", r.agent_home);
	snprintf(r.env_file, sizeof r.env_file, "%s/%s.env", PI_RUNTIME_DIR, r.user);
	rc = prepare(&r);
	if (rc < 0)
		return rc == -EXIT_NO_AGENT ? EXIT_NO_AGENT : EXIT_DENIED;
	return launch(&r, argv + 3, (size_t)(argc - 3));
}
