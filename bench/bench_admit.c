/* Benchmark (issue 4): the cost of admitting one create (lmc_policy_admit_create) at the
 * bottom of a 10,000-container in-memory tree, next to the same create in an empty tree.
 * Admission must cost O(depth + siblings touched), not O(tree). No root, no cgroups. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "base/err.h"
#include "base/name.h"
#include "base/spec.h"
#include "base/tree.h"
#include "policy/policy.h"

#define N_TOP 99
#define N_CHILD 100
#define CHAIN_DEPTH 15 /* the new container goes one below: depth 16, the maximum */
#define BATCH 200 /* calls timed together; a sample is their mean */

static const uint64_t MIB = 1024ull * 1024;

static struct lmc_spec mkspec(uint64_t mem, uint64_t mem_res, uint64_t cpu_m, uint64_t cpu_res_m,
			      uint64_t pids)
{
	struct lmc_spec s;

	lmc_spec_init(&s);
	s.memory.limit = mem;
	s.memory.reservation = mem_res;
	s.cpu.limit_m = cpu_m;
	s.cpu.reservation_m = cpu_res_m;
	s.pids.limit = pids;
	return s;
}

static int tree_with_root(struct lmc_tree **ret)
{
	struct lmc_err err = {0};
	int r = lmc_tree_new(ret);

	if (r < 0)
		return r;
	/* A fixed machine, so the numbers do not depend on this host. */
	return lmc_policy_root_capacity(64ull * 1024 * MIB, 64, 4194304, 0, 0,
					&lmc_tree_root(*ret)->spec, &err);
}

static int add(struct lmc_tree *t, const char *name, const struct lmc_spec *s)
{
	int r = lmc_tree_add(t, name, s, NULL);

	if (r < 0)
		fprintf(stderr, "bench_admit: adding %s: %s\n", name, strerror(-r));
	return r;
}

/* The chain "deep/c2/.../c<CHAIN_DEPTH>"; its last name in ret. */
static int add_chain(struct lmc_tree *t, char *ret, size_t size)
{
	struct lmc_spec s = mkspec(8192 * MIB, 1024 * MIB, 8000, 1000, 100000);
	int r = add(t, "deep", &s);

	snprintf(ret, size, "deep");
	for (int d = 2; r >= 0 && d <= CHAIN_DEPTH; d++) {
		size_t len = strlen(ret);

		snprintf(ret + len, size - len, "/c%d", d);
		s.memory.limit -= 64 * MIB;
		s.memory.reservation -= 32 * MIB;
		r = add(t, ret, &s);
	}
	return r;
}

/* N_TOP top-level containers of N_CHILD children each, every one with limits and
 * reservations, plus the chain: 10,014 containers. */
static int build_big(struct lmc_tree *t, char *chain, size_t size)
{
	struct lmc_spec top = mkspec(512 * MIB, 256 * MIB, 4000, 500, 10000);
	struct lmc_spec kid = mkspec(64 * MIB, 1 * MIB, 1000, 2, 100);
	char name[64];
	int r;

	for (int i = 0; i < N_TOP; i++) {
		snprintf(name, sizeof(name), "t%d", i);
		r = add(t, name, &top);
		for (int j = 0; r >= 0 && j < N_CHILD; j++) {
			snprintf(name, sizeof(name), "t%d/k%d", i, j);
			r = add(t, name, &kid);
		}
		if (r < 0)
			return r;
	}
	return add_chain(t, chain, size);
}

/* Time admissions of `name` in t; every call must accept. */
static int measure(struct bench_samples *s, const struct lmc_tree *t, const char *name,
		   const struct lmc_spec *spec, int samples)
{
	struct lmc_err err = {0};

	for (int i = 0; i < samples; i++) {
		uint64_t t0 = bench_now_ns();
		int r = 0;

		for (int k = 0; k < BATCH; k++)
			r |= lmc_policy_admit_create(t, name, spec, &err);
		if (r < 0) {
			fprintf(stderr, "bench_admit: %s refused: %s\n", name, lmc_err_str(&err));
			return r;
		}
		bench_add(s, (bench_now_ns() - t0) / BATCH);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int samples = argc > 1 ? atoi(argv[1]) : 2000;
	struct lmc_tree *empty = NULL, *chain_only = NULL, *big = NULL;
	char chain[LMC_NAME_MAX + 1], deep_new[LMC_NAME_MAX + 1], chain2[LMC_NAME_MAX + 1];
	struct lmc_spec leaf = mkspec(16 * MIB, 1 * MIB, 500, 1, 50);
	struct bench_samples s_empty = {.label = "empty tree: create \"new\" (depth 1)"};
	struct bench_samples s_chain = {.label = "16-deep chain alone: create at depth 16"};
	struct bench_samples s_deep = {.label = "10k tree: create at depth 16 (deep chain)"};
	struct bench_samples s_sib = {.label = "10k tree: create t50/new (100 siblings)"};
	char title[256];
	int r;

	if (samples < 10)
		samples = 10;
	if (tree_with_root(&empty) < 0 || tree_with_root(&chain_only) < 0 ||
	    tree_with_root(&big) < 0)
		return 1;
	if (build_big(big, chain, sizeof(chain)) < 0 || add_chain(chain_only, chain2, 256) < 0)
		return 1;
	if (lmc_name_join(chain, "new", deep_new, sizeof(deep_new)) < 0)
		return 1;
	/* Interleaved rounds, so any drift of the machine touches every row alike. */
	for (int round = 0; round < 10; round++) {
		r = measure(&s_empty, empty, "new", &leaf, samples / 10);
		if (r >= 0)
			r = measure(&s_chain, chain_only, deep_new, &leaf, samples / 10);
		if (r >= 0)
			r = measure(&s_deep, big, deep_new, &leaf, samples / 10);
		if (r >= 0)
			r = measure(&s_sib, big, "t50/new", &leaf, samples / 10);
		if (r < 0)
			return 1;
	}
	snprintf(
		title, sizeof(title),
		"Admission (issue 4): lmc_policy_admit_create, time per call (a sample is the mean "
		"of %d calls; %d samples); big tree: %zu containers; ratio to the empty tree",
		BATCH, samples, lmc_tree_count(big));
	bench_table_head(title);
	bench_row(&s_empty, &s_empty);
	bench_row(&s_chain, &s_empty);
	bench_row(&s_deep, &s_empty);
	bench_row(&s_sib, &s_empty);
	lmc_tree_free(empty);
	lmc_tree_free(chain_only);
	lmc_tree_free(big);
	free(s_empty.v);
	free(s_chain.v);
	free(s_deep.v);
	free(s_sib.v);
	return 0;
}
