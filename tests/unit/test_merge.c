// links: lib/json.c merge.c
/* test_merge.c - unit tests for the deep merge: semantics, key order, escapes, number printing, write errors. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "merge.h"

/* Parses text whole, or lazily (only the top level tokenized, as pi-merge and the runner
 * load a base). */
static int load(struct json_doc *d, const char *text, int lazy)
{
	struct json_err e;
	char *t = strdup(text);

	if (!t || (lazy ? json_parse_lazy : json_parse)(d, t, strlen(t), &e) < 0) {
		fprintf(stderr, "bad test document %s: %d:%d %s\n", text, e.line, e.col, e.msg);
		return -1;
	}
	return 0;
}

/* Reads back everything written to fd. */
static char *slurp(int fd)
{
	size_t n = 0, cap = 1 << 16;
	char *s = malloc(cap);
	ssize_t r;

	lseek(fd, 0, SEEK_SET);
	while (s && (r = read(fd, s + n, cap - n - 1)) > 0) {
		n += (size_t)r;
		if (n + 1 == cap)
			s = realloc(s, cap *= 2);
	}
	if (s)
		s[n] = '\0';
	return s;
}

/* The merge of two documents (NULL: absent) as text, each parsed whole (lazy bit 0 clear)
 * or lazily (base: bit 0, override: bit 1); NULL if anything failed. */
static char *merged_as(const char *base, const char *over, int lazy)
{
	struct json_doc b = { 0 }, o = { 0 };
	struct json_val bv = { &b, base ? 0 : -1 }, ov = { &o, over ? 0 : -1 };
	FILE *f = tmpfile();
	char *out = NULL;

	if (f && (!base || load(&b, base, lazy & 1) == 0) &&
	    (!over || load(&o, over, lazy & 2) == 0) && merge_json(fileno(f), bv, ov) == 0)
		out = slurp(fileno(f));
	if (f)
		fclose(f);
	json_free(&b);
	json_free(&o);
	return out;
}

/* The merge, which must come out the same whichever way each side was parsed. */
static char *merged(const char *base, const char *over)
{
	char *out = merged_as(base, over, 0), *other;
	int lazy;

	for (lazy = 1; lazy <= 3 && out; lazy++) {
		other = merged_as(base, over, lazy);
		if (!other || strcmp(out, other)) {
			fprintf(stderr, "lazy parse (%d) merges differently:\n%s\nvs\n%s\n", lazy, out,
				other ? other : "(failed)");
			free(out);
			out = NULL;
		}
		free(other);
	}
	return out;
}

#define CHECK_MERGE(base, over, want) do { char *got_ = merged(base, over); \
	CHECK_STR(got_, want); free(got_); } while (0)

static void test_semantics(void)
{
	CHECK_MERGE("{\"a\":{\"x\":1,\"y\":2},\"b\":1}", "{\"a\":{\"y\":3,\"z\":4}}",
		    "{\n  \"a\": {\n    \"x\": 1,\n    \"y\": 3,\n    \"z\": 4\n  },\n  \"b\": 1\n}\n");
	CHECK_MERGE("{\"a\":{\"x\":1}}", "{\"a\":null}", "{\n  \"a\": null\n}\n");
	CHECK_MERGE("{\"a\":[1,2]}", "{\"a\":[3]}", "{\n  \"a\": [\n    3\n  ]\n}\n");
	CHECK_MERGE("{\"a\":1}", "{\"a\":{\"b\":2}}", "{\n  \"a\": {\n    \"b\": 2\n  }\n}\n");
	CHECK_MERGE("{\"a\":{\"b\":2}}", "{\"a\":\"s\"}", "{\n  \"a\": \"s\"\n}\n");
	CHECK_MERGE("{\"a\":{\"b\":{\"c\":{\"d\":1,\"e\":2}}}}", "{\"a\":{\"b\":{\"c\":{\"e\":false}}}}",
		    "{\n  \"a\": {\n    \"b\": {\n      \"c\": {\n        \"d\": 1,\n"
		    "        \"e\": false\n      }\n    }\n  }\n}\n");
	CHECK_MERGE("{\"k\":true}", "{}", "{\n  \"k\": true\n}\n");
	CHECK_MERGE("{}", "{\"k\":true}", "{\n  \"k\": true\n}\n");
	CHECK_MERGE("{\"a\":{},\"b\":[],\"c\":[{},[],[[]]]}", "{\"a\":{}}",
		    "{\n  \"a\": {},\n  \"b\": [],\n  \"c\": [\n    {},\n    [],\n    [\n      []\n"
		    "    ]\n  ]\n}\n");
	CHECK_MERGE("{\"a\":{\"x\":1}}", "{\"a\":{}}", "{\n  \"a\": {\n    \"x\": 1\n  }\n}\n");
	/* an object inside an array is printed, never merged */
	CHECK_MERGE("{\"l\":[{\"b\":1,\"a\":2}]}", "{\"l\":[{\"c\":3}]}",
		    "{\n  \"l\": [\n    {\n      \"c\": 3\n    }\n  ]\n}\n");
}

static void test_top_level(void)
{
	CHECK_MERGE(NULL, NULL, "{}\n");
	CHECK_MERGE("[1,2]", "3", "{}\n");
	CHECK_MERGE("{\"a\":1}", "[1]", "{\n  \"a\": 1\n}\n");
	CHECK_MERGE("\"x\"", "{\"b\":1}", "{\n  \"b\": 1\n}\n");
	CHECK_MERGE("null", NULL, "{}\n");
	CHECK_MERGE(NULL, "{\"z\":{\"y\":1,\"x\":2}}", "{\n  \"z\": {\n    \"x\": 2,\n    \"y\": 1\n  }\n}\n");
	CHECK_MERGE("{}", "{}", "{}\n");
}

static void test_duplicates(void)
{
	CHECK_MERGE("{\"a\":1,\"a\":2}", "{}", "{\n  \"a\": 2\n}\n");
	CHECK_MERGE("{\"a\":{\"x\":1},\"a\":{\"y\":2}}", "{\"a\":{\"z\":3}}",
		    "{\n  \"a\": {\n    \"y\": 2,\n    \"z\": 3\n  }\n}\n");
	CHECK_MERGE("{\"a\":{\"r\":0}}", "{\"a\":{\"p\":1},\"a\":{\"q\":2}}",
		    "{\n  \"a\": {\n    \"q\": 2,\n    \"r\": 0\n  }\n}\n");
	CHECK_MERGE("{\"a\":{\"r\":0}}", "{\"a\":{\"p\":1},\"a\":5}", "{\n  \"a\": 5\n}\n");
	CHECK_MERGE("{\"a\":{\"r\":0},\"a\":7}", "{\"a\":{\"p\":1}}", "{\n  \"a\": {\n    \"p\": 1\n  }\n}\n");
	CHECK_MERGE("{\"a\":1,\"\\u0061\":2}", "{\"b\":{\"c\":1,\"c\":{\"d\":1},\"\\u0063\":{\"e\":2}}}",
		    "{\n  \"a\": 2,\n  \"b\": {\n    \"c\": {\n      \"e\": 2\n    }\n  }\n}\n");
}

static void test_strings(void)
{
	/* code point order: astral after U+FFFF, lone surrogates between U+D7FF and U+E000 */
	CHECK_MERGE("{\"\\uffff\":1,\"\\ud83d\\ude00\":2,\"\\ud800\":3,\"\xc3\xa9\":4,\"z\":5,\"Z\":6,"
		    "\"\":7,\"\\ud7ff\":8,\"\\ue000\":9,\"zz\":10}", NULL,
		    "{\n  \"\": 7,\n  \"Z\": 6,\n  \"z\": 5,\n  \"zz\": 10,\n  \"\\u00e9\": 4,\n"
		    "  \"\\ud7ff\": 8,\n  \"\\ud800\": 3,\n  \"\\ue000\": 9,\n  \"\\uffff\": 1,\n"
		    "  \"\\ud83d\\ude00\": 2\n}\n");
	CHECK_MERGE("{\"s\":\"tab\\tnl\\ncr\\rbs\\\\q\\\"sl\\/ \\b\\f bell\\u0007 del\x7f nul\\u0000\"}", NULL,
		    "{\n  \"s\": \"tab\\tnl\\ncr\\rbs\\\\q\\\"sl/ \\b\\f bell\\u0007 del\\u007f nul\\u0000\"\n}\n");
	CHECK_MERGE("{\"u\":\"\xc2\xa0\xc3\xa9\xe2\x80\xa8\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf\\uDBFF\\uDFFF\"}", NULL,
		    "{\n  \"u\": \"\\u00a0\\u00e9\\u2028\\ud83d\\ude00\\udbff\\udfff\\udbff\\udfff\"\n}\n");
	CHECK_MERGE("{\"l\":\"\\udc00\\ud800\\ud800x\"}", NULL,
		    "{\n  \"l\": \"\\udc00\\ud800\\ud800x\"\n}\n");
	CHECK_MERGE("{\"k\\n\\u00e9\":\"\"}", NULL, "{\n  \"k\\n\\u00e9\": \"\"\n}\n");
	/* a plain document's strings are copied as they are; one DEL makes it not plain */
	CHECK_MERGE("{\"d\":\"del\x7f\"}", NULL, "{\n  \"d\": \"del\\u007f\"\n}\n");
	CHECK_MERGE("{\"a\":\"plain words\"}", "{\"c\":\"x\",\"b\":\"\\u00e9\"}",
		    "{\n  \"a\": \"plain words\",\n  \"b\": \"\\u00e9\",\n  \"c\": \"x\"\n}\n");
	CHECK_MERGE("{\"b\":\"\xc3\xa9\"}", "{\"a\":{\"k\":\"plain\"}}",
		    "{\n  \"a\": {\n    \"k\": \"plain\"\n  },\n  \"b\": \"\\u00e9\"\n}\n");
}

struct num {
	const char *in, *out;
};

static const struct num nums[] = {
	{ "1.0", "1.0" }, { "1e16", "1e+16" }, { "1e15", "1000000000000000.0" },
	{ "0.0001", "0.0001" }, { "0.00001", "1e-05" }, { "1.5e-7", "1.5e-07" },
	{ "123456789.123", "123456789.123" }, { "-0.0", "-0.0" }, { "-0e0", "-0.0" },
	{ "0e0", "0.0" }, { "5e-324", "5e-324" },
	{ "1.7976931348623157e308", "1.7976931348623157e+308" }, { "2.50e-3", "0.0025" },
	{ "1E5", "100000.0" }, { "0.1", "0.1" }, { "1e-400", "0.0" }, { "1e22", "1e+22" },
	{ "12345678901234567890.0", "1.2345678901234567e+19" },
	{ "9007199254740993.0", "9007199254740992.0" }, { "0.30000000000000004", "0.30000000000000004" },
	{ "100.0e-2", "1.0" }, { "1e-4", "0.0001" }, { "-1.5E+300", "-1.5e+300" },
	{ "9999999999999999.0", "1e+16" }, { "1234567890123456.7", "1234567890123456.8" },
	{ "7.1202363472230444e-307", "7.120236347223045e-307" },
	{ "2.2250738585072014e-308", "2.2250738585072014e-308" }, { "1e100", "1e+100" },
	{ "123e-20", "1.23e-18" }, { "0.000123", "0.000123" },
	{ "12345678901234567890123456789", "12345678901234567890123456789" },
	{ "-0", "0" }, { "0", "0" }, { "-5", "-5" }, { "-100", "-100" },
	{ "1e0", "1.0" },
};

static void test_numbers(void)
{
	char in[128], want[128];
	size_t i;

	for (i = 0; i < sizeof nums / sizeof *nums; i++) {
		snprintf(in, sizeof in, "{\"n\": %s}", nums[i].in);
		snprintf(want, sizeof want, "{\n  \"n\": %s\n}\n", nums[i].out);
		CHECK_MERGE(in, NULL, want);
	}
}

/* A merge larger than the output buffer, and one 512 levels deep. */
static void test_large(void)
{
	size_t cap = 1 << 20, n = 0, m = 0, i;
	char *in = malloc(cap), *want = malloc(cap), *got;

	n += (size_t)sprintf(in, "{");
	m += (size_t)sprintf(want, "{");
	for (i = 0; i < 5000; i++) {
		n += (size_t)sprintf(in + n, "%s\"k%05zu\":[%zu,\"\\u00e9\"]", i ? "," : "", 4999 - i, i);
		m += (size_t)sprintf(want + m, "%s\n  \"k%05zu\": [\n    %zu,\n    \"\\u00e9\"\n  ]",
				     i ? "," : "", i, 4999 - i);
	}
	sprintf(in + n, "}");
	sprintf(want + m, "\n}\n");
	CHECK_MERGE(in, "{}", want);
	n = m = 0;
	for (i = 0; i < 511; i++) {
		n += (size_t)sprintf(in + n, "{\"a\":");
		m += (size_t)sprintf(want + m, "{\n%*s\"a\": ", (int)(2 * i + 2), "");
	}
	n += (size_t)sprintf(in + n, "{}");
	m += (size_t)sprintf(want + m, "{}");
	for (i = 0; i < 511; i++) {
		n += (size_t)sprintf(in + n, "}");
		m += (size_t)sprintf(want + m, "\n%*s}", (int)(2 * (510 - i)), "");
	}
	sprintf(want + m, "\n");
	got = merged(in, in);
	CHECK_STR(got, want);
	free(got);
	free(in);
	free(want);
}

static void test_write_errors(void)
{
	struct json_doc d = { 0 };
	struct json_val v = { &d, 0 }, none = { NULL, -1 };
	char *big = malloc(100000);
	int fd;

	memset(big, 'x', 99990);
	memcpy(big, "{\"k\": \"", 7);
	memcpy(big + 99990, "\"}", 3);
	CHECK_INT(load(&d, big, 1), 0);
	fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	errno = 0;
	CHECK_INT(merge_json(fd, none, none), -1);
	CHECK_INT(errno, ENOSPC);
	errno = 0;
	CHECK_INT(merge_json(fd, v, none), -1);
	CHECK_INT(errno, ENOSPC);
	close(fd);
	errno = 0;
	CHECK_INT(merge_json(fd, v, v), -1);
	CHECK_INT(errno, EBADF);
	json_free(&d);
	free(big);
}

int main(void)
{
	test_semantics();
	test_top_level();
	test_duplicates();
	test_strings();
	test_numbers();
	test_large();
	test_write_errors();
	return check_done("merge");
}
