/* State shared by the manager's files (core/manager*.c) and core/evict-watch.c (the kernel
 * side of the agent's eviction, on the manager's cgroupfs and tree); not for other modules. */
#ifndef LMC_MANAGER_INTERNAL_H
#define LMC_MANAGER_INTERNAL_H

#include <pthread.h>
#include "controllers/controller.h"
#include "core/manager.h"
#include "core/store.h"
#include "core/task.h"
#include "nsutil/ns.h"
#include "policy/policy.h"

/* How long a kill waits for the processes to be gone. */
#define KILL_TIMEOUT_MS LMC_MGR_KILL_TIMEOUT_MS

struct lmc_manager {
	struct lmc_cgfs *cg;
	struct lmc_store *store;
	struct lmc_tree *tree;
	bool locked; /* holds the state directory lock: may write and recover */
	struct lmc_mgr_note *notes; /* what open found and did, for lmc_mgr_notes */
	size_t n_notes;
	struct lmc_tasks *tasks; /* opened on first use (core/manager-task.c) */
	/* Only this container's path and tasks were read (lmc_manager_opts.scope); "" all */
	char scope[LMC_NAME_MAX + 1];
	struct lmc_mgr_tasks_loader *loader; /* lmc_mgr_tasks_load_start until joined */
	/* lmc_mgr_tasks_load_start's ready(ready_data), due on the thread that started the
	 * load (owner) at its first lmc_mgr_tasks; NULL once called */
	void (*tasks_ready)(void *userdata);
	void *tasks_ready_data;
	pthread_t tasks_owner;
};

/* Open's reading of one leaf's path only (core/manager-scope.c): 1 when the tree holds the
 * path, 0 when the whole store must be read instead (nothing was added to the tree). */
int lmc_mgr_load_path(struct lmc_manager *m, const char *scope, struct lmc_err *err);

/* Wait for a table being loaded (lmc_mgr_tasks_load_start) and take it: before free. */
void lmc_mgr_tasks_join(struct lmc_manager *m);

/* One finding of open's recovery: name ("" for none) and what was found and done. */
struct lmc_mgr_note {
	char name[LMC_NAME_MAX + 1];
	char what[384];
};

/* A leaf's namespace init as the store records it: its pid and start time together (a pid
 * alone may be another process by now). */
struct lmc_init_id {
	pid_t pid; /* 0 none */
	uint64_t start; /* /proc/<pid>/stat field 22 */
	uint64_t ns; /* lmc_ns_proc_nskey; 0 unknown (a record from before it) */
};

/* Per-node runtime facts kept in lmc_node.user (lmc_mgr_rt_free'd with the tree). */
struct lmc_node_rt {
	struct lmc_init_id init;
	int init_pidfd; /* held once the init is known to be that process; -1 not yet */
	bool destroying; /* lmc_mgr_destroy_start .. _finish */
	bool creating; /* lmc_mgr_create_start .. its init's report (core/manager-init.c) */
	bool init_starting; /* lmc_mgr_run_init_start .. its report: runs wait for it */
};
/* n's runtime facts, made on first use (NULL: out of memory). */
struct lmc_node_rt *lmc_mgr_rt(struct lmc_node *n);

/* Look a container up by a user-supplied name; fills err ("x: no such container"). The
 * root is refused unless allow_root. */
int lmc_mgr_lookup(struct lmc_manager *m, const char *name, bool allow_root, struct lmc_node **ret,
		   struct lmc_err *err);
pid_t lmc_mgr_init_pid(const struct lmc_node *n);
/* The recorded init (NULL none), for lmc_mgr_put. */
const struct lmc_init_id *lmc_mgr_init_id(const struct lmc_node *n);
/* Record the node's init (pid 0: none); takes pidfd (-1: not opened yet). */
int lmc_mgr_set_init(struct lmc_node *n, const struct lmc_init_id *id, int pidfd);
/* A pidfd of the node's init if it is still the process recorded (the held one, or one
 * adopted by pid and start time); -ESRCH, the record cleared, when it is gone. Not owned by
 * the caller. */
int lmc_mgr_init_fd(struct lmc_node *n);
void lmc_mgr_rt_free(struct lmc_node *n);
/* Store the node's record in state st, with its init (NULL: none). */
int lmc_mgr_put(struct lmc_manager *m, const char *name, const struct lmc_spec *spec,
		enum lmc_rec_state st, const struct lmc_init_id *init, struct lmc_err *err);

/* ---- core/manager-init.c: a leaf's init in steps, a create waiting for one ---- */

/* An init under way: its report channel in w.chan. */
struct lmc_mgr_init_wait {
	struct lmc_ns_init_wait w;
	struct lmc_spec_ns ns; /* for a second attempt */
	char name[LMC_NAME_MAX + 1];
	bool placed; /* cloned into the cgroup2 leaf: one killed at birth is tried again */
};
/* Clone, place and release the leaf's init (refused while the leaf or one above is paused). */
int lmc_mgr_init_begin(struct lmc_manager *m, const char *name, const struct lmc_spec *spec,
		       struct lmc_mgr_init_wait *iw, struct lmc_err *err);
/* Its report: -EAGAIN none yet (perhaps on a new channel: a second attempt, unplaced, after
 * one killed at birth); else who it is and a pidfd, or the failure (nothing left running). */
int lmc_mgr_init_end(struct lmc_manager *m, struct lmc_mgr_init_wait *iw,
		     struct lmc_init_id *ret_id, int *ret_pidfd, struct lmc_err *err);
/* The same for a run into node (checked), which waits for it (lmc_mgr_run_init_finish). */
int lmc_mgr_run_init_begin(struct lmc_manager *m, struct lmc_node *node,
			   struct lmc_mgr_init_wait **ret, struct lmc_err *err);
/* Both with a bounded wait between (direct mode). */
int lmc_mgr_start_init(struct lmc_manager *m, const char *name, const struct lmc_spec *spec,
		       struct lmc_init_id *ret_id, int *ret_pidfd, struct lmc_err *err);
/* Create's last step with namespaces (its CREATING record, cgroups and limits in place): the
 * node enters the tree marked creating and the init is begun; any failure from here is
 * undone by lmc_mgr_create_undo and _abandon. */
int lmc_mgr_create_wait(struct lmc_manager *m, const char *name, const struct lmc_spec *spec,
			struct lmc_mgr_creating **ret, struct lmc_err *err);

/* ---- core/manager-proc.c: starting processes ---- */

/* nsutil's attach callback (userdata: struct lmc_mgr_attach): pid into name's cgroups. */
struct lmc_mgr_attach {
	struct lmc_manager *m;
	const char *name;
	bool skip_unified; /* clone3 placed it in the cgroup2 tree already */
};
int lmc_mgr_attach_cb(pid_t pid, void *userdata, struct lmc_err *err);
/* Was a start into cgroup_fd (>= 0) refused by the kernel's birth kill: retry unplaced. */
bool lmc_mgr_clone_into_refused(int r, int cgroup_fd);
/* -EBUSY when name or one above it is paused: what starts there would freeze at once. */
int lmc_mgr_refuse_frozen(struct lmc_manager *m, const char *name, const char *what,
			  struct lmc_err *err);
/* A user namespace without a uid or gid map gets a range of its own from the pool. */
int lmc_mgr_idmaps_assign(struct lmc_manager *m, const char *name, struct lmc_spec *spec,
			  struct lmc_err *err);
/* The gid and supplementary groups a run as o->uid gets (o->gid_from_user); *ret_groups
 * is malloc'd. */
int lmc_mgr_run_groups(const struct lmc_run_opts *o, gid_t *ret_gid, gid_t **ret_groups,
		       size_t *ret_n, struct lmc_err *err);
/* Keep managing what a lost record leaves (core/manager-recover.c): records load could not
 * read are adopted from cgroupfs where their container still exists, and so are the missing
 * ancestors of the records in recs still waiting for a parent (name set, state READY); every
 * finding becomes a note. A reader (no lock) changes nothing: it only notes the records it
 * cannot read. */
int lmc_mgr_recover_lost(struct lmc_manager *m, struct lmc_record *recs, size_t n,
			 const struct lmc_store_bad *bad, size_t nbad);
/* Updates a crash interrupted (UPDATING records, core/manager-recover.c): the stored spec is
 * applied again and the record marked READY, each with a note. Lock holder only. */
int lmc_mgr_finish_updates(struct lmc_manager *m, const struct lmc_record *recs, size_t n);
int lmc_mgr_note(struct lmc_manager *m, const char *name, const char *fmt, ...) _printf_(3, 4);

/* Does the container itself (not below) hold any process? */
int lmc_mgr_has_procs(struct lmc_manager *m, const char *name, bool *ret);

/* ---- core/manager-limits.c ---- */

/* What the kernel is given for a container with spec below parent: spec itself, except that
 * where blkio does not nest throttles (v1) they are the minimum along the ancestors (at's
 * taken from as, for an update not yet in the tree; at may be NULL). -E2BIG via err if that
 * names more devices than a spec holds. */
int lmc_mgr_kernel_spec(struct lmc_manager *m, const char *name, const struct lmc_node *parent,
			const struct lmc_spec *spec, const struct lmc_node *at,
			const struct lmc_spec *as, struct lmc_spec *ret, struct lmc_err *err);
/* v1: rewrite the throttles of node's descendants for node's new spec (write false: only
 * check that each fits). A failed write puts back those done. */
int lmc_mgr_subtree_throttles(struct lmc_manager *m, struct lmc_node *node,
			      const struct lmc_spec *newspec, bool write, struct lmc_err *err);
/* Start-up: write n's throttles again where they do not nest (v1), best effort. */
void lmc_mgr_reconcile_throttles(struct lmc_manager *m, const struct lmc_node *n);
/* Update: the spec the kernel gets now and had before, and a check that every descendant's
 * throttles still fit (v1). */
int lmc_mgr_update_limits(struct lmc_manager *m, struct lmc_node *node,
			  const struct lmc_spec *newspec, struct lmc_spec *ret_knew,
			  struct lmc_spec *ret_kold, struct lmc_err *err);

/* Tasks about to enter a container, and the container they are in now (NULL: none). */
struct lmc_pids_incoming {
	const char *from;
	uint64_t tasks;
};
/* Refuse (-EAGAIN via err, naming `what`) if the incoming tasks would take `from` or an
 * ancestor past its pids limit; moving the kernel never checks that. name: for messages. */
int lmc_mgr_pids_room(struct lmc_manager *m, const char *name, const struct lmc_node *from,
		      const struct lmc_pids_incoming *in, size_t n, const char *what,
		      struct lmc_err *err);
/* Before moving pids into the leaf node: each exists (pidfds[i] gets a pidfd for it, the
 * caller closes them), check (if any) allows it, and the moves fit the pids limits. */
int lmc_mgr_enter_check(struct lmc_manager *m, const struct lmc_node *node, const pid_t *pids,
			size_t n, int *pidfds, lmc_mgr_mover_fn check, void *userdata,
			struct lmc_err *err);
bool lmc_mgr_pidfd_alive(int pidfd);
/* Create: fill the default max_containers of a container given to a non-root owner
 * (lmc_policy_owner_default); then, once admitted, the spec the kernel is given, and room
 * in the pids limits for a namespace init. */
void lmc_mgr_owner_default(struct lmc_manager *m, const char *name, struct lmc_spec *spec);
int lmc_mgr_create_limits(struct lmc_manager *m, const char *name, const struct lmc_spec *spec,
			  struct lmc_spec *ret_kspec, struct lmc_err *err);

/* The store options an open with opts uses (its directory, lock and durability). */
void lmc_mgr_store_opts(const struct lmc_manager_opts *opts, struct lmc_store_opts *so);

#endif
