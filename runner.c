/* runner.c - pi-runner: run as root through sudo; re-checks the policy, has the launch prepared and planned (launch/), starts systemd-run and stays with the unit.
 *
 * MUST rules kept here:
 * - the command line's grammar is closed: exactly the forms usage() lists, read before
 *   anything acts; no flag selects an internal mode (pi.c's table names those);
 * - as root, every form that acts (--check, --explain, a launch) first lifts the caller's
 *   limits, sets the umask, checks fds 0-2 and saves root's identity (preamble, inherit.c);
 *   pi.c reset the signals: nothing sudo passes on from the caller is trusted;
 * - the invoking user is the one the elevation tool names (caller.c); a different <user>
 *   argument is denied;
 * - the config comes from caller_config_path (under sudo only the compiled-in path) and
 *   must be root's alone;
 * - the policy is checked again with the host user's filesystem identity; a root or cwd with
 *   a control byte is denied; agents of different host users share no group
 *   (config_shared_group); host users sharing one agent account never run at once;
 * - systemd-run runs by absolute path with an environment built from scratch; the runner
 *   stays to stop the unit when it is signalled (systemd-run alone would leave it running);
 * - the agent's Ctrl-Z reaches the runner only as an event of its home directory (watched,
 *   never read): it stops the runner's own job, and fg resumes the unit.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "agentinit.h"
#include "audit.h"
#include "caller.h"
#include "config.h"
#include "fs.h"
#include "hide.h"
#include "ident.h"
#include "inherit.h"
#include "merge.h"
#include "netpolicy.h"
#include "deny.h"
#include "pi.h"
#include "say.h"
#include "policy.h"
#include "proxy.h"
#include "sandbox.h"
#include "check.h"
#include "plan.h"
#include "prepare.h"
#include "project.h"
#include "slice.h"
#include "suspend.h"

enum {
	REPORT_MAX = 1 << 20,     /* bytes of the proxy's refusal report read after a session */
	REPORT_TARGETS = 16,      /* distinct refused targets said to the user */
};

static int usage(FILE *to, int rc)
{
	fprintf(to, "Usage: %s [--env NAME=value]... <invoking-user> <cwd> [pi-args...]\n"
		"       %s --explain [--env NAME=value]... <invoking-user> <cwd> [pi-args...]\n"
		"       %s --check [--offline] [CONFIG]\n"
		"       %s --help | --version\n",
		pi_prog, pi_prog, pi_prog, pi_prog);
	if (to == stdout)
		fputs("Run by pi through sudo as root: re-checks the policy, prepares the agent's "
		      "state and starts it\nwith systemd-run. See pi-runner(8).\n", to);
	return rc;
}

/* The user the elevation tool names (caller.c) must be the user named on the command line;
 * root's own runner may name anyone. */
static int check_caller(const struct config *c, const char *named)
{
	struct caller who;
	char why[512], q[AUDIT_QUOTED(256)];

	if (!caller_tool(c->sudo_path)) {
		pi_say("%s: sudoPath %s is not a tool the runner can learn its caller from (%s); "
		       "pi-runner --check tells more", c->path, c->sudo_path, caller_tools);
		audit("deny", named, NULL, "reason=\"unknown sudoPath\"");
		return -1;
	}
	if (caller_identify(&who, c->sudo_path, why, sizeof why) < 0) {
		pi_say("refused: cannot tell who called: %s", why);
		audit("deny", named, NULL, "reason=\"unknown caller\"");
		return -1;
	}
	if (who.kind == CALLER_USER && strcmp(who.name, named) != 0) {
		pi_plain("Denied: user argument '%s' does not match the invoking user '%s'.",
			 named, who.name);
		audit("deny", who.name, NULL, "reason=\"named another user\" named=%s",
		      audit_quote(named, q, sizeof q));
		return -1;
	}
	return 0;
}

/* Agents of different host users share no group (config_shared_group). */
static int check_groups(struct run *r)
{
	size_t self = (size_t)(r->host - r->c.hosts), i;
	gid_t gid;

	for (i = 0; i < r->c.nhosts; i++)
		if (config_shared_group(&r->c, self, i, &gid)) {
			deny_shared_group("", &r->c, self, i, gid);
			audit("deny", r->user, NULL, "reason=shared-agent-group agent=%s other=%s",
			      r->agent, config_agent_user(&r->c, &r->c.hosts[i]));
			return -1;
		}
	return 0;
}

/* Identities, home, and the policy re-check with the host user's eyes. */
static int check_policy(struct run *r, const char *cwd)
{
	char cmd[256];
	struct passwd *pw = getpwnam(r->user);
	struct group *gr;
	enum policy_result res;
	struct stat st;
	size_t i;

	if (!pw || !pw->pw_dir || !*pw->pw_dir) {
		pi_plain("Unable to determine home directory for user '%s'", r->user);
		return -1;
	}
	snprintf(r->home, sizeof r->home, "%s", pw->pw_dir);
	if (ident_of_user(&r->host_id, r->user, (gid_t)-1) < 0) {
		pi_say("cannot read the groups of user '%s': %s", r->user, strerror(errno));
		return -1;
	}
	if (ident_of_user(&r->agent_id, r->agent, (gid_t)-1) < 0) {
		pi_say("agent account '%s' (group '%s') does not exist: create it (%s) or fix "
		       "user/group in %s", r->agent, r->c.group, pi_create_account(cmd, sizeof cmd,
		       PI_ACCOUNT_AGENT, r->agent, r->host->agent_user ? r->agent : r->c.group),
		       r->c.path);
		return -1;
	}
	gr = getgrgid(r->agent_id.gid);
	if (!gr || strlen(gr->gr_name) >= sizeof r->agent_group) {
		pi_say("the primary group (gid %u) of agent account '%s' is not in /etc/group",
		       (unsigned)r->agent_id.gid, r->agent);
		return -1;
	}
	snprintf(r->agent_group, sizeof r->agent_group, "%s", gr->gr_name);
	r->agent_held = r->agent_id;
	r->agent_id.ngroups = 1;
	r->agent_id.groups[0] = r->agent_id.gid;
	if (check_groups(r) < 0)
		return -1;
	if (ident_enter(&r->host_id) < 0) {
		pi_say("cannot take the identity of '%s': %s", r->user, strerror(errno));
		return -1;
	}
	res = policy_check(&r->pol, &r->host->roots, r->home, cwd);
	if (res != POLICY_ERROR) {
		const char *forbidden[POLICY_OWN_DIRS + 1];

		policy_own_dirs(r->c.state_dir, forbidden);
		res = policy_refuse(&r->pol, &r->host->roots, r->home, r->c.state_dir, forbidden);
		deny_refused(&r->pol);
	}
	if (res == POLICY_ERROR)
		pi_say("cannot resolve the project roots of '%s': %s", r->user, strerror(errno));
	if (res == POLICY_OK) {
		const char *why = stat(r->pol.cwd, &st) < 0 ? strerror(errno) :
				  !S_ISDIR(st.st_mode) ? "not a directory" : NULL;

		if (why) {
			pi_say("cannot use working directory '%s': %s", r->pol.cwd, why);
			res = POLICY_ERROR;
		}
	}
	if (ident_enter(NULL) < 0)
		return pi_root_lost();
	deny_denial(&r->pol, res, r->user, r->c.path);
	for (i = 0; res == POLICY_OK && i <= r->pol.nroots; i++)
		if (config_has_ctl(i < r->pol.nroots ? r->pol.roots[i] : r->pol.cwd)) {
			pi_plain("Denied: project paths of user '%s' must not contain control characters.",
				 r->user);
			res = POLICY_ERROR;
		}
	if (res != POLICY_OK)
		audit("deny", r->user, r->pol.cwd[0] ? r->pol.cwd : cwd, "reason=%s",
		      res == POLICY_OUTSIDE ? "outside-roots" : res == POLICY_NO_ROOTS ?
		      "no-existing-roots" : "policy-error");
	return res == POLICY_OK ? 0 : -1;
}

/* Runs argv in a child with the signals unblocked; returns its pid. */
static pid_t spawn(char *const *argv, char **envp, const sigset_t *old)
{
	posix_spawnattr_t at;
	pid_t pid = -1;
	int err = posix_spawnattr_init(&at);

	/* the child shares our memory until it execs (no copy of it) and gets the old mask */
	if (!err && !(err = posix_spawnattr_setsigmask(&at, old)) &&
	    !(err = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK)))
		err = posix_spawn(&pid, argv[0], NULL, &at, argv, envp);
	posix_spawnattr_destroy(&at);
	if (err) {
		pi_say("cannot run %s: %s", argv[0], strerror(err));
		return -1;
	}
	return pid;
}

/* Waits for a child of ours to end; its status, or 0. */
static int reap(pid_t pid)
{
	int st = 0;

	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return st;
}

/* systemctl A1 [A2] <unit>, from systemd-run's own directory; with out >= 0 its stdout goes
 * there and its stderr to /dev/null (a question whose answer we read), else both are ours. */
static pid_t systemctl(struct run *r, const char *a1, const char *a2, char **envp,
		       const sigset_t *old, int out)
{
	char ctl[PATH_MAX];
	char *argv[] = { ctl, (char *)a1, (char *)a2, r->unit, NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	pid_t pid = -1;
	int err;

	config_systemctl(&r->c, ctl, sizeof ctl);
	if (!a2)
		argv[2] = r->unit, argv[3] = NULL;
	err = posix_spawn_file_actions_init(&fa);
	if (!err && out >= 0 && !(err = posix_spawn_file_actions_adddup2(&fa, out, 1)))
		err = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (!err && !(err = posix_spawnattr_init(&at))) {
		if (!(err = posix_spawnattr_setsigmask(&at, old)) &&
		    !(err = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK)))
			err = posix_spawn(&pid, ctl, &fa, &at, argv, envp);
		posix_spawnattr_destroy(&at);
	}
	posix_spawn_file_actions_destroy(&fa);
	if (err) {
		pi_say("cannot run %s: %s", ctl, strerror(err));
		return -1;
	}
	return pid;
}

/* What `systemctl show -P NAME <unit>` prints, first line, into out (empty on failure). */
static void unit_property(struct run *r, const char *name, char *out, size_t n, char **envp,
			  const sigset_t *old)
{
	char prop[64];
	ssize_t got, len = 0;
	int p[2];
	pid_t pid;

	out[0] = '\0';
	snprintf(prop, sizeof prop, "--property=%s", name);
	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	pid = systemctl(r, "show", prop, envp, old, p[1]);
	close(p[1]);
	while (pid > 0 && (size_t)len < n - 1 &&
	       (got = read(p[0], out + len, n - 1 - (size_t)len)) != 0)
		if (got > 0)
			len += got;
		else if (errno != EINTR)
			break;
	close(p[0]);
	reap(pid);
	out[len] = '\0';
	out[strcspn(out, "\n")] = '\0';
	if (!strncmp(out, name, strlen(name)) && out[strlen(name)] == '=')
		memmove(out, out + strlen(name) + 1, strlen(out + strlen(name) + 1) + 1);
}

struct lookup {
	struct run *r;
	char **envp;
	const sigset_t *old;
};

/* The unit's main process (pi-agent-init), asked of systemd at most a few times a launch:
 * a flood of marks never becomes a flood of lookups. */
static pid_t unit_main_pid(void *ctx)
{
	struct lookup *l = ctx;
	char v[32];
	long pid;

	if (l->r->main_pid > 0 || l->r->main_lookups >= 3)
		return l->r->main_pid;
	l->r->main_lookups++;
	unit_property(l->r, "MainPID", v, sizeof v, l->envp, l->old);
	pid = strtol(v, NULL, 10);
	l->r->main_pid = pid > 1 ? (pid_t)pid : 0;
	return l->r->main_pid;
}

/* Whether our job is the terminal's foreground job: only then may the agent's Ctrl-Z stop it
 * (in an orphaned or background job the stop would not take, and a resume would follow each
 * mark). */
static int foreground(void)
{
	return isatty(0) && tcgetpgrp(0) == getpgrp();
}

/* A watch on the agent home for the mark of the agent's Ctrl-Z (agentinit.c, suspend.c),
 * polled by supervise; only on a terminal, as its foreground job. Else -1: the unit's main
 * process undoes the agent's stops at once. */
static int watch_home(const struct run *r)
{
	return foreground() ? suspend_watch(r->home_fd) : -1;
}

/* The agent stopped itself: our job stops as the shell's Ctrl-Z would stop it (sudo follows
 * its command); on fg the terminal gets back the mode systemd-run set and the unit resumes. */
static void suspend_job(struct run *r, char **envp, const sigset_t *old)
{
	struct termios t;
	int tty = tcgetattr(0, &t) == 0;

	kill(0, SIGTSTP);
	kill(0, SIGCONT);
	if (tty)
		tcsetattr(0, TCSADRAIN, &t);
	systemctl(r, "kill", "--signal=SIGCONT", envp, old, -1);
}

/* The exit status of pi from systemd-run's status: systemd-run says 255 for a main process a
 * signal ended (the whole unit killed: systemctl kill, systemd-oomd), which systemd itself
 * tells apart; then 128+N as when the agent alone is killed. A unit that failed is not kept
 * (systemd-run runs without --collect, so that this question can be asked). */
static int finish(struct run *r, int status, char **envp, const sigset_t *old)
{
	char code[32], sig[32];
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	int fd;

	if (rc == 255) {
		unit_property(r, "ExecMainCode", code, sizeof code, envp, old);
		unit_property(r, "ExecMainStatus", sig, sizeof sig, envp, old);
		/* CLD_KILLED 2, CLD_DUMPED 3: ended by signal ExecMainStatus */
		if ((!strcmp(code, "2") || !strcmp(code, "3")) && atoi(sig) > 0 && atoi(sig) < 65)
			rc = 128 + atoi(sig);
	}
	if (rc != 0 && (fd = open("/dev/null", O_WRONLY | O_CLOEXEC)) >= 0) {
		reap(systemctl(r, "reset-failed", NULL, envp, old, fd));
		close(fd);
	}
	return rc;
}

/* A cover went during the session: says so, puts it on record, and returns a timer ticking every
 * 50 ms for the kills that follow (or -1: then a kill follows each wakeup of the loop). */
static int cover_gone(const struct run *r, const char *path)
{
	const struct itimerspec tick = { .it_interval = { 0, 50000000 }, .it_value = { 0, 50000000 } };
	char q[AUDIT_QUOTED(PATH_MAX)];
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	pi_say("stopped the agent: %s, which it must see as projectConfig \"%s\" shows it, was "
	       "removed, moved or replaced during the session (from a mount namespace made before "
	       "the launch, where it is no mount point)", path, projcfg_name(r->pc.mode));
	audit("stop", r->user, r->pol.cwd, "reason=cover-gone unit=%s path=%s", r->unit,
	      audit_quote(path, q, sizeof q));
	if (fd >= 0 && timerfd_settime(fd, 0, &tick, NULL) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Reads a timer's expirations, if it is one. */
static void drain(int fd)
{
	unsigned long long n;

	if (fd >= 0 && read(fd, &n, sizeof n) < 0)
		n = 0;
}

/* Waits for systemd-run; SIGINT, SIGTERM, SIGHUP or SIGQUIT stop the unit first (systemd-run
 * itself leaves it running), and then the exit status is 128 + the signal. A second signal
 * ends systemd-run itself, should the stop not come through. */
static int supervise(struct run *r, char *const *argv, char **envp)
{
	sigset_t set, old;
	pid_t pid, stopper = -1, w;
	int sig, status = 0, got = 0, sfd, rc;
	struct lookup lk = { r, envp, &old };
	struct signalfd_siginfo si;
	struct pollfd p[4];
	const char *gone = NULL;
	pid_t killer = -1;
	int tick;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGQUIT);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	/* the signals and the Ctrl-Z watch in one poll (fanotify has no SIGIO to send) */
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		pi_say("cannot wait for signals: %s", strerror(errno));
		return EXIT_DENIED;
	}
	pid = spawn(argv, envp, &old);
	if (pid < 0) {
		close(sfd);
		return EXIT_DENIED;
	}
	p[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
	p[1] = (struct pollfd){ .fd = r->watch_fd, .events = POLLIN };
	p[2] = (struct pollfd){ .fd = r->cw.fd, .events = POLLIN };
	p[3] = (struct pollfd){ .fd = -1, .events = POLLIN };
	for (;;) {
		if (poll(p, 4, -1) < 0 && errno != EINTR)
			break;
		/* a cover gone or moved (coverwatch.c): the session is over; the unit is killed, and
		 * killed again every tick until systemd-run ends (before systemd has loaded the unit
		 * a kill finds nothing, and the cover may be back by the time the agent starts) */
		tick = 0;
		if ((p[2].revents & POLLIN) && coverwatch_changed(&r->cw, &gone)) {
			p[2].fd = -1;
			p[3].fd = cover_gone(r, gone);
			tick = 1;                  /* the first kill at once */
		}
		if (p[3].fd >= 0 && (p[3].revents & POLLIN)) {
			drain(p[3].fd);            /* read at every tick, or poll would spin */
			tick = 1;
		}
		/* without a timer, at each wakeup: the last kill's end (SIGCHLD) is one */
		if (gone && (tick || p[3].fd < 0) && killer <= 0)
			killer = systemctl(r, "kill", "--signal=SIGKILL", envp, &old, -1);
		if (r->watch_fd >= 0 && (p[1].revents & POLLIN) &&
		    suspend_marked(r->watch_fd, AGENTINIT_MARK, unit_main_pid, &lk) == 1 &&
		    pid > 0 && !got && foreground())
			suspend_job(r, envp, &old);
		while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
			sig = (int)si.ssi_signo;
			if (sig == SIGCHLD)
				continue;
			if (got && pid > 0)
				kill(pid, SIGTERM);    /* asked twice: stop waiting for the unit */
			if (!got) {
				got = sig;
				stopper = systemctl(r, "stop", NULL, envp, &old, -1);
			}
		}
		while ((w = waitpid(-1, &sig, WNOHANG)) > 0)
			if (w == pid)
				status = sig, pid = 0;
			else if (w == stopper)
				stopper = -1;
			else if (w == killer)
				killer = -1;
			else if (w == r->net.proxy)
				r->net.proxy = 0, audit("proxy-end", r->user, r->pol.cwd,
							"unit=%s status=%d", r->unit, sig);
		if (!pid && stopper <= 0)
			break;
	}
	close(sfd);
	if (p[3].fd >= 0)
		close(p[3].fd);
	reap(killer);
	if (got)
		status = (128 + got) << 8;
	rc = finish(r, status, envp, &old);
	return gone ? EXIT_DENIED : rc;
}

/* Host users who share one agent account never run at the same time: one's agent could read
 * the other's through /proc (same uid). The shared lock is held for the unit's life. Lock names
 * are joined with ":", which no user name holds: "account-pi-x" was both agent "pi" with user
 * "x" and agent "pi-x". */
static int claim_account(struct run *r)
{
	char name[300];
	const struct host_user *h;
	int check, fd;
	size_t i;

	snprintf(name, sizeof name, "account:%s.lock", r->agent);
	check = fs_lock(r->runtime_fd, name);
	if (check < 0)
		return -1;
	for (i = 0; i < r->c.nhosts; i++) {
		h = &r->c.hosts[i];
		if (h == r->host || strcmp(config_agent_user(&r->c, h), r->agent) != 0)
			continue;
		snprintf(name, sizeof name, "account:%s:%s.lock", r->agent, h->name);
		fd = openat(r->runtime_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK) {
			pi_say("the agent account '%s' is in use by the agent of %s; host users who "
			       "share an account run one at a time: give each its own "
			       "(hostUsers.%s.agentUser in %s)", r->agent, h->name, r->user, r->c.path);
			close(fd);
			close(check);
			errno = EBUSY;
			return -1;
		}
		if (fd >= 0)
			close(fd);
	}
	snprintf(name, sizeof name, "account:%s:%s.lock", r->agent, r->user);
	r->account_fd = openat(r->runtime_fd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (r->account_fd < 0 || flock(r->account_fd, LOCK_SH) < 0) {
		pi_say("cannot lock %s/%s: %s", PI_RUNTIME_DIR, name, strerror(errno));
		close(check);
		return -1;
	}
	close(check);
	return 0;
}

static void audit_launch(const struct run *r)
{
	size_t i, j = 0, len = 1;
	char *roots, *q = NULL, slice[300];

	for (i = 0; i < r->pol.nroots; i++)
		len += strlen(r->pol.roots[i]) + 1;
	roots = malloc(len);
	if (roots && !(q = malloc(AUDIT_QUOTED(len))))
		free(roots), roots = NULL;
	if (roots) {
		roots[0] = '\0';
		for (i = 0; i < r->pol.nroots; i++)
			j += (size_t)snprintf(roots + j, len - j, "%s%s", i ? "," : "",
					      r->pol.roots[i]);
	}
	/* all of them: audit() sends lines up to AUDIT_LINE, and says where it had to cut */
	audit("launch", r->user, r->pol.cwd, "agent=%s unit=%s slice=%s roots=%s network=%s",
	      r->agent, r->unit, resources_slice(r->user, slice, sizeof slice) ? "-" : slice,
	      roots ? audit_quote(roots, q, AUDIT_QUOTED(len)) : "\"(no memory)\"",
	      config_network(&r->c, r->host)->mode);
	free(roots);
	free(q);
}

/* The proxy's account (netns.c), or -1 after saying why. */
static int proxy_identity(const struct run *r, struct ident *id)
{
	char cmd[256];

	if (netns_proxy_account(&r->c, id) == 0)
		return 0;
	if (errno == EPERM)
		pi_say("cannot start the network proxy as '%s': proxyUser must be an account of its "
		       "own, not root, an agent account or a host user", r->c.proxy_user);
	else if (errno == ENOENT)
		pi_say("cannot start the network proxy: its account '%s' does not exist (create it: "
		       "%s, or set proxyUser in %s)", r->c.proxy_user, pi_create_account(cmd,
		       sizeof cmd, PI_ACCOUNT_PROXY, r->c.proxy_user, NULL), r->c.path);
	else
		pi_say("cannot start the network proxy: its account '%s': %s", r->c.proxy_user,
		       strerror(errno));
	return -1;
}

/* pi-proxy --fd 3 --user U --unit N --allow E... --deny E..., as the proxy account, serving
 * the namespace's socket, its refusals reported on a pipe whose read end is *report (or -1
 * when the pipe could not be made: the launch goes on without the report); *step names the
 * limit it could not be given, or is NULL. */
static int start_proxy(struct run *r, const struct ident *id, int *report, const char **step)
{
	const struct config_network *net = config_network(&r->c, r->host);
	char **v = calloc(10 + 2 * (net->allow.n + net->deny.n), sizeof *v);
	size_t i, n = 0;
	int rc, p[2];

	*report = -1;
	*step = NULL;
	if (!v)
		return -1;
	v[n++] = PROXY_NAME, v[n++] = "--fd", v[n++] = "3";
	v[n++] = "--user", v[n++] = (char *)r->user, v[n++] = "--unit", v[n++] = r->unit;
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
		fcntl(p[0], F_SETPIPE_SZ, REPORT_MAX);
		r->net.report_fd = p[1];
		*report = p[0];
		v[n++] = "--report-fd", v[n++] = "5";
	}
	for (i = 0; i < net->allow.n; i++)
		v[n++] = "--allow", v[n++] = net->allow.v[i];
	for (i = 0; i < net->deny.n; i++)
		v[n++] = "--deny", v[n++] = net->deny.v[i];
	rc = netns_start_proxy(&r->net, id, v, step);
	free(v);
	if (r->net.report_fd >= 0)
		close(r->net.report_fd);
	r->net.report_fd = -1;
	if (rc < 0 && *report >= 0) {
		close(*report);
		*report = -1;
	}
	return rc;
}

/* A reported target as the proxy writes it: a host name or address, then :port. */
static int plain_target(const char *s)
{
	size_t n = strlen(s);

	return n > 2 && n < NETPOL_HOST_MAX + 10 && strchr(s, ':') &&
	       s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")] == '\0';
}

/* After the session: the allowlist's refusals the proxy reported, once each with a count (the
 * agent saw a 403 or a retry; the reason is in the journal, which the user cannot read). */
static void say_refusals(const struct run *r, int fd)
{
	struct { char target[NETPOL_HOST_MAX + 10]; unsigned n; } seen[REPORT_TARGETS];
	char *buf = NULL, *line, *next;
	size_t len = 0, nseen = 0, i, more = 0;

	if (fd < 0)
		return;
	buf = malloc(REPORT_MAX + 1);
	while (buf && len < REPORT_MAX) {
		ssize_t got = read(fd, buf + len, REPORT_MAX - len);

		if (got <= 0 && !(got < 0 && errno == EINTR))
			break;
		if (got > 0)
			len += (size_t)got;
	}
	close(fd);
	if (!buf)
		return;
	buf[len] = '\0';
	for (line = buf; line < buf + len; line = next) {
		next = strchr(line, '\n');
		if (!next)
			break;
		*next++ = '\0';
		if (!plain_target(line))
			continue;
		for (i = 0; i < nseen && strcmp(seen[i].target, line); i++)
			;
		if (i < nseen)
			seen[i].n++;
		else if (nseen < REPORT_TARGETS) {
			snprintf(seen[nseen].target, sizeof seen[nseen].target, "%s", line);
			seen[nseen++].n = 1;
		} else
			more++;
	}
	free(buf);
	for (i = 0; i < nseen; i++)
		pi_say("the allowlist refused %s (%ux): ask an admin to add it to %s%s%snetwork.allow "
		       "in %s", seen[i].target, seen[i].n, r->host->network ? "hostUsers." : "",
		       r->host->network ? r->user : "", r->host->network ? "." : "", r->c.path);
	if (more)
		pi_say("the allowlist refused %zu more connections to other targets (the journal "
		       "names them: pi-proxy's deny lines)", more);
}

/* One line for each root that falls back to group mode. */
static void say_fallbacks(const struct run *r)
{
	char why[512];
	size_t i;

	for (i = 0; i < r->mnt.n; i++)
		if (r->mnt.access[i].call) {
			plan_no_idmap(r, &r->mnt.access[i], why, sizeof why);
			pi_say("warning: %s: %s", r->pol.roots[i], why);
		}
}

/* A root reached without an idmapped mount gives the agent the project group's rights and
 * the others' bits, not its user's: it must be the user's own directory and hold no other
 * host user's root, or the agent could reach what its user cannot. */
static int check_group_roots(const struct run *r)
{
	char who[256], q[AUDIT_QUOTED(PATH_MAX)], owner[64];
	struct passwd *pw;
	size_t i;
	int in;

	for (i = 0; i < r->mnt.n; i++) {
		if (r->mnt.access[i].idmapped)
			continue;
		in = 0;
		if (r->mnt.access[i].owner != r->host_id.uid) {
			pw = getpwuid(r->mnt.access[i].owner);
			snprintf(owner, sizeof owner, "%s", pw ? pw->pw_name : "another account");
			pi_say("refused: project root %s is %s's, not yours: without an idmapped mount "
			       "the agent would reach it through %s, beyond your own rights; remove it "
			       "from hostUsers.%s.projectRoots or make it yours", r->pol.roots[i], owner,
			       r->c.project_group ? "projectGroup" : "group and other permissions",
			       r->user);
		} else if ((in = hide_holds_other(&r->c, r->user, r->host_id.uid, r->pol.roots[i],
						  who, sizeof who)) != 0) {
			if (in < 0)
				pi_say("cannot resolve the roots of the other host users: %s",
				       strerror(errno));
			else
				pi_say("refused: project root %s holds a project root of %s: without an "
				       "idmapped mount the agent would reach it through %s, beyond your own "
				       "rights", r->pol.roots[i], who, r->c.project_group ?
				       "projectGroup" : "group and other permissions");
		} else
			continue;
		audit("deny", r->user, r->pol.cwd, "reason=group-root root=%s",
		      audit_quote(r->pol.roots[i], q, sizeof q));
		return -1;
	}
	return 0;
}

/* On an idmapped root the agent falls in a file's group class only through a group it holds
 * that stands for one of its user's (idmap.c): a group of the user's with none to stand for it
 * would leave the agent the others' bits where that group's deny the user. */
static int check_stand_ins(const struct run *r)
{
	char names[700], q[AUDIT_QUOTED(sizeof names)];
	size_t n = plan_unpaired(&r->host_id, &r->agent_held, names, sizeof names);

	if (!n || !mounts_any_idmapped(&r->mnt))
		return 0;
	pi_say("refused: agent account '%s' has no group to stand for your group%s %s on the "
	       "idmapped project roots: there it would read by the others' permissions what %s "
	       "from you; give it %zu group%s of its own (groupadd --system %s-g1 && usermod -a -G "
	       "%s-g1 %s)", r->agent, n > 1 ? "s" : "", names, n > 1 ? "those groups keep" :
	       "that group keeps", n, n > 1 ? "s" : "", r->agent, r->agent, r->agent);
	audit("deny", r->user, r->pol.cwd, "reason=idmap-groups agent=%s groups=%s", r->agent,
	      audit_quote(names, q, sizeof q));
	return -1;
}

static int launch(struct run *r, char **args, size_t nargs)
{
	const char *term = plan_term();
	char term_env[80], q[AUDIT_QUOTED(PATH_MAX)];
	char *envp[3] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL, NULL };
	struct argv a = { 0 };
	struct hide others = { 0 };
	int rc = EXIT_DENIED, launched = 0;

	const char *bad, *step;
	struct idmap map;
	struct ident proxy_id;
	int allowlist = config_allowlist(&r->c, r->host), report = -1;

	if (allowlist && proxy_identity(r, &proxy_id) < 0) {
		audit("fail", r->user, r->pol.cwd, "reason=proxy-account");
		return EXIT_DENIED;
	}
	if (slice_devices(r->host, q, sizeof q) < 0 ||
	    slice_apply(&r->c, r->host, r->runtime_fd, SLICE_SYSROOT, q, sizeof q) < 0) {
		pi_say("%s: %s", r->c.path, q);
		audit("deny", r->user, r->pol.cwd, "reason=resources");
		return EXIT_DENIED;
	}
	if (claim_account(r) < 0) {
		audit("deny", r->user, r->pol.cwd, "reason=account-busy agent=%s", r->agent);
		return EXIT_DENIED;
	}
	mounts_reap();
	if (mounts_stage(&r->mnt, r->pol.roots, r->pol.nroots, &r->host_id, plan_idmap(r, &map),
			 &bad) < 0) {
		pi_say("cannot stage project root %s: %s", bad, errno == ELOOP ?
		       "it was replaced by a link during the launch" : errno == EMEDIUMTYPE ?
		       "it is on a kernel or runtime filesystem" : strerror(errno));
		audit("deny", r->user, r->pol.cwd, "reason=root-changed root=%s",
		      audit_quote(bad, q, sizeof q));
		return EXIT_DENIED;
	}
	if (check_group_roots(r) < 0 || check_stand_ins(r) < 0)
		goto out;
	if (project_cover(r) < 0) {
		audit("deny", r->user, r->pol.cwd, "reason=project-changed");
		goto out;
	}
	say_fallbacks(r);
	if (allowlist && netns_create(&r->net, &step) < 0) {
		pi_say("cannot make the network namespace of the agent: cannot %s: %s", step,
		       strerror(errno));
		audit("fail", r->user, r->pol.cwd, "reason=netns");
		goto out;
	}
	r->watch_fd = watch_home(r);
	if (hide_for_launch(&others, &r->c, r->user, r->pol.roots, r->pol.nroots, r->pol.cwd) < 0) {
		deny_others_unresolved(errno);
		goto out;
	}
	if (plan_argv(r, args, nargs, others.v, others.n, &a) < 0)
		goto out;
	if (allowlist && start_proxy(r, &proxy_id, &report, &step) < 0) {
		pi_say("cannot start the network proxy as '%s': %s%s%s%s", r->c.proxy_user,
		       step ? "cannot " : "", step ? step : "", step ? ": " : "", strerror(errno));
		audit("fail", r->user, r->pol.cwd, "reason=proxy-start");
		goto out;
	}
	if (term && (isatty(0) || isatty(1) || isatty(2))) {
		snprintf(term_env, sizeof term_env, "TERM=%s", term);
		envp[1] = term_env;
	}
	/* preparation is over: the next launch of this user may start */
	close(r->lock_fd);
	close(r->runtime_fd);
	close(r->home_fd);
	close(r->agent_dir_fd);
	audit_launch(r);
	rc = supervise(r, a.v, envp);
	/* the agent's full-screen interface cleared what was said before it: say it again */
	if (isatty(2))
		pi_say_again();
	if (r->watch_fd >= 0)
		close(r->watch_fd);
	launched = 1;
out:    /* the one way out once a root is staged */
	netns_release(&r->net);
	if (launched)
		say_refusals(r, report);
	mounts_release(&r->mnt);
	if (launched)
		audit("end", r->user, r->pol.cwd, "unit=%s status=%d", r->unit, rc);
	sandbox_argv_free(&a);
	hide_free(&others);
	return rc;
}

/* The forms the runner accepts, read before anything acts; anything else is a usage error. */
enum form { FORM_HELP, FORM_VERSION, FORM_CHECK, FORM_LAUNCH, FORM_EXPLAIN };

/* [--explain] [--env NAME=value]... USER CWD [ARGS...]: into r, or -1. */
static int parse_launch(int argc, char **argv, struct run *r, enum form *f)
{
	int i = 1;

	*f = FORM_LAUNCH;
	if (i < argc && !strcmp(argv[i], "--explain"))
		*f = FORM_EXPLAIN, i++;
	/* --env NAME=value: the caller's terminal and locale, which sudo's env_reset drops */
	for (; i + 1 < argc && !strcmp(argv[i], "--env"); i += 2) {
		if (!sandbox_term_var(argv[i + 1]) || r->nterm_vars == RUN_TERM_VARS)
			return -1;
		r->term_vars[r->nterm_vars++] = argv[i + 1];
	}
	if (argc - i < 2 || argv[i][0] == '-' || !argv[i][0] || argv[i + 1][0] != '/')
		return -1;
	r->user = argv[i];
	r->cwd = argv[i + 1];
	r->args = argv + i + 2;
	r->nargs = (size_t)(argc - i - 2);
	return 0;
}

static int parse(int argc, char **argv, struct run *r, enum form *f)
{
	if (argc == 2 && !strcmp(argv[1], "--help"))
		return *f = FORM_HELP, 0;
	if (argc == 2 && !strcmp(argv[1], "--version"))
		return *f = FORM_VERSION, 0;
	if (argc >= 2 && !strcmp(argv[1], "--check")) {
		*f = FORM_CHECK;
		return check_args(argc - 1, argv + 1, &r->check_offline, &r->check_path) ? -2 : 0;
	}
	return parse_launch(argc, argv, r, f);
}

/* What every form run as root does first: nothing the caller hands over is trusted (pi.c
 * reset the signals already). */
static int preamble(const char *user, const char *cwd)
{
	char why[256];
	const char *limit;

	audit_open(pi_prog);
	if (inherit_reset_limits(&limit) < 0) {
		pi_say("cannot lift the caller's %s limit: %s", limit, strerror(errno));
		return -1;
	}
	if (inherit_check_stdio(why, sizeof why) >= 0) {
		pi_say("refused: %s", why);
		audit("deny", user, cwd, "reason=bad-stdio");
		return -1;
	}
	if (ident_save_root() < 0) {
		pi_say("cannot read root's own identity: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* A launch or its --explain, as root: the caller, the config, the policy, then the work. */
static int run_launch(struct run *r, int explain)
{
	struct config_err e;
	int rc;

	if (config_load(&r->c, caller_config_path(), CONFIG_TRUST_ROOT, &e) < 0) {
		pi_say_config_error(caller_config_path(), &e);
		audit("fail", r->user, r->cwd, "reason=config-error");
		return EXIT_DENIED;
	}
	if (check_caller(&r->c, r->user) < 0)
		return EXIT_DENIED;
	r->host = config_host(&r->c, r->user);
	if (!r->host) {
		deny_not_allowed(r->user, r->c.command_name, r->c.path);
		audit("deny", r->user, r->cwd, "reason=not-in-hostUsers");
		return EXIT_DENIED;
	}
	r->agent = config_agent_user(&r->c, r->host);
	if (check_policy(r, r->cwd) < 0)
		return EXIT_DENIED;
	if (snprintf(r->agent_home, sizeof r->agent_home, "%s/users/%s", r->c.state_dir,
		     r->user) >= (int)sizeof r->agent_home - 16 ||
	    policy_expand(r->host->config_path ? r->host->config_path : r->c.host_config_path,
			  r->home, r->source, sizeof r->source - 16) < 0) {
		pi_say("the state or config path of user '%s' is too long", r->user);
		return EXIT_DENIED;
	}
	snprintf(r->agent_dir, sizeof r->agent_dir, "%s/.pi/agent", r->agent_home);
	snprintf(r->env_file, sizeof r->env_file, "%s/%s.env", PI_RUNTIME_DIR, r->user);
	snprintf(r->host_env_file, sizeof r->host_env_file, "%s/%s.env.host", PI_RUNTIME_DIR,
		 r->user);
	if (explain)
		return check_explain(r, r->args, r->nargs);
	if (prepare_run(r) < 0) {
		audit("fail", r->user, r->pol.cwd, "reason=prepare-failed");
		return EXIT_DENIED;
	}
	if (plan_agent_path(&r->c, r->agent_bin, sizeof r->agent_bin) < 0) {
		deny_no_agent(&r->c, r->agent_bin);
		audit("fail", r->user, r->pol.cwd, "reason=agent-missing");
		return EXIT_NO_AGENT;
	}
	if (project_plan(r, 1) < 0) {
		project_release(r);
		audit("fail", r->user, r->pol.cwd, "reason=project-config");
		return EXIT_DENIED;
	}
	rc = launch(r, r->args, r->nargs);
	project_release(r);
	return rc;
}

int runner_main(int argc, char **argv)
{
	struct run r;
	enum form f;

	memset(&r, 0, sizeof r);
	r.say = pi_say;
	r.root_lost = pi_root_lost;
	r.runtime_fd = r.home_fd = r.agent_dir_fd = r.lock_fd = r.account_fd = r.watch_fd = -1;
	r.net.report_fd = -1;
	r.net.ns_fd = r.net.listen_fd = -1;
	switch (parse(argc, argv, &r, &f)) {
	case -1:
		return usage(stderr, EXIT_USAGE);
	case -2:
		return EXIT_USAGE;             /* --check's own usage, said */
	}
	if (f == FORM_HELP)
		return usage(stdout, 0);
	if (f == FORM_VERSION)
		return pi_version();
	if (geteuid() == 0 && preamble(r.user, r.cwd) < 0)
		return EXIT_DENIED;
	if (f == FORM_CHECK)
		return check_config(r.check_offline, r.check_path);
	return run_launch(&r, f == FORM_EXPLAIN);
}
