/* OOM kills the agent did not see: while it was down, or before a subscriber came back and
 * its sources were opened again. An OOM source stays open while its container exists (the
 * journal records its kills for subscribers that return); the count each one has reported
 * is kept in <state-dir>/oom-watch ("COUNT NAME" lines, written by temporary file and
 * rename). At start the agent opens those sources again, with no subscriber, and where the
 * kernel's count has moved past the kept one it journals one OOM event with the new count
 * (pid 0: the kernel log's record of the victim is not read back), so a subscriber that
 * resumes from its last seq receives it. The same check runs whenever a source is opened.
 * The count is the one the source reads (memory.oom_control on v1, memory.events on v2). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/manager.h"
#include "tools/agent/lmctld.h"

#define OOMW_FILE "oom-watch"
_Static_assert(LMC_NAME_MAX == 255, "the width in oomw_load_line's sscanf");

struct oomw {
	char name[LMC_NAME_MAX + 1];
	uint64_t count; /* the count journaled (or the kernel's when first watched) */
	uint64_t missed; /* > count: a kill not journaled yet (its event is due) */
};

static struct oomw *oomw_find(struct agent *a, const char *name)
{
	for (size_t i = 0; i < a->n_oomw; i++)
		if (strcmp(a->oomw[i].name, name) == 0)
			return &a->oomw[i];
	return NULL;
}

static struct oomw *oomw_add(struct agent *a, const char *name, uint64_t count)
{
	struct oomw *w = oomw_find(a, name);

	if (w)
		return w;
	if (a->n_oomw == a->cap_oomw) {
		size_t cap = a->cap_oomw ? a->cap_oomw * 2 : 16;
		struct oomw *x = realloc(a->oomw, cap * sizeof(*x));

		if (!x)
			return NULL;
		a->oomw = x;
		a->cap_oomw = cap;
	}
	w = &a->oomw[a->n_oomw++];
	snprintf(w->name, sizeof(w->name), "%s", name);
	w->count = w->missed = count;
	return w;
}

static int oomw_save(struct agent *a)
{
	const char *dir = lmc_mgr_state_dir(a->m);
	char tmp[PATH_MAX], path[PATH_MAX];
	FILE *f;
	int r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, OOMW_FILE);
	snprintf(tmp, sizeof(tmp), "%s/.%s.tmp", dir, OOMW_FILE);
	f = fopen(tmp, "we");
	if (!f)
		return lmc_negerrno();
	for (size_t i = 0; i < a->n_oomw; i++)
		fprintf(f, "%llu %s\n", (unsigned long long)a->oomw[i].count, a->oomw[i].name);
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		r = lmc_negerrno();
	if (r < 0)
		unlink(tmp);
	return r;
}

/* After the callbacks of this loop iteration: the kills found missed are journaled, then
 * the counts saved (a burst of sources opened by one subscription writes the file once). */
static void on_oomw_due(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct agent *a = container_of(w, struct agent, oomw_due);
	int r;

	(void)loop;
	(void)revents;
	for (size_t i = 0; i < a->n_oomw; i++) {
		struct oomw *o = &a->oomw[i];
		struct lmc_evrec ev = {.kind = LMC_EVK_OOM, .value = o->missed};

		if (o->missed <= o->count)
			continue;
		o->count = o->missed;
		snprintf(ev.name, sizeof(ev.name), "%s", o->name);
		snprintf(ev.detail, sizeof(ev.detail), "counted while the agent was not watching");
		lmc_agent_log("%s: OOM kills %llu, seen now (the agent was not watching)",
			      lmc_name_display(o->name), (unsigned long long)o->missed);
		lmc_agent_event(a, &ev);
	}
	r = oomw_save(a);
	if (r < 0)
		lmc_agent_log("%s/%s: cannot write: %s", lmc_mgr_state_dir(a->m), OOMW_FILE,
			      strerror(-r));
}

static void oomw_due(struct agent *a)
{
	if (!ev_is_active(&a->oomw_due)) {
		ev_timer_set(&a->oomw_due, 0., 0.);
		ev_timer_start(a->loop, &a->oomw_due);
	}
}

void lmc_agent_oomw_opened(struct agent *a, const char *name, uint64_t kernel_count)
{
	struct oomw *w = oomw_find(a, name);

	if (!w) {
		if (oomw_add(a, name, kernel_count))
			oomw_due(a);
		return;
	}
	if (kernel_count > w->count) {
		w->missed = kernel_count;
		oomw_due(a);
	} else if (kernel_count < w->count) {
		/* A new container of that name (made while the agent was down): its own count. */
		w->count = w->missed = kernel_count;
		oomw_due(a);
	}
}

void lmc_agent_oomw_seen(struct agent *a, const char *name, uint64_t count)
{
	struct oomw *w = oomw_add(a, name, count);

	if (!w || count < w->count)
		return;
	w->count = w->missed = count;
	oomw_due(a);
}

void lmc_agent_oomw_forget(struct agent *a, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < a->n_oomw; i++)
		if (!lmc_name_is_under(a->oomw[i].name, name) || lmc_name_is_root(name))
			a->oomw[n++] = a->oomw[i];
	if (n != a->n_oomw) {
		a->n_oomw = n;
		oomw_due(a);
	}
}

/* One "COUNT NAME" line of the file: the container, if it still exists, is watched again. */
static void oomw_load_line(struct agent *a, const char *line)
{
	char name[LMC_NAME_MAX + 1], canon[LMC_NAME_MAX + 1];
	unsigned long long count;
	struct oomw *w;

	if (sscanf(line, "%llu %255s", &count, name) != 2 ||
	    lmc_mgr_find(a->m, name, canon, NULL) < 0 || strcmp(canon, name) != 0)
		return;
	w = oomw_add(a, name, count);
	if (w)
		w->count = w->missed = count;
}

void lmc_agent_oomw_start(struct agent *a)
{
	char path[PATH_MAX], line[LMC_NAME_MAX + 32];
	size_t n;
	FILE *f;

	ev_timer_init(&a->oomw_due, on_oomw_due, 0., 0.);
	snprintf(path, sizeof(path), "%s/%s", lmc_mgr_state_dir(a->m), OOMW_FILE);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		oomw_load_line(a, line);
	fclose(f);
	n = a->n_oomw;
	for (size_t i = 0; i < n; i++)
		lmc_agent_oom_watch(a, a->oomw[i].name);
	oomw_due(a); /* gone containers' lines leave the file */
}

void lmc_agent_oomw_free(struct agent *a)
{
	if (ev_is_active(&a->oomw_due))
		oomw_save(a); /* what the last iteration changed */
	ev_timer_stop(a->loop, &a->oomw_due);
	free(a->oomw);
	a->oomw = NULL;
	a->n_oomw = a->cap_oomw = 0;
}
