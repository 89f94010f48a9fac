/* Starting processes in a leaf: placement before the first instruction, namespaces, the
 * per-leaf init that holds them, setns entry. The only module that calls clone, clone3,
 * unshare, setns or reads /proc/<pid>/ns. It never opens cgroupfs paths itself: the caller
 * hands it a cgroup2 directory fd and/or an attach callback. */
#ifndef LMC_NS_H
#define LMC_NS_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "base/err.h"
#include "base/spec.h"

/* Called in the parent while the child waits, before it runs anything of its own: write
 * pid into every v1 hierarchy (and the cgroup2 tree when cgroup_fd was -1). */
typedef int (*lmc_ns_attach_fn)(pid_t pid, void *userdata, struct lmc_err *err);

struct lmc_ns_spawn_opts {
	const char *const *argv; /* argv[0] is looked up in PATH (of env, else "/usr/bin:/bin") */
	const char *const *env; /* NULL: inherit the caller's environ */
	int stdio[3]; /* fds for 0,1,2 in the child; -1 = inherit */
	bool set_ids; /* apply uid/gid and the supplementary groups */
	uid_t uid;
	gid_t gid;
	const gid_t *groups; /* supplementary groups; NULL: just gid */
	size_t n_groups;
	/* NULL: "/" inside a mount namespace, else unchanged. Changed to, and argv[0] looked up,
	 * as the target ids: a run learns nothing about paths its uid cannot reach. */
	const char *cwd;
	int cgroup_fd; /* cgroup2 dir fd for clone3(CLONE_INTO_CGROUP), -1 none */
	/* The container's files for the child to write itself into before anything of its own
	 * runs (lmc_cgfs_procs_fds: v1's tasks need no global lock; place[0] is the cgroup2
	 * leaf's, skipped when cgroup_fd clones it there); NULL: attach places it instead. */
	const int *place_fds;
	size_t n_place;
	lmc_ns_attach_fn attach;
	void *userdata;
	int join_pidfd; /* pidfd of the leaf's init: join its namespaces (mask below); -1 none */
	uint32_t join_mask; /* enum lmc_ns bits to join */
	bool new_session; /* setsid() (detached runs) */
};

/* How long a started process (run's child, a leaf's init) has to report its start-up: one
 * that cannot (frozen, stopped) is killed and the start fails, instead of waiting forever. */
#define LMC_NS_HANDSHAKE_MS 10000

/* Spawn argv. On success *ret_pid is the child's host pid and *ret_pidfd (if not NULL) a
 * pidfd for it. The command is resolved and exec failures (ENOENT, EACCES, a bad uid) are
 * reported through err before returning, with nothing left running:
 * "run: /nonexistent: No such file or directory". */
int lmc_ns_spawn(const struct lmc_ns_spawn_opts *opts, pid_t *ret_pid, int *ret_pidfd,
		 struct lmc_err *err);

/* A spawn under way (lmc_ns_spawn in two halves, for an event loop): the child is placed
 * and released; chan becomes readable when it has exec'd (closed) or failed (a report). */
struct lmc_ns_spawn_wait {
	pid_t pid;
	int pidfd, chan; /* owned; -1 once handed over or closed */
	bool set_ids; /* what messages name later, when the opts are gone */
	uid_t uid;
	gid_t gid;
	char cmd[PATH_MAX], cwd[PATH_MAX];
};
/* Clone, place and release the child; nothing waits. Failures up to the release are
 * reported here, with nothing left running. */
int lmc_ns_spawn_start(const struct lmc_ns_spawn_opts *opts, struct lmc_ns_spawn_wait *ret,
		       struct lmc_err *err);
/* Read the report: -EAGAIN while there is none (w untouched); else w is done with and the
 * result is lmc_ns_spawn's (pid and pidfd handed over on success). */
int lmc_ns_spawn_finish(struct lmc_ns_spawn_wait *w, pid_t *ret_pid, int *ret_pidfd,
			struct lmc_err *err);
/* Wait (LMC_NS_HANDSHAKE_MS at most) for the report and read it: lmc_ns_spawn's second half,
 * with its result. */
int lmc_ns_spawn_await(struct lmc_ns_spawn_wait *w, pid_t *ret_pid, int *ret_pidfd,
		       struct lmc_err *err);
/* Give up on it: SIGKILL the child (reaped as lmc_ns_kill_reap does), close. */
void lmc_ns_spawn_cancel(struct lmc_ns_spawn_wait *w);
/* Cancel for having waited LMC_NS_HANDSHAKE_MS: -ETIMEDOUT, "run: CMD: did not start
 * within 10000 ms (is it frozen?)". */
int lmc_ns_spawn_timeout(struct lmc_ns_spawn_wait *w, struct lmc_err *err);

/* The same start with its clone done later, on another thread (the agent's worker): a
 * CLONE_VM|CLONE_VFORK child that writes itself into the container (place: one fd per
 * hierarchy, lmc_cgfs_procs_fds, taken) before anything of its own runs, then goes on as
 * above. Possible where no namespaces are joined. With opts->cgroup_fd, the cgroup2 leaf, the
 * child is cloned into it instead (CLONE_INTO_CGROUP: pids.max checked at the fork); place[0]
 * is then that leaf's cgroup.procs, written only if the kernel kills that child at birth.
 * prepare copies what the child needs (the request may go meanwhile) and gives *ret_w, whose chan says the outcome as for
 * lmc_ns_spawn_start (lmc_ns_spawn_finish, _cancel and _timeout as there); exec, on the
 * other thread, returns once the child has exec'd or failed, and frees v. A start the
 * loop has given up on meanwhile is killed and reaped there. */
#define LMC_NS_PLACE_MAX 16
struct lmc_ns_vspawn;
bool lmc_ns_vspawn_possible(const struct lmc_ns_spawn_opts *o);
int lmc_ns_vspawn_prepare(const struct lmc_ns_spawn_opts *o, int *place, size_t n_place,
			  struct lmc_ns_spawn_wait *ret_w, struct lmc_ns_vspawn **ret,
			  struct lmc_err *err);
void lmc_ns_vspawn_exec(struct lmc_ns_vspawn *v);
/* Reserve the low descriptors that let a vfork'd child share this process's fd table
 * instead of copying it (nsutil/spawn.c: slots); called once, before anything else opens
 * a descriptor (a process with thousands open: the agent). < 0: none (the copy stays). */
int lmc_ns_vspawn_reserve(void);
/* Give the reserved numbers back (the process has run out of descriptors): free slots at
 * once, busy ones when their start is done; every start copies the table from then on.
 * How many were freed now. */
int lmc_ns_vspawn_release(void);
/* exec on a thread of its own, for a caller without workers (lmc_mgr_run): its wait
 * (lmc_ns_spawn_await) keeps its bound for a child frozen on its way. */
void lmc_ns_vspawn_detach(struct lmc_ns_vspawn *v);
/* A prepared start that will not be done (its fds closed). */
void lmc_ns_vspawn_free(struct lmc_ns_vspawn *v);

/* A starter that raised its own RLIMIT_NOFILE (the agent) gives the commands it starts
 * this soft limit instead (what they would have had: select(2) users rely on 1024). */
void lmc_ns_set_child_nofile(rlim_t soft);

/* The leaf's init: pid 1 of a new pid namespace (when ns->mask has pid), holder of every
 * namespace in ns->mask. It is placed (cgroup_fd / attach) before it unshares the cgroup
 * namespace, mounts a private /proc (mnt+pid), sets the hostname (uts), brings lo up
 * (net), gets uid/gid maps written (user: both must be given), then
 * loops: reaps every child, forwards SIGTERM/SIGINT/SIGHUP/SIGUSR1/SIGUSR2 to its
 * children, exits when sent SIGTERM with no children left or on SIGKILL. It survives the
 * exit of its starter (a new session, stdio on /dev/null). */
struct lmc_ns_init_opts {
	const struct lmc_spec_ns *ns;
	int cgroup_fd;
	const int *place_fds; /* as in lmc_ns_spawn_opts; NULL: attach */
	size_t n_place;
	lmc_ns_attach_fn attach;
	void *userdata;
};
/* The init is a child of the caller: a long-lived caller reaps it when it exits (a SIGCHLD
 * handler or child watcher); a short-lived one leaves it to be reparented. Runs that join it
 * pass a join_mask within ns->mask (joining a user namespace it lacks fails with EINVAL).
 * Waits up to LMC_NS_HANDSHAKE_MS for its set-up report. */
int lmc_ns_init(const struct lmc_ns_init_opts *opts, pid_t *ret_pid, int *ret_pidfd,
		struct lmc_err *err);

/* An init starting (lmc_ns_init in two halves, for an event loop, as the spawn above): it is
 * placed, its maps written and released; chan becomes readable with its report. */
struct lmc_ns_init_wait {
	pid_t pid;
	int pidfd, chan; /* owned; -1 once handed over or closed */
	char hostname[LMC_HOSTNAME_MAX + 1]; /* for a message, when the opts are gone */
};
/* Clone, place and release the init; nothing waits. Failures up to the release are reported
 * here, with nothing left running. */
int lmc_ns_init_start(const struct lmc_ns_init_opts *opts, struct lmc_ns_init_wait *ret,
		      struct lmc_err *err);
/* Read the report: -EAGAIN while there is none (w untouched); else w is done with and the
 * result is lmc_ns_init's (pid and pidfd handed over on success; -ECONNRESET when it died
 * without a word, as one killed at birth does). */
int lmc_ns_init_finish(struct lmc_ns_init_wait *w, pid_t *ret_pid, int *ret_pidfd,
		       struct lmc_err *err);
/* Give up on it: SIGKILL the init (reaped as lmc_ns_kill_reap does), close. */
void lmc_ns_init_cancel(struct lmc_ns_init_wait *w);
/* Cancel for having waited LMC_NS_HANDSHAKE_MS: -ETIMEDOUT, "init: did not start within
 * 10000 ms (is it frozen?)". */
int lmc_ns_init_timeout(struct lmc_ns_init_wait *w, struct lmc_err *err);

/* ---- knowing a process again: never by name or pid alone ---- */

/* Its start time: /proc/<pid>/stat field 22 (clock ticks after boot). */
int lmc_ns_proc_start(pid_t pid, uint64_t *ret);
/* Its namespaces as one number (the inode numbers of /proc/<pid>/ns/{user,mnt,pid,net,ipc,
 * uts,cgroup} hashed; never 0): what a look-alike at a recycled pid cannot share. */
int lmc_ns_proc_nskey(pid_t pid, uint64_t *ret);
/* A pidfd for the process that has pid now, started at start and (nskey not 0) in the
 * namespaces nskey names, if it has not exited; -ESRCH if pid is gone or now another
 * process (reused), start 0 included. */
int lmc_ns_pidfd_adopt(pid_t pid, uint64_t start, uint64_t nskey, int *ret_pidfd);
/* Has the process behind pidfd not exited (zombies have)? */
bool lmc_ns_pidfd_alive(int pidfd);
/* Whether our just-cloned child (held before running anything) already has a SIGKILL
 * pending or is gone: what the kernel's birth kill (see lmc_ns_spawn_start) leaves. */
bool lmc_ns_killed_at_birth(pid_t pid, int pidfd);
/* The placing files a child writes (lmc_ns_spawn_opts.place_fds): all of place, or all but
 * place[0] (the cgroup2 leaf's) when it is cloned there (cgroup_fd >= 0). */
void lmc_ns_place_skip(const int *place, size_t n, int cgroup_fd, const int **ret, size_t *ret_n);

/* ---- user namespace id ranges (idmap.c) ---- */

/* Root's containers get host ids from this pool, one slot each, never meeting a range of
 * /etc/subuid or /etc/subgid (useradd hands those out below SUB_UID_MAX, 600100000 by
 * default) nor another container's map: 16384 slots of 65536 from 2^30 up to 2^31. */
#define LMC_NS_POOL_BASE (1u << 30)
#define LMC_NS_POOL_SLOT 65536u
#define LMC_NS_POOL_SLOTS 16384u

/* Where the subordinate ranges are; NULL fields (or a NULL struct): /etc/subuid, /etc/subgid. */
struct lmc_ns_subid_files {
	const char *subuid, *subgid;
};
/* May a non-root uid (named user, NULL if it has no name; group gid) have ns's maps written
 * for it? Only its own uid/gid (one id) and its subordinate ranges (lines naming the user or
 * its uid), each map within one: what newuidmap(1)/newgidmap(1) allow. -EPERM naming the
 * map otherwise. */
int lmc_ns_idmaps_allowed(uid_t uid, const char *user, gid_t gid, const struct lmc_spec_ns *ns,
			  const struct lmc_ns_subid_files *files, struct lmc_err *err);
/* The first pool slot (its first host id) meeting none of used[] (outside ranges) and no
 * subordinate range; -ENOSPC when the pool is full. */
int lmc_ns_idmap_pool_pick(const struct lmc_idmap *used, size_t n_used,
			   const struct lmc_ns_subid_files *files, uint32_t *ret);

/* Wait for pid (a child of ours, via its pidfd if >= 0): returns the exit status as a
 * shell would: code, or 128+signal. timeout_ms < 0: forever; -ETIMEDOUT. */
int lmc_ns_wait(pid_t pid, int pidfd, int timeout_ms, int *ret_status);

/* pidfd_open wrapper. */
int lmc_ns_pidfd_open(pid_t pid);

/* ---- low-level helpers shared by nsutil's files (callers outside nsutil use the above) ---- */

/* clone3 used like fork: returns 0 in the child, the child's pid in the parent, -errno on
 * failure. flags are CLONE_* bits (CLONE_PIDFD is added when ret_pidfd is not NULL);
 * cgroup_fd >= 0 adds CLONE_INTO_CGROUP. The child's exit signal is SIGCHLD. */
pid_t lmc_ns_clone(uint64_t flags, int cgroup_fd, int *ret_pidfd);
/* The same with the child on a stack of the caller's [stack, stack + size): it runs fn(arg)
 * there and exits with what fn returns, as glibc's clone(3) does, with CLONE_INTO_CGROUP
 * possible (for CLONE_VM | CLONE_VFORK into a cgroup2 leaf). The pid, or -errno; -ENOSYS
 * where it is not written (lmc_ns_clone_fn_possible false). */
pid_t lmc_ns_clone_fn(uint64_t flags, int cgroup_fd, void *stack, size_t size, int (*fn)(void *),
		      void *arg, int *ret_pidfd);
bool lmc_ns_clone_fn_possible(void);

/* In a freshly cloned child: every signal disposition back to SIG_DFL, so no handler of the
 * parent's can run in the child once signals are unblocked. */
void lmc_ns_reset_signals(void);
/* The signals whose disposition is not SIG_DFL (handled or ignored), bit N-1 for signal N
 * (a sigset_t cannot hold glibc's own 32 and 33), from the parent before it clones
 * (/proc/self/status: one read, where asking each signal is 64 system calls, 65 us on this
 * VM), for lmc_ns_reset_signals_in in the child. 0 or -errno. */
int lmc_ns_signals_set(uint64_t *ret);
/* In a freshly cloned child: the signals in set back to SIG_DFL. */
void lmc_ns_reset_signals_in(uint64_t set);

/* enum lmc_ns bits -> CLONE_NEW* flags. */
int lmc_ns_clone_flags(uint32_t mask);

/* SIGKILL the child behind pidfd and reap it, waiting at most the reap bound (below). */
void lmc_ns_kill_reap(int pidfd);
/* The reap bound: LMC_NS_HANDSHAKE_MS by default (a task frozen by a v1 freezer dies only
 * once thawed). An event loop that reaps its exited children itself (SIGCHLD) sets 0: the
 * kill is sent and nothing waits. */
void lmc_ns_set_reap_wait(int timeout_ms);

/* poll fd for POLLIN (or hang-up) up to timeout_ms: 0, -ETIMEDOUT or -errno. */
int lmc_ns_wait_readable(int fd, int timeout_ms);

#endif
