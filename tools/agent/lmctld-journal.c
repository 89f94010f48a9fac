/* lmctld's event stream: every event the agent sees (kernel sources, processes it started,
 * lifecycle of containers, eviction) is numbered and journaled (core/evlog) before it goes to
 * the subscriptions that want it; a subscription that resumes (since=SEQ) is fed the journal
 * after SEQ at the pace its socket drains, then joins the live stream: none missed, none
 * twice, or a GAP event first when the journal no longer holds what it missed. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/manager.h"
#include "tools/agent/lmctld.h"

/* A resuming subscriber is fed while less than this waits in its output buffer. */
#define REPLAY_CHUNK (256u << 10)

/* EVICTED and RECLAIM concern the container pressed too: detail starts "under=NAME ". */
static bool evict_under(const struct lmc_evrec *ev, const char *top, bool recursive)
{
	char under[LMC_NAME_MAX + 1];
	const char *p = ev->detail, *end;

	if (strncmp(p, "under=", 6) != 0)
		return false;
	p += 6;
	end = strchrnul(p, ' ');
	if ((size_t)(end - p) >= sizeof(under))
		return false;
	memcpy(under, p, (size_t)(end - p));
	under[end - p] = '\0';
	if (strcmp(under, "/") == 0)
		under[0] = '\0';
	return strcmp(under, top) == 0 || (recursive && lmc_name_is_under(under, top));
}

static bool kind_wanted(const struct lmc_api_sub *f, const struct lmc_evrec *ev)
{
	switch (ev->kind) {
	case LMC_EVK_OOM:
		return f->oom;
	case LMC_EVK_THRESHOLD:
		return f->threshold != LMC_UNSET && f->threshold == ev->threshold;
	case LMC_EVK_EMPTY:
		return f->empty;
	case LMC_EVK_EXIT:
		return f->exit;
	case LMC_EVK_EVICTED:
	case LMC_EVK_RECLAIM:
		return f->evicted;
	case LMC_EVK_STARTED:
		return f->started;
	case LMC_EVK_CREATED:
	case LMC_EVK_UPDATED:
	case LMC_EVK_DESTROYED:
	case LMC_EVK_PAUSED:
	case LMC_EVK_RESUMED:
		return f->lifecycle;
	default:
		return false;
	}
}

/* Whether s receives ev: its kind was asked for and it concerns s's container (or one below,
 * recursive). The destruction of s's own container always ends its stream. */
static bool sub_wants(const struct sub *s, const struct lmc_evrec *ev)
{
	bool own = strcmp(ev->name, s->name) == 0;

	if (ev->kind == LMC_EVK_DESTROYED && own && !lmc_name_is_root(s->name))
		return true;
	if (!kind_wanted(&s->f, ev))
		return false;
	if (own || (s->f.recursive && lmc_name_is_under(ev->name, s->name)))
		return true;
	if (ev->kind == LMC_EVK_EVICTED || ev->kind == LMC_EVK_RECLAIM)
		return lmc_name_is_root(s->name) || evict_under(ev, s->name, s->f.recursive);
	return false;
}

/* Deliver ev to s; its own container's destruction ends s (freed at the sweep). */
static void deliver(struct agent *a, struct sub *s, const struct lmc_evrec *ev)
{
	lmc_agent_sub_emit(s, ev);
	if (ev->kind == LMC_EVK_DESTROYED && strcmp(ev->name, s->name) == 0 &&
	    !lmc_name_is_root(s->name)) {
		s->dropped = true;
		a->sweep = true;
	}
}

void lmc_agent_event(struct agent *a, struct lmc_evrec *ev)
{
	int r;

	if (!ev->timestamp_ns)
		ev->timestamp_ns = lmc_agent_now_ns();
	if (a->evlog) {
		r = lmc_evlog_append(a->evlog, ev);
		if (r < 0 && !a->evlog_failed)
			lmc_agent_log("event journal: cannot append: %s (events go on, numbered; "
				      "a restart may lose them)",
				      strerror(-r));
		a->evlog_failed = r < 0;
	}
	a->emitting++; /* a failed send only marks a client dead until the sweep */
	for (struct client *c = a->clients; c; c = c->next)
		for (struct sub *s = c->subs; s; s = s->next)
			if (!s->dropped && !s->replaying && sub_wants(s, ev))
				deliver(a, s, ev);
	a->emitting--;
	if (ev->kind == LMC_EVK_DESTROYED) {
		lmc_agent_srcs_gone(a, ev->name);
		lmc_agent_watch_forget(a, ev->name);
	}
	lmc_agent_sweep(a);
}

void lmc_agent_event_simple(struct agent *a, enum lmc_events_kind kind, const char *name, pid_t pid)
{
	struct lmc_evrec ev = {.kind = kind, .pid = pid};

	snprintf(ev.name, sizeof(ev.name), "%s", name);
	lmc_agent_event(a, &ev);
}

struct replay_ctx {
	struct agent *a;
	struct sub *s;
};

static int replay_one(const struct lmc_evrec *ev, void *userdata)
{
	struct replay_ctx *x = userdata;
	struct client *c = x->s->c;

	if (c->dead || x->s->dropped)
		return -EPIPE;
	x->s->cursor = ev->seq;
	if (sub_wants(x->s, ev)) {
		uint8_t *buf;
		size_t len;

		/* The chunk bounds what is queued: no per-event check of the socket. */
		if (lmc_api_reply_event(x->s->id, ev, &buf, &len) >= 0)
			lmc_agent_send(c, buf, len);
		if (ev->kind == LMC_EVK_DESTROYED && strcmp(ev->name, x->s->name) == 0 &&
		    !lmc_name_is_root(x->s->name)) {
			x->s->dropped = true;
			x->a->sweep = true;
		}
	}
	if (c->out_len - c->out_off > REPLAY_CHUNK)
		return -EAGAIN; /* more when the socket drains (lmc_agent_replay_pump) */
	return 0;
}

/* The journal no longer holds every event after the cursor: say so once, go on from what
 * it holds. */
static void replay_gap(struct agent *a, struct sub *s)
{
	uint64_t first = lmc_evlog_first(a->evlog), last = lmc_evlog_last(a->evlog);
	struct lmc_evrec gap = {.kind = LMC_EVK_GAP, .value = first};

	if (s->cursor > last || (s->cursor < last && (!first || s->cursor + 1 < first))) {
		snprintf(gap.name, sizeof(gap.name), "%s", s->name);
		snprintf(gap.detail, sizeof(gap.detail),
			 "since=%" PRIu64 " kept=%" PRIu64 "..%" PRIu64 ": resync", s->cursor,
			 first, last);
		gap.timestamp_ns = lmc_agent_now_ns();
		lmc_agent_sub_emit(s, &gap);
		s->cursor = first ? first - 1 : last;
	}
}

/* Feed a resuming subscription from the journal until its output buffer holds a chunk;
 * once it has caught up it receives live events. */
void lmc_agent_replay_pump(struct client *c)
{
	struct agent *a = c->a;
	struct replay_ctx x = {.a = a};

	a->emitting++;
	for (struct sub *s = c->subs; s; s = s->next) {
		if (!s->replaying || s->dropped || c->dead)
			continue;
		if (!a->evlog) {
			s->replaying = false;
			continue;
		}
		replay_gap(a, s);
		x.s = s;
		c->corked = true;
		if (lmc_evlog_replay(a->evlog, s->cursor, replay_one, &x) >= 0 &&
		    s->cursor >= lmc_evlog_last(a->evlog))
			s->replaying = false;
		/* A reader that took the whole chunk as it went leaves nothing unsent: the flush
		 * keeps asking for write readiness all the same while the replay has more
		 * (lmc_agent_replay_pending), and the next chunk goes then, after the loop's
		 * other clients, not in this callback. */
		lmc_agent_uncork(c);
	}
	a->emitting--;
	lmc_agent_sweep(a);
}

bool lmc_agent_replay_pending(const struct client *c)
{
	for (const struct sub *s = c->subs; s; s = s->next)
		if (s->replaying && !s->dropped)
			return !c->dead;
	return false;
}

/* A subscription that asked since=SEQ: start replaying (after its acknowledgement). */
void lmc_agent_replay_start(struct sub *s)
{
	s->replaying = true;
	s->cursor = s->f.since;
	lmc_agent_replay_pump(s->c);
}
