/* check.h - the tiny assertion helper every C unit test uses. */
#ifndef CHECK_H
#define CHECK_H
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int check_failed, check_run;

#define CHECK(cond) do { check_run++; if (!(cond)) { check_failed++; \
	fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); } } while (0)
#define CHECK_STR(a, b) do { const char *a_ = (a), *b_ = (b); check_run++; \
	if (!a_ || !b_ || strcmp(a_, b_) != 0) { check_failed++; \
	fprintf(stderr, "%s:%d: CHECK_STR failed: %s\n  got:  \"%s\"\n  want: \"%s\"\n", \
		__FILE__, __LINE__, #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } } while (0)
#define CHECK_INT(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); check_run++; \
	if (a_ != b_) { check_failed++; fprintf(stderr, "%s:%d: CHECK_INT failed: %s = %lld, want %lld\n", \
		__FILE__, __LINE__, #a, a_, b_); } } while (0)

/* dir/rel in one of eight rotating buffers (a call may use several): paths in a test's
 * scratch directory. */
static inline const char *check_path(const char *dir, const char *rel)
{
	static char buf[8][4096];
	static int k;

	k = (k + 1) % 8;
	snprintf(buf[k], sizeof buf[k], "%s/%s", dir, rel);
	return buf[k];
}

/* Writes text to dir/rel (created or truncated, 0644); a failure is said on stderr, for the
 * checks that follow to catch. */
static inline void check_put(const char *dir, const char *rel, const char *text)
{
	const char *path = check_path(dir, rel);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		fprintf(stderr, "setup: cannot write %s: %s\n", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* Prints the closing line the CI reads: "N passed, N failed". */
static inline int check_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_run - check_failed, check_failed);
	return check_failed ? 1 : 0;
}
#endif
