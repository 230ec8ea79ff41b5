/* fuzz_proxyreq.c - libFuzzer target: the proxy request parser, its upstream head, and the allowlist's host, entry and IDNA parsers on the same bytes, with their invariants. */
/*
 * Traps when:
 * - proxyreq_parse returns MORE with a blank line, a bare CR or LF, or PROXYREQ_HEAD_MAX
 *   bytes in its input; DONE with a head that does not end in its first CRLFCRLF, is longer
 *   than the input or the limit, holds a NUL or a control byte, a host netpolicy_host refuses,
 *   a port outside 1-65535, a method it does not pass, or a path not starting with '/';
 *   a Host header that names another host or port after normalization, two Host headers, or
 *   none in HTTP/1.1; DONE that a shorter prefix does not give as MORE or trailing bytes
 *   change; BAD without a status in {400, 405, 414, 431, 501, 505} and a reason, with a
 *   head_len or an upstream head, or that more bytes change;
 * - proxyreq_upstream does not fit, is not NUL-terminated, does not start with the method
 *   and an origin-form path, holds a Proxy-*, Proxy, Connection (but its last), Keep-Alive,
 *   TE, Trailer or Upgrade header, or not exactly one Host header;
 * - netpolicy_host accepts a host whose normalized form is not a fixed point, is not
 *   NUL-terminated, or breaks the family rules (a name of [a-z0-9-_.] labels that does not
 *   end in a number, IPv4 and IPv6 as their inet_ntop text, no IPv4-mapped IPv6);
 * - netpolicy_parse_entry accepts an entry that does not parse again to itself from its
 *   canonical text, whose name netpolicy_host would not accept as that same name, or with a
 *   port outside the rules; a refusal without a reason;
 * - netpolicy_idna gives non-ASCII output, or output that is not its own IDNA form;
 * - netpolicy_allows disagrees with a suffix match done here for a fixed policy;
 * - netpolicy_addr_ok, for the input's first 4 or 16 bytes as an address, refuses it with no
 *   entries and no special range, passes it in one, or does not follow an allow (any port)
 *   or deny entry for exactly it.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netpolicy.h"
#include "proxyreq.h"

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "fuzz_proxyreq: invariant failed: %s (%s:%d)\n", \
	#c, __FILE__, __LINE__); __builtin_trap(); } } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *copy_buf;		/* input + room for trailing bytes */
static char upstream_out[PROXYREQ_HEAD_MAX + 512];

static int terminated(const char *s, size_t n)
{
	return memchr(s, '\0', n) != NULL;
}

static int lower_eq(const char *s, const char *w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i]) != w[i])
			return 0;
	return 1;
}

/* Whether the header line l (up to ':') is named w. */
static int named(const char *l, const char *w)
{
	size_t n = strlen(w);

	return lower_eq(l, w, n) && l[n] == ':';
}

static void check_upstream(const char *buf, const struct proxyreq *r)
{
	char *out = upstream_out;
	const char *l, *e, *last = NULL;
	int n = proxyreq_upstream(buf, r, out, sizeof upstream_out), hosts = 0;

	CHECK(n > 0 && (size_t)n < sizeof upstream_out && out[n] == '\0' && strlen(out) == (size_t)n);
	CHECK(!strncmp(out, r->method, strlen(r->method)) && out[strlen(r->method)] == ' ' &&
	      out[strlen(r->method) + 1] == '/');
	CHECK(n >= 21 && !strcmp(out + n - 21, "Connection: close\r\n\r\n"));
	for (l = strstr(out, "\r\n") + 2; *l && strncmp(l, "\r\n", 2); l = e + 2) {
		CHECK((e = strstr(l, "\r\n")) != NULL);
		CHECK(!lower_eq(l, "proxy-", 6) && !named(l, "proxy") && !named(l, "keep-alive") &&
		      !named(l, "te") && !named(l, "trailer") && !named(l, "upgrade"));
		if (named(l, "connection")) {
			CHECK(!last);
			last = l;
		}
		hosts += named(l, "host");
	}
	CHECK(last == out + n - 21 && hosts == 1);
	CHECK(proxyreq_upstream(buf, r, out, (size_t)n) == -1);
}

/* The Host header, one at most and required for HTTP/1.1, names the target's host and port
 * (the CONNECT port or 80 when it has none). head: the NUL-terminated head. */
static void check_host_header(const char *head, const struct proxyreq *r)
{
	struct netpolicy_host a, b;
	const char *l, *e, *v = NULL, *ve, *p;
	const char *why;
	int port;

	for (l = strstr(head, "\r\n") + 2; strncmp(l, "\r\n", 2); l = e + 2) {
		e = strstr(l, "\r\n");
		if (lower_eq(l, "host:", 5)) {
			CHECK(!v);
			v = l + 5, ve = e;
		}
	}
	CHECK(v || r->minor == 0);
	if (!v)
		return;
	while (*v == ' ' || *v == '\t')
		v++;
	while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
		ve--;
	p = *v == '[' ? memchr(v, ']', (size_t)(ve - v)) + 1 : memchr(v, ':', (size_t)(ve - v));
	if (!p)
		p = ve;
	port = p < ve ? atoi(p + 1) : r->kind == PROXYREQ_CONNECT ? r->port : 80;
	CHECK(netpolicy_host(v, (size_t)(p - v), &a, &why) == 0);
	CHECK(netpolicy_host(r->host, strlen(r->host), &b, &why) == 0);
	CHECK(a.family == b.family && !strcmp(a.name, b.name) && port == r->port);
}

static void check_done(const char *buf, size_t size, const struct proxyreq *r)
{
	static const char *const pass[] = { "CONNECT", "GET", "HEAD", "POST", "PUT", "PATCH",
					    "DELETE", "OPTIONS" };
	static char head[PROXYREQ_HEAD_MAX + 1];
	struct netpolicy_host h;
	const char *why;
	const char *end;
	size_t i, ok = 0;

	CHECK(r->head_len >= 4 && r->head_len <= size && r->head_len <= PROXYREQ_HEAD_MAX);
	CHECK(!memcmp(buf + r->head_len - 4, "\r\n\r\n", 4));
	end = memmem(buf, r->head_len, "\r\n\r\n", 4);
	CHECK(end == buf + r->head_len - 4);
	for (i = 0; i < r->head_len; i++)
		CHECK(((unsigned char)buf[i] >= 0x20 && buf[i] != 0x7f) || buf[i] == '\r' ||
		      buf[i] == '\n' || buf[i] == '\t');
	CHECK(r->status == 0 && r->port >= 1 && r->port <= 65535);
	CHECK(r->minor == 0 || r->minor == 1);
	CHECK(terminated(r->host, sizeof r->host) && terminated(r->method, sizeof r->method));
	CHECK(netpolicy_host(r->host, strlen(r->host), &h, &why) == 0);
	for (i = 0; i < sizeof pass / sizeof pass[0]; i++)
		ok += !strcmp(r->method, pass[i]);
	CHECK(ok == 1 && !strncmp(buf, r->method, strlen(r->method)));
	CHECK((r->kind == PROXYREQ_CONNECT) == !strcmp(r->method, "CONNECT"));
	CHECK(!(r->chunked && r->content_length >= 0));
	memcpy(head, buf, r->head_len);
	head[r->head_len] = '\0';
	check_host_header(head, r);
	if (r->kind == PROXYREQ_HTTP) {
		CHECK(r->target_len >= 1 && r->target_off + r->target_len < r->head_len);
		CHECK(buf[r->target_off] == '/');
		check_upstream(buf, r);
	}
}

/* The verdict for buf[0..n) must not change when bytes follow (DONE, BAD) or a shorter
 * prefix must be MORE (DONE). */
static void check_stable(const uint8_t *data, size_t size, int rc, const struct proxyreq *r)
{
	static const char tail[] = "\r\n\r\nX: y\r\n\r\n";
	struct proxyreq r2;
	const char *why;

	memcpy(copy_buf, data, size);
	memcpy(copy_buf + size, tail, sizeof tail - 1);
	if (rc == PROXYREQ_DONE) {
		CHECK(proxyreq_parse(copy_buf, size + sizeof tail - 1, &r2, &why) == PROXYREQ_DONE);
		CHECK(r2.head_len == r->head_len && r2.port == r->port && !strcmp(r2.host, r->host));
		CHECK(proxyreq_parse(copy_buf, r->head_len - 1, &r2, &why) == PROXYREQ_MORE);
		CHECK(proxyreq_parse(copy_buf, r->head_len / 2, &r2, &why) == PROXYREQ_MORE);
	} else if (rc == PROXYREQ_BAD) {
		CHECK(proxyreq_parse(copy_buf, size + sizeof tail - 1, &r2, &why) == PROXYREQ_BAD);
		CHECK(r2.status == r->status);
	}
}

static void check_request(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *why = NULL;
	struct proxyreq r;
	size_t i;
	int rc = proxyreq_parse(buf, size, &r, &why);

	switch (rc) {
	case PROXYREQ_MORE:
		CHECK(size < PROXYREQ_HEAD_MAX && !memmem(buf, size, "\r\n\r\n", 4));
		for (i = 0; i < size; i++) {
			CHECK(buf[i] != '\n' || (i > 0 && buf[i - 1] == '\r'));
			CHECK(buf[i] != '\r' || i + 1 == size || buf[i + 1] == '\n');
		}
		break;
	case PROXYREQ_DONE:
		check_done(buf, size, &r);
		break;
	case PROXYREQ_BAD:
		CHECK(r.status == 400 || r.status == 405 || r.status == 414 || r.status == 431 ||
		      r.status == 501 || r.status == 505);
		CHECK(why && *why && strlen(why) < 200);
		CHECK(r.head_len == 0 && proxyreq_upstream(buf, &r, upstream_out, sizeof upstream_out) == -1);
		break;
	default:
		CHECK(0);
	}
	check_stable(data, size, rc, &r);
}

static int name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

/* An accepted host: NUL-terminated, its family's text, a fixed point of netpolicy_host. */
static void check_host_ok(const struct netpolicy_host *h)
{
	struct netpolicy_host h2;
	unsigned char a[16];
	char text[INET6_ADDRSTRLEN];
	const char *why;
	size_t i, n;

	CHECK(terminated(h->name, sizeof h->name));
	n = strlen(h->name);
	if (h->family == 0) {
		CHECK(n >= 1 && n <= 253 && h->name[0] != '.' && h->name[n - 1] != '.');
		CHECK(!strstr(h->name, ".."));
		for (i = 0; i < n; i++)
			CHECK(name_char(h->name[i]));
	} else {
		CHECK(h->family == AF_INET || h->family == AF_INET6);
		CHECK(inet_ntop(h->family, h->addr, text, sizeof text) && !strcmp(text, h->name));
		CHECK(inet_pton(h->family, h->name, a) == 1);
		CHECK(h->family == AF_INET || memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12));
	}
	CHECK(netpolicy_host(h->name, n, &h2, &why) == 0);
	CHECK(h2.family == h->family && !strcmp(h2.name, h->name));
	CHECK(!h->family || !memcmp(h2.addr, h->addr, h->family == AF_INET ? 4 : 16));
}

/* netpolicy_allows for a fixed policy against a match done here. */
static void check_allows(const struct netpolicy_host *h, int port)
{
	static struct netpolicy_entry allow, deny;
	static struct netpol p;
	const char *why;
	size_t n = strlen(h->name);
	int want;

	if (!p.nallow) {
		CHECK(netpolicy_parse_entry("*.example.com:*", &allow, &why) == 0);
		CHECK(netpolicy_parse_entry("bad.example.com", &deny, &why) == 0);
		p.allow = &allow, p.deny = &deny, p.nallow = p.ndeny = 1;
	}
	want = h->family == 0 && n > 12 && !strcmp(h->name + n - 12, ".example.com") &&
	       strcmp(h->name, "bad.example.com") && port >= 1 && port <= 65535;
	CHECK(netpolicy_allows(&p, h, port, &why) == want);
	CHECK(want || (why && *why));
}

/* The canonical text of an entry: it must parse back to the same entry. */
static void check_entry_ok(const struct netpolicy_entry *e)
{
	struct netpolicy_entry e2;
	struct netpolicy_host h;
	char text[NETPOL_HOST_MAX + 16];
	const char *why;
	int fam6 = e->family == AF_INET6;

	CHECK(terminated(e->host, sizeof e->host) && e->host[0]);
	CHECK(e->wildcard == 0 || (e->wildcard == 1 && e->family == 0));
	CHECK(e->port == NETPOL_ANY_PORT || e->port == NETPOL_WEB_PORTS ||
	      (e->port >= 1 && e->port <= 65535));
	snprintf(text, sizeof text, "%s%s%s%s", e->wildcard ? "*." : "", fam6 ? "[" : "", e->host,
		 fam6 ? "]" : "");
	if (e->port != NETPOL_WEB_PORTS)
		snprintf(text + strlen(text), sizeof text - strlen(text), e->port ? ":%d" : ":*", e->port);
	CHECK(netpolicy_parse_entry(text, &e2, &why) == 0);
	CHECK(!strcmp(e2.host, e->host) && e2.family == e->family && e2.port == e->port &&
	      e2.wildcard == e->wildcard && !memcmp(e2.addr, e->addr, sizeof e->addr));
	CHECK(netpolicy_host(e->host, strlen(e->host), &h, &why) == 0);
	CHECK(h.family == e->family && !strcmp(h.name, e->host));
	check_host_ok(&h);
}

/* The first 4 or 16 bytes as an address: with no entries it passes iff netpolicy_range has no
 * name for it; an allow entry for exactly it (any port) makes it pass, a deny entry refuses it. */
static void check_addr(const uint8_t *data, size_t size)
{
	struct netpolicy_entry e;
	struct netpol p = { &e, &e, 0, 0 };
	struct sockaddr_in in = { .sin_family = AF_INET, .sin_port = htons(443) };
	struct sockaddr_in6 in6 = { .sin6_family = AF_INET6, .sin6_port = htons(443) };
	const struct sockaddr *sa;
	const unsigned char *a;
	const char *why, *range;
	int family = size >= 16 ? AF_INET6 : AF_INET;

	if (size < 4)
		return;
	memcpy(family == AF_INET ? (void *)&in.sin_addr : (void *)&in6.sin6_addr, data,
	       family == AF_INET ? 4 : 16);
	sa = family == AF_INET ? (const struct sockaddr *)&in : (const struct sockaddr *)&in6;
	a = family == AF_INET ? (const unsigned char *)&in.sin_addr : in6.sin6_addr.s6_addr;
	range = netpolicy_range(family, a);
	CHECK(netpolicy_addr_ok(&p, sa, &why) == !range);
	memset(&e, 0, sizeof e);
	e.family = family, e.port = NETPOL_ANY_PORT;
	memcpy(e.addr, a, family == AF_INET ? 4 : 16);
	p.nallow = 1;
	CHECK(netpolicy_addr_ok(&p, sa, &why) == 1);
	p.ndeny = 1;
	CHECK(netpolicy_addr_ok(&p, sa, &why) == 0 && !strcmp(why, "the address is on the denylist"));
}

static void check_netpol(const uint8_t *data, size_t size)
{
	static char text[2048];
	struct netpolicy_host h;
	struct netpolicy_entry e;
	char out[NETPOL_HOST_MAX], again[NETPOL_HOST_MAX];
	const char *why = NULL;
	size_t n = size < sizeof text - 1 ? size : sizeof text - 1, i;

	if (netpolicy_host((const char *)data, size, &h, &why) == 0) {
		check_host_ok(&h);
		check_allows(&h, size ? data[0] << 8 | data[size - 1] : 0);
	} else {
		CHECK(why && *why);
	}
	memcpy(text, data, n);
	text[n] = '\0';
	why = NULL;
	if (netpolicy_parse_entry(text, &e, &why) == 0)
		check_entry_ok(&e);
	else
		CHECK(why && *why);
	if (netpolicy_idna(text, out, sizeof out) == 0) {
		CHECK(terminated(out, sizeof out));
		for (i = 0; out[i]; i++)
			CHECK(name_char(out[i]));
		CHECK(netpolicy_idna(out, again, sizeof again) == 0 && !strcmp(out, again));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!copy_buf && !(copy_buf = malloc(65536 + 64)))
		__builtin_trap();
	if (size > 65536)
		return 0;
	check_request(data, size);
	check_netpol(data, size);
	check_addr(data, size);
	return 0;
}
