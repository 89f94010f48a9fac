/* lmctld's event subscriptions: kernel event sources (core/events) per container of a
 * subscription, watched on the agent's loop, streamed to the subscriber as Event frames. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/events.h"
#include "tools/lmctld.h"

void lmc_agent_sub_free(struct agent *a, struct sub *s)
{
	struct src *x, *next;

	for (x = s->srcs; x; x = next) {
		next = x->next;
		ev_io_stop(a->loop, &x->io);
		lmc_events_free(x->s);
		free(x);
	}
	free(s);
}

void lmc_agent_sub_emit(struct sub *s, const struct lmc_api_event *ev)
{
	uint8_t *buf;
	size_t len;

	if (lmc_api_reply_event(s->id, ev, &buf, &len) >= 0)
		lmc_agent_send(s->c, buf, len);
}

static void on_source(struct ev_loop *loop, ev_io *w, int revents)
{
	struct src *x = container_of(w, struct src, io);
	struct lmc_api_event ev = {.kind = lmc_events_kind(x->s)};
	bool fired;
	int r;

	(void)revents;
	r = lmc_events_read(x->s, &fired, &ev.value);
	if (r < 0) {
		/* The container went away: this source is done, the subscription lives on. */
		ev_io_stop(loop, &x->io);
		return;
	}
	if (!fired)
		return;
	ev.timestamp_ns = lmc_agent_now_ns();
	snprintf(ev.name, sizeof(ev.name), "%s", lmc_events_name(x->s));
	lmc_agent_sub_emit(x->sub, &ev);
}

static int sub_source(struct agent *a, struct sub *s, const char *name, enum lmc_events_kind k,
		      struct lmc_err *err)
{
	struct lmc_cgfs *cg = lmc_mgr_cgfs(a->m);
	struct src *x;
	int r;

	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	if (k == LMC_EVK_OOM)
		r = lmc_events_oom_open(cg, name, &x->s, err);
	else if (k == LMC_EVK_THRESHOLD)
		r = lmc_events_threshold_open(cg, name, s->f.threshold, &x->s, err);
	else
		r = lmc_events_empty_open(cg, name, &x->s, err);
	if (r < 0) {
		free(x);
		return r;
	}
	x->sub = s;
	x->next = s->srcs;
	s->srcs = x;
	ev_io_init(&x->io, on_source, lmc_events_fd(x->s), EV_READ);
	ev_io_start(a->loop, &x->io);
	return 0;
}

/* Kernel sources for one container; the subscription's own container must succeed, a
 * container below that vanished meanwhile is skipped. */
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
	for (size_t i = 0; i < n && i < SUB_SOURCES_MAX; i++)
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
			if (s->f.recursive && lmc_name_is_under(name, s->name))
				sub_sources_for(a, s, name, false, NULL);
}

void lmc_agent_subscribe(struct client *c, struct lmc_api_result *res)
{
	struct lmc_err err = {0};
	struct sub *s = calloc(1, sizeof(*s));
	int r;

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
	lmc_agent_log("uid %u subscribed to events of %s", (unsigned)c->peer.uid,
		      lmc_name_display(s->name));
	lmc_agent_send(c, TAKE_PTR(res->reply), res->reply_len);
}
