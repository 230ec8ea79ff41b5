// links: net/netpolicy.c
/* test_netpolicy.c - unit tests for allowlist entries, request hosts, matching, IDNA and the special address ranges. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "netpolicy.h"

/* text parses as an entry with this host, wildcard, family and port. */
static void entry_is(const char *text, const char *host, int wildcard, int family, int port)
{
	struct netpolicy_entry e;
	const char *why = NULL;
	int rc = netpolicy_parse_entry(text, &e, &why);

	CHECK_INT(rc, 0);
	if (rc) {
		fprintf(stderr, "  entry \"%s\": %s\n", text, why);
		return;
	}
	CHECK_STR(e.host, host);
	CHECK_INT(e.wildcard, wildcard);
	CHECK_INT(e.family, family);
	CHECK_INT(e.port, port);
}

static void entry_bad(const char *text)
{
	struct netpolicy_entry e;
	const char *why = NULL;
	int rc = netpolicy_parse_entry(text, &e, &why);

	CHECK_INT(rc, -1);
	CHECK(why && *why);
	if (rc == 0)
		fprintf(stderr, "  entry \"%s\" accepted as \"%s\"\n", text, e.host);
}

static void host_is(const char *text, const char *name, int family)
{
	struct netpolicy_host h;
	const char *why = NULL;
	int rc = netpolicy_host(text, strlen(text), &h, &why);

	CHECK_INT(rc, 0);
	if (rc) {
		fprintf(stderr, "  host \"%s\": %s\n", text, why);
		return;
	}
	CHECK_STR(h.name, name);
	CHECK_INT(h.family, family);
}

static void host_bad(const char *text, size_t len)
{
	struct netpolicy_host h;
	const char *why = NULL;
	int rc = netpolicy_host(text, len, &h, &why);

	CHECK_INT(rc, -1);
	CHECK(why && *why);
	if (rc == 0)
		fprintf(stderr, "  host \"%.*s\" accepted as \"%s\"\n", (int)len, text, h.name);
}

static void test_entries(void)
{
	entry_is("api.example.com", "api.example.com", 0, 0, NETPOL_WEB_PORTS);
	entry_is("API.Example.COM.", "api.example.com", 0, 0, NETPOL_WEB_PORTS);
	entry_is("*.example.com", "example.com", 1, 0, NETPOL_WEB_PORTS);
	entry_is("*.Example.com.:8443", "example.com", 1, 0, 8443);
	entry_is("github.com:443", "github.com", 0, 0, 443);
	entry_is("host:*", "host", 0, 0, NETPOL_ANY_PORT);
	entry_is("host:1", "host", 0, 0, 1);
	entry_is("host:65535", "host", 0, 0, 65535);
	entry_is("_srv.my-host.example", "_srv.my-host.example", 0, 0, NETPOL_WEB_PORTS);
	entry_is("127.0.0.1:8080", "127.0.0.1", 0, AF_INET, 8080);
	entry_is("10.0.0.1", "10.0.0.1", 0, AF_INET, NETPOL_WEB_PORTS);
	entry_is("255.255.255.255:*", "255.255.255.255", 0, AF_INET, NETPOL_ANY_PORT);
	entry_is("[::1]:8080", "::1", 0, AF_INET6, 8080);
	entry_is("[2001:DB8:0:0::1]", "2001:db8::1", 0, AF_INET6, NETPOL_WEB_PORTS);
	entry_is("2001:db8::1", "2001:db8::1", 0, AF_INET6, NETPOL_WEB_PORTS);
	entry_is("::1", "::1", 0, AF_INET6, NETPOL_WEB_PORTS);
	entry_is("[::ffff:10.1.2.3]:80", "10.1.2.3", 0, AF_INET, 80);
	entry_is("b\xc3\xbc""cher.example", "xn--bcher-kva.example", 0, 0, NETPOL_WEB_PORTS);
	entry_is("*.M\xc3\x9c""NCHEN.de:443", "xn--mnchen-3ya.de", 1, 0, 443);
	entry_is("xn--bcher-kva.example", "xn--bcher-kva.example", 0, 0, NETPOL_WEB_PORTS);

	/* "*" is not an entry (allow-all is mode "open"), nor anywhere but a leading "*." */
	entry_bad("*");
	entry_bad("*:443");
	entry_bad("*.");
	entry_bad("*.*.example.com");
	entry_bad("a*.example.com");
	entry_bad("api.*.com");
	entry_bad("example.*");
	entry_bad("**.example.com");
	/* ports */
	entry_bad("host:0");
	entry_bad("host:65536");
	entry_bad("host:");
	entry_bad("host:-1");
	entry_bad("host:+80");
	entry_bad("host:443x");
	entry_bad("host:123456");
	entry_bad("host:80:80");
	entry_bad("[::1]:0");
	entry_bad("[::1]x");
	entry_bad("[::1");
	/* names */
	entry_bad("");
	entry_bad(NULL);
	entry_bad(".");
	entry_bad("..");
	entry_bad(".example.com");
	entry_bad("a..example.com");
	entry_bad("example.com..");
	entry_bad("exa mple.com");
	entry_bad("exa/mple.com");
	entry_bad("user@example.com");
	entry_bad("example.com/");
	entry_bad("example\t.com");
	entry_bad("ex%41mple.com");
	entry_bad("\xff.example");		/* not UTF-8 */
	entry_bad("\xc0\xae.example");		/* overlong '.' */
	entry_bad("\xc3\x41.example");		/* a lead byte without its continuation */
	entry_bad("\xe2\x82.example");		/* a cut sequence */
	entry_bad("\xed\xa0\x80.example");	/* a surrogate */
	entry_bad("a\xe3\x80\x82""example");	/* U+3002, a full stop look-alike */
	entry_bad("xn--\xc3\xbc.example");	/* a U-label posing as an A-label */
	/* numbers: only the canonical dotted quad */
	entry_bad("127.1");
	entry_bad("2130706433");
	entry_bad("0x7f.0.0.1");
	entry_bad("0177.0.0.1");
	entry_bad("127.0.0.01");
	entry_bad("127.0.0.256");
	entry_bad("1.2.3.4.5");
	entry_bad("example.123");
	entry_bad("example.0x1f");
	entry_bad("*.10.0.0.1");
	/* IPv6 */
	entry_bad("[fe80::1%eth0]");
	entry_bad("fe80::1%eth0");
	entry_bad("[fe80::1%25eth0]:80");
	entry_bad("[::g]");
	entry_bad("[]");
	entry_bad("[1:2:3:4:5:6:7:8:9]");
	entry_bad("[example.com]:80");
}

static void test_lengths(void)
{
	char label[80], name[300], copy[300], *p;
	struct netpolicy_host h;
	const char *why;
	int i;

	memset(label, 'a', 63);
	label[63] = '\0';
	entry_is(label, label, 0, 0, NETPOL_WEB_PORTS);
	label[63] = 'a', label[64] = '\0';
	entry_bad(label);
	/* 253 characters in all: 63.63.63.61 */
	for (p = name, i = 0; i < 4; i++) {
		memset(p, 'b', i < 3 ? 63 : 61);
		p += i < 3 ? 63 : 61;
		*p++ = i < 3 ? '.' : '\0';
	}
	CHECK_INT(strlen(name), 253);
	entry_is(name, name, 0, 0, NETPOL_WEB_PORTS);
	host_is(name, name, 0);
	strcpy(copy, name);
	strcat(name, ".");	/* the trailing dot does not count */
	entry_is(name, copy, 0, 0, NETPOL_WEB_PORTS);
	host_is(name, copy, 0);
	name[253] = 'c', name[254] = '\0';
	entry_bad(name);
	host_bad(name, strlen(name));
	/* netpolicy_host never reads past len */
	CHECK_INT(netpolicy_host("example.comX", 11, &h, &why), 0);
	CHECK_STR(h.name, "example.com");
}

static void test_hosts(void)
{
	struct netpolicy_host h;
	const char *why;

	host_is("api.example.com", "api.example.com", 0);
	host_is("API.EXAMPLE.com.", "api.example.com", 0);
	host_is("XN--BCHER-KVA.example", "xn--bcher-kva.example", 0);
	host_is("_a-b.example", "_a-b.example", 0);
	/* every inet_aton form is the IPv4 */
	host_is("127.0.0.1", "127.0.0.1", AF_INET);
	host_is("127.0.0.1.", "127.0.0.1", AF_INET);
	host_is("127.1", "127.0.0.1", AF_INET);
	host_is("127.0.1", "127.0.0.1", AF_INET);
	host_is("2130706433", "127.0.0.1", AF_INET);
	host_is("0x7f000001", "127.0.0.1", AF_INET);
	host_is("0X7F000001", "127.0.0.1", AF_INET);
	host_is("017700000001", "127.0.0.1", AF_INET);
	host_is("0x7f.0.0.1", "127.0.0.1", AF_INET);
	host_is("0x7f.1", "127.0.0.1", AF_INET);
	host_is("0177.0.0.1", "127.0.0.1", AF_INET);
	host_is("0177.1", "127.0.0.1", AF_INET);
	host_is("0x7F.0x0.0.0x1", "127.0.0.1", AF_INET);
	host_is("0x.0x.0x.0x", "0.0.0.0", AF_INET);
	host_is("0", "0.0.0.0", AF_INET);
	host_is("169.254.43518", "169.254.169.254", AF_INET);
	host_is("0xa9fea9fe", "169.254.169.254", AF_INET);
	host_is("4294967295", "255.255.255.255", AF_INET);
	host_is("10.0.65535", "10.0.255.255", AF_INET);
	host_is("10.16777215", "10.255.255.255", AF_INET);
	/* numbers that are not addresses are not names either */
	host_bad("4294967296", 10);
	host_bad("256.0.0.1", 9);
	host_bad("1.2.3.256", 9);
	host_bad("1.2.65536", 9);
	host_bad("1.16777216", 10);
	host_bad("08.0.0.1", 8);
	host_bad("0x1g.0.0.1", 10);
	host_bad("1.2.3.4.5", 9);
	host_bad("example.123", 11);
	host_bad("example.0x1", 11);
	host_bad("a.0x", 4);
	host_bad("0x100000000", 11);
	host_bad("99999999999999999999999", 23);
	/* ... but a label that only starts like one is a name */
	host_is("1.2.3.4.example", "1.2.3.4.example", 0);
	host_is("example.0x1g", "example.0x1g", 0);
	host_is("example.1a", "example.1a", 0);
	/* IPv6: brackets, v4-mapped, canonical text */
	host_is("[::1]", "::1", AF_INET6);
	host_is("::1", "::1", AF_INET6);
	host_is("[0:0:0:0:0:0:0:1]", "::1", AF_INET6);
	host_is("[2001:DB8::A]", "2001:db8::a", AF_INET6);
	host_is("[::ffff:127.0.0.1]", "127.0.0.1", AF_INET);
	host_is("[::FFFF:7f00:1]", "127.0.0.1", AF_INET);
	host_is("[0:0:0:0:0:ffff:169.254.169.254]", "169.254.169.254", AF_INET);
	host_is("[64:ff9b::7f00:1]", "64:ff9b::7f00:1", AF_INET6);	/* NAT64 stays IPv6 */
	host_is("[2002:7f00:1::]", "2002:7f00:1::", AF_INET6);		/* 6to4 too */
	/* IPv4-compatible stays IPv6 (its text is the libc's: glibc "::127.0.0.1", musl
	 * "::7f00:1") */
	CHECK_INT(netpolicy_host("[::127.0.0.1]", 13, &h, &why), 0);
	CHECK_INT(h.family, AF_INET6);
	CHECK(!memcmp(h.addr, "\0\0\0\0\0\0\0\0\0\0\0\0\x7f\0\0\x01", 16));
	host_bad("[fe80::1%eth0]", 14);
	host_bad("[fe80::1%25eth0]", 16);
	host_bad("fe80::1%eth0", 12);
	host_bad("[::1", 4);
	host_bad("::1]", 4);
	host_bad("[]", 2);
	host_bad("[::1]:80", 8);
	host_bad("[127.0.0.1]", 11);
	host_bad("[::ffff:127.0.0.01]", 19);
	/* names */
	host_bad("", 0);
	host_bad(".", 1);
	host_bad("..", 2);
	host_bad("a..b", 4);
	host_bad(".a", 2);
	host_bad("a.b..", 5);
	host_bad("b\xc3\xbc""cher.example", 14);	/* clients send A-labels */
	host_bad("a\0b.example", 11);
	host_bad("a b", 3);
	host_bad("a@b", 3);
	host_bad("a%2eb", 5);
	host_bad("*.example.com", 13);
	host_bad("example.com:443", 15);
	host_bad("a\r\nb", 4);
}

static void test_idna(void)
{
	static const struct { const char *in, *out; } v[] = {
		/* RFC 3492 section 7.1; the encoder lowercases basic code points */
		{ "\xd9\x84\xd9\x8a\xd9\x87\xd9\x85\xd8\xa7\xd8\xa8\xd8\xaa\xd9\x83\xd9\x84\xd9\x85\xd9\x88\xd8\xb4\xd8\xb9\xd8\xb1\xd8\xa8\xd9\x8a\xd8\x9f", "xn--egbpdaj6bu4bxfgehfvwxn" },  /* (A) */
		{ "\xe4\xbb\x96\xe4\xbb\xac\xe4\xb8\xba\xe4\xbb\x80\xe4\xb9\x88\xe4\xb8\x8d\xe8\xaf\xb4\xe4\xb8\xad\xe6\x96\x87", "xn--ihqwcrb4cv8a8dqg056pqjye" },  /* (B) */
		{ "\xe4\xbb\x96\xe5\x80\x91\xe7\x88\xb2\xe4\xbb\x80\xe9\xba\xbd\xe4\xb8\x8d\xe8\xaa\xaa\xe4\xb8\xad\xe6\x96\x87", "xn--ihqwctvzc91f659drss3x8bo0yb" },  /* (C) */
		{ "Pro\xc4\x8dprost\xc4\x9bnemluv\xc3\xad\xc4\x8d""esky", "xn--proprostnemluvesky-uyb24dma41a" },  /* (D) */
		{ "\xd7\x9c\xd7\x9e\xd7\x94\xd7\x94\xd7\x9d\xd7\xa4\xd7\xa9\xd7\x95\xd7\x98\xd7\x9c\xd7\x90\xd7\x9e\xd7\x93\xd7\x91\xd7\xa8\xd7\x99\xd7\x9d\xd7\xa2\xd7\x91\xd7\xa8\xd7\x99\xd7\xaa", "xn--4dbcagdahymbxekheh6e0a7fei0b" },  /* (E) */
		{ "\xe0\xa4\xaf\xe0\xa4\xb9\xe0\xa4\xb2\xe0\xa5\x8b\xe0\xa4\x97\xe0\xa4\xb9\xe0\xa4\xbf\xe0\xa4\xa8\xe0\xa5\x8d\xe0\xa4\xa6\xe0\xa5\x80\xe0\xa4\x95\xe0\xa5\x8d\xe0\xa4\xaf\xe0\xa5\x8b\xe0\xa4\x82\xe0\xa4\xa8\xe0\xa4\xb9\xe0\xa5\x80\xe0\xa4\x82\xe0\xa4\xac\xe0\xa5\x8b\xe0\xa4\xb2\xe0\xa4\xb8\xe0\xa4\x95\xe0\xa4\xa4\xe0\xa5\x87\xe0\xa4\xb9\xe0\xa5\x88\xe0\xa4\x82", "xn--i1baa7eci9glrd9b2ae1bj0hfcgg6iyaf8o0a1dig0cd" },  /* (F) */
		{ "\xe3\x81\xaa\xe3\x81\x9c\xe3\x81\xbf\xe3\x82\x93\xe3\x81\xaa\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x82\x92\xe8\xa9\xb1\xe3\x81\x97\xe3\x81\xa6\xe3\x81\x8f\xe3\x82\x8c\xe3\x81\xaa\xe3\x81\x84\xe3\x81\xae\xe3\x81\x8b", "xn--n8jok5ay5dzabd5bym9f0cm5685rrjetr6pdxa" },  /* (G) */
		{ "\xd0\xbf\xd0\xbe\xd1\x87\xd0\xb5\xd0\xbc\xd1\x83\xd0\xb6\xd0\xb5\xd0\xbe\xd0\xbd\xd0\xb8\xd0\xbd\xd0\xb5\xd0\xb3\xd0\xbe\xd0\xb2\xd0\xbe\xd1\x80\xd1\x8f\xd1\x82\xd0\xbf\xd0\xbe\xd1\x80\xd1\x83\xd1\x81\xd1\x81\xd0\xba\xd0\xb8", "xn--b1abfaaepdrnnbgefbadotcwatmq2g4l" },  /* (I) */
		{ "Porqu\xc3\xa9nopuedensimplementehablarenEspa\xc3\xb1ol", "xn--porqunopuedensimplementehablarenespaol-fmd56a" },  /* (J) */
		{ "T\xe1\xba\xa1isaoh\xe1\xbb\x8dkh\xc3\xb4ngth\xe1\xbb\x83""ch\xe1\xbb\x89n\xc3\xb3iti\xe1\xba\xbfngVi\xe1\xbb\x87t", "xn--tisaohkhngthchnitingvit-kjcr8268qyxafd2f1b9g" },  /* (K) */
		{ "3\xe5\xb9\xb4""B\xe7\xb5\x84\xe9\x87\x91\xe5\x85\xab\xe5\x85\x88\xe7\x94\x9f", "xn--3b-ww4c5e180e575a65lsy2b" },  /* (L) */
		{ "\xe5\xae\x89\xe5\xae\xa4\xe5\xa5\x88\xe7\xbe\x8e\xe6\x81\xb5-with-SUPER-MONKEYS", "xn---with-super-monkeys-pc58ag80a8qai00g7n9n" },  /* (M) */
		{ "Hello-Another-Way-\xe3\x81\x9d\xe3\x82\x8c\xe3\x81\x9e\xe3\x82\x8c\xe3\x81\xae\xe5\xa0\xb4\xe6\x89\x80", "xn--hello-another-way--fc4qua05auwb3674vfr0b" },  /* (N) */
		{ "\xe3\x81\xb2\xe3\x81\xa8\xe3\x81\xa4\xe5\xb1\x8b\xe6\xa0\xb9\xe3\x81\xae\xe4\xb8\x8b""2", "xn--2-u9tlzr9756bt3uc0v" },  /* (O) */
		{ "Maji\xe3\x81\xa7Koi\xe3\x81\x99\xe3\x82\x8b""5\xe7\xa7\x92\xe5\x89\x8d", "xn--majikoi5-783gue6qz075azm5e" },  /* (P) */
		{ "\xe3\x83\x91\xe3\x83\x95\xe3\x82\xa3\xe3\x83\xbc""de\xe3\x83\xab\xe3\x83\xb3\xe3\x83\x90", "xn--de-jg4avhby1noc0d" },  /* (Q) */
		{ "\xe3\x81\x9d\xe3\x81\xae\xe3\x82\xb9\xe3\x83\x94\xe3\x83\xbc\xe3\x83\x89\xe3\x81\xa7", "xn--d9juau41awczczp" },  /* (R) */
		/* common names */
		{ "b\xc3\xbc""cher", "xn--bcher-kva" },
		{ "m\xc3\xbc""nchen", "xn--mnchen-3ya" },
		{ "M\xc3\x9c""nchen.DE.", "xn--mnchen-3ya.de" },
		{ "B\xc3\xbc""cher.Example", "xn--bcher-kva.example" },
		{ "ma\xc3\xb1""ana.com", "xn--maana-pta.com" },
		{ "\xc3\xbc", "xn--tda" },
		{ "\xc3\xbc\xc3\xab\xc3\xa4\xc3\xb6\xe2\x99\xa5", "xn--4can8av2009b" },
		{ "\xf0\x9f\x92\xa9.la", "xn--ls8h.la" },
		{ "\xe2\x98\x83-\xe2\x8c\x98.com", "xn----dqo34k.com" },
		{ "caf\xc3\xa9.caf\xc3\xa9.com", "xn--caf-dma.xn--caf-dma.com" },
		{ "plain.example", "plain.example" },
	};
	char out[NETPOL_HOST_MAX], in[80];
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		CHECK_INT(netpolicy_idna(v[i].in, out, sizeof out), 0);
		CHECK_STR(out, v[i].out);
	}
	/* (H) Korean: its A-label is 73 characters, more than a label may hold */
	CHECK_INT(netpolicy_idna("\xec\x84\xb8\xea\xb3\x84\xec\x9d\x98\xeb\xaa\xa8\xeb\x93\xa0\xec\x82\xac\xeb\x9e\x8c\xeb\x93\xa4\xec\x9d\xb4\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4\xeb\xa5\xbc\xec\x9d\xb4\xed\x95\xb4\xed\x95\x9c\xeb\x8b\xa4\xeb\xa9\xb4\xec\x96\xbc\xeb\xa7\x88\xeb\x82\x98\xec\xa2\x8b\xec\x9d\x84\xea\xb9\x8c", out, sizeof out), -1);
	/* "a" x n + "ü": the A-label holds 63 characters at most (n = 55: "...aa-8yf") */
	for (i = 50; i < 64; i++) {
		memset(in, 'a', i);
		strcpy(in + i, "\xc3\xbc");
		CHECK_INT(netpolicy_idna(in, out, sizeof out), i <= 55 ? 0 : -1);
		if (i == 55)
			CHECK_STR(out + 57, "aa-8yf");
	}
	CHECK_INT(netpolicy_idna("b\xc3\xbc""cher", out, 13), -1);	/* xn--bcher-kva needs 14 */
	CHECK_INT(netpolicy_idna("b\xc3\xbc""cher", out, 14), 0);
	CHECK_INT(netpolicy_idna("", out, sizeof out), -1);
	CHECK_INT(netpolicy_idna("a b", out, sizeof out), -1);
	CHECK_INT(netpolicy_idna("\xc3", out, sizeof out), -1);		/* cut sequence */
	CHECK_INT(netpolicy_idna("\xf4\x90\x80\x80", out, sizeof out), -1);	/* beyond U+10FFFF */
	CHECK_INT(netpolicy_idna("\xc2\xa0", out, sizeof out), -1);		/* no-break space */
	CHECK_INT(netpolicy_idna("\xc2\x85", out, sizeof out), -1);		/* C1 control */
	CHECK_INT(netpolicy_idna("a\xef\xbc\x8e""b", out, sizeof out), -1);	/* fullwidth full stop */
}

/* A policy from entry texts (at most 16 of each). */
struct pol {
	struct netpolicy_entry allow[16], deny[16];
	struct netpol p;
};

static void pol_make(struct pol *pl, const char *const *allow, const char *const *deny)
{
	const char *why;

	memset(pl, 0, sizeof *pl);
	for (; allow && *allow; allow++)
		CHECK_INT(netpolicy_parse_entry(*allow, &pl->allow[pl->p.nallow++], &why), 0);
	for (; deny && *deny; deny++)
		CHECK_INT(netpolicy_parse_entry(*deny, &pl->deny[pl->p.ndeny++], &why), 0);
	pl->p.allow = pl->allow, pl->p.deny = pl->deny;
}

/* netpolicy_allows(host, port) for a request host text; want_why when refused. */
static void allows(const struct pol *pl, const char *host, int port, int want, const char *want_why)
{
	struct netpolicy_host h;
	const char *why = NULL;
	int got;

	CHECK_INT(netpolicy_host(host, strlen(host), &h, &why), 0);
	got = netpolicy_allows(&pl->p, &h, port, &why);
	CHECK_INT(got, want);
	if (got != want)
		fprintf(stderr, "  %s:%d\n", host, port);
	if (!got && want_why)
		CHECK_STR(why, want_why);
}

static void test_allows(void)
{
	static const char *const allow[] = { "api.example.com", "*.openai.com", "github.com:443",
		"anyport.example:*", "127.0.0.1:8080", "[::1]:9000", "10.0.0.5", "*.corp.example:*",
		"xn--bcher-kva.example", NULL };
	static const char *const deny[] = { "secret.corp.example", "10.0.0.5:443", "bad.openai.com",
		"*.deep.corp.example:22", NULL };
	struct pol pl;
	struct netpolicy_entry forged;
	struct netpolicy_host h;
	const char *why;

	pol_make(&pl, allow, deny);
	/* exact names, no port written: 80 and 443 */
	allows(&pl, "api.example.com", 443, 1, NULL);
	allows(&pl, "api.example.com", 80, 1, NULL);
	allows(&pl, "api.example.com", 8080, 0, "not on the allowlist");
	allows(&pl, "api.example.com", 22, 0, "not on the allowlist");
	/* case and trailing dots */
	allows(&pl, "API.Example.COM.", 443, 1, NULL);
	allows(&pl, "XN--BCHER-KVA.example", 443, 1, NULL);
	allows(&pl, "example.com", 443, 0, "not on the allowlist");
	allows(&pl, "xapi.example.com", 443, 0, NULL);
	allows(&pl, "sub.api.example.com", 443, 0, NULL);
	allows(&pl, "api.example.com.evil.net", 443, 0, NULL);
	allows(&pl, "api.example.co", 443, 0, NULL);
	/* wildcards: strictly below, at a label boundary */
	allows(&pl, "chat.openai.com", 443, 1, NULL);
	allows(&pl, "a.b.openai.com", 80, 1, NULL);
	allows(&pl, "Chat.OpenAI.com.", 443, 1, NULL);
	allows(&pl, "openai.com", 443, 0, NULL);
	allows(&pl, "xopenai.com", 443, 0, NULL);
	allows(&pl, "evilopenai.com", 443, 0, "not on the allowlist");
	allows(&pl, "x-openai.com", 443, 0, NULL);
	allows(&pl, "a.xopenai.com", 443, 0, NULL);
	allows(&pl, "notcorp.example", 22, 0, NULL);
	allows(&pl, "x.openai.com.evil.net", 443, 0, NULL);
	allows(&pl, "chat.openai.com", 8443, 0, NULL);
	/* explicit ports and ":*" */
	allows(&pl, "github.com", 443, 1, NULL);
	allows(&pl, "github.com", 80, 0, NULL);
	allows(&pl, "github.com", 22, 0, NULL);
	allows(&pl, "anyport.example", 1, 1, NULL);
	allows(&pl, "anyport.example", 22, 1, NULL);
	allows(&pl, "anyport.example", 65535, 1, NULL);
	allows(&pl, "anyport.example", 0, 0, "not a valid port");
	allows(&pl, "anyport.example", 65536, 0, "not a valid port");
	allows(&pl, "anyport.example", -1, 0, "not a valid port");
	/* deny wins, and a deny entry without a port denies every port */
	allows(&pl, "other.corp.example", 22, 1, NULL);
	allows(&pl, "secret.corp.example", 443, 0, "on the denylist");
	allows(&pl, "secret.corp.example", 22, 0, "on the denylist");
	allows(&pl, "SECRET.corp.example.", 8080, 0, "on the denylist");
	allows(&pl, "x.secret.corp.example", 22, 1, NULL);	/* "secret..." is not "*.secret..." */
	allows(&pl, "bad.openai.com", 443, 0, "on the denylist");
	allows(&pl, "a.deep.corp.example", 22, 0, "on the denylist");
	allows(&pl, "a.deep.corp.example", 23, 1, NULL);
	allows(&pl, "deep.corp.example", 22, 1, NULL);
	allows(&pl, "10.0.0.5", 443, 0, "on the denylist");
	allows(&pl, "10.0.0.5", 80, 1, NULL);
	/* address literals: only address entries, same family and bytes, any spelling */
	allows(&pl, "127.0.0.1", 8080, 1, NULL);
	allows(&pl, "127.1", 8080, 1, NULL);
	allows(&pl, "2130706433", 8080, 1, NULL);
	allows(&pl, "0x7f.0.0.1", 8080, 1, NULL);
	allows(&pl, "[::ffff:127.0.0.1]", 8080, 1, NULL);
	allows(&pl, "127.0.0.1", 8081, 0, NULL);
	allows(&pl, "127.0.0.2", 8080, 0, NULL);
	allows(&pl, "localhost", 8080, 0, NULL);
	allows(&pl, "[::1]", 9000, 1, NULL);
	allows(&pl, "[0:0::1]", 9000, 1, NULL);
	allows(&pl, "::1", 9000, 1, NULL);
	allows(&pl, "[::1]", 8080, 0, NULL);
	allows(&pl, "[::2]", 9000, 0, NULL);
	allows(&pl, "[::127.0.0.1]", 8080, 0, NULL);	/* IPv4-compatible is not the IPv4 */
	allows(&pl, "[64:ff9b::7f00:1]", 8080, 0, NULL);	/* nor is NAT64 */
	/* a name never matches an address entry, nor an address a name entry */
	allows(&pl, "10.0.0.5.nip.io", 80, 0, NULL);
	memset(&forged, 0, sizeof forged);
	strcpy(forged.host, "10.0.0.7");
	forged.port = NETPOL_ANY_PORT;
	pl.p.allow = &forged, pl.p.nallow = 1, pl.p.ndeny = 0;
	CHECK_INT(netpolicy_host("10.0.0.7", 8, &h, &why), 0);
	CHECK_INT(netpolicy_allows(&pl.p, &h, 80, &why), 0);
	forged.family = AF_INET;
	memcpy(forged.addr, "\x0a\0\0\x07", 4);
	CHECK_INT(netpolicy_allows(&pl.p, &h, 80, &why), 1);
	CHECK_INT(netpolicy_host("x.example", 9, &h, &why), 0);
	strcpy(h.name, "10.0.0.7");	/* a name entry's text, but no address */
	CHECK_INT(netpolicy_allows(&pl.p, &h, 80, &why), 0);
	/* an empty policy allows nothing */
	pol_make(&pl, NULL, NULL);
	allows(&pl, "api.example.com", 443, 0, "not on the allowlist");
}

static void range_is(const char *text, const char *want)
{
	unsigned char a[16];
	int family = strchr(text, ':') ? AF_INET6 : AF_INET;
	const char *got;

	CHECK_INT(inet_pton(family, text, a), 1);
	got = netpolicy_range(family, a);
	if (!want) {
		CHECK(got == NULL);
		if (got)
			fprintf(stderr, "  %s is \"%s\"\n", text, got);
	} else {
		CHECK_STR(got, want);
		if (!got || strcmp(got, want))
			fprintf(stderr, "  (%s)\n", text);
	}
}

static void test_ranges(void)
{
	static const struct { const char *a, *r; } v[] = {
		{ "0.0.0.0", "unspecified" }, { "0.255.255.255", "unspecified" },
		{ "1.0.0.0", NULL }, { "8.8.8.8", NULL }, { "9.255.255.255", NULL },
		{ "10.0.0.0", "private" }, { "10.255.255.255", "private" }, { "11.0.0.0", NULL },
		{ "100.63.255.255", NULL }, { "100.64.0.0", "shared" },
		{ "100.100.100.200", "shared" }, { "100.127.255.255", "shared" }, { "100.128.0.0", NULL },
		{ "126.255.255.255", NULL }, { "127.0.0.0", "loopback" }, { "127.0.0.1", "loopback" },
		{ "127.255.255.255", "loopback" }, { "128.0.0.0", NULL },
		{ "169.253.255.255", NULL }, { "169.254.0.0", "link-local" },
		{ "169.254.169.253", "link-local" }, { "169.254.169.254", "metadata" },
		{ "169.254.169.255", "link-local" }, { "169.254.255.255", "link-local" },
		{ "169.255.0.0", NULL },
		{ "172.15.255.255", NULL }, { "172.16.0.0", "private" }, { "172.31.255.255", "private" },
		{ "172.32.0.0", NULL },
		{ "191.255.255.255", NULL }, { "192.0.0.0", "reserved" }, { "192.0.0.255", "reserved" },
		{ "192.0.1.0", NULL }, { "192.0.2.0", "documentation" }, { "192.0.2.255", "documentation" },
		{ "192.0.3.0", NULL }, { "192.167.255.255", NULL }, { "192.168.0.0", "private" },
		{ "192.168.255.255", "private" }, { "192.169.0.0", NULL },
		{ "198.17.255.255", NULL }, { "198.18.0.0", "benchmark" }, { "198.19.255.255", "benchmark" },
		{ "198.20.0.0", NULL }, { "198.51.99.255", NULL }, { "198.51.100.0", "documentation" },
		{ "198.51.100.255", "documentation" }, { "198.51.101.0", NULL },
		{ "203.0.112.255", NULL }, { "203.0.113.0", "documentation" },
		{ "203.0.113.255", "documentation" }, { "203.0.114.0", NULL },
		{ "223.255.255.255", NULL }, { "224.0.0.0", "multicast" }, { "239.255.255.255", "multicast" },
		{ "240.0.0.0", "reserved" }, { "255.255.255.254", "reserved" },
		{ "255.255.255.255", "reserved" },
		{ "::", "unspecified" }, { "::1", "loopback" }, { "::2", "reserved" },
		{ "::127.0.0.1", "reserved" }, { "::ffff:ffff", "reserved" },
		{ "::1:0:0:0", NULL },
		{ "::ffff:0.0.0.0", "ipv4-mapped" }, { "::ffff:127.0.0.1", "ipv4-mapped" },
		{ "::ffff:8.8.8.8", "ipv4-mapped" }, { "::ffff:255.255.255.255", "ipv4-mapped" },
		{ "::fffe:ffff:ffff", NULL }, { "::1:0:0:0:0", NULL },
		{ "64:ff9a:ffff:ffff:ffff:ffff:ffff:ffff", NULL },
		{ "64:ff9b::", "nat64" }, { "64:ff9b::7f00:1", "nat64" }, { "64:ff9b::ffff:ffff", "nat64" },
		{ "64:ff9b::1:0:0", NULL }, { "64:ff9b:1::", "nat64" },
		{ "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", "nat64" }, { "64:ff9b:2::", NULL },
		{ "100::", "reserved" }, { "100::ffff:ffff:ffff:ffff", "reserved" },
		{ "100:0:0:1::", NULL },
		{ "2001::", "reserved" }, { "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", "reserved" },
		{ "2001:1::1", NULL }, { "2001:2::", "benchmark" },
		{ "2001:2:0:ffff:ffff:ffff:ffff:ffff", "benchmark" }, { "2001:2:1::", NULL },
		{ "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", NULL }, { "2001:db8::", "documentation" },
		{ "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "documentation" }, { "2001:db9::", NULL },
		{ "2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL },
		{ "2002::", "6to4" }, { "2002:7f00:1::", "6to4" },
		{ "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "6to4" }, { "2003::", NULL },
		{ "2606:4700:4700::1111", NULL }, { "2a00:1450:4001::200e", NULL },
		{ "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL },
		{ "fc00::", "private" }, { "fd00:ec2::253", "private" }, { "fd00:ec2::254", "metadata" },
		{ "fd00:ec2::255", "private" }, { "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "private" },
		{ "fe00::", NULL }, { "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", NULL },
		{ "fe80::", "link-local" }, { "fe80::1", "link-local" },
		{ "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "link-local" },
		{ "fec0::", "private" }, { "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "private" },
		{ "ff00::", "multicast" }, { "ff02::1", "multicast" },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "multicast" },
	};
	size_t i;

	for (i = 0; i < sizeof v / sizeof v[0]; i++)
		range_is(v[i].a, v[i].r);
	CHECK(netpolicy_range(AF_UNIX, (const unsigned char *)"\x7f\0\0\x01") == NULL);
}

/* netpolicy_addr_ok on text:port. */
static void addr_ok(const struct pol *pl, const char *text, int port, int want, const char *want_why)
{
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
	const struct sockaddr *sa;
	const char *why = NULL;
	int got;

	memset(&in, 0, sizeof in);
	memset(&in6, 0, sizeof in6);
	if (strchr(text, ':')) {
		in6.sin6_family = AF_INET6, in6.sin6_port = htons((unsigned short)port);
		CHECK_INT(inet_pton(AF_INET6, text, &in6.sin6_addr), 1);
		sa = (const struct sockaddr *)&in6;
	} else {
		in.sin_family = AF_INET, in.sin_port = htons((unsigned short)port);
		CHECK_INT(inet_pton(AF_INET, text, &in.sin_addr), 1);
		sa = (const struct sockaddr *)&in;
	}
	got = netpolicy_addr_ok(&pl->p, sa, &why);
	CHECK_INT(got, want);
	if (got != want)
		fprintf(stderr, "  %s port %d\n", text, port);
	if (!got && want_why)
		CHECK_STR(why, want_why);
}

static void test_addr_ok(void)
{
	static const char *const allow[] = { "127.0.0.1:8080", "[::1]:9000", "169.254.169.254:80",
		"10.0.0.5", "localhost:*", "*.internal.example:*", "[fd00:ec2::254]:*",
		"93.184.216.34", NULL };
	static const char *const deny[] = { "93.184.216.34", "[2606:4700::1111]:*", "10.0.0.5:443",
		NULL };
	struct pol pl;
	struct sockaddr_un { unsigned short family; char path[108]; } un = { AF_UNIX, "x" };
	const char *why;

	pol_make(&pl, allow, deny);
	/* special ranges pass only when an allow address entry lists them with the port */
	addr_ok(&pl, "127.0.0.1", 8080, 1, NULL);
	addr_ok(&pl, "127.0.0.1", 8081, 0, "resolves to a loopback address");
	addr_ok(&pl, "127.0.0.2", 8080, 0, "resolves to a loopback address");
	addr_ok(&pl, "::1", 9000, 1, NULL);
	addr_ok(&pl, "::1", 9001, 0, "resolves to a loopback address");
	addr_ok(&pl, "::ffff:127.0.0.1", 8080, 0, "resolves to an IPv4-mapped address");
	addr_ok(&pl, "::ffff:8.8.8.8", 443, 0, "resolves to an IPv4-mapped address");
	addr_ok(&pl, "169.254.169.254", 80, 1, NULL);
	addr_ok(&pl, "169.254.169.254", 443, 0, "resolves to a cloud metadata address");
	addr_ok(&pl, "169.254.1.1", 80, 0, "resolves to a link-local address");
	addr_ok(&pl, "fd00:ec2::254", 80, 1, NULL);
	addr_ok(&pl, "fd00:ec2::253", 80, 0, "resolves to a private address");
	addr_ok(&pl, "10.0.0.5", 80, 1, NULL);
	addr_ok(&pl, "10.0.0.5", 443, 0, "the address is on the denylist");
	addr_ok(&pl, "10.0.0.5", 22, 0, "resolves to a private address");
	addr_ok(&pl, "10.0.0.6", 80, 0, "resolves to a private address");
	addr_ok(&pl, "192.168.1.1", 443, 0, "resolves to a private address");
	addr_ok(&pl, "172.16.0.1", 443, 0, "resolves to a private address");
	addr_ok(&pl, "100.64.0.1", 443, 0, "resolves to a shared (carrier-grade NAT) address");
	addr_ok(&pl, "0.0.0.0", 443, 0, "resolves to an unspecified address");
	addr_ok(&pl, "::", 443, 0, "resolves to an unspecified address");
	addr_ok(&pl, "224.0.0.1", 443, 0, "resolves to a multicast address");
	addr_ok(&pl, "255.255.255.255", 443, 0, "resolves to a reserved address");
	addr_ok(&pl, "192.0.2.1", 443, 0, "resolves to a documentation address");
	addr_ok(&pl, "198.18.0.1", 443, 0, "resolves to a benchmarking address");
	addr_ok(&pl, "64:ff9b::7f00:1", 443, 0, "resolves to a NAT64 address");
	addr_ok(&pl, "2002:7f00:1::", 443, 0, "resolves to a 6to4 address");
	addr_ok(&pl, "fe80::1", 443, 0, "resolves to a link-local address");
	addr_ok(&pl, "fc00::1", 443, 0, "resolves to a private address");
	addr_ok(&pl, "ff02::1", 443, 0, "resolves to a multicast address");
	/* name entries (localhost, *.internal.example) never open a special range */
	addr_ok(&pl, "127.0.0.1", 22, 0, "resolves to a loopback address");
	/* public addresses pass, unless a deny address entry names them (every port when it
	 * has none), deny winning over allow */
	addr_ok(&pl, "8.8.8.8", 443, 1, NULL);
	addr_ok(&pl, "2a00:1450:4001::200e", 443, 1, NULL);
	addr_ok(&pl, "93.184.216.34", 443, 0, "the address is on the denylist");
	addr_ok(&pl, "93.184.216.34", 22, 0, "the address is on the denylist");
	addr_ok(&pl, "93.184.216.35", 22, 1, NULL);
	addr_ok(&pl, "2606:4700::1111", 443, 0, "the address is on the denylist");
	addr_ok(&pl, "2606:4700::1112", 443, 1, NULL);
	CHECK_INT(netpolicy_addr_ok(&pl.p, (const struct sockaddr *)&un, &why), 0);
	CHECK_STR(why, "not an IP address");
}

/* Every spelling of the metadata address reaches netpolicy_addr_ok as that address, and is
 * refused there with its reason; an allow name entry changes nothing. */
static void test_metadata_spellings(void)
{
	static const char *const spellings[] = { "169.254.169.254", "169.254.169.254.",
		"0xa9fea9fe", "2852039166", "0251.0376.0251.0376", "169.254.43518", "169.16689662",
		"0xA9.0xFE.0xA9.0xFE", "[::ffff:169.254.169.254]", "[::ffff:a9fe:a9fe]",
		"::FFFF:169.254.169.254" };
	static const char *const allow[] = { "*.internal:*", "metadata.google.internal", NULL };
	struct pol pl;
	struct netpolicy_host h;
	struct sockaddr_in in;
	const char *why;
	size_t i;

	pol_make(&pl, allow, NULL);
	for (i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
		CHECK_INT(netpolicy_host(spellings[i], strlen(spellings[i]), &h, &why), 0);
		CHECK_INT(h.family, AF_INET);
		CHECK_STR(h.name, "169.254.169.254");
		CHECK_STR(netpolicy_range(h.family, h.addr), "metadata");
		CHECK_INT(netpolicy_allows(&pl.p, &h, 80, &why), 0);	/* a literal needs an address entry */
		memset(&in, 0, sizeof in);
		in.sin_family = AF_INET, in.sin_port = htons(80);
		memcpy(&in.sin_addr, h.addr, 4);
		CHECK_INT(netpolicy_addr_ok(&pl.p, (const struct sockaddr *)&in, &why), 0);
		CHECK_STR(why, "resolves to a cloud metadata address");
	}
	/* what a name on the list resolves to is checked all the same */
	addr_ok(&pl, "169.254.169.254", 80, 0, "resolves to a cloud metadata address");
	addr_ok(&pl, "fd00:ec2::254", 80, 0, "resolves to a cloud metadata address");
}

int main(void)
{
	test_entries();
	test_lengths();
	test_hosts();
	test_idna();
	test_allows();
	test_ranges();
	test_addr_ok();
	test_metadata_spellings();
	return check_done("netpolicy");
}
