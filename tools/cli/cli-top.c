/* lmctl top: a live table of the containers, refreshed every -d seconds. Each row's LIMIT
 * is the effective memory limit (its own or the nearest ancestor's, whichever is lower).
 * On a terminal it quits on 'q' and re-sorts on a column's key. */
#include "tools/cli/cli.h"

#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "base/util.h"
#include "tools/cli/output.h"

enum top_sort { SORT_NAME, SORT_CPU, SORT_MEM, SORT_PIDS, SORT_OOMS };

struct top_row {
	char name[LMC_NAME_MAX + 1];
	uint64_t cpu_ns; /* for the next sample's CPU% */
	double cpu; /* -1: not known yet */
	uint64_t mem, limit, pids, ooms; /* LMC_UNSET: unknown / none */
};

struct top {
	struct lmc_cli *c;
	const char *name;
	enum top_sort sort;
	struct top_row *rows, *prev;
	size_t n, nprev;
	uint64_t limit_above; /* the effective limit of the listed container's parent */
};

static int parse_sort(const char *s, enum top_sort *ret)
{
	static const char *const names[] = {"name", "cpu", "mem", "pids", "ooms"};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(s, names[i]) == 0 || (strcmp(s, "memory") == 0 && i == SORT_MEM))
			return *ret = (enum top_sort)i, 0;
	return lmc_cli_usage("top: --sort: '%s' is not one of name, cpu, mem, pids, ooms", s);
}

static uint64_t umin(uint64_t a, uint64_t b)
{
	return a == LMC_UNSET ? b : b == LMC_UNSET ? a : a < b ? a : b;
}

static const struct top_row *find_row(const struct top_row *r, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(r[i].name, name) == 0)
			return &r[i];
	return NULL;
}

/* Effective limits: each row's own, bounded by its nearest listed ancestor's (rows come
 * parents first) and, for the top, by what bounds it from above. */
static void effective_limits(struct top *t)
{
	for (size_t i = 0; i < t->n; i++) {
		char parent[LMC_NAME_MAX + 1];
		char *slash;
		const struct top_row *p;

		snprintf(parent, sizeof(parent), "%s", t->rows[i].name);
		slash = strrchr(parent, '/');
		if (slash)
			*slash = '\0';
		p = slash ? find_row(t->rows, i, parent) : NULL;
		t->rows[i].limit = umin(t->rows[i].limit, p ? p->limit : t->limit_above);
	}
}

static int row_cmp(const struct top_row *a, const struct top_row *b, enum top_sort s)
{
	uint64_t x = 0, y = 0;

	switch (s) {
	case SORT_NAME:
		return strcmp(a->name, b->name);
	case SORT_CPU:
		return a->cpu < b->cpu ? 1 : a->cpu > b->cpu ? -1 : strcmp(a->name, b->name);
	case SORT_MEM:
		x = a->mem, y = b->mem;
		break;
	case SORT_PIDS:
		x = a->pids, y = b->pids;
		break;
	case SORT_OOMS:
		x = a->ooms, y = b->ooms;
		break;
	}
	x = x == LMC_UNSET ? 0 : x;
	y = y == LMC_UNSET ? 0 : y;
	return x < y ? 1 : x > y ? -1 : strcmp(a->name, b->name);
}

static enum top_sort sort_key;

static int row_qcmp(const void *a, const void *b)
{
	return row_cmp(a, b, sort_key);
}

static void cell(uint64_t v, bool size, char *buf, size_t n)
{
	if (v == LMC_UNSET)
		snprintf(buf, n, "-");
	else if (size)
		lmc_format_size(v, buf, n);
	else
		snprintf(buf, n, "%" PRIu64, v);
}

static void top_print(struct top *t)
{
	static const char *const heads[] = {"CONTAINER", "CPU%", "MEMORY", "LIMIT", "PIDS", "OOMS"};
	struct top_row *sorted = malloc((t->n ? t->n : 1) * sizeof(*sorted));

	if (!sorted)
		return;
	memcpy(sorted, t->rows, t->n * sizeof(*sorted));
	sort_key = t->sort;
	qsort(sorted, t->n, sizeof(*sorted), row_qcmp);
	printf("%-40s %7s %10s %10s %6s %5s   sort: %s%s\n", heads[0], heads[1], heads[2], heads[3],
	       heads[4], heads[5], (const char *[]){"name", "cpu", "mem", "pids", "ooms"}[t->sort],
	       isatty(0) ? " (keys n c m p o, q quits)" : "");
	for (size_t i = 0; i < t->n; i++) {
		const struct top_row *r = &sorted[i];
		char cpu[16] = "-", mem[32], lim[32], pids[24], ooms[24];

		if (r->cpu >= 0)
			snprintf(cpu, sizeof(cpu), "%.1f", r->cpu);
		cell(r->mem, true, mem, sizeof(mem));
		cell(r->limit, true, lim, sizeof(lim));
		cell(r->pids, false, pids, sizeof(pids));
		cell(r->ooms, false, ooms, sizeof(ooms));
		printf("%-40s %7s %10s %10s %6s %5s\n", lmc_name_display(r->name), cpu, mem, lim,
		       pids, ooms);
	}
	fflush(stdout);
	free(sorted);
}

/* One sample into t->rows (the last one kept in t->prev for CPU%). */
static int top_sample(struct top *t, uint64_t dt_ns, struct lmc_err *err)
{
	struct lmc_stats_entry *e = NULL;
	size_t n = 0;
	int r = t->c->b->ops->stats(t->c->b, t->name, true, 0, &e, &n, err);

	if (r < 0)
		return r;
	free(t->prev);
	t->prev = t->rows;
	t->nprev = t->n;
	t->rows = calloc(n ? n : 1, sizeof(*t->rows));
	t->n = t->rows ? n : 0;
	for (size_t i = 0; i < t->n; i++) {
		const struct lmc_stats *s = &e[i].stats;
		const struct top_row *p = find_row(t->prev, t->nprev, e[i].name);
		struct top_row *w = &t->rows[i];

		snprintf(w->name, sizeof(w->name), "%s", e[i].name);
		w->cpu_ns = s->cpu_usage_ns;
		w->cpu = -1;
		if (p && p->cpu_ns != LMC_UNSET && s->cpu_usage_ns != LMC_UNSET && dt_ns)
			w->cpu = 100.0 * (double)(s->cpu_usage_ns - p->cpu_ns) / (double)dt_ns;
		w->mem = s->mem_usage;
		w->limit = s->mem_limit;
		w->pids = s->pids_current;
		w->ooms = s->mem_oom_kills;
	}
	free(e);
	effective_limits(t);
	return t->rows ? 0 : lmc_err_set(err, -ENOMEM, "out of memory");
}

/* What bounds the listed container from above: its parent's effective memory limit. */
static void limit_above(struct top *t)
{
	struct lmc_spec spec;
	struct lmc_effective eff;
	char parent[LMC_NAME_MAX + 1], *slash;

	t->limit_above = LMC_UNSET;
	snprintf(parent, sizeof(parent), "%s", t->name);
	slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return;
	*slash = '\0';
	if (t->c->b->ops->spec(t->c->b, parent, &spec, &eff, NULL) >= 0)
		t->limit_above = eff.mem_limit.value;
}

static struct termios saved_tty;
static bool tty_raw;

static void tty_restore(void)
{
	if (tty_raw)
		tcsetattr(0, TCSANOW, &saved_tty);
	tty_raw = false;
}

/* Keys without Enter, unechoed, while top runs on a terminal. */
static void tty_keys(void)
{
	struct termios raw;

	if (!isatty(0) || tcgetattr(0, &saved_tty) < 0)
		return;
	raw = saved_tty;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	if (tcsetattr(0, TCSANOW, &raw) == 0) {
		tty_raw = true;
		atexit(tty_restore);
	}
}

/* Wait up to ms for a key: true when it asks to quit; a column's key re-sorts. */
static bool wait_key(struct top *t, int ms)
{
	struct pollfd p = {.fd = 0, .events = POLLIN};
	uint64_t end = lmc_util_now_ns() + (uint64_t)ms * 1000000ULL;
	char ch;

	for (;;) {
		int left = (int)((end - lmc_util_now_ns()) / 1000000ULL);

		if (!tty_raw) {
			struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

			nanosleep(&ts, NULL);
			return false;
		}
		if (lmc_util_now_ns() >= end || poll(&p, 1, left) <= 0)
			return false;
		if (read(0, &ch, 1) != 1)
			return false;
		if (ch == 'q' || ch == 'Q')
			return true;
		if (strchr("ncmpo", ch)) {
			t->sort = (enum top_sort)(strchr("ncmpo", ch) - "ncmpo");
			return false;
		}
	}
}

static int top_loop(struct top *t, const struct lmc_cli_opts *o)
{
	struct lmc_err err = {0};
	uint64_t t0 = lmc_util_now_ns();
	int r = 0;

	/* One sample to diff against, so the first table already has CPU%. */
	if (top_sample(t, 0, &err) < 0)
		return lmc_cli_fail(&err);
	if (wait_key(t, 200))
		return 0;
	for (int it = 0; o->iterations == 0 || it < o->iterations; it++) {
		uint64_t now = lmc_util_now_ns();

		if (top_sample(t, now - t0, &err) < 0)
			return lmc_cli_fail(&err);
		t0 = now;
		if (isatty(1))
			fputs("\033[H\033[2J", stdout);
		top_print(t);
		if ((o->iterations == 0 || it + 1 < o->iterations) &&
		    wait_key(t, (int)(o->interval * 1000)))
			break;
	}
	return r;
}

static int stats_cmp(const void *pa, const void *pb)
{
	return lmc_out_name_cmp(((const struct lmc_stats_entry *)pa)->name,
				((const struct lmc_stats_entry *)pb)->name);
}

/* One sample of top --json: every container's stats as stats --json gives them (paused
 * taken from the list, in list -r order). */
static int json_sample(struct lmc_cli *c, const char *name, struct lmc_err *err)
{
	struct lmc_stats_entry *e = NULL;
	struct lmc_list_entry *l = NULL;
	struct timespec now;
	size_t n = 0, nl = 0;

	if (c->b->ops->list(c->b, name, true, false, &l, &nl, err) < 0 ||
	    c->b->ops->stats(c->b, name, true, 0, &e, &n, err) < 0) {
		lmc_list_free(l, nl);
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &now);
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < nl; k++)
			if (strcmp(l[k].name, e[i].name) == 0)
				e[i].paused = l[k].paused;
	qsort(e, n, sizeof(*e), stats_cmp);
	lmc_out_top_sample(stdout, e, n,
			   (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec);
	fflush(stdout);
	lmc_list_free(l, nl);
	free(e);
	return 0;
}

/* top --json: one line per sample. */
static int top_json(struct lmc_cli *c, const char *name, const struct lmc_cli_opts *o)
{
	struct lmc_err err = {0};

	for (int it = 0; o->iterations == 0 || it < o->iterations; it++) {
		if (json_sample(c, name, &err) < 0)
			return lmc_cli_fail(&err);
		if (o->iterations == 0 || it + 1 < o->iterations) {
			struct timespec ts = {
				(time_t)o->interval,
				(long)((o->interval - (double)(time_t)o->interval) * 1e9)};

			nanosleep(&ts, NULL);
		}
	}
	return 0;
}

int lmc_cli_top(struct lmc_cli *c, int argc, char **argv)
{
	struct lmc_err err = {0};
	struct lmc_cli_opts o;
	struct top t = {.c = c};
	int r;

	r = lmc_cli_parse_opts(argc, argv, &o);
	if (r)
		return r;
	if (argc - optind > 1)
		return lmc_cli_usage("%s: expected at most one container name", "top");
	if (o.sort && (r = parse_sort(o.sort, &t.sort)))
		return r;
	t.name = optind < argc ? argv[optind] : "/";
	if (lmc_cli_connect(c, true, &err) < 0)
		return lmc_cli_fail(&err);
	if (o.json)
		return top_json(c, t.name, &o);
	limit_above(&t);
	tty_keys();
	r = top_loop(&t, &o);
	tty_restore();
	free(t.rows);
	free(t.prev);
	return r;
}
