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
 * - with no OVERRIDE, merge(absent, BASE) differs from merge(BASE, absent);
 * - a lazy parse (json_parse_lazy) of either side disagrees with the whole parse: another
 *   verdict or message, a top-level container that expands to other tokens, or a merge of
 *   the lazy documents that is not byte for byte the merge of the whole ones.
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

static void walk(const struct json_doc *d, int i);

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

/* Parses a copy of p[0..n), whole or lazily; 0 on success. A refusal must say why and
 * where (in *e). */
static int parse_as(struct json_doc *d, const uint8_t *p, size_t n, int lazy, struct json_err *e)
{
	char *t = malloc(n + 1);

	CHECK(t);
	memcpy(t, p, n);
	t[n] = '\0';
	errno = 0;
	if ((lazy ? json_parse_lazy : json_parse)(d, t, n, e) == 0) {
		CHECK(d->ntok >= 1 && d->text == t && d->len == n);
		return 0;
	}
	CHECK(errno != EPROTO);		/* validated, then refused by jsmn */
	CHECK(errno == EINVAL || errno == ENOMEM);
	if (errno == EINVAL)
		CHECK(e->msg[0] && memchr(e->msg, '\0', sizeof e->msg) && e->line >= 1 && e->col >= 1);
	json_free(d);
	return -1;
}

static int parse(struct json_doc *d, const uint8_t *p, size_t n)
{
	struct json_err e;

	return parse_as(d, p, n, 0, &e);
}

/* The lazy parse l of the text the whole parse f (rc, e) came from: the same verdict and
 * message; each top-level container expands to f's tokens there. */
static void check_lazy(const struct json_doc *l, int lrc, const struct json_err *le,
		       const struct json_doc *f, int rc, const struct json_err *e)
{
	struct json_doc x;
	int i, fi, k;

	CHECK(lrc == rc);
	if (rc < 0) {
		CHECK(!strcmp(le->msg, e->msg) && le->line == e->line && le->col == e->col);
		return;
	}
	CHECK(l->ntok >= 1 && l->ntok <= f->ntok && l->plain == f->plain);
	for (i = 0, fi = 0; i < l->ntok; i++, fi = json_next(f, fi)) {
		if (i == 1)
			fi = 1;		/* into the top-level container */
		CHECK(fi < f->ntok && l->tok[i].start == f->tok[fi].start &&
		      l->tok[i].end == f->tok[fi].end && l->tok[i].type == f->tok[fi].type);
		if (json_expanded(l, i)) {
			CHECK(i == 0 || l->tok[i].size == f->tok[fi].size);
			continue;
		}
		CHECK(json_expand(l, i, &x) == 0 && x.ntok == json_next(f, fi) - fi);
		for (k = 0; k < x.ntok; k++)
			CHECK(x.tok[k].start + f->tok[fi].start == f->tok[fi + k].start &&
			      x.tok[k].end + f->tok[fi].start == f->tok[fi + k].end &&
			      x.tok[k].type == f->tok[fi + k].type && x.tok[k].size == f->tok[fi + k].size);
		walk(&x, 0);
		json_free(&x);
	}
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
	struct json_doc a = { 0 }, b = { 0 }, la = { 0 }, lb = { 0 };
	struct json_val av = { &a, -1 }, bv = { &b, -1 }, lav = { &la, -1 }, lbv = { &lb, -1 };
	struct json_err ea, eb, ela, elb;
	int ra, rb = -1, rla, rlb = -1;
	size_t n;
	char *merged;

	if (out_fd < 0) {
		out_fd = memfd("fuzz-merge");
		cmp_fd = memfd("fuzz-reprint");
		ro_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		CHECK(ro_fd >= 0);
	}
	if ((ra = parse_as(&a, data, na, 0, &ea)) == 0) {
		av.tok = 0;
		walk(&a, 0);
	}
	rla = parse_as(&la, data, na, 1, &ela);
	check_lazy(&la, rla, &ela, &a, ra, &ea);
	if (nul && (rb = parse_as(&b, nul + 1, size - na - 1, 0, &eb)) == 0) {
		bv.tok = 0;
		walk(&b, 0);
	}
	if (nul) {
		rlb = parse_as(&lb, nul + 1, size - na - 1, 1, &elb);
		check_lazy(&lb, rlb, &elb, &b, rb, &eb);
	}
	lav.tok = rla == 0 ? 0 : -1;
	lbv.tok = rlb == 0 ? 0 : -1;
	reset(out_fd);
	CHECK(merge_json(out_fd, av, bv) == 0);
	merged = slurp(out_fd, &n);
	same(lav, lbv, merged, n);
	same(lav, bv, merged, n);
	free(merged);
	reprint(av, bv);
	if (size < 4096) {	/* the write error path, where it is cheap */
		errno = 0;
		CHECK(merge_json(ro_fd, av, bv) == -1 && errno == EBADF);
	}
	json_free(&a);
	json_free(&b);
	json_free(&la);
	json_free(&lb);
	return 0;
}
