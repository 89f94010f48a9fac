/* The kernel side of the agent's priority eviction (core/evict-watch.h): the per-container
 * signals and what they set, and the reads and actions the agent's eviction needs. All
 * cgroupfs access through controllers/cgroupfs and the event sources of core/events.c. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "base/bg.h"
#include "base/macro.h"
#include "base/tree.h"
#include "controllers/controller.h"
#include "core/events.h"
#include "core/evict-watch.h"
#include "core/manager-internal.h"
#include "policy/policy.h"

struct lmc_evwatch {
	struct lmc_cgfs *cg;
	char name[LMC_NAME_MAX + 1];
	struct lmc_evsrc *src; /* usage: v1 threshold eventfd, v2 memory.events */
	struct lmc_evsrc *oom; /* v1 with hold_oom: the OOM notification */
	int psi_fd;
	struct lmc_evwatch_opts o; /* what lmc_evwatch_arm opens */
	bool high_set; /* v2: the memory.high the watch wrote */
	bool oom_off; /* v1: the kernel's OOM killer held off (memory.oom_control) */
};

bool lmc_evwatch_supported(struct lmc_manager *m)
{
	return lmc_cgfs_has(m->cg, LMC_CTRL_MEMORY);
}

void lmc_evwatch_each(struct lmc_manager *m,
		      void (*fn)(const char *name, uint64_t limit, void *userdata), void *userdata)
{
	struct lmc_node *root = lmc_tree_root(m->tree);

	for (struct lmc_node *n = root; n; n = lmc_tree_next(root, n)) {
		uint64_t limit = n->spec.memory.limit;

		if (limit != LMC_UNSET && (n->first_child || !n->parent))
			fn(n->name, limit, userdata);
	}
}

void lmc_evwatch_one(struct lmc_manager *m, const char *name,
		     void (*fn)(const char *name, uint64_t limit, void *userdata), void *userdata)
{
	struct lmc_node *n = lmc_tree_find(m->tree, name);

	if (n && n->spec.memory.limit != LMC_UNSET && (n->first_child || !n->parent))
		fn(n->name, n->spec.memory.limit, userdata);
}

/* v2 has no usage threshold notification: a memory.high at the threshold makes the kernel
 * count (and throttle, and reclaim) there, and memory.events tells. Not on the root
 * (lmctl's top, not a container) nor where the user set a high. */
static void set_high(struct lmc_evwatch *w, const struct lmc_node *n, uint64_t threshold)
{
	char buf[32];

	if (lmc_cgfs_mode(w->cg) != LMC_CG_V2 || !n || !n->parent ||
	    n->spec.memory.high != LMC_UNSET)
		return;
	snprintf(buf, sizeof(buf), "%" PRIu64, threshold);
	w->high_set = lmc_cgfs_write(w->cg, LMC_CTRL_MEMORY, w->name, "memory.high", buf) >= 0;
}

/* v1 has no throttle point: hold the kernel's OOM killer off in the container, so that a
 * grower waits at the limit (and the agent is told) instead of the kernel killing the
 * biggest process; given back when the watch ends or nothing is left to evict. */
static void hold_oom(struct lmc_evwatch *w, const struct lmc_node *n)
{
	if (lmc_cgfs_mode(w->cg) == LMC_CG_V2 || !n || !n->parent ||
	    lmc_events_oom_open(w->cg, w->name, &w->oom, NULL) < 0)
		return;
	w->oom_off = lmc_cgfs_write(w->cg, LMC_CTRL_MEMORY, w->name, "memory.oom_control", "1") >=
		     0;
}

int lmc_evwatch_open(struct lmc_manager *m, const char *name, const struct lmc_evwatch_opts *o,
		     struct lmc_evwatch **ret, struct lmc_err *err)
{
	const struct lmc_node *n = lmc_tree_find(m->tree, name);
	struct lmc_evwatch *w = calloc(1, sizeof(*w));

	if (!w)
		return lmc_err_set(err, -ENOMEM, "%s: out of memory", lmc_name_display(name));
	w->cg = m->cg;
	w->psi_fd = -1;
	w->o = *o;
	snprintf(w->name, sizeof(w->name), "%s", name);
	set_high(w, n, o->threshold);
	if (o->hold_oom)
		hold_oom(w, n);
	*ret = w;
	return 0;
}

int lmc_evwatch_arm(struct lmc_evwatch *w, struct lmc_err *psi_err, struct lmc_err *err)
{
	int r;

	*psi_err = (struct lmc_err){0};
	if (w->src)
		return 0;
	r = lmc_events_pressure_open(w->cg, w->name, w->o.threshold, &w->src, err);
	if (r < 0)
		return r;
	if (w->o.psi_stall_us)
		(void)lmc_events_psi_open(w->cg, w->name, w->o.psi_stall_us, w->o.psi_window_us,
					  &w->psi_fd, psi_err);
	return 0;
}

void lmc_evwatch_free(struct lmc_evwatch *w)
{
	if (!w)
		return;
	lmc_events_free(w->src);
	lmc_events_free(w->oom);
	if (w->oom_off)
		(void)lmc_cgfs_write(w->cg, LMC_CTRL_MEMORY, w->name, "memory.oom_control", "0");
	lmc_evwatch_psi_close(w);
	/* The container may be gone: ignored. */
	if (w->high_set)
		(void)lmc_cgfs_write(w->cg, LMC_CTRL_MEMORY, w->name, "memory.high", "max");
	free(w);
}

int lmc_evwatch_fd(const struct lmc_evwatch *w)
{
	return w->src ? lmc_events_fd(w->src) : -1;
}

int lmc_evwatch_oom_fd(const struct lmc_evwatch *w)
{
	return w->oom ? lmc_events_fd(w->oom) : -1;
}

int lmc_evwatch_psi_fd(const struct lmc_evwatch *w)
{
	return w->psi_fd;
}

void lmc_evwatch_psi_close(struct lmc_evwatch *w)
{
	/* Its release waits for an RCU grace period (psi_trigger_destroy): not here. */
	lmc_bg_close(w->psi_fd);
	w->psi_fd = -1;
}

int lmc_evwatch_read(struct lmc_evwatch *w, bool oom, bool *ret_fired)
{
	struct lmc_evsrc *s = oom ? w->oom : w->src;
	uint64_t v;

	if (!s)
		return -EBADF;
	return lmc_events_read(s, ret_fired, &v);
}

const char *lmc_evwatch_signal(const struct lmc_evwatch *w)
{
	return lmc_cgfs_mode(w->cg) == LMC_CG_V2 ? "memory.events" : "threshold";
}

bool lmc_evwatch_oom_release(struct lmc_evwatch *w)
{
	if (!w->oom_off ||
	    lmc_cgfs_write(w->cg, LMC_CTRL_MEMORY, w->name, "memory.oom_control", "0") < 0)
		return false;
	w->oom_off = false;
	return true;
}

int lmc_evwatch_usage(struct lmc_manager *m, const char *name, uint64_t *ret)
{
	return lmc_events_mem_usage(m->cg, name, ret);
}

int lmc_evwatch_candidates(struct lmc_manager *m, const char *name, struct lmc_evict_cand **ret,
			   size_t *ret_n)
{
	struct lmc_cgfs *cg = m->cg;
	const struct lmc_node *top = lmc_tree_find(m->tree, name);
	struct lmc_evict_cand *c;
	size_t n;

	if (!top)
		return -ENOENT;
	n = lmc_policy_evict_leaves(top, NULL, 0);
	c = calloc(n ? n : 1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	lmc_policy_evict_leaves(top, c, n);
	/* What an emptied container still holds (page cache, kernel memory) is not a
	 * victim's: killing nothing frees nothing. */
	for (size_t i = 0; i < n; i++) {
		bool pop = false;

		if (lmc_cgfs_populated(cg, c[i].name, &pop) < 0 || !pop ||
		    lmc_events_mem_usage(cg, c[i].name, &c[i].usage) < 0)
			c[i].usage = 0;
	}
	*ret = c;
	*ret_n = n;
	return 0;
}

int lmc_evwatch_reclaim(struct lmc_manager *m, const char *name, uint64_t bytes,
			uint64_t *ret_reclaimed)
{
	struct lmc_cgfs *cg = m->cg;
	uint64_t before = 0, after = 0;

	if (!lmc_cgfs_file_exists(cg, LMC_CTRL_MEMORY, name, "memory.reclaim"))
		return -EOPNOTSUPP;
	(void)lmc_events_mem_usage(cg, name, &before);
	/* The kernel may reclaim less than asked (EAGAIN): the usage says what it did. */
	(void)lmc_cgfs_writef(cg, LMC_CTRL_MEMORY, name, "memory.reclaim", "%" PRIu64, bytes);
	(void)lmc_events_mem_usage(cg, name, &after);
	*ret_reclaimed = before > after ? before - after : 0;
	return 0;
}

int lmc_evwatch_kill(struct lmc_manager *m, const char *name, int timeout_ms, struct lmc_err *err)
{
	return lmc_cgfs_kill(m->cg, name, timeout_ms, err);
}
