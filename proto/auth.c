/* Authorization (see auth.h): the agent's every decision about what a peer may do. */
#include "proto/auth.h"

#include <stdio.h>
#include <sys/stat.h>

#include "base/name.h"
#include "nsutil/ns.h"

/* name (canonical) or, creating, its parent lies in a subtree whose top uid owns; lmctl's
 * root owns nothing. */
static bool owns(const struct lmc_auth *a, const char *name, bool creating)
{
	char cur[LMC_NAME_MAX + 1], up[LMC_NAME_MAX + 1];
	uid_t owner;
	int r;

	snprintf(cur, sizeof(cur), "%s", name);
	r = lmc_mgr_owner(a->m, cur, &owner);
	if (r == -ENOENT && creating && !lmc_name_is_root(cur) &&
	    lmc_name_parent(cur, up, sizeof(up)) >= 0) {
		snprintf(cur, sizeof(cur), "%s", up);
		r = lmc_mgr_owner(a->m, cur, &owner);
	}
	while (r >= 0 && !lmc_name_is_root(cur)) {
		if (owner == a->uid)
			return true;
		if (lmc_name_parent(cur, up, sizeof(up)) < 0)
			return false;
		snprintf(cur, sizeof(cur), "%s", up);
		r = lmc_mgr_owner(a->m, cur, &owner);
	}
	return false;
}

int lmc_auth_target(const struct lmc_auth *a, const char *uname, bool allow_root, bool creating,
		    char *ret, struct lmc_err *err)
{
	int r = lmc_name_parse(uname, ret, err);

	if (r < 0)
		return r;
	if (!allow_root && lmc_name_is_root(ret))
		return lmc_err_set(err, -EINVAL, "missing container name");
	if (!a->m || a->uid == 0 || owns(a, ret, creating))
		return 0;
	return lmc_err_set(err, -EPERM, "%s: uid %u may not manage it (not owned by uid %u)",
			   lmc_name_display(ret), (unsigned)a->uid, (unsigned)a->uid);
}

int lmc_auth_target_below(const struct lmc_auth *a, const char *uname, char *ret,
			  struct lmc_err *err)
{
	char parent[LMC_NAME_MAX + 1];
	int r = lmc_auth_target(a, uname, false, false, ret, err);

	if (r < 0 || a->uid == 0 || !a->m)
		return r;
	r = lmc_name_parent(ret, parent, sizeof(parent));
	if (r < 0 || lmc_name_is_root(parent) || !owns(a, parent, false))
		return lmc_err_set(
			err, -EPERM,
			"%s: uid %u may manage only what lies below the container it owns", ret,
			(unsigned)a->uid);
	return 0;
}

int lmc_auth_owner(const struct lmc_auth *a, const char *name, const struct lmc_spec *spec,
		   struct lmc_err *err)
{
	if (a->uid != 0 && spec->owner != LMC_OWNER_UNSET && spec->owner != a->uid)
		return lmc_err_set(err, -EPERM, "%s: uid %u may not give it to owner %u",
				   lmc_name_display(name), (unsigned)a->uid, (unsigned)spec->owner);
	return 0;
}

int lmc_auth_idmaps(const struct lmc_auth *a, const char *name, const struct lmc_spec *spec,
		    struct lmc_err *err)
{
	char user[256];
	struct lmc_err e = {0};
	int r;

	if (a->uid == 0 || !(spec->ns.n_uid_map + spec->ns.n_gid_map))
		return 0;
	r = lmc_mgr_user_name(a->uid, user, sizeof(user));
	if (r == -ENOMEM)
		return lmc_err_set(err, r, "out of memory");
	r = lmc_ns_idmaps_allowed(a->uid, r >= 0 ? user : NULL, a->gid, &spec->ns, NULL, &e);
	if (r < 0)
		return lmc_err_set(err, r, "%s: uid %u may not map %s", lmc_name_display(name),
				   (unsigned)a->uid, lmc_err_str(&e));
	return 0;
}

int lmc_auth_enter(const struct lmc_auth *a, const int32_t *pids, size_t n, struct lmc_err *err)
{
	char path[64];
	struct stat st;

	if (a->uid == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "/proc/%d", pids[i]);
		if (pids[i] <= 0 || stat(path, &st) < 0 || st.st_uid != a->uid)
			return lmc_err_set(err, -EPERM,
					   "enter: uid %u may not move pid %d (not its process)",
					   (unsigned)a->uid, pids[i]);
	}
	return 0;
}

int lmc_auth_mover(const struct lmc_mgr_mover *p, void *userdata, struct lmc_err *err)
{
	const struct lmc_auth *a = userdata;
	char name[LMC_NAME_MAX + 1];
	bool refused = false;

	if (a->uid == 0)
		return 0;
	if (p->ids[0] != a->uid || p->ids[1] != a->uid || p->ids[2] != a->uid)
		return lmc_err_set(err, -EPERM,
				   "enter: uid %u may not move pid %d (not its process)",
				   (unsigned)a->uid, (int)p->pid);
	/* Out of a container the peer owns, in every hierarchy: not from outside lmctl's
	 * root, nor from the root itself, nor from another owner's container. */
	for (size_t i = 0; i < p->n_places && !refused; i++)
		refused = !p->places[i] || !a->m || lmc_name_parse(p->places[i], name, NULL) < 0 ||
			  lmc_name_is_root(name) || !owns(a, name, false);
	if (refused)
		return lmc_err_set(err, -EPERM,
				   "enter: uid %u may not move pid %d out of %s (only out of a "
				   "container it owns)",
				   (unsigned)a->uid, (int)p->pid,
				   p->outside ? "a cgroup lmctl does not manage" : p->in);
	return 0;
}

int lmc_auth_run_as(const struct lmc_auth *a, bool has_uid, uid_t uid, bool has_gid, gid_t gid,
		    struct lmc_run_opts *o, struct lmc_err *err)
{
	if (a->uid == 0) {
		o->set_ids = has_uid || has_gid;
		o->uid = has_uid ? uid : 0;
		o->gid = has_gid ? gid : 0;
		o->gid_from_user = has_uid && !has_gid; /* never gid 0 by default */
		return 0;
	}
	if ((has_uid && uid != a->uid) || (has_gid && gid != a->gid))
		return lmc_err_set(err, -EPERM, "run: uid %u may run only as itself",
				   (unsigned)a->uid);
	o->set_ids = true;
	o->uid = a->uid;
	o->gid = a->gid;
	return 0;
}

int lmc_auth_reserve(const struct lmc_auth *a, struct lmc_err *err)
{
	if (a->uid != 0)
		return lmc_err_set(err, -EPERM, "init: only root may set the system reserve");
	return 0;
}
