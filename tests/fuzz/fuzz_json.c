/* fuzz_json.c - libFuzzer target: the strict JSON parser, its accessors and the deep merge printer, with round-trip invariants. */
/*
 * Input: BASE, optionally followed by a NUL byte and OVERRIDE. Each side is parsed on its
 * own (a side that fails to parse counts as absent, as in pi-merge). Traps when:
 * - a refused document has no message or no position, or the validator accepted what
 *   jsmn then refused (errno EPROTO);
 * - an accessor disagrees with the tokens: member/element counts against jsmn's size,
 *   json_next past the container, json_find not returning the last duplicate, json_str
 *   and json_streq or json_codepoint disagreeing, a position before line 1 col 1;
 * - merge_json fails on a writable fd, or succeeds on a fd it cannot write;
 * - the printed merge O does not parse again as an object, or printing is not a fixed
 *   point: merge(O, {}), merge(absent, O) and merge(O, O) must reproduce O byte for byte,
 *   and merge(O, OVERRIDE) too (deep merge is idempotent in its override);
 * - with no OVERRIDE, merge(absent, BASE) differs from merge(BASE, absent).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "json.h"
#include "merge.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_json: invariant failed: %s (%s:%d)\n", \
	#c, __FILE__, __LINE__); __builtin_trap(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* memfds reused across runs: the first merge, the re-prints, and a fd that refuses writes. */
static int out_fd = -1, cmp_fd = -1, ro_fd = -1;

static int memfd(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	CHECK(fd >= 0);
	return fd;
}

static void reset(int fd)
{
	CHECK(ftruncate(fd, 0) == 0);
	CHECK(lseek(fd, 0, SEEK_SET) == 0);
}

/* Everything written to fd, NUL-terminated (malloc'd); *len its length. */
static char *slurp(int fd, size_t *len)
{
	off_t end = lseek(fd, 0, SEEK_END);
	char *s;

	CHECK(end >= 0);
	s = malloc((size_t)end + 1);
	CHECK(s);
	CHECK(pread(fd, s, (size_t)end, 0) == end);
	s[end] = '\0';
	*len = (size_t)end;
	return s;
}

/* Parses a copy of p[0..n); 0 on success. A refusal must say why and where. */
static int parse(struct json_doc *d, const uint8_t *p, size_t n)
{
	struct json_err e;
	char *t = malloc(n + 1);

	CHECK(t);
	memcpy(t, p, n);
	t[n] = '\0';
	errno = 0;
	if (json_parse(d, t, n, &e) == 0) {
		CHECK(d->ntok >= 1 && d->text == t && d->len == n);
		return 0;
	}
	CHECK(errno != EPROTO);		/* validated, then refused by jsmn */
	CHECK(errno == EINVAL || errno == ENOMEM);
	if (errno == EINVAL)
		CHECK(e.msg[0] && memchr(e.msg, '\0', sizeof e.msg) && e.line >= 1 && e.col >= 1);
	json_free(d);
	return -1;
}

/* The string at i: json_codepoint, json_str and json_streq must agree. */
static void check_string(const struct json_doc *d, int i)
{
	size_t pos = 0, last = 0, len = (size_t)(d->tok[i].end - d->tok[i].start);
	int bad = 0;
	long c;
	char *s;

	while ((c = json_codepoint(d, i, &pos)) >= 0) {
		CHECK(c <= 0x10ffff && pos > last && pos <= len);
		last = pos;
		bad |= c == 0 || (c >= 0xd800 && c <= 0xdfff);
	}
	CHECK(pos == len);
	errno = 0;
	s = json_str(d, i);
	if (!s) {
		CHECK(errno == ENOMEM || (errno == EINVAL && bad));
		return;
	}
	CHECK(!bad && strlen(s) <= len && json_streq(d, i, s));
	free(s);
}

static void walk(const struct json_doc *d, int i);

/* Members of the object at i; json_find is quadratic, so only the first few look it up. */
static void walk_object(const struct json_doc *d, int i)
{
	int it = 0, k, v, n = 0, f, dummy;
	char *name;

	while (json_member(d, i, &it, &k, &v)) {
		CHECK(k > i && v == k + 1 && v < d->ntok && json_kind(d, k) == JSON_STRING);
		check_string(d, k);
		walk(d, v);
		if (n < 16 && (name = json_str(d, k))) {
			f = json_find(d, i, name);
			CHECK(f >= v && f < json_next(d, i) && json_streq(d, f - 1, name));
			free(name);
		}
		n++;
	}
	CHECK(n == d->tok[i].size && (n == 0 || it == json_next(d, i)));
	it = 0;
	CHECK(!json_element(d, i, &it, &dummy));
}

static void walk_array(const struct json_doc *d, int i)
{
	int it = 0, v, n = 0, k;

	while (json_element(d, i, &it, &v)) {
		CHECK(v > i && v < d->ntok);
		walk(d, v);
		n++;
	}
	CHECK(n == d->tok[i].size && (n == 0 || it == json_next(d, i)));
	it = 0;
	CHECK(!json_member(d, i, &it, &k, &v));
}

static void walk(const struct json_doc *d, int i)
{
	int line, col, next = json_next(d, i);

	CHECK(next > i && next <= d->ntok);
	json_where(d, i, &line, &col);
	CHECK(line >= 1 && col >= 1);
	switch (json_kind(d, i)) {
	case JSON_OBJECT:
		walk_object(d, i);
		break;
	case JSON_ARRAY:
		walk_array(d, i);
		break;
	case JSON_STRING:
		check_string(d, i);
		CHECK(next == i + 1);
		break;
	default:
		CHECK(next == i + 1 && d->tok[i].type == JSMN_PRIMITIVE);
		break;
	}
}

/* merge(a, b) into the comparison memfd must give want[0..n) exactly. */
static void same(struct json_val a, struct json_val b, const char *want, size_t n)
{
	size_t got_n;
	char *got;

	reset(cmp_fd);
	CHECK(merge_json(cmp_fd, a, b) == 0);
	got = slurp(cmp_fd, &got_n);
	if (got_n != n || memcmp(got, want, n)) {
		fprintf(stderr, "fuzz_json: printing is not a fixed point\n--- want\n%s--- got\n%s",
			want, got);
		__builtin_trap();
	}
	free(got);
}

/* The printed merge O must parse, and print again as itself. */
static void reprint(struct json_val base, struct json_val over)
{
	static const uint8_t empty_text[] = "{}";
	struct json_doc o, empty;
	struct json_err e;
	struct json_val ov, ev, none = { NULL, -1 };

	CHECK(lseek(out_fd, 0, SEEK_SET) == 0);
	errno = 0;
	if (json_load(&o, out_fd, &e) < 0) {
		if (errno == EINVAL) {
			fprintf(stderr, "fuzz_json: the printed merge does not parse: %d:%d %s\n%s",
				e.line, e.col, e.msg, o.text ? o.text : "");
			__builtin_trap();
		}
		/* Deep nesting multiplies indentation: the print may exceed JSON_MAX_SIZE. */
		CHECK(errno == EFBIG || errno == ENOMEM);
		json_free(&o);
		return;
	}
	CHECK(json_kind(&o, 0) == JSON_OBJECT && o.len >= 3 && o.text[o.len - 1] == '\n');
	CHECK(parse(&empty, empty_text, 2) == 0);
	ov = (struct json_val){ &o, 0 };
	ev = (struct json_val){ &empty, 0 };
	same(ov, ev, o.text, o.len);
	same(none, ov, o.text, o.len);
	same(ov, ov, o.text, o.len);
	if (over.tok >= 0)
		same(ov, over, o.text, o.len);
	else if (base.tok >= 0)
		same(none, base, o.text, o.len);
	json_free(&empty);
	json_free(&o);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, '\0', size);
	size_t na = nul ? (size_t)(nul - data) : size;
	struct json_doc a = { 0 }, b = { 0 };
	struct json_val av = { &a, -1 }, bv = { &b, -1 };

	if (out_fd < 0) {
		out_fd = memfd("fuzz-merge");
		cmp_fd = memfd("fuzz-reprint");
		ro_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		CHECK(ro_fd >= 0);
	}
	if (parse(&a, data, na) == 0) {
		av.tok = 0;
		walk(&a, 0);
	}
	if (nul && parse(&b, nul + 1, size - na - 1) == 0) {
		bv.tok = 0;
		walk(&b, 0);
	}
	reset(out_fd);
	CHECK(merge_json(out_fd, av, bv) == 0);
	reprint(av, bv);
	if (size < 4096) {	/* the write error path, where it is cheap */
		errno = 0;
		CHECK(merge_json(ro_fd, av, bv) == -1 && errno == EBADF);
	}
	json_free(&a);
	json_free(&b);
	return 0;
}
