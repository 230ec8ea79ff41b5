/* resources.c - per-user resources in systemd's syntax, the user's slice name and the device path rule.
 *
 * MUST rules kept here:
 * - a value passes only in a subset of systemd's own syntax for its property: one argv
 *   element of systemd-run or systemctl that systemd reads back as that value, nothing else;
 * - a slice name is built from a user name only after it is checked, every character
 *   outside [A-Za-z0-9_:.] escaped as \xNN (systemd-escape), so a '-' in a user name never
 *   nests that user's slice under another user's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "resources.h"

const char *const resources_keys[RES_N] = {
	[RES_MEMORY_MAX] = "memoryMax", [RES_MEMORY_HIGH] = "memoryHigh",
	[RES_CPU_WEIGHT] = "cpuWeight", [RES_CPU_QUOTA] = "cpuQuota", [RES_TASKS_MAX] = "tasksMax",
	[RES_IO_WEIGHT] = "ioWeight", [RES_RUNTIME_MAX_SEC] = "runtimeMaxSec",
};

static const char *const properties[RES_N] = {
	[RES_MEMORY_MAX] = "MemoryMax", [RES_MEMORY_HIGH] = "MemoryHigh",
	[RES_CPU_WEIGHT] = "CPUWeight", [RES_CPU_QUOTA] = "CPUQuota", [RES_TASKS_MAX] = "TasksMax",
	[RES_IO_WEIGHT] = "IOWeight", [RES_RUNTIME_MAX_SEC] = "RuntimeMaxSec",
};

const char *resources_property(enum res_key k)
{
	return properties[k];
}

int resources_on_slice(enum res_key k)
{
	return k != RES_RUNTIME_MAX_SEC;
}

const char *resources_unset(enum res_key k)
{
	return k == RES_MEMORY_MAX || k == RES_MEMORY_HIGH || k == RES_TASKS_MAX ? "infinity" : "";
}

/* Digits at *s (1 to 19 of them) into *v; the first character after them in *s. */
static int digits(const char **s, unsigned long long *v)
{
	const char *p = *s;

	for (*v = 0; *p >= '0' && *p <= '9' && p - *s < 19; p++)
		*v = *v * 10 + (unsigned)(*p - '0');
	if (p == *s || (*p >= '0' && *p <= '9'))
		return -1;
	*s = p;
	return 0;
}

/* "N%" with lo <= N <= hi, or -1. */
static int percent(const char *s, unsigned long long lo, unsigned long long hi)
{
	unsigned long long v;

	return digits(&s, &v) == 0 && !strcmp(s, "%") && v >= lo && v <= hi ? 0 : -1;
}

/* Bytes with an optional K, M, G or T suffix (of 1024), from 1 to 2^63 (systemd refuses 0). */
static int size(const char *s)
{
	static const char suffix[] = "KMGT";
	unsigned long long v;
	const char *at;

	if (digits(&s, &v) < 0 || v == 0)
		return -1;
	if (!*s)
		return 0;
	if (s[1] || !(at = strchr(suffix, *s)))
		return -1;
	return v <= (1ULL << 63) >> (10 * (at - suffix + 1)) ? 0 : -1;
}

/* A time span as systemd writes it: numbers each with an optional unit (seconds without one),
 * spaces between; the total in microseconds from 1 to 2^63 - 1 (each number fits systemd's
 * signed parse, the sum overflows nothing: what systemd-run would refuse is refused here). */
static int timespan(const char *s)
{
	static const struct { const char *name; unsigned long long usec; } units[] = {
		{ "usec", 1 }, { "us", 1 }, { "msec", 1000 }, { "ms", 1000 },
		{ "seconds", 1000000 }, { "second", 1000000 }, { "sec", 1000000 }, { "s", 1000000 },
		{ "minutes", 60000000 }, { "minute", 60000000 }, { "min", 60000000 },
		{ "m", 60000000 }, { "hours", 3600000000ULL }, { "hour", 3600000000ULL },
		{ "hr", 3600000000ULL }, { "h", 3600000000ULL }, { "days", 86400000000ULL },
		{ "day", 86400000000ULL }, { "d", 86400000000ULL }, { "weeks", 604800000000ULL },
		{ "week", 604800000000ULL }, { "w", 604800000000ULL },
		{ "months", 2629800000000ULL }, { "month", 2629800000000ULL },
		{ "M", 2629800000000ULL }, { "years", 31557600000000ULL },
		{ "year", 31557600000000ULL }, { "y", 31557600000000ULL } };
	const unsigned long long max = (1ULL << 63) - 1;
	unsigned long long v, mult, total = 0;
	size_t i, n = 0;

	if (strlen(s) > 64)
		return -1;
	while (*s) {
		if (digits(&s, &v) < 0 || v > max)
			return -1;
		mult = 1000000;
		for (i = 0; i < sizeof units / sizeof *units; i++) {
			n = strlen(units[i].name);
			if (!strncmp(s, units[i].name, n) && (s[n] == ' ' || !s[n])) {
				mult = units[i].usec;
				s += n;
				break;
			}
		}
		if ((*s && *s != ' ') || (v && mult > max / v) || v * mult > max - total)
			return -1;
		total += v * mult;
		while (*s == ' ')
			s++;
	}
	return total ? 0 : -1;
}

const char *resources_check(enum res_key k, const char *s)
{
	unsigned long long v;
	const char *p = s;

	switch (k) {
	case RES_MEMORY_MAX:
	case RES_MEMORY_HIGH:
		return !strcmp(s, "infinity") || size(s) == 0 || percent(s, 1, 100) == 0 ? NULL :
			"is not a size (bytes with K, M, G, T suffix, a percentage, or \"infinity\")";
	case RES_CPU_WEIGHT:
	case RES_IO_WEIGHT:
		return digits(&p, &v) == 0 && !*p && v >= 1 && v <= 10000 ? NULL :
			"is not a weight (an integer from 1 to 10000)";
	case RES_CPU_QUOTA:
		return percent(s, 1, 1000000) == 0 ? NULL :
			"is not a CPU quota (a percentage of one CPU, such as \"200%\")";
	case RES_TASKS_MAX:
		return !strcmp(s, "infinity") || percent(s, 1, 100) == 0 ||
		       (digits(&p, &v) == 0 && !*p && v >= 1) ? NULL :
			"is not a task count (a positive integer, a percentage, or \"infinity\")";
	case RES_RUNTIME_MAX_SEC:
		return !strcmp(s, "infinity") || timespan(s) == 0 ? NULL :
			"is not a time span (such as \"8h\", \"90min\", \"1h 30min\", or \"infinity\")";
	case RES_N:
		break;
	}
	return "is not a known resource";
}

void resources_merge(const struct resources *top, const struct resources *user,
		     struct resources *out)
{
	size_t i;

	for (i = 0; i < RES_N; i++)
		out->v[i] = user && user->v[i] ? user->v[i] : top ? top->v[i] : NULL;
}

int resources_slice(const char *user, char *out, size_t n)
{
	static const char keep[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:.";
	size_t len = strlen(user), j, i;

	if (!len || len > 64) {
		errno = EINVAL;
		return -1;
	}
	for (i = 0; i < len; i++)
		if (!strchr(keep, user[i]) && user[i] != '-' && user[i] != '$') {
			errno = EINVAL;
			return -1;
		}
	j = (size_t)snprintf(out, n, "pi-agent-");
	for (i = 0; i < len && j < n; i++)
		j += (size_t)snprintf(out + j, n - j, strchr(keep, user[i]) && (i || user[i] != '.') ?
				      "%c" : "\\x%02x", (unsigned char)user[i]);
	if (j >= n || (size_t)snprintf(out + j, n - j, ".slice") >= n - j) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

const char *resources_device_path(const char *path)
{
	static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				 "_.:+-/";
	const char *s;

	if (path[0] != '/' || strspn(path, ok) != strlen(path))
		return "must be an absolute path of letters, digits and '_', '.', ':', '+', '-', '/'";
	/* systemd's DeviceAllow= takes a node under /dev only */
	if (strncmp(path, "/dev/", 5) || !path[5])
		return "must be a device node under /dev (DeviceAllow= takes no other path)";
	for (s = path; *s; s++)
		if (*s == '/' && (s[1] == '/' || !s[1] || (s[1] == '.' && (!s[2] || s[2] == '/' ||
		    (s[2] == '.' && (!s[3] || s[3] == '/'))))))
			return "must be a clean path (no empty, '.' or '..' component, no trailing '/')";
	return NULL;
}
