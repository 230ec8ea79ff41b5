/* suspend.c - the agent's Ctrl-Z, as the unit's main process announces it: a watch on the agent home that believes only that process.
 *
 * MUST rules kept here:
 * - the announcement is a file the unit's main process (pi-agent-init) creates in the agent
 *   home; the agent, the same account, can create that file too, so a creation counts only
 *   when the kernel reports that process as its creator (fanotify gives the pid; inotify
 *   gives nobody): an agent's own mark is read and dropped;
 * - the main process's pid is asked of systemd only when a creation of the mark is seen, and
 *   never per event otherwise: a flood of the agent's files costs a read of the queue;
 * - nothing of an event is followed or opened: the name is compared, the handle ignored.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <sys/fanotify.h>
#include <unistd.h>

#include "suspend.h"

int suspend_watch(int dirfd)
{
	int fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK | FAN_REPORT_DFID_NAME,
			       O_RDONLY | O_CLOEXEC), e;

	if (fd < 0)
		return -1;
	if (fanotify_mark(fd, FAN_MARK_ADD | FAN_MARK_ONLYDIR, FAN_CREATE, dirfd, NULL) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* The name an event's directory-fid record carries, or NULL. */
static const char *event_name(const struct fanotify_event_metadata *m)
{
	const char *p = (const char *)m + m->metadata_len, *end = (const char *)m + m->event_len;
	const struct fanotify_event_info_fid *fid;
	const struct file_handle *h;
	const char *name;

	while (p + sizeof *fid <= end) {
		fid = (const struct fanotify_event_info_fid *)(const void *)p;
		if (fid->hdr.len < sizeof *fid || p + fid->hdr.len > end)
			return NULL;
		if (fid->hdr.info_type == FAN_EVENT_INFO_TYPE_DFID_NAME &&
		    fid->hdr.len >= sizeof *fid + sizeof *h) {
			h = (const struct file_handle *)(const void *)fid->handle;
			name = (const char *)h->f_handle + h->handle_bytes;
			if (name < p + fid->hdr.len && memchr(name, '\0', (size_t)(p + fid->hdr.len - name)))
				return name;
		}
		p += fid->hdr.len;
	}
	return NULL;
}

int suspend_marked(int fd, const char *name, pid_t (*main_pid)(void *), void *ctx)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	const struct fanotify_event_metadata *m;
	pid_t main = -1;
	ssize_t n;
	int hit = 0;
	const char *got;

	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (m = (const void *)buf; FAN_EVENT_OK(m, n); m = FAN_EVENT_NEXT(m, n)) {
			if (m->vers != FANOTIFY_METADATA_VERSION || !(m->mask & FAN_CREATE))
				continue;
			got = event_name(m);
			if (!got || strcmp(got, name) != 0)
				continue;
			if (main < 0)
				main = main_pid(ctx);
			hit |= main > 0 && m->pid == main;
		}
	if (n < 0 && errno != EAGAIN && errno != EINTR)
		return -1;
	return hit;
}
