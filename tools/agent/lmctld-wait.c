/* lmctld: work that waits off the loop, on tools/agent/jobs.c's worker threads: the kernel's
 * figures of a large `stats`, a pause's wait for its freeze, a `kill -9` and its wait, a
 * destroy's kill, wait and rmdirs (the records follow on the loop). The
 * connection is held meanwhile (its next frames wait for this answer). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/agent/lmctld-metrics.h"
#include "tools/agent/lmctld.h"

/* ---------------- stats off the loop ---------------- */

static void stats_work(void *arg)
{
	struct stats_req *q = arg;
	struct lmc_err err = {0};
	int r;

	if (q->destroy) {
		q->r = q->quick ? lmc_mgr_destroy_rmdirs(q->a->m, q->gone, q->n_gone, &q->done,
							 &q->err)
				: lmc_mgr_destroy_work(q->a->m, q->gone, q->n_gone, &q->done,
						       &q->err);
		return;
	}
	if (q->freeze || q->kill) {
		/* The freeze is under way, or the kill is to be done and waited for, here
		 * (cgroupfs only). */
		r = q->kill ? lmc_mgr_kill_wait(q->a->m, q->name, &err)
			    : lmc_mgr_freeze_wait(q->a->m, q->name, &err);
		q->frozen = q->freeze && r >= 0;
		if (r < 0) {
			free(q->reply);
			q->reply = NULL;
			lmc_api_reply_error(q->id, r, lmc_err_str(&err), &q->reply, &q->reply_len);
		}
		return;
	}
	r = lmc_mgr_stats_fill_fields(q->a->m, q->e, q->n, q->fields, &err);
	if (r < 0)
		lmc_api_reply_error(q->id, r, lmc_err_str(&err), &q->reply, &q->reply_len);
	else
		lmc_api_reply_stats(q->id, q->e, q->n, &q->reply, &q->reply_len);
}

/* Back on the loop: the records and tree nodes of what went, and its events (journaled
 * before the answer, as every change is). */
static void destroy_done(struct stats_req *q)
{
	q->r = lmc_mgr_destroy_finish(q->a->m, q->gone, q->n_gone, q->done, q->r, &q->err);
	for (size_t i = 0; i < q->done; i++)
		lmc_agent_event_simple(q->a, LMC_EVK_DESTROYED, q->gone[i], 0);
	if (q->r < 0) {
		free(q->reply);
		q->reply = NULL;
		lmc_api_reply_error(q->id, q->r, lmc_err_str(&q->err), &q->reply, &q->reply_len);
	}
}

/* After the answer: the log line, and the eviction watch of the parent, which may have lost
 * its last child (all of the tree's where some of the subtree remains). */
static void destroy_after(struct stats_req *q)
{
	char parent[LMC_NAME_MAX + 1];

	if (q->r < 0)
		lmc_agent_log("uid %u (pid %d): %s: failed: %s", (unsigned)q->uid, (int)q->pid,
			      q->audit, lmc_err_str(&q->err));
	else
		lmc_agent_log("uid %u (pid %d): %s: ok", (unsigned)q->uid, (int)q->pid, q->audit);
	if (q->done < q->n_gone ||
	    lmc_name_parent(q->gone[q->n_gone - 1], parent, sizeof(parent)) < 0)
		lmc_agent_evict_sync(q->a);
	else
		lmc_agent_evict_recheck(q->a, parent);
	free(q->gone);
}

static void stats_done(void *arg)
{
	struct stats_req *q = arg;

	if (q->destroy)
		destroy_done(q);
	if (q->frozen)
		lmc_agent_event_simple(q->a, LMC_EVK_PAUSED, q->name, 0);
	if (q->c)
		lmc_agent_client_release(q->c);
	lmc_metrics_observe(q->a->metrics, q->op, q->t0);
	if (q->c && q->reply)
		lmc_agent_send(q->c, TAKE_PTR(q->reply), q->reply_len);
	else if (q->c)
		lmc_agent_send_error(q->c, q->id, -ENOMEM, "out of memory");
	if (q->destroy)
		destroy_after(q);
	if (q->prev)
		q->prev->next = q->next;
	else
		q->a->stats_reqs = q->next;
	if (q->next)
		q->next->prev = q->prev;
	free(q->reply);
	free(q->e);
	free(q);
}

/* ---------------- small readings, in parallel when several wait ---------------- */

/* A small reading (one container's 15 files, ~25 us) is done on the loop: a worker's hand-off
 * costs about as much. But the loop reads one at a time, and with 8 or 64 clients asking at
 * once it was the bottleneck while the other CPU idled (24,000-28,000 readings a second
 * against 30,000-36,000 by direct mode's threads under one lock). So the small readings of
 * one loop iteration (every client whose request was there when the loop woke) are queued
 * and read when the iteration ends: one alone on the loop, as before; several split in
 * two, the first half read by a worker beside the loop reading the rest. */
static void batch_work(void *arg)
{
	for (struct stats_req *q = arg; q; q = q->batch_next)
		stats_work(q);
}

static void batch_done(void *arg)
{
	struct stats_req *q = arg, *next;

	for (; q; q = next) {
		next = q->batch_next;
		stats_done(q);
	}
}

static void small_run(struct agent *a)
{
	struct stats_req *list = a->small, *q, *half;
	size_t n = 0;

	a->small = NULL;
	for (q = list; q; q = q->batch_next)
		n++;
	if (n >= 2 && a->jobs.n < STATS_JOBS_MAX) {
		half = list;
		for (size_t i = 1; i < n / 2; i++)
			half = half->batch_next;
		q = half->batch_next;
		half->batch_next = NULL;
		if (lmc_jobs_start(&a->jobs, batch_work, batch_done, list) == 0)
			list = q;
		else
			half->batch_next = q; /* all on the loop */
	}
	batch_work(list);
	batch_done(list);
}

static void on_small_flush(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct agent *a = container_of(w, struct agent, small_flush);

	(void)revents;
	ev_prepare_stop(loop, w);
	small_run(a); /* what its answers release is queued for the next iteration */
}

static void small_queue(struct agent *a, struct stats_req *q)
{
	q->batch_next = a->small;
	a->small = q;
	if (!ev_is_active(&a->small_flush)) {
		ev_prepare_init(&a->small_flush, on_small_flush);
		ev_prepare_start(a->loop, &a->small_flush);
	}
}

void lmc_agent_stats_flush(struct agent *a)
{
	if (ev_is_active(&a->small_flush))
		ev_prepare_stop(a->loop, &a->small_flush);
	while (a->small)
		small_run(a);
}

/* The tree was read on the loop (res holds the containers); the kernel's figures are read
 * by a worker for a large set, so one `stats -r` of 10,000 containers stalls nobody. */
void lmc_agent_stats_begin(struct client *c, struct lmc_api_result *res)
{
	struct agent *a = c->a;
	struct stats_req *q = calloc(1, sizeof(*q));

	if (!q) {
		lmc_agent_send_error(c, res->id, -ENOMEM, "out of memory");
		return;
	}
	*q = (struct stats_req){
		.a = a, .c = c, .id = res->id, .n = res->n_stats, .next = a->stats_reqs};
	q->op = res->op;
	q->t0 = a->req_t0;
	q->e = TAKE_PTR(res->stats);
	q->fields = res->stats_fields;
	lmc_agent_client_hold(c); /* its next requests wait for this answer */
	if (a->stats_reqs)
		a->stats_reqs->prev = q;
	a->stats_reqs = q;
	if (q->n < STATS_ASYNC_MIN) {
		small_queue(a, q);
		return;
	}
	if (a->jobs.n >= STATS_JOBS_MAX ||
	    lmc_jobs_start(&a->jobs, stats_work, stats_done, q) < 0) {
		stats_work(q);
		stats_done(q);
	}
}

/* A pause was started on the loop, or a kill is to be done: the wait (up to seconds when
 * tasks are slow to freeze or die)
 * runs on a worker, and the answer goes when it ends. */
void lmc_agent_wait_begin(struct client *c, struct lmc_api_result *res)
{
	struct agent *a = c->a;
	struct stats_req *q = calloc(1, sizeof(*q));
	bool slow_rmdirs = false;

	if (!q) {
		if (res->action == LMC_API_DESTROY_WAIT) /* nothing removed: retried later */
			lmc_mgr_destroy_finish(a->m, res->gone, res->n_gone, 0, -ENOMEM, NULL);
		lmc_agent_send_error(c, res->id, -ENOMEM, "out of memory");
		return;
	}
	*q = (struct stats_req){.a = a,
				.c = c,
				.id = res->id,
				.freeze = res->action == LMC_API_FREEZE_WAIT,
				.kill = res->action == LMC_API_KILL_WAIT,
				.next = a->stats_reqs};
	q->op = res->op;
	q->t0 = a->req_t0;
	snprintf(q->name, sizeof(q->name), "%s", res->name);
	q->reply = TAKE_PTR(res->reply);
	q->reply_len = res->reply_len;
	if (res->action == LMC_API_DESTROY_WAIT) {
		q->destroy = true;
		q->gone = TAKE_PTR(res->gone);
		q->n_gone = res->n_gone;
		res->n_gone = 0;
		snprintf(q->audit, sizeof(q->audit), "%s", res->audit);
		q->uid = c->peer.uid;
		q->pid = c->peer.pid;
		/* before their cgroups go */
		slow_rmdirs = lmc_agent_evict_gone(a, q->gone, q->n_gone);
	}
	lmc_agent_client_hold(c); /* its next requests wait for this answer */
	if (a->stats_reqs)
		a->stats_reqs->prev = q;
	a->stats_reqs = q;
	/* A small subtree with nothing running in it: its rmdirs here cost less than a
	 * worker's hand-off (two thread switches, a futex, an eventfd). */
	if (q->destroy)
		q->quick = !slow_rmdirs && lmc_mgr_destroy_quick(a->m, q->gone, q->n_gone);
	if (q->quick || a->jobs.n >= WAIT_JOBS_MAX ||
	    lmc_jobs_start(&a->jobs, stats_work, stats_done, q) < 0) {
		stats_work(q);
		stats_done(q);
	}
}
