// links: policy.c fs.c
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
	CHECK_INT(policy_refuse(&p, forbidden), POLICY_OK);
	CHECK_INT(p.nroots, 2);
	CHECK_INT(p.nrefused, 1);
	CHECK_STR(p.refused[0], "/");
	CHECK_STR(p.refused_why[0], "/");
	CHECK_INT(p.match, 1);
	policy_free(&p);
	/* a root holding the state, or inside it, is refused; cwd then lies outside */
	snprintf(state, sizeof state, "%s/p/sub", top);
	forbidden[0] = state;
	CHECK_INT(policy_check(&p, &l, top, at("p/sub")), POLICY_OK);
	CHECK_INT(policy_refuse(&p, forbidden), POLICY_OUTSIDE);
	CHECK_INT(p.nrefused, 2);
	CHECK_STR(p.refused_why[0], state);
	policy_free(&p);
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
	test_slug();
	return check_done("policy");
}
