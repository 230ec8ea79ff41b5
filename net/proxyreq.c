/* proxyreq.c - parses the head of an HTTP/1.x proxy request (CONNECT host:port, or an absolute http:// URI) and writes the head it is sent upstream with.
 *
 * MUST rules kept here:
 * - read only buf[0..len), at most PROXYREQ_HEAD_MAX bytes of it; no allocation; linear time;
 * - refuse rather than guess: every line ends in CRLF, no obs-fold, no control byte, one Host
 *   that names the target's host and port, no userinfo, no Content-Length next to
 *   Transfer-Encoding, no two Content-Lengths that differ;
 * - the target is the only destination: it is what DONE reports, and what Host must agree
 *   with after netpolicy_host normalization of both;
 * - upstream gets no Proxy-* or hop-by-hop header, and Connection: close.
 */
#include <string.h>

#include "proxyreq.h"

enum { LINE_MAX_REQ = 8192 };

struct head {
	size_t host_off, host_len;	/* the Host header's value */
	int host_seen, cl_seen, te_seen, nheaders;
};

/* A refusal: head_len 0, so that proxyreq_upstream never takes it for a request. */
static int bad(struct proxyreq *r, const char **why, int status, const char *reason)
{
	r->head_len = 0;
	r->status = status;
	*why = reason;
	return PROXYREQ_BAD;
}

static int tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static unsigned char lower(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Whether s[0..n) is the lowercase word w, ignoring case. */
static int word(const char *s, size_t n, const char *w)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!w[i] || lower((unsigned char)s[i]) != (unsigned char)w[i])
			return 0;
	return !w[n];
}

/* The next line end from pos: 1 with *eol at its CR, 0 when none yet, -1 for a bare CR or
 * LF. */
static int find_eol(const char *buf, size_t pos, size_t lim, size_t *eol)
{
	size_t i;

	for (i = pos; i < lim; i++) {
		if (buf[i] == '\n')
			return -1;
		if (buf[i] != '\r')
			continue;
		if (i + 1 == lim)
			return 0;
		if (buf[i + 1] != '\n')
			return -1;
		*eol = i;
		return 1;
	}
	return 0;
}

/* host[:port], the host a name, an IPv4 or a bracketed IPv6: *hlen gets the host's length,
 * *port the port or def when none is written (-1: required). */
static int authority(const char *s, size_t n, size_t *hlen, int *port, int def)
{
	const char *rb;
	size_t i;

	if (n && s[0] == '[') {
		if (!(rb = memchr(s, ']', n)))
			return -1;
		i = (size_t)(rb - s) + 1;
	} else {
		for (i = 0; i < n && s[i] != ':'; i++)
			;
	}
	*hlen = i;
	if (i == 0)
		return -1;
	if (i == n) {
		*port = def;
		return def < 0 ? -1 : 0;
	}
	return s[i] == ':' ? netpolicy_port(s + i + 1, n - i - 1, port) : -1;
}

/* The target's authority: copied into r->host, its port into r->port. */
static int target_authority(const char *s, size_t n, int def, struct proxyreq *r,
			    const char **why)
{
	struct netpolicy_host h;
	const char *reason;
	size_t hlen;

	if (memchr(s, '@', n))
		return bad(r, why, 400, "userinfo is not allowed in the request target");
	if (authority(s, n, &hlen, &r->port, def) < 0)
		return bad(r, why, 400, def < 0 ? "the CONNECT target must be host:port"
					  : "the request target's authority is not host[:port]");
	if (hlen >= sizeof r->host)
		return bad(r, why, 400, "the request target's host is too long");
	if (netpolicy_host(s, hlen, &h, &reason) < 0)
		return bad(r, why, 400, reason);
	memcpy(r->host, s, hlen);
	r->host[hlen] = '\0';
	return 0;
}

/* "http://authority[/path][?query]" at buf[off..off+n). */
static int absolute_target(const char *buf, size_t off, size_t n, struct proxyreq *r,
			   const char **why)
{
	const char *t = buf + off;
	size_t a;

	if (n >= 8 && word(t, 8, "https://"))
		return bad(r, why, 400, "an https:// target must be asked for with CONNECT");
	if (n < 7 || !word(t, 7, "http://"))
		return bad(r, why, 400, "the request target must be an absolute http:// URI");
	if (memchr(t, '#', n))
		return bad(r, why, 400, "a fragment is not allowed in the request target");
	for (a = 7; a < n && t[a] != '/' && t[a] != '?'; a++)
		;
	if (a < n && t[a] == '?')
		return bad(r, why, 400, "the request target's query must follow a path");
	if (target_authority(t + 7, a - 7, 80, r, why) < 0)
		return PROXYREQ_BAD;
	r->kind = PROXYREQ_HTTP;
	r->target_off = a < n ? off + a : off + 6;
	r->target_len = a < n ? n - a : 1;
	return 0;
}

/* HTTP/1.0 or HTTP/1.1; another HTTP/x[.y] is 505, anything else 400. */
static int version(const char *v, size_t n, struct proxyreq *r, const char **why)
{
	size_t i;

	if (n == 8 && !memcmp(v, "HTTP/1.", 7) && (v[7] == '0' || v[7] == '1')) {
		r->minor = v[7] - '0';
		return 0;
	}
	if (n < 6 || memcmp(v, "HTTP/", 5))
		return bad(r, why, 400, "the request line's HTTP version is malformed");
	for (i = 5; i < n; i++)
		if (!((v[i] >= '0' && v[i] <= '9') ||
		      (v[i] == '.' && i > 5 && i + 1 < n && !memchr(v + 5, '.', i - 5))))
			return bad(r, why, 400, "the request line's HTTP version is malformed");
	return bad(r, why, 505, "only HTTP/1.0 and HTTP/1.1 are supported");
}

/* Known methods: the ones a proxy passes (CONNECT, and these for http:// targets); others
 * it knows are 405, unknown ones 501. */
static int method(const char *m, size_t n, struct proxyreq *r, const char **why)
{
	static const char *const pass[] = { "CONNECT", "GET", "HEAD", "POST", "PUT", "PATCH",
					    "DELETE", "OPTIONS" };
	size_t i;

	for (i = 0; i < n; i++)
		if (!tchar((unsigned char)m[i]))
			return bad(r, why, 400, "the request method is not a token");
	for (i = 0; i < sizeof pass / sizeof pass[0]; i++)
		if (strlen(pass[i]) == n && !memcmp(pass[i], m, n)) {
			memcpy(r->method, m, n);
			r->method[n] = '\0';
			return 0;
		}
	if (n == 5 && !memcmp(m, "TRACE", 5))
		return bad(r, why, 405, "the TRACE method is not allowed through the proxy");
	return bad(r, why, 501, "the request method is not supported");
}

/* METHOD SP TARGET SP VERSION, every other byte visible ASCII. */
static int request_line(const char *buf, size_t n, struct proxyreq *r, const char **why)
{
	const char *sp1, *sp2;
	size_t i, toff, tlen;

	for (i = 0; i < n; i++)
		if ((unsigned char)buf[i] <= ' ' && buf[i] != ' ')
			return bad(r, why, 400, "the request line holds a control byte");
		else if ((unsigned char)buf[i] >= 0x7f)
			return bad(r, why, 400, "the request line holds a byte outside ASCII");
	sp1 = memchr(buf, ' ', n);
	sp2 = sp1 ? memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - buf)) : NULL;
	if (!sp2 || sp1 == buf || sp2 == sp1 + 1 || memchr(sp2 + 1, ' ', n - (size_t)(sp2 + 1 - buf)))
		return bad(r, why, 400, "the request line is not METHOD TARGET VERSION");
	if (version(sp2 + 1, n - (size_t)(sp2 + 1 - buf), r, why) < 0 ||
	    method(buf, (size_t)(sp1 - buf), r, why) < 0)
		return PROXYREQ_BAD;
	toff = (size_t)(sp1 + 1 - buf), tlen = (size_t)(sp2 - sp1 - 1);
	if (strcmp(r->method, "CONNECT"))
		return absolute_target(buf, toff, tlen, r, why);
	r->kind = PROXYREQ_CONNECT;
	return target_authority(buf + toff, tlen, -1, r, why);
}

/* 1*DIGIT, at most 18 of them. */
static int content_length(const char *v, size_t n, long long *cl)
{
	size_t i;

	if (n == 0 || n > 18)
		return -1;
	for (*cl = 0, i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		*cl = *cl * 10 + (v[i] - '0');
	}
	return 0;
}

/* Host, Content-Length and Transfer-Encoding, the headers the parser itself reads. */
static int known_header(const char *buf, size_t name, size_t nlen, size_t v, size_t vlen,
			struct proxyreq *r, struct head *h, const char **why)
{
	long long cl;

	if (word(buf + name, nlen, "host")) {
		if (h->host_seen++)
			return bad(r, why, 400, "the request has more than one Host header");
		h->host_off = v, h->host_len = vlen;
	} else if (word(buf + name, nlen, "content-length")) {
		if (content_length(buf + v, vlen, &cl) < 0)
			return bad(r, why, 400, "the Content-Length header is not a number");
		if (h->cl_seen++ && cl != r->content_length)
			return bad(r, why, 400, "the request has Content-Length headers that differ");
		r->content_length = cl;
	} else if (word(buf + name, nlen, "transfer-encoding")) {
		if (h->te_seen++)
			return bad(r, why, 400, "the request has more than one Transfer-Encoding header");
		if (!word(buf + v, vlen, "chunked"))
			return bad(r, why, 501, "only the chunked transfer coding is supported");
		r->chunked = 1;
	}
	return 0;
}

/* name ":" OWS value OWS, at buf[pos..pos+n). */
static int header_line(const char *buf, size_t pos, size_t n, struct proxyreq *r,
		       struct head *h, const char **why)
{
	const char *l = buf + pos, *colon;
	size_t i, v, e;

	if (l[0] == ' ' || l[0] == '\t')
		return bad(r, why, 400, "folded header lines (obs-fold) are not allowed");
	if (++h->nheaders > PROXYREQ_HEADERS_MAX)
		return bad(r, why, 431, "the request has too many headers");
	if (!(colon = memchr(l, ':', n)) || colon == l)
		return bad(r, why, 400, "a header line is not name: value");
	for (i = 0; l + i < colon; i++)
		if (!tchar((unsigned char)l[i]))
			return bad(r, why, 400, "a header name is not a token");
	for (i++; i < n; i++)
		if (((unsigned char)l[i] < ' ' && l[i] != '\t') || l[i] == 0x7f)
			return bad(r, why, 400, "a header value holds a control byte");
	for (v = (size_t)(colon + 1 - l); v < n && (l[v] == ' ' || l[v] == '\t'); v++)
		;
	for (e = n; e > v && (l[e - 1] == ' ' || l[e - 1] == '\t'); e--)
		;
	return known_header(buf, pos, (size_t)(colon - l), pos + v, e - v, r, h, why);
}

/* The Host header names the target's host and port (the CONNECT port or 80 by default). */
static int host_matches(const char *buf, const struct head *h, const struct proxyreq *r)
{
	struct netpolicy_host a, b;
	const char *why;
	size_t hlen;
	int port;

	if (authority(buf + h->host_off, h->host_len, &hlen, &port,
		      r->kind == PROXYREQ_CONNECT ? r->port : 80) < 0 ||
	    netpolicy_host(buf + h->host_off, hlen, &a, &why) < 0 ||
	    netpolicy_host(r->host, strlen(r->host), &b, &why) < 0)
		return 0;
	if (port != r->port || a.family != b.family)
		return 0;
	return a.family ? !memcmp(a.addr, b.addr, a.family == AF_INET ? 4 : 16)
			: !strcmp(a.name, b.name);
}

/* The checks that need the whole head. */
static int finish(const char *buf, const struct head *h, struct proxyreq *r, const char **why)
{
	if (!h->host_seen && r->minor == 1)
		return bad(r, why, 400, "an HTTP/1.1 request needs a Host header");
	if (h->host_seen && !host_matches(buf, h, r))
		return bad(r, why, 400, "the Host header does not match the request target");
	if (h->cl_seen && h->te_seen)
		return bad(r, why, 400, "the request has both Content-Length and Transfer-Encoding");
	if (r->kind == PROXYREQ_CONNECT && (h->te_seen || r->content_length > 0))
		return bad(r, why, 400, "a CONNECT request may not have a body");
	return PROXYREQ_DONE;
}

/* No blank line yet within lim bytes. */
static int incomplete(const char *buf, size_t pos, size_t len, size_t lim, struct proxyreq *r,
		      const char **why)
{
	size_t part = lim - pos;

	if (part && buf[lim - 1] == '\r')
		part--;
	if (pos == 0 && part > LINE_MAX_REQ)
		return bad(r, why, 414, "the request line is longer than 8 KiB");
	if (len >= PROXYREQ_HEAD_MAX)
		return bad(r, why, 431, "the request head is larger than 16 KiB");
	return PROXYREQ_MORE;
}

int proxyreq_parse(const char *buf, size_t len, struct proxyreq *r, const char **why)
{
	struct head h = { 0 };
	size_t lim = len < PROXYREQ_HEAD_MAX ? len : PROXYREQ_HEAD_MAX, pos = 0, eol;
	int rc;

	memset(r, 0, sizeof *r);
	r->content_length = -1;
	*why = NULL;
	for (;; pos = eol + 2) {
		if ((rc = find_eol(buf, pos, lim, &eol)) < 0)
			return bad(r, why, 400, "a line does not end in CRLF");
		if (rc == 0)
			return incomplete(buf, pos, len, lim, r, why);
		if (pos == 0 && eol > LINE_MAX_REQ)
			return bad(r, why, 414, "the request line is longer than 8 KiB");
		if (pos == 0)
			rc = request_line(buf, eol, r, why);
		else if (eol == pos)
			break;
		else
			rc = header_line(buf, pos, eol - pos, r, &h, why);
		if (rc < 0)
			return PROXYREQ_BAD;
	}
	r->head_len = eol + 2;
	return finish(buf, &h, r, why);
}

/* ---- the upstream head ---- */

struct out {
	char *p;
	size_t n, o;
	int full;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->full || n >= o->n - o->o) {
		o->full = 1;
		return;
	}
	memcpy(o->p + o->o, s, n);
	o->o += n;
}

static void put_port(struct out *o, int port)
{
	char d[8];
	size_t i = sizeof d;

	do
		d[--i] = (char)('0' + port % 10);
	while ((port /= 10) && i > 1);
	d[--i] = ':';
	put(o, d + i, sizeof d - i);
}

/* Whether the name n[0..nl) is one of the comma-separated tokens of v[0..vl). */
static int listed(const char *v, size_t vl, const char *n, size_t nl)
{
	size_t i = 0, s, e;

	while (i < vl) {
		for (s = i; s < vl && (v[s] == ' ' || v[s] == '\t' || v[s] == ','); s++)
			;
		for (e = s; e < vl && v[e] != ',' && v[e] != ' ' && v[e] != '\t'; e++)
			;
		if (e - s == nl) {
			size_t k;

			for (k = 0; k < nl && lower((unsigned char)v[s + k]) == lower((unsigned char)n[k]); k++)
				;
			if (k == nl)
				return 1;
		}
		i = e + (e == s);
	}
	return 0;
}

/* Whether the header named l[0..nl) goes upstream: not hop-by-hop, not Proxy-* nor Proxy
 * (httpoxy), not named in a Connection header (the head's header lines from pos). */
static int forwarded(const char *buf, size_t pos, size_t end, const char *l, size_t nl)
{
	static const char *const hop[] = { "connection", "keep-alive", "te", "trailer", "upgrade" };
	const char *c, *colon;
	size_t i, eol;

	if ((nl >= 6 && word(l, 6, "proxy-")) || word(l, nl, "proxy"))
		return 0;
	for (i = 0; i < sizeof hop / sizeof hop[0]; i++)
		if (word(l, nl, hop[i]))
			return 0;
	if (word(l, nl, "host") || word(l, nl, "content-length") || word(l, nl, "transfer-encoding"))
		return 1;
	for (; pos < end; pos = eol + 2) {
		c = buf + pos;
		eol = (size_t)((const char *)memchr(c, '\r', end - pos) - buf);
		colon = memchr(c, ':', eol - pos);
		if (word(c, (size_t)(colon - c), "connection") &&
		    listed(colon + 1, (size_t)(buf + eol - colon - 1), l, nl))
			return 0;
	}
	return 1;
}

int proxyreq_upstream(const char *buf, const struct proxyreq *r, char *out, size_t n)
{
	struct out o = { out, n, 0, 0 };
	size_t first, pos, eol, end;
	const char *l, *colon;
	int host = 0;

	if (r->kind != PROXYREQ_HTTP || r->status || r->head_len < 4 || !n)
		return -1;
	end = r->head_len - 2;
	first = (size_t)((const char *)memchr(buf, '\r', end) - buf) + 2;
	put(&o, r->method, strlen(r->method));
	put(&o, " ", 1);
	put(&o, buf + r->target_off, r->target_len);
	put(&o, r->minor ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n", 11);
	for (pos = first; pos < end; pos = eol + 2) {
		l = buf + pos;
		eol = (size_t)((const char *)memchr(l, '\r', end - pos) - buf);
		colon = memchr(l, ':', eol - pos);
		host |= word(l, (size_t)(colon - l), "host");
		if (forwarded(buf, first, end, l, (size_t)(colon - l)))
			put(&o, l, eol + 2 - pos);
	}
	if (!host) {
		put(&o, "Host: ", 6);
		put(&o, r->host, strlen(r->host));
		if (r->port != 80)
			put_port(&o, r->port);
		put(&o, "\r\n", 2);
	}
	put(&o, "Connection: close\r\n\r\n", 21);
	if (o.full)
		return -1;
	out[o.o] = '\0';
	return (int)o.o;
}
