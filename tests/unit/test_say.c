// links: say.c
/* test_say.c - pi_say and pi_say_again: every message printed whole, the warnings kept once, from both of the sync's threads. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "say.h"

enum { THREADS = 4, EACH = 5000 };

static pthread_barrier_t start;

/* One of the sync's threads: a warning per skipped entry (prepare.c sync_warning). */
static void *warner(void *arg)
{
	int i;

	pthread_barrier_wait(&start);
	for (i = 0; i < EACH; i++)
		pi_say("warning: skipped %ld/%d: a FIFO", (long)(size_t)arg, i);
	return NULL;
}

/* Runs fn with stderr in a temporary file; what it wrote, in out. */
static void captured(void (*fn)(void), char *out, size_t n)
{
	FILE *f = tmpfile();
	int saved = dup(2);
	size_t got;

	fflush(stderr);
	dup2(fileno(f), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(f);
	got = fread(out, 1, n - 1, f);
	out[got] = '\0';
	fclose(f);
}

static void say_long(void)
{
	char path[3000];

	memset(path, 'd', sizeof path - 1);
	path[sizeof path - 1] = '\0';
	pi_say("as root, chgrp -R g /%s && chmod -R g+rwX /%s", path, path);
}

/* A message longer than the copy kept is still printed whole. */
static void test_whole(void)
{
	static char out[8192];
	size_t len;

	captured(say_long, out, sizeof out);
	len = strlen(out);
	CHECK_INT(len, strlen("pi: as root, chgrp -R g / && chmod -R g+rwX /\n") + 2 * 2999);
	CHECK(len > 0 && out[len - 1] == '\n');
}

static void say_from_threads(void)
{
	pthread_t t[THREADS];
	long i;

	pthread_barrier_init(&start, NULL, THREADS);
	for (i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, warner, (void *)i);
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start);
}

/* Warnings said from several threads at once: eight kept, each once, the rest counted. */
static void test_threads(void)
{
	static char out[1 << 16];
	char want[64];
	const char *p;
	int kept = 0;

	captured(say_from_threads, out, sizeof out);
	captured(pi_say_again, out, sizeof out);
	for (p = out; (p = strstr(p, "pi:   warning: skipped ")); p++)
		kept++;
	CHECK_INT(kept, 8);
	snprintf(want, sizeof want, "pi:   and %d more warnings\n", THREADS * EACH - 8);
	CHECK(strstr(out, want) != NULL);
}

int main(void)
{
	test_whole();
	test_threads();
	return check_done("test_say");
}
