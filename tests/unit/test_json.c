// links: lib/json.c
/* test_json.c - unit tests for the strict JSON parser: what it accepts, what it refuses and where, and the accessors. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "json.h"

/* A document whose text may hold NUL bytes: n is its length (0 means strlen). */
struct bad {
	const char *text;
	size_t n;
	int line, col;
	const char *msg;
};

/* Parses a copy of text[0..n), whole or lazily. */
static int parse_as(struct json_doc *d, const char *text, size_t n, struct json_err *e, int lazy)
{
	char *t = malloc(n + 1);

	if (!t)
		return -1;
	memcpy(t, text, n);
	t[n] = '\0';
	return (lazy ? json_parse_lazy : json_parse)(d, t, n, e);
}

static int parse_n(struct json_doc *d, const char *text, size_t n, struct json_err *e)
{
	return parse_as(d, text, n, e, 0);
}

static int parse(struct json_doc *d, const char *text, struct json_err *e)
{
	return parse_n(d, text, strlen(text), e);
}

static int parse_lazy(struct json_doc *d, const char *text, size_t n, struct json_err *e)
{
	return parse_as(d, text, n, e, 1);
}

static const char *const good[] = {
	"{}", "[]", "{ }", "[ ]", "0", "-0", "-0.0", "1E5", "1e-5", "1.5E+3", "2.50e-3",
	"true", "false", "null", "\"x\"", " \t\n\r[1]\r\n", "{\"a\":[1,{\"b\":null}]}",
	"\"\\ud800\"", "\"\\udc00\\ud800\"", "\"\\uD83D\\uDE00\"", "\"\xc3\xa9\"",
	"\"\xf0\x9f\x98\x80\"", "\"\xef\xbf\xbf\"", "\"\xf4\x8f\xbf\xbf\"", "\"\\u0000\"",
	"[1e-400]", "1.7976931348623157e308", "-1.7976931348623157e308",
	"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\x7f\"", "[\"a\",\"b\"]", "{\"\":\"\"}",
	"123456789012345678901234567890", "{\"a\" : 1 , \"b\"\n:\n2}", "[[[[]]]]",
	"9.99e307", "10e307", "0.1e309", "0e999999999999999999999", "0.0e400", "-0.0e+99999999999999999999",
	"1e-99999999999999999999", "1.7976931348623158e308", "0.00001e313",
};

static void test_accepts(void)
{
	struct json_doc d;
	struct json_err e;
	size_t i;

	for (i = 0; i < sizeof good / sizeof *good; i++) {
		int r = parse(&d, good[i], &e);

		if (r != 0)
			fprintf(stderr, "refused %s: %d:%d %s\n", good[i], e.line, e.col, e.msg);
		CHECK_INT(r, 0);
		CHECK(d.ntok >= 1);
		json_free(&d);
		CHECK_INT(parse_lazy(&d, good[i], strlen(good[i]), &e), 0);
		CHECK(d.ntok >= 1);
		json_free(&d);
	}
}

static const struct bad bad[] = {
	{ "[1 2]", 0, 1, 4, "expected ',' or ']'" },
	{ "[1}", 0, 1, 3, "expected ',' or ']'" },
	{ "{\"a\" 1}", 0, 1, 6, "expected ':'" },
	{ "{\"a\"}", 0, 1, 5, "expected ':'" },
	{ "{\"a\":1]", 0, 1, 7, "expected ',' or '}'" },
	{ "{\"a\":1 \"b\":2}", 0, 1, 8, "expected ',' or '}'" },
	{ "[1,]", 0, 1, 4, "expected value" },
	{ "[1,,2]", 0, 1, 4, "expected value" },
	{ "]", 0, 1, 1, "expected value" },
	{ "'a'", 0, 1, 1, "expected value" },
	{ "{\"a\":1,}", 0, 1, 8, "expected string key" },
	{ "{1:2}", 0, 1, 2, "expected string key" },
	{ "{,}", 0, 1, 2, "expected string key" },
	{ "{[]:1}", 0, 1, 2, "expected string key" },
	{ "tru", 0, 1, 1, "invalid literal" },
	{ "truex", 0, 1, 1, "invalid literal" },
	{ "True", 0, 1, 1, "invalid literal" },
	{ "[nul]", 0, 1, 2, "invalid literal" },
	{ "NaN", 0, 1, 1, "invalid literal" },
	{ "[Infinity]", 0, 1, 2, "invalid literal" },
	{ "-Infinity", 0, 1, 1, "invalid number" },
	{ "01", 0, 1, 1, "invalid number" },
	{ "-01", 0, 1, 1, "invalid number" },
	{ "[00]", 0, 1, 2, "invalid number" },
	{ "1.", 0, 1, 1, "invalid number" },
	{ ".5", 0, 1, 1, "invalid number" },
	{ "-", 0, 1, 1, "invalid number" },
	{ "+1", 0, 1, 1, "invalid number" },
	{ "1e", 0, 1, 1, "invalid number" },
	{ "1e+", 0, 1, 1, "invalid number" },
	{ "1.2.3", 0, 1, 1, "invalid number" },
	{ "[1-2]", 0, 1, 2, "invalid number" },
	{ "1e400", 0, 1, 1, "number out of range" },
	{ "[-1e400]", 0, 1, 2, "number out of range" },
	{ "1.8e308", 0, 1, 1, "number out of range" },
	{ "1.7976931348623159e308", 0, 1, 1, "number out of range" },
	{ "0.0001e313", 0, 1, 1, "number out of range" },
	{ "-1e99999999999999999999999", 0, 1, 1, "number out of range" },
	{ "\"\x01\"", 0, 1, 2, "control character in string" },
	{ "\"a\tb\"", 0, 1, 3, "control character in string" },
	{ "[\"\n\"]", 0, 1, 3, "control character in string" },
	{ "\"a\0\"", 4, 1, 3, "control character in string" },
	{ "\"\\u12\"", 0, 1, 2, "invalid \\u escape" },
	{ "\"\\uZZZZ\"", 0, 1, 2, "invalid \\u escape" },
	{ "\"\\u12", 0, 1, 2, "invalid \\u escape" },
	{ "\"\\ud800\\u12x4\"", 0, 1, 8, "invalid \\u escape" },
	{ "\"\\x\"", 0, 1, 2, "invalid escape" },
	{ "\"\\U0041\"", 0, 1, 2, "invalid escape" },
	{ "\"\\'\"", 0, 1, 2, "invalid escape" },
	{ "\"\xff\"", 0, 1, 2, "invalid UTF-8" },
	{ "\"\x80\"", 0, 1, 2, "invalid UTF-8" },
	{ "\"\xc0\xaf\"", 0, 1, 2, "invalid UTF-8" },
	{ "\"\xc1\xbf\"", 0, 1, 2, "invalid UTF-8" },
	{ "\"\xe0\x80\xaf\"", 0, 1, 2, "invalid UTF-8" },
	{ "\"\xf0\x80\x80\xaf\"", 0, 1, 2, "invalid UTF-8" },
	{ "\"\xed\xa0\x80\"", 0, 1, 2, "invalid UTF-8" },
	{ "\"\xed\xbf\xbf\"", 0, 1, 2, "invalid UTF-8" },
	{ "\"\xf4\x90\x80\x80\"", 0, 1, 2, "invalid UTF-8" },
	{ "\"\xf5\x80\x80\x80\"", 0, 1, 2, "invalid UTF-8" },
	{ "\"\xe2\x82\"", 0, 1, 2, "invalid UTF-8" },
	{ "\"ab\xe2\x82", 0, 1, 4, "invalid UTF-8" },
	{ "[1 2] \xff", 0, 1, 7, "invalid UTF-8" },
	{ "{\n  \"k\": \"\xc3\x28\"\n}", 0, 2, 9, "invalid UTF-8" },
	{ "\xef\xbb\xbf{}", 0, 1, 1, "unexpected UTF-8 BOM" },
	{ "1 2", 0, 1, 3, "trailing data" },
	{ "[1]x", 0, 1, 4, "trailing data" },
	{ "{\"a\":1}}", 0, 1, 8, "trailing data" },
	{ "\"a\" \"b\"", 0, 1, 5, "trailing data" },
	{ "[1]\0", 4, 1, 4, "trailing data" },
	{ "{} {}", 0, 1, 4, "trailing data" },
	{ "", 0, 1, 1, "unexpected end of input" },
	{ "  \n ", 0, 2, 2, "unexpected end of input" },
	{ "[", 0, 1, 2, "unexpected end of input" },
	{ "[1,", 0, 1, 4, "unexpected end of input" },
	{ "{\"a\":1", 0, 1, 7, "unexpected end of input" },
	{ "{\"a\"", 0, 1, 5, "unexpected end of input" },
	{ "{\"a\":", 0, 1, 6, "unexpected end of input" },
	{ "{", 0, 1, 2, "unexpected end of input" },
	{ "\"abc", 0, 1, 1, "unterminated string" },
	{ "[\"\\", 0, 1, 2, "unterminated string" },
	{ "\0", 1, 1, 1, "expected value" },
	{ "\v1", 0, 1, 1, "expected value" },
	{ "\xc2\xa0" "1", 0, 1, 1, "expected value" },
	{ "{\n  \"a\": 1,\n  \"b\" 2\n}", 0, 3, 7, "expected ':'" },
	{ "[\n1,\n\n  x]", 0, 4, 3, "invalid literal" },
};

static void test_refuses(void)
{
	struct json_doc d;
	struct json_err e;
	size_t i;

	/* a lazy parse (lazy 1) validates the whole text the same way */
	for (i = 0; i < 2 * (sizeof bad / sizeof *bad); i++) {
		const struct bad *b = &bad[i / 2];
		int r = parse_as(&d, b->text, b->n ? b->n : strlen(b->text), &e, (int)(i % 2));

		if (r == 0 || e.line != b->line || e.col != b->col || strcmp(e.msg, b->msg))
			fprintf(stderr, "case %zu (%s, lazy %d): got %d:%d %s\n", i / 2, b->text,
				(int)(i % 2), e.line, e.col, e.msg);
		CHECK_INT(r, -1);
		CHECK_INT(errno, EINVAL);
		CHECK_INT(e.line, b->line);
		CHECK_INT(e.col, b->col);
		CHECK_STR(e.msg, b->msg);
		CHECK(d.tok == NULL);
		json_free(&d);
	}
}

/* n opening brackets, then the closing ones when close is set. */
static char *nested(size_t n, int close)
{
	char *t = malloc(2 * n + 1);
	size_t i;

	for (i = 0; i < n; i++)
		t[i] = '[';
	for (i = 0; i < n && close; i++)
		t[n + i] = ']';
	t[close ? 2 * n : n] = '\0';
	return t;
}

static void test_depth(void)
{
	struct json_doc d;
	struct json_err e;
	char *t;

	t = nested(512, 1);
	CHECK_INT(json_parse(&d, t, strlen(t), &e), 0);
	CHECK_INT(d.ntok, 512);
	json_free(&d);
	t = nested(513, 1);
	CHECK_INT(json_parse(&d, t, strlen(t), &e), -1);
	CHECK_INT(e.col, 513);
	CHECK_STR(e.msg, "nesting deeper than 512");
	json_free(&d);
	t = nested(100000, 0);
	CHECK_INT(json_parse(&d, t, strlen(t), &e), -1);
	CHECK_INT(e.line, 1);
	CHECK_INT(e.col, 513);
	CHECK_STR(e.msg, "nesting deeper than 512");
	json_free(&d);
	/* depth counts arrays and objects alike, and brackets inside strings do not count */
	CHECK_INT(parse(&d, "[{\"[[[[\":[{}]}]", &e), 0);
	json_free(&d);
}

static void test_number_length(void)
{
	struct json_doc d;
	struct json_err e;
	char *t = malloc(JSON_MAX_NUMBER + 3);

	memset(t, '7', JSON_MAX_NUMBER);
	t[JSON_MAX_NUMBER] = '\0';
	CHECK_INT(json_parse(&d, t, JSON_MAX_NUMBER, &e), 0);
	CHECK_INT(json_kind(&d, 0), JSON_NUMBER);
	CHECK_INT(d.tok[0].end - d.tok[0].start, JSON_MAX_NUMBER);
	json_free(&d);
	t = malloc(JSON_MAX_NUMBER + 3);
	t[0] = '[';
	memset(t + 1, '7', JSON_MAX_NUMBER + 1);
	t[JSON_MAX_NUMBER + 2] = '\0';
	CHECK_INT(json_parse(&d, t, JSON_MAX_NUMBER + 2, &e), -1);
	CHECK_STR(e.msg, "number too long");
	CHECK_INT(e.col, 2);
	json_free(&d);
	/* a float with 309 integer digits is beyond a double, one with 308 is not */
	t = malloc(400);
	snprintf(t, 400, "1%0308d.0", 0);
	CHECK_INT(json_parse(&d, t, strlen(t), &e), 0);
	json_free(&d);
	t = malloc(400);
	snprintf(t, 400, "1%0309d.0", 0);
	CHECK_INT(json_parse(&d, t, strlen(t), &e), -1);
	CHECK_STR(e.msg, "number out of range");
	json_free(&d);
}

static void test_tokens(void)
{
	struct json_doc d;
	struct json_err e;
	int it = 0, k, v, n = 0;

	CHECK_INT(parse(&d, "{\"a\":[1,2],\"b\":{},\"c\":\"s\",\"d\":true,\"e\":null}", &e), 0);
	CHECK_INT(d.ntok, 13);
	CHECK_INT(json_kind(&d, 0), JSON_OBJECT);
	CHECK_INT(json_kind(&d, 2), JSON_ARRAY);
	CHECK_INT(json_kind(&d, 3), JSON_NUMBER);
	CHECK_INT(json_kind(&d, 6), JSON_OBJECT);
	CHECK_INT(json_kind(&d, 8), JSON_STRING);
	CHECK_INT(json_kind(&d, 10), JSON_BOOL);
	CHECK_INT(json_kind(&d, 12), JSON_NULL);
	CHECK_INT(json_true(&d, 10), 1);
	CHECK_INT(json_next(&d, 0), 13);
	CHECK_INT(json_next(&d, 1), 2);
	CHECK_INT(json_next(&d, 2), 5);
	CHECK_INT(json_next(&d, 6), 7);
	while (json_member(&d, 0, &it, &k, &v)) {
		static const char *const keys = "abcde";
		static const int vals[] = { 2, 6, 8, 10, 12 };

		CHECK(n < 5);
		if (n >= 5)
			break;
		CHECK(json_streq(&d, k, (char[]){ keys[n], 0 }));
		CHECK_INT(v, vals[n]);
		n++;
	}
	CHECK_INT(n, 5);
	it = 0;
	CHECK_INT(json_member(&d, 6, &it, &k, &v), 0);
	it = 0;
	CHECK_INT(json_member(&d, 2, &it, &k, &v), 0);
	it = 0;
	CHECK_INT(json_element(&d, 0, &it, &v), 0);
	json_free(&d);
}

static void test_elements(void)
{
	struct json_doc d;
	struct json_err e;
	int it = 0, v, n = 0;
	static const int want[] = { 1, 3, 6, 7 };

	CHECK_INT(parse(&d, "[[1],[2,3],4,{\"x\":[5]}]", &e), 0);
	while (json_element(&d, 0, &it, &v)) {
		CHECK(n < 4);
		if (n >= 4)
			break;
		CHECK_INT(v, want[n]);
		n++;
	}
	CHECK_INT(n, 4);
	it = 0;
	n = 0;
	while (json_element(&d, 3, &it, &v))
		n++;
	CHECK_INT(n, 2);
	it = 0;
	CHECK_INT(json_element(&d, 10, &it, &v), 0);
	CHECK(json_element(&d, 10, &it, &v) == 0);
	json_free(&d);
	CHECK_INT(parse(&d, "[]", &e), 0);
	it = 0;
	CHECK_INT(json_element(&d, 0, &it, &v), 0);
	json_free(&d);
}

static void test_find(void)
{
	struct json_doc d;
	struct json_err e;
	int v;

	CHECK_INT(parse(&d, "{\"k\":1,\"x\":{\"j\":0},\"k\":2,\"\\u006b\":3,\"kk\":4}", &e), 0);
	v = json_find(&d, 0, "k");
	CHECK(v > 0 && d.text[d.tok[v].start] == '3');
	v = json_find(&d, 0, "kk");
	CHECK(v > 0 && d.text[d.tok[v].start] == '4');
	CHECK_INT(json_find(&d, 0, "j"), -1);
	CHECK_INT(json_find(&d, 0, ""), -1);
	CHECK_INT(json_find(&d, 2, "k"), -1);
	json_free(&d);
}

static void test_str(void)
{
	struct json_doc d;
	struct json_err e;
	char *s;

	CHECK_INT(parse(&d, "[\"a\\u00e9\\ud83d\\ude00\xc3\xa9\", \"\\\"\\\\\\/\\b\\f\\n\\r\\t\", "
			 "\"\\u0000\", \"x\\ud800\", \"\\udc00\", 1, \"\", \"\\uDBFF\\uDFFF\"]", &e), 0);
	s = json_str(&d, 1);
	CHECK_STR(s, "a\xc3\xa9\xf0\x9f\x98\x80\xc3\xa9");
	free(s);
	s = json_str(&d, 2);
	CHECK_STR(s, "\"\\/\b\f\n\r\t");
	free(s);
	errno = 0;
	CHECK(json_str(&d, 3) == NULL);
	CHECK_INT(errno, EINVAL);
	errno = 0;
	CHECK(json_str(&d, 4) == NULL);
	CHECK_INT(errno, EINVAL);
	CHECK(json_str(&d, 5) == NULL);
	errno = 0;
	CHECK(json_str(&d, 6) == NULL);
	CHECK_INT(errno, EINVAL);
	CHECK(json_str(&d, 0) == NULL);
	s = json_str(&d, 7);
	CHECK_STR(s, "");
	free(s);
	s = json_str(&d, 8);
	CHECK_STR(s, "\xf4\x8f\xbf\xbf");
	free(s);
	CHECK(json_streq(&d, 1, "a\xc3\xa9\xf0\x9f\x98\x80\xc3\xa9"));
	CHECK(!json_streq(&d, 1, "a\xc3\xa9"));
	CHECK(!json_streq(&d, 1, "a\xc3\xa9\xf0\x9f\x98\x80\xc3\xa9!"));
	CHECK(!json_streq(&d, 3, ""));
	CHECK(json_streq(&d, 7, ""));
	CHECK(!json_streq(&d, 6, "1"));
	CHECK(!json_streq(&d, 0, ""));
	json_free(&d);
}

static void test_codepoints(void)
{
	static const long want[] = { 0xd800, 0xd800, 'x', 0xdc00, 0xd800, 0x1f600, 0xe9, 0, 0xffff };
	struct json_doc d;
	struct json_err e;
	size_t pos = 0, i;

	CHECK_INT(parse(&d, "\"\\ud800\\ud800x\\udc00\\ud800\\ud83d\\ude00\xc3\xa9\\u0000\\uffff\"", &e), 0);
	for (i = 0; i < sizeof want / sizeof *want; i++)
		CHECK_INT(json_codepoint(&d, 0, &pos), want[i]);
	CHECK_INT(json_codepoint(&d, 0, &pos), -1);
	CHECK_INT(json_codepoint(&d, 0, &pos), -1);
	pos = 0;
	CHECK_INT(json_codepoint(&d, 1, &pos), -1);
	json_free(&d);
}

static void test_where(void)
{
	struct json_doc d;
	struct json_err e;
	int line, col;

	CHECK_INT(parse(&d, "{\n  \"a\": 1,\n  \"b\":   [true]\n}", &e), 0);
	json_where(&d, 0, &line, &col);
	CHECK_INT(line, 1);
	CHECK_INT(col, 1);
	json_where(&d, 3, &line, &col);
	CHECK_INT(line, 3);
	CHECK_INT(col, 3);
	json_where(&d, 4, &line, &col);
	CHECK_INT(line, 3);
	CHECK_INT(col, 10);
	json_where(&d, 5, &line, &col);
	CHECK_INT(line, 3);
	CHECK_INT(col, 11);
	json_free(&d);
}

static void test_scalar_top(void)
{
	struct json_doc d;
	struct json_err e;

	CHECK_INT(parse(&d, "  42 \n", &e), 0);
	CHECK_INT(d.ntok, 1);
	CHECK_INT(d.tok[0].start, 2);
	CHECK_INT(d.tok[0].end, 4);
	CHECK_INT(json_kind(&d, 0), JSON_NUMBER);
	CHECK_INT(json_next(&d, 0), 1);
	json_free(&d);
	CHECK_INT(parse(&d, "false", &e), 0);
	CHECK_INT(json_kind(&d, 0), JSON_BOOL);
	CHECK_INT(json_true(&d, 0), 0);
	json_free(&d);
	CHECK_INT(parse(&d, " \"s\" ", &e), 0);
	CHECK(json_streq(&d, 0, "s"));
	json_free(&d);
}

static void test_load(void)
{
	struct json_doc d;
	struct json_err e;
	char path[] = "/tmp/test_json.XXXXXX";
	int fd = mkstemp(path), p[2];

	CHECK(fd >= 0);
	unlink(path);
	CHECK_INT(write(fd, "{\"a\": [1, 2]}\n", 14), 14);
	lseek(fd, 0, SEEK_SET);
	CHECK_INT(json_load(&d, fd, &e), 0);
	CHECK_INT(d.len, 14);
	CHECK_INT(d.ntok, 5);
	json_free(&d);
	CHECK_INT(ftruncate(fd, JSON_MAX_SIZE + 1), 0);
	lseek(fd, 0, SEEK_SET);
	errno = 0;
	CHECK_INT(json_load(&d, fd, &e), -1);
	CHECK_INT(errno, EFBIG);
	CHECK_STR(e.msg, "");
	json_free(&d);
	close(fd);
	errno = 0;
	CHECK_INT(json_load(&d, fd, &e), -1);
	CHECK_INT(errno, EBADF);
	CHECK_STR(e.msg, "");
	json_free(&d);
	CHECK_INT(pipe(p), 0);
	CHECK_INT(write(p[1], "[1,\n2,]", 7), 7);
	close(p[1]);
	CHECK_INT(json_load(&d, p[0], &e), -1);
	CHECK_INT(errno, EINVAL);
	CHECK_INT(e.line, 2);
	CHECK_INT(e.col, 3);
	CHECK_STR(e.msg, "expected value");
	json_free(&d);
	close(p[0]);
}

/* Whether the tokens of x are those of f from index i on, shifted by off bytes. */
static int same_tokens(const struct json_doc *x, const struct json_doc *f, int i, int off)
{
	int k;

	for (k = 0; k < x->ntok; k++) {
		const jsmntok_t *a = &x->tok[k], *b = &f->tok[i + k];

		if (a->type != b->type || a->start + off != b->start || a->end + off != b->end ||
		    a->size != b->size)
			return 0;
	}
	return 1;
}

/* A lazy document holds the top level; each container in it expands to the very tokens a
 * whole parse has there. */
static void check_lazy(const char *text)
{
	struct json_doc f, l, x;
	struct json_err e;
	int fi = 0, li = 0, fk, fv, lk, lv, top, n = 0;

	CHECK_INT(parse(&f, text, &e), 0);
	CHECK_INT(parse_lazy(&l, text, strlen(text), &e), 0);
	CHECK_INT(json_kind(&l, 0), json_kind(&f, 0));
	CHECK_INT(l.tok[0].start, f.tok[0].start);
	CHECK_INT(l.tok[0].end, f.tok[0].end);
	CHECK_INT(l.tok[0].size, f.tok[0].size);
	CHECK_INT(json_expanded(&l, 0), 1);
	top = json_kind(&f, 0) == JSON_OBJECT;
	for (;;) {
		int more = top ? json_member(&f, 0, &fi, &fk, &fv) : json_element(&f, 0, &fi, &fv);
		int lmore = top ? json_member(&l, 0, &li, &lk, &lv) : json_element(&l, 0, &li, &lv);

		CHECK_INT(lmore, more);
		if (!more || !lmore)
			break;
		n++;
		if (top) {
			CHECK_INT(l.tok[lk].start, f.tok[fk].start);
			CHECK_INT(l.tok[lk].end, f.tok[fk].end);
		}
		CHECK_INT(l.tok[lv].type, f.tok[fv].type);
		CHECK_INT(l.tok[lv].start, f.tok[fv].start);
		CHECK_INT(l.tok[lv].end, f.tok[fv].end);
		if (json_kind(&f, fv) != JSON_OBJECT && json_kind(&f, fv) != JSON_ARRAY) {
			CHECK_INT(json_expanded(&l, lv), 1);
			CHECK_INT(json_expand(&l, lv, &x), -1);
			CHECK_INT(errno, EINVAL);
			continue;
		}
		CHECK_INT(json_expanded(&l, lv), 0);
		CHECK_INT(json_expand(&l, lv, &x), 0);
		CHECK_INT(x.ntok, json_next(&f, fv) - fv);
		CHECK(same_tokens(&x, &f, fv, f.tok[fv].start));
		CHECK_INT(x.plain, l.plain);
		json_free(&x);
	}
	CHECK_INT(n, f.tok[0].size);
	CHECK_INT(l.ntok, 1 + (top ? 2 : 1) * n);
	json_free(&f);
	json_free(&l);
}

static void test_lazy(void)
{
	struct json_doc l;
	struct json_err e;

	check_lazy("{\"a\":[1,2],\"b\":{},\"c\":\"s\",\"d\":true,\"e\":null}");
	check_lazy("{\"a\": {\"x\": [1, {\"y\": \"\\u00e9\"}], \"z\": {}}, \"b\": [[], [[1]]], \"a\": 2}");
	check_lazy("[ {\"k\": [true]}, \"s\", [ ], -1.5e3, {\"\": {\"\": {}}} ]");
	check_lazy("{}");
	check_lazy("[]");
	check_lazy("\n{\n  \"only\": {\n    \"deep\": [1, 2, 3]\n  }\n}\n");
	/* a lone scalar is one token either way */
	CHECK_INT(parse_lazy(&l, " \"s\" ", 5, &e), 0);
	CHECK_INT(l.ntok, 1);
	CHECK_INT(json_kind(&l, 0), JSON_STRING);
	CHECK_INT(json_expanded(&l, 0), 1);
	json_free(&l);
	CHECK_INT(parse_lazy(&l, "12", 2, &e), 0);
	CHECK_INT(l.ntok, 1);
	CHECK_INT(json_kind(&l, 0), JSON_NUMBER);
	json_free(&l);
}

/* Writes ["a...MIDb..."] to t: k a's before MID, 20 - k b's after it; returns its length. */
static size_t around(char *t, size_t size, int k, const char *mid)
{
	return (size_t)snprintf(t, size, "[\"%.*s%s%.*s\"]", k, "aaaaaaaaaaaaaaaaaaaaaaaa", mid,
				20 - k, "bbbbbbbbbbbbbbbbbbbbbbbb");
}

/* The scanner goes eight bytes at a time through whitespace, strings and the UTF-8 check:
 * whatever stops it is found at every offset in a word. */
static void test_words(void)
{
	char t[128], want[64];
	struct json_doc d;
	struct json_err e;
	int k, m, lazy;

	for (lazy = 0; lazy <= 1; lazy++) {
		for (k = 0; k <= 20; k++) {
			int (*p)(struct json_doc *, const char *, size_t, struct json_err *) =
				lazy ? parse_lazy : parse_n;

			/* spaces, then something that is not a value: '!' and 0x01 differ from ' '
			 * by one bit each, which a sloppy word test takes for a space */
			snprintf(t, sizeof t, "[%*s!1]", k, "");
			CHECK_INT(p(&d, t, strlen(t), &e), -1);
			CHECK_INT(e.col, k + 2);
			CHECK_STR(e.msg, "expected value");
			json_free(&d);
			snprintf(t, sizeof t, "[%*s\x01]", k, "");
			CHECK_INT(p(&d, t, strlen(t), &e), -1);
			CHECK_INT(e.col, k + 2);
			json_free(&d);
			snprintf(t, sizeof t, "[\n%*s1,%*s\"x\"%*s]", k, "", k, "", k, "");
			CHECK_INT(p(&d, t, strlen(t), &e), 0);
			CHECK_INT(json_kind(&d, 0), JSON_ARRAY);
			json_free(&d);
			/* a string with its stop at offset k: control byte, quote, escape */
			snprintf(t, sizeof t, "[\"%.*s\x01" "bbbbbbbbbbbbbbbb\"]", k, "aaaaaaaaaaaaaaaaaaaaaaaa");
			CHECK_INT(p(&d, t, strlen(t), &e), -1);
			CHECK_INT(e.col, k + 3);
			CHECK_STR(e.msg, "control character in string");
			json_free(&d);
			snprintf(t, sizeof t, "[\"%.*s\",\"bbbbbbbbbbbbbbbb\"]", k, "aaaaaaaaaaaaaaaaaaaaaaaa");
			CHECK_INT(parse_n(&d, t, strlen(t), &e), 0);
			CHECK_INT(d.ntok, 3);
			CHECK_INT(d.tok[1].end - d.tok[1].start, k);
			CHECK_INT(d.plain, 1);
			json_free(&d);
			CHECK_INT(parse_n(&d, t, around(t, sizeof t, k, "\\n"), &e), 0);
			CHECK_INT(d.ntok, 2);
			CHECK_INT(d.plain, 0);
			snprintf(want, sizeof want, "%.*s\n%.*s", k, "aaaaaaaaaaaaaaaaaaaaaaaa", 20 - k,
				 "bbbbbbbbbbbbbbbbbbbbbbbb");
			CHECK(json_streq(&d, 1, want));
			json_free(&d);
			/* what makes a document not plain, at every offset of the UTF-8 check */
			for (m = 0; m < 2; m++) {
				CHECK_INT(parse_n(&d, t, around(t, sizeof t, k, m ? "\xc3\xa9" : "\x7f"), &e), 0);
				CHECK_INT(d.plain, 0);
				json_free(&d);
			}
			CHECK_INT(parse_n(&d, t, around(t, sizeof t, k, "\xc3\x28"), &e), -1);
			CHECK_INT(e.col, k + 3);
			CHECK_STR(e.msg, "invalid UTF-8");
			json_free(&d);
		}
	}
}

/* A document the size of a large settings file: many members, nested, all tokens found. */
static void test_large(void)
{
	size_t cap = 4 << 20, n = 0;
	char *t = malloc(cap);
	struct json_doc d;
	struct json_err e;
	int i, it = 0, k, v, count = 0;

	n += (size_t)sprintf(t + n, "{");
	for (i = 0; i < 50000; i++)
		n += (size_t)sprintf(t + n, "%s\"key%d\": [%d, \"v\\u00e9\", {\"x\": %d.5}]",
				     i ? ",\n" : "", i, i, i);
	n += (size_t)sprintf(t + n, "}");
	CHECK_INT(json_parse(&d, t, n, &e), 0);
	CHECK_INT(d.ntok, 1 + 50000 * 7);
	while (json_member(&d, 0, &it, &k, &v))
		count++;
	CHECK_INT(count, 50000);
	v = json_find(&d, 0, "key49999");
	CHECK_INT(json_kind(&d, v), JSON_ARRAY);
	json_free(&d);
}

int main(void)
{
	test_accepts();
	test_refuses();
	test_depth();
	test_number_length();
	test_tokens();
	test_elements();
	test_find();
	test_str();
	test_codepoints();
	test_where();
	test_scalar_top();
	test_load();
	test_large();
	test_lazy();
	test_words();
	return check_done("json");
}
