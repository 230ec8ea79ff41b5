/* merge.h - the seed's deep merge, printed byte for byte like Python's json.dump(indent=2, sort_keys=True). */
#ifndef MERGE_H
#define MERGE_H
#include "json.h"

/* A value inside a document; tok < 0 means absent. */
struct json_val {
	const struct json_doc *doc;
	int tok;
};

/* Writes deep_merge(base, over) to fd as Python's json.dump(obj, indent=2, sort_keys=True)
 * followed by "\n". A top level that is absent or not an object counts as {}. Objects merge
 * recursively; any other value of over (null included) replaces; keys only in base stay;
 * duplicate keys: the last wins. Returns 0, or -1 with errno from write(2). */
int merge_json(int fd, struct json_val base, struct json_val over);
#endif
