/* asan-options.c - linked into the sanitizer build only: leak checks stay in the unit tests,
 * because the personalities exit from main without freeing what the kernel reclaims anyway. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "detect_leaks=0:abort_on_error=0:exitcode=99";
}
