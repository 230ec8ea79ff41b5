/* netpolicy.c - the network allowlist: parses entries and request hosts, matches them, and names the address ranges a connection may not reach.
 *
 * MUST rules kept here:
 * - no allocation, no I/O, linear time, any bytes: the proxy feeds request hosts from the agent;
 * - a request host whose last label looks like a number (digits, or 0x and hex digits) is an
 *   IPv4 address in one of inet_aton's forms or refused, never a name: a name handed to the
 *   resolver is one no libc reads as a numeric address;
 * - an IPv4-mapped IPv6 literal is its IPv4; names never match address entries, nor
 *   addresses name entries;
 * - deny entries win; a deny entry without a port denies every port;
 * - a special-range address passes only when an allow address entry lists exactly it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "netpolicy.h"

enum { LABEL_MAX = 63, NAME_MAX_LEN = 253, ENTRY_MAX = 1024, V6_TEXT_MAX = 64 };

static int ldh(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* ---- IDNA: UTF-8 labels as A-labels (punycode, RFC 3492) ---- */

enum { PC_BASE = 36, PC_TMIN = 1, PC_TMAX = 26, PC_SKEW = 38, PC_DAMP = 700, PC_BIAS = 72,
       PC_N = 128 };

static unsigned pc_adapt(unsigned delta, unsigned npoints, int first)
{
	unsigned k = 0;

	delta = first ? delta / PC_DAMP : delta / 2;
	delta += delta / npoints;
	while (delta > ((PC_BASE - PC_TMIN) * PC_TMAX) / 2) {
		delta /= PC_BASE - PC_TMIN;
		k += PC_BASE;
	}
	return k + (PC_BASE - PC_TMIN + 1) * delta / (delta + PC_SKEW);
}

static int pc_put(char *out, size_t cap, size_t *o, unsigned d)
{
	if (*o == cap)
		return -1;
	out[(*o)++] = (char)(d < 26 ? 'a' + d : '0' + d - 26);
	return 0;
}

/* One insertion's delta as a generalized variable-length integer. */
static int pc_delta(unsigned q, unsigned bias, char *out, size_t cap, size_t *o)
{
	unsigned k, t;

	for (k = PC_BASE;; k += PC_BASE) {
		t = k <= bias ? PC_TMIN : k >= bias + PC_TMAX ? PC_TMAX : k - bias;
		if (q < t)
			break;
		if (pc_put(out, cap, o, t + (q - t) % (PC_BASE - t)) < 0)
			return -1;
		q = (q - t) / (PC_BASE - t);
	}
	return pc_put(out, cap, o, q);
}

/* Encodes cp[0..n) (n <= LABEL_MAX, basic code points already lowercase) into out[0..cap).
 * Returns the length, or -1 when it does not fit. No overflow: the deltas stay below
 * 0x110000 * (LABEL_MAX + 1). */
static int punycode(const unsigned cp[], size_t n, char *out, size_t cap)
{
	size_t o = 0, h, b, j;
	unsigned m, delta = 0, bias = PC_BIAS, next = PC_N;

	for (j = 0; j < n; j++)
		if (cp[j] < 0x80) {
			if (o == cap)
				return -1;
			out[o++] = (char)cp[j];
		}
	h = b = o;
	if (b > 0) {
		if (o == cap)
			return -1;
		out[o++] = '-';
	}
	while (h < n) {
		for (m = 0xffffffffu, j = 0; j < n; j++)
			if (cp[j] >= next && cp[j] < m)
				m = cp[j];
		delta += (m - next) * (unsigned)(h + 1);
		next = m;
		for (j = 0; j < n; j++) {
			if (cp[j] < next)
				delta++;
			if (cp[j] != next)
				continue;
			if (pc_delta(delta, bias, out, cap, &o) < 0)
				return -1;
			bias = pc_adapt(delta, (unsigned)h + 1, h == b);
			delta = 0;
			h++;
		}
		delta++;
		next++;
	}
	return (int)o;
}

/* Decodes the multi-byte UTF-8 sequence at s[0..n) (s[0] >= 0x80): the code point, or -1
 * (invalid, overlong, surrogate, beyond U+10FFFF). *used gets its length. */
static long utf8_cp(const unsigned char *s, size_t n, size_t *used)
{
	unsigned long c = s[0], min;
	size_t need, j;

	if (c >= 0xc2 && c < 0xe0)
		c &= 0x1f, need = 1, min = 0x80;
	else if (c >= 0xe0 && c < 0xf0)
		c &= 0x0f, need = 2, min = 0x800;
	else if (c >= 0xf0 && c < 0xf5)
		c &= 0x07, need = 3, min = 0x10000;
	else
		return -1;
	if (n <= need)
		return -1;
	for (j = 1; j <= need; j++) {
		if ((s[j] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[j] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
		return -1;
	*used = need + 1;
	return (long)c;
}

/* A code point a label may hold, lowercased (ASCII and Latin-1 capitals); -1 for controls,
 * spaces, characters outside [a-z0-9-_] in ASCII, and the full stops other scripts use. */
static long label_cp(unsigned long c)
{
	if (c < 0x80)
		return ldh(lower((unsigned char)c)) ? lower((unsigned char)c) : -1;
	if (c <= 0xa0 || c == 0x3002 || c == 0xff0e || c == 0xff61 || c == 0xfeff || c == 0xfffd)
		return -1;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return (long)c + 0x20;
	return (long)c;
}

/* Writes the label s[0..n) at out[*o], ASCII as is (lowercased), else "xn--" and its
 * punycode. utf8 = 0 refuses every byte outside ASCII. */
static int label_put(const unsigned char *s, size_t n, int utf8, char *out, size_t *o,
		     const char **why)
{
	unsigned cp[LABEL_MAX + 1];
	size_t i, k = 0, used = 1, ascii = 1;
	long c;
	int len;

	*why = "a label is empty or longer than 63 characters";
	if (n == 0)
		return -1;
	for (i = 0; i < n; i += used) {
		used = 1;
		c = s[i] < 0x80 ? s[i] : utf8 ? utf8_cp(s + i, n - i, &used) : -1;
		if (c < 0 || (c = label_cp((unsigned long)c)) < 0) {
			*why = "a name may hold only letters, digits, '-' and '_' in its labels";
			return -1;
		}
		if (k == LABEL_MAX)
			return -1;
		ascii &= c < 0x80;
		cp[k++] = (unsigned)c;
	}
	if (ascii) {
		for (i = 0; i < k; i++)
			out[(*o)++] = (char)cp[i];
		return 0;
	}
	if (k >= 4 && cp[0] == 'x' && cp[1] == 'n' && cp[2] == '-' && cp[3] == '-') {
		*why = "a label that begins with xn-- must be ASCII";
		return -1;
	}
	memcpy(out + *o, "xn--", 4);
	if ((len = punycode(cp, k, out + *o + 4, LABEL_MAX - 4)) < 0)
		return -1;
	*o += 4 + (size_t)len;
	return 0;
}

/* The name s[0..n), normalized into out: one trailing dot dropped, every label 1-63 of
 * [a-z0-9-_] (ASCII lowercased; with utf8, UTF-8 labels as A-labels), 253 at most. */
static int name_norm(const char *s, size_t n, int utf8, char out[NETPOL_HOST_MAX],
		     const char **why)
{
	char buf[NETPOL_HOST_MAX + LABEL_MAX + 1];
	size_t o = 0, start = 0, i;

	if (n > 1 && s[n - 1] == '.')
		n--;
	*why = "a name is empty or longer than 253 characters";
	if (n == 0 || n > ENTRY_MAX)
		return -1;
	for (i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (o)
			buf[o++] = '.';
		if (label_put((const unsigned char *)s + start, i - start, utf8, buf, &o, why) < 0)
			return -1;
		*why = "a name is empty or longer than 253 characters";
		if (o > NAME_MAX_LEN)
			return -1;
		start = i + 1;
	}
	memcpy(out, buf, o);
	out[o] = '\0';
	return 0;
}

int netpolicy_idna(const char *utf8, char *out, size_t n)
{
	char buf[NETPOL_HOST_MAX];
	const char *why;
	size_t len;

	if (!utf8 || !out || name_norm(utf8, strnlen(utf8, ENTRY_MAX + 1), 1, buf, &why) < 0)
		return -1;
	len = strlen(buf);
	if (len >= n)
		return -1;
	memcpy(out, buf, len + 1);
	return 0;
}

/* ---- addresses ---- */

/* Whether the last label of a normalized name looks like a number: all digits, or 0x and hex
 * digits (WHATWG URL's "ends in a number"). */
static int numeric_tail(const char *name)
{
	const char *l = strrchr(name, '.');
	size_t i;

	l = l ? l + 1 : name;
	if (l[0] == '0' && l[1] == 'x') {
		for (i = 2; l[i]; i++)
			if (!((l[i] >= '0' && l[i] <= '9') || (l[i] >= 'a' && l[i] <= 'f')))
				return 0;
		return 1;
	}
	for (i = 0; l[i]; i++)
		if (l[i] < '0' || l[i] > '9')
			return 0;
	return i > 0;
}

/* One inet_aton part (decimal, 0-octal or 0x-hex; "0x" alone is 0) at s; *end past it. */
static int aton_part(const char *s, unsigned long long *v, const char **end)
{
	unsigned base = 10, d;

	*v = 0;
	if (s[0] == '0' && s[1] == 'x')
		base = 16, s += 2;
	else if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
		base = 8, s++;
	else if (s[0] < '0' || s[0] > '9')
		return -1;
	for (; *s && *s != '.'; s++) {
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else
			return -1;
		if (d >= base || (*v = *v * base + d) > 0xffffffffull)
			return -1;
	}
	*end = s;
	return 0;
}

/* inet_aton's forms of a lowercase name: a, a.b, a.b.c, a.b.c.d; the last part fills the
 * remaining bytes. */
static int aton(const char *s, unsigned char out[4])
{
	unsigned long long part[4], v;
	int n = 0, i;

	for (;;) {
		if (n == 4 || aton_part(s, &part[n++], &s) < 0)
			return -1;
		if (!*s)
			break;
		s++;
	}
	for (i = 0; i < n - 1; i++)
		if (part[i] > 255)
			return -1;
	if (part[n - 1] >> (8 * (5 - n)))
		return -1;
	for (v = part[n - 1], i = 0; i < n - 1; i++)
		v |= part[i] << (8 * (3 - i));
	for (i = 0; i < 4; i++)
		out[i] = (unsigned char)(v >> (8 * (3 - i)));
	return 0;
}

/* The canonical dotted quad only: four decimal parts 0-255 without leading zeros. */
static int dotted_quad(const char *s, unsigned char out[4])
{
	int i, v, digits;

	for (i = 0; i < 4; i++) {
		for (v = 0, digits = 0; *s >= '0' && *s <= '9'; s++, digits++)
			if (digits == 3 || (digits == 1 && v == 0) || (v = v * 10 + (*s - '0')) > 255)
				return -1;
		if (!digits || *s != (i == 3 ? '\0' : '.'))
			return -1;
		out[i] = (unsigned char)v;
		s += i < 3;
	}
	return 0;
}

static int mapped(const unsigned char a[16])
{
	static const unsigned char pfx[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	return !memcmp(a, pfx, sizeof pfx);
}

/* An IPv6 text (no brackets) into family/addr/text; IPv4-mapped becomes the IPv4. */
static int v6_literal(const char *s, size_t n, int *family, unsigned char addr[16],
		      char text[NETPOL_HOST_MAX], const char **why)
{
	char buf[V6_TEXT_MAX];

	*why = "an IPv6 zone is not allowed";
	if (memchr(s, '%', n))
		return -1;
	*why = "not a valid IPv6 address";
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET6, buf, addr) != 1)
		return -1;
	*family = AF_INET6;
	if (mapped(addr)) {
		memmove(addr, addr + 12, 4);
		memset(addr + 4, 0, 12);
		*family = AF_INET;
	}
	return inet_ntop(*family, addr, text, NETPOL_HOST_MAX) ? 0 : -1;
}

/* ---- request hosts ---- */

int netpolicy_host(const char *text, size_t len, struct netpolicy_host *h, const char **why)
{
	size_t i;

	memset(h, 0, sizeof *h);
	*why = "the host is empty or too long";
	if (!text || len == 0 || len > NETPOL_HOST_MAX + 1)
		return -1;
	if (text[0] == '[') {
		*why = "not a valid IPv6 address";
		if (len < 3 || text[len - 1] != ']')
			return -1;
		return v6_literal(text + 1, len - 2, &h->family, h->addr, h->name, why);
	}
	if (memchr(text, ':', len))
		return v6_literal(text, len, &h->family, h->addr, h->name, why);
	for (i = 0; i < len; i++)
		if (!ldh(lower((unsigned char)text[i])) && text[i] != '.') {
			*why = "not a valid host name";
			return -1;
		}
	if (name_norm(text, len, 0, h->name, why) < 0)
		return -1;
	if (!numeric_tail(h->name))
		return 0;
	*why = "not a valid host name or IPv4 address";
	if (aton(h->name, h->addr) < 0)
		return -1;
	h->family = AF_INET;
	return inet_ntop(AF_INET, h->addr, h->name, sizeof h->name) ? 0 : -1;
}

/* ---- entries ---- */

int netpolicy_port(const char *s, size_t n, int *port)
{
	size_t i;
	long v = 0;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v < 1 || v > 65535)
		return -1;
	*port = (int)v;
	return 0;
}

/* "*" or a port. */
static int parse_port(const char *s, size_t n, int *port)
{
	if (n == 1 && s[0] == '*') {
		*port = NETPOL_ANY_PORT;
		return 0;
	}
	return netpolicy_port(s, n, port);
}

/* The host part of a name or IPv4 entry, with its "*." already taken off. */
static int entry_name(const char *s, size_t n, struct netpolicy_entry *e, const char **why)
{
	if (memchr(s, '*', n)) {
		*why = "a '*' may only begin an entry, as *.name";
		return -1;
	}
	if (name_norm(s, n, 1, e->host, why) < 0)
		return -1;
	if (!numeric_tail(e->host))
		return 0;
	*why = "write an IPv4 address as four decimal numbers, a.b.c.d";
	if (e->wildcard || dotted_quad(e->host, e->addr) < 0)
		return -1;
	e->family = AF_INET;
	return 0;
}

int netpolicy_parse_entry(const char *text, struct netpolicy_entry *e, const char **why)
{
	const char *host, *rb, *colon;
	size_t n = text ? strnlen(text, ENTRY_MAX + 1) : 0, hn;

	memset(e, 0, sizeof *e);
	e->port = NETPOL_WEB_PORTS;
	*why = "the entry is empty or too long";
	if (n == 0 || n > ENTRY_MAX)
		return -1;
	host = text, hn = n, colon = NULL;
	if (text[0] == '[') {
		*why = "an IPv6 address needs its closing ']'";
		if (!(rb = memchr(text, ']', n)))
			return -1;
		host = text + 1, hn = (size_t)(rb - host);
		*why = "only :port may follow an IPv6 address's ']'";
		if (rb[1] && rb[1] != ':')
			return -1;
		colon = rb[1] ? rb + 1 : NULL;
	} else if ((colon = memchr(text, ':', n)) && strchr(colon + 1, ':')) {
		colon = NULL;		/* a bare IPv6 address, no port */
	} else if (colon) {
		hn = (size_t)(colon - text);
	}
	*why = "the port must be 1 to 65535 or *";
	if (colon && parse_port(colon + 1, n - (size_t)(colon + 1 - text), &e->port) < 0)
		return -1;
	if (host != text || (colon == NULL && memchr(text, ':', n)))
		return v6_literal(host, hn, &e->family, e->addr, e->host, why);
	if (hn >= 2 && host[0] == '*' && host[1] == '.')
		e->wildcard = 1, host += 2, hn -= 2;
	*why = "a name is empty or longer than 253 characters";
	return hn ? entry_name(host, hn, e, why) : -1;
}

/* ---- matching ---- */

static int port_match(int eport, int port, int deny)
{
	if (eport == NETPOL_ANY_PORT)
		return 1;
	if (eport == NETPOL_WEB_PORTS)
		return deny || port == 80 || port == 443;
	return eport == port;
}

static int addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

static int host_match(const struct netpolicy_entry *e, const struct netpolicy_host *h)
{
	size_t hn, en;

	if (e->family || h->family)
		return e->family == h->family && !memcmp(e->addr, h->addr, addr_len(h->family));
	if (!e->wildcard)
		return !strcmp(e->host, h->name);
	hn = strlen(h->name), en = strlen(e->host);
	return hn > en + 1 && h->name[hn - en - 1] == '.' && !strcmp(h->name + hn - en, e->host);
}

int netpolicy_allows(const struct netpol *p, const struct netpolicy_host *h, int port,
		  const char **why)
{
	size_t i;

	*why = "not a valid port";
	if (port < 1 || port > 65535)
		return 0;
	*why = "on the denylist";
	for (i = 0; i < p->ndeny; i++)
		if (host_match(&p->deny[i], h) && port_match(p->deny[i].port, port, 1))
			return 0;
	for (i = 0; i < p->nallow; i++)
		if (host_match(&p->allow[i], h) && port_match(p->allow[i].port, port, 0))
			return 1;
	*why = "not on the allowlist";
	return 0;
}

/* ---- special ranges ---- */

struct range {
	int family, bits;
	unsigned char pfx[16];
	const char *name, *why;
};

#define LOOP "loopback", "resolves to a loopback address"
#define PRIV "private", "resolves to a private address"
#define LINK "link-local", "resolves to a link-local address"
#define META "metadata", "resolves to a cloud metadata address"
#define UNSP "unspecified", "resolves to an unspecified address"
#define MCAST "multicast", "resolves to a multicast address"
#define RSVD "reserved", "resolves to a reserved address"
#define DOC "documentation", "resolves to a documentation address"
#define BENCH "benchmark", "resolves to a benchmarking address"

/* First match wins: the metadata addresses come before the ranges that hold them. */
static const struct range ranges[] = {
	{ AF_INET, 32, { 169, 254, 169, 254 }, META },
	{ AF_INET, 8, { 0 }, UNSP },
	{ AF_INET, 8, { 10 }, PRIV },
	{ AF_INET, 10, { 100, 64 }, "shared", "resolves to a shared (carrier-grade NAT) address" },
	{ AF_INET, 8, { 127 }, LOOP },
	{ AF_INET, 16, { 169, 254 }, LINK },
	{ AF_INET, 12, { 172, 16 }, PRIV },
	{ AF_INET, 24, { 192, 0, 0 }, RSVD },
	{ AF_INET, 24, { 192, 0, 2 }, DOC },
	{ AF_INET, 16, { 192, 168 }, PRIV },
	{ AF_INET, 15, { 198, 18 }, BENCH },
	{ AF_INET, 24, { 198, 51, 100 }, DOC },
	{ AF_INET, 24, { 203, 0, 113 }, DOC },
	{ AF_INET, 4, { 224 }, MCAST },
	{ AF_INET, 4, { 240 }, RSVD },
	{ AF_INET6, 128, { 0 }, UNSP },
	{ AF_INET6, 128, { [15] = 1 }, LOOP },
	{ AF_INET6, 96, { [10] = 0xff, 0xff }, "ipv4-mapped", "resolves to an IPv4-mapped address" },
	{ AF_INET6, 96, { 0 }, RSVD },		/* IPv4-compatible (deprecated) */
	{ AF_INET6, 96, { 0, 0x64, 0xff, 0x9b }, "nat64", "resolves to a NAT64 address" },
	{ AF_INET6, 48, { 0, 0x64, 0xff, 0x9b, 0, 1 }, "nat64", "resolves to a NAT64 address" },
	{ AF_INET6, 64, { 1, 0 }, RSVD },	/* 100::/64, discard-only */
	{ AF_INET6, 32, { 0x20, 0x01, 0, 0 }, RSVD },	/* Teredo */
	{ AF_INET6, 48, { 0x20, 0x01, 0, 2, 0, 0 }, BENCH },
	{ AF_INET6, 32, { 0x20, 0x01, 0x0d, 0xb8 }, DOC },
	{ AF_INET6, 16, { 0x20, 0x02 }, "6to4", "resolves to a 6to4 address" },
	{ AF_INET6, 128, { 0xfd, 0, 0x0e, 0xc2, [14] = 0x02, 0x54 }, META },
	{ AF_INET6, 7, { 0xfc }, PRIV },
	{ AF_INET6, 10, { 0xfe, 0x80 }, LINK },
	{ AF_INET6, 10, { 0xfe, 0xc0 }, PRIV },	/* site-local (deprecated) */
	{ AF_INET6, 8, { 0xff }, MCAST },
};

static int in_prefix(const unsigned char *a, const unsigned char *pfx, int bits)
{
	int full = bits / 8, rest = bits % 8;

	if (memcmp(a, pfx, (size_t)full))
		return 0;
	return !rest || ((a[full] ^ pfx[full]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static const struct range *find_range(int family, const unsigned char *addr)
{
	size_t i;

	for (i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
		if (ranges[i].family == family && in_prefix(addr, ranges[i].pfx, ranges[i].bits))
			return &ranges[i];
	return NULL;
}

const char *netpolicy_range(int family, const unsigned char *addr)
{
	const struct range *r = find_range(family, addr);

	return r ? r->name : NULL;
}

static int addr_listed(const struct netpolicy_entry *l, size_t n, int family,
		       const unsigned char *a, int port, int deny)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (l[i].family == family && !memcmp(l[i].addr, a, addr_len(family)) &&
		    port_match(l[i].port, port, deny))
			return 1;
	return 0;
}

int netpolicy_addr_ok(const struct netpol *p, const struct sockaddr *sa, const char **why)
{
	const struct range *r;
	const unsigned char *a;
	int port;

	*why = "not an IP address";
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		a = (const unsigned char *)&in->sin_addr, port = ntohs(in->sin_port);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		a = in6->sin6_addr.s6_addr, port = ntohs(in6->sin6_port);
	} else {
		return 0;
	}
	*why = "the address is on the denylist";
	if (addr_listed(p->deny, p->ndeny, sa->sa_family, a, port, 1))
		return 0;
	if (!(r = find_range(sa->sa_family, a)) ||
	    addr_listed(p->allow, p->nallow, sa->sa_family, a, port, 0))
		return 1;
	*why = r->why;
	return 0;
}
