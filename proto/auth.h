/* Authorization: who may do what to which container. Every decision about a peer of the
 * agent is made here, from facts the manager offers (a container's owner, what a process to
 * be moved is and where it is, a uid's name) and nowhere else: the request dispatch
 * (proto/api.c, proto/api-task.c) asks before the manager acts, and the manager's enter
 * asks through lmc_auth_mover for each process while it holds it. Root may do anything. A
 * non-root peer (its SO_PEERCRED uid and gid) acts only at or below a container it owns,
 * changes or destroys only what lies strictly below it, gives a container to no one else,
 * maps only its own ids and subordinate ranges, runs only as itself, moves only its own
 * processes out of containers it owns, and sets no system reserve. */
#ifndef LMC_AUTH_H
#define LMC_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "base/spec.h"
#include "core/manager.h"

struct lmc_auth {
	struct lmc_manager *m; /* NULL: no tree to ask (a dry run without a manager) */
	uid_t uid;
	gid_t gid;
};

/* The container uname names, parsed to its canonical form in ret (LMC_NAME_MAX + 1) before
 * anything is decided (no spelling reaches outside a subtree); the root only if allow_root.
 * A non-root peer: at or below a container it owns (creating: the parent's chain). */
int lmc_auth_target(const struct lmc_auth *a, const char *uname, bool allow_root, bool creating,
		    char *ret, struct lmc_err *err);
/* The same for a change of the container itself (update, destroy): a non-root peer only
 * strictly below the container it owns, never that container. */
int lmc_auth_target_below(const struct lmc_auth *a, const char *uname, char *ret,
			  struct lmc_err *err);
/* The spec asked for name: a non-root peer gives the container to no other owner. */
int lmc_auth_owner(const struct lmc_auth *a, const char *name, const struct lmc_spec *spec,
		   struct lmc_err *err);
/* A created container's user namespace maps: a non-root peer maps only its own uid/gid and
 * its /etc/subuid, /etc/subgid ranges (what newuidmap(1) allows). */
int lmc_auth_idmaps(const struct lmc_auth *a, const char *name, const struct lmc_spec *spec,
		    struct lmc_err *err);
/* Enter, at once: a non-root peer names only processes it owns (checked again, with every
 * uid and where the process is, by lmc_auth_mover while the manager holds it). */
int lmc_auth_enter(const struct lmc_auth *a, const int32_t *pids, size_t n, struct lmc_err *err);
/* The manager's check of each process an enter moves (lmc_mgr_mover_fn; userdata: the
 * struct lmc_auth): a non-root peer's real, effective and saved uid, out of a container it
 * owns in every hierarchy (not lmctl's root, nor a cgroup outside it). */
int lmc_auth_mover(const struct lmc_mgr_mover *p, void *userdata, struct lmc_err *err);
/* Run as whom (o->set_ids, uid, gid, gid_from_user): root names any uid and gid (a uid alone
 * takes its groups from the user database); a non-root peer runs only as itself. */
int lmc_auth_run_as(const struct lmc_auth *a, bool has_uid, uid_t uid, bool has_gid, gid_t gid,
		    struct lmc_run_opts *o, struct lmc_err *err);
/* Only root sets the system reserve (init). */
int lmc_auth_reserve(const struct lmc_auth *a, struct lmc_err *err);

#endif
