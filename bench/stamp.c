/* stamp.c - the launch benchmark's stand-in for systemd-run: notes when it was started, exits 0.
 *
 * Writes the CLOCK_MONOTONIC time of its start, in nanoseconds, to the file "stamp" beside
 * its own bin directory (BIN/../stamp), for timeit -e: a launch is timed up to the exec of
 * systemd-run, the point where the launcher's work is done.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(void)
{
	struct timespec ts;
	char path[PATH_MAX], line[32];
	char *slash;
	ssize_t n;
	int fd, len;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	n = readlink("/proc/self/exe", path, sizeof path - 8);
	if (n <= 0)
		return 1;
	path[n] = '\0';
	if (!(slash = strrchr(path, '/')))
		return 1;
	*slash = '\0';		/* BIN */
	if (!(slash = strrchr(path, '/')))
		return 1;
	strcpy(slash, "/stamp");
	len = snprintf(line, sizeof line, "%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, (size_t)len) != len)
		return 1;
	return close(fd) < 0;
}
