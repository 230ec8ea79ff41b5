/* json.c - strict JSON: a validator as strict as Python's json.loads, jsmn tokens, accessors.
 *
 * MUST rules kept here:
 * - every byte of the text is checked (UTF-8, then the JSON grammar, in one pass without
 *   recursion) before jsmn sees it, so jsmn only ever tokenizes valid JSON;
 * - nesting, document size and number length are bounded; numbers that overflow a double
 *   are refused;
 * - no allocation per token: one token array sized by the validator's count, plus the text.
 */
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include <jsmn.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json.h"

_Static_assert(JSON_MAX_DEPTH == 512, "the depth message names 512");

/* The validator's state: one pass over the bytes with an explicit stack of open brackets. */
struct scan {
	const unsigned char *s;
	size_t len, pos;
	int ntok, depth;
	const char *why;
	char open[JSON_MAX_DEPTH];
};

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

static void skip_ws(struct scan *sc)
{
	while (sc->pos < sc->len && is_ws(sc->s[sc->pos]))
		sc->pos++;
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

/* The whole text must be UTF-8 first, as for Python's decode before json.loads. */
static int scan_utf8(struct scan *sc)
{
	size_t i = 0, k;

	while (i < sc->len) {
		if (sc->s[i] < 0x80) {
			i++;
			continue;
		}
		k = utf8_len(sc->s + i, sc->len - i);
		if (!k)
			return fail(sc, i, "invalid UTF-8");
		i += k;
	}
	return 0;
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

static int scan_string(struct scan *sc)
{
	size_t start = sc->pos++;

	while (sc->pos < sc->len) {
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

/* The whole run of number characters is one number: "01", "1.", "1e" are refused here. */
static int scan_number(struct scan *sc)
{
	size_t start = sc->pos, n;
	const char *s = (const char *)sc->s + start;
	char *end;
	double v;

	while (sc->pos < sc->len && memchr("+-.0123456789eE", sc->s[sc->pos], 15))
		sc->pos++;
	n = sc->pos - start;
	if (n > JSON_MAX_NUMBER)
		return fail(sc, start, "number too long");
	if (!number_ok(s, n))
		return fail(sc, start, "invalid number");
	sc->ntok++;
	if (!memchr(s, '.', n) && !memchr(s, 'e', n) && !memchr(s, 'E', n))
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

/* An object key, its ':' and the whitespace up to the value. */
static int scan_key(struct scan *sc)
{
	int c = peek(sc);

	if (c != '"')
		return fail(sc, sc->pos, c < 0 ? "unexpected end of input" : "expected string key");
	if (scan_string(sc) < 0)
		return -1;
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
	for (;;) {
		r = scan_value(sc);
		if (r < 0)
			return -1;
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

int json_parse(struct json_doc *d, char *text, size_t len, struct json_err *e)
{
	struct scan sc = { .s = (const unsigned char *)text, .len = len };

	memset(d, 0, sizeof *d);
	memset(e, 0, sizeof *e);
	d->text = text;
	d->len = len;
	if (len > JSON_MAX_SIZE) {
		errno = EFBIG;
		return -1;
	}
	if (scan_utf8(&sc) < 0 || scan_doc(&sc) < 0) {
		where(text, sc.pos, &e->line, &e->col);
		snprintf(e->msg, sizeof e->msg, "%s", sc.why);
		errno = EINVAL;
		return -1;
	}
	return tokenize(d, sc.ntok);
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

int json_load(struct json_doc *d, int fd, struct json_err *e)
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
	return json_parse(d, buf, len, e);
}

void json_free(struct json_doc *d)
{
	free(d->text);
	free(d->tok);
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
