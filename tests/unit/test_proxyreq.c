// links: net/proxyreq.c net/netpolicy.c
/* test_proxyreq.c - unit tests for the proxy request parser: accepted client heads, every refusal class, incremental input, and the upstream head. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "proxyreq.h"

static const char CONNECT_NODE[] =
	"CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n";
/* undici's ProxyAgent (the one in pi 1.6.0): Host without the default port */
static const char CONNECT_UNDICI[] =
	"CONNECT api.example.com:443 HTTP/1.1\r\nhost: api.example.com\r\nconnection: close\r\n"
	"proxy-connection: keep-alive\r\n\r\n";
static const char CONNECT_CURL[] =
	"CONNECT api.example.com:443 HTTP/1.1\r\nHost: api.example.com:443\r\n"
	"User-Agent: curl/7.88.1\r\nProxy-Connection: Keep-Alive\r\n\r\n";
static const char GET_CURL[] =
	"GET http://example.com/a/b?c=d&e HTTP/1.1\r\nHost: example.com\r\n"
	"User-Agent: curl/7.88.1\r\nAccept: */*\r\nProxy-Connection: Keep-Alive\r\n\r\n";
static const char GET_UNDICI[] =
	"GET http://example.com:8080/v1/models HTTP/1.1\r\nhost: example.com:8080\r\n"
	"connection: keep-alive\r\naccept: application/json\r\n\r\n";
static const char POST_NODE[] =
	"POST http://127.0.0.1:9999/v1/chat HTTP/1.1\r\nContent-Type: application/json\r\n"
	"Content-Length: 2\r\nHost: 127.0.0.1:9999\r\nConnection: keep-alive\r\n\r\n{}";

/* Parses the NUL-terminated req; expects DONE with this kind, host and port. */
static struct proxyreq done(const char *req, enum proxyreq_kind kind, const char *host, int port)
{
	struct proxyreq r;
	const char *why = NULL;
	int rc = proxyreq_parse(req, strlen(req), &r, &why);

	CHECK_INT(rc, PROXYREQ_DONE);
	if (rc != PROXYREQ_DONE) {
		fprintf(stderr, "  refused (%d %s): %s\n", r.status, why, req);
		return r;
	}
	CHECK_INT(r.kind, kind);
	CHECK_STR(r.host, host);
	CHECK_INT(r.port, port);
	CHECK(r.head_len >= 4 && r.head_len <= strlen(req));
	CHECK(!memcmp(req + r.head_len - 4, "\r\n\r\n", 4));
	return r;
}

/* Expects BAD with this status (and a reason) for req[0..len). */
static void refused_n(const char *req, size_t len, int status)
{
	struct proxyreq r;
	const char *why = NULL;
	int rc = proxyreq_parse(req, len, &r, &why);

	CHECK_INT(rc, PROXYREQ_BAD);
	if (rc == PROXYREQ_BAD) {
		CHECK_INT(r.status, status);
		CHECK(why && *why);
	}
	if (rc != PROXYREQ_BAD || r.status != status)
		fprintf(stderr, "  got %d/%d (%s) for: %.*s\n", rc, r.status, why ? why : "-",
			(int)(len < 200 ? len : 200), req);
}

/* A literal that holds a NUL byte. */
#define REFUSED_LIT(lit, status) refused_n(lit, sizeof lit - 1, status)

static void refused(const char *req, int status)
{
	refused_n(req, strlen(req), status);
}

/* Expects PROXYREQ_MORE for req[0..len). */
static void more(const char *req, size_t len)
{
	struct proxyreq r;
	const char *why;
	int rc = proxyreq_parse(req, len, &r, &why);

	CHECK_INT(rc, PROXYREQ_MORE);
	if (rc != PROXYREQ_MORE)
		fprintf(stderr, "  at %zu of: %s\n", len, req);
}

/* The upstream head of an accepted request. */
static void upstream(const char *req, const char *want)
{
	struct proxyreq r;
	const char *why;
	char out[PROXYREQ_HEAD_MAX + 512];
	int n;

	CHECK_INT(proxyreq_parse(req, strlen(req), &r, &why), PROXYREQ_DONE);
	n = proxyreq_upstream(req, &r, out, sizeof out);
	CHECK_INT(n, strlen(want));
	CHECK_STR(n >= 0 ? out : NULL, want);
}

static void test_clients(void)
{
	struct proxyreq r;

	r = done(CONNECT_NODE, PROXYREQ_CONNECT, "api.example.com", 443);
	CHECK_STR(r.method, "CONNECT");
	CHECK_INT(r.minor, 1);
	CHECK_INT(r.content_length, -1);
	done(CONNECT_UNDICI, PROXYREQ_CONNECT, "api.example.com", 443);
	done(CONNECT_CURL, PROXYREQ_CONNECT, "api.example.com", 443);
	r = done(GET_CURL, PROXYREQ_HTTP, "example.com", 80);
	CHECK_STR(r.method, "GET");
	CHECK_INT(r.target_len, strlen("/a/b?c=d&e"));
	CHECK(!memcmp(GET_CURL + r.target_off, "/a/b?c=d&e", r.target_len));
	done(GET_UNDICI, PROXYREQ_HTTP, "example.com", 8080);
	r = done(POST_NODE, PROXYREQ_HTTP, "127.0.0.1", 9999);
	CHECK_INT(r.content_length, 2);
	CHECK_INT(r.head_len, strlen(POST_NODE) - 2);
	/* every method the proxy passes */
	done("HEAD http://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", PROXYREQ_HTTP, "a.example", 80);
	done("PUT http://a.example/ HTTP/1.1\r\nHost: a.example\r\nContent-Length: 0\r\n\r\n",
	     PROXYREQ_HTTP, "a.example", 80);
	done("PATCH http://a.example/ HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n",
	     PROXYREQ_HTTP, "a.example", 80);
	done("DELETE http://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", PROXYREQ_HTTP, "a.example", 80);
	done("OPTIONS http://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", PROXYREQ_HTTP, "a.example", 80);
	/* the scheme is case-insensitive; no path is "/" */
	r = done("GET HTTP://a.example HTTP/1.1\r\nHost: a.example\r\n\r\n", PROXYREQ_HTTP, "a.example", 80);
	CHECK_INT(r.target_len, 1);
	CHECK(!memcmp("GET HTTP://a.example" + r.target_off, "/", 1));
	/* HTTP/1.0 needs no Host */
	r = done("GET http://a.example:81/x HTTP/1.0\r\n\r\n", PROXYREQ_HTTP, "a.example", 81);
	CHECK_INT(r.minor, 0);
	/* OWS around values, any header case, chunked in any case */
	r = done("POST http://a.example/ HTTP/1.1\r\nhOsT:\t a.example \t\r\ntransfer-encoding: Chunked\r\n\r\n",
		 PROXYREQ_HTTP, "a.example", 80);
	CHECK_INT(r.chunked, 1);
	/* the same Content-Length twice; Content-Length: 0 on a CONNECT */
	done("PUT http://a.example/ HTTP/1.1\r\nHost: a.example\r\nContent-Length: 7\r\nContent-Length: 7\r\n\r\n",
	     PROXYREQ_HTTP, "a.example", 80);
	done("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\nContent-Length: 0\r\n\r\n",
	     PROXYREQ_CONNECT, "a.example", 443);
	/* the host as sent; Host agrees after normalization of both */
	done("CONNECT API.Example.COM.:443 HTTP/1.1\r\nHost: api.example.com:443\r\n\r\n",
	     PROXYREQ_CONNECT, "API.Example.COM.", 443);
	done("CONNECT [::1]:8443 HTTP/1.1\r\nHost: [0::1]:8443\r\n\r\n", PROXYREQ_CONNECT, "[::1]", 8443);
	done("CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: [::ffff:127.0.0.1]\r\n\r\n",
	     PROXYREQ_CONNECT, "127.0.0.1", 443);
	done("GET http://127.1:8080/ HTTP/1.1\r\nHost: 2130706433:8080\r\n\r\n", PROXYREQ_HTTP, "127.1", 8080);
	done("GET http://a.example/ HTTP/1.1\r\nHost: a.example:80\r\n\r\n", PROXYREQ_HTTP, "a.example", 80);
	done("GET http://a.example:80/ HTTP/1.1\r\nHost: a.example\r\n\r\n", PROXYREQ_HTTP, "a.example", 80);
	/* visible ASCII in the path, header values with obs-text */
	done("GET http://a.example/%7e|{x}?q=\"a\"&b=<c> HTTP/1.1\r\nHost: a.example\r\nX: caf\xc3\xa9\r\n\r\n",
	     PROXYREQ_HTTP, "a.example", 80);
}

static void test_refused(void)
{
	char big[PROXYREQ_HEAD_MAX + 4096];
	size_t i;

	/* line ends */
	refused("CONNECT a:443 HTTP/1.1\nHost: a:443\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.1\r\nHost: a:443\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\n", 400);
	refused("CONNECT a:443 HTTP/1.1\rHost: a:443\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.1\r\nHost: a\r:443\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.1\r\r\nHost: a:443\r\n\r\n", 400);
	refused("\r\nCONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 400);
	refused("\nGET", 400);
	/* obs-fold, header names and values */
	refused("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nX: 1\r\n 2\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nX: 1\r\n\t2\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.1\r\n Host: a:443\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.1\r\nHost : a:443\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.1\r\nHo(st: a:443\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n: x\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nno colon\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nX\xc3\xa9: 1\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nX: a\x01z\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nX: a\x7fz\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nX: a\x1b[2Jz\r\n\r\n", 400);
	REFUSED_LIT("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\nX: a\0z\r\n\r\n", 400);
	REFUSED_LIT("CONNECT a:443 HTTP/1.1\r\nHost: a\0.evil:443\r\n\r\n", 400);
	/* the request line */
	REFUSED_LIT("CONNECT a\0:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 400);
	refused("CONNECT  a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 400);
	refused("CONNECT a:443  HTTP/1.1\r\nHost: a:443\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.1 \r\nHost: a:443\r\n\r\n", 400);
	refused(" CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 400);
	refused("CONNECT\ta:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 400);
	refused("CONNECT a:443\r\nHost: a:443\r\n\r\n", 400);
	refused("CONNECT\r\n\r\n", 400);
	refused("GET http://a.example/\xc3\xa9 HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("CONNECT a:443 http/1.1\r\nHost: a:443\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.x\r\nHost: a:443\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/\r\nHost: a:443\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.\r\nHost: a:443\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/.1\r\nHost: a:443\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1..1\r\nHost: a:443\r\n\r\n", 400);
	refused("CONNECT a:443 HTTP/1.1.1\r\nHost: a:443\r\n\r\n", 400);
	refused("GE(T http://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	/* targets */
	refused("GET / HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("OPTIONS * HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("GET https://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("GET ftp://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("GET a.example:80 HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("GET http:/a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("GET http:// HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("GET http:///x HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("GET http://user:pw@a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("GET http://a.example@evil.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n", 400);
	refused("GET http://a.example/#frag HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("GET http://a.example#frag HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("GET http://a.example?q HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("GET http://a.example:/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("GET http://a.example:0/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("GET http://a.example:65536/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("GET http://a.example:8o/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("GET http://a%2eexample/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("GET http://a!b/ HTTP/1.1\r\nHost: a!b\r\n\r\n", 400);
	refused("GET http://example.123/ HTTP/1.1\r\nHost: example.123\r\n\r\n", 400);
	refused("GET http://[fe80::1%25eth0]/ HTTP/1.1\r\nHost: [fe80::1%25eth0]\r\n\r\n", 400);
	refused("CONNECT a.example HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("CONNECT a.example: HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("CONNECT a.example:0 HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("CONNECT a.example:65536 HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("CONNECT a.example:443:443 HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("CONNECT :443 HTTP/1.1\r\nHost: :443\r\n\r\n", 400);
	refused("CONNECT [::1] HTTP/1.1\r\nHost: [::1]\r\n\r\n", 400);
	refused("CONNECT [::1:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n", 400);
	refused("CONNECT ::1:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n", 400);
	refused("CONNECT [::1]x:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n", 400);
	refused("CONNECT [fe80::1%25eth0]:443 HTTP/1.1\r\nHost: [fe80::1%25eth0]:443\r\n\r\n", 400);
	refused("CONNECT user@a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", 400);
	refused("CONNECT http://a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", 400);
	refused("CONNECT a.example:443/x HTTP/1.1\r\nHost: a.example:443\r\n\r\n", 400);
	refused("CONNECT *.a.example:443 HTTP/1.1\r\nHost: a.example:443\r\n\r\n", 400);
	/* Host: required for 1.1, one, the same host and port */
	refused("CONNECT a.example:443 HTTP/1.1\r\n\r\n", 400);
	refused("GET http://a.example/ HTTP/1.1\r\nX: y\r\n\r\n", 400);
	refused("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\nHost: a.example:443\r\n\r\n", 400);
	refused("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443\r\nHOST: evil.example:443\r\n\r\n", 400);
	refused("CONNECT a.example:443 HTTP/1.1\r\nHost: evil.example:443\r\n\r\n", 400);
	refused("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:8443\r\n\r\n", 400);
	refused("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example.evil:443\r\n\r\n", 400);
	refused("CONNECT a.example:443 HTTP/1.1\r\nHost: \r\n\r\n", 400);
	refused("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:443, evil.example\r\n\r\n", 400);
	refused("CONNECT a.example:443 HTTP/1.1\r\nHost: user@a.example:443\r\n\r\n", 400);
	refused("CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: localhost:443\r\n\r\n", 400);
	refused("CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.2:443\r\n\r\n", 400);
	refused("CONNECT [::1]:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n", 400);
	refused("GET http://a.example:8080/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 400);
	refused("GET http://a.example/ HTTP/1.1\r\nHost: a.example:8080\r\n\r\n", 400);
	refused("GET http://a.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n", 400);
	refused("GET http://a.example/ HTTP/1.0\r\nHost: evil.example\r\n\r\n", 400);
	/* bodies: Content-Length and Transfer-Encoding */
	refused("POST http://a.example/ HTTP/1.1\r\nHost: a.example\r\nContent-Length: 3\r\n"
		"Transfer-Encoding: chunked\r\n\r\n", 400);
	refused("POST http://a.example/ HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n"
		"Content-Length: 3\r\n\r\n", 400);
	refused("POST http://a.example/ HTTP/1.1\r\nHost: a.example\r\nContent-Length: 3\r\n"
		"Content-Length: 4\r\n\r\n", 400);
	refused("POST http://a.example/ HTTP/1.1\r\nHost: a.example\r\nContent-Length: 3, 3\r\n\r\n", 400);
	refused("POST http://a.example/ HTTP/1.1\r\nHost: a.example\r\nContent-Length: -1\r\n\r\n", 400);
	refused("POST http://a.example/ HTTP/1.1\r\nHost: a.example\r\nContent-Length: +1\r\n\r\n", 400);
	refused("POST http://a.example/ HTTP/1.1\r\nHost: a.example\r\nContent-Length: 0x10\r\n\r\n", 400);
	refused("POST http://a.example/ HTTP/1.1\r\nHost: a.example\r\nContent-Length:\r\n\r\n", 400);
	refused("POST http://a.example/ HTTP/1.1\r\nHost: a.example\r\n"
		"Content-Length: 99999999999999999999999\r\n\r\n", 400);
	refused("POST http://a.example/ HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n"
		"Transfer-Encoding: chunked\r\n\r\n", 400);
	refused("POST http://a.example/ HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501);
	refused("POST http://a.example/ HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked, x\r\n\r\n", 501);
	refused("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example\r\nContent-Length: 5\r\n\r\n", 400);
	refused("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
	/* methods and versions */
	refused("TRACE http://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 405);
	refused("PROPFIND http://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 501);
	refused("get http://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n", 501);
	refused("Connect a.example:443 HTTP/1.1\r\nHost: a.example\r\n\r\n", 501);
	refused("CONNECTCONNECTCONNECTCONNECT a.example:443 HTTP/1.1\r\nHost: a.example\r\n\r\n", 501);
	refused("CONNECT a.example:443 HTTP/2.0\r\nHost: a.example\r\n\r\n", 505);
	refused("CONNECT a.example:443 HTTP/2\r\nHost: a.example\r\n\r\n", 505);
	refused("CONNECT a.example:443 HTTP/3\r\nHost: a.example\r\n\r\n", 505);
	refused("GET http://a.example/ HTTP/0.9\r\nHost: a.example\r\n\r\n", 505);
	refused("GET http://a.example/ HTTP/1.2\r\nHost: a.example\r\n\r\n", 505);
	refused("GET http://a.example/ HTTP/11.1\r\nHost: a.example\r\n\r\n", 505);
	refused("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505);
	/* sizes: a host longer than a name may be, request line over 8 KiB (complete or not),
	 * head over 16 KiB, 101 headers */
	memset(big, 'a', sizeof big);
	memcpy(big, "CONNECT ", 8);
	strcpy(big + 8 + 300, ":443 HTTP/1.1\r\nHost: a\r\n\r\n");
	refused(big, 400);
	memset(big, 'a', sizeof big);
	memcpy(big, "GET http://a.example/", 21);
	memcpy(big + 8192 - 9, " HTTP/1.1\r\nHost: a.example\r\n\r\n", 31);
	done(big, PROXYREQ_HTTP, "a.example", 80);	/* exactly 8 KiB */
	memcpy(big + 8192 - 8, " HTTP/1.1\r\nHost: a.example\r\n\r\n", 31);
	refused(big, 414);
	refused_n(big, 8193, 414);
	more(big, 8192);
	memset(big, 'a', sizeof big);
	memcpy(big, "GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\nX: ", 52);
	memcpy(big + PROXYREQ_HEAD_MAX - 4, "\r\n\r\n", 5);
	done(big, PROXYREQ_HTTP, "a.example", 80);	/* exactly 16 KiB */
	memcpy(big + PROXYREQ_HEAD_MAX - 4, "a\r\n\r\n", 6);
	refused(big, 431);
	refused_n(big, PROXYREQ_HEAD_MAX, 431);
	more(big, PROXYREQ_HEAD_MAX - 1);
	refused_n(big, sizeof big, 431);
	strcpy(big, "GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\n");
	for (i = 1; i < PROXYREQ_HEADERS_MAX; i++)
		strcat(big, "X: y\r\n");
	strcat(big, "\r\n");
	done(big, PROXYREQ_HTTP, "a.example", 80);	/* 100 headers */
	strcpy(big + strlen(big) - 2, "X: y\r\n\r\n");
	refused(big, 431);
}

/* Every proper prefix of a head is MORE; extra bytes after it change nothing. */
static void test_incremental(void)
{
	static const char *const reqs[] = { CONNECT_NODE, CONNECT_UNDICI, CONNECT_CURL, GET_CURL,
					    GET_UNDICI, POST_NODE };
	struct proxyreq r, whole;
	const char *why;
	size_t i, n;

	for (i = 0; i < sizeof reqs / sizeof reqs[0]; i++) {
		CHECK_INT(proxyreq_parse(reqs[i], strlen(reqs[i]), &whole, &why), PROXYREQ_DONE);
		for (n = 0; n < whole.head_len; n++)
			more(reqs[i], n);
		for (n = whole.head_len; n <= strlen(reqs[i]); n++) {
			CHECK_INT(proxyreq_parse(reqs[i], n, &r, &why), PROXYREQ_DONE);
			CHECK_INT(r.head_len, whole.head_len);
			CHECK_STR(r.host, whole.host);
		}
	}
	/* a refusal comes as soon as its line is there */
	refused_n("GET http://a.example/ HTTP/1.1\r\nX\n", 34, 400);
	refused_n("GET / HTTP/1.1\r\n", 16, 400);
	more("GET / HTTP/1.1\r", 15);
}

static void test_upstream(void)
{
	struct proxyreq r;
	const char *why;
	char out[256];
	const char *req;
	int n;

	upstream(GET_CURL, "GET /a/b?c=d&e HTTP/1.1\r\nHost: example.com\r\nUser-Agent: curl/7.88.1\r\n"
		 "Accept: */*\r\nConnection: close\r\n\r\n");
	upstream(GET_UNDICI, "GET /v1/models HTTP/1.1\r\nhost: example.com:8080\r\n"
		 "accept: application/json\r\nConnection: close\r\n\r\n");
	upstream(POST_NODE, "POST /v1/chat HTTP/1.1\r\nContent-Type: application/json\r\n"
		 "Content-Length: 2\r\nHost: 127.0.0.1:9999\r\nConnection: close\r\n\r\n");
	/* every hop-by-hop and Proxy-* header goes, and every header Connection names, but
	 * never Host, Content-Length or Transfer-Encoding */
	upstream("PUT http://a.example/x HTTP/1.1\r\nHost: a.example\r\nConnection: X-A, , keep-alive\r\n"
		 "Keep-Alive: 300\r\nProxy-Authorization: Basic Zm9vOmJhcg==\r\nProxy-Authenticate: x\r\n"
		 "TE: trailers\r\nTrailer: X-T\r\nUpgrade: websocket\r\nProxy-Connection: close\r\n"
		 "PROXY-Foo: 1\r\nProxy: http://evil.example\r\nX-A: gone\r\nx-b: gone\r\n"
		 "Connection:x-B,\tHost ,content-length , Transfer-Encoding\r\nX-Ab: kept\r\n"
		 "TE-x: kept\r\nTrailers: kept\r\nProxyish: kept\r\nContent-Length: 1\r\n\r\n",
		 "PUT /x HTTP/1.1\r\nHost: a.example\r\nX-Ab: kept\r\nTE-x: kept\r\nTrailers: kept\r\n"
		 "Proxyish: kept\r\nContent-Length: 1\r\nConnection: close\r\n\r\n");
	/* HTTP/1.0 without Host gets one; the path defaults to "/" */
	upstream("GET http://a.example HTTP/1.0\r\nAccept: */*\r\n\r\n",
		 "GET / HTTP/1.0\r\nAccept: */*\r\nHost: a.example\r\nConnection: close\r\n\r\n");
	upstream("GET http://[::1]:8080 HTTP/1.0\r\n\r\n",
		 "GET / HTTP/1.0\r\nHost: [::1]:8080\r\nConnection: close\r\n\r\n");
	/* it fits with its NUL, or it is -1 */
	req = "GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\n\r\n";
	CHECK_INT(proxyreq_parse(req, strlen(req), &r, &why), PROXYREQ_DONE);
	n = proxyreq_upstream(req, &r, out, sizeof out);
	CHECK_INT(n, strlen("GET / HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n"));
	CHECK_INT(proxyreq_upstream(req, &r, out, (size_t)n + 1), n);
	CHECK_INT(proxyreq_upstream(req, &r, out, (size_t)n), -1);
	CHECK_INT(proxyreq_upstream(req, &r, out, 0), -1);
	CHECK_INT(proxyreq_upstream(req, &r, out, 5), -1);
	/* not for a refused request, even one refused after its target was read */
	req = "GET http://a.example/ HTTP/1.1\r\nHost: evil.example\r\n\r\n";
	CHECK_INT(proxyreq_parse(req, strlen(req), &r, &why), PROXYREQ_BAD);
	CHECK_INT(r.head_len, 0);
	CHECK_INT(proxyreq_upstream(req, &r, out, sizeof out), -1);
	req = "GET http://a.example/ HTTP/1.1\r\nHost: a.example\r\nX: \x01\r\n\r\n";
	CHECK_INT(proxyreq_parse(req, strlen(req), &r, &why), PROXYREQ_BAD);
	CHECK_INT(proxyreq_upstream(req, &r, out, sizeof out), -1);
	/* not for a CONNECT */
	CHECK_INT(proxyreq_parse(CONNECT_NODE, strlen(CONNECT_NODE), &r, &why), PROXYREQ_DONE);
	CHECK_INT(proxyreq_upstream(CONNECT_NODE, &r, out, sizeof out), -1);
}

int main(void)
{
	test_clients();
	test_refused();
	test_incremental();
	test_upstream();
	return check_done("proxyreq");
}
