/* The operations on containers (DESIGN section 4): create, update, destroy, run, enter, kill,
 * pause, resume, list, spec, stats, init. The one layer that ties the tree, the store, the
 * policy, the controllers and nsutil together; the CLI (direct mode) and the agent both call
 * it. Every operation checks everything before it changes anything, and a failure part-way
 * rolls back: the tree, the store and the kernel are left as they were.
 *
 * core's one public header: the layers above include this alone (tests/layers.py), and get
 * the event sources, the event log, the OOM log, eviction's watch and task records with it. */
#ifndef LMC_MANAGER_H
#define LMC_MANAGER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/cgroup.h"
#include "base/err.h"
#include "base/spec.h"
#include "base/tree.h"
#include "core/events.h"
#include "core/evict-watch.h"
#include "core/evlog.h"
#include "core/oomlog.h"
#include "core/task.h"

/* Runtime state on tmpfs, beside the socket: it lives exactly as long as the cgroups it
 * describes (docs/design.md, "What survives what"). */
#define LMC_DEFAULT_STATE_DIR "/run/lmctl"
#define LMC_DEFAULT_SOCKET "/run/lmctl/lmctld.sock"

struct lmc_manager;
struct lmc_cgfs_opts;

struct lmc_manager_opts {
	const char *state_dir; /* NULL: $LMCTL_STATE_DIR, else LMC_DEFAULT_STATE_DIR */
	const char *cgroup_root; /* NULL: $LMCTL_CGROUP_ROOT, else own cgroup + /lmctl */
	int lock_timeout_ms; /* how long to wait for the state directory lock */
	bool fsync; /* fsync records (a state directory on disk; also $LMCTL_FSYNC=1) */
	bool no_lock; /* read-only callers that accept a racy view (never writers) */
	/* Unit tests: cgroupfs options naming a fake root (fake_fsroot, fake_mode), so the
	 * manager runs over a temporary directory as cgroupfs does (tests/unit/test_manager.c).
	 * Their root, recorded and create_root are the manager's own. NULL: the machine's. */
	const struct lmc_cgfs_opts *cgfs;
	/* A command about this one leaf alone (a run): open reads only the records of its
	 * path (the root's, its ancestors', its own) and its own task records, where the
	 * store shows that is all of it (every record on the path ready, nothing below the
	 * leaf); otherwise everything, as without. Whatever else a crash left in flight waits
	 * for the next whole load. NULL: everything. */
	const char *scope;
};

/* Open: the cgroup hierarchies (creating lmctl's root), the store (locked), load every
 * record into the tree, and finish what a crash interrupted: a CREATING record is rolled
 * back (never acknowledged), a DESTROYING one is completed, an UPDATING one is applied
 * again (its kernel writes may not all have happened); an unreadable record is moved aside
 * and its container adopted from cgroupfs (lmc_mgr_notes says what was done). */
int lmc_mgr_open(const struct lmc_manager_opts *opts, struct lmc_manager **ret,
		 struct lmc_err *err);
void lmc_mgr_free(struct lmc_manager *m);

/* The state directory (the agent keeps its event journal there). */
const char *lmc_mgr_state_dir(struct lmc_manager *m);
/* The container's memory cgroup as the kernel names it in its log ("/a/b", core/oomlog.h). */
int lmc_mgr_memcg_path(struct lmc_manager *m, const char *name, char *buf, size_t size);
/* How many containers there are, not counting the root. */
size_t lmc_mgr_count(struct lmc_manager *m);
/* Is there a container name? Its canonical name into ret_canon (LMC_NAME_MAX + 1); a bad
 * name -EINVAL, none -ENOENT ("no such container"). */
int lmc_mgr_find(struct lmc_manager *m, const char *name, char *ret_canon, struct lmc_err *err);

/* Machine facts and the root's capacity. */
struct lmc_machine_info {
	enum lmc_cg_mode mode;
	char paths[LMC_CTRL__MAX][512]; /* lmctl's root per managed hierarchy, "" if none */
	char placement[320]; /* where the root went and why (v2), "" when there was no choice */
	char why[LMC_CTRL__MAX][400]; /* why a controller is not usable, "" if it is */
	uint64_t mem_total, pid_max;
	unsigned ncpus;
	uint64_t reserve_mem, reserve_cpu_m;
	struct lmc_spec capacity; /* the root record: machine less reserve */
	size_t n_containers;
};
int lmc_mgr_info(struct lmc_manager *m, struct lmc_machine_info *ret);
/* Set the system reserve (LMC_UNSET: keep) and store the root's capacity. */
int lmc_mgr_init(struct lmc_manager *m, uint64_t reserve_mem, uint64_t reserve_cpu_m,
		 struct lmc_err *err);

int lmc_mgr_create(struct lmc_manager *m, const char *name, const struct lmc_spec *spec,
		   struct lmc_err *err);
/* The same in steps, for an event loop that must not wait for a namespace init's hand-shake
 * (core/manager-init.c). Start: the checks, the CREATING record, the cgroups and limits and,
 * with namespaces, the init released; *ret is then the create under way (NULL: done). Its
 * node is in the tree meanwhile (admission counts it), refusing runs, creates under it,
 * updates and destroys ("is being created"). */
struct lmc_mgr_creating;
int lmc_mgr_create_start(struct lmc_manager *m, const char *name, const struct lmc_spec *spec,
			 struct lmc_mgr_creating **ret, struct lmc_err *err);
/* Readable when the init has reported (-1: nothing to wait for, call _finish); it changes
 * when a second attempt starts. */
int lmc_mgr_creating_fd(const struct lmc_mgr_creating *c);
const char *lmc_mgr_creating_name(const struct lmc_mgr_creating *c);
/* -EAGAIN: no report yet. 0: created (READY record, c freed). Else the create failed (err
 * says why) and c waits for lmc_mgr_create_undo, then lmc_mgr_create_abandon. */
int lmc_mgr_create_finish(struct lmc_manager *m, struct lmc_mgr_creating *c, struct lmc_err *err);
/* No report within LMC_NS_HANDSHAKE_MS: the init is killed; the create has failed. */
int lmc_mgr_create_timeout(struct lmc_manager *m, struct lmc_mgr_creating *c, struct lmc_err *err);
/* A failed create's kill, wait and rmdirs: cgroupfs only, never the tree (a worker
 * thread may do it). */
void lmc_mgr_create_undo(struct lmc_manager *m, struct lmc_mgr_creating *c);
/* Then its tree node and record go (c freed); cgroups that would not go (still frozen) stay
 * a container, as a failed destroy leaves one, with its CREATING record (undone by the next
 * open, or destroyed). */
void lmc_mgr_create_abandon(struct lmc_manager *m, struct lmc_mgr_creating *c);
/* The rest of a create started, waiting here (bounded), a failure undone: lmc_mgr_create's. */
int lmc_mgr_create_run(struct lmc_manager *m, struct lmc_mgr_creating *c, struct lmc_err *err);
/* Before a run, for an event loop: a namespaced leaf whose init is gone starts a new one
 * first (core/manager-init.c). 0 with *ret NULL: nothing to wait for, run now. 0 with *ret:
 * an init released (checked as a run would be: leaf, paused, pids room); handle the run again
 * once lmc_mgr_run_init_finish says it is up. -EINPROGRESS: another run's new init for this
 * leaf is under way: wait for that one. Else refused (err). */
struct lmc_mgr_init_wait;
int lmc_mgr_run_init_start(struct lmc_manager *m, const char *name, struct lmc_mgr_init_wait **ret,
			   struct lmc_err *err);
/* Readable when the init has reported; changes when a second attempt starts. */
int lmc_mgr_init_wait_fd(const struct lmc_mgr_init_wait *iw);
const char *lmc_mgr_init_wait_name(const struct lmc_mgr_init_wait *iw);
/* -EAGAIN: no report yet. Else iw is freed: 0 the init is up (held and recorded), or the
 * failure (nothing left running). */
int lmc_mgr_run_init_finish(struct lmc_manager *m, struct lmc_mgr_init_wait *iw,
			    struct lmc_err *err);
/* No report within LMC_NS_HANDSHAKE_MS (-ETIMEDOUT), or given up (cancel): killed, freed. */
int lmc_mgr_run_init_timeout(struct lmc_manager *m, struct lmc_mgr_init_wait *iw,
			     struct lmc_err *err);
void lmc_mgr_run_init_cancel(struct lmc_manager *m, struct lmc_mgr_init_wait *iw);
/* upd holds only the fields to change (others LMC_UNSET); force: allow a memory limit below
 * current usage. */
int lmc_mgr_update(struct lmc_manager *m, const char *name, const struct lmc_spec *upd, bool force,
		   struct lmc_err *err);
/* recursive: destroy the subtree and kill its processes; without it a container with
 * children or processes is refused. */
int lmc_mgr_destroy(struct lmc_manager *m, const char *name, bool recursive, struct lmc_err *err);
/* The same in three steps, so that the agent waits off its loop. _start (the loop): the
 * checks (force: processes are killed, as with recursive), the DESTROYING record, and the
 * names to remove, children first, in *ret_names (malloc'd; *ret_n); the subtree refuses
 * creates, runs and destroys from now until _finish. _work (any thread, cgroupfs only): the
 * kill of the whole subtree and the rmdirs; *ret_done: how many of names[] are gone.
 * _finish (the loop, always called after a _start that succeeded): drops the records and
 * tree nodes of the first done names, then (r >= 0) the tasks and one directory sync. */
int lmc_mgr_destroy_start(struct lmc_manager *m, const char *name, bool recursive, bool force,
			  char (**ret_names)[LMC_NAME_MAX + 1], size_t *ret_n, struct lmc_err *err);
int lmc_mgr_destroy_work(struct lmc_manager *m, char (*names)[LMC_NAME_MAX + 1], size_t n,
			 size_t *ret_done, struct lmc_err *err);
/* A destroy small and empty enough for the caller's own thread, in place of _work: at most
 * LMC_MGR_DESTROY_QUICK_MAX names and no process in them now (one read), so nothing to kill
 * or wait for. _rmdirs then does _work's rmdirs alone (a process that slipped in since
 * makes them fail: the destroy is refused, as with one that remains after a kill). */
#define LMC_MGR_DESTROY_QUICK_MAX 8
bool lmc_mgr_destroy_quick(struct lmc_manager *m, char (*names)[LMC_NAME_MAX + 1], size_t n);
int lmc_mgr_destroy_rmdirs(struct lmc_manager *m, char (*names)[LMC_NAME_MAX + 1], size_t n,
			   size_t *ret_done, struct lmc_err *err);
int lmc_mgr_destroy_finish(struct lmc_manager *m, char (*names)[LMC_NAME_MAX + 1], size_t n,
			   size_t done, int r, struct lmc_err *err);
/* Is n, or a container above it, being destroyed (between _start and _finish)? */
bool lmc_mgr_destroying(const struct lmc_node *n);
/* n itself is being created (lmc_mgr_create_start .. its end). */
bool lmc_mgr_creating(const struct lmc_node *n);
/* -EBUSY "NAME: is being destroyed" / "is being created", else 0. */
int lmc_mgr_refuse_busy(const struct lmc_node *n, struct lmc_err *err);

struct lmc_list_entry {
	char name[LMC_NAME_MAX + 1];
	int depth; /* below the listed container: 0 for itself */
	int64_t priority; /* eviction priority, own or inherited */
	pid_t *pids; /* with want_pids; malloc'd */
	size_t n_pids;
	bool paused; /* frozen (lmctl pause), itself or by an ancestor */
};
int lmc_mgr_list(struct lmc_manager *m, const char *name, bool recursive, bool want_pids,
		 struct lmc_list_entry **ret, size_t *ret_n, struct lmc_err *err);
void lmc_list_free(struct lmc_list_entry *l, size_t n);

/* What was asked for and the effective values (eff's names point into the tree: use them
 * before the next call that changes it). */
int lmc_mgr_spec(struct lmc_manager *m, const char *name, struct lmc_spec *ret_spec,
		 struct lmc_effective *ret_eff, struct lmc_err *err);

struct lmc_stats_entry {
	char name[LMC_NAME_MAX + 1];
	bool paused; /* not filled by lmc_mgr_stats: lmctl takes it from the list */
	struct lmc_stats stats;
	int64_t priority; /* eviction priority, own or inherited */
	uint64_t read_realtime_ns, read_monotonic_ns; /* when its figures were read */
	/* Destroyed since the plan, figures unset: lmc_mgr_stats_fill_live skips any such,
	 * lmc_mgr_stats_fill those below the first (the asked container; it failing fails). */
	bool gone;
};
int lmc_mgr_stats(struct lmc_manager *m, const char *name, bool recursive,
		  struct lmc_stats_entry **ret, size_t *ret_n, struct lmc_err *err);
/* Only the resources in fields (LMC_STATF_*, base/spec.h; 0: every one): the files of the
 * others are not read, their figures stay unset. */
int lmc_mgr_stats_fields(struct lmc_manager *m, const char *name, bool recursive, unsigned fields,
			 struct lmc_stats_entry **ret, size_t *ret_n, struct lmc_err *err);
/* lmc_mgr_stats in two steps, so that the agent can read outside its event loop. plan lists
 * the containers (names set, figures unset) from the tree without touching cgroupfs. fill
 * reads their figures from cgroupfs alone, never the tree, so it may run on another thread
 * while the tree changes; large sets are read by several threads at once. A container gone
 * in between fails it with -ENOENT. */
int lmc_mgr_stats_plan(struct lmc_manager *m, const char *name, bool recursive,
		       struct lmc_stats_entry **ret, size_t *ret_n, struct lmc_err *err);
int lmc_mgr_stats_fill(struct lmc_manager *m, struct lmc_stats_entry *e, size_t n,
		       struct lmc_err *err);
int lmc_mgr_stats_fill_fields(struct lmc_manager *m, struct lmc_stats_entry *e, size_t n,
			      unsigned fields, struct lmc_err *err);
/* The same for a reader of everything (the agent's metrics), which one destroy must not
 * fail: a container gone since the plan is marked gone and skipped. It takes limits from
 * the spec: the kernel's (stats.mem_limit, pids_limit) are not read and stay unset. */
int lmc_mgr_stats_fill_live(struct lmc_manager *m, struct lmc_stats_entry *e, size_t n,
			    struct lmc_err *err);

struct lmc_run_opts {
	const char *const *argv;
	const char *const *env; /* NULL: inherit */
	const char *cwd;
	bool set_ids;
	uid_t uid;
	gid_t gid;
	/* uid named without a gid: gid and supplementary groups from the user database (as
	 * runuser and setpriv --init-groups); a uid it does not know is refused. Otherwise
	 * setgroups to just gid. */
	bool gid_from_user;
	int stdio[3]; /* -1: inherit */
	bool detach; /* new session */
	const char *task_id; /* lmc_mgr_task_run: the task's id; NULL or "": one is picked */
	bool log; /* lmc_mgr_task_run: stdin /dev/null, stdout and stderr to the task's log */
	/* lmc_mgr_run_start for the agent: where it can be (no namespaces to join), the clone is
	 * left to the caller's worker thread, which calls lmc_ns_vspawn_exec(*defer); else
	 * *defer stays NULL and the child is started here. */
	struct lmc_ns_vspawn **defer;
};
/* Start argv in the leaf `name`, placed in every hierarchy before it runs anything, inside
 * the leaf's namespaces (through its init) if it has any. Refused for a container with
 * children. Returns the pid and a pidfd; the caller waits (lmc_ns_wait) or watches it. */
int lmc_mgr_run(struct lmc_manager *m, const char *name, const struct lmc_run_opts *o,
		pid_t *ret_pid, int *ret_pidfd, struct lmc_err *err);
/* The same in two halves for an event loop: everything up to the child's release, then
 * its report read when ret->chan is readable (lmc_ns_spawn_finish; lmc_ns_spawn_timeout
 * after LMC_NS_HANDSHAKE_MS). A leaf's namespace init, when one must start first, is still
 * waited for here. */
struct lmc_ns_spawn_wait;
struct lmc_ns_vspawn;
int lmc_mgr_run_start(struct lmc_manager *m, const char *name, const struct lmc_run_opts *o,
		      struct lmc_ns_spawn_wait *ret, struct lmc_err *err);
/* Move existing processes (whole thread groups) into the leaf, if they fit its pids limits
 * and its ancestors' (the kernel does not check a move against them). */
int lmc_mgr_enter(struct lmc_manager *m, const char *name, const pid_t *pids, size_t n,
		  struct lmc_err *err);
/* What enter knows of a process it is about to move, read while it holds the process by a
 * pidfd (so a pid reused meanwhile is not moved): for the caller's check, the agent's
 * authorization (proto/auth.c). in: the container it is in as the pids hierarchy says
 * (else the first); places: the same in every managed hierarchy; "" is lmctl's root, NULL a
 * cgroup outside it (in: "" for both, outside set). */
struct lmc_mgr_mover {
	pid_t pid;
	uid_t ids[3]; /* real, effective, saved */
	const char *in;
	bool outside;
	const char *const *places;
	size_t n_places;
};
typedef int (*lmc_mgr_mover_fn)(const struct lmc_mgr_mover *p, void *userdata, struct lmc_err *err);
/* lmc_mgr_enter with check(p, userdata, err) called for each process before anything moves:
 * its negative return refuses the whole enter. */
int lmc_mgr_enter_checked(struct lmc_manager *m, const char *name, const pid_t *pids, size_t n,
			  lmc_mgr_mover_fn check, void *userdata, struct lmc_err *err);
/* Signal every process in the container (and below with recursive). SIGKILL uses
 * cgroup.kill and waits until they are gone. */
int lmc_mgr_kill(struct lmc_manager *m, const char *name, int sig, bool recursive,
		 struct lmc_err *err);
/* The same for an event loop: a SIGKILL of a whole subtree returns 1 with its canonical
 * name in ret_name (LMC_NAME_MAX + 1) and does nothing: the caller runs lmc_mgr_kill_wait
 * (name) off its loop; anything else is done (0). */
int lmc_mgr_kill_start(struct lmc_manager *m, const char *name, int sig, bool recursive,
		       char *ret_name, struct lmc_err *err);
#define LMC_MGR_KILL_TIMEOUT_MS 10000
/* The kill lmc_mgr_kill_start left (name: its ret_name): every process in the subtree
 * killed, waited for until it is empty (LMC_MGR_KILL_TIMEOUT_MS; -ETIMEDOUT). Any thread:
 * it touches only cgroupfs, never the tree. */
int lmc_mgr_kill_wait(struct lmc_manager *m, const char *name, struct lmc_err *err);
int lmc_mgr_pause(struct lmc_manager *m, const char *name, struct lmc_err *err);
int lmc_mgr_resume(struct lmc_manager *m, const char *name, struct lmc_err *err);
/* Pause without waiting: the freeze is under way; lmc_mgr_freeze_wait(m, ret_name) waits
 * for it (bounded; any thread: it touches only cgroupfs, never the tree). */
int lmc_mgr_pause_start(struct lmc_manager *m, const char *name, char *ret_name,
			struct lmc_err *err);
int lmc_mgr_freeze_wait(struct lmc_manager *m, const char *name, struct lmc_err *err);

/* One of the container's kernel event sources (core/events.h): kind LMC_EVK_OOM,
 * LMC_EVK_THRESHOLD (memory usage crossing threshold bytes, either way) or LMC_EVK_EMPTY.
 * The container must exist (-ENOENT); the source is the caller's (lmc_events_free). */
int lmc_mgr_events_open(struct lmc_manager *m, const char *name, enum lmc_events_kind kind,
			uint64_t threshold, struct lmc_evsrc **ret, struct lmc_err *err);

/* ---- tasks (core/manager-task.c): every process run starts ---- */

/* A run as a task. o->task_id NULL or "" picks one. If the container already has the
 * task id, nothing starts: *ret_existed is set and ret describes that task (retry-safe).
 * Otherwise the process starts (lmc_mgr_run; with o->log, stdin /dev/null and stdout and
 * stderr to its log), its record is stored, and ret describes it with *ret_pidfd the
 * caller's to watch. ret is a copy: lmc_task_done it. uid: who asks (kept in the record). */
int lmc_mgr_task_run(struct lmc_manager *m, const char *name, const struct lmc_run_opts *o,
		     uid_t uid, struct lmc_task *ret, bool *ret_existed, int *ret_pidfd,
		     struct lmc_err *err);
/* The same in halves for an event loop (lmc_mgr_run_start): the task is entered as
 * starting (pid 0: a retry finds it and starts nothing) and the child released; once its
 * report is read, lmc_mgr_task_started (pidfd: the caller's, duplicated) or
 * lmc_mgr_task_start_failed (the task is forgotten). */
int lmc_mgr_task_run_start(struct lmc_manager *m, const char *name, const struct lmc_run_opts *o,
			   uid_t uid, struct lmc_task *ret, bool *ret_existed,
			   struct lmc_ns_spawn_wait *w, struct lmc_err *err);
void lmc_mgr_task_started(struct lmc_manager *m, const char *container, const char *id, pid_t pid,
			  int pidfd);
void lmc_mgr_task_start_failed(struct lmc_manager *m, const char *container, const char *id);
/* The task's process ended (wstatus as waitpid gives it; -1: unknown, why says so): its
 * record gets its final state (OOM_KILLED when SIGKILLed while the container's OOM kill
 * count rose, EVICTED when marked so), is stored and the hook is called. Nothing if the
 * task is gone or has ended already. */
void lmc_mgr_task_ended(struct lmc_manager *m, const char *container, const char *id, int wstatus,
			const char *why);
/* The same for a direct-mode run whose manager was let go while its command ran (pid, its
 * process): the state lock and the container's task records only are taken, without the
 * cgroups or the container records an open reads; a SIGKILL, which needs the OOM count,
 * opens the manager. Best effort: the next reader finds the task ended anyway. */
void lmc_mgr_task_end_unheld(const struct lmc_manager_opts *opts, const char *container,
			     const char *id, pid_t pid, int wstatus);
/* One task (a copy). A running task whose process nobody watches is looked at first. */
int lmc_mgr_task_get(struct lmc_manager *m, const char *name, const char *id, struct lmc_task *ret,
		     struct lmc_err *err);
/* The tasks of name (and below with recursive; "" = all): copies, lmc_tasks_list_free. */
int lmc_mgr_task_list(struct lmc_manager *m, const char *name, bool recursive,
		      struct lmc_task **ret, size_t *ret_n, struct lmc_err *err);
/* Forget an ended task; a running one is refused (-EBUSY) unless force (SIGKILL, wait). */
int lmc_mgr_task_delete(struct lmc_manager *m, const char *name, const char *id, bool force,
			struct lmc_err *err);
/* Signal a running task through its pidfd (sig 0: SIGKILL); -ESRCH once it ended. */
int lmc_mgr_task_signal(struct lmc_manager *m, const char *name, const char *id, int sig,
			struct lmc_err *err);
/* A detached task's log from offset (lmc_tasks_log_read). */
int lmc_mgr_task_log(struct lmc_manager *m, const char *name, const char *id, uint64_t offset,
		     size_t max, uint8_t **ret_buf, size_t *ret_len, uint64_t *ret_next,
		     bool *ret_rotated, bool *ret_ended, struct lmc_err *err);
/* The agent at start: every RUNNING record's process looked for again by pid and start
 * time. Ended with a status the kernel kept (a zombie, or a pidfd's exit information):
 * that status; gone without one: LOST; either way ended(t) is called (t stays in the table,
 * the caller may end it again with a status it knows better: lmc_tasks_ended). Still
 * running: watch(t) is called, t->pidfd set (the table keeps it; the caller polls a dup).
 * report as for lmc_mgr_reconcile. */
void lmc_mgr_tasks_recover(struct lmc_manager *m,
			   void (*watch)(const struct lmc_task *t, void *userdata),
			   void (*ended)(struct lmc_task *t, void *userdata),
			   void (*report)(const char *name, const char *what, void *userdata),
			   void *userdata);
/* The table (opened on first use; NULL if it cannot be): for the hook and the eviction
 * code (lmc_tasks_set_hook, lmc_tasks_mark_evicted, lmc_tasks_log_rotate). While a load
 * started by lmc_mgr_tasks_load_start runs, waits for it. */
struct lmc_tasks *lmc_mgr_tasks(struct lmc_manager *m);
/* Read the task records in a thread of their own (the agent's restart serves before its
 * 10,000 records are read): done(userdata) is called from that thread when they are; the
 * first lmc_mgr_tasks takes the table (waiting for the thread if it still runs), so nothing
 * ever sees a part of it. ready(userdata) is called once, by the first lmc_mgr_tasks on the
 * thread that called this one, before it returns (the agent recovers its tasks there, so no
 * request sees a record before the recovery has looked at it). -errno (nothing started):
 * open them on first use as before, ready not called. */
int lmc_mgr_tasks_load_start(struct lmc_manager *m, void (*done)(void *userdata),
			     void (*ready)(void *userdata), void *userdata);
/* destroy: forget the tasks of name and below. */
void lmc_mgr_tasks_forget(struct lmc_manager *m, const char *name);

/* Facts the agent's authorization (proto/auth.c) asks for. The owner of the container name
 * (canonical; -ENOENT: no such container). */
int lmc_mgr_owner(struct lmc_manager *m, const char *name, uid_t *ret);
/* uid's name in the user database (/etc/passwd read directly where NSS has no answer, as in
 * a static build); -ENOENT: none. */
int lmc_mgr_user_name(uid_t uid, char *buf, size_t size);

/* Reconcile the store with cgroupfs (the agent at start): report what open found and did
 * while recovering (lmc_mgr_notes), recreate and re-apply stored containers whose cgroups
 * are missing, re-apply a stored spec whose limits the kernel does not hold (a crash in the
 * middle of an update); report (never delete) cgroups under the root that no record names.
 * report(name, what, userdata) is called once per finding. */
typedef void (*lmc_mgr_report_fn)(const char *name, const char *what, void *userdata);
int lmc_mgr_reconcile(struct lmc_manager *m, lmc_mgr_report_fn report, void *userdata,
		      struct lmc_err *err);
/* What open found and did while recovering (an unreadable record moved aside, a container
 * adopted from cgroupfs), once per finding; for direct mode, which does not reconcile. */
void lmc_mgr_notes(struct lmc_manager *m, lmc_mgr_report_fn report, void *userdata);

#endif
