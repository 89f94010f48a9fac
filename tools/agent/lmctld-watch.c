/* Events the agent did not see: while it was down, or before a subscriber came back and its
 * sources were opened again. OOM and EMPTY sources stay open while their container exists
 * (the journal records their events for subscribers that return); what each one last
 * reported is kept in <state-dir>/oom-watch, one line a source, written by temporary file
 * and rename: "COUNT NAME" the OOM kills counted, "empty POPULATED NAME" whether the
 * container held a process (1) or not (0). At start the agent opens those sources again,
 * with no subscriber, and journals what happened meanwhile, so a subscriber that resumes
 * from its last seq receives it: where the kernel's OOM count has moved past the kept one,
 * one OOM event with the new count (pid 0: the kernel log's record of the victim is not
 * read back); where a container held a process and holds none now, one EMPTY event. The
 * same check runs whenever a source is opened. The OOM count is the one the source reads
 * (memory.oom_control on v1, memory.events on v2); populated, cgroup.events (or the
 * processes, without a cgroup2 tree). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/manager.h"
#include "tools/agent/lmctld.h"

#define WATCH_FILE "oom-watch"
_Static_assert(LMC_NAME_MAX == 255, "the width in watch_load_line's sscanf");

struct watch {
	char name[LMC_NAME_MAX + 1];
	enum lmc_events_kind kind; /* LMC_EVK_OOM or LMC_EVK_EMPTY */
	uint64_t count; /* OOM: the count journaled (or the kernel's when first watched);
			 * EMPTY: 1 if it held a process when last seen */
	uint64_t missed; /* OOM: > count, a kill not journaled yet; EMPTY: 1, emptied unseen */
};

static struct watch *watch_find(struct agent *a, enum lmc_events_kind k, const char *name)
{
	for (size_t i = 0; i < a->n_watches; i++)
		if (a->watches[i].kind == k && strcmp(a->watches[i].name, name) == 0)
			return &a->watches[i];
	return NULL;
}

static struct watch *watch_add(struct agent *a, enum lmc_events_kind k, const char *name,
			       uint64_t count)
{
	struct watch *w = watch_find(a, k, name);

	if (w)
		return w;
	if (a->n_watches == a->cap_watches) {
		size_t cap = a->cap_watches ? a->cap_watches * 2 : 16;
		struct watch *x = realloc(a->watches, cap * sizeof(*x));

		if (!x)
			return NULL;
		a->watches = x;
		a->cap_watches = cap;
	}
	w = &a->watches[a->n_watches++];
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->kind = k;
	w->count = count;
	w->missed = k == LMC_EVK_OOM ? count : 0;
	return w;
}

static int watch_save(struct agent *a)
{
	const char *dir = lmc_mgr_state_dir(a->m);
	char tmp[PATH_MAX], path[PATH_MAX];
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, WATCH_FILE);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, WATCH_FILE);
	f = fopen(tmp, "we");
	if (!f)
		return lmc_negerrno();
	for (size_t i = 0; i < a->n_watches; i++) {
		const struct watch *w = &a->watches[i];

		fprintf(f, "%s%llu %s\n", w->kind == LMC_EVK_EMPTY ? "empty " : "",
			(unsigned long long)w->count, w->name);
	}
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		r = lmc_negerrno();
	if (r < 0)
		unlink(tmp);
	return r;
}

/* The event for what w saw happen unwatched, journaled now. */
static void watch_missed(struct agent *a, struct watch *w)
{
	struct lmc_evrec ev = {.kind = w->kind};

	snprintf(ev.name, sizeof(ev.name), "%s", w->name);
	snprintf(ev.detail, sizeof(ev.detail), "%s while the agent was not watching",
		 w->kind == LMC_EVK_OOM ? "counted" : "emptied");
	if (w->kind == LMC_EVK_OOM) {
		ev.value = w->count = w->missed;
		lmc_agent_log("%s: OOM kills %llu, seen now (the agent was not watching)",
			      lmc_name_display(w->name), (unsigned long long)w->missed);
	} else {
		w->missed = 0;
		lmc_agent_log("%s: empty, seen now (the agent was not watching)",
			      lmc_name_display(w->name));
	}
	lmc_agent_event(a, &ev);
}

/* After the callbacks of this loop iteration: what was found missed is journaled, then the
 * file saved (a burst of sources opened by one subscription writes it once). */
static void on_watch_due(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct agent *a = container_of(t, struct agent, watch_due);
	int r;

	(void)loop;
	(void)revents;
	for (size_t i = 0; i < a->n_watches; i++) {
		struct watch *w = &a->watches[i];

		if (w->kind == LMC_EVK_OOM ? w->missed > w->count : w->missed != 0)
			watch_missed(a, w);
	}
	r = watch_save(a);
	if (r < 0)
		lmc_agent_log("%s/%s: cannot write: %s", lmc_mgr_state_dir(a->m), WATCH_FILE,
			      strerror(-r));
}

void lmc_agent_watch_flush(struct agent *a)
{
	if (!ev_is_active(&a->watch_due))
		return;
	ev_timer_stop(a->loop, &a->watch_due);
	on_watch_due(a->loop, &a->watch_due, 0);
}

static void watch_due(struct agent *a)
{
	if (!ev_is_active(&a->watch_due)) {
		ev_timer_set(&a->watch_due, 0., 0.);
		ev_timer_start(a->loop, &a->watch_due);
	}
}

bool lmc_agent_watch_opened(struct agent *a, enum lmc_events_kind k, const char *name, uint64_t now)
{
	struct watch *w = watch_find(a, k, name);
	bool emptied = false;

	if (!w) {
		if (watch_add(a, k, name, now))
			watch_due(a);
		return false;
	}
	if (k == LMC_EVK_EMPTY) {
		emptied = w->count && !now; /* held a process when last seen, none now */
		if (emptied)
			w->missed = 1;
		if (w->count != now || w->missed) {
			w->count = now;
			watch_due(a);
		}
	} else if (now > w->count) {
		w->missed = now;
		watch_due(a);
	} else if (now < w->count) {
		/* A new container of that name (made while the agent was down): its own count. */
		w->count = w->missed = now;
		watch_due(a);
	}
	return emptied;
}

void lmc_agent_watch_seen(struct agent *a, enum lmc_events_kind k, const char *name, uint64_t value)
{
	struct watch *w = watch_add(a, k, name, value);

	if (!w)
		return;
	if (k == LMC_EVK_EMPTY) {
		w->missed = 0; /* seen: its own event went out, or it was populated */
		if (w->count != value) {
			w->count = value;
			watch_due(a);
		}
		return;
	}
	if (value < w->count)
		return;
	w->count = w->missed = value;
	watch_due(a);
}

void lmc_agent_watch_forget(struct agent *a, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n_watches; i++)
		if (!lmc_name_is_under(a->watches[i].name, name) || lmc_name_is_root(name))
			a->watches[n++] = a->watches[i];
	if (n != a->n_watches) {
		a->n_watches = n;
		watch_due(a);
	}
}

/* One line of the file: the container, if it still exists, is watched again. */
static void watch_load_line(struct agent *a, const char *line)
{
	char name[LMC_NAME_MAX + 1], canon[LMC_NAME_MAX + 1];
	enum lmc_events_kind k = LMC_EVK_OOM;
	unsigned long long count;
	struct watch *w;

	if (strncmp(line, "empty ", 6) == 0) {
		k = LMC_EVK_EMPTY;
		line += 6;
	}
	if (sscanf(line, "%llu %255s", &count, name) != 2 || (k == LMC_EVK_EMPTY && count > 1) ||
	    lmc_mgr_find(a->m, name, canon, NULL) < 0 || strcmp(canon, name) != 0)
		return;
	w = watch_add(a, k, name, count);
	if (w) {
		w->count = count;
		w->missed = k == LMC_EVK_OOM ? count : 0;
	}
}

void lmc_agent_watch_start(struct agent *a)
{
	char path[PATH_MAX], line[LMC_NAME_MAX + 32];
	size_t n;
	FILE *f;

	ev_timer_init(&a->watch_due, on_watch_due, 0., 0.);
	snprintf(path, sizeof(path), "%s/%s", lmc_mgr_state_dir(a->m), WATCH_FILE);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		watch_load_line(a, line);
	fclose(f);
	n = a->n_watches;
	for (size_t i = 0; i < n; i++)
		lmc_agent_src_watch(a, a->watches[i].name, a->watches[i].kind);
	watch_due(a); /* gone containers' lines leave the file */
}

void lmc_agent_watch_free(struct agent *a)
{
	if (ev_is_active(&a->watch_due))
		watch_save(a); /* what the last iteration changed */
	ev_timer_stop(a->loop, &a->watch_due);
	free(a->watches);
	a->watches = NULL;
	a->n_watches = a->cap_watches = 0;
}
