/* merge.c - the seed's deep merge of two JSON documents, printed byte for byte like Python's json.dump. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "merge.h"

/* One member of the base (src 0) or the override (src 1) object; seq keeps text order. */
struct entry {
	const struct json_doc *doc;
	const char *k;	/* the key, decoded when it has an escape */
	int kn, key, val, src, seq;
};

/* Output goes through a 64 KiB buffer (20 writes for a 1 MB file); the first error (write
 * or malloc) sticks and stops further work. */
struct out {
	int fd, err;
	size_t n;
	char buf[65536];
	struct entry *ent;	/* the members of the objects being printed, outermost first */
	size_t nent, cap;
};

/* Shortest decimal digits of a double: d[0].d[1..n) x 10^exp. */
struct digits {
	char d[24];
	int n, exp;
};

static const struct json_val none = { NULL, -1 };

static void emit_value(struct out *o, struct json_val v, int level);
static void emit_object(struct out *o, struct json_val a, struct json_val b, int level);

static void flush(struct out *o)
{
	size_t done = 0;
	ssize_t r;

	while (!o->err && done < o->n) {
		r = write(o->fd, o->buf + done, o->n - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			o->err = r < 0 ? errno : EIO;
		else
			done += (size_t)r;
	}
	o->n = 0;
}

static void put(struct out *o, const char *s, size_t n)
{
	size_t k;

	if (n < sizeof o->buf - o->n) {	/* the usual case: room to spare */
		memcpy(o->buf + o->n, s, n);
		o->n += n;
		return;
	}
	while (n > 0 && !o->err) {
		k = sizeof o->buf - o->n;
		if (k > n)
			k = n;
		memcpy(o->buf + o->n, s, k);
		o->n += k;
		s += k;
		n -= k;
		if (o->n == sizeof o->buf)
			flush(o);
	}
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* A newline (after a comma when sep) and two spaces of indent per level, in one piece up
 * to level 63. */
static void newline(struct out *o, int level, int sep)
{
	static const char nl[] = ",\n                                                                "
				 "                                                                ";
	size_t k, n = 1 + (sep != 0) + 2 * (size_t)level;
	const char *s = sep ? nl : nl + 1;

	for (; n > 0 && !o->err; n -= k, s = nl + 2) {
		k = n < (size_t)(nl + sizeof nl - 1 - s) ? n : (size_t)(nl + sizeof nl - 1 - s);
		put(o, s, k);
	}
}

static void emit_u(struct out *o, long c)
{
	static const char hex[] = "0123456789abcdef";
	char b[6] = { '\\', 'u', hex[c >> 12 & 15], hex[c >> 8 & 15], hex[c >> 4 & 15], hex[c & 15] };

	put(o, b, sizeof b);
}

/* ensure_ascii: printable ASCII as is, short escapes, everything else \uXXXX (astral code
 * points as a surrogate pair). */
static void emit_char(struct out *o, long c)
{
	const char *esc;
	char b = (char)c;

	switch (c) {
	case '"':
		esc = "\\\"";
		break;
	case '\\':
		esc = "\\\\";
		break;
	case '\b':
		esc = "\\b";
		break;
	case '\f':
		esc = "\\f";
		break;
	case '\n':
		esc = "\\n";
		break;
	case '\r':
		esc = "\\r";
		break;
	case '\t':
		esc = "\\t";
		break;
	default:
		esc = NULL;
	}
	if (esc) {
		put(o, esc, 2);
	} else if (c >= 0x20 && c < 0x7f) {
		put(o, &b, 1);
	} else if (c >= 0x10000) {
		emit_u(o, 0xd800 | (c - 0x10000) >> 10);
		emit_u(o, 0xdc00 | (c & 0x3ff));
	} else {
		emit_u(o, c);
	}
}

/* Bytes 0x20..0x7e other than '"' and '\\' are printed as they are. */
static int plain(unsigned char c)
{
	return c >= 0x20 && c < 0x7f && c != '"' && c != '\\';
}

/* Runs of plain bytes are copied whole; anything else goes code point by code point. A
 * plain document's strings are copied with their quotes. */
static void emit_string(struct out *o, const struct json_doc *d, int i)
{
	const unsigned char *s = (const unsigned char *)d->text + d->tok[i].start;
	size_t pos = 0, run, n = (size_t)(d->tok[i].end - d->tok[i].start);
	long c;

	if (d->plain) {
		put(o, (const char *)s - 1, n + 2);
		return;
	}
	put(o, "\"", 1);
	while (pos < n) {
		for (run = pos; run < n && plain(s[run]); run++)
			;
		put(o, (const char *)s + pos, run - pos);
		pos = run;
		if (pos < n && (c = json_codepoint(d, i, &pos)) >= 0)
			emit_char(o, c);
	}
	put(o, "\"", 1);
}

/* "%.*e" output ("d.ddde+XX") into digits. */
static void split(const char *s, struct digits *g)
{
	g->n = 0;
	for (; *s && *s != 'e' && g->n < (int)sizeof g->d; s++)
		if (*s != '.')
			g->d[g->n++] = *s;
	g->exp = *s == 'e' ? atoi(s + 1) : 0;
}

static int roundtrips(const struct digits *g, double x)
{
	char b[48];

	snprintf(b, sizeof b, "%.*se%d", g->n, g->d, g->exp - (g->n - 1));
	return strtod(b, NULL) == x;
}

/* The next decimal up with as many digits. */
static void bump(struct digits *g)
{
	int i = g->n - 1;

	while (i >= 0 && g->d[i] == '9')
		g->d[i--] = '0';
	if (i >= 0) {
		g->d[i]++;
	} else {
		g->d[0] = '1';
		g->exp++;
	}
}

/* Whether a decimal of p digits reads back as x, and which: the nearest one, or else the
 * one above it. Only a power of two needs the second look: the doubles around it are closer
 * below than above, so the nearest decimal can be just too far below while the next one up
 * still reads back. No other decimal can fit when those two do not. */
static int fits(double x, int p, struct digits *g)
{
	char b[48];
	int e;

	snprintf(b, sizeof b, "%.*e", p - 1, x);
	split(b, g);
	if (roundtrips(g, x))
		return 1;
	if (frexp(x, &e) != 0.5)
		return 0;
	bump(g);
	return roundtrips(g, x);
}

/* The fewest digits (from 1 to 16, 16 known to fit and in g) that read back as x. */
static void bisect(double x, struct digits *g)
{
	struct digits t;
	int lo = 1, hi = 16, mid;

	while (lo < hi) {	/* g holds the digits of hi */
		mid = (lo + hi) / 2;
		if (fits(x, mid, &t)) {
			hi = mid;
			*g = t;
		} else {
			lo = mid + 1;
		}
	}
}

/* The shortest digits that read back as x (finite, >= 0), nearest first, as Python's repr
 * finds them. Every p-digit decimal has p + 1 digits too, so whether p digits fit only
 * grows with p; 17 digits always fit. Most doubles need 16 or 17, short ones are bisected. */
static void shortest(double x, struct digits *g)
{
	char b[48];

	if (fits(x, 16, g)) {
		bisect(x, g);
	} else {
		snprintf(b, sizeof b, "%.16e", x);
		split(b, g);
	}
	while (g->n > 1 && g->d[g->n - 1] == '0')
		g->n--;
}

/* float.__repr__: exponent form when the decimal point is before -4 or beyond 16 digits
 * ("1e+16", "1.5e-07"), otherwise fixed with at least one fractional digit. b: 32 bytes. */
static size_t float_repr(int neg, struct digits g, char *b)
{
	size_t n = 0;
	int decpt, i;

	if (neg)
		b[n++] = '-';
	decpt = g.exp + 1;
	if (decpt <= -4 || decpt > 16) {
		b[n++] = g.d[0];
		if (g.n > 1)
			b[n++] = '.';
		for (i = 1; i < g.n; i++)
			b[n++] = g.d[i];
		return n + (size_t)snprintf(b + n, 8, "e%+03d", g.exp);
	}
	if (decpt <= 0) {
		b[n++] = '0';
		b[n++] = '.';
		for (i = decpt; i < 0; i++)
			b[n++] = '0';
		memcpy(b + n, g.d, (size_t)g.n);
		return n + (size_t)g.n;
	}
	for (i = 0; i < g.n || i < decpt; i++) {
		if (i == decpt)
			b[n++] = '.';
		b[n++] = i < g.n ? g.d[i] : '0';
	}
	if (decpt >= g.n) {
		b[n++] = '.';
		b[n++] = '0';
	}
	return n;
}

/* Whether the number s[0..n) has a fraction or an exponent. */
static int is_float(const char *s, size_t n)
{
	while (n-- > 0)
		if (s[n] == '.' || s[n] == 'e' || s[n] == 'E')
			return 1;
	return 0;
}

/* The significant digits of a number's text, when at most 15: every decimal of up to 15
 * digits (DBL_DIG) reads back as a different normal double, so no shorter one reads back as
 * this one and these are the shortest. 0 for more digits, zero, or beyond 1e+-300. */
static int text_digits(const char *s, size_t n, struct digits *g)
{
	size_t i = *s == '-';
	int k = 0, before = -1, first = 0;
	long e10 = 0, sign = 1;

	g->n = 0;
	for (; i < n && s[i] != 'e' && s[i] != 'E'; i++) {
		if (s[i] == '.') {
			before = k;
			continue;
		}
		if (g->n == 0 && s[i] == '0') {	/* leading zeros */
			k++;
			continue;
		}
		if (g->n == (int)sizeof g->d)
			return 0;
		if (g->n == 0)
			first = k;
		g->d[g->n++] = s[i];
		k++;
	}
	if (i < n && ++i < n && (s[i] == '+' || s[i] == '-'))
		sign = s[i++] == '-' ? -1 : 1;
	for (; i < n && e10 < 1000; i++)
		e10 = e10 * 10 + (s[i] - '0');
	while (g->n > 0 && g->d[g->n - 1] == '0')
		g->n--;
	g->exp = (int)((before < 0 ? k : before) - 1 - first + sign * e10);
	return g->n > 0 && g->n <= 15 && g->exp >= -300 && g->exp <= 300;
}

/* An integer is printed as Python's int prints it: the same digits, but "-0" is 0. A
 * number with '.', 'e' or 'E' is a float (json_parse refused those that overflow). */
static void emit_number(struct out *o, const struct json_doc *d, int i)
{
	const char *s = d->text + d->tok[i].start;
	size_t n = (size_t)(d->tok[i].end - d->tok[i].start);
	struct digits g;
	char b[32];
	double x;

	if (!is_float(s, n)) {
		if (n == 2 && !memcmp(s, "-0", 2))
			put(o, "0", 1);
		else
			put(o, s, n);
	} else if (text_digits(s, n, &g)) {
		put(o, b, float_repr(*s == '-', g, b));
	} else if (isfinite(x = strtod(s, NULL))) {
		shortest(fabs(x), &g);
		put(o, b, float_repr(signbit(x) != 0, g, b));
	} else {
		o->err = EINVAL;
	}
}

static void emit_array(struct out *o, struct json_val v, int level)
{
	int it = 0, e, first = 1;

	put(o, "[", 1);
	while (!o->err && json_element(v.doc, v.tok, &it, &e)) {
		newline(o, level + 1, !first);
		first = 0;
		emit_value(o, (struct json_val){ v.doc, e }, level + 1);
	}
	if (!first)
		newline(o, level, 0);
	put(o, "]", 1);
}

/* A lazy document's top-level container, tokenized for as long as it is printed. */
static void emit_expanded(struct out *o, struct json_val v, struct json_val w, int level)
{
	struct json_doc x = { 0 }, y = { 0 };

	if (!json_expanded(v.doc, v.tok)) {
		if (json_expand(v.doc, v.tok, &x) < 0)
			o->err = errno;
		v = (struct json_val){ &x, 0 };
	}
	if (w.doc && !json_expanded(w.doc, w.tok)) {
		if (json_expand(w.doc, w.tok, &y) < 0)
			o->err = errno;
		w = (struct json_val){ &y, 0 };
	}
	if (!o->err && w.doc)
		emit_object(o, v, w, level);
	else if (!o->err)
		emit_value(o, v, level);
	json_free(&x);
	json_free(&y);
}

static void emit_value(struct out *o, struct json_val v, int level)
{
	if (!json_expanded(v.doc, v.tok)) {
		emit_expanded(o, v, none, level);
		return;
	}
	switch (json_kind(v.doc, v.tok)) {
	case JSON_OBJECT:
		emit_object(o, v, none, level);
		break;
	case JSON_ARRAY:
		emit_array(o, v, level);
		break;
	case JSON_STRING:
		emit_string(o, v.doc, v.tok);
		break;
	case JSON_NUMBER:
		emit_number(o, v.doc, v.tok);
		break;
	case JSON_BOOL:
		puts_(o, json_true(v.doc, v.tok) ? "true" : "false");
		break;
	case JSON_NULL:
		puts_(o, "null");
		break;
	}
}

static int is_object(struct json_val v)
{
	return v.doc && v.tok >= 0 && v.tok < v.doc->ntok && json_kind(v.doc, v.tok) == JSON_OBJECT;
}

static int count_members(struct json_val v)
{
	int it = 0, k, val, n = 0;

	while (v.tok >= 0 && json_member(v.doc, v.tok, &it, &k, &val))
		n++;
	return n;
}

static void collect(struct entry *e, int *n, struct json_val v, int src)
{
	int it = 0, k, val;

	while (v.tok >= 0 && json_member(v.doc, v.tok, &it, &k, &val)) {
		e[*n] = (struct entry){ v.doc, v.doc->text + v.doc->tok[k].start,
					v.doc->tok[k].end - v.doc->tok[k].start, k, val, src, *n };
		(*n)++;
	}
}

static int has_escape(const struct entry *e)
{
	return !e->doc->plain && memchr(e->k, '\\', (size_t)e->kn) != NULL;
}

/* Keys with an escape are decoded once into one buffer (returned, or NULL when none needs
 * it); the others are compared as they are: UTF-8 bytes sort in code point order. */
static char *decode_keys(struct entry *e, int n, int *err)
{
	size_t total = 0, at = 0;
	char *buf;
	int i;

	for (i = 0; i < n; i++)
		if (has_escape(&e[i]))
			total += (size_t)e[i].kn;
	if (total == 0)
		return NULL;
	buf = malloc(total);
	if (!buf) {
		*err = ENOMEM;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (!has_escape(&e[i]))
			continue;
		e[i].k = buf + at;
		e[i].kn = (int)json_decode(e[i].doc, e[i].key, buf + at);
		at += (size_t)e[i].kn;
	}
	return buf;
}

/* Decoded keys compare by code point, as Python sorts str. */
static int key_cmp(const struct entry *a, const struct entry *b)
{
	int r = memcmp(a->k, b->k, (size_t)(a->kn < b->kn ? a->kn : b->kn));

	return r ? r : (a->kn > b->kn) - (a->kn < b->kn);
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	int r = key_cmp(a, b);

	return r ? r : a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Most objects are small: insertion sort up to 16 members, qsort beyond. */
static void sort_entries(struct entry *e, int n)
{
	struct entry t;
	int i, j;

	if (n > 16) {
		qsort(e, (size_t)n, sizeof *e, entry_cmp);
		return;
	}
	for (i = 1; i < n; i++) {
		t = e[i];
		for (j = i; j > 0 && entry_cmp(&e[j - 1], &t) > 0; j--)
			e[j] = e[j - 1];
		e[j] = t;
	}
}

/* The n entries of one key, the base's before the override's: the last of each side
 * counts; the override's replaces the base's unless both are objects, which merge. */
static void emit_member(struct out *o, const struct entry *e, int n, int level)
{
	const struct entry *last = &e[n - 1], *base = NULL;
	struct json_val bv, lv = { last->doc, last->val };
	int i;

	for (i = n - 1; i >= 0 && !base; i--)
		if (e[i].src == 0)
			base = &e[i];
	if (last->src == 1 && base) {
		bv = (struct json_val){ base->doc, base->val };
		if (is_object(bv) && is_object(lv)) {
			if (json_expanded(bv.doc, bv.tok) && json_expanded(lv.doc, lv.tok))
				emit_object(o, bv, lv, level);
			else
				emit_expanded(o, bv, lv, level);
			return;
		}
	}
	emit_value(o, lv, level);
}

/* Room for n more entries on top of o->ent; NULL on failure (o->err set). */
static struct entry *reserve(struct out *o, size_t n)
{
	struct entry *ne;
	size_t cap = o->cap ? o->cap : 32;

	while (cap - o->nent < n)
		cap *= 2;
	if (cap != o->cap) {
		ne = realloc(o->ent, cap * sizeof *ne);
		if (!ne) {
			o->err = ENOMEM;
			return NULL;
		}
		o->ent = ne;
		o->cap = cap;
	}
	return o->ent + o->nent;
}

/* deep_merge(a, b) of two objects (either may be none), keys sorted, duplicates folded.
 * The entries live on o->ent, which nested objects may move: only indices are kept. */
static void emit_object(struct out *o, struct json_val a, struct json_val b, int level)
{
	int n = 0, i, j, total = count_members(a) + count_members(b);
	size_t base = o->nent;
	struct entry *e;
	char *keys;

	if (total == 0) {
		put(o, "{}", 2);
		return;
	}
	e = reserve(o, (size_t)total);
	if (!e)
		return;
	collect(e, &n, a, 0);
	collect(e, &n, b, 1);
	keys = decode_keys(e, n, &o->err);
	sort_entries(e, n);
	o->nent += (size_t)n;
	put(o, "{", 1);
	for (i = 0; i < n && !o->err; i = j) {
		e = o->ent + base;
		for (j = i + 1; j < n && key_cmp(&e[i], &e[j]) == 0; j++)
			;
		newline(o, level + 1, i > 0);
		emit_string(o, e[i].doc, e[i].key);
		put(o, ": ", 2);
		emit_member(o, e + i, j - i, level + 1);
	}
	newline(o, level, 0);
	put(o, "}", 1);
	free(keys);
	o->nent = base;
}

int merge_json(int fd, struct json_val base, struct json_val over)
{
	struct out o = { .fd = fd };

	emit_object(&o, is_object(base) ? base : none, is_object(over) ? over : none, 0);
	put(&o, "\n", 1);
	flush(&o);
	free(o.ent);
	if (o.err) {
		errno = o.err;
		return -1;
	}
	return 0;
}
