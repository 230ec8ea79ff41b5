/* project.c - pi-runner's plan for the project's own .pi under projectConfig: merged settings, hidden dirs, trust.
 *
 * MUST rules kept here:
 * - the project is read with the host user's filesystem identity, from the resolved cwd,
 *   never following a link at .pi, .pi/settings.json, .pi/extensions or .agents (a link there
 *   refuses the launch: the unit would mount over wherever it leads) nor a magic link;
 * - nothing of the user's on disk is written: the merged settings are root's, in a root-only
 *   directory, mounted read-only over the project's inside its staged roots, and hidden dirs
 *   are empty read-only tmpfs there (cover.c), so systemd resolves no path of the user's for
 *   them; a hidden dir outside every root is left to the unit only when no one but root can
 *   change its path (hide_fixed), else the launch is refused;
 * - trust.json in the agent dir is written by the launcher at every launch under admin-wins
 *   and deny (as the agent, temp file + rename), never copied from the user.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cover.h"
#include "coverwatch.h"
#include "fs.h"
#include "hide.h"
#include "projcfg.h"
#include "project.h"

enum { PROJECT_SETTINGS_MAX = 1 << 20 };

static int add_hide(const struct run *r, struct projcfg *p, const char *dir, const char *name)
{
	if (p->nhide == PROJCFG_MAX_HIDE)
		errno = E2BIG;
	else if (asprintf(&p->hide[p->nhide], "%s%s%s", dir, strcmp(dir, "/") ? "/" : "",
			  name) >= 0) {
		p->nhide++;
		return 0;
	}
	r->say("cannot hide %s/%s from the agent: %s", dir, name, strerror(errno));
	return -1;
}

static int say_cannot(const struct run *r, const char *path)
{
	r->say("cannot read %s as %s: %s", path, r->user, strerror(errno));
	return -1;
}

/* What is at name under dirfd (no link followed): 0 nothing, 'd' a directory, 'f' a regular
 * file, 'l' a link, 'o' anything else; -1 on an error. */
static int kind_at(int dirfd, const char *name)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
	return S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : S_ISLNK(st.st_mode) ? 'l' : 'o';
}

static int refuse_link(struct run *r, const char *dir, const char *name)
{
	r->say("%s/%s is a link: under projectConfig \"%s\" the unit is shown only what is there, "
	       "and a link would lead elsewhere; replace it by the directory or file itself, or "
	       "ask an admin for \"allow\"", dir, name, projcfg_name(r->pc.mode));
	errno = ELOOP;
	return -1;
}

/* Nonzero when the unit sees path: inside a bound root, or outside the trees it hides. */
static int unit_sees(const struct run *r, const char *path)
{
	const char *const hidden[] = { "/home", "/root", "/run", "/mnt", "/media", "/srv", "/tmp",
				       "/var/tmp", r->c.state_dir };
	size_t i, n;

	for (i = 0; i < r->pol.nroots; i++) {
		n = strlen(r->pol.roots[i]);
		if (!strncmp(path, r->pol.roots[i], n) && (path[n] == '/' || !path[n]))
			return 1;
	}
	for (i = 0; i < sizeof hidden / sizeof *hidden; i++) {
		n = strlen(hidden[i]);
		if (!strncmp(path, hidden[i], n) && (path[n] == '/' || !path[n]))
			return 0;
	}
	return 1;
}

/* deny: each <dir>/.agents holding skills, from the cwd up, wherever the unit sees it. */
static int hide_agents_skills(struct run *r)
{
	char dir[PATH_MAX], *slash;
	int fd, agents, k;

	snprintf(dir, sizeof dir, "%s", r->pol.cwd);
	for (;;) {
		fd = unit_sees(r, dir) ? fs_open_follow(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY) : -1;
		k = fd < 0 ? 0 : kind_at(fd, ".agents");
		if (k == 'l') {
			close(fd);
			return refuse_link(r, dir, ".agents");
		}
		if (k == 'd') {
			agents = fs_open_dir(fd, ".agents");
			if (agents >= 0 && kind_at(agents, "skills") > 0 &&
			    add_hide(r, &r->pc, dir, ".agents") < 0) {
				close(agents);
				close(fd);
				return -1;
			}
			if (agents >= 0)
				close(agents);
		}
		if (fd >= 0)
			close(fd);
		slash = strrchr(dir, '/');
		if (!slash || !dir[1])
			return 0;
		slash[slash == dir] = '\0';
	}
}

/* The project's settings (read as the user) merged under the admin's, into a memory file.
 * A link there now (swapped in since kind_at looked) is refused as one. */
static int merge_settings(struct run *r, int pi, const char *dotpi, int *out)
{
	struct json_val over = { &r->c.doc, r->c.settings };
	struct json_err e;
	char *text;
	size_t len;
	int fd = fs_open_regular(pi, "settings.json", 0), rc;

	if (fd < 0 && errno == ELOOP)
		return refuse_link(r, dotpi, "settings.json");
	if (fd < 0 || fs_read_all(fd, PROJECT_SETTINGS_MAX, &text, &len) < 0) {
		r->say("cannot read %s/.pi/settings.json as %s: %s", r->pol.cwd, r->user,
		       errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	*out = memfd_create("project-settings.json", MFD_CLOEXEC);
	if (*out < 0) {
		free(text);
		return -1;
	}
	rc = projcfg_merge(*out, text, len, over, &e);
	if (rc < 0 && errno == EINVAL && e.msg[0]) {
		r->say("warning: %s/.pi/settings.json: line %d col %d: %s; the agent sees the "
		       "managed settings alone there", r->pol.cwd, e.line, e.col, e.msg);
		rc = ftruncate(*out, 0) < 0 || lseek(*out, 0, SEEK_SET) < 0 ? -1 :
		     merge_json(*out, (struct json_val){ NULL, -1 }, over);
	}
	return rc;
}

/* admin-wins: .pi/extensions hidden, .pi/settings.json merged (the memfd in *settings). */
static int admin_wins(struct run *r, int pi, const char *dotpi, int *settings)
{
	int k = kind_at(pi, "extensions");

	if (k == 'l')
		return refuse_link(r, dotpi, "extensions");
	if (k < 0)
		return say_cannot(r, dotpi);
	if (k == 'd' && add_hide(r, &r->pc, dotpi, "extensions") < 0)
		return -1;
	k = kind_at(pi, "settings.json");
	if (k == 'l')
		return refuse_link(r, dotpi, "settings.json");
	if (k == 'o') {
		r->say("%s/settings.json is not a regular file: replace it by a file or remove it",
		       dotpi);
		return -1;
	}
	if (k < 0)
		return say_cannot(r, dotpi);
	if (k != 'f')
		return 0;
	if (merge_settings(r, pi, dotpi, settings) < 0)
		return -1;
	return asprintf(&r->pc.settings_to, "%s/settings.json", dotpi) < 0 ? -1 : 0;
}

/* Reads <cwd>/.pi as the user: what to hide, and the merged settings. */
static int read_project(struct run *r, int *settings)
{
	char dotpi[PATH_MAX + 8];
	int cwd = fs_open_follow(AT_FDCWD, r->pol.cwd, O_RDONLY | O_DIRECTORY), pi, k, rc;

	snprintf(dotpi, sizeof dotpi, "%s/.pi", r->pol.cwd);
	if (cwd < 0)
		return say_cannot(r, r->pol.cwd);
	k = kind_at(cwd, ".pi");
	if (k == 'l')
		rc = refuse_link(r, r->pol.cwd, ".pi");
	else if (k < 0)
		rc = say_cannot(r, dotpi);
	else if (k != 'd')
		rc = 0;
	else if (r->pc.mode == PROJCFG_DENY)
		rc = add_hide(r, &r->pc, r->pol.cwd, ".pi");
	else if ((pi = fs_open_dir(cwd, ".pi")) < 0)
		rc = kind_at(cwd, ".pi") == 'l' ? refuse_link(r, r->pol.cwd, ".pi") :
		     say_cannot(r, dotpi);
	else {
		rc = admin_wins(r, pi, dotpi, settings);
		close(pi);
	}
	close(cwd);
	if (rc == 0 && r->pc.mode == PROJCFG_DENY)
		rc = hide_agents_skills(r);
	return rc;
}

/* The root-only directory of the merged settings; files of runners that are gone go. */
static int project_dir(const char *user)
{
	char prefix[300];
	struct dirent *de;
	struct stat st;
	DIR *d;
	char *end;
	long pid;
	int fd;

	if (mkdir(PI_PROJECT_DIR, 0700) < 0 && errno != EEXIST)
		return -1;
	fd = open(PI_PROJECT_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_uid != 0 || (st.st_mode & 077)) {
		if (fd >= 0)
			close(fd);
		errno = EPERM;
		return -1;
	}
	snprintf(prefix, sizeof prefix, "%s-", user);
	d = fdopendir(dup(fd));
	while (d && (de = readdir(d)))
		if (!strncmp(de->d_name, prefix, strlen(prefix)) &&
		    (pid = strtol(de->d_name + strlen(prefix), &end, 10)) > 0 &&
		    !strcmp(end, ".json") && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
			unlinkat(fd, de->d_name, 0);
	if (d)
		closedir(d);
	return fd;
}

/* Nonzero when trust.json is already the agent's 0640 regular file holding exactly "{}\n". */
static int trust_unchanged(const struct run *r)
{
	struct stat st;
	char buf[4];
	int fd = openat(r->agent_dir_fd, "trust.json", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	int same = fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_nlink == 1 &&
		   st.st_uid == r->agent_id.uid && (st.st_mode & 07777) == 0640 && st.st_size == 3 &&
		   read(fd, buf, sizeof buf) == 3 && !memcmp(buf, "{}\n", 3);

	if (fd >= 0)
		close(fd);
	return same;
}

/* trust.json: nothing trusted; the agent's own record of earlier answers never carries over. */
static int write_trust(struct run *r)
{
	int rc;

	if (ident_enter(&r->agent_id) < 0)
		return -1;
	rc = trust_unchanged(r) ? 0 : fs_write_atomic(r->agent_dir_fd, "trust.json", "{}\n", 3, 0640);
	if (ident_enter(NULL) < 0)
		return r->root_lost();
	if (rc < 0)
		r->say("cannot write %s/trust.json: %s", r->agent_dir, strerror(errno));
	return rc;
}

/* Writes the merged settings from the memfd as PI_PROJECT_DIR/<user>-<pid>.json. */
static int put_settings(struct run *r, int mfd)
{
	off_t len = lseek(mfd, 0, SEEK_END);
	char name[300];
	int dir = len < 0 ? -1 : project_dir(r->user), rc;

	if (dir < 0)
		return -1;
	snprintf(name, sizeof name, "%s-%ld.json", r->user, (long)getpid());
	rc = fs_copy_atomic(dir, name, mfd, (size_t)len, 0644);
	close(dir);
	r->pc.written = rc == 0;
	return rc;
}

/* Each hidden dir is covered inside the staged roots that hold it; one outside every root is
 * left to the unit (TemporaryFileSystem=) only where no one but root can change its path. */
static int plan_hides(struct run *r)
{
	struct projcfg *p = &r->pc;
	size_t i, j;
	int in;

	for (i = 0; i < p->nhide; i++) {
		for (in = 0, j = 0; j < r->pol.nroots && !in; j++)
			in = policy_within(p->hide[i], r->pol.roots[j]);
		if (in)
			continue;
		if (strchr(p->hide[i], ':')) {
			r->say("cannot hide %s from the agent: its path has a ':'", p->hide[i]);
			return -1;
		}
		if (!hide_fixed(p->hide[i])) {
			r->say("cannot hide %s from the agent: it lies outside your project roots, where "
			       "someone other than root can replace it or a directory above it, and the "
			       "unit would hide whatever is there when it starts; remove its skills or "
			       "ask an admin to make its parents root's", p->hide[i]);
			return -1;
		}
		p->unit_hide[p->nunit_hide++] = p->hide[i];
	}
	return 0;
}

int project_plan(struct run *r, int launch)
{
	struct projcfg *p = &r->pc;
	int settings = -1, rc = 0, err;

	coverwatch_init(&r->cw);
	p->mode = projcfg_mode(config_project_config(&r->c, r->host));
	p->trust = p->mode != PROJCFG_ALLOW && projcfg_agent_trusts(r->agent_bin);
	if (p->mode != PROJCFG_ALLOW) {
		if (ident_enter(&r->host_id) < 0)
			return -1;
		rc = read_project(r, &settings);
		err = errno;
		if (ident_enter(NULL) < 0) {
			if (settings >= 0)
				close(settings);
			return r->root_lost();
		}
		errno = err;
	}
	if (rc == 0)
		rc = plan_hides(r);
	if (rc == 0 && p->settings_to &&
	    asprintf(&p->settings_from, "%s/%s-%ld.json", PI_PROJECT_DIR, r->user, (long)getpid()) < 0)
		rc = -1;
	if (rc == 0 && launch && p->settings_to && put_settings(r, settings) < 0) {
		r->say("cannot write %s: %s", p->settings_from, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && launch && p->mode != PROJCFG_ALLOW)
		rc = write_trust(r);
	if (settings >= 0)
		close(settings);
	if (rc == 0)
		rc = projcfg_args(p->mode, p->trust, r->args, r->nargs, &p->args, &p->nargs);
	return rc;
}

static const char *changed(int err)
{
	static char deep[160];

	if (err == EMLINK) {
		snprintf(deep, sizeof deep, "the way to it from its project root passes more than %d "
			 "directories (a launch pins at most that many)", COVER_PINS_MAX);
		return deep;
	}
	return err == ELOOP ? "it was replaced by a link during the launch" :
	       err == ENOENT ? "it was removed during the launch" :
	       err == EISDIR || err == ENOTDIR || err == EINVAL ?
	       "it changed kind during the launch" :
	       err == ESTALE ? "it was replaced during the launch" :
	       err == E2BIG ? "too many directories to watch" : strerror(err);
}

/* Covers path in the staged roots (cover.c), adds it to the session's watch and has the unit's
 * main process check it before the agent starts. */
static int cover_watched(struct run *r, const char *path, int src)
{
	struct projcfg *p = &r->pc;
	struct stat st;
	int n = cover_path(&r->mnt, r->pol.roots, path, src);

	if (n <= 0)
		return n;
	if (coverwatch_add(&r->cw, &r->mnt, r->pol.roots, path, src) < 0 ||
	    (src >= 0 && fstat(src, &st) < 0))
		return -1;
	if (src >= 0 ? asprintf(&p->checks[p->nchecks], "--cover=%llu:%llu:%s",
				(unsigned long long)st.st_dev, (unsigned long long)st.st_ino, path) < 0 :
	    asprintf(&p->checks[p->nchecks], "--hidden=%s", path) < 0)
		return -1;
	p->nchecks++;
	return n;
}

int project_cover(struct run *r)
{
	struct projcfg *p = &r->pc;
	const char *what = NULL;
	size_t i;
	int src, n = 0;

	for (i = 0; n >= 0 && i < p->nhide; i++) {
		what = p->hide[i];
		n = cover_watched(r, what, -1);
	}
	if (n >= 0 && p->settings_to) {
		what = p->settings_to;
		src = open(p->settings_from, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		n = src < 0 ? -1 : cover_watched(r, what, src);
		if (n == 0) {
			errno = EXDEV;
			n = -1;
		}
		if (src >= 0)
			close(src);
	}
	if (n >= 0)
		return 0;
	r->say("cannot show the agent %s as planned: %s", what, changed(errno));
	return -1;
}

void project_release(struct run *r)
{
	coverwatch_free(&r->cw);
	if (r->pc.written)
		unlink(r->pc.settings_from);
	projcfg_free(&r->pc);
}
