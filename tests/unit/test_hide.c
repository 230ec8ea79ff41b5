// links: launch/hide.c policy.c priv/fs.c priv/ident.c
/* test_hide.c - unit tests for the choice of what a unit hides of another user's roots: resolved as that user, widened to what only root can replace, never what the unit needs. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "fs.h"
#include "hide.h"
#include "ident.h"

enum { NOBODY = 65534, OTHER = 65533 };

static const struct ident nobody = { .uid = NOBODY, .gid = NOBODY };
static char top[64];

static const char *at(const char *rel)
{
	return check_path(top, rel);
}

static void mkd(const char *rel, mode_t mode, uid_t owner)
{
	if (mkdir(at(rel), mode) < 0 || chmod(at(rel), mode) < 0 || chown(at(rel), owner, 0) < 0)
		fprintf(stderr, "setup: cannot mkdir %s: %s\n", at(rel), strerror(errno));
}

/* A link at rel to target, owned by owner. */
static void lnk(const char *target, const char *rel, uid_t owner)
{
	if (symlink(target, at(rel)) < 0 || lchown(at(rel), owner, 0) < 0)
		fprintf(stderr, "setup: cannot link %s: %s\n", at(rel), strerror(errno));
}

/* hide_path for root (relative to top unless it starts with '/' or '~') as nobody, whose
 * home is top/home. Returns what it returned; the path chosen in out. */
static int decide(const char *root, char *out)
{
	char home[PATH_MAX], abs[PATH_MAX];
	const char *keep[] = { at("opt/projects/alice"), at("opt/projects/alice/sub"), NULL };
	const char *forbid[] = { at("state"), at("pkg"), NULL };
	int rc;

	snprintf(home, sizeof home, "%s", at("home"));
	snprintf(abs, sizeof abs, "%s", root[0] == '/' || root[0] == '~' ? root : at(root));
	out[0] = '\0';
	if (ident_enter(&nobody) < 0)
		return -2;
	rc = hide_path(abs, home, NOBODY, keep, forbid, out, PATH_MAX);
	if (ident_enter(NULL) < 0)
		return -2;
	return rc;
}

/* root is hidden as want (relative to top). */
static void hidden(const char *root, const char *want)
{
	char out[PATH_MAX];

	CHECK_INT(decide(root, out), 1);
	CHECK_STR(out, at(want));
}

static void shown(const char *root)
{
	char out[PATH_MAX];

	CHECK_INT(decide(root, out), 0);
}

static void setup(void)
{
	mkd("home", 0755, NOBODY);
	mkd("opt", 0755, 0);
	mkd("opt/projects", 0755, 0);
	mkd("opt/projects/bob", 0700, NOBODY);
	mkd("opt/projects/bob/deep", 0700, NOBODY);
	mkd("opt/projects/alice", 02770, OTHER);
	mkd("opt/projects/alice/sub", 0755, OTHER);
	mkd("opt/projects/team", 02770, 0);
	mkd("usrlib", 0755, 0);
	mkd("shared", 0775, 0);
	mkd("shared/bob", 0755, NOBODY);
	mkd("mine", 0775, NOBODY);
	mkd("mine/bob", 0755, NOBODY);
	mkd("sticky", 01777, 0);
	mkd("sticky/bob", 0755, NOBODY);
	mkd("sticky/admin", 0755, 0);
	mkd("priv", 0700, 0);
	mkd("priv/bob", 0755, NOBODY);
	mkd("state", 0755, 0);
	mkd("state/users", 0711, 0);
	mkd("state/users/bob", 0700, NOBODY);
	mkd("pkg", 0755, 0);
	lnk(at("opt/projects/bob"), "home/p", NOBODY);
	lnk(at("opt/projects/alice"), "home/to-alice", NOBODY);
	lnk(at("opt/projects/alice/sub"), "home/to-alice-sub", NOBODY);
	lnk(at("opt/projects"), "home/to-above", NOBODY);
	lnk(at("usrlib"), "home/to-usrlib", NOBODY);
	lnk(at("opt/projects/team"), "home/to-team", NOBODY);
	lnk(at("pkg"), "home/to-pkg", NOBODY);
	lnk(at("state/users/bob"), "home/to-state", NOBODY);
	lnk("opt/projects/team", "admin-link", 0);
}

static void test_decide(void)
{
	/* the admin's path, every directory above it root's: hidden as it is, whoever owns it */
	hidden("opt/projects/bob", "opt/projects/bob");
	hidden("opt/projects/team", "opt/projects/team");
	hidden("admin-link", "opt/projects/team");
	/* below a directory of the user's: that directory (the entry in it could become a link) */
	hidden("opt/projects/bob/deep", "opt/projects/bob");
	hidden("opt/projects/bob/missing", "opt/projects/bob");
	hidden("~/somewhere", "home");
	/* through the user's own link: only a directory of the user's */
	hidden("~/p", "opt/projects/bob");
	shown("~/to-usrlib");
	shown("~/to-team");
	/* never what the unit's own roots need: equal, above; below is the other's to hide */
	shown("~/to-alice");
	shown("~/to-above");
	shown("opt/projects/alice");
	shown("opt");
	shown("/");
	shown("opt/projects/alice/sub");
	shown("~/to-alice-sub");
	/* widened past a directory others may write: only when the widened one is the user's */
	shown("shared/bob");
	hidden("mine/bob", "mine");
	shown("sticky/bob");
	hidden("sticky/admin", "sticky/admin");
	/* what the user cannot reach: widened to a directory of root's, not hidden */
	shown("priv/bob");
	shown("opt/projects/ghost");
	/* the launcher's state and the agent's package */
	shown("state/users/bob");
	shown("~/to-state");
	shown("~/to-pkg");
	shown("pkg");
}

int main(void)
{
	if (geteuid() != 0) {
		printf("hide: skipped, needs root\n");
		return 0;
	}
	umask(022);
	strcpy(top, "/tmp/test_hide.XXXXXX");
	if (!mkdtemp(top) || chmod(top, 0755) < 0 || ident_save_root() < 0)
		return 1;
	setup();
	test_decide();
	CHECK_INT(fs_remove(AT_FDCWD, top), 0);
	return check_done("hide");
}
