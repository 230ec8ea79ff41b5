/* netpolicy.h - the network allowlist: its entries, request hosts, matching and the address ranges a name may not resolve to. */
#ifndef NETPOLICY_H
#define NETPOLICY_H
#include <stddef.h>
#include <sys/socket.h>

enum { NETPOL_HOST_MAX = 256 };   /* a normalized name or address text, NUL included */

/* One allow or deny entry: "api.example.com", "*.example.com" (names below example.com, not
 * example.com itself), "github.com:443", "host:*" (any port), "127.0.0.1:8080", "[::1]:8080",
 * "bücher.example" (stored as its IDNA A-label, xn--bcher-kva.example). */
struct netpolicy_entry {
	char host[NETPOL_HOST_MAX];   /* lowercase ASCII, no trailing dot; an address as its
				       * canonical text (inet_ntop) */
	int wildcard;                 /* "*.host" */
	int family;                   /* AF_INET or AF_INET6 for an address entry, else 0 */
	unsigned char addr[16];       /* the address (IPv4 in the first 4 bytes) */
	int port;                     /* 1-65535; NETPOL_ANY_PORT for ":*"; NETPOL_WEB_PORTS
				       * when no port was written (80 and 443 in an allow
				       * entry, every port in a deny entry) */
};
enum { NETPOL_ANY_PORT = 0, NETPOL_WEB_PORTS = -1 };

struct netpol {
	const struct netpolicy_entry *allow, *deny;
	size_t nallow, ndeny;
};

/* A request's host (a CONNECT authority's or an absolute URI's host, as sent), normalized:
 * ASCII letters lowercased, one trailing dot dropped, IPv6 brackets removed; an IPv4 in any
 * form inet_aton takes (127.1, 0x7f.1, 2130706433) and an IPv4-mapped IPv6 become the IPv4. */
struct netpolicy_host {
	char name[NETPOL_HOST_MAX];   /* the normalized text (canonical text for an address) */
	int family;                   /* AF_INET / AF_INET6 for an address literal, else 0 */
	unsigned char addr[16];
};

/* A port: 1-65535 written as one to five decimal digits, nothing else. Returns 0 or -1. */
int netpolicy_port(const char *s, size_t n, int *port);
/* Parses one entry. Returns 0, or -1 with *why a static reason ("the port must be 1 to
 * 65535 or *"). An IPv4 address only as a.b.c.d ("127.1" is refused, as is a name whose last
 * label is a number); an IPv6 one in brackets, or bare without a port; "[::ffff:a.b.c.d]"
 * becomes a.b.c.d; no zone. */
int netpolicy_parse_entry(const char *text, struct netpolicy_entry *e, const char **why);
/* Parses and normalizes a request host of len bytes (not NUL-terminated). Returns 0, or -1
 * with *why ("not a valid host name"): empty, too long, bytes outside [A-Za-z0-9.-_] in a
 * name (non-ASCII included: clients send A-labels), empty labels, an IPv6 zone, a name whose
 * last label looks like a number (digits, or 0x and hex digits) but that is no IPv4 address.
 * IPv6 may come with or without its brackets. */
int netpolicy_host(const char *text, size_t len, struct netpolicy_host *h, const char **why);
/* Whether host:port may be asked for at all, before any lookup. Deny entries win over allow
 * entries. An address literal passes only when an address entry lists it. Returns 1 (allowed)
 * or 0 with *why ("not on the allowlist", "on the denylist"). */
int netpolicy_allows(const struct netpol *p, const struct netpolicy_host *h, int port, const char **why);
/* Whether a connection may be opened to the address a name resolved to (or a literal's),
 * at the sockaddr's port: refused when a deny address entry matches it, or when it lies in
 * a special range (netpolicy_range) and no allow address entry lists it with that port.
 * Returns 1 or 0 with *why ("resolves to a loopback address"). */
int netpolicy_addr_ok(const struct netpol *p, const struct sockaddr *sa, const char **why);
/* The special range that holds the address, or NULL for an ordinary public one: "loopback",
 * "private", "link-local", "metadata", "shared" (100.64/10), "unspecified", "multicast",
 * "reserved", "documentation", "benchmark", "nat64", "6to4", "ipv4-mapped". Beyond the
 * issue's list, "reserved" holds ::/96 (IPv4-compatible) and 2001::/32 (Teredo), and
 * "benchmark" 2001:2::/48. */
const char *netpolicy_range(int family, const unsigned char *addr);
/* A host name in UTF-8 as IDNA A-labels (punycode, RFC 3492), ASCII and Latin-1 capitals
 * lowercased (no other mapping, no NFC: write other names in lowercase NFC), one trailing dot
 * dropped: "Bücher.Example" -> "xn--bcher-kva.example". Returns 0, or -1 (invalid, or
 * longer than n with its NUL). */
int netpolicy_idna(const char *utf8, char *out, size_t n);
#endif
