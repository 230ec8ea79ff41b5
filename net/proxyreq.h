/* proxyreq.h - parses the head of an HTTP/1.x proxy request: CONNECT host:port, or an absolute http:// URI. */
#ifndef PROXYREQ_H
#define PROXYREQ_H
#include <stddef.h>
#include "netpolicy.h"

enum { PROXYREQ_HEAD_MAX = 16384, PROXYREQ_HEADERS_MAX = 100 };
enum proxyreq_kind { PROXYREQ_CONNECT, PROXYREQ_HTTP };
enum proxyreq_result { PROXYREQ_MORE = 0, PROXYREQ_DONE = 1, PROXYREQ_BAD = -1 };

struct proxyreq {
	enum proxyreq_kind kind;
	char method[16];
	char host[NETPOL_HOST_MAX + 2]; /* the target's host as sent (IPv6 with its brackets) */
	int port;                       /* CONNECT: required; http://: 80 unless given */
	size_t head_len;                /* bytes up to and including the blank line */
	size_t target_off, target_len;  /* PROXYREQ_HTTP: the origin-form path and query in buf
					 * ("http://h" gives the "/" of its "//") */
	int status;                     /* PROXYREQ_BAD: 400, 405, 414, 431, 501 or 505 */
	int minor;                      /* HTTP/1.minor: 0 or 1 */
	long long content_length;       /* -1 when the request has no Content-Length */
	int chunked;                    /* Transfer-Encoding: chunked */
};

/* Parses buf[0..len). PROXYREQ_MORE: no blank line yet and len < PROXYREQ_HEAD_MAX;
 * PROXYREQ_DONE: r is filled; PROXYREQ_BAD: r->status, r->head_len 0 and *why ("the Host
 * header does not match the request target"); *why is NULL otherwise. Strict: CRLF line
 * ends, no NUL or other control bytes, no obs-fold, at most PROXYREQ_HEADERS_MAX headers,
 * one Host header that names the target's host and port, no userinfo, no fragment, a query
 * only after a path, no Transfer-Encoding together with Content-Length. A refusal can come
 * before the blank line, as soon as the line that breaks a rule is complete. */
int proxyreq_parse(const char *buf, size_t len, struct proxyreq *r, const char **why);
/* The head a PROXYREQ_HTTP request is sent upstream with, into out (at most n bytes, NUL
 * included): the request line in origin form, a Host header when an HTTP/1.0 request had
 * none, every header but the hop-by-hop, Proxy-* and Proxy ones (a name listed in
 * Connection is dropped too, except Host, Content-Length and Transfer-Encoding), then
 * "Connection: close" and the blank line. Returns its length without the NUL, or -1 when it
 * does not fit or r is no PROXYREQ_HTTP request proxyreq_parse gave as DONE. */
int proxyreq_upstream(const char *buf, const struct proxyreq *r, char *out, size_t n);
#endif
