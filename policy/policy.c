/* Parent-bounded admission and effective limits (issue 4): pure checks over the container
 * tree. Each refusal is one line naming the container, the resource, both values and the
 * ancestor or children that bound it. A create costs O(depth + siblings); an update may walk
 * the subtree below the container, and only when it lowers something.
 *
 * Only what an update changes is checked against the parent, so a bound an update does not
 * touch never refuses it (a tree loaded from an older, larger machine stays manageable).
 *
 * Over 800 lines: a create's admission, an update's and the effective values all read one
 * table of limits (struct lim) and share the refusal wording below; split, each half would
 * need both in a header of their own. */
#include "policy/policy.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SHOWN_MAX 3 /* names listed in a refusal before "and N more" */
#define VALBUF 48
#define MACHINE "the machine (capacity less reserve)"
#define THROTTLE SIZE_MAX

enum unit { U_SIZE, U_CPU, U_COUNT, U_BPS, U_IOPS };

/* One bounded value: a scalar spec field, or one rate of one device's throttle. */
struct lim {
	const char *what;
	enum unit unit;
	size_t off; /* offset in struct lmc_spec, or THROTTLE */
	int resv; /* index in resvs[] of the reservation held under it, -1 none */
	int rate; /* throttle: 0 read_bps, 1 write_bps, 2 read_iops, 3 write_iops */
	uint32_t major, minor;
	const char *dev;
};

/* A reservation and the limit it has to fit under. */
struct resv {
	const char *what;
	size_t off;
	int lim; /* index in scalar_lims[] */
};

enum { LIM_MEM, LIM_CPU, LIM_PIDS, LIM_MAXC, N_SCALAR_LIMS };

static const struct lim scalar_lims[N_SCALAR_LIMS] = {
	[LIM_MEM] = {"memory limit", U_SIZE, offsetof(struct lmc_spec, memory.limit), 0, 0, 0, 0,
		     NULL},
	[LIM_CPU] = {"cpu limit", U_CPU, offsetof(struct lmc_spec, cpu.limit_m), 1, 0, 0, 0, NULL},
	[LIM_PIDS] = {"pids limit", U_COUNT, offsetof(struct lmc_spec, pids.limit), -1, 0, 0, 0,
		      NULL},
	/* A child's subtree lies inside its parent's: a larger bound could never apply. */
	[LIM_MAXC] = {"max containers", U_COUNT, offsetof(struct lmc_spec, max_containers), -1, 0,
		      0, 0, NULL},
};

static const struct resv resvs[] = {
	{"memory reservation", offsetof(struct lmc_spec, memory.reservation), LIM_MEM},
	{"cpu reservation", offsetof(struct lmc_spec, cpu.reservation_m), LIM_CPU},
};

static const char *const rate_names[4] = {"read bps limit", "write bps limit", "read iops limit",
					  "write iops limit"};

/* What is being admitted: a new container (self and old NULL) or a changed one. */
struct subject {
	const char *name;
	const struct lmc_node *parent; /* NULL for the machine root */
	const struct lmc_node *self;
	const struct lmc_spec *spec; /* the new spec */
	const struct lmc_spec *old;
};

/* Nodes that stand in the way of a change, the first few kept for the message. */
struct blockers {
	unsigned n;
	uint64_t sum;
	const struct lmc_node *node[SHOWN_MAX];
	const char *kind[SHOWN_MAX];
	uint64_t val[SHOWN_MAX];
};

static uint64_t u64min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* Sums saturate at UINT64_MAX, which is above any real bound. */
static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t field(const struct lmc_spec *s, size_t off)
{
	uint64_t v;

	if (!s)
		return LMC_UNSET;
	memcpy(&v, (const char *)s + off, sizeof(v));
	return v;
}

static uint64_t throttle_rate(const struct lmc_throttle *t, int rate)
{
	const uint64_t rates[4] = {t->read_bps, t->write_bps, t->read_iops, t->write_iops};

	return rates[rate];
}

static uint64_t lim_get(const struct lim *l, const struct lmc_spec *s)
{
	const struct lmc_throttle *t;

	if (l->off != THROTTLE)
		return field(s, l->off);
	if (!s)
		return LMC_UNSET;
	t = lmc_spec_throttle_find(&s->blkio, l->major, l->minor);
	return t ? throttle_rate(t, l->rate) : LMC_UNSET;
}

/* Every hard limit spec sets or could set: the scalars, then each device's four rates. */
static unsigned spec_lims(const struct lmc_spec *spec, struct lim *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < N_SCALAR_LIMS; i++)
		out[n++] = scalar_lims[i];
	for (unsigned i = 0; i < spec->blkio.n_throttles && i < LMC_THROTTLE_MAX; i++) {
		const struct lmc_throttle *t = &spec->blkio.throttles[i];

		for (int r = 0; r < 4; r++)
			out[n++] = (struct lim){rate_names[r],
						r < 2 ? U_BPS : U_IOPS,
						THROTTLE,
						-1,
						r,
						t->major,
						t->minor,
						t->path};
	}
	return n;
}

#define LIMS_MAX (N_SCALAR_LIMS + 4 * LMC_THROTTLE_MAX)

/* Minimum of l over n and its ancestors; *ret_from = the nearest node holding it. */
static uint64_t chain_min(const struct lim *l, const struct lmc_node *n,
			  const struct lmc_node **ret_from)
{
	uint64_t best = LMC_UNSET;
	const struct lmc_node *from = NULL;

	for (; n; n = n->parent) {
		uint64_t v = lim_get(l, &n->spec);

		if (v < best) {
			best = v;
			from = n;
		}
	}
	if (ret_from)
		*ret_from = from;
	return best;
}

static void fmt_val(enum unit u, uint64_t v, char *buf, size_t size)
{
	char tmp[VALBUF - 8];

	if (v == UINT64_MAX) {
		snprintf(buf, size, "max");
		return;
	}
	switch (u) {
	case U_SIZE:
		lmc_format_size(v, buf, size);
		break;
	case U_CPU:
		lmc_format_cpus(v, buf, size);
		break;
	case U_BPS:
		lmc_format_size(v, tmp, sizeof(tmp));
		snprintf(buf, size, "%s/s", tmp);
		break;
	case U_COUNT:
	case U_IOPS:
		snprintf(buf, size, "%" PRIu64, v);
		break;
	}
}

/* " on /dev/vda" for a device throttle, "" otherwise. */
static void dev_suffix(const struct lim *l, char *buf, size_t size)
{
	if (l->off != THROTTLE)
		buf[0] = '\0';
	else if (l->dev && l->dev[0])
		snprintf(buf, size, " on %s", l->dev);
	else
		snprintf(buf, size, " on %" PRIu32 ":%" PRIu32, l->major, l->minor);
}

static const char *setter_name(const struct lmc_node *n)
{
	return n->parent ? n->name : MACHINE;
}

/* The API's name of a field (lmctl.proto's Spec path), for an error's facts. */
static const char *api_path(size_t off, int rate)
{
	static const char *const rates[4] = {"blkio.throttles.read_bps",
					     "blkio.throttles.write_bps",
					     "blkio.throttles.read_iops",
					     "blkio.throttles.write_iops"};

	if (off == THROTTLE)
		return rates[rate & 3];
	if (off == offsetof(struct lmc_spec, memory.limit))
		return "memory.limit";
	if (off == offsetof(struct lmc_spec, memory.reservation))
		return "memory.reservation";
	if (off == offsetof(struct lmc_spec, memory.high))
		return "memory.high";
	if (off == offsetof(struct lmc_spec, memory.swap))
		return "memory.swap";
	if (off == offsetof(struct lmc_spec, cpu.limit_m))
		return "cpu.limit_m";
	if (off == offsetof(struct lmc_spec, cpu.reservation_m))
		return "cpu.reservation_m";
	if (off == offsetof(struct lmc_spec, pids.limit))
		return "pids.limit";
	return "max_containers";
}

/* The container that sets a bound: "" for the machine root (lmctl.proto's naming). */
static const char *bound_name(const struct lmc_node *n)
{
	return n && n->parent ? n->name : "";
}

static const char *node_name(const struct lmc_node *n)
{
	return n->parent ? n->name : "/";
}

static _printf_(3, 4) void bufcat(char *buf, size_t size, const char *fmt, ...)
{
	size_t len = strnlen(buf, size);
	va_list ap;

	if (len + 1 >= size)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + len, size - len, fmt, ap);
	va_end(ap);
}

static void blockers_add(struct blockers *b, const struct lmc_node *n, const char *kind,
			 uint64_t val)
{
	if (b->n < SHOWN_MAX) {
		b->node[b->n] = n;
		b->kind[b->n] = kind;
		b->val[b->n] = val;
	}
	b->n++;
	b->sum = sat_add(b->sum, val);
}

/* "the limit 2G of child jobA/sub1, the reservation 3G of descendant jobA/b/c and 2 more" */
static void blockers_fmt_kinds(const struct blockers *b, const struct lmc_node *top, enum unit u,
			       char *buf, size_t size)
{
	char v[VALBUF];

	buf[0] = '\0';
	for (unsigned i = 0; i < b->n && i < SHOWN_MAX; i++) {
		fmt_val(u, b->val[i], v, sizeof(v));
		bufcat(buf, size, "%sthe %s %s of %s %s", i ? ", " : "", b->kind[i], v,
		       b->node[i]->parent == top ? "child" : "descendant", b->node[i]->name);
	}
	if (b->n > SHOWN_MAX)
		bufcat(buf, size, " and %u more", b->n - SHOWN_MAX);
}

/* "jobA/a (1G), jobA/b (2G) and 1 more" */
static void blockers_fmt_names(const struct blockers *b, enum unit u, char *buf, size_t size)
{
	char v[VALBUF];

	buf[0] = '\0';
	for (unsigned i = 0; i < b->n && i < SHOWN_MAX; i++) {
		fmt_val(u, b->val[i], v, sizeof(v));
		bufcat(buf, size, "%s%s (%s)", i ? ", " : "", b->node[i]->name, v);
	}
	if (b->n > SHOWN_MAX)
		bufcat(buf, size, " and %u more", b->n - SHOWN_MAX);
}

static bool lim_changed(const struct subject *s, const struct lim *l)
{
	return !s->old || lim_get(l, s->old) != lim_get(l, s->spec);
}

/* Self-consistency of the spec alone: each reservation within its own limit. */
static int check_self(const struct subject *s, struct lmc_err *err)
{
	char a[VALBUF], b[VALBUF];

	if (s->spec->blkio.n_throttles > LMC_THROTTLE_MAX)
		return lmc_err_set(err, -EINVAL, "%s: more than %d device throttles", s->name,
				   LMC_THROTTLE_MAX);
	for (size_t i = 0; i < ARRAY_SIZE(resvs); i++) {
		const struct lim *l = &scalar_lims[resvs[i].lim];
		uint64_t res = field(s->spec, resvs[i].off), lim = lim_get(l, s->spec);

		if (res == LMC_UNSET || lim == LMC_UNSET || res <= lim)
			continue;
		fmt_val(l->unit, res, a, sizeof(a));
		fmt_val(l->unit, lim, b, sizeof(b));
		return lmc_err_set(err, -EINVAL, "%s: %s %s exceeds its own %s %s", s->name,
				   resvs[i].what, a, l->what, b);
	}
	return 0;
}

/* Rule 1: a hard limit may not exceed the parent's effective one. */
static int check_lim_parent(const struct subject *s, const struct lim *l, struct lmc_err *err)
{
	char dev[LMC_DEVPATH_MAX + 8], a[VALBUF], b[VALBUF];
	const struct lmc_node *from;
	uint64_t v = lim_get(l, s->spec), eff;

	if (v == LMC_UNSET || !s->parent || !lim_changed(s, l))
		return 0;
	eff = chain_min(l, s->parent, &from);
	if (v <= eff)
		return 0;
	dev_suffix(l, dev, sizeof(dev));
	fmt_val(l->unit, v, a, sizeof(a));
	fmt_val(l->unit, eff, b, sizeof(b));
	lmc_err_set(err, -ERANGE, "%s: %s %s%s exceeds the effective limit %s set by %s", s->name,
		    l->what, a, dev, b, setter_name(from));
	return lmc_err_facts(err, LMC_EC_EXCEEDS_PARENT, s->name, api_path(l->off, l->rate), v, eff,
			     bound_name(from));
}

/* Rule 2, own part: a reservation fits in the container's effective limit. */
static int check_resv_limit(const struct subject *s, const struct resv *r, struct lmc_err *err)
{
	const struct lim *l = &scalar_lims[r->lim];
	uint64_t res = field(s->spec, r->off), eff;
	const struct lmc_node *from;
	char a[VALBUF], b[VALBUF];

	if (res == LMC_UNSET || !s->parent)
		return 0;
	if (s->old && res == field(s->old, r->off) && !lim_changed(s, l))
		return 0;
	/* Its own limit was checked by check_self: only an ancestor's can bind here. */
	eff = chain_min(l, s->parent, &from);
	if (res <= eff)
		return 0;
	fmt_val(l->unit, res, a, sizeof(a));
	fmt_val(l->unit, eff, b, sizeof(b));
	lmc_err_set(err, -ERANGE, "%s: %s %s exceeds the effective limit %s set by %s", s->name,
		    r->what, a, b, setter_name(from));
	return lmc_err_facts(err, LMC_EC_EXCEEDS_PARENT, s->name, api_path(r->off, 0), res, eff,
			     bound_name(from));
}

/* What the children of p may reserve in all: p's reservation, or its effective limit. */
static uint64_t capacity(const struct lmc_node *p, const struct resv *r, char *desc, size_t size)
{
	const struct lim *l = &scalar_lims[r->lim];
	const struct lmc_node *from;
	char v[VALBUF];
	uint64_t cap = field(&p->spec, r->off);

	if (cap != LMC_UNSET) {
		fmt_val(l->unit, cap, v, sizeof(v));
		snprintf(desc, size, "%s's reservation %s", node_name(p), v);
		return cap;
	}
	cap = chain_min(l, p, &from);
	if (cap != LMC_UNSET) {
		fmt_val(l->unit, cap, v, sizeof(v));
		snprintf(desc, size, "the effective limit %s set by %s", v, setter_name(from));
	}
	return cap;
}

/* Rule 2, shared part: the siblings' reservations plus this one fit in the parent. */
static int check_resv_sum(const struct subject *s, const struct resv *r, struct lmc_err *err)
{
	enum unit u = scalar_lims[r->lim].unit;
	char desc[LMC_NAME_MAX + 96], a[VALBUF], b[VALBUF], whose[LMC_NAME_MAX + 32];
	uint64_t res = field(s->spec, r->off), old = field(s->old, r->off), cap, sum = 0;

	if (res == LMC_UNSET || !s->parent || (old != LMC_UNSET && res <= old))
		return 0;
	cap = capacity(s->parent, r, desc, sizeof(desc));
	if (cap == LMC_UNSET)
		return 0;
	for (const struct lmc_node *c = s->parent->first_child; c; c = c->next_sibling)
		if (c != s->self && field(&c->spec, r->off) != LMC_UNSET)
			sum = sat_add(sum, field(&c->spec, r->off));
	if (sat_add(sum, res) <= cap)
		return 0;
	fmt_val(u, res, b, sizeof(b));
	if (sum == 0) {
		lmc_err_set(err, -ERANGE, "%s: %s %s exceeds %s", s->name, r->what, b, desc);
	} else {
		fmt_val(u, sum, a, sizeof(a));
		if (s->parent->parent)
			snprintf(whose, sizeof(whose), "%s's children", s->parent->name);
		else
			snprintf(whose, sizeof(whose), "the top-level containers");
		lmc_err_set(err, -ERANGE, "%s: %ss %s + %s of %s exceed %s", s->name, r->what, a, b,
			    whose, desc);
	}
	/* The bound is what is left for this one; the parent sets it. */
	return lmc_err_facts(err, LMC_EC_RESERVATION_OVERCOMMIT, s->name, api_path(r->off, 0), res,
			     cap > sum ? cap - sum : 0, bound_name(s->parent));
}

/* Everything a create checks, and what an update checks against its parent. */
static int check_parent(const struct subject *s, struct lmc_err *err)
{
	struct lim lims[LIMS_MAX];
	unsigned n;
	int r;

	r = check_self(s, err);
	if (r < 0)
		return r;
	n = spec_lims(s->spec, lims);
	for (unsigned i = 0; i < n; i++) {
		r = check_lim_parent(s, &lims[i], err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(resvs); i++) {
		r = check_resv_limit(s, &resvs[i], err);
		if (r < 0)
			return r;
		r = check_resv_sum(s, &resvs[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Every ancestor's max containers has room for one more below it. */
static int check_room(const char *name, const struct lmc_node *parent, struct lmc_err *err)
{
	for (const struct lmc_node *a = parent; a; a = a->parent) {
		uint64_t max = a->spec.max_containers;

		if (max == LMC_UNSET || (uint64_t)a->n_descendants + 1 <= max)
			continue;
		lmc_err_set(err, -EDQUOT,
			    "%s: %s already holds %u container%s below it, as many as its max "
			    "containers %" PRIu64 " allows",
			    name, node_name(a), a->n_descendants, a->n_descendants == 1 ? "" : "s",
			    max);
		return lmc_err_facts(err, LMC_EC_RESOURCE_EXHAUSTED, name, "max_containers",
				     LMC_ERR_NOVAL, max, bound_name(a));
	}
	return 0;
}

int lmc_policy_admit_create(const struct lmc_tree *t, const char *name, const struct lmc_spec *spec,
			    struct lmc_err *err)
{
	char pname[LMC_NAME_MAX + 1];
	const struct lmc_node *parent;
	struct subject s = {.name = name, .spec = spec};
	int r;

	if (!t || !name || !spec)
		return -EINVAL;
	if (lmc_name_parent(name, pname, sizeof(pname)) < 0)
		return lmc_err_set(err, -EINVAL, "invalid container name '%s'", name);
	if (lmc_tree_find(t, name))
		return lmc_err_set(err, -EEXIST, "%s: already exists", name);
	parent = lmc_tree_find(t, pname);
	if (!parent) {
		lmc_err_set(err, -ENOENT, "%s: parent %s does not exist", name, pname);
		return lmc_err_facts(err, LMC_EC_NOT_FOUND, name, NULL, LMC_ERR_NOVAL,
				     LMC_ERR_NOVAL, NULL);
	}
	s.parent = parent;
	r = check_parent(&s, err);
	if (r < 0)
		return r;
	return check_room(name, parent, err);
}

/* Rule 3: a lowered hard limit may not fall below a descendant's own limit or reservation. */
static int check_lowered_lim(const struct subject *s, const struct lim *l, struct lmc_err *err)
{
	char dev[LMC_DEVPATH_MAX + 8], v[VALBUF], list[LMC_ERR_MSG_MAX];
	uint64_t pe = s->parent ? chain_min(l, s->parent, NULL) : LMC_UNSET;
	uint64_t neweff = u64min(lim_get(l, s->spec), pe), oldeff = u64min(lim_get(l, s->old), pe);
	const struct lmc_node *d;
	struct blockers b = {0};

	if (neweff >= oldeff)
		return 0;
	for (d = lmc_tree_next(s->self, s->self); d; d = lmc_tree_next(s->self, d)) {
		uint64_t own = lim_get(l, &d->spec);
		uint64_t res = l->resv >= 0 ? field(&d->spec, resvs[l->resv].off) : LMC_UNSET;

		if (own != LMC_UNSET && own > neweff)
			blockers_add(&b, d, "limit", own);
		else if (res != LMC_UNSET && res > neweff)
			blockers_add(&b, d, "reservation", res);
	}
	if (!b.n)
		return 0;
	dev_suffix(l, dev, sizeof(dev));
	fmt_val(l->unit, neweff, v, sizeof(v));
	blockers_fmt_kinds(&b, s->self, l->unit, list, sizeof(list));
	lmc_err_set(err, -ERANGE, "%s: %s %s%s is below %s", s->name, l->what, v, dev, list);
	/* A descendant's own value would exceed its parent: it is the one that binds. */
	return lmc_err_facts(err, LMC_EC_EXCEEDS_PARENT, s->name, api_path(l->off, l->rate), neweff,
			     b.val[0], b.node[0]->name);
}

/* The reservations of p's children, those holding one kept in b. */
static void children_resv(const struct lmc_node *p, const struct resv *r, struct blockers *b)
{
	for (const struct lmc_node *c = p->first_child; c; c = c->next_sibling)
		if (field(&c->spec, r->off) != LMC_UNSET)
			blockers_add(b, c, "reservation", field(&c->spec, r->off));
}

static int refuse_children(const struct subject *s, const char *what, uint64_t val,
			   const struct lmc_node *p, const struct blockers *b, enum unit u,
			   struct lmc_err *err)
{
	char v[VALBUF], sum[VALBUF], list[LMC_ERR_MSG_MAX];

	fmt_val(u, val, v, sizeof(v));
	fmt_val(u, b->sum, sum, sizeof(sum));
	blockers_fmt_names(b, u, list, sizeof(list));
	if (p == s->self)
		lmc_err_set(err, -ERANGE, "%s: %s %s is below the %s reserved by its children %s",
			    s->name, what, v, sum, list);
	else
		lmc_err_set(err, -ERANGE,
			    "%s: %s %s is below the %s reserved by the children of %s: %s", s->name,
			    what, v, sum, p->name, list);
	return lmc_err_facts(err, LMC_EC_RESERVATION_OVERCOMMIT, s->name, NULL, val, b->sum,
			     p->name);
}

/* The effective limit of d (below s->self) were s->self's effective limit selfeff. */
static uint64_t eff_below(const struct lmc_node *d, const struct lmc_node *top, const struct lim *l,
			  uint64_t selfeff)
{
	uint64_t m = selfeff;

	for (; d && d != top; d = d->parent)
		m = u64min(m, lim_get(l, &d->spec));
	return m;
}

/* Rule 3: lowering a reservation or limit may not squeeze the reservations below it. */
static int check_lowered_cap(const struct subject *s, const struct resv *r, struct lmc_err *err)
{
	const struct lim *l = &scalar_lims[r->lim];
	uint64_t pe = s->parent ? chain_min(l, s->parent, NULL) : LMC_UNSET;
	uint64_t newlim = u64min(lim_get(l, s->spec), pe), oldlim = u64min(lim_get(l, s->old), pe);
	uint64_t newres = field(s->spec, r->off), oldres = field(s->old, r->off);
	uint64_t newcap = newres != LMC_UNSET ? newres : newlim;
	uint64_t oldcap = oldres != LMC_UNSET ? oldres : oldlim;
	const struct lmc_node *d;
	struct blockers b = {0};

	if (newcap < oldcap) {
		children_resv(s->self, r, &b);
		if (b.sum > newcap)
			return refuse_children(s, newres != LMC_UNSET ? r->what : l->what, newcap,
					       s->self, &b, l->unit, err);
	}
	if (newlim >= oldlim)
		return 0;
	for (d = lmc_tree_next(s->self, s->self); d; d = lmc_tree_next(s->self, d)) {
		uint64_t nc, oc;

		if (!d->first_child || field(&d->spec, r->off) != LMC_UNSET)
			continue;
		nc = eff_below(d, s->self, l, newlim);
		oc = eff_below(d, s->self, l, oldlim);
		if (nc >= oc)
			continue;
		b = (struct blockers){0};
		children_resv(d, r, &b);
		if (b.sum > nc)
			return refuse_children(s, l->what, newlim, d, &b, l->unit, err);
	}
	return 0;
}

static int check_subtree(const struct subject *s, struct lmc_err *err)
{
	struct lim lims[LIMS_MAX];
	unsigned n = spec_lims(s->spec, lims);
	int r;

	for (unsigned i = 0; i < n; i++) {
		r = check_lowered_lim(s, &lims[i], err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < ARRAY_SIZE(resvs); i++) {
		r = check_lowered_cap(s, &resvs[i], err);
		if (r < 0)
			return r;
	}
	return 0;
}

int lmc_policy_admit_update(const struct lmc_tree *t, const struct lmc_node *node,
			    const struct lmc_spec *newspec, uint64_t mem_usage, bool force,
			    struct lmc_err *err)
{
	struct subject s;
	char a[VALBUF], b[VALBUF];
	uint64_t lim;
	int r;

	if (!t || !node || !newspec)
		return -EINVAL;
	s = (struct subject){node_name(node), node->parent, node, newspec, &node->spec};
	r = check_parent(&s, err);
	if (r < 0)
		return r;
	r = check_subtree(&s, err);
	if (r < 0)
		return r;
	lim = newspec->max_containers;
	if (lim != LMC_UNSET && lim != node->spec.max_containers && lim < node->n_descendants)
		return lmc_err_set(err, -ERANGE,
				   "%s: max containers %" PRIu64 " is below the %u it holds now",
				   s.name, lim, node->n_descendants);
	lim = newspec->memory.limit;
	if (force || mem_usage == LMC_UNSET || lim == LMC_UNSET || lim == node->spec.memory.limit ||
	    lim >= mem_usage)
		return 0;
	fmt_val(U_SIZE, lim, a, sizeof(a));
	fmt_val(U_SIZE, mem_usage, b, sizeof(b));
	lmc_err_set(err, -ERANGE,
		    "%s: memory limit %s is below the current usage %s (force to lower it anyway)",
		    s.name, a, b);
	return lmc_err_facts(err, LMC_EC_BELOW_USAGE, s.name, "memory.limit", lim, mem_usage,
			     s.name);
}

static struct lmc_eff_value eff_of(const struct lim *l, const struct lmc_node *n)
{
	const struct lmc_node *from;
	struct lmc_eff_value e;

	e.value = chain_min(l, n, &from);
	e.from = from ? from->name : NULL;
	return e;
}

/* A reservation does not inherit (a child is guaranteed nothing by its parent's), but what
 * it guarantees cannot exceed the container's effective limit. */
static struct lmc_eff_value eff_resv(const struct resv *r, const struct lmc_node *n,
				     struct lmc_eff_value lim)
{
	struct lmc_eff_value e = {field(&n->spec, r->off), NULL};

	if (e.value == LMC_UNSET)
		return e;
	e.from = n->name;
	if (lim.value < e.value)
		e = lim;
	return e;
}

int lmc_policy_effective(const struct lmc_tree *t, const struct lmc_node *node,
			 struct lmc_effective *ret)
{
	static const struct lim high = {
		"memory high", U_SIZE, offsetof(struct lmc_spec, memory.high), -1, 0, 0, 0, NULL};
	static const struct lim swap = {
		"memory swap", U_SIZE, offsetof(struct lmc_spec, memory.swap), -1, 0, 0, 0, NULL};
	struct lmc_effective e;

	if (!t || !node || !ret)
		return -EINVAL;
	e.mem_limit = eff_of(&scalar_lims[LIM_MEM], node);
	e.mem_reservation = eff_resv(&resvs[0], node, e.mem_limit);
	e.mem_high = eff_of(&high, node);
	e.mem_swap = eff_of(&swap, node);
	e.cpu_limit_m = eff_of(&scalar_lims[LIM_CPU], node);
	e.cpu_reservation_m = eff_resv(&resvs[1], node, e.cpu_limit_m);
	e.pids_limit = eff_of(&scalar_lims[LIM_PIDS], node);
	e.max_containers = eff_of(&scalar_lims[LIM_MAXC], node);
	e.cpu_shares = lmc_spec_cpu_shares(&node->spec.cpu);
	e.priority = lmc_policy_priority(node);
	*ret = e;
	return 0;
}

int lmc_policy_root_capacity(uint64_t mem_total, unsigned ncpus, uint64_t pid_max,
			     uint64_t reserve_mem, uint64_t reserve_cpu_m, struct lmc_spec *ret,
			     struct lmc_err *err)
{
	uint64_t rmem = reserve_mem == LMC_UNSET ? 0 : reserve_mem;
	uint64_t rcpu = reserve_cpu_m == LMC_UNSET ? 0 : reserve_cpu_m;
	uint64_t cpu_m = (uint64_t)ncpus * 1000;
	char a[VALBUF], b[VALBUF];
	struct lmc_spec s;

	if (!ret)
		return -EINVAL;
	lmc_spec_init(&s);
	/* An unknown machine size (0 or unset) leaves the root unbounded there. */
	if (mem_total != LMC_UNSET && mem_total > 0) {
		if (rmem >= mem_total) {
			fmt_val(U_SIZE, rmem, a, sizeof(a));
			fmt_val(U_SIZE, mem_total, b, sizeof(b));
			return lmc_err_set(
				err, -EINVAL,
				"memory reserve %s leaves nothing of the machine's memory %s", a,
				b);
		}
		s.memory.limit = mem_total - rmem;
	}
	if (cpu_m > 0) {
		if (rcpu >= cpu_m) {
			fmt_val(U_CPU, rcpu, a, sizeof(a));
			fmt_val(U_CPU, cpu_m, b, sizeof(b));
			return lmc_err_set(err, -EINVAL,
					   "cpu reserve %s leaves nothing of the machine's %s cpus",
					   a, b);
		}
		s.cpu.limit_m = cpu_m - rcpu;
	}
	if (pid_max != LMC_UNSET && pid_max > 0)
		s.pids.limit = pid_max;
	*ret = s;
	return 0;
}

void lmc_policy_owner_default(const struct lmc_node *parent, struct lmc_spec *spec)
{
	if (spec->owner == LMC_OWNER_UNSET || spec->owner == 0 ||
	    spec->max_containers != LMC_UNSET ||
	    chain_min(&scalar_lims[LIM_MAXC], parent, NULL) != LMC_UNSET)
		return;
	spec->max_containers = LMC_OWNER_MAX_CONTAINERS;
}

/* Fold one spec's throttles into ret: per device, each rate the smaller. */
static int flat_fold(const struct lmc_spec_blkio *b, struct lmc_spec_blkio *ret)
{
	for (unsigned i = 0; i < b->n_throttles && i < LMC_THROTTLE_MAX; i++) {
		const struct lmc_throttle *t = &b->throttles[i];
		struct lmc_throttle *o = NULL;

		for (unsigned k = 0; k < ret->n_throttles && !o; k++)
			if (ret->throttles[k].major == t->major &&
			    ret->throttles[k].minor == t->minor)
				o = &ret->throttles[k];
		if (!o) {
			if (ret->n_throttles >= LMC_THROTTLE_MAX)
				return -E2BIG;
			o = &ret->throttles[ret->n_throttles++];
			*o = *t;
			continue;
		}
		o->read_bps = u64min(o->read_bps, t->read_bps);
		o->write_bps = u64min(o->write_bps, t->write_bps);
		o->read_iops = u64min(o->read_iops, t->read_iops);
		o->write_iops = u64min(o->write_iops, t->write_iops);
	}
	return 0;
}

int lmc_policy_flat_throttles(const struct lmc_spec_blkio *own, const struct lmc_node *above,
			      const struct lmc_node *at, const struct lmc_spec_blkio *as,
			      struct lmc_spec_blkio *ret)
{
	struct lmc_spec_blkio f;
	int r;

	memset(&f, 0, sizeof(f));
	f.weight = own->weight;
	r = flat_fold(own, &f);
	for (const struct lmc_node *n = above; r >= 0 && n; n = n->parent)
		r = flat_fold(n == at ? as : &n->spec.blkio, &f);
	if (r < 0)
		return r;
	*ret = f;
	return 0;
}
