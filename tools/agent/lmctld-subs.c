/* lmctld's event subscriptions: kernel event sources (core/events) per container, watched
 * on the agent's loop and streamed to subscribers as Event frames. One source per container,
 * kind and threshold serves every subscription that asks for it; a non-root uid holds a
 * bounded number of subscriptions and source references, and a subscriber that stops
 * reading is dropped with a last Response saying why. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "core/manager.h"
#include "tools/agent/lmctld.h"

/* Append p to a growing array of pointers. */
static int push(void ***arr, size_t *n, size_t *cap, void *p)
{
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 4;
		void **x = realloc(*arr, c * sizeof(*x));

		if (!x)
			return -ENOMEM;
		*arr = x;
		*cap = c;
	}
	(*arr)[(*n)++] = p;
	return 0;
}

static void src_free(struct agent *a, struct src *x)
{
	ev_io_stop(a->loop, &x->io);
	ev_timer_stop(a->loop, &x->settle);
	lmc_events_free(x->s);
	if (x->prev)
		x->prev->next = x->next;
	else
		a->srcs = x->next;
	if (x->next)
		x->next->prev = x->prev;
	free(x->subs);
	free(x);
}

/* s no longer receives x's events. A threshold source closes with its last subscriber; an
 * OOM or empty source stays open while its container exists, so the journal records those
 * events for subscribers that come back (one of each per container at most). */
static void src_unref(struct agent *a, struct src *x, struct sub *s)
{
	for (size_t i = 0; i < x->n_subs; i++)
		if (x->subs[i] == s) {
			x->subs[i] = x->subs[--x->n_subs];
			break;
		}
	if (!x->n_subs && (x->kind == LMC_EVK_THRESHOLD || !ev_is_active(&x->io)))
		src_free(a, x);
}

void lmc_agent_srcs_gone(struct agent *a, const char *name)
{
	struct src *x, *next;

	for (x = a->srcs; x; x = next) {
		next = x->next;
		if (lmc_name_is_under(lmc_events_name(x->s), name) && !lmc_name_is_root(name) &&
		    !x->n_subs)
			src_free(a, x);
	}
}

void lmc_agent_sub_free(struct agent *a, struct sub *s)
{
	for (size_t i = 0; i < s->n_srcs; i++)
		src_unref(a, s->srcs[i], s);
	free(s->srcs);
	free(s);
}

unsigned lmc_agent_subs_of_uid(const struct agent *a, uid_t uid, size_t *ret_refs)
{
	unsigned n = 0;
	size_t refs = 0;

	for (const struct client *c = a->clients; c; c = c->next)
		if (c->peer.uid == uid)
			for (const struct sub *s = c->subs; s; s = s->next)
				if (!s->dropped) {
					n++;
					refs += s->n_srcs;
				}
	if (ret_refs)
		*ret_refs = refs;
	return n;
}

/* The subscriber's queue is over the bound: stop all its subscriptions (freed at the sweep)
 * and queue one last Response per subscription saying why. */
static void sub_drop(struct client *c, size_t unread)
{
	char msg[160];

	lmc_agent_log("client pid %d (uid %u): %zu bytes of events unread, dropping its "
		      "subscriptions",
		      (int)c->peer.pid, (unsigned)c->peer.uid, unread);
	snprintf(msg, sizeof(msg), "subscription dropped: %zu bytes of events unread (limit %zu)",
		 unread, c->a->sub_queue_max);
	for (struct sub *s = c->subs; s; s = s->next)
		if (!s->dropped) {
			s->dropped = true;
			lmc_agent_send_error(c, s->id, -ENOBUFS, msg);
		}
	c->a->sweep = true;
}

void lmc_agent_sub_emit(struct sub *s, const struct lmc_evrec *ev)
{
	struct client *c = s->c;
	size_t unread = c->out_len - c->out_off;
	uint8_t *buf;
	size_t len;
	int inq = 0;

	if (s->dropped || c->dead)
		return;
	/* Unread: what waits here and what the socket holds that the peer has not read. */
	if (ioctl(c->fd, SIOCOUTQ, &inq) == 0 && inq > 0)
		unread += (size_t)inq;
	if (unread > c->a->sub_queue_max) {
		sub_drop(c, unread);
		return;
	}
	if (lmc_api_reply_event(s->id, ev, &buf, &len) >= 0)
		lmc_agent_send(c, buf, len);
}

/* A kill the kernel logged without its cgroup: was pid a process the agent started in name? */
static bool proc_in(pid_t pid, void *ud)
{
	const struct src *x = ud;

	for (const struct proc *p = x->a->procs; p; p = p->next)
		if (p->pid == pid && lmc_name_is_under(p->name, lmc_events_name(x->s)))
			return true;
	return false;
}

/* The OOM killer's victim for the count the event carries (0 when the kernel's log does not
 * say): the kill was logged before it was counted. */
static pid_t oom_victim(struct src *x, uint64_t count)
{
	char memcg[PATH_MAX];
	pid_t pid = 0;

	if (x->a->oomlog &&
	    lmc_mgr_memcg_path(x->a->m, lmc_events_name(x->s), memcg, sizeof(memcg)) >= 0) {
		lmc_oomlog_drain(x->a->oomlog);
		pid = lmc_oomlog_victim(x->a->oomlog, memcg, &x->oom_seq, proc_in, x);
	}
	if (!pid && count == x->oom_count)
		pid = x->oom_pid; /* v1's second notification of one kill */
	x->oom_count = count;
	x->oom_pid = pid;
	return pid;
}

static void src_emit(struct src *x, uint64_t value)
{
	struct lmc_evrec ev = {.kind = x->kind, .value = value};

	ev.timestamp_ns = lmc_agent_now_ns();
	snprintf(ev.name, sizeof(ev.name), "%s", lmc_events_name(x->s));
	if (x->kind == LMC_EVK_THRESHOLD) {
		ev.threshold = x->threshold;
		ev.direction = lmc_events_direction(x->s);
	}
	if (x->kind == LMC_EVK_OOM) {
		ev.pid = oom_victim(x, value);
		lmc_agent_watch_seen(x->a, LMC_EVK_OOM, ev.name, value);
	}
	if (x->kind == LMC_EVK_EMPTY)
		lmc_agent_watch_seen(x->a, LMC_EVK_EMPTY, ev.name, 0);
	lmc_agent_event(x->a, &ev);
}

/* Every 2 ms, at most 250 times: the OOM kill counted yet? Then its event, with the count. */
#define SETTLE_PERIOD 0.002
#define SETTLE_TRIES 250
static void settle_start(struct ev_loop *loop, struct src *x)
{
	if (!lmc_events_oom_pending(x->s) || ev_is_active(&x->settle))
		return;
	x->settle_tries = 0;
	ev_timer_set(&x->settle, SETTLE_PERIOD, SETTLE_PERIOD);
	ev_timer_start(loop, &x->settle);
}

/* An OOM event went out: a later kill whose notice was read with this one's is still
 * looked for (lmc_events_oom_trail). */
static void oom_emit(struct ev_loop *loop, struct src *x, uint64_t v)
{
	src_emit(x, v);
	lmc_events_oom_trail(x->s);
	settle_start(loop, x);
}

static void on_settle(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct src *x = container_of(w, struct src, settle);
	uint64_t v = 0;
	bool fired;
	int r;

	(void)revents;
	r = lmc_events_oom_recheck(x->s, ++x->settle_tries >= SETTLE_TRIES, &fired, &v);
	if (r >= 0 && !fired && lmc_events_oom_pending(x->s))
		return;
	ev_timer_stop(loop, w);
	if (r >= 0 && fired)
		oom_emit(loop, x, v);
}

static void on_source(struct ev_loop *loop, ev_io *w, int revents)
{
	struct src *x = container_of(w, struct src, io);
	struct agent *a = x->a;
	struct lmc_evrec ev = {.kind = x->kind};
	bool fired;
	int r;

	(void)revents;
	r = lmc_events_read(x->s, &fired, &ev.value);
	if (r < 0) {
		/* The container went away: this source is done, the subscriptions live on. */
		ev_io_stop(loop, &x->io);
		if (!x->n_subs)
			src_free(a, x);
		return;
	}
	if (!fired && lmc_events_oom_pending(x->s)) {
		ev_timer_stop(loop, &x->settle); /* a notice of its own: its full wait */
		settle_start(loop, x);
	}
	if (!fired) {
		/* populated again (cgroup.events), seen by a sample: kept for a restart */
		if (x->kind == LMC_EVK_EMPTY && lmc_events_count(x->s))
			lmc_agent_watch_seen(a, LMC_EVK_EMPTY, lmc_events_name(x->s), 1);
		return;
	}
	if (x->kind == LMC_EVK_OOM) {
		ev_timer_stop(loop, &x->settle); /* a trailing look, over: this one's begins */
		oom_emit(loop, x, ev.value);
		return;
	}
	src_emit(x, ev.value);
	while (lmc_events_more(x->s))
		src_emit(x, ev.value);
}

static struct src *src_find(struct agent *a, const char *name, enum lmc_events_kind k,
			    uint64_t threshold)
{
	for (struct src *x = a->srcs; x; x = x->next)
		if (x->kind == k && (k != LMC_EVK_THRESHOLD || x->threshold == threshold) &&
		    strcmp(lmc_events_name(x->s), name) == 0)
			return x;
	return NULL;
}

static int src_open(struct agent *a, const char *name, enum lmc_events_kind k, uint64_t threshold,
		    struct src **ret, struct lmc_err *err)
{
	struct src *x = calloc(1, sizeof(*x));
	int r;

	if (!x)
		return -ENOMEM;
	r = lmc_mgr_events_open(a->m, name, k, threshold, &x->s, err);
	if (r < 0) {
		free(x);
		return r;
	}
	x->a = a;
	x->kind = k;
	x->threshold = threshold;
	x->next = a->srcs;
	if (a->srcs)
		a->srcs->prev = x;
	a->srcs = x;
	ev_io_init(&x->io, on_source, lmc_events_fd(x->s), EV_READ);
	ev_timer_init(&x->settle, on_settle, SETTLE_PERIOD, SETTLE_PERIOD);
	ev_io_start(a->loop, &x->io);
	/* an emptying found unseen is journaled once: its late notification is no other */
	if ((k == LMC_EVK_OOM || k == LMC_EVK_EMPTY) &&
	    lmc_agent_watch_opened(a, k, name, lmc_events_count(x->s)))
		lmc_events_empty_settled(x->s);
	*ret = x;
	return 0;
}

int lmc_agent_src_watch(struct agent *a, const char *name, enum lmc_events_kind k)
{
	struct src *x;

	if (src_find(a, name, k, 0))
		return 0;
	return src_open(a, name, k, 0, &x, NULL);
}

/* Refer s to the source for (name, k), opening it if nobody watches it yet; -EDQUOT when
 * s's uid holds as many references as it may. */
static int sub_source(struct agent *a, struct sub *s, const char *name, enum lmc_events_kind k,
		      struct lmc_err *err)
{
	uint64_t th = k == LMC_EVK_THRESHOLD ? s->f.threshold : 0;
	struct src *x = src_find(a, name, k, th);
	size_t refs = 0;
	int r;

	if (s->c->peer.uid != 0) {
		lmc_agent_subs_of_uid(a, s->c->peer.uid, &refs);
		refs += s->n_srcs; /* s itself is not listed yet */
		if (refs >= SUB_REFS_PER_UID)
			return lmc_err_set(err, -EDQUOT,
					   "%s: uid %u watches %zu containers' events, the most "
					   "one uid may",
					   lmc_name_display(name), (unsigned)s->c->peer.uid, refs);
	}
	if (s->n_srcs >= SUB_SOURCES_MAX)
		return lmc_err_set(err, -EDQUOT, "%s: a subscription watches at most %u sources",
				   lmc_name_display(name), SUB_SOURCES_MAX);
	for (size_t i = 0; x && i < s->n_srcs; i++)
		if (s->srcs[i] == x)
			return 0;
	if (!x && (r = src_open(a, name, k, th, &x, err)) < 0)
		return r;
	if (push((void ***)&s->srcs, &s->n_srcs, &s->cap_srcs, x) < 0 ||
	    push((void ***)&x->subs, &x->n_subs, &x->cap_subs, s) < 0) {
		if (s->n_srcs && s->srcs[s->n_srcs - 1] == x)
			s->n_srcs--;
		if (!x->n_subs)
			src_free(a, x);
		return lmc_err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

/* Kernel sources for one container; the subscription's own container must succeed, a
 * container below that vanished meanwhile (or over the uid's bound) is skipped. */
static int sub_sources_for(struct agent *a, struct sub *s, const char *name, bool must,
			   struct lmc_err *err)
{
	int r = 0;

	if (s->f.oom)
		r = sub_source(a, s, name, LMC_EVK_OOM, must ? err : NULL);
	if (r >= 0 && s->f.threshold != LMC_UNSET)
		r = sub_source(a, s, name, LMC_EVK_THRESHOLD, must ? err : NULL);
	if (r >= 0 && s->f.empty)
		r = sub_source(a, s, name, LMC_EVK_EMPTY, must ? err : NULL);
	return must ? r : 0;
}

static int sub_open(struct agent *a, struct sub *s, struct lmc_err *err)
{
	struct lmc_list_entry *l = NULL;
	size_t n = 0;
	int r = 0;

	if (!lmc_name_is_root(s->name))
		r = sub_sources_for(a, s, s->name, true, err);
	if (r < 0 || !s->f.recursive)
		return r;
	r = lmc_mgr_list(a->m, s->name, true, false, &l, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n && s->n_srcs < SUB_SOURCES_MAX; i++)
		if (strcmp(l[i].name, s->name) != 0)
			sub_sources_for(a, s, l[i].name, false, NULL);
	lmc_list_free(l, n);
	return 0;
}

/* A container created under a recursive subscription's top gets its sources too. */
void lmc_agent_subs_created(struct agent *a, const char *name)
{
	for (struct client *c = a->clients; c; c = c->next)
		for (struct sub *s = c->subs; s; s = s->next)
			if (s->f.recursive && !s->dropped && lmc_name_is_under(name, s->name))
				sub_sources_for(a, s, name, false, NULL);
}

void lmc_agent_subscribe(struct client *c, struct lmc_api_result *res)
{
	struct lmc_err err = {0};
	struct sub *s;
	int r;

	if (c->peer.uid != 0 && lmc_agent_subs_of_uid(c->a, c->peer.uid, NULL) >= SUBS_PER_UID) {
		lmc_err_set(&err, -EDQUOT, "%s: uid %u has %u subscriptions, the most one uid may",
			    lmc_name_display(res->name), (unsigned)c->peer.uid, SUBS_PER_UID);
		lmc_agent_send_error(c, res->id, -EDQUOT, lmc_err_str(&err));
		return;
	}
	s = calloc(1, sizeof(*s));
	if (!s) {
		lmc_agent_send_error(c, res->id, -ENOMEM, "out of memory");
		return;
	}
	s->c = c;
	s->id = res->id;
	s->f = res->sub;
	snprintf(s->name, sizeof(s->name), "%s", res->name);
	r = sub_open(c->a, s, &err);
	if (r < 0) {
		lmc_agent_sub_free(c->a, s);
		lmc_err_set(&err, r, "%s", strerror(-r));
		lmc_agent_send_error(c, res->id, r, lmc_err_str(&err));
		return;
	}
	s->next = c->subs;
	c->subs = s;
	lmc_agent_log("uid %u subscribed to events of %s (%zu sources)", (unsigned)c->peer.uid,
		      lmc_name_display(s->name), s->n_srcs);
	lmc_agent_send(c, TAKE_PTR(res->reply), res->reply_len);
	if (s->f.resume)
		lmc_agent_replay_start(s);
}
