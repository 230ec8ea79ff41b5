// links: lib/audit.c
/* test_audit.c - unit tests for the audit line's quoting: values that need quotes or escapes, a value cut only where it says so, never past its buffer. */
#include <stdio.h>
#include <string.h>

#include "audit.h"
#include "check.h"

static const char *q(const char *s, unsigned n)
{
	static char out[512];

	return audit_quote(s, out, n);
}

static void test_quote(void)
{
	CHECK_STR(q("/home/alice/p", 64), "/home/alice/p");
	CHECK_STR(q("", 64), "\"\"");
	CHECK_STR(q("a b", 64), "\"a b\"");
	CHECK_STR(q("k=v", 64), "\"k=v\"");
	CHECK_STR(q("say \"hi\"\\", 64), "\"say \\\"hi\\\"\\\\\"");
	CHECK_STR(q("line\nforged=1", 64), "\"line\\x0aforged=1\"");
	CHECK_STR(q("\x7f", 64), "\"\\x7f\"");
	/* exactly the room it needs: whole, not cut (the old loop stopped 5 bytes early) */
	CHECK_STR(q("abcdefgh", 9), "abcdefgh");
	CHECK_STR(q("a b", 6), "\"a b\"");
	CHECK_STR(q("\n", 7), "\"\\x0a\"");
	/* one byte short: quoted and marked */
	CHECK_STR(q("abcdefgh", 8), "\"ab...\"");
	CHECK_STR(q("a\nbcdefgh", 12), "\"a\\x0ab...\"");
	CHECK_STR(q("abcdefgh", 6), "\"...\"");
	/* an escape is never split by the cut */
	CHECK_STR(q("\n\n\n", 12), "\"\\x0a...\"");
	/* no room for the mark: nothing (a whole empty value is "") */
	CHECK_STR(q("abcdef", 5), "");
	CHECK_STR(q("abc", 1), "");
}

/* Every buffer size from 0 to past what the value needs: NUL-terminated inside the buffer,
 * nothing written past it, and either the whole value or one that ends in "...". */
static void test_bounds(void)
{
	static const char *const vals[] = { "plain", "with space", "tab\there", "\"\\\"\\",
					    "\x01\x02\x03\x04", "" };
	char buf[80];
	unsigned v, n, len;

	for (v = 0; v < sizeof vals / sizeof *vals; v++)
		for (n = 1; n < 60; n++) {
			memset(buf, 'Z', sizeof buf);
			audit_quote(vals[v], buf, n);
			len = (unsigned)strlen(buf);
			CHECK(len < n);
			CHECK(buf[n] == 'Z');
			if (len >= 5 && buf[0] == '"' && !strcmp(buf + len - 4, "...\""))
				continue;
			if (n < 6 && len == 0)
				continue;
			/* not cut: the value whole */
			CHECK_STR(buf, q(vals[v], sizeof buf));
		}
}

int main(void)
{
	test_quote();
	test_bounds();
	return check_done("test_audit");
}
