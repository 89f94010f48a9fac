/* Over 800 lines: both starts (clone3 on the caller's thread, vfork'd on a worker) run the
 * same child, whose every step between clone and exec is bound by one contract (plain
 * system calls on a copy or a share of the parent), and are kept beside it.
 *
 * Starting a command in a leaf: clone3 into the cgroup2 leaf, the child writing itself into
 * the v1 hierarchies (or held until its parent has put it there), join the leaf init's
 * namespaces, set ids, then cwd, stdio and exec
 * (the look-ups as the target ids); every
 * failure up to exec comes back to the caller as a one-line error with the child reaped.
 *
 * The child runs between a raw clone3 and execve on a copy of a possibly multithreaded
 * parent, so it sticks to plain system calls: no malloc, no stdio, no glibc setxid
 * (setresuid & co. go through syscall(2)). */
#include "nsutil/ns.h"
#include "nsutil/fdslots.h"

#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEFAULT_PATH "/usr/bin:/bin"

/* Which step of the child's set-up failed; sent to the parent with errno. */
enum spawn_step {
	STEP_SETNS = 1,
	STEP_CWD,
	STEP_GROUPS,
	STEP_GID,
	STEP_UID,
	STEP_STDIO,
	STEP_SETSID,
	STEP_EXEC,
	STEP_PLACE, /* a vfork'd child writing itself into cgroup.procs */
	STEP_STARTED, /* from a worker (lmc_ns_vspawn_exec): exec'd, pid here, pidfd attached */
};

struct spawn_report {
	int step;
	int err;
	pid_t pid; /* STEP_STARTED */
};

struct spawn_ctx {
	const struct lmc_ns_spawn_opts *o;
	const char *search; /* PATH for that search */
	char *const *envp;
	int chan; /* the child's end of the socketpair */
	int parent_chan; /* the parent's end, closed in the child so a dead parent is seen */
	int setns_flags; /* CLONE_NEW* to join in the child (never pid) */
	bool join_mnt, join_user;
	/* The child places itself through these fds (NULL: the parent attaches it). */
	const int *place_fds;
	size_t n_place;
	/* A copy (lmc_ns_spawn_start) waits for the parent's "go" in any case: placed by the
	 * parent, or by itself and the parent still to check it was not killed at birth (a
	 * child already gone would look so). vfork'd (lmc_ns_vspawn_exec): no "go", its
	 * parent waits for its exec; it says it reached it. */
	bool hold;
	volatile int *exec_reached;
	/* vfork'd sharing our fd table (CLONE_FILES): what it needs is in [fds_lo, fds_hi) (a
	 * slot, below); it keeps only that and 0..2, its very first step. 0: a copy. */
	int fds_lo, fds_hi;
	/* the signals to put back to SIG_DFL, as the parent read them (lmc_ns_signals_set) */
	uint64_t reset;
	bool reset_known; /* else the child asks for each */
};

static _Noreturn void child_fail(int chan, int step, int e)
{
	struct spawn_report rep = {.step = step, .err = e};

	(void)!send(chan, &rep, sizeof(rep), MSG_NOSIGNAL);
	_exit(127);
}

static void child_ids(const struct spawn_ctx *c)
{
	uid_t uid = c->o->set_ids ? c->o->uid : 0;
	gid_t gid = c->o->set_ids ? c->o->gid : 0;

	/* In a joined user namespace we start as the overflow uid: become root there. */
	if (!c->o->set_ids && !c->join_user)
		return;
	if (c->o->set_ids && c->o->groups) {
		if (syscall(SYS_setgroups, c->o->n_groups, c->o->groups) < 0)
			child_fail(c->chan, STEP_GROUPS, errno);
	} else if (syscall(SYS_setgroups, 1, &gid) < 0)
		child_fail(c->chan, STEP_GROUPS, errno);
	if (syscall(SYS_setresgid, gid, gid, gid) < 0)
		child_fail(c->chan, STEP_GID, errno);
	if (syscall(SYS_setresuid, uid, uid, uid) < 0)
		child_fail(c->chan, STEP_UID, errno);
}

static void child_stdio(const struct spawn_ctx *c)
{
	int src[3];

	/* A source that sits on another of 0..2 moves out of the way before any dup2. */
	for (int i = 0; i < 3; i++) {
		src[i] = c->o->stdio[i];
		if (src[i] >= 0 && src[i] < 3 && src[i] != i)
			src[i] = fcntl(src[i], F_DUPFD_CLOEXEC, 3);
		if (c->o->stdio[i] >= 0 && src[i] < 0)
			child_fail(c->chan, STEP_STDIO, errno);
	}
	for (int i = 0; i < 3; i++) {
		if (src[i] < 0)
			continue;
		if (src[i] == i ? fcntl(i, F_SETFD, 0) < 0 : dup2(src[i], i) < 0)
			child_fail(c->chan, STEP_STDIO, errno);
	}
}

/* execvpe without its allocations: every PATH entry, EACCES remembered as execvp does. */
static _Noreturn void child_exec(const struct spawn_ctx *c)
{
	char *const *argv = (char *const *)c->o->argv;
	const char *cmd = argv[0], *p = c->search;
	size_t clen = strlen(cmd);
	char buf[PATH_MAX];
	int e = ENOENT;

	if (strchr(cmd, '/')) {
		execve(cmd, argv, c->envp);
		child_fail(c->chan, STEP_EXEC, errno);
	}
	while (*p) {
		const char *end = strchrnul(p, ':');
		size_t dlen = (size_t)(end - p);

		if (dlen + clen + 2 <= sizeof(buf)) {
			memcpy(buf, dlen ? p : ".", dlen ? dlen : 1);
			dlen = dlen ? dlen : 1;
			buf[dlen] = '/';
			memcpy(buf + dlen + 1, cmd, clen + 1);
			execve(buf, argv, c->envp);
			if (errno == EACCES)
				e = EACCES;
			else if (errno != ENOENT && errno != ENOTDIR)
				child_fail(c->chan, STEP_EXEC, errno);
		}
		p = *end ? end + 1 : end;
	}
	child_fail(c->chan, STEP_EXEC, e);
}

/* The descriptor limit a started command gets when its starter raised its own (0: as the
 * starter has it). */
static rlim_t child_nofile;

void lmc_ns_set_child_nofile(rlim_t soft)
{
	child_nofile = soft;
}

static _Noreturn void spawn_child(const struct spawn_ctx *parent_ctx)
{
	struct spawn_ctx ctx = *parent_ctx, *c = &ctx;
	const struct lmc_ns_spawn_opts *o = c->o;
	sigset_t none;
	char go;

	/* A table of its own holding 0..fds_hi-1 only (the kernel copies no more), then only
	 * 0..2 and the slot: nothing may touch a descriptor before, the table is the agent's. */
	if (c->fds_hi &&
	    (syscall(SYS_close_range, (unsigned)c->fds_hi, ~0U, CLOSE_RANGE_UNSHARE) < 0 ||
	     (c->fds_lo > 3 && syscall(SYS_close_range, 3U, (unsigned)c->fds_lo - 1, 0) < 0)))
		_exit(127);
	if (c->reset_known)
		lmc_ns_reset_signals_in(c->reset);
	else
		lmc_ns_reset_signals();
	close(c->parent_chan); /* where it was copied at all */
	/* Keep the report channel clear of 0..2, which the stdio set-up overwrites. */
	if (c->chan < 3 && (c->chan = fcntl(c->chan, F_DUPFD_CLOEXEC, 3)) < 0)
		_exit(127);
	/* Nothing of our own runs before the parent has placed us everywhere (or we have). */
	for (size_t i = 0; i < c->n_place; i++)
		if (write(c->place_fds[i], "0", 1) != 1)
			child_fail(c->chan, STEP_PLACE, errno);
	if (c->hold && recv(c->chan, &go, 1, 0) != 1)
		_exit(127);
	if (c->setns_flags && setns(o->join_pidfd, c->setns_flags) < 0)
		child_fail(c->chan, STEP_SETNS, errno);
	if (child_nofile) {
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur > child_nofile) {
			rl.rlim_cur = child_nofile;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	/* The target ids first: the directory and the command are looked up with its rights
	 * only, so their errors tell nothing about paths it cannot reach. */
	child_ids(c);
	if ((o->cwd || c->join_mnt) && chdir(o->cwd ? o->cwd : "/") < 0)
		child_fail(c->chan, STEP_CWD, errno);
	child_stdio(c);
	if (o->new_session && setsid() < 0)
		child_fail(c->chan, STEP_SETSID, errno);
	/* Everything else we inherited goes at exec, the report channel included. */
	syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (c->exec_reached)
		*c->exec_reached = 1;
	child_exec(c);
}

static const char *env_path(const char *const *env)
{
	const char *p;

	if (!env) {
		p = getenv("PATH");
		return p ? p : DEFAULT_PATH;
	}
	for (; *env; env++)
		if (strncmp(*env, "PATH=", 5) == 0)
			return *env + 5;
	return DEFAULT_PATH;
}

static int join_error(const char *cmd, int code, struct lmc_err *err)
{
	if (code == -ESRCH)
		return lmc_err_set(err, code, "run: %s: the container's init is gone", cmd);
	return lmc_err_set(err, code, "run: %s: joining the container's namespaces: %s", cmd,
			   strerror(-code));
}

/* Clone, inside the init's pid namespace when joining one: that is decided at clone time
 * through our pid_for_children, which is put back at once. */
static pid_t spawn_clone(const struct spawn_ctx *c, bool join_pid, int *ret_pidfd,
			 struct lmc_err *err)
{
	_cleanup_close_ int self_pidns = -EBADF;
	const char *cmd = c->o->argv[0];
	sigset_t all, old;
	pid_t pid;
	int r = 0;

	if (join_pid) {
		self_pidns = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (self_pidns < 0 || setns(c->o->join_pidfd, CLONE_NEWPID) < 0)
			return join_error(cmd, lmc_negerrno(), err);
	}
	/* No handler of ours may run in the child before it has reset them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = lmc_ns_clone(0, c->o->cgroup_fd, ret_pidfd);
	if (pid == 0)
		spawn_child(c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (join_pid && setns(self_pidns, CLONE_NEWPID) < 0)
		r = lmc_negerrno();
	if (pid < 0)
		return lmc_err_set(err, pid, "run: %s: cannot start: %s", cmd, strerror(-pid));
	if (r < 0) {
		lmc_ns_kill_reap(*ret_pidfd);
		close(*ret_pidfd);
		return lmc_err_set(err, r, "run: %s: restoring our pid namespace: %s", cmd,
				   strerror(-r));
	}
	return pid;
}

static int spawn_error(const struct lmc_ns_spawn_wait *w, const struct spawn_report *rep,
		       struct lmc_err *err)
{
	const char *cmd = w->cmd, *why = strerror(rep->err);
	int code = rep->err > 0 ? -rep->err : -EIO;

	switch (rep->step) {
	case STEP_SETNS:
		return join_error(cmd, code, err);
	case STEP_CWD:
		return lmc_err_set(err, code, "run: %s: cwd '%s': %s", cmd, w->cwd, why);
	case STEP_GROUPS:
	case STEP_GID:
		return lmc_err_set(err, code, "run: %s: gid %u: %s", cmd,
				   w->set_ids ? (unsigned)w->gid : 0U, why);
	case STEP_UID:
		return lmc_err_set(err, code, "run: %s: uid %u: %s", cmd,
				   w->set_ids ? (unsigned)w->uid : 0U, why);
	case STEP_STDIO:
		return lmc_err_set(err, code, "run: %s: setting up stdio: %s", cmd, why);
	case STEP_SETSID:
		return lmc_err_set(err, code, "run: %s: new session: %s", cmd, why);
	case STEP_PLACE:
		return lmc_err_set(err, code, "run: %s: placing it in the container: %s", cmd, why);
	default:
		return lmc_err_set(err, code, "run: %s: %s", cmd, why);
	}
}

/* Place the held child (attach) and let it go; its report comes later on the channel. */
static int spawn_release(const struct lmc_ns_spawn_opts *o, pid_t pid, int pidfd, int chan,
			 struct lmc_err *err)
{
	int r;

	if (o->attach && !o->place_fds) {
		r = o->attach(pid, o->userdata, err);
		if (r < 0) {
			lmc_ns_kill_reap(pidfd);
			return lmc_err_set(err, r, "run: %s: placing pid %d: %s", o->argv[0],
					   (int)pid, strerror(-r));
		}
	}
	if (send(chan, "g", 1, MSG_NOSIGNAL) != 1) {
		r = lmc_negerrno();
		lmc_ns_kill_reap(pidfd);
		return lmc_err_set(err, r, "run: %s: child vanished: %s", o->argv[0], strerror(-r));
	}
	return 0;
}

static void spawn_wait_close(struct lmc_ns_spawn_wait *w)
{
	if (w->pidfd >= 0)
		close(w->pidfd);
	if (w->chan >= 0)
		close(w->chan);
	w->pidfd = w->chan = -1;
}

/* What messages about this start name later, when opts is gone. */
static void spawn_wait_init(struct lmc_ns_spawn_wait *w, const struct lmc_ns_spawn_opts *o)
{
	*w = (struct lmc_ns_spawn_wait){
		.pidfd = -1, .chan = -1, .set_ids = o->set_ids, .uid = o->uid, .gid = o->gid};
	snprintf(w->cmd, sizeof(w->cmd), "%s", o->argv[0]);
	snprintf(w->cwd, sizeof(w->cwd), "%s", o->cwd ? o->cwd : "/");
}

/* A report, and the descriptor that came with it (*fd, else -1). */
static ssize_t recv_report(int chan, struct spawn_report *rep, int *fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = rep, .iov_len = sizeof(*rep)};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = cbuf,
			    .msg_controllen = sizeof(cbuf)};
	ssize_t n = recvmsg(chan, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);

	*fd = -1;
	if (n < 0)
		return n;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return n;
}

/* A worker's STEP_STARTED: the pid, and the pidfd that came with it. */
static int spawn_started(struct lmc_ns_spawn_wait *w, const struct spawn_report *rep, int fd,
			 pid_t *ret_pid, int *ret_pidfd, struct lmc_err *err)
{
	spawn_wait_close(w);
	if (fd < 0)
		return lmc_err_set(err, -EIO, "run: %s: started, but its pidfd did not come",
				   w->cmd);
	*ret_pid = rep->pid;
	if (ret_pidfd)
		*ret_pidfd = fd;
	else
		close(fd);
	return 0;
}

int lmc_ns_spawn_finish(struct lmc_ns_spawn_wait *w, pid_t *ret_pid, int *ret_pidfd,
			struct lmc_err *err)
{
	struct spawn_report rep = {0};
	int fd = -1;
	ssize_t n;

	do
		n = recv_report(w->chan, &rep, &fd);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return -EAGAIN;
	if (n == (ssize_t)sizeof(rep) && rep.step == STEP_STARTED)
		return spawn_started(w, &rep, fd, ret_pid, ret_pidfd, err);
	if (fd >= 0)
		close(fd);
	if (n == 0 && w->pid == 0) { /* a worker's start that ended without a word */
		spawn_wait_close(w);
		return lmc_err_set(err, -EIO, "run: %s: its start was abandoned", w->cmd);
	}
	if (n == 0) {
		/* the channel closed at exec */
		*ret_pid = w->pid;
		if (ret_pidfd)
			*ret_pidfd = TAKE_FD(w->pidfd);
		spawn_wait_close(w);
		return 0;
	}
	if (w->pidfd >= 0)
		lmc_ns_kill_reap(w->pidfd);
	spawn_wait_close(w);
	if (n != (ssize_t)sizeof(rep))
		rep = (struct spawn_report){.step = STEP_EXEC, .err = n < 0 ? errno : EIO};
	return spawn_error(w, &rep, err);
}

void lmc_ns_spawn_cancel(struct lmc_ns_spawn_wait *w)
{
	if (w->pidfd >= 0)
		lmc_ns_kill_reap(w->pidfd);
	spawn_wait_close(w);
}

int lmc_ns_spawn_timeout(struct lmc_ns_spawn_wait *w, struct lmc_err *err)
{
	lmc_ns_spawn_cancel(w);
	return lmc_err_set(err, -ETIMEDOUT, "run: %s: did not start within %d ms (is it frozen?)",
			   w->cmd, LMC_NS_HANDSHAKE_MS);
}

int lmc_ns_spawn_start(const struct lmc_ns_spawn_opts *opts, struct lmc_ns_spawn_wait *ret,
		       struct lmc_err *err)
{
	struct spawn_ctx c = {.o = opts, .hold = true};
	_cleanup_close_ int pidfd = -EBADF, chan = -EBADF;
	uint32_t join;
	int sv[2], r;
	pid_t pid;

	if (!opts || !opts->argv || !opts->argv[0] || !opts->argv[0][0])
		return lmc_err_set(err, -EINVAL, "run: no command given");
	join = opts->join_pidfd >= 0 ? opts->join_mask : 0;
	c.join_mnt = join & LMC_NS_MNT;
	c.join_user = join & LMC_NS_USER;
	c.setns_flags = lmc_ns_clone_flags(join & ~(uint32_t)LMC_NS_PID);
	c.search = env_path(opts->env);
	c.envp = opts->env ? (char *const *)opts->env : environ;
	lmc_ns_place_skip(opts->place_fds, opts->n_place, opts->cgroup_fd, &c.place_fds,
			  &c.n_place);
	/* The child looks the command up itself, as the target ids (never as root for them). */
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return lmc_err_set(err, lmc_negerrno(), "run: %s: socketpair: %s", opts->argv[0],
				   strerror(errno));
	chan = c.parent_chan = sv[0];
	c.chan = sv[1];
	pid = spawn_clone(&c, join & LMC_NS_PID, &pidfd, err);
	close(sv[1]);
	if (pid < 0)
		return pid;
	/* Kernel 6.18 (seen here): clone3(CLONE_INTO_CGROUP) into a cgroup that has been
	 * through cgroup.kill SIGKILLs the child before clone3 returns (the fork's kill
	 * sequence is read from our cgroup, compared with the target's). Released anyway, it
	 * could die after taking our "go" and before its report, and the report channel would
	 * say ECONNRESET long after the caller could retry: say so now, while it still can
	 * (lmc_mgr_run_start retries without CLONE_INTO_CGROUP). */
	if (opts->cgroup_fd >= 0 && lmc_ns_killed_at_birth(pid, pidfd)) {
		lmc_ns_kill_reap(pidfd);
		return lmc_err_set(err, -ECONNRESET, "run: %s: killed at birth", opts->argv[0]);
	}
	r = spawn_release(opts, pid, pidfd, chan, err);
	if (r < 0)
		return r;
	spawn_wait_init(ret, opts);
	ret->pid = pid;
	ret->pidfd = TAKE_FD(pidfd);
	ret->chan = TAKE_FD(chan);
	return 0;
}

int lmc_ns_spawn_await(struct lmc_ns_spawn_wait *w, pid_t *ret_pid, int *ret_pidfd,
		       struct lmc_err *err)
{
	int r = lmc_ns_wait_readable(w->chan, LMC_NS_HANDSHAKE_MS);

	if (r < 0)
		return lmc_ns_spawn_timeout(w, err);
	r = lmc_ns_spawn_finish(w, ret_pid, ret_pidfd, err);
	if (r == -EAGAIN) /* readable yet nothing to read: cannot happen; do not hang */
		return lmc_ns_spawn_timeout(w, err);
	return r;
}

int lmc_ns_spawn(const struct lmc_ns_spawn_opts *opts, pid_t *ret_pid, int *ret_pidfd,
		 struct lmc_err *err)
{
	struct lmc_ns_spawn_wait w;
	int r = lmc_ns_spawn_start(opts, &w, err);

	return r < 0 ? r : lmc_ns_spawn_await(&w, ret_pid, ret_pidfd, err);
}

/* ---------------- a start done on a worker with CLONE_VM|CLONE_VFORK ----------------
 *
 * fork() of the agent cost more than the rest of a run: after it, every page either process
 * writes is copied or at least faulted once, each with a TLB flush (perf: two thirds of the
 * agent thread's time in a loop of runs). A vfork'd child shares the memory until its exec,
 * so none of that happens; but its parent thread waits until then, so this runs on one of
 * the agent's workers, never on the loop. The child places itself (it writes "0" to every
 * hierarchy's file, opened beforehand: v1's tasks, cgroup2's cgroup.procs) before anything
 * of its own runs. It runs on the parent thread's TLS (errno) while that thread is
 * suspended, as glibc's posix_spawn does; everything else is spawn_child as for clone3.
 * Where there is a cgroup2 tree (v2, and hybrid's) the kernel places it there instead:
 * clone3 with CLONE_VM | CLONE_VFORK and CLONE_INTO_CGROUP on the same stack
 * (lmc_ns_clone_fn), so on v2 the fork is held to the leaf's pids.max as a plain clone3
 * into it would be; the child writes itself into the v1 hierarchies. */

static int vspawn_child(void *arg)
{
	spawn_child(arg);
}

struct lmc_ns_vspawn {
	struct lmc_ns_spawn_opts o; /* argv, env, cwd, groups point into blob */
	char *blob;
	int place_fds[LMC_NS_PLACE_MAX];
	size_t n_place;
	int into_fd; /* the cgroup2 leaf for CLONE_INTO_CGROUP (a copy), or -1 */
	int report; /* the worker's end of the loop's channel */
	volatile int exec_reached;
};

bool lmc_ns_vspawn_possible(const struct lmc_ns_spawn_opts *o)
{
	return (o->join_pidfd < 0 || !o->join_mask) &&
	       (o->cgroup_fd < 0 || lmc_ns_clone_fn_possible());
}

static size_t strv_bytes(const char *const *v, size_t *n)
{
	size_t b = 0;

	for (*n = 0; v && v[*n]; (*n)++)
		b += strlen(v[*n]) + 1;
	return b;
}

/* argv, env (NULL stays NULL), cwd and groups, in one block. */
static int vspawn_copy(struct lmc_ns_vspawn *v, const struct lmc_ns_spawn_opts *o)
{
	size_t na, ne, sb = strv_bytes(o->argv, &na) + strv_bytes(o->env, &ne);
	size_t ptrs = (na + 1 + ne + 1) * sizeof(char *), gb = o->n_groups * sizeof(gid_t);
	size_t cb = o->cwd ? strlen(o->cwd) + 1 : 0;
	char **pv, *str;

	v->blob = malloc(ptrs + gb + sb + cb);
	if (!v->blob)
		return -ENOMEM;
	pv = (char **)v->blob;
	str = v->blob + ptrs + gb;
	v->o.argv = (const char *const *)pv;
	for (size_t i = 0; i < na; i++, str += strlen(str) + 1)
		*pv++ = strcpy(str, o->argv[i]);
	*pv++ = NULL;
	v->o.env = o->env ? (const char *const *)pv : NULL;
	for (size_t i = 0; i < ne; i++, str += strlen(str) + 1)
		*pv++ = strcpy(str, o->env[i]);
	*pv = NULL;
	if (o->groups) {
		memcpy(v->blob + ptrs, o->groups, gb);
		v->o.groups = (const gid_t *)(void *)(v->blob + ptrs);
	}
	if (o->cwd)
		v->o.cwd = strcpy(str, o->cwd);
	return 0;
}

void lmc_ns_vspawn_free(struct lmc_ns_vspawn *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n_place; i++)
		close(v->place_fds[i]);
	for (int i = 0; i < 3; i++)
		if (v->o.stdio[i] >= 0)
			close(v->o.stdio[i]);
	if (v->report >= 0)
		close(v->report);
	if (v->into_fd >= 0)
		close(v->into_fd);
	free(v->blob);
	free(v);
}

static int vspawn_fill(struct lmc_ns_vspawn *v, const struct lmc_ns_spawn_opts *o, int *place,
		       size_t n_place)
{
	v->o = *o;
	v->o.attach = NULL;
	v->o.place_fds = NULL; /* the caller's: v has place_fds of its own */
	v->o.n_place = 0;
	v->o.cgroup_fd = -1;
	v->o.join_pidfd = -1;
	v->o.join_mask = 0;
	v->o.stdio[0] = v->o.stdio[1] = v->o.stdio[2] = -1;
	v->report = -1;
	v->into_fd = -1;
	v->blob = NULL;
	for (; v->n_place < n_place; v->n_place++)
		v->place_fds[v->n_place] = place[v->n_place];
	if (o->cgroup_fd >= 0 && (v->into_fd = fcntl(o->cgroup_fd, F_DUPFD_CLOEXEC, 3)) < 0)
		return lmc_negerrno();
	for (int i = 0; i < 3; i++)
		if (o->stdio[i] >= 0 &&
		    (v->o.stdio[i] = fcntl(o->stdio[i], F_DUPFD_CLOEXEC, 3)) < 0)
			return lmc_negerrno();
	return vspawn_copy(v, o);
}

int lmc_ns_vspawn_prepare(const struct lmc_ns_spawn_opts *o, int *place, size_t n_place,
			  struct lmc_ns_spawn_wait *ret_w, struct lmc_ns_vspawn **ret,
			  struct lmc_err *err)
{
	struct lmc_ns_vspawn *v = calloc(1, sizeof(*v));
	int sv[2], r;

	if (!v || n_place > LMC_NS_PLACE_MAX) {
		for (size_t i = 0; i < n_place; i++)
			close(place[i]);
		free(v);
		return lmc_err_set(err, -ENOMEM, "run: out of memory");
	}
	r = vspawn_fill(v, o, place, n_place);
	if (r >= 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		r = lmc_negerrno();
	if (r < 0) {
		lmc_ns_vspawn_free(v);
		return lmc_err_set(err, r, "run: %s: %s", o->argv[0], strerror(-r));
	}
	spawn_wait_init(ret_w, o);
	ret_w->chan = sv[0];
	v->report = sv[1];
	*ret = v;
	return 0;
}

/* What the child needs, in a free slot (nsutil/fdslots.c): *c then names those numbers,
 * through *o and place for the opts and placing fds. The slot, or -1: c as it was, the
 * child gets a copy of the table. */
static int vspawn_slot(const struct lmc_ns_vspawn *v, struct spawn_ctx *c,
		       struct lmc_ns_spawn_opts *o, int *place)
{
	int slot = lmc_ns_slot_take(), chan[1] = {c->chan}, at;

	if (slot < 0)
		return -1;
	memcpy(place, v->place_fds, v->n_place * sizeof(int));
	c->fds_lo = lmc_ns_slot_first(slot);
	at = lmc_ns_slot_fill(c->fds_lo, place, v->n_place);
	at = at < 0 ? at : lmc_ns_slot_fill(at, o->stdio, 3);
	at = at < 0 ? at : lmc_ns_slot_fill(at, chan, 1);
	if (at < 0) {
		lmc_ns_slot_put(slot, c->fds_lo, c->fds_lo + LMC_NS_SLOT_FDS);
		c->fds_lo = 0;
		*o = v->o;
		return -1;
	}
	c->o = o;
	c->place_fds = place;
	c->chan = chan[0];
	c->fds_hi = at;
	return slot;
}

/* A slot a clone used, put back once its outcome has gone to the loop. */
struct vspawn_used {
	int slot, lo, hi;
};

/* The clone with every signal blocked: into the cgroup2 leaf by the kernel where there is
 * one (on v2 it checks pids.max at the fork; the child writes only the v1 hierarchies'
 * files), else glibc's clone. The pid, or -errno. */
static pid_t vspawn_do_clone(const struct lmc_ns_vspawn *v, struct spawn_ctx *c, void *stack,
			     int flags, int *fd)
{
	sigset_t all, old;
	pid_t pid;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (v->into_fd >= 0) {
		/* place[0] is that leaf's own cgroup.procs, kept for the retry below. */
		lmc_ns_place_skip(c->place_fds, c->n_place, v->into_fd, &c->place_fds, &c->n_place);
		pid = lmc_ns_clone_fn(CLONE_VM | CLONE_VFORK | (uint64_t)flags, v->into_fd, stack,
				      LMC_NS_VSTACK_SIZE, vspawn_child, c, fd);
	} else {
		pid = clone(vspawn_child, (char *)stack + LMC_NS_VSTACK_SIZE,
			    CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD | flags, c, fd);
		pid = pid < 0 ? -errno : pid;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return pid;
}

/* The clone: the child's report (a failure) in *rep, or exec reached (pid > 0, *ret_pidfd).
 * The slot it used is in *used, for the caller to put back (after its report: that is what
 * the loop waits for). */
static pid_t vspawn_clone(struct lmc_ns_vspawn *v, struct spawn_report *rep, int *ret_pidfd,
			  struct vspawn_used *used)
{
	struct spawn_ctx c = {.o = &v->o,
			      .search = env_path(v->o.env),
			      .envp = v->o.env ? (char *const *)v->o.env : environ,
			      .place_fds = v->place_fds,
			      .n_place = v->n_place,
			      .exec_reached = &v->exec_reached};
	struct lmc_ns_spawn_opts o = v->o;
	int place[LMC_NS_PLACE_MAX], sv[2], fd = -1, slot, flags = 0;
	bool own_stack;
	void *stack = lmc_ns_vstack_get(&own_stack);
	pid_t pid;

	*used = (struct vspawn_used){.slot = -1};
	if (!stack || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		*rep = (struct spawn_report){.step = STEP_EXEC, .err = stack ? errno : ENOMEM};
		if (own_stack)
			munmap(stack, LMC_NS_VSTACK_SIZE);
		return -1;
	}
	c.parent_chan = sv[0];
	c.chan = sv[1];
	c.reset_known = lmc_ns_signals_set(&c.reset) >= 0;
	slot = vspawn_slot(v, &c, &o, place);
	if (slot >= 0)
		flags = CLONE_FILES;
	pid = vspawn_do_clone(v, &c, stack, flags, &fd);
	*rep = (struct spawn_report){.step = STEP_EXEC, .err = -pid}; /* for pid < 0 */
	if (own_stack)
		munmap(stack, LMC_NS_VSTACK_SIZE);
	if (slot >= 0)
		*used = (struct vspawn_used){.slot = slot, .lo = c.fds_lo, .hi = c.fds_hi};
	close(sv[1]);
	if (pid > 0) {
		/* Back once it has exec'd or exited: a report, or none (exec'd, or killed). */
		if (recv(sv[0], rep, sizeof(*rep), MSG_DONTWAIT) != (ssize_t)sizeof(*rep) ||
		    !rep->step)
			*rep = v->exec_reached
				       ? (struct spawn_report){.step = STEP_STARTED, .pid = pid}
				       : (struct spawn_report){.step = STEP_EXEC, .err = ESRCH};
		if (rep->step != STEP_STARTED) {
			lmc_ns_kill_reap(fd);
			close(fd);
			fd = -1;
		}
	}
	close(sv[0]);
	*ret_pidfd = fd;
	return pid;
}

void lmc_ns_vspawn_exec(struct lmc_ns_vspawn *v)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct spawn_report rep;
	struct iovec iov = {.iov_base = &rep, .iov_len = sizeof(rep)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	struct vspawn_used used;
	int pidfd = -1;

	vspawn_clone(v, &rep, &pidfd, &used);
	/* Killed at birth by CLONE_INTO_CGROUP (see lmc_mgr_clone_into_refused): once more,
	 * placed through cgroup.procs by the child itself, as where the kernel has no clone3. */
	if (v->into_fd >= 0 && rep.step == STEP_EXEC && rep.err == ESRCH) {
		if (used.slot >= 0)
			lmc_ns_slot_put(used.slot, used.lo, used.hi);
		close(v->into_fd);
		v->into_fd = -1;
		vspawn_clone(v, &rep, &pidfd, &used);
	}
	if (pidfd >= 0) {
		struct cmsghdr *cm;

		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		cm = CMSG_FIRSTHDR(&mh);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &pidfd, sizeof(int));
	}
	/* The loop gave up meanwhile (its bound passed, or it stops): nothing is left running. */
	if (sendmsg(v->report, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof(rep) && pidfd >= 0)
		lmc_ns_kill_reap(pidfd);
	/* The loop has its outcome: what is left is ours to tidy (it overlaps the loop's
	 * bookkeeping of the start instead of delaying it). */
	if (used.slot >= 0)
		lmc_ns_slot_put(used.slot, used.lo, used.hi);
	if (pidfd >= 0)
		close(pidfd);
	lmc_ns_vspawn_free(v);
}

static void *vspawn_thread(void *arg)
{
	lmc_ns_vspawn_exec(arg);
	return NULL;
}

void lmc_ns_vspawn_detach(struct lmc_ns_vspawn *v)
{
	pthread_attr_t at;
	pthread_t tid;
	int r;

	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&tid, &at, vspawn_thread, v);
	pthread_attr_destroy(&at);
	if (r != 0)
		lmc_ns_vspawn_exec(v); /* no thread: here, then (the report is read at once) */
}
