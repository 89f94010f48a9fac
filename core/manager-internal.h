/* State shared by the manager's files (core/manager*.c); not for other modules. */
#ifndef LMC_MANAGER_INTERNAL_H
#define LMC_MANAGER_INTERNAL_H

#include "core/manager.h"
#include "core/store.h"

/* How long a kill waits for the processes to be gone. */
#define KILL_TIMEOUT_MS 10000

struct lmc_manager {
	struct lmc_cgfs *cg;
	struct lmc_store *store;
	struct lmc_tree *tree;
	bool locked; /* holds the state directory lock: may write and recover */
	struct lmc_mgr_note *notes; /* what open found and did, for lmc_mgr_notes */
	size_t n_notes;
};

/* One finding of open's recovery: name ("" for none) and what was found and done. */
struct lmc_mgr_note {
	char name[LMC_NAME_MAX + 1];
	char what[384];
};

/* Per-node runtime facts kept in lmc_node.user (malloc'd, freed with the tree). */
struct lmc_node_rt {
	pid_t init_pid; /* the leaf's namespace init, 0 none */
};

/* Look a container up by a user-supplied name; fills err ("x: no such container"). The
 * root is refused unless allow_root. */
int lmc_mgr_lookup(struct lmc_manager *m, const char *name, bool allow_root, struct lmc_node **ret,
		   struct lmc_err *err);
pid_t lmc_mgr_init_pid(const struct lmc_node *n);
int lmc_mgr_set_init_pid(struct lmc_node *n, pid_t pid);
/* Store the node's record in state st. */
int lmc_mgr_put(struct lmc_manager *m, const char *name, const struct lmc_spec *spec,
		enum lmc_rec_state st, pid_t init_pid, struct lmc_err *err);
/* Start the leaf's namespace init (placed in its cgroups first). */
int lmc_mgr_start_init(struct lmc_manager *m, const char *name, const struct lmc_spec *spec,
		       pid_t *ret_pid, struct lmc_err *err);
/* Keep managing what a lost record leaves (core/manager-recover.c): records load could not
 * read are adopted from cgroupfs where their container still exists, and so are the missing
 * ancestors of the records in recs still waiting for a parent (name set, state READY); every
 * finding becomes a note. Lock holder only. */
int lmc_mgr_recover_lost(struct lmc_manager *m, struct lmc_record *recs, size_t n,
			 const struct lmc_store_bad *bad, size_t nbad);
int lmc_mgr_note(struct lmc_manager *m, const char *name, const char *fmt, ...) _printf_(3, 4);

/* Does the container itself (not below) hold any process? */
int lmc_mgr_has_procs(struct lmc_manager *m, const char *name, bool *ret);

#endif
