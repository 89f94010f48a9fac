/* Priority eviction's victim choice (policy/evict.c): lowest priority first, the furthest
 * over its reservation among equals, a container within its reservation last; inherited
 * priorities; the threshold below a limit; the leaves below a container. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "base/tree.h"
#include "policy/policy.h"

#define M (1024ULL * 1024ULL)

#define CAND(nm, prio, use, resv)                                               \
	{                                                                       \
		.name = nm, .priority = prio, .usage = use, .reservation = resv \
	}

static void test_lowest_priority_first(void **state)
{
	struct lmc_evict_cand c[] = {
		CAND("job/prod", 1000, 300 * M, LMC_UNSET),
		CAND("job/batch", 10, 100 * M, LMC_UNSET),
		CAND("job/scavenger", 0, 1 * M, LMC_UNSET),
	};

	(void)state;
	assert_int_equal(lmc_policy_evict_pick(c, 3), 2);
	c[2].busy = true; /* being evicted: the next one */
	assert_int_equal(lmc_policy_evict_pick(c, 3), 1);
	c[1].usage = 0; /* holds nothing: not a victim */
	assert_int_equal(lmc_policy_evict_pick(c, 3), 0);
	c[0].usage = 0;
	assert_int_equal(lmc_policy_evict_pick(c, 3), -1);
	assert_int_equal(lmc_policy_evict_pick(c, 0), -1);
}

static void test_equal_priority_furthest_over(void **state)
{
	struct lmc_evict_cand c[] = {
		CAND("a", 10, 300 * M, 250 * M), /* 50M over */
		CAND("b", 10, 200 * M, 100 * M), /* 100M over */
		CAND("c", 10, 120 * M, LMC_UNSET), /* 120M over (no reservation) */
	};

	(void)state;
	assert_int_equal(lmc_policy_evict_pick(c, 3), 2);
	c[2].usage = 90 * M;
	assert_int_equal(lmc_policy_evict_pick(c, 3), 1);
}

static void test_within_reservation_last(void **state)
{
	struct lmc_evict_cand c[] = {
		/* low priority, but within its reservation */
		CAND("low", 0, 100 * M, 200 * M),
		/* higher priority, over its reservation: goes first */
		CAND("high", 500, 150 * M, 100 * M),
		CAND("top", 1000, 50 * M, 100 * M),
	};

	(void)state;
	assert_int_equal(lmc_policy_evict_pick(c, 3), 1);
	c[1].busy = true;
	/* none over: the lowest priority of those within */
	assert_int_equal(lmc_policy_evict_pick(c, 3), 0);
	c[0].busy = true;
	assert_int_equal(lmc_policy_evict_pick(c, 3), 2);
	/* exactly at the reservation is within it */
	c[0] = (struct lmc_evict_cand)CAND("at", 0, 100 * M, 100 * M);
	c[1] = (struct lmc_evict_cand)CAND("over", 9000, 1, 0);
	assert_int_equal(lmc_policy_evict_pick(c, 2), 1);
}

static void test_threshold(void **state)
{
	(void)state;
	/* 5% of 512M is 25.6M < 64M: 64M of room */
	assert_true(lmc_policy_evict_threshold(512 * M, 5, 64 * M) == 448 * M);
	/* 5% of 4G is 204.8M > 64M */
	assert_true(lmc_policy_evict_threshold(4096 * M, 5, 64 * M) == 4096 * M - 4096 * M / 20);
	assert_true(lmc_policy_evict_threshold(32 * M, 5, 64 * M) == 0);
	assert_true(lmc_policy_evict_threshold(LMC_UNSET, 5, 64 * M) == 0);
	assert_true(lmc_policy_evict_threshold(0, 5, 64 * M) == 0);
	/* the machine's floor of available memory: the same headroom */
	assert_true(lmc_policy_evict_headroom(768 * M, 5, 64 * M) == 64 * M);
	assert_true(lmc_policy_evict_headroom(24576 * M, 5, 64 * M) == 24576 * M / 20);
	assert_true(lmc_policy_evict_headroom(32 * M, 5, 64 * M) == 32 * M);
	assert_true(lmc_policy_evict_headroom(LMC_UNSET, 5, 64 * M) == 0);
}

static void test_sample_period(void **state)
{
	(void)state;
	/* 1 GiB/s: 500M of room is ~488 ms away, 5G is past the 1 s ceiling, 1M under the
	 * 10 ms floor */
	assert_int_equal(lmc_policy_evict_sample_ms(500 * M, 1024 * M, 10, 1000), 488);
	assert_int_equal(lmc_policy_evict_sample_ms(5120 * M, 1024 * M, 10, 1000), 1000);
	assert_int_equal(lmc_policy_evict_sample_ms(M, 1024 * M, 10, 1000), 10);
	assert_int_equal(lmc_policy_evict_sample_ms(0, 1024 * M, 10, 1000), 10);
	assert_int_equal(lmc_policy_evict_sample_ms(M, 0, 10, 1000), 1000);
}

static void test_priority_inherited_and_leaves(void **state)
{
	struct lmc_tree *t;
	struct lmc_node *job, *n;
	struct lmc_spec s;
	struct lmc_evict_cand c[8];

	(void)state;
	assert_int_equal(lmc_tree_new(&t), 0);
	lmc_spec_init(&s);
	assert_int_equal(lmc_tree_add(t, "job", &s, &job), 0);
	assert_int_equal(lmc_policy_priority(job), LMC_PRIORITY_DEFAULT);
	job->spec.memory.eviction_priority = 7;
	assert_int_equal(lmc_tree_add(t, "job/a", &s, &n), 0);
	assert_int_equal(lmc_policy_priority(n), 7);
	s.memory.eviction_priority = 1000;
	s.memory.reservation = 5 * M;
	assert_int_equal(lmc_tree_add(t, "job/b", &s, &n), 0);
	assert_int_equal(lmc_policy_priority(n), 1000);
	lmc_spec_init(&s);
	assert_int_equal(lmc_tree_add(t, "job/b/x", &s, &n), 0);
	assert_int_equal(lmc_policy_priority(n), 1000);
	assert_int_equal(lmc_tree_add(t, "other", &s, &n), 0);

	/* below job: its leaves job/a and job/b/x (job/b has a child) */
	assert_int_equal(lmc_policy_evict_leaves(job, c, 8), 2);
	assert_string_equal(c[0].name, "job/a");
	assert_int_equal(c[0].priority, 7);
	assert_string_equal(c[1].name, "job/b/x");
	assert_int_equal(c[1].priority, 1000);
	assert_true(c[1].reservation == LMC_UNSET);
	/* the machine root: every leaf; a short array says how many there are */
	assert_int_equal(lmc_policy_evict_leaves(lmc_tree_root(t), c, 1), 3);
	assert_string_equal(c[0].name, "job/a");
	lmc_tree_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowest_priority_first),
		cmocka_unit_test(test_equal_priority_furthest_over),
		cmocka_unit_test(test_within_reservation_last),
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_sample_period),
		cmocka_unit_test(test_priority_inherited_and_leaves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
