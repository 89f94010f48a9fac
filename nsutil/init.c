/* The per-leaf init: holds the leaf's namespaces, is pid 1 of its pid namespace, reaps
 * orphans and forwards signals. It starts as a cloned copy of the caller, which keeps to
 * plain system calls (like spawn's child) while it sets up the namespaces, then execs
 * /proc/self/exe as "lmctl-init" so it holds no copy of the agent's memory; that image
 * runs only the init loop (init_entry, before main). If the exec fails, the copy serves. */
#include "nsutil/ns.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define INIT_COMM "lmctl-init"
/* While a SIGTERM waits for the namespace to empty, how often the init looks again. */
#define INIT_TERM_POLL_NS 50000000L

enum init_step {
	ISTEP_OK = 0,
	ISTEP_IDS,
	ISTEP_CGROUPNS,
	ISTEP_PRIVATE,
	ISTEP_PROC,
	ISTEP_HOSTNAME,
	ISTEP_LO,
	ISTEP_DEVNULL,
	ISTEP_PLACE,
};

struct init_report {
	int step;
	int err;
};

static void init_send(int chan, int step, int e)
{
	struct init_report rep = {.step = step, .err = e};

	(void)!send(chan, &rep, sizeof(rep), MSG_NOSIGNAL);
	if (step != ISTEP_OK)
		_exit(127);
}

static int lo_up(void)
{
	struct ifreq ifr = {.ifr_name = "lo"};
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		r = -errno;
	ifr.ifr_flags |= IFF_UP;
	if (r == 0 && ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Root inside a user namespace (the maps are written by now); a map that leaves 0 out
 * keeps the overflow ids, which still hold the namespace's capabilities. */
static int become_root(void)
{
	if (syscall(SYS_setgroups, 0, NULL) < 0 && errno != EPERM)
		return -errno;
	if (syscall(SYS_setresgid, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	if (syscall(SYS_setresuid, 0, 0, 0) < 0 && errno != EINVAL)
		return -errno;
	return 0;
}

static void init_setup(const struct lmc_spec_ns *ns, int chan)
{
	uint32_t m = ns->mask;
	int r;

	if ((m & LMC_NS_USER) && (r = become_root()) < 0)
		init_send(chan, ISTEP_IDS, -r);
	/* Placed by now: the cgroup namespace is rooted at the leaf. */
	if ((m & LMC_NS_CGROUP) && unshare(CLONE_NEWCGROUP) < 0)
		init_send(chan, ISTEP_CGROUPNS, errno);
	if ((m & LMC_NS_MNT) && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		init_send(chan, ISTEP_PRIVATE, errno);
	if ((m & LMC_NS_MNT) && (m & LMC_NS_PID) &&
	    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		init_send(chan, ISTEP_PROC, errno);
	if ((m & LMC_NS_UTS) && ns->hostname[0] &&
	    sethostname(ns->hostname, strlen(ns->hostname)) < 0)
		init_send(chan, ISTEP_HOSTNAME, errno);
	if ((m & LMC_NS_NET) && (r = lo_up()) < 0)
		init_send(chan, ISTEP_LO, -r);
}

/* Outlive the starter: own session, stdio on /dev/null, none of its fds. */
static void init_detach(int chan)
{
	int fd;

	setsid();
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		init_send(chan, ISTEP_DEVNULL, errno);
	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) < 0)
			init_send(chan, ISTEP_DEVNULL, errno);
	syscall(SYS_close_range, 3U, (unsigned)chan - 1, 0U);
	syscall(SYS_close_range, (unsigned)chan + 1, ~0U, 0U);
}

/* Reap every exited child; true while children remain. */
static bool reap_all(void)
{
	for (;;) {
		pid_t r = waitpid(-1, NULL, WNOHANG);

		if (r == 0)
			return true;
		if (r < 0 && errno != EINTR)
			return false;
	}
}

/* Anything left to wait for: as pid 1, any process in the namespace (joined runs are not
 * our children); otherwise our own children. */
static bool init_busy(bool pid1)
{
	bool kids = reap_all();

	return pid1 ? kill(-1, 0) == 0 : kids;
}

static void init_sigset(sigset_t *set)
{
	static const int sigs[] = {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2};

	sigemptyset(set);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaddset(set, sigs[i]);
}

static _Noreturn void init_loop(bool pid1)
{
	const struct timespec poll = {.tv_nsec = INIT_TERM_POLL_NS};
	bool term = false;
	sigset_t set;

	init_sigset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	for (;;) {
		/* After a SIGTERM, joined runs that exit tell us nothing: look again now and
		 * then until the namespace is empty. */
		int sig = term ? sigtimedwait(&set, NULL, &poll) : sigwaitinfo(&set, NULL);

		/* kill(-1) from pid 1 reaches exactly the namespace; outside one it would
		 * reach the host, so there is nothing to forward to. */
		if (sig > 0 && sig != SIGCHLD && pid1)
			kill(-1, sig);
		if (sig == SIGTERM)
			term = true;
		if (!init_busy(pid1) && term)
			_exit(0);
	}
}

/* The namespaces are set up: become a fresh image of this program instead of staying a
 * copy-on-write copy of the starter, which could pin up to the agent's whole heap per
 * leaf. /proc/self/exe is a magic link: it reaches the binary from any mount namespace.
 * The new image goes straight to init_loop (init_entry below), and only it reports the
 * start-up done, so that no one sees the init between exec and its name being set. The
 * signals it serves are blocked across exec: one sent meanwhile waits for the loop. If exec
 * fails, the copy serves as the init. */
static _Noreturn void init_reexec(bool pid1, int chan)
{
	char fd[16];
	char *const argv[] = {(char *)INIT_COMM, (char *)(pid1 ? "1" : "0"), fd, NULL};
	char *const envp[] = {NULL};
	sigset_t set;

	init_sigset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
	snprintf(fd, sizeof(fd), "%d", chan);
	if (fcntl(chan, F_SETFD, 0) == 0)
		execve("/proc/self/exe", argv, envp);
	init_send(chan, ISTEP_OK, 0);
	close(chan);
	init_loop(pid1);
}

/* Runs before main() in every program that links the init (glibc passes constructors
 * argc/argv): the image init_reexec made runs only the init loop. */
__attribute__((constructor)) static void init_entry(int argc, char **argv, char **envp)
{
	char *end;
	long chan;

	/* Exactly what init_reexec passes: the name, "0" or "1", the channel, no environment. */
	if (argc != 3 || !argv || !argv[0] || strcmp(argv[0], INIT_COMM) != 0 || !envp || envp[0] ||
	    (strcmp(argv[1], "0") != 0 && strcmp(argv[1], "1") != 0))
		return;
	chan = strtol(argv[2], &end, 10);
	if (*end || chan < 3 || chan > INT32_MAX)
		return;
	prctl(PR_SET_NAME, INIT_COMM, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	init_send((int)chan, ISTEP_OK, 0);
	close((int)chan);
	init_loop(argv[1][0] == '1');
}

static _Noreturn void init_child(const struct lmc_spec_ns *ns, int chan, int parent_chan,
				 const int *place, size_t n_place)
{
	char go;

	lmc_ns_reset_signals();
	signal(SIGPIPE, SIG_IGN);
	close(parent_chan);
	if (chan < 3) {
		chan = fcntl(chan, F_DUPFD_CLOEXEC, 3);
		if (chan < 0)
			_exit(127);
	}
	prctl(PR_SET_NAME, INIT_COMM, 0, 0, 0);
	/* Placed by itself where it can be (lmc_ns_init_opts.place_fds), then held until its
	 * maps are written. */
	for (size_t i = 0; i < n_place; i++)
		if (write(place[i], "0", 1) != 1)
			init_send(chan, ISTEP_PLACE, errno);
	if (recv(chan, &go, 1, 0) != 1)
		_exit(127);
	init_setup(ns, chan);
	init_detach(chan);
	init_reexec(getpid() == 1, chan);
}

/* "0:100000:65536,..." as the command line spells maps, for messages. */
static void format_maps(const struct lmc_idmap *maps, unsigned n, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%u:%u:%u", i ? "," : "",
					maps[i].inside, maps[i].outside, maps[i].count);
}

static int write_file(const char *path, const char *s)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t len = (ssize_t)strlen(s);

	if (fd < 0)
		return lmc_negerrno();
	return write(fd, s, (size_t)len) == len ? 0 : lmc_negerrno();
}

static int write_map(pid_t pid, const char *what, const struct lmc_idmap *maps, unsigned n,
		     struct lmc_err *err)
{
	char path[64], buf[LMC_IDMAP_MAX * 36];
	size_t len = 0;
	int r;

	/* No default: which host ids a container gets is the manager's choice (its own). */
	if (n == 0)
		return lmc_err_set(err, -EINVAL, "init: no %s given for the user namespace", what);
	for (unsigned i = 0; i < n && i < LMC_IDMAP_MAX; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", maps[i].inside,
					maps[i].outside, maps[i].count);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	r = write_file(path, buf);
	if (r == -EPERM && strcmp(what, "gid_map") == 0) {
		/* Only an unprivileged writer needs setgroups denied first. */
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
		if (write_file(path, "deny") == 0) {
			snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
			r = write_file(path, buf);
		}
	}
	if (r < 0) {
		format_maps(maps, n, buf, sizeof(buf));
		return lmc_err_set(err, r, "init: %s %s: %s", what, buf, strerror(-r));
	}
	return 0;
}

static int init_error(const char *hostname, const struct init_report *rep, struct lmc_err *err)
{
	static const char *const what[] = {
		[ISTEP_IDS] = "becoming root in the user namespace",
		[ISTEP_CGROUPNS] = "cgroup namespace",
		[ISTEP_PRIVATE] = "making / private",
		[ISTEP_PROC] = "mounting /proc",
		[ISTEP_HOSTNAME] = "hostname",
		[ISTEP_LO] = "bringing lo up",
		[ISTEP_DEVNULL] = "/dev/null",
		[ISTEP_PLACE] = "joining its cgroups",
	};
	int code = rep->err > 0 ? -rep->err : -EIO;
	const char *w = rep->step > 0 && (size_t)rep->step < ARRAY_SIZE(what) ? what[rep->step]
									      : "start-up";

	if (rep->step == ISTEP_HOSTNAME)
		return lmc_err_set(err, code, "init: hostname '%s': %s", hostname,
				   strerror(rep->err));
	return lmc_err_set(err, code, "init: %s: %s", w, strerror(code < 0 ? -code : EIO));
}

/* Place the held init, write its maps and let it go; its report comes on the channel. */
static int init_release(const struct lmc_ns_init_opts *o, pid_t pid, int chan, struct lmc_err *err)
{
	int r;

	if (o->attach && !o->place_fds && (r = o->attach(pid, o->userdata, err)) < 0)
		return lmc_err_set(err, r, "init: placing pid %d: %s", (int)pid, strerror(-r));
	if (o->ns->mask & LMC_NS_USER) {
		r = write_map(pid, "uid_map", o->ns->uid_map, o->ns->n_uid_map, err);
		if (r >= 0)
			r = write_map(pid, "gid_map", o->ns->gid_map, o->ns->n_gid_map, err);
		if (r < 0)
			return r;
	}
	if (send(chan, "g", 1, MSG_NOSIGNAL) != 1)
		return lmc_err_set(err, lmc_negerrno(), "init: vanished before start-up: %s",
				   strerror(errno));
	return 0;
}

static void init_wait_close(struct lmc_ns_init_wait *w)
{
	if (w->pidfd >= 0)
		close(w->pidfd);
	if (w->chan >= 0)
		close(w->chan);
	w->pidfd = w->chan = -1;
}

void lmc_ns_init_cancel(struct lmc_ns_init_wait *w)
{
	if (w->pidfd >= 0)
		lmc_ns_kill_reap(w->pidfd);
	init_wait_close(w);
}

int lmc_ns_init_timeout(struct lmc_ns_init_wait *w, struct lmc_err *err)
{
	lmc_ns_init_cancel(w);
	return lmc_err_set(err, -ETIMEDOUT, "init: did not start within %d ms (is it frozen?)",
			   LMC_NS_HANDSHAKE_MS);
}

int lmc_ns_init_finish(struct lmc_ns_init_wait *w, pid_t *ret_pid, int *ret_pidfd,
		       struct lmc_err *err)
{
	struct init_report rep = {.step = -1};
	ssize_t n;

	do
		n = recv(w->chan, &rep, sizeof(rep), MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -EAGAIN;
	if (n == (ssize_t)sizeof(rep) && rep.step == ISTEP_OK) {
		*ret_pid = w->pid;
		if (ret_pidfd)
			*ret_pidfd = TAKE_FD(w->pidfd);
		init_wait_close(w);
		return 0;
	}
	lmc_ns_init_cancel(w);
	if (n != (ssize_t)sizeof(rep))
		/* Killed at birth, as clone3 into a cgroup that went through cgroup.kill does
		 * on 6.18 (manager-proc.c): ECONNRESET lets the caller retry unplaced. */
		return lmc_err_set(err, -ECONNRESET, "init: died during start-up");
	return init_error(w->hostname, &rep, err);
}

int lmc_ns_init_start(const struct lmc_ns_init_opts *opts, struct lmc_ns_init_wait *ret,
		      struct lmc_err *err)
{
	_cleanup_close_ int pidfd = -EBADF, chan = -EBADF;
	sigset_t all, old;
	int sv[2], r, flags;
	const int *place;
	size_t n_place;
	pid_t pid;

	if (!opts->ns)
		return lmc_err_set(err, -EINVAL, "init: no namespaces given");
	lmc_ns_place_skip(opts->place_fds, opts->n_place, opts->cgroup_fd, &place, &n_place);
	/* The cgroup namespace comes later, from inside, once the init is placed. */
	flags = lmc_ns_clone_flags(opts->ns->mask & ~(uint32_t)LMC_NS_CGROUP);
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return lmc_err_set(err, lmc_negerrno(), "init: socketpair: %s", strerror(errno));
	chan = sv[0];
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = lmc_ns_clone((uint64_t)flags, opts->cgroup_fd, &pidfd);
	if (pid == 0)
		init_child(opts->ns, sv[1], sv[0], place, n_place);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	if (pid < 0)
		return lmc_err_set(err, pid, "init: cannot start: %s", strerror(-pid));
	/* Killed at birth by CLONE_INTO_CGROUP (see lmc_ns_spawn_start): said so, while the
	 * caller can still start it again unplaced. */
	if (opts->cgroup_fd >= 0 && lmc_ns_killed_at_birth(pid, pidfd)) {
		lmc_ns_kill_reap(pidfd);
		return lmc_err_set(err, -ECONNRESET, "init: killed at birth");
	}
	r = init_release(opts, pid, chan, err);
	if (r < 0) {
		lmc_ns_kill_reap(pidfd);
		return r;
	}
	*ret = (struct lmc_ns_init_wait){
		.pid = pid, .pidfd = TAKE_FD(pidfd), .chan = TAKE_FD(chan)};
	snprintf(ret->hostname, sizeof(ret->hostname), "%s", opts->ns->hostname);
	return 0;
}

int lmc_ns_init(const struct lmc_ns_init_opts *opts, pid_t *ret_pid, int *ret_pidfd,
		struct lmc_err *err)
{
	struct lmc_ns_init_wait w;
	int r = lmc_ns_init_start(opts, &w, err);

	if (r < 0)
		return r;
	if (lmc_ns_wait_readable(w.chan, LMC_NS_HANDSHAKE_MS) < 0)
		return lmc_ns_init_timeout(&w, err);
	r = lmc_ns_init_finish(&w, ret_pid, ret_pidfd, err);
	if (r == -EAGAIN) /* readable yet nothing to read: cannot happen; do not hang */
		return lmc_ns_init_timeout(&w, err);
	return r;
}
