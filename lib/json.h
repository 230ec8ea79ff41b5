/* json.h - JSON documents: jsmn tokens over the text, strictly validated, with accessors. */
#ifndef JSON_H
#define JSON_H
#include <stddef.h>

#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#define JSMN_HEADER
#include <jsmn.h>

enum {
	JSON_MAX_DEPTH = 512,             /* nesting of arrays and objects */
	JSON_MAX_SIZE = 16 << 20,         /* bytes of one document */
	JSON_MAX_NUMBER = 4300,           /* characters of one number (Python's int limit) */
};

enum json_kind { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json_doc {
	char *text;       /* owned (unless borrowed), NUL-terminated */
	size_t len;
	jsmntok_t *tok;   /* owned; tok[0] is the top-level value */
	int ntok;
	int *sub;         /* lazy documents only: tokens in each top-level value, by index */
	char plain;       /* no backslash and no byte >= 0x7f: strings print as they are */
	char borrowed;    /* text is another document's (json_expand) */
};

/* Where and why a document is invalid. line and col are 1-based (col in bytes). */
struct json_err {
	int line, col;
	char msg[80];
};

/* Parses text[0..len) (NUL-terminated, malloc'd); the document owns text even on failure.
 * Rejects what Python's json.load rejects, plus NaN/Infinity, numbers that overflow a
 * double, numbers longer than JSON_MAX_NUMBER, invalid UTF-8, and depth > JSON_MAX_DEPTH. */
int json_parse(struct json_doc *d, char *text, size_t len, struct json_err *e);
/* Reads fd whole (at most JSON_MAX_SIZE; EFBIG beyond) and parses it. errno set on a read error
 * (e->msg then empty), e set on a syntax error (errno = EINVAL). */
int json_load(struct json_doc *d, int fd, struct json_err *e);
/* Like json_parse and json_load, but only the top level is tokenized: the values inside
 * the top-level container are tokens without children until json_expand. The whole text is
 * still validated first. For a document walked once, like a merge's base: its token array
 * never exists whole. */
int json_parse_lazy(struct json_doc *d, char *text, size_t len, struct json_err *e);
int json_load_lazy(struct json_doc *d, int fd, struct json_err *e);
/* 0 for a lazy document's container value whose children are not tokenized. */
int json_expanded(const struct json_doc *d, int i);
/* Tokenizes that value (jsmn) into x, which borrows d's text: x's token 0 is the value.
 * json_free(x) before d. -1 with errno EINVAL if i needs no expanding, ENOMEM. */
int json_expand(const struct json_doc *d, int i, struct json_doc *x);
void json_free(struct json_doc *d);

enum json_kind json_kind(const struct json_doc *d, int i);
/* Index of the token after the whole value at i. */
int json_next(const struct json_doc *d, int i);
/* Walks an object's members: start with *it = 0; returns 1 with *key, *val set, 0 at the end. */
int json_member(const struct json_doc *d, int obj, int *it, int *key, int *val);
/* Walks an array's elements the same way. */
int json_element(const struct json_doc *d, int arr, int *it, int *val);
/* Value of the last member named key (decoded comparison), or -1. */
int json_find(const struct json_doc *d, int obj, const char *key);
/* Decoded string at i, malloc'd. NULL with errno EINVAL if i is not a string or the
 * string contains U+0000 or a lone surrogate. */
char *json_str(const struct json_doc *d, int i);
/* Walks the decoded string at i: start with *pos = 0; returns the next code point (a lone
 * surrogate as itself, U+D800..U+DFFF), or -1 at the end or if i is not a string. */
long json_codepoint(const struct json_doc *d, int i, size_t *pos);
/* Writes the decoded string at i to out as generalized UTF-8 (U+0000 and lone surrogates
 * kept, so bytes compare in code point order); out holds at least the token's length.
 * Returns the bytes written (0 if i is not a string). */
size_t json_decode(const struct json_doc *d, int i, char *out);
/* Nonzero when the decoded string at i equals s. */
int json_streq(const struct json_doc *d, int i, const char *s);
/* 1 for true, 0 for false (i must be JSON_BOOL). */
int json_true(const struct json_doc *d, int i);
/* 1-based line and column of the token at i. */
void json_where(const struct json_doc *d, int i, int *line, int *col);
#endif
