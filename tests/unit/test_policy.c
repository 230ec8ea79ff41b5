// links: policy.c priv/fs.c
/* test_policy.c - unit tests for root expansion, realpath -m resolution and containment. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "policy.h"

static char top[PATH_MAX];

static const char *at(const char *rel)
{
	return check_path(top, rel);
}

static void test_expand(void)
{
	char out[PATH_MAX];

	CHECK(policy_expand("~", "/home/a", out, sizeof out) == 0);
	CHECK_STR(out, "/home/a");
	CHECK(policy_expand("~/p", "/home/a", out, sizeof out) == 0);
	CHECK_STR(out, "/home/a/p");
	CHECK(policy_expand("/srv/x", "/home/a", out, sizeof out) == 0);
	CHECK_STR(out, "/srv/x");
	CHECK(policy_expand("work/y", "/home/a", out, sizeof out) == 0);
	CHECK_STR(out, "/home/a/work/y");
	CHECK(policy_expand("~bob/p", "/home/a", out, sizeof out) == 0);
	CHECK_STR(out, "/home/a/~bob/p");
	CHECK(policy_expand("~/p", "/home/a", out, 5) == -1);
}

static void test_resolve(void)
{
	char out[PATH_MAX];

	CHECK(policy_resolve("/", out, sizeof out) == 0);
	CHECK_STR(out, "/");
	CHECK(policy_resolve("//a/./b/../c/", out, sizeof out) == 0);
	CHECK_STR(out, "/a/c");
	CHECK(policy_resolve("/..", out, sizeof out) == 0);
	CHECK_STR(out, "/");
	CHECK(policy_resolve(at("lnk"), out, sizeof out) == 0);
	CHECK_STR(out, at("p"));
	CHECK(policy_resolve(at("lnk/sub/../x"), out, sizeof out) == 0);
	CHECK_STR(out, at("p/x"));
	CHECK(policy_resolve(at("rel/deep"), out, sizeof out) == 0);
	CHECK_STR(out, at("p/sub/deep"));
	CHECK(policy_resolve(at("abs"), out, sizeof out) == 0);
	CHECK_STR(out, at("p2"));
	CHECK(policy_resolve(at("missing/a/../b"), out, sizeof out) == 0);
	CHECK_STR(out, at("missing/b"));
	/* ".." after a missing component, then a link: the link is still resolved */
	CHECK(policy_resolve(at("p/missing/../../lnk/x"), out, sizeof out) == 0);
	CHECK_STR(out, at("p/x"));
	CHECK(policy_resolve(at("missing/../out"), out, sizeof out) == 0);
	CHECK_STR(out, "/");
	CHECK(policy_resolve(at("loop"), out, sizeof out) == -1);
	CHECK(policy_resolve("relative", out, sizeof out) == -1);
}

static void test_within(void)
{
	CHECK(policy_within("/p", "/p"));
	CHECK(policy_within("/p/x", "/p"));
	CHECK(!policy_within("/p2", "/p"));
	CHECK(!policy_within("/p2/x", "/p"));
	CHECK(!policy_within("/", "/p"));
	CHECK(policy_within("/anything", "/"));
	CHECK(policy_within("/", "/"));
}

static void test_check(void)
{
	char r0[PATH_MAX], r1[PATH_MAX], r2[PATH_MAX], r3[PATH_MAX];
	char *roots[] = { r0, r1, r2, r3 };
	struct strlist l = { roots, 4 };
	struct policy p;

	snprintf(r0, sizeof r0, "%s", at("p"));
	snprintf(r1, sizeof r1, "%s", at("p/sub"));
	snprintf(r2, sizeof r2, "gone");
	snprintf(r3, sizeof r3, "~/p2");
	CHECK_INT(policy_check(&p, &l, top, at("p/sub/deep")), POLICY_OK);
	CHECK_INT(p.nroots, 3);
	CHECK_INT(p.nmissing, 1);
	CHECK_STR(p.missing[0], at("gone"));
	CHECK_INT(p.match, 1);
	CHECK_STR(p.cwd, at("p/sub/deep"));
	policy_free(&p);
	CHECK_INT(policy_check(&p, &l, top, at("lnk")), POLICY_OK);
	CHECK_INT(p.match, 0);
	policy_free(&p);
	CHECK_INT(policy_check(&p, &l, top, at("p3")), POLICY_OUTSIDE);
	CHECK_STR(p.cwd, at("p3"));
	policy_free(&p);
	CHECK_INT(policy_check(&p, &l, top, at("p2/../p3")), POLICY_OUTSIDE);
	policy_free(&p);
	CHECK_INT(policy_check(&p, &l, top, at("out")), POLICY_OUTSIDE);
	policy_free(&p);
	l.v = roots + 2;
	l.n = 1;
	CHECK_INT(policy_check(&p, &l, top, at("p")), POLICY_NO_ROOTS);
	CHECK_INT(p.nmissing, 1);
	policy_free(&p);
	CHECK_INT(policy_check(&p, &l, top, "relative"), POLICY_ERROR);
}

static void test_refuse(void)
{
	char r0[PATH_MAX], r1[PATH_MAX], r2[PATH_MAX];
	char *roots[] = { r0, r1, r2 };
	struct strlist l = { roots, 3 };
	const char *forbidden[] = { "/var/lib/pi-agent", NULL };
	char state[PATH_MAX];
	struct policy p;

	snprintf(r0, sizeof r0, "%s", at("p"));
	snprintf(r1, sizeof r1, "%s", at("out"));      /* a link to "/" */
	snprintf(r2, sizeof r2, "%s", at("p2"));
	CHECK_INT(policy_check(&p, &l, top, at("p2")), POLICY_OK);
	CHECK_INT(policy_refuse(&p, &l, top, NULL, forbidden), POLICY_OK);
	CHECK_INT(p.nroots, 2);
	CHECK_INT(p.nrefused, 1);
	CHECK_STR(p.refused[0].root, "/");
	CHECK_INT(p.refused[0].why, POLICY_REFUSED_SLASH);
	CHECK_INT(p.match, 1);
	policy_free(&p);
	/* a root holding the state, or inside it, is refused; cwd then lies outside */
	snprintf(state, sizeof state, "%s/p/sub", top);
	forbidden[0] = state;
	CHECK_INT(policy_check(&p, &l, top, at("p/sub")), POLICY_OK);
	CHECK_INT(policy_refuse(&p, &l, top, NULL, forbidden), POLICY_OUTSIDE);
	CHECK_INT(p.nrefused, 2);
	CHECK_INT(p.refused[0].why, POLICY_REFUSED_STATE);
	CHECK_STR(p.refused[0].what, state);
	policy_free(&p);
}

/* Kernel and runtime filesystems are refused by type; a tmpfs elsewhere is a place. */
static void test_kernel_fs(void)
{
	struct statfs sf;
	char *roots[] = { "/proc", "/sys", "/proc/self/root" };
	struct strlist l = { roots, 3 };
	struct policy p;

	memset(&sf, 0, sizeof sf);
	sf.f_type = 0x9fa0;
	CHECK_STR(policy_kernel_fs(&sf, "/proc"), "proc");
	sf.f_type = 0x63677270;
	CHECK_STR(policy_kernel_fs(&sf, "/sys/fs/cgroup"), "cgroup2");
	sf.f_type = 0x01021994;
	CHECK_STR(policy_kernel_fs(&sf, "/dev/shm"), "devtmpfs or tmpfs under /dev");
	CHECK_STR(policy_kernel_fs(&sf, "/run/user/1000/x"), "tmpfs under /run, the runtime directory");
	CHECK_STR(policy_kernel_fs(&sf, "/sys/fs/cgroup"), "tmpfs under /sys");
	CHECK(policy_kernel_fs(&sf, "/tmp/p") == NULL);
	CHECK(policy_kernel_fs(&sf, "/home/a/p") == NULL);
	sf.f_type = 0xef53;                         /* ext4 */
	CHECK(policy_kernel_fs(&sf, "/run/x") == NULL);
	/* on the live system: /proc and /sys refused, by their own type */
	CHECK_INT(policy_check(&p, &l, top, "/proc"), POLICY_OK);
	CHECK_INT(policy_refuse(&p, &l, top, NULL, NULL), POLICY_NO_ROOTS);
	CHECK_INT(p.nrefused, 3);
	CHECK_INT(p.refused[0].why, POLICY_REFUSED_KERNEL);
	CHECK_STR(p.refused[0].what, "proc");
	CHECK_STR(p.refused[1].what, "sysfs");
	CHECK_INT(p.refused[2].why, POLICY_REFUSED_SLASH);  /* /proc/self/root is "/" */
	policy_free(&p);
}

/* A root whose path passes through a link inside another root, or in the state, is refused:
 * the agent writes there and could have made the link; one outside them is the user's. */
static void test_agent_links(void)
{
	char state[PATH_MAX];
	char *roots[] = { "~/p", "~/p/made", "~/lnk", "~/p2/deeper", "~/viastate" };
	struct strlist l = { roots, 5 };
	struct policy p;

	snprintf(state, sizeof state, "%s", at("state"));
	/* the agent's links: p/made -> p2 inside the root p; p2/deeper -> p3 inside p2, itself
	 * a root only through the refused p/made; state/x -> p/sub in the state */
	CHECK(symlink(at("p2"), at("p/made")) == 0);
	CHECK(symlink(at("p3"), at("p2/deeper")) == 0);
	CHECK(mkdir(state, 0755) == 0);
	CHECK(symlink(at("p/sub"), at("state/x")) == 0);
	CHECK(symlink("state/x", at("viastate")) == 0);
	CHECK_INT(policy_check(&p, &l, top, at("p2")), POLICY_OK);
	CHECK_INT(p.nroots, 5);
	CHECK_INT(policy_refuse(&p, &l, top, state, NULL), POLICY_OUTSIDE);
	CHECK_INT(p.nroots, 2);                     /* p, and lnk (-> p: a link of the user's) */
	CHECK_STR(p.roots[0], at("p"));
	CHECK_STR(p.roots[1], at("p"));
	CHECK_INT(p.nrefused, 3);
	CHECK_STR(p.refused[0].root, at("p2"));
	CHECK_INT(p.refused[0].why, POLICY_REFUSED_LINK);
	CHECK_STR(p.refused[0].link, at("p/made"));
	CHECK_STR(p.refused[0].what, at("p"));
	CHECK_STR(p.refused[1].root, at("p3"));
	CHECK_STR(p.refused[1].link, at("p2/deeper"));
	CHECK_STR(p.refused[1].what, at("p2"));
	CHECK_STR(p.refused[2].root, at("p/sub"));
	CHECK_STR(p.refused[2].link, at("state/x"));
	CHECK_STR(p.refused[2].what, state);
	policy_free(&p);
	unlink(at("p/made"));
	unlink(at("p2/deeper"));
	unlink(at("state/x"));
	unlink(at("viastate"));
	rmdir(state);
}

static void test_slug(void)
{
	char out[PATH_MAX];

	CHECK(policy_slug("/home/alice/p", 0, out, sizeof out) == 0);
	CHECK_STR(out, "0-home-alice-p");
	CHECK(policy_slug("/", 3, out, sizeof out) == 0);
	CHECK_STR(out, "3-root");
	CHECK(policy_slug("/srv/a--b/c-", 1, out, sizeof out) == 0);
	CHECK_STR(out, "1-srv-a-b-c");
}

int main(void)
{
	char tmpl[] = "/tmp/test_policy.XXXXXX";

	if (!mkdtemp(tmpl) || !realpath(tmpl, top))
		return 1;
	mkdir(at("p"), 0755);
	mkdir(at("p/sub"), 0755);
	mkdir(at("p2"), 0755);
	mkdir(at("p3"), 0755);
	(void)!symlink("p", at("lnk"));
	(void)!symlink("p/sub", at("rel"));
	(void)!symlink(at("p2"), at("abs"));
	(void)!symlink("loop", at("loop"));
	(void)!symlink("p2/../../..", at("out"));
	test_expand();
	test_resolve();
	test_within();
	test_check();
	test_refuse();
	test_kernel_fs();
	test_agent_links();
	test_slug();
	return check_done("policy");
}
