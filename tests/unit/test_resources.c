// links: lib/resources.c
/* test_resources.c - unit tests for resources' systemd syntax, the merge, slice names and device paths. */
#include <errno.h>
#include <string.h>

#include "check.h"
#include "resources.h"

static void ok(enum res_key k, const char *v)
{
	const char *why = resources_check(k, v);

	CHECK(why == NULL);
	if (why)
		fprintf(stderr, "  %s \"%s\": %s\n", resources_keys[k], v, why);
}

static void no(enum res_key k, const char *v, const char *want)
{
	const char *why = resources_check(k, v);

	CHECK(why && strstr(why, want));
	if (!why)
		fprintf(stderr, "  %s \"%s\" passed\n", resources_keys[k], v);
}

static void test_values(void)
{
	static const char *const sizes[] = { "8G", "512M", "1024", "1T", "80%", "infinity", "1" };
	static const char *const bad_sizes[] = { "12Q", "8 G", "8g", "-1", "", "G", "101%", "0%",
		"8GB", "1.5G", "99999999999999999999", "9000000000T", "infinity ", "8G\n",
		"0", "0K" /* systemd: out of range */ };
	size_t i;

	for (i = 0; i < sizeof sizes / sizeof *sizes; i++)
		ok(RES_MEMORY_MAX, sizes[i]), ok(RES_MEMORY_HIGH, sizes[i]);
	for (i = 0; i < sizeof bad_sizes / sizeof *bad_sizes; i++)
		no(RES_MEMORY_MAX, bad_sizes[i], "is not a size (bytes with K, M, G, T suffix, "
		   "a percentage, or \"infinity\")");
	ok(RES_CPU_WEIGHT, "1"), ok(RES_CPU_WEIGHT, "100"), ok(RES_IO_WEIGHT, "10000");
	no(RES_CPU_WEIGHT, "0", "is not a weight"), no(RES_IO_WEIGHT, "10001", "is not a weight");
	no(RES_CPU_WEIGHT, "idle", "is not a weight"), no(RES_CPU_WEIGHT, "1e2", "is not a weight");
	ok(RES_CPU_QUOTA, "50%"), ok(RES_CPU_QUOTA, "400%");
	no(RES_CPU_QUOTA, "50", "is not a CPU quota"), no(RES_CPU_QUOTA, "0%", "is not a CPU quota");
	ok(RES_TASKS_MAX, "512"), ok(RES_TASKS_MAX, "10%"), ok(RES_TASKS_MAX, "infinity");
	no(RES_TASKS_MAX, "0", "is not a task count"), no(RES_TASKS_MAX, "1k", "is not a task count");
	ok(RES_RUNTIME_MAX_SEC, "8h"), ok(RES_RUNTIME_MAX_SEC, "90min"), ok(RES_RUNTIME_MAX_SEC, "3600");
	ok(RES_RUNTIME_MAX_SEC, "1h 30min"), ok(RES_RUNTIME_MAX_SEC, "2d"), ok(RES_RUNTIME_MAX_SEC, "infinity");
	no(RES_RUNTIME_MAX_SEC, "0", "is not a time span"), no(RES_RUNTIME_MAX_SEC, "8 hours later",
	   "is not a time span"), no(RES_RUNTIME_MAX_SEC, "1hx", "is not a time span");
	no(RES_RUNTIME_MAX_SEC, "h", "is not a time span"), no(RES_RUNTIME_MAX_SEC, "", "is not a time span");
	/* beyond what systemd-run parses: a number past its signed range, a total past 2^63 us */
	no(RES_RUNTIME_MAX_SEC, "100000000000w", "is not a time span");
	no(RES_RUNTIME_MAX_SEC, "600000000000000000s", "is not a time span");
	no(RES_RUNTIME_MAX_SEC, "9999999999999999999us", "is not a time span");
	no(RES_RUNTIME_MAX_SEC, "200000y 200000y", "is not a time span");
	ok(RES_RUNTIME_MAX_SEC, "9223372036854775807us"), ok(RES_RUNTIME_MAX_SEC, "100000y");
	ok(RES_RUNTIME_MAX_SEC, "1M 2w"), ok(RES_RUNTIME_MAX_SEC, "0 1s");
}

static void test_keys(void)
{
	CHECK_STR(resources_property(RES_MEMORY_HIGH), "MemoryHigh");
	CHECK_STR(resources_property(RES_CPU_WEIGHT), "CPUWeight");
	CHECK_STR(resources_property(RES_RUNTIME_MAX_SEC), "RuntimeMaxSec");
	CHECK(resources_on_slice(RES_TASKS_MAX));
	CHECK(!resources_on_slice(RES_RUNTIME_MAX_SEC));
	CHECK_STR(resources_unset(RES_MEMORY_MAX), "infinity");
	CHECK_STR(resources_unset(RES_CPU_QUOTA), "");
}

static void test_merge(void)
{
	struct resources top = { { 0 } }, user = { { 0 } }, out;

	top.v[RES_MEMORY_MAX] = "8G", top.v[RES_CPU_WEIGHT] = "100";
	user.v[RES_MEMORY_MAX] = "16G", user.v[RES_TASKS_MAX] = "512";
	resources_merge(&top, &user, &out);
	CHECK_STR(out.v[RES_MEMORY_MAX], "16G");        /* the user's replaces the key */
	CHECK_STR(out.v[RES_CPU_WEIGHT], "100");        /* the rest stays the top level's */
	CHECK_STR(out.v[RES_TASKS_MAX], "512");
	CHECK(out.v[RES_IO_WEIGHT] == NULL);
	resources_merge(&top, NULL, &out);
	CHECK_STR(out.v[RES_MEMORY_MAX], "8G");
}

static void test_slices(void)
{
	char s[300], t[300];

	CHECK(resources_slice("alice", s, sizeof s) == 0);
	CHECK_STR(s, "pi-agent-alice.slice");
	/* systemd nests slices on '-': john-doe's must not land under john's */
	CHECK(resources_slice("john-doe", s, sizeof s) == 0);
	CHECK_STR(s, "pi-agent-john\\x2ddoe.slice");
	CHECK(resources_slice("john", t, sizeof t) == 0);
	CHECK(strncmp(s, "pi-agent-john-", 14) != 0);
	CHECK(resources_slice("a.b_c", s, sizeof s) == 0);
	CHECK_STR(s, "pi-agent-a.b_c.slice");
	CHECK(resources_slice("host$", s, sizeof s) == 0);
	CHECK_STR(s, "pi-agent-host\\x24.slice");
	CHECK(resources_slice(".x", s, sizeof s) == 0);
	CHECK_STR(s, "pi-agent-\\x2ex.slice");
	errno = 0;
	CHECK(resources_slice("a/b", s, sizeof s) == -1 && errno == EINVAL);
	CHECK(resources_slice("a b", s, sizeof s) == -1 && errno == EINVAL);
	CHECK(resources_slice("a\\x2d", s, sizeof s) == -1 && errno == EINVAL);
	CHECK(resources_slice("", s, sizeof s) == -1 && errno == EINVAL);
	CHECK(resources_slice("alice", s, 12) == -1 && errno == ENAMETOOLONG);
	CHECK(resources_slice("-----", s, sizeof s) == 0);
	CHECK_STR(s, "pi-agent-\\x2d\\x2d\\x2d\\x2d\\x2d.slice");
}

static void test_devices(void)
{
	CHECK(resources_device_path("/dev/nvidia0") == NULL);
	CHECK(resources_device_path("/dev/dri/renderD128") == NULL);
	CHECK(resources_device_path("/dev/nvidia-uvm") == NULL);
	CHECK(resources_device_path("dev/null") != NULL);
	CHECK(resources_device_path("/dev/a b") != NULL);       /* DeviceAllow= splits on spaces */
	CHECK(resources_device_path("/dev/\"x") != NULL);
	CHECK(resources_device_path("/dev/../etc/shadow") != NULL);
	CHECK(resources_device_path("/dev//null") != NULL);
	CHECK(resources_device_path("/dev/./null") != NULL);
	CHECK(resources_device_path("/dev/") != NULL);
	CHECK(resources_device_path("/srv/node") != NULL);       /* DeviceAllow= takes /dev only */
	CHECK(resources_device_path("/devx/null") != NULL);
	CHECK(resources_device_path("/dev/..") != NULL);
	CHECK(resources_device_path("/dev/.hidden") == NULL);
	CHECK(resources_device_path("/dev/null\n") != NULL);
}

int main(void)
{
	test_values();
	test_keys();
	test_merge();
	test_slices();
	test_devices();
	return check_done("resources");
}
