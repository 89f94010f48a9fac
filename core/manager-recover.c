/* Recovery from lost records (issue 11, item 14): a record the store cannot read is moved
 * aside by the store; here its container, if cgroupfs still has it, is adopted with the
 * limits the kernel holds, and so is any missing ancestor of a stored container, so that the
 * subtree stays managed (a destroy -r of the parent reaches everything). Nothing is dropped
 * without a note, and the agent logs every note at start. */
#include "core/manager-internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "controllers/controller.h"

int lmc_mgr_note(struct lmc_manager *m, const char *name, const char *fmt, ...)
{
	struct lmc_mgr_note *p = realloc(m->notes, (m->n_notes + 1) * sizeof(*p));
	va_list ap;

	if (!p)
		return -ENOMEM;
	m->notes = p;
	p += m->n_notes++;
	snprintf(p->name, sizeof(p->name), "%s", name);
	va_start(ap, fmt);
	vsnprintf(p->what, sizeof(p->what), fmt, ap);
	va_end(ap);
	return 0;
}

void lmc_mgr_notes(struct lmc_manager *m, lmc_mgr_report_fn report, void *userdata)
{
	for (size_t i = 0; i < m->n_notes; i++)
		report(m->notes[i].name, m->notes[i].what, userdata);
}

static void fmt_limit(uint64_t v, bool size, char *buf, size_t n)
{
	if (v == LMC_UNSET)
		snprintf(buf, n, "none");
	else if (size)
		lmc_format_size(v, buf, n);
	else
		snprintf(buf, n, "%llu", (unsigned long long)v);
}

/* Take name (its cgroup exists) into the tree and the store with the limits read back from
 * the kernel (none where they cannot be read), its missing ancestors first. */
static int adopt(struct lmc_manager *m, const char *name, const char *why)
{
	char parent[LMC_NAME_MAX + 1], mem[32], pids[32], cpus[32] = "none";
	struct lmc_err e = {0};
	struct lmc_node *node;
	struct lmc_spec spec;
	int r;

	if (lmc_tree_find(m->tree, name))
		return 0;
	if (lmc_name_is_root(name) || !lmc_cgfs_exists(m->cg, name))
		return -ENOENT;
	r = lmc_name_parent(name, parent, sizeof(parent));
	if (r >= 0 && !lmc_tree_find(m->tree, parent))
		r = adopt(m, parent, "no record, but a container below it is stored");
	if (r < 0)
		return r;
	if (lmc_controller_read_spec(m->cg, name, &spec) < 0)
		lmc_spec_init(&spec);
	r = lmc_tree_add(m->tree, name, &spec, &node);
	if (r < 0)
		return r;
	r = lmc_mgr_put(m, name, &spec, LMC_REC_READY, NULL, &e);
	fmt_limit(spec.memory.limit, true, mem, sizeof(mem));
	fmt_limit(spec.pids.limit, false, pids, sizeof(pids));
	if (spec.cpu.limit_m != LMC_UNSET)
		lmc_format_cpus(spec.cpu.limit_m, cpus, sizeof(cpus));
	return lmc_mgr_note(
		m, name,
		"%s: adopted from cgroupfs with the limits the kernel holds (memory %s, "
		"cpus %s, pids %s); its owner and namespaces are not known%s%s",
		why, mem, cpus, pids, r < 0 ? "; not stored: " : "", r < 0 ? lmc_err_str(&e) : "");
}

static int recover_bad(struct lmc_manager *m, const struct lmc_store_bad *b)
{
	char why[NAME_MAX + 64];

	if (b->aside[0])
		snprintf(why, sizeof(why), "record unreadable (kept as %s)", b->aside);
	else
		snprintf(why, sizeof(why), "record unreadable (%s, left in place)", b->file);
	if (!b->name[0])
		return lmc_mgr_note(m, "", "%s: the file name does not say which container", why);
	if (adopt(m, b->name, why) >= 0)
		return 0;
	return lmc_mgr_note(m, b->name, "%s; no cgroup to adopt: no longer managed", why);
}

/* A readable record still waiting for its parent: placed below an adopted one. */
static int place_waiting(struct lmc_manager *m, const struct lmc_record *rec)
{
	char parent[LMC_NAME_MAX + 1];
	struct lmc_node *node;
	int r;

	if ((rec->state != LMC_REC_READY && rec->state != LMC_REC_UPDATING) ||
	    lmc_tree_find(m->tree, rec->name))
		return 0;
	r = lmc_name_parent(rec->name, parent, sizeof(parent));
	if (r >= 0)
		r = adopt(m, parent, "no record, but a container below it is stored");
	if (r >= 0)
		r = lmc_tree_add(m->tree, rec->name, &rec->spec, &node);
	if (r >= 0 && rec->init_pid > 0)
		r = lmc_mgr_set_init(
			node, &(struct lmc_init_id){rec->init_pid, rec->init_start, rec->init_ns},
			-1);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return lmc_mgr_note(m, rec->name,
				    "stored, but its parent has neither a record nor a cgroup: "
				    "kept in the store, not managed");
	return 0;
}

int lmc_mgr_recover_lost(struct lmc_manager *m, struct lmc_record *recs, size_t n,
			 const struct lmc_store_bad *bad, size_t nbad)
{
	if (!m->locked) {
		for (size_t i = 0; i < nbad; i++)
			if (lmc_mgr_note(m, bad[i].name,
					 "record unreadable (%s): left out until lmctld or a "
					 "writing lmctl command recovers it",
					 bad[i].file) < 0)
				return -ENOMEM;
		return 0;
	}
	/* Depth by depth: a container's own record, readable or not, is dealt with before
	 * anything below it could have it adopted as a record-less parent. */
	for (int d = 0; d <= LMC_NAME_DEPTH_MAX; d++) {
		for (size_t i = 0; i < nbad; i++)
			if (lmc_name_depth(bad[i].name) == d && recover_bad(m, &bad[i]) == -ENOMEM)
				return -ENOMEM;
		for (size_t i = 0; i < n; i++)
			if (recs[i].name[0] && lmc_name_depth(recs[i].name) == d &&
			    place_waiting(m, &recs[i]) == -ENOMEM)
				return -ENOMEM;
	}
	return 0;
}

/* Apply a stored spec again over what the kernel holds (its values as the old spec, so a
 * limit the spec no longer sets is lifted too) and store it READY. */
static int finish_update(struct lmc_manager *m, struct lmc_node *node, struct lmc_err *err)
{
	struct lmc_spec kernel, k;
	int r;

	if (lmc_controller_read_spec(m->cg, node->name, &kernel) < 0)
		lmc_spec_init(&kernel);
	r = lmc_mgr_kernel_spec(m, node->name, node->parent, &node->spec, NULL, NULL, &k, err);
	if (r >= 0)
		r = lmc_controller_apply_all(m->cg, node->name, &k, &kernel, err);
	if (r >= 0)
		r = lmc_mgr_put(m, node->name, &node->spec, LMC_REC_READY, lmc_mgr_init_id(node),
				err);
	return r;
}

int lmc_mgr_finish_updates(struct lmc_manager *m, const struct lmc_record *recs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct lmc_node *node;
		struct lmc_err e = {0};
		char why[256] = "";
		int r;

		if (recs[i].state != LMC_REC_UPDATING || !recs[i].name[0])
			continue;
		node = lmc_tree_find(m->tree, recs[i].name);
		/* gone from cgroupfs: lmc_mgr_reconcile creates it with the stored spec */
		if (!node || !lmc_cgfs_exists(m->cg, node->name))
			continue;
		if (lmc_controller_diff(m->cg, node->name, &node->spec, NULL, why, sizeof(why)) <=
		    0)
			snprintf(why, sizeof(why), "its limits were in place");
		r = finish_update(m, node, &e);
		if (lmc_mgr_note(m, node->name, "an update was interrupted (%s): %s", why,
				 r < 0 ? lmc_err_str(&e) : "its stored spec re-applied") < 0)
			return -ENOMEM;
	}
	return 0;
}
