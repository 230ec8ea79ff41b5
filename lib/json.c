/* json.c - strict JSON: a validator as strict as Python's json.loads, jsmn tokens, accessors.
 *
 * MUST rules kept here:
 * - every byte of the text is checked (UTF-8, then the JSON grammar, in one pass without
 *   recursion) before jsmn sees it, so jsmn only ever tokenizes valid JSON;
 * - nesting, document size and number length are bounded; numbers that overflow a double
 *   are refused;
 * - no allocation per token: one token array sized by the validator's count, plus the text;
 * - a lazy document (json_parse_lazy) holds the tokens of its top level only, recorded by
 *   the validator; jsmn tokenizes one top-level value at a time (json_expand), so a big
 *   settings file is never held as a whole token array.
 */
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"

_Static_assert(JSON_MAX_DEPTH == 512, "the depth message names 512");

/* The validator's state: one pass over the bytes with an explicit stack of open brackets.
 * For a lazy document it also records the top level: top[0] is the top-level container,
 * then its keys and values, each value's subtree size in sub[]. */
struct scan {
	const unsigned char *s;
	size_t len, pos;
	int ntok, depth;
	const char *why;
	int lazy, ntop, cap, first;
	jsmntok_t *top;
	int *sub;
	char open[JSON_MAX_DEPTH];
};

/* Eight bytes at a time: s[0..8) as one word, and whether a byte of it is zero or < n. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static uint64_t word_at(const unsigned char *s)
{
	uint64_t w;

	memcpy(&w, s, sizeof w);
	return w;
}

static uint64_t has_below(uint64_t w, unsigned n)
{
	return (w - ONES * n) & ~w & HIGHS;
}

static uint64_t has_byte(uint64_t w, unsigned char c)
{
	return has_below(w ^ (ONES * c), 1);
}

static int fail(struct scan *sc, size_t pos, const char *why)
{
	sc->pos = pos;
	sc->why = why;
	return -1;
}

static int peek(const struct scan *sc)
{
	return sc->pos < sc->len ? sc->s[sc->pos] : -1;
}

static int is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Flags exactly the nonzero bytes of w (no carry crosses a byte). */
static uint64_t nonzero(uint64_t w)
{
	return (((w & ~HIGHS) + ~HIGHS) | w) & HIGHS;
}

/* Index of the first byte flagged in a has_below/has_byte mask (the lowest flag is exact;
 * flags above it may be false). */
static size_t first_flag(uint64_t m)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	return (size_t)__builtin_ctzll(m) / 8;
#else
	return (size_t)__builtin_clzll(m) / 8;
#endif
}

/* Indented text has long runs of spaces: after a space they go a word at a time. */
static void skip_ws(struct scan *sc)
{
	const unsigned char *s = sc->s;
	size_t p = sc->pos, n = sc->len;
	uint64_t x;

	while (p < n) {
		if (s[p] == ' ' && n - p >= 8) {
			x = word_at(s + p) ^ (ONES * ' ');
			p += x ? first_flag(nonzero(x)) : 8;
		} else if (s[p] == ' ' || s[p] == '\n' || s[p] == '\t' || s[p] == '\r') {
			p++;
		} else {
			break;
		}
	}
	sc->pos = p;
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0: overlong, surrogate, beyond
 * U+10FFFF, bad continuation or cut short. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t k, j;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef)
		k = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		k = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (n < k || s[1] < lo || s[1] > hi)
		return 0;
	for (j = 2; j < k; j++)
		if ((s[j] & 0xc0) != 0x80)
			return 0;
	return k;
}

/* The whole text must be UTF-8 first, as for Python's decode before json.loads. Returns 1
 * when the text is plain (no backslash, no byte >= 0x7f: its strings print as they are),
 * 0 when it is valid but not plain. ASCII goes eight bytes at a time. */
static int scan_utf8(struct scan *sc)
{
	size_t i = 0, k;
	int plain = 1;
	uint64_t w;

	while (i < sc->len) {
		if (sc->len - i >= 8) {
			w = word_at(sc->s + i);
			if (!(w & HIGHS)) {
				if (has_byte(w, '\\') || has_byte(w, 0x7f))
					plain = 0;
				i += 8;
				continue;
			}
		}
		if (sc->s[i] < 0x80) {
			if (sc->s[i] == '\\' || sc->s[i] == 0x7f)
				plain = 0;
			i++;
			continue;
		}
		plain = 0;
		k = utf8_len(sc->s + i, sc->len - i);
		if (!k)
			return fail(sc, i, "invalid UTF-8");
		i += k;
	}
	return plain;
}

/* Value of four hex digits, or -1. */
static long hex4(const unsigned char *p)
{
	long v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		int c = p[i];

		if (is_digit(c))
			v = v * 16 + (c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v = v * 16 + ((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	return v;
}

/* At a backslash inside a string, with at least one byte after it. */
static int scan_escape(struct scan *sc)
{
	const unsigned char *p = sc->s + sc->pos;

	if (p[1] && memchr("\"\\/bfnrt", p[1], 8)) {
		sc->pos += 2;
		return 0;
	}
	if (p[1] != 'u')
		return fail(sc, sc->pos, "invalid escape");
	if (sc->len - sc->pos < 6 || hex4(p + 2) < 0)
		return fail(sc, sc->pos, "invalid \\u escape");
	sc->pos += 6;
	return 0;
}

/* A string's plain bytes go eight at a time, up to a word holding a control byte, '"' or
 * '\\'. */
static int scan_string(struct scan *sc)
{
	size_t start = sc->pos++;
	uint64_t w, m;

	while (sc->pos < sc->len) {
		if (sc->len - sc->pos >= 8) {
			w = word_at(sc->s + sc->pos);
			m = has_below(w, 0x20) | has_byte(w, '"') | has_byte(w, '\\');
			if (!m) {
				sc->pos += 8;
				continue;
			}
			sc->pos += first_flag(m);
		}
		unsigned char c = sc->s[sc->pos];

		if (c >= 0x20 && c != '"' && c != '\\') {
			sc->pos++;
			continue;
		}
		if (c == '"') {
			sc->pos++;
			sc->ntok++;
			return 0;
		}
		if (c < 0x20)
			return fail(sc, sc->pos, "control character in string");
		if (sc->pos + 1 == sc->len)
			break;
		if (scan_escape(sc) < 0)
			return -1;
	}
	return fail(sc, start, "unterminated string");
}

/* At least one digit at s[*i]. */
static int digits(const char *s, size_t n, size_t *i)
{
	size_t start = *i;

	while (*i < n && is_digit(s[*i]))
		(*i)++;
	return *i > start;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? exactly. */
static int number_ok(const char *s, size_t n)
{
	size_t i = 0;

	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i == n || s[i] < '1' || s[i] > '9' || !digits(s, n, &i))
		return 0;
	if (i < n && s[i] == '.') {
		i++;
		if (!digits(s, n, &i))
			return 0;
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (!digits(s, n, &i))
			return 0;
	}
	return i == n;
}

/* Whether the valid float s[0..n) can be beyond a double: only when the decimal exponent
 * of its first significant digit reaches 308 (below that it is under 1e308 < DBL_MAX). */
static int may_overflow(const char *s, size_t n)
{
	size_t i = *s == '-', lead;
	long mag, exp = 0;

	while (i < n && is_digit(s[i]))
		i++;
	mag = (long)(i - (*s == '-')) - 1;
	if (mag == 0 && s[i - 1] == '0') {	/* 0 or 0.000ddd: the first nonzero digit counts */
		if (i == n || s[i] != '.')
			return 0;
		for (lead = i + 1; lead < n && s[lead] == '0'; lead++)
			;
		if (lead == n || !is_digit(s[lead]))
			return 0;
		mag = -(long)(lead - i);
	}
	while (i < n && s[i] != 'e' && s[i] != 'E')
		i++;
	if (i < n)
		exp = strtol(s + i + 1, NULL, 10);
	if (exp > 100000 || exp < -100000)	/* also LONG_MAX, LONG_MIN on overflow */
		exp = exp > 0 ? 100000 : -100000;
	return mag + exp >= 308;
}

static int number_char(int c)
{
	return is_digit(c) || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E';
}

/* Whether the number s[0..n) has a '.' or an exponent. */
static int float_chars(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] == '.' || s[i] == 'e' || s[i] == 'E')
			return 1;
	return 0;
}

/* The whole run of number characters is one number: "01", "1.", "1e" are refused here. */
static int scan_number(struct scan *sc)
{
	size_t start = sc->pos, n;
	const char *s = (const char *)sc->s + start;
	char *end;
	double v;

	while (sc->pos < sc->len && number_char(sc->s[sc->pos]))
		sc->pos++;
	n = sc->pos - start;
	if (n > JSON_MAX_NUMBER)
		return fail(sc, start, "number too long");
	if (!number_ok(s, n))
		return fail(sc, start, "invalid number");
	sc->ntok++;
	if (!float_chars(s, n))
		return 0;
	if (!may_overflow(s, n))
		return 0;
	v = strtod(s, &end);
	if (end != s + n)
		return fail(sc, start, "invalid number");
	if (isinf(v))
		return fail(sc, start, "number out of range");
	return 0;
}

/* A run of letters must be exactly true, false or null (so NaN, Infinity, tru are refused). */
static int scan_literal(struct scan *sc)
{
	size_t start = sc->pos, n;
	const char *s = (const char *)sc->s + start;

	while (sc->pos < sc->len && ((sc->s[sc->pos] | 0x20) >= 'a' && (sc->s[sc->pos] | 0x20) <= 'z'))
		sc->pos++;
	n = sc->pos - start;
	if ((n == 4 && (!memcmp(s, "true", 4) || !memcmp(s, "null", 4))) ||
	    (n == 5 && !memcmp(s, "false", 5))) {
		sc->ntok++;
		return 0;
	}
	return fail(sc, start, "invalid literal");
}

/* Lazy documents: a token of the top level begins at pos (c is its first byte; key tells
 * an object's key from a value). Its parent is the top container, or the key before it. */
static int top_begin(struct scan *sc, int c, int key)
{
	jsmntok_t *t;
	int *ns;

	if (sc->ntop == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 64;
		t = realloc(sc->top, (size_t)sc->cap * sizeof *t);
		if (t)
			sc->top = t;
		ns = t ? realloc(sc->sub, (size_t)sc->cap * sizeof *ns) : NULL;
		if (!ns) {
			errno = ENOMEM;
			return fail(sc, sc->pos, NULL);
		}
		sc->sub = ns;
	}
	t = &sc->top[sc->ntop];
	*t = (jsmntok_t){ c == '{' ? JSMN_OBJECT : c == '[' ? JSMN_ARRAY :
			  c == '"' ? JSMN_STRING : JSMN_PRIMITIVE,
			  (int)sc->pos + (c == '"'), -1, key, sc->ntop ? 0 : -1 };
	if (sc->ntop && (key || sc->top[0].type == JSMN_ARRAY))
		sc->top[0].size++;
	else if (sc->ntop)
		t->parent = sc->ntop - 1;
	sc->sub[sc->ntop++] = sc->ntok;
	return 0;
}

/* The value just completed (the scan now at depth) may end a top-level token. */
static void top_end(struct scan *sc)
{
	jsmntok_t *t;
	int i;

	if (!sc->lazy || sc->depth > 1 || !sc->ntop)
		return;
	i = sc->depth == 0 ? 0 : sc->ntop - 1;
	t = &sc->top[i];
	t->end = (int)sc->pos - (t->type == JSMN_STRING);
	sc->sub[i] = sc->ntok - sc->sub[i];
}

/* An object key, its ':' and the whitespace up to the value. */
static int scan_key(struct scan *sc)
{
	int c = peek(sc), top = sc->lazy && sc->depth == 1;

	if (c != '"')
		return fail(sc, sc->pos, c < 0 ? "unexpected end of input" : "expected string key");
	if (top && top_begin(sc, c, 1) < 0)
		return -1;
	if (scan_string(sc) < 0)
		return -1;
	if (top)
		top_end(sc);
	skip_ws(sc);
	c = peek(sc);
	if (c != ':')
		return fail(sc, sc->pos, c < 0 ? "unexpected end of input" : "expected ':'");
	sc->pos++;
	skip_ws(sc);
	return 0;
}

/* Returns 1 when it opened a non-empty container (pos at its first value), else 0. */
static int scan_open(struct scan *sc, int c)
{
	int close = c == '{' ? '}' : ']';

	if (sc->depth == JSON_MAX_DEPTH)
		return fail(sc, sc->pos, "nesting deeper than 512");
	sc->open[sc->depth++] = (char)c;
	sc->ntok++;
	sc->pos++;
	skip_ws(sc);
	if (peek(sc) == close) {
		sc->pos++;
		sc->depth--;
		return 0;
	}
	if (c == '{' && scan_key(sc) < 0)
		return -1;
	return 1;
}

/* One value at pos: 1 if it opened a container, 0 if it is complete, -1 on error. */
static int scan_value(struct scan *sc)
{
	int c = peek(sc);

	if (c == '{' || c == '[')
		return scan_open(sc, c);
	if (c == '"')
		return scan_string(sc);
	if (c == '-' || c == '+' || c == '.' || is_digit(c))
		return scan_number(sc);
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')
		return scan_literal(sc);
	if (c < 0)
		return fail(sc, sc->pos, "unexpected end of input");
	return fail(sc, sc->pos, "expected value");
}

/* After a complete value: closes finished containers and steps over ',' (and the next
 * key); 1 when another value follows, 0 at the end of the document. */
static int scan_after(struct scan *sc)
{
	for (;;) {
		int c, open;

		skip_ws(sc);
		c = peek(sc);
		if (sc->depth == 0)
			return c < 0 ? 0 : fail(sc, sc->pos, "trailing data");
		open = sc->open[sc->depth - 1];
		if (c == (open == '{' ? '}' : ']')) {
			sc->pos++;
			sc->depth--;
			top_end(sc);
		} else if (c == ',') {
			sc->pos++;
			skip_ws(sc);
			return open == '{' && scan_key(sc) < 0 ? -1 : 1;
		} else if (c < 0) {
			return fail(sc, sc->pos, "unexpected end of input");
		} else {
			return fail(sc, sc->pos, open == '{' ? "expected ',' or '}'" : "expected ',' or ']'");
		}
	}
}

static int scan_doc(struct scan *sc)
{
	int r;

	if (sc->len >= 3 && !memcmp(sc->s, "\xef\xbb\xbf", 3))
		return fail(sc, 0, "unexpected UTF-8 BOM");
	skip_ws(sc);
	if (peek(sc) != '{' && peek(sc) != '[')
		sc->lazy = 0;	/* a lone scalar is one token anyway */
	for (;;) {
		if (sc->lazy && sc->depth <= 1 && top_begin(sc, peek(sc), 0) < 0)
			return -1;
		r = scan_value(sc);
		if (r < 0)
			return -1;
		if (r == 0)
			top_end(sc);
		if (r == 0 && (r = scan_after(sc)) <= 0)
			return r;
	}
}

/* 1-based line and byte column of text[pos]. */
static void where(const char *text, size_t pos, int *line, int *col)
{
	const char *p = text, *end = text + pos, *nl;
	int l = 1;

	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		l++;
		p = nl + 1;
	}
	*line = l;
	*col = (int)(end - p) + 1;
}

/* jsmn on validated text. In strict mode jsmn wants a delimiter after a primitive, so a
 * top-level number or literal is the one token built here. */
static int tokenize(struct json_doc *d, int ntok)
{
	jsmn_parser p;
	size_t at = 0, end;

	d->tok = malloc((size_t)ntok * sizeof *d->tok);
	if (!d->tok)
		return -1;
	while (is_ws(d->text[at]))
		at++;
	if (d->text[at] != '{' && d->text[at] != '[' && d->text[at] != '"') {
		for (end = at; end < d->len && !is_ws(d->text[end]); end++)
			;
		d->tok[0] = (jsmntok_t){ JSMN_PRIMITIVE, (int)at, (int)end, 0, -1 };
		d->ntok = 1;
		return 0;
	}
	jsmn_init(&p);
	d->ntok = jsmn_parse(&p, d->text, d->len, d->tok, (unsigned int)ntok);
	if (d->ntok == ntok)
		return 0;
	d->ntok = 0;
	errno = EPROTO;
	return -1;
}

static int parse(struct json_doc *d, char *text, size_t len, struct json_err *e, int lazy)
{
	struct scan sc = { .s = (const unsigned char *)text, .len = len, .lazy = lazy };
	int plain = 0;

	memset(d, 0, sizeof *d);
	memset(e, 0, sizeof *e);
	d->text = text;
	d->len = len;
	if (len > JSON_MAX_SIZE) {
		errno = EFBIG;
		return -1;
	}
	if ((plain = scan_utf8(&sc)) < 0 || scan_doc(&sc) < 0) {
		free(sc.top);
		free(sc.sub);
		if (!sc.why)
			return -1;	/* out of memory, errno set */
		where(text, sc.pos, &e->line, &e->col);
		snprintf(e->msg, sizeof e->msg, "%s", sc.why);
		errno = EINVAL;
		return -1;
	}
	d->plain = plain;
	if (sc.lazy) {
		d->tok = sc.top;
		d->sub = sc.sub;
		d->ntok = sc.ntop;
		return 0;
	}
	free(sc.top);
	free(sc.sub);
	return tokenize(d, sc.ntok);
}

int json_parse(struct json_doc *d, char *text, size_t len, struct json_err *e)
{
	return parse(d, text, len, e, 0);
}

int json_parse_lazy(struct json_doc *d, char *text, size_t len, struct json_err *e)
{
	return parse(d, text, len, e, 1);
}

/* The first buffer: a regular file's size and room for the NUL and the end-of-file read, so
 * it is read without growing; 64 KiB for anything else. */
static size_t first_cap(int fd)
{
	struct stat st;

	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
	    st.st_size <= JSON_MAX_SIZE)
		return (size_t)st.st_size + 2;
	return 65536;
}

static int load(struct json_doc *d, int fd, struct json_err *e, int lazy)
{
	size_t cap = 0, len = 0;
	char *buf = NULL, *nb;
	ssize_t r = -1;

	memset(d, 0, sizeof *d);
	memset(e, 0, sizeof *e);
	for (;;) {
		if (len + 1 >= cap) {
			cap = cap ? cap * 2 : first_cap(fd);
			if (cap > JSON_MAX_SIZE + 2)
				cap = JSON_MAX_SIZE + 2;
			nb = realloc(buf, cap);
			if (!nb)
				break;
			buf = nb;
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len > JSON_MAX_SIZE) {
			errno = EFBIG;
			break;
		}
	}
	if (r != 0 || !buf) {
		free(buf);
		return -1;
	}
	buf[len] = '\0';
	return parse(d, buf, len, e, lazy);
}

int json_load(struct json_doc *d, int fd, struct json_err *e)
{
	return load(d, fd, e, 0);
}

int json_load_lazy(struct json_doc *d, int fd, struct json_err *e)
{
	return load(d, fd, e, 1);
}

int json_expanded(const struct json_doc *d, int i)
{
	return !d->sub || i == 0 || (d->tok[i].type != JSMN_OBJECT && d->tok[i].type != JSMN_ARRAY);
}

int json_expand(const struct json_doc *d, int i, struct json_doc *x)
{
	jsmn_parser p;
	int n;

	memset(x, 0, sizeof *x);
	if (i < 0 || i >= d->ntok || json_expanded(d, i)) {
		errno = EINVAL;
		return -1;
	}
	n = d->sub[i];
	x->text = d->text + d->tok[i].start;
	x->len = (size_t)(d->tok[i].end - d->tok[i].start);
	x->borrowed = 1;
	x->plain = d->plain;
	x->tok = malloc((size_t)n * sizeof *x->tok);
	if (!x->tok)
		return -1;
	jsmn_init(&p);
	x->ntok = jsmn_parse(&p, x->text, x->len, x->tok, (unsigned int)n);
	if (x->ntok == n)
		return 0;
	json_free(x);
	errno = EPROTO;
	return -1;
}

void json_free(struct json_doc *d)
{
	if (!d->borrowed)
		free(d->text);
	free(d->tok);
	free(d->sub);
	memset(d, 0, sizeof *d);
}

enum json_kind json_kind(const struct json_doc *d, int i)
{
	switch (d->tok[i].type) {
	case JSMN_OBJECT:
		return JSON_OBJECT;
	case JSMN_ARRAY:
		return JSON_ARRAY;
	case JSMN_STRING:
		return JSON_STRING;
	default:
		break;
	}
	switch (d->text[d->tok[i].start]) {
	case 't':
	case 'f':
		return JSON_BOOL;
	case 'n':
		return JSON_NULL;
	default:
		return JSON_NUMBER;
	}
}

/* Tokens are in text order, so the first one starting at or after i's end follows i; a
 * token without children is followed by the next one. */
int json_next(const struct json_doc *d, int i)
{
	int lo = i + 1, hi = d->ntok, end = d->tok[i].end, step = 1;

	if (d->tok[i].size == 0)
		return lo;
	while (lo + step < hi && d->tok[lo + step].start < end) {	/* gallop: most are small */
		lo += step;
		step *= 2;
	}
	if (lo + step < hi)
		hi = lo + step;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;

		if (d->tok[mid].start < end)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* The token at *it (or the first inside c), if it lies inside container c. */
static int inside(const struct json_doc *d, int c, jsmntype_t type, const int *it)
{
	int k = *it ? *it : c + 1;

	if (c < 0 || c >= d->ntok || d->tok[c].type != type || k >= d->ntok ||
	    d->tok[k].start >= d->tok[c].end)
		return -1;
	return k;
}

int json_member(const struct json_doc *d, int obj, int *it, int *key, int *val)
{
	int k = inside(d, obj, JSMN_OBJECT, it);

	if (k < 0)
		return 0;
	*key = k;
	*val = k + 1;
	*it = json_next(d, k + 1);
	return 1;
}

int json_element(const struct json_doc *d, int arr, int *it, int *val)
{
	int k = inside(d, arr, JSMN_ARRAY, it);

	if (k < 0)
		return 0;
	*val = k;
	*it = json_next(d, k);
	return 1;
}

int json_find(const struct json_doc *d, int obj, const char *key)
{
	int it = 0, k, v, found = -1;

	while (json_member(d, obj, &it, &k, &v))
		if (json_streq(d, k, key))
			found = v;
	return found;
}

/* The code point of validated UTF-8 at s[*pos]. */
static long utf8_get(const unsigned char *s, size_t *pos)
{
	const unsigned char *p = s + *pos;

	if (p[0] < 0x80) {
		*pos += 1;
		return p[0];
	}
	if (p[0] < 0xe0) {
		*pos += 2;
		return (long)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
	}
	if (p[0] < 0xf0) {
		*pos += 3;
		return (long)(p[0] & 0x0f) << 12 | (long)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
	}
	*pos += 4;
	return (long)(p[0] & 0x07) << 18 | (long)(p[1] & 0x3f) << 12 |
	       (long)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
}

/* The validated escape at s[*pos]; a high surrogate escape followed by a low one is one
 * code point (as in Python), any other surrogate stays alone. */
static long unescape(const unsigned char *s, size_t n, size_t *pos)
{
	const unsigned char *p = s + *pos;
	long hi, lo;

	*pos += 2;
	switch (p[1]) {
	case 'b':
		return '\b';
	case 'f':
		return '\f';
	case 'n':
		return '\n';
	case 'r':
		return '\r';
	case 't':
		return '\t';
	case 'u':
		break;
	default:
		return p[1];
	}
	hi = hex4(p + 2);
	*pos += 4;
	if (hi < 0xd800 || hi > 0xdbff || *pos + 6 > n || p[6] != '\\' || p[7] != 'u')
		return hi;
	lo = hex4(p + 8);
	if (lo < 0xdc00 || lo > 0xdfff)
		return hi;
	*pos += 6;
	return 0x10000 + ((hi - 0xd800) << 10) + (lo - 0xdc00);
}

long json_codepoint(const struct json_doc *d, int i, size_t *pos)
{
	const unsigned char *s;
	size_t n;

	if (i < 0 || i >= d->ntok || d->tok[i].type != JSMN_STRING)
		return -1;
	s = (const unsigned char *)d->text + d->tok[i].start;
	n = (size_t)(d->tok[i].end - d->tok[i].start);
	if (*pos >= n)
		return -1;
	return s[*pos] == '\\' ? unescape(s, n, pos) : utf8_get(s, pos);
}

/* UTF-8 of c, lone surrogates included (generalized UTF-8 keeps code point order). */
static size_t wtf8_put(long c, char *b)
{
	if (c < 0x80) {
		b[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		b[0] = (char)(0xc0 | c >> 6);
		b[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		b[0] = (char)(0xe0 | c >> 12);
		b[1] = (char)(0x80 | (c >> 6 & 0x3f));
		b[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	b[0] = (char)(0xf0 | c >> 18);
	b[1] = (char)(0x80 | (c >> 12 & 0x3f));
	b[2] = (char)(0x80 | (c >> 6 & 0x3f));
	b[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

/* Decoding never makes a string longer: an escape is at least as long as what it stands for. */
char *json_str(const struct json_doc *d, int i)
{
	size_t pos = 0, n = 0;
	char *out;
	long c;

	if (i < 0 || i >= d->ntok || d->tok[i].type != JSMN_STRING) {
		errno = EINVAL;
		return NULL;
	}
	out = malloc((size_t)(d->tok[i].end - d->tok[i].start) + 1);
	if (!out)
		return NULL;
	while ((c = json_codepoint(d, i, &pos)) >= 0) {
		if (c == 0 || (c >= 0xd800 && c <= 0xdfff)) {
			free(out);
			errno = EINVAL;
			return NULL;
		}
		n += wtf8_put(c, out + n);
	}
	out[n] = '\0';
	return out;
}

size_t json_decode(const struct json_doc *d, int i, char *out)
{
	size_t pos = 0, n = 0;
	long c;

	while ((c = json_codepoint(d, i, &pos)) >= 0)
		n += wtf8_put(c, out + n);
	return n;
}

int json_streq(const struct json_doc *d, int i, const char *s)
{
	size_t pos = 0, at = 0, n = strlen(s), k;
	char b[4];
	long c;

	if (i < 0 || i >= d->ntok || d->tok[i].type != JSMN_STRING)
		return 0;
	while ((c = json_codepoint(d, i, &pos)) >= 0) {
		k = wtf8_put(c, b);
		if (k > n - at || memcmp(s + at, b, k))
			return 0;
		at += k;
	}
	return at == n;
}

int json_true(const struct json_doc *d, int i)
{
	return d->text[d->tok[i].start] == 't';
}

void json_where(const struct json_doc *d, int i, int *line, int *col)
{
	int start = d->tok[i].start - (d->tok[i].type == JSMN_STRING);

	where(d->text, (size_t)start, line, col);
}
