// links: ident.c
/* test_ident.c - unit tests for borrowed identities: ids, groups and an empty effective capability set on every thread. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "ident.h"

static const struct ident nobody = { 65534, 65534, 1, { 65534 } };
static unsigned long long full;         /* root's effective set at the start */

/* The calling thread's effective capabilities, from /proc/thread-self/status. */
static unsigned long long cap_eff(void)
{
	char line[256];
	unsigned long long v = ~0ULL;
	FILE *f = fopen("/proc/thread-self/status", "r");

	while (f && fgets(line, sizeof line, f))
		if (sscanf(line, "CapEff: %llx", &v) == 1)
			break;
	if (f)
		fclose(f);
	return v;
}

/* As nobody: no capability at all, and a root-only file stays closed; back: all of them. */
static void *borrow(void *arg)
{
	const char *secret = arg;
	int fd;

	CHECK_INT(ident_enter(&nobody), 0);
	CHECK_INT(cap_eff(), 0);
	CHECK_INT(setfsuid((uid_t)-1), 65534);
	fd = open(secret, O_RDONLY);
	CHECK(fd < 0 && errno == EACCES);
	if (fd >= 0)
		close(fd);
	/* a second borrowed identity from a borrowed one: the switch still works */
	CHECK_INT(ident_enter(&nobody), 0);
	CHECK_INT(cap_eff(), 0);
	CHECK_INT(ident_enter(NULL), 0);
	CHECK_INT(cap_eff(), full);
	CHECK_INT(setfsuid((uid_t)-1), 0);
	fd = open(secret, O_RDONLY);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	return NULL;
}

/* A thread started while the main thread is borrowed switches for itself, and the main
 * thread's borrowed state is its own. */
static void test_threads(const char *secret)
{
	pthread_t t;

	CHECK_INT(ident_enter(&nobody), 0);
	CHECK_INT(pthread_create(&t, NULL, borrow, (void *)secret), 0);
	pthread_join(t, NULL);
	CHECK_INT(cap_eff(), 0);
	CHECK_INT(ident_enter(NULL), 0);
	CHECK_INT(cap_eff(), full);
}

int main(void)
{
	char dir[] = "/tmp/pi-ident-XXXXXX";
	const char *secret;
	int fd;

	if (getuid() != 0) {
		printf("ident: needs root\n");
		return 1;
	}
	full = cap_eff();
	CHECK(full != 0 && full != ~0ULL);
	CHECK(mkdtemp(dir) != NULL);
	secret = check_path(dir, "secret");
	fd = open(secret, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	chmod(dir, 0755);
	CHECK_INT(ident_enter(&nobody), -1);      /* nothing saved to return to yet */
	CHECK_INT(ident_save_root(), 0);
	borrow((void *)secret);
	test_threads(secret);
	unlink(secret);
	rmdir(dir);
	return check_done("ident");
}
