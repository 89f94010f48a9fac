/* The limits the manager holds itself where the kernel does not (issue 11, part 2):
 * - v1 block throttles do not nest: each container's own blkio.throttle.* files get the
 *   minimum along its ancestors, and a subtree's are rewritten when an ancestor's change;
 * - moving a process into a cgroup is never checked against pids.max: a run or enter that
 *   would take a container past its (or an ancestor's) pids limit is refused;
 * - a non-root peer may move only its own processes, only out of and into containers it
 *   owns. */
#include "core/manager-internal.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "controllers/controller.h"
#include "nsutil/ns.h"

static bool flat_blkio(const struct lmc_manager *m)
{
	return lmc_cgfs_has(m->cg, LMC_CTRL_BLKIO) && lmc_cgfs_mode(m->cg) != LMC_CG_V2;
}

int lmc_mgr_kernel_spec(struct lmc_manager *m, const char *name, const struct lmc_node *parent,
			const struct lmc_spec *spec, const struct lmc_node *at,
			const struct lmc_spec *as, struct lmc_spec *ret, struct lmc_err *err)
{
	struct lmc_spec k = *spec;

	if (flat_blkio(m) && lmc_policy_flat_throttles(&spec->blkio, parent, at,
						       as ? &as->blkio : NULL, &k.blkio) < 0)
		return lmc_err_set(err, -E2BIG,
				   "%s: it and its ancestors throttle more than %d devices in all, "
				   "which v1 cannot hold in its own files",
				   lmc_name_display(name), LMC_THROTTLE_MAX);
	*ret = k;
	return 0;
}

static bool throttles_equal(const struct lmc_spec_blkio *a, const struct lmc_spec_blkio *b)
{
	if (a->n_throttles != b->n_throttles)
		return false;
	for (unsigned i = 0; i < a->n_throttles; i++) {
		const struct lmc_throttle *x = &a->throttles[i], *y = NULL;

		for (unsigned k = 0; k < b->n_throttles && !y; k++)
			if (b->throttles[k].major == x->major && b->throttles[k].minor == x->minor)
				y = &b->throttles[k];
		if (!y || x->read_bps != y->read_bps || x->write_bps != y->write_bps ||
		    x->read_iops != y->read_iops || x->write_iops != y->write_iops)
			return false;
	}
	return true;
}

/* One pass over node's descendants: the throttles they have now (tree as it is) and the
 * ones they get once node's spec is newspec. Writes new over old (undo: old over new) for
 * those that change, up to but not including stop; with write false only computes. */
static int subtree_pass(struct lmc_manager *m, struct lmc_node *node, const struct lmc_spec *ns,
			bool write, bool undo, const struct lmc_node *stop,
			const struct lmc_node **ret_failed, struct lmc_err *err)
{
	for (struct lmc_node *d = lmc_tree_next(node, node); d && d != stop;
	     d = lmc_tree_next(node, d)) {
		struct lmc_spec_blkio old, new;
		int r;

		if (lmc_policy_flat_throttles(&d->spec.blkio, d->parent, NULL, NULL, &old) < 0 ||
		    lmc_policy_flat_throttles(&d->spec.blkio, d->parent, node, &ns->blkio, &new) <
			    0)
			return lmc_err_set(
				err, -E2BIG,
				"%s: with this change %s and its ancestors throttle more "
				"than %d devices in all, which v1 cannot hold in its "
				"own files",
				node->name, d->name, LMC_THROTTLE_MAX);
		if (!write || throttles_equal(&old, &new))
			continue;
		r = undo ? lmc_controller_apply_throttles(m->cg, d->name, &old, &new, NULL)
			 : lmc_controller_apply_throttles(m->cg, d->name, &new, &old, err);
		if (r < 0 && !undo) {
			*ret_failed = d;
			return r;
		}
	}
	return 0;
}

int lmc_mgr_subtree_throttles(struct lmc_manager *m, struct lmc_node *node,
			      const struct lmc_spec *newspec, bool write, struct lmc_err *err)
{
	const struct lmc_node *failed = NULL;
	int r;

	/* Nothing below changes unless node's own throttles do. */
	if (!flat_blkio(m) || !node->first_child ||
	    throttles_equal(&node->spec.blkio, &newspec->blkio))
		return 0;
	r = subtree_pass(m, node, newspec, write, false, NULL, &failed, err);
	if (r < 0 && failed)
		subtree_pass(m, node, newspec, true, true, failed, NULL, NULL);
	return r;
}

int lmc_mgr_update_limits(struct lmc_manager *m, struct lmc_node *node,
			  const struct lmc_spec *newspec, struct lmc_spec *ret_knew,
			  struct lmc_spec *ret_kold, struct lmc_err *err)
{
	int r = lmc_mgr_kernel_spec(m, node->name, node->parent, newspec, NULL, NULL, ret_knew,
				    err);

	if (r >= 0)
		r = lmc_mgr_kernel_spec(m, node->name, node->parent, &node->spec, NULL, NULL,
					ret_kold, err);
	if (r >= 0)
		r = lmc_mgr_subtree_throttles(m, node, newspec, false, err);
	return r;
}

void lmc_mgr_reconcile_throttles(struct lmc_manager *m, const struct lmc_node *n)
{
	struct lmc_spec_blkio f;

	if (flat_blkio(m) &&
	    lmc_policy_flat_throttles(&n->spec.blkio, n->parent, NULL, NULL, &f) >= 0 &&
	    f.n_throttles)
		lmc_controller_apply_throttles(m->cg, n->name, &f, NULL, NULL);
}

/* ---- pids: what a move adds ---- */

int lmc_mgr_pids_room(struct lmc_manager *m, const char *name, const struct lmc_node *from,
		      const struct lmc_pids_incoming *in, size_t n, const char *what,
		      struct lmc_err *err)
{
	for (const struct lmc_node *a = from; a && a->parent; a = a->parent) {
		uint64_t lim = a->spec.pids.limit, cur = 0, more = 0;
		int r;

		if (lim == LMC_UNSET || !lmc_cgfs_has(m->cg, LMC_CTRL_PIDS))
			continue;
		/* Tasks already inside a are counted there already. */
		for (size_t i = 0; i < n; i++)
			if (!in[i].from || !lmc_name_is_under(in[i].from, a->name))
				more += in[i].tasks;
		if (!more)
			continue;
		r = lmc_cgfs_read_u64(m->cg, LMC_CTRL_PIDS, a->name, "pids.current", &cur);
		if (r < 0)
			return lmc_err_set(err, r, "%s: cannot read pids.current of %s: %s",
					   lmc_name_display(name), a->name, strerror(-r));
		if (cur + more > lim)
			return lmc_err_set(err, -EAGAIN,
					   "%s: %s would exceed the pids limit %" PRIu64
					   " set by %s (%" PRIu64 " tasks there, %" PRIu64
					   " more needed)",
					   lmc_name_display(name), what, lim, a->name, cur, more);
	}
	return 0;
}

/* ---- what a process to move is, and where it comes from ---- */

/* Real, effective, saved uid and thread count from /proc/<pid>/status. */
static int proc_status(pid_t pid, uid_t uids[3], uint64_t *threads)
{
	char path[64], line[256];
	unsigned long long t = 0;
	unsigned u[3];
	bool have_uid = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : lmc_negerrno();
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Uid: %u %u %u", &u[0], &u[1], &u[2]) == 3)
			have_uid = true;
		else
			sscanf(line, "Threads: %llu", &t);
	}
	fclose(f);
	if (!have_uid || !t)
		return -ESRCH; /* a zombie, or gone half way */
	for (int i = 0; i < 3; i++)
		uids[i] = u[i];
	*threads = t;
	return 0;
}

/* Where a process is: in, as the pids hierarchy (else the first) says; kept per process
 * for the pids limits. */
struct place_ctx {
	char in[LMC_NAME_MAX + 1];
	bool outside;
	bool have;
};

/* The container it is in per hierarchy, for the caller's check (struct lmc_mgr_mover). */
struct places {
	struct place_ctx *pl;
	char name[LMC_CTRL__MAX][LMC_NAME_MAX + 1];
	const char *at[LMC_CTRL__MAX];
	size_t n;
};

static int place_cb(enum lmc_ctrl c, const char *name, void *ud)
{
	struct places *ps = ud;
	struct place_ctx *p = ps->pl;

	if (c == LMC_CTRL_PIDS || !p->have) {
		p->have = true;
		p->outside = !name || !name[0];
		snprintf(p->in, sizeof(p->in), "%s", name && name[0] ? name : "");
	}
	if (ps->n < LMC_CTRL__MAX) {
		snprintf(ps->name[ps->n], sizeof(ps->name[ps->n]), "%s", name ? name : "");
		ps->at[ps->n] = name ? ps->name[ps->n] : NULL;
		ps->n++;
	}
	return 0;
}

/* Where pid is now (in->from, NULL outside any container), how many tasks; may it move
 * (check, with what was read while pidfd held it). */
static int move_check_one(struct lmc_manager *m, pid_t pid, int pidfd, struct place_ctx *pl,
			  struct lmc_pids_incoming *in, lmc_mgr_mover_fn check, void *userdata,
			  struct lmc_err *err)
{
	struct places ps = {.pl = pl};
	struct lmc_mgr_mover mv = {.pid = pid};
	int r;

	r = proc_status(pid, mv.ids, &in->tasks);
	if (r < 0)
		return lmc_err_set(err, -ESRCH, "enter: no process with pid %d", (int)pid);
	*pl = (struct place_ctx){0};
	r = lmc_cgfs_pid_places(m->cg, pid, place_cb, &ps);
	if (r < 0)
		return lmc_err_set(err, r, "enter: pid %d: cannot read its cgroups: %s", (int)pid,
				   strerror(-r));
	mv.in = pl->in;
	mv.outside = pl->outside;
	mv.places = ps.at;
	mv.n_places = ps.n;
	r = check ? check(&mv, userdata, err) : 0;
	if (r < 0)
		return r;
	/* Still the process the pidfd holds: what was read above was about it. */
	if (!lmc_mgr_pidfd_alive(pidfd))
		return lmc_err_set(err, -ESRCH, "enter: pid %d ended", (int)pid);
	in->from = pl->outside ? NULL : pl->in;
	return 0;
}

int lmc_mgr_enter_check(struct lmc_manager *m, const struct lmc_node *node, const pid_t *pids,
			size_t n, int *pidfds, lmc_mgr_mover_fn check, void *userdata,
			struct lmc_err *err)
{
	_cleanup_free_ struct lmc_pids_incoming *in = calloc(n ? n : 1, sizeof(*in));
	_cleanup_free_ struct place_ctx *pl = calloc(n ? n : 1, sizeof(*pl));
	int r;

	if (!in || !pl)
		return lmc_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		/* Held across the move: while it is open and the process alive, the pid
		 * cannot name another process. */
		pidfds[i] = pids[i] > 0 ? lmc_ns_pidfd_open(pids[i]) : -ESRCH;
		if (pidfds[i] < 0)
			return lmc_err_set(err, -ESRCH, "enter: no process with pid %d",
					   (int)pids[i]);
		r = move_check_one(m, pids[i], pidfds[i], &pl[i], &in[i], check, userdata, err);
		if (r < 0)
			return r;
	}
	return lmc_mgr_pids_room(m, node->name, node, in, n, "enter", err);
}

bool lmc_mgr_pidfd_alive(int pidfd)
{
	return syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0;
}

/* ---- create ---- */

static struct lmc_node *parent_of(struct lmc_manager *m, const char *name)
{
	char pname[LMC_NAME_MAX + 1];

	if (lmc_name_parent(name, pname, sizeof(pname)) < 0)
		return NULL;
	return lmc_tree_find(m->tree, pname);
}

void lmc_mgr_owner_default(struct lmc_manager *m, const char *name, struct lmc_spec *spec)
{
	struct lmc_node *p = parent_of(m, name);

	if (p)
		lmc_policy_owner_default(p, spec);
}

int lmc_mgr_create_limits(struct lmc_manager *m, const char *name, const struct lmc_spec *spec,
			  struct lmc_spec *ret_kspec, struct lmc_err *err)
{
	struct lmc_node *p = parent_of(m, name);
	const struct lmc_pids_incoming init = {NULL, 1};
	int r;

	if (!p)
		return lmc_err_set(err, -ENOENT, "%s: its parent does not exist", name);
	r = lmc_mgr_kernel_spec(m, name, p, spec, NULL, NULL, ret_kspec, err);
	if (r >= 0 && spec->ns.mask)
		r = lmc_mgr_pids_room(m, name, p, &init, 1, "starting its namespace init", err);
	return r;
}
