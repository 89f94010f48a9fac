/* Priority eviction: the victim choice (see policy/policy.h). */
#include "policy/policy.h"

#include "base/spec.h"

int64_t lmc_policy_priority(const struct lmc_node *n)
{
	for (; n; n = n->parent)
		if (n->spec.memory.eviction_priority != INT64_MIN)
			return n->spec.memory.eviction_priority;
	return LMC_PRIORITY_DEFAULT;
}

static bool over(const struct lmc_evict_cand *c)
{
	return c->reservation == LMC_UNSET || c->usage > c->reservation;
}

/* How far over its reservation (negative: how far within), saturating. */
static int64_t excess(const struct lmc_evict_cand *c)
{
	uint64_t r = c->reservation == LMC_UNSET ? 0 : c->reservation;

	if (c->usage >= r)
		return c->usage - r > INT64_MAX ? INT64_MAX : (int64_t)(c->usage - r);
	return r - c->usage > INT64_MAX ? -INT64_MAX : -(int64_t)(r - c->usage);
}

/* Does a go before b (both eligible)? */
static bool before(const struct lmc_evict_cand *a, const struct lmc_evict_cand *b)
{
	if (over(a) != over(b))
		return over(a);
	if (a->priority != b->priority)
		return a->priority < b->priority;
	return excess(a) > excess(b);
}

int lmc_policy_evict_pick(const struct lmc_evict_cand *c, size_t n)
{
	int best = -1;

	for (size_t i = 0; i < n; i++) {
		if (c[i].busy || c[i].usage == 0)
			continue;
		if (best < 0 || before(&c[i], &c[best]))
			best = (int)i;
	}
	return best;
}

uint64_t lmc_policy_evict_headroom(uint64_t limit, unsigned pct, uint64_t min_bytes)
{
	uint64_t room;

	if (limit == LMC_UNSET || limit == 0)
		return 0;
	room = limit / 100 * pct + limit % 100 * pct / 100;
	if (room < min_bytes)
		room = min_bytes;
	return room > limit ? limit : room;
}

uint64_t lmc_policy_evict_threshold(uint64_t limit, unsigned pct, uint64_t min_bytes)
{
	uint64_t room = lmc_policy_evict_headroom(limit, pct, min_bytes);

	if (limit == LMC_UNSET || room >= limit)
		return 0;
	return limit - room;
}

unsigned lmc_policy_evict_sample_ms(uint64_t room, uint64_t rate, unsigned min_ms, unsigned max_ms)
{
	uint64_t ms = rate ? room / (rate / 1000 ? rate / 1000 : 1) : max_ms;

	return ms < min_ms ? min_ms : ms > max_ms ? max_ms : (unsigned)ms;
}

size_t lmc_policy_evict_leaves(const struct lmc_node *top, struct lmc_evict_cand *out, size_t max)
{
	size_t n = 0;

	for (const struct lmc_node *x = top; x; x = lmc_tree_next(top, x)) {
		if (x->first_child || !x->parent)
			continue;
		if (n < max)
			out[n] = (struct lmc_evict_cand){
				.name = x->name,
				.priority = lmc_policy_priority(x),
				.reservation = x->spec.memory.reservation,
			};
		n++;
	}
	return n;
}
