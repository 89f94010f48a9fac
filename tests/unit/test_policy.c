/* Parent-bounded policy: a table of creates and updates against small trees, checked for the
 * code and the exact one-line message a user sees; effective values; machine capacity; a
 * 10,000-container tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/tree.h"
#include "policy/policy.h"

#define K 1024ULL
#define M (1024ULL * K)
#define G (1024ULL * M)

/* ---- a small language for trees and specs ----
 * tree: "/: mem=16G cpu=4000; jobA: mem=4G; jobA/sub1: mem=2G" (cpu in millicores)
 * spec keys: mem memres memhigh swap cpu cpures pids maxc shares batch
 *            rbps wbps riops wiops=MAJ:MIN:VALUE[:PATH]
 * values: 4G, 4G+1, 123, "-" (unset), "max-1" (UINT64_MAX - 1); suffixes K M G T E. */

static uint64_t term(const char **s)
{
	char *end;
	uint64_t v = strtoull(*s, &end, 10);

	switch (*end) {
	case 'K':
		v <<= 10, end++;
		break;
	case 'M':
		v <<= 20, end++;
		break;
	case 'G':
		v <<= 30, end++;
		break;
	case 'T':
		v <<= 40, end++;
		break;
	case 'E':
		v <<= 60, end++;
		break;
	}
	*s = end;
	return v;
}

static uint64_t value(const char *s)
{
	uint64_t v;

	if (strcmp(s, "-") == 0)
		return LMC_UNSET;
	if (strcmp(s, "max-1") == 0)
		return UINT64_MAX - 1;
	v = term(&s);
	while (*s == '+') {
		s++;
		v += term(&s);
	}
	assert_int_equal(*s, '\0');
	return v;
}

static void set_throttle(struct lmc_spec_blkio *b, int which, const char *v)
{
	unsigned maj, min, i;
	char val[32], path[LMC_DEVPATH_MAX] = "";
	struct lmc_throttle *t;

	assert_true(sscanf(v, "%u:%u:%31[^:]:%107s", &maj, &min, val, path) >= 3);
	for (i = 0; i < b->n_throttles; i++)
		if (b->throttles[i].major == maj && b->throttles[i].minor == min)
			break;
	t = &b->throttles[i];
	if (i == b->n_throttles) {
		b->n_throttles++;
		*t = (struct lmc_throttle){maj,	      min,	 "",	   LMC_UNSET,
					   LMC_UNSET, LMC_UNSET, LMC_UNSET};
	}
	snprintf(t->path, sizeof(t->path), "%s", path);
	uint64_t *rates[] = {&t->read_bps, &t->write_bps, &t->read_iops, &t->write_iops};
	*rates[which] = value(val);
}

static void apply_kv(struct lmc_spec *sp, const char *k, const char *v)
{
	static const char *const thr[] = {"rbps", "wbps", "riops", "wiops"};
	struct {
		const char *key;
		uint64_t *field;
	} map[] = {
		{"mem", &sp->memory.limit},    {"memres", &sp->memory.reservation},
		{"memhigh", &sp->memory.high}, {"swap", &sp->memory.swap},
		{"cpu", &sp->cpu.limit_m},     {"cpures", &sp->cpu.reservation_m},
		{"pids", &sp->pids.limit},     {"shares", &sp->cpu.shares},
		{"maxc", &sp->max_containers},
	};

	if (strcmp(k, "batch") == 0) {
		sp->cpu.latency = LMC_LATENCY_BATCH;
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(thr); i++)
		if (strcmp(k, thr[i]) == 0) {
			set_throttle(&sp->blkio, (int)i, v);
			return;
		}
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(k, map[i].key) == 0) {
			*map[i].field = value(v);
			return;
		}
	fail_msg("unknown spec key '%s'", k);
}

/* Overlay "k=v k=v" onto sp. */
static void spec_apply(struct lmc_spec *sp, const char *text)
{
	char *copy = strdup(text), *save = NULL;

	assert_non_null(copy);
	for (char *tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');

		if (eq)
			*eq++ = '\0';
		apply_kv(sp, tok, eq ? eq : "");
	}
	free(copy);
}

static struct lmc_tree *tree_build(const char *text)
{
	struct lmc_tree *t;
	char *copy = strdup(text), *save = NULL;

	assert_non_null(copy);
	assert_int_equal(lmc_tree_new(&t), 0);
	for (char *ent = strtok_r(copy, ";", &save); ent; ent = strtok_r(NULL, ";", &save)) {
		char *colon = strchr(ent, ':');
		struct lmc_spec sp;

		assert_non_null(colon);
		*colon = '\0';
		while (*ent == ' ')
			ent++;
		lmc_spec_init(&sp);
		spec_apply(&sp, colon + 1);
		if (strcmp(ent, "/") == 0)
			lmc_tree_root(t)->spec = sp;
		else
			assert_int_equal(lmc_tree_add(t, ent, &sp, NULL), 0);
	}
	free(copy);
	return t;
}

/* Every spec in pre-order, to prove the tree was left as it was. */
static struct lmc_spec *tree_snapshot(const struct lmc_tree *t, size_t *n)
{
	struct lmc_node *root = lmc_tree_root(t);
	struct lmc_spec *s = calloc(lmc_tree_count(t) + 1, sizeof(*s));
	size_t i = 0;

	assert_non_null(s);
	for (struct lmc_node *x = root; x; x = lmc_tree_next(root, x))
		s[i++] = x->spec;
	*n = i;
	return s;
}

/* ---- the table ---- */

struct pcase {
	const char *desc;
	const char *tree;
	char op; /* 'c' create, 'u' update */
	const char *name;
	const char *spec; /* create: the spec; update: overlaid on the node's current spec */
	uint64_t usage;
	bool force;
	int ret;
	const char *msg; /* exact; NULL when admitted */
};

#define MACH "the machine (capacity less reserve)"
#define T_JOB "/: mem=16G cpu=4000 pids=4096; jobA: mem=4G; jobA/sub1: mem=2G"
#define T_DEEP "/: mem=16G; a: ; a/b: mem=6G; a/b/c: ; a/b/c/d: ; a/b/c/d/e: "
#define T_TIE "/: mem=8G; a: mem=4G; a/b: mem=4G; a/b/c: ; a/b/c/d: ; a/b/c/d/e: "
#define T_RES "/: mem=16G; jobA: mem=8G memres=4G; jobA/a: memres=3G"
#define T_THR "/: ; d: rbps=8:0:10M wiops=8:0:100; d/e: "
#define T_KIDS "/: ; p: mem=8G; p/a: memres=2G; p/b: memres=3G"
#define U_NONE LMC_UNSET

static const struct pcase cases[] = {
	/* rule 1: hard limits against the parent's effective limit */
	{"mem equal to parent", T_JOB, 'c', "jobA/sub2", "mem=4G", U_NONE, false, 0, NULL},
	{"mem one byte over parent", T_JOB, 'c', "jobA/sub2", "mem=4G+1", U_NONE, false, -ERANGE,
	 "jobA/sub2: memory limit 4294967297 exceeds the effective limit 4G set by jobA"},
	{"mem over nearest ancestor", T_JOB, 'c', "jobA/sub1/x", "mem=3G", U_NONE, false, -ERANGE,
	 "jobA/sub1/x: memory limit 3G exceeds the effective limit 2G set by jobA/sub1"},
	{"top-level over machine", T_JOB, 'c', "jobB", "mem=17G", U_NONE, false, -ERANGE,
	 "jobB: memory limit 17G exceeds the effective limit 16G set by " MACH},
	{"siblings overcommit hard limits", "/: ; p: mem=10G; p/a: mem=6G", 'c', "p/b", "mem=6G",
	 U_NONE, false, 0, NULL},
	{"cpu over machine through unset parent", T_JOB, 'c', "jobA/x", "cpu=4500", U_NONE, false,
	 -ERANGE, "jobA/x: cpu limit 4.5 exceeds the effective limit 4 set by " MACH},
	{"cpu equal to machine", T_JOB, 'c', "jobA/x", "cpu=4000", U_NONE, false, 0, NULL},
	{"pids one over machine", T_JOB, 'c', "jobA/x", "pids=4097", U_NONE, false, -ERANGE,
	 "jobA/x: pids limit 4097 exceeds the effective limit 4096 set by " MACH},
	{"pids under ancestor", "/: pids=4096; a: pids=100; a/b: ", 'c', "a/b/c", "pids=101",
	 U_NONE, false, -ERANGE, "a/b/c: pids limit 101 exceeds the effective limit 100 set by a"},
	{"device read bps over ancestor", T_THR, 'c', "d/e/f", "rbps=8:0:20M", U_NONE, false,
	 -ERANGE, "d/e/f: read bps limit 20M/s on 8:0 exceeds the effective limit 10M/s set by d"},
	{"device path shown", T_THR, 'c', "d/e/f", "rbps=8:0:11M:/dev/sda", U_NONE, false, -ERANGE,
	 "d/e/f: read bps limit 11M/s on /dev/sda exceeds the effective limit 10M/s set by d"},
	{"other device not bounded", T_THR, 'c', "d/e/f", "rbps=8:16:20M", U_NONE, false, 0, NULL},
	{"device iops equal", T_THR, 'c', "d/x", "wiops=8:0:100", U_NONE, false, 0, NULL},
	{"device iops one over", T_THR, 'c', "d/x", "wiops=8:0:101", U_NONE, false, -ERANGE,
	 "d/x: write iops limit 101 on 8:0 exceeds the effective limit 100 set by d"},
	/* unset fields at several levels, deep trees */
	{"deep: bound set 3 levels up", T_DEEP, 'c', "a/b/c/d/e/f", "mem=7G", U_NONE, false,
	 -ERANGE, "a/b/c/d/e/f: memory limit 7G exceeds the effective limit 6G set by a/b"},
	{"deep: equal through unset levels", T_DEEP, 'c', "a/b/c/d/e/f", "mem=6G", U_NONE, false, 0,
	 NULL},
	{"deep: tie names the nearest", T_TIE, 'c', "a/b/c/d/e/f", "mem=5G", U_NONE, false, -ERANGE,
	 "a/b/c/d/e/f: memory limit 5G exceeds the effective limit 4G set by a/b"},
	{"all unset: unbounded", "/: ; x: ; x/y: ", 'c', "x/y/z", "mem=1T memres=1T cpu=64000",
	 U_NONE, false, 0, NULL},
	{"missing parent", T_JOB, 'c', "nope/x", "mem=1G", U_NONE, false, -ENOENT,
	 "nope/x: parent nope does not exist"},
	{"already exists", T_JOB, 'c', "jobA", "", U_NONE, false, -EEXIST, "jobA: already exists"},
	/* rule 2: reservations */
	{"reservation within parent limit", T_JOB, 'c', "jobA/sub2", "memres=1G", U_NONE, false, 0,
	 NULL},
	{"reservation equal to inherited limit", T_JOB, 'c', "jobA/x", "memres=4G", U_NONE, false,
	 0, NULL},
	{"reservation over own limit", T_JOB, 'c', "jobA/x", "mem=1G memres=2G", U_NONE, false,
	 -EINVAL, "jobA/x: memory reservation 2G exceeds its own memory limit 1G"},
	{"cpu reservation over own limit", T_JOB, 'c', "jobA/x", "cpu=500 cpures=600", U_NONE,
	 false, -EINVAL, "jobA/x: cpu reservation 0.6 exceeds its own cpu limit 0.5"},
	{"reservation over inherited limit", T_JOB, 'c', "jobA/x", "memres=5G", U_NONE, false,
	 -ERANGE, "jobA/x: memory reservation 5G exceeds the effective limit 4G set by jobA"},
	{"reservations overcommit parent reservation", T_RES, 'c', "jobA/b", "memres=2G", U_NONE,
	 false, -ERANGE,
	 "jobA/b: memory reservations 3G + 2G of jobA's children exceed jobA's reservation 4G"},
	{"reservations sum equal", T_RES, 'c', "jobA/b", "memres=1G", U_NONE, false, 0, NULL},
	{"reservations sum one byte over", T_RES, 'c', "jobA/b", "memres=1G+1", U_NONE, false,
	 -ERANGE,
	 "jobA/b: memory reservations 3G + 1073741825 of jobA's children exceed jobA's "
	 "reservation 4G"},
	{"reservations against limit when no reservation", "/: mem=16G; p: mem=4G; p/a: memres=3G",
	 'c', "p/b", "memres=2G", U_NONE, false, -ERANGE,
	 "p/b: memory reservations 3G + 2G of p's children exceed the effective limit 4G set by p"},
	{"top-level reservations against machine", "/: mem=16G; a: memres=10G", 'c', "b",
	 "memres=7G", U_NONE, false, -ERANGE,
	 "b: memory reservations 10G + 7G of the top-level containers exceed the effective limit "
	 "16G set by " MACH},
	{"cpu reservations against machine", "/: cpu=2000; a: cpures=1500", 'c', "b", "cpures=600",
	 U_NONE, false, -ERANGE,
	 "b: cpu reservations 1.5 + 0.6 of the top-level containers exceed the effective limit 2 "
	 "set by " MACH},
	{"cpu reservations fit exactly", "/: cpu=2000; a: cpures=1500", 'c', "b", "cpures=500",
	 U_NONE, false, 0, NULL},
	{"lone reservation over parent reservation", "/: ; p: mem=4G memres=2G", 'c', "p/b",
	 "memres=3G", U_NONE, false, -ERANGE,
	 "p/b: memory reservation 3G exceeds p's reservation 2G"},
	{"reservation sum overflows", "/: ; p: memres=max-1; p/a: memres=8E", 'c', "p/b",
	 "memres=8E", U_NONE, false, -ERANGE,
	 "p/b: memory reservations 8388608T + 8388608T of p's children exceed p's reservation "
	 "18446744073709551614"},
	{"siblings' sum saturates", "/: ; p: memres=max-1; p/a: memres=8E; p/c: memres=8E", 'c',
	 "p/b", "memres=1", U_NONE, false, -ERANGE,
	 "p/b: memory reservations max + 1 of p's children exceed p's reservation "
	 "18446744073709551614"},
	/* rule 3: updates, both directions */
	{"update raise within machine", T_JOB, 'u', "jobA", "mem=8G", U_NONE, false, 0, NULL},
	{"update raise over machine", T_JOB, 'u', "jobA", "mem=17G", U_NONE, false, -ERANGE,
	 "jobA: memory limit 17G exceeds the effective limit 16G set by " MACH},
	{"update lower below child", T_JOB, 'u', "jobA", "mem=1G", U_NONE, false, -ERANGE,
	 "jobA: memory limit 1G is below the limit 2G of child jobA/sub1"},
	{"update lower to child's limit", T_JOB, 'u', "jobA", "mem=2G", U_NONE, false, 0, NULL},
	{"update lower: many in the way",
	 "/: ; p: mem=8G; p/a: mem=5G; p/b: mem=6G; p/c: mem=7G; p/d: ; p/d/e: mem=5G", 'u', "p",
	 "mem=4G", U_NONE, false, -ERANGE,
	 "p: memory limit 4G is below the limit 5G of child p/a, the limit 6G of child p/b, the "
	 "limit 7G of child p/c and 1 more"},
	{"update lower below descendant reservation", "/: ; p: mem=8G; p/a: ; p/a/b: memres=3G",
	 'u', "p", "mem=2G", U_NONE, false, -ERANGE,
	 "p: memory limit 2G is below the reservation 3G of descendant p/a/b"},
	{"update limit below children's reservations", T_KIDS, 'u', "p", "mem=4G", U_NONE, false,
	 -ERANGE, "p: memory limit 4G is below the 5G reserved by its children p/a (2G), p/b (3G)"},
	{"update set reservation above children's", T_KIDS, 'u', "p", "memres=6G", U_NONE, false, 0,
	 NULL},
	{"update lower reservation below children's",
	 "/: ; p: mem=8G memres=6G; p/a: memres=2G; "
	 "p/b: memres=3G",
	 'u', "p", "memres=4G", U_NONE, false, -ERANGE,
	 "p: memory reservation 4G is below the 5G reserved by its children p/a (2G), p/b (3G)"},
	{"update lower reservation to children's sum",
	 "/: ; p: mem=8G memres=6G; p/a: memres=2G; "
	 "p/b: memres=3G",
	 'u', "p", "memres=5G", U_NONE, false, 0, NULL},
	{"update squeezes grandchildren's reservations",
	 "/: ; p: mem=8G; p/c: ; p/c/x: memres=2G; p/c/y: memres=3G", 'u', "p", "mem=4G", U_NONE,
	 false, -ERANGE,
	 "p: memory limit 4G is below the 5G reserved by the children of p/c: p/c/x (2G), p/c/y "
	 "(3G)"},
	{"update squeeze to exactly grandchildren's reservations",
	 "/: ; p: mem=8G; p/c: ; p/c/x: memres=2G; p/c/y: memres=3G", 'u', "p", "mem=5G", U_NONE,
	 false, 0, NULL},
	{"update other field while over usage", "/: mem=16G; j: mem=4G", 'u', "j", "cpu=1000",
	 5 * G, false, 0, NULL},
	{"update below usage", "/: mem=16G; j: mem=4G", 'u', "j", "mem=1G", 3 * G, false, -ERANGE,
	 "j: memory limit 1G is below the current usage 3G (force to lower it anyway)"},
	{"update below usage forced", "/: mem=16G; j: mem=4G", 'u', "j", "mem=1G", 3 * G, true, 0,
	 NULL},
	{"update equal to usage", "/: mem=16G; j: mem=4G", 'u', "j", "mem=3G", 3 * G, false, 0,
	 NULL},
	{"update usage unknown", "/: mem=16G; j: mem=4G", 'u', "j", "mem=1G", U_NONE, false, 0,
	 NULL},
	{"update leaves an untouched violation alone", "/: mem=4G; big: mem=8G", 'u', "big",
	 "cpu=1000", U_NONE, false, 0, NULL},
	{"update touching a violation is checked", "/: mem=4G; big: mem=8G", 'u', "big", "mem=6G",
	 U_NONE, false, -ERANGE,
	 "big: memory limit 6G exceeds the effective limit 4G set by " MACH},
	{"update raise reservation to fill parent",
	 "/: mem=16G; p: memres=4G; p/a: memres=2G; "
	 "p/b: memres=1G",
	 'u', "p/b", "memres=2G", U_NONE, false, 0, NULL},
	{"update raise reservation one byte over",
	 "/: mem=16G; p: memres=4G; p/a: memres=2G; "
	 "p/b: memres=1G",
	 'u', "p/b", "memres=2G+1", U_NONE, false, -ERANGE,
	 "p/b: memory reservations 2G + 2147483649 of p's children exceed p's reservation 4G"},
	{"update makes spec inconsistent", T_KIDS, 'u', "p/a", "mem=1G", U_NONE, false, -EINVAL,
	 "p/a: memory reservation 2G exceeds its own memory limit 1G"},
	{"update cpu below child", "/: cpu=4000; a: cpu=3000; a/b: cpu=2500", 'u', "a", "cpu=2000",
	 U_NONE, false, -ERANGE, "a: cpu limit 2 is below the limit 2.5 of child a/b"},
	{"update device rate below child", "/: ; d: rbps=8:0:20M; d/e: rbps=8:0:15M", 'u', "d",
	 "rbps=8:0:10M", U_NONE, false, -ERANGE,
	 "d: read bps limit 10M/s on 8:0 is below the limit 15M/s of child d/e"},
	{"update machine capacity below a top-level", "/: mem=16G; a: mem=2G", 'u', "/", "mem=1G",
	 U_NONE, false, -ERANGE, "/: memory limit 1G is below the limit 2G of child a"},
	{"update unset a limit (inherit)", T_JOB, 'u', "jobA", "mem=-", U_NONE, false, 0, NULL},
	{"update pids below child", "/: pids=1000; a: pids=500; a/b: pids=400", 'u', "a",
	 "pids=399", U_NONE, false, -ERANGE,
	 "a: pids limit 399 is below the limit 400 of child a/b"},
	{"update pids to child's", "/: pids=1000; a: pids=500; a/b: pids=400", 'u', "a", "pids=400",
	 U_NONE, false, 0, NULL},
	/* max containers: how many may exist below, at any depth, for every owner below */
	{"max containers: room for one more", "/: ; a: maxc=3; a/b: ; a/b/c: ", 'c', "a/b/d", "",
	 U_NONE, false, 0, NULL},
	{"max containers: full, deep below", "/: ; a: maxc=2; a/b: ; a/b/c: ", 'c', "a/b/c/d", "",
	 U_NONE, false, -EDQUOT,
	 "a/b/c/d: a already holds 2 containers below it, as many as its max containers 2 "
	 "allows"},
	{"max containers: the tightest ancestor binds",
	 "/: ; a: maxc=10; a/b: maxc=1; a/b/c: ", 'c', "a/b/d", "", U_NONE, false, -EDQUOT,
	 "a/b/d: a/b already holds 1 container below it, as many as its max containers 1 allows"},
	{"max containers 0: no children", "/: ; a: maxc=0", 'c', "a/x", "", U_NONE, false, -EDQUOT,
	 "a/x: a already holds 0 containers below it, as many as its max containers 0 allows"},
	{"max containers: a child asks for more", "/: ; a: maxc=2", 'c', "a/x", "maxc=5", U_NONE,
	 false, -ERANGE, "a/x: max containers 5 exceeds the effective limit 2 set by a"},
	{"max containers: lowered below what it holds", "/: ; a: maxc=3; a/b: ; a/c: ", 'u', "a",
	 "maxc=1", U_NONE, false, -ERANGE, "a: max containers 1 is below the 2 it holds now"},
	{"max containers: lowered to what it holds", "/: ; a: maxc=3; a/b: ; a/c: ", 'u', "a",
	 "maxc=2", U_NONE, false, 0, NULL},
	{"max containers: an update that leaves it alone", "/: ; a: maxc=1; a/b: ; a/c: ", 'u', "a",
	 "mem=1G", U_NONE, false, 0, NULL},
	{"max containers: lowered below a child's own", "/: ; a: maxc=10; a/b: maxc=8", 'u', "a",
	 "maxc=5", U_NONE, false, -ERANGE, "a: max containers 5 is below the limit 8 of child a/b"},
};

static void run_case(void **state)
{
	const struct pcase *c = *state;
	struct lmc_tree *t = tree_build(c->tree);
	struct lmc_err err = {0};
	struct lmc_spec sp, *before, *after;
	size_t nb, na;
	int r;

	before = tree_snapshot(t, &nb);
	if (c->op == 'c') {
		lmc_spec_init(&sp);
		spec_apply(&sp, c->spec);
		r = lmc_policy_admit_create(t, c->name, &sp, &err);
	} else {
		struct lmc_node *n = lmc_tree_find(t, c->name);

		assert_non_null(n);
		sp = n->spec;
		spec_apply(&sp, c->spec);
		r = lmc_policy_admit_update(t, n, &sp, c->usage, c->force, &err);
	}
	assert_int_equal(r, c->ret);
	assert_int_equal(err.code, c->ret);
	assert_string_equal(err.msg, c->msg ? c->msg : "");
	after = tree_snapshot(t, &na);
	assert_int_equal(na, nb);
	assert_memory_equal(after, before, nb * sizeof(*before));
	free(before);
	free(after);
	lmc_tree_free(t);
}

/* ---- effective values ---- */

static void assert_eff(struct lmc_eff_value e, uint64_t value, const char *from)
{
	assert_int_equal(e.value, value);
	if (from)
		assert_string_equal(e.from, from);
	else
		assert_null(e.from);
}

static void test_effective(void **state)
{
	struct lmc_tree *t = tree_build(
		"/: mem=16G cpu=2000 pids=1000; a: mem=8G memhigh=6G cpures=500; a/b: mem=4G swap=6G; "
		"a/b/c: memres=1G memhigh=7G; a/b/c/d: cpu=1000 batch; a/x: memres=9G");
	struct lmc_effective e;
	(void)state;

	assert_int_equal(lmc_policy_effective(t, lmc_tree_find(t, "a/b/c/d"), &e), 0);
	assert_eff(e.mem_limit, 4 * G, "a/b");
	assert_eff(e.mem_high, 6 * G, "a");
	assert_eff(e.mem_swap, 6 * G, "a/b");
	assert_eff(e.cpu_limit_m, 1000, "a/b/c/d");
	assert_eff(e.pids_limit, 1000, "");
	/* a reservation is not inherited: d is guaranteed nothing by c's */
	assert_eff(e.mem_reservation, LMC_UNSET, NULL);
	assert_eff(e.cpu_reservation_m, LMC_UNSET, NULL);
	assert_int_equal(e.cpu_shares, 2);

	assert_int_equal(lmc_policy_effective(t, lmc_tree_find(t, "a/b/c"), &e), 0);
	assert_eff(e.mem_reservation, 1 * G, "a/b/c");
	assert_eff(e.cpu_limit_m, 2000, "");

	assert_int_equal(lmc_policy_effective(t, lmc_tree_find(t, "a"), &e), 0);
	assert_eff(e.cpu_reservation_m, 500, "a");
	assert_int_equal(e.cpu_shares, 512);
	assert_eff(e.mem_swap, LMC_UNSET, NULL);

	/* a reservation above what the limits allow is reported as the limit that holds it */
	assert_int_equal(lmc_policy_effective(t, lmc_tree_find(t, "a/x"), &e), 0);
	assert_eff(e.mem_reservation, 8 * G, "a");

	assert_int_equal(lmc_policy_effective(t, lmc_tree_root(t), &e), 0);
	assert_eff(e.mem_limit, 16 * G, "");
	assert_int_equal(e.cpu_shares, LMC_UNSET);
	lmc_tree_free(t);
}

static void test_max_containers_effective(void **state)
{
	struct lmc_tree *t = tree_build("/: ; a: maxc=64; a/b: maxc=8; a/b/c: ; x: ");
	struct lmc_effective e;
	(void)state;

	assert_int_equal(lmc_policy_effective(t, lmc_tree_find(t, "a/b/c"), &e), 0);
	assert_eff(e.max_containers, 8, "a/b");
	assert_int_equal(lmc_policy_effective(t, lmc_tree_find(t, "x"), &e), 0);
	assert_eff(e.max_containers, LMC_UNSET, NULL);
	assert_int_equal(lmc_tree_root(t)->n_descendants, 4);
	assert_int_equal(lmc_tree_find(t, "a")->n_descendants, 2);
	lmc_tree_free(t);
}

/* A container given to a non-root owner gets 64 unless something above (or itself) bounds
 * it; root's own and unowned containers get nothing. */
static void test_owner_default(void **state)
{
	struct lmc_tree *t = tree_build("/: ; free: ; bound: maxc=1000");
	struct lmc_spec s;
	(void)state;

	lmc_spec_init(&s);
	s.owner = 1500;
	lmc_policy_owner_default(lmc_tree_find(t, "free"), &s);
	assert_int_equal(s.max_containers, LMC_OWNER_MAX_CONTAINERS);
	lmc_spec_init(&s);
	s.owner = 1500;
	lmc_policy_owner_default(lmc_tree_find(t, "bound"), &s);
	assert_int_equal(s.max_containers, LMC_UNSET);
	s.max_containers = 7;
	lmc_policy_owner_default(lmc_tree_find(t, "free"), &s);
	assert_int_equal(s.max_containers, 7);
	for (int i = 0; i < 2; i++) {
		lmc_spec_init(&s);
		s.owner = i ? 0 : LMC_OWNER_UNSET;
		lmc_policy_owner_default(lmc_tree_find(t, "free"), &s);
		assert_int_equal(s.max_containers, LMC_UNSET);
	}
	lmc_tree_free(t);
}

static const struct lmc_throttle *thr(const struct lmc_spec_blkio *b, uint32_t maj, uint32_t min)
{
	for (unsigned i = 0; i < b->n_throttles; i++)
		if (b->throttles[i].major == maj && b->throttles[i].minor == min)
			return &b->throttles[i];
	fail_msg("no throttle for %u:%u", maj, min);
	return NULL;
}

/* v1's flat throttles: per device and rate, the minimum along the ancestors. */
static void test_flat_throttles(void **state)
{
	struct lmc_tree *t = tree_build("/: ; a: rbps=8:0:1M wiops=8:0:100; a/b: rbps=8:16:5M; "
					"a/b/c: rbps=8:0:512K wbps=8:0:9M");
	struct lmc_node *b = lmc_tree_find(t, "a/b"), *c = lmc_tree_find(t, "a/b/c");
	struct lmc_spec_blkio f, none = {0}, upd;
	char dev[32];
	(void)state;

	assert_int_equal(lmc_policy_flat_throttles(&b->spec.blkio, b->parent, NULL, NULL, &f), 0);
	assert_int_equal(f.n_throttles, 2);
	assert_int_equal(thr(&f, 8, 16)->read_bps, 5 * M);
	assert_int_equal(thr(&f, 8, 0)->read_bps, M); /* inherited from a */
	assert_int_equal(thr(&f, 8, 0)->write_iops, 100);
	assert_int_equal(thr(&f, 8, 0)->write_bps, LMC_UNSET);
	assert_int_equal(lmc_policy_flat_throttles(&c->spec.blkio, c->parent, NULL, NULL, &f), 0);
	assert_int_equal(thr(&f, 8, 0)->read_bps, 512 * K); /* its own is smaller */
	assert_int_equal(thr(&f, 8, 0)->write_bps, 9 * M);
	assert_int_equal(thr(&f, 8, 0)->write_iops, 100);
	/* A new child with nothing of its own gets the chain's. */
	assert_int_equal(lmc_policy_flat_throttles(&none, c, NULL, NULL, &f), 0);
	assert_int_equal(thr(&f, 8, 0)->read_bps, 512 * K);
	assert_int_equal(thr(&f, 8, 16)->read_bps, 5 * M);
	/* An update of a not yet in the tree: as it would be. */
	upd = lmc_tree_find(t, "a")->spec.blkio;
	upd.throttles[0].read_bps = 256 * K;
	assert_int_equal(lmc_policy_flat_throttles(&c->spec.blkio, c->parent, lmc_tree_find(t, "a"),
						   &upd, &f),
			 0);
	assert_int_equal(thr(&f, 8, 0)->read_bps, 256 * K);
	/* More devices along the chain than a spec holds (16 here, 8:16 above): refused,
	 * not cut short. */
	for (unsigned i = 0; i + 1 < LMC_THROTTLE_MAX; i++) {
		snprintf(dev, sizeof(dev), "9:%u:1M", i);
		set_throttle(&upd, 0, dev);
	}
	assert_int_equal(lmc_policy_flat_throttles(&upd, c, NULL, NULL, &f), -E2BIG);
	lmc_tree_free(t);
}

static void test_effective_unset(void **state)
{
	struct lmc_tree *t = tree_build("/: ; a: ; a/b: ");
	struct lmc_effective e;
	(void)state;

	assert_int_equal(lmc_policy_effective(t, lmc_tree_find(t, "a/b"), &e), 0);
	assert_eff(e.mem_limit, LMC_UNSET, NULL);
	assert_eff(e.cpu_limit_m, LMC_UNSET, NULL);
	assert_eff(e.pids_limit, LMC_UNSET, NULL);
	assert_eff(e.mem_high, LMC_UNSET, NULL);
	assert_int_equal(lmc_policy_effective(t, NULL, &e), -EINVAL);
	lmc_tree_free(t);
}

/* ---- machine capacity ---- */

static void test_root_capacity(void **state)
{
	struct lmc_spec sp;
	struct lmc_err err = {0};
	(void)state;

	assert_int_equal(lmc_policy_root_capacity(16 * G, 2, 4194304, 1 * G, 500, &sp, &err), 0);
	assert_int_equal(sp.memory.limit, 15 * G);
	assert_int_equal(sp.cpu.limit_m, 1500);
	assert_int_equal(sp.pids.limit, 4194304);
	assert_int_equal(sp.memory.reservation, LMC_UNSET);
	assert_int_equal(sp.cpu.reservation_m, LMC_UNSET);
	assert_int_equal(err.code, 0);

	/* no reserve: the whole machine */
	assert_int_equal(
		lmc_policy_root_capacity(16 * G, 2, 32768, LMC_UNSET, LMC_UNSET, &sp, &err), 0);
	assert_int_equal(sp.memory.limit, 16 * G);
	assert_int_equal(sp.cpu.limit_m, 2000);
}

static void test_root_capacity_refused(void **state)
{
	struct lmc_spec sp;
	struct lmc_err err = {0};
	(void)state;

	memset(&sp, 0x5a, sizeof(sp));
	assert_int_equal(lmc_policy_root_capacity(16 * G, 2, 32768, 16 * G, 0, &sp, &err), -EINVAL);
	assert_string_equal(err.msg,
			    "memory reserve 16G leaves nothing of the machine's memory 16G");
	assert_int_equal(sp.memory.limit, 0x5a5a5a5a5a5a5a5aULL); /* untouched on failure */
	lmc_err_clear(&err);
	assert_int_equal(lmc_policy_root_capacity(16 * G, 2, 32768, 0, 2000, &sp, &err), -EINVAL);
	assert_string_equal(err.msg, "cpu reserve 2 leaves nothing of the machine's 2 cpus");
	lmc_err_clear(&err);
	/* one millicore less than the machine is a (tiny) capacity */
	assert_int_equal(lmc_policy_root_capacity(16 * G, 2, 32768, 16 * G - 1, 1999, &sp, &err),
			 0);
	assert_int_equal(sp.memory.limit, 1);
	assert_int_equal(sp.cpu.limit_m, 1);
}

/* The capacity bounds the top-level containers, their limits and their reservations. */
static void test_root_capacity_admits(void **state)
{
	struct lmc_tree *t;
	struct lmc_spec sp;
	struct lmc_err err = {0};
	(void)state;

	assert_int_equal(lmc_tree_new(&t), 0);
	assert_int_equal(lmc_policy_root_capacity(8 * G, 2, 32768, 1 * G, 500,
						  &lmc_tree_root(t)->spec, &err),
			 0);
	lmc_spec_init(&sp);
	sp.memory.limit = 7 * G;
	assert_int_equal(lmc_policy_admit_create(t, "jobA", &sp, &err), 0);
	sp.memory.limit = 7 * G + 1;
	assert_int_equal(lmc_policy_admit_create(t, "jobA", &sp, &err), -ERANGE);
	assert_string_equal(
		err.msg,
		"jobA: memory limit 7516192769 exceeds the effective limit 7G set by " MACH);
	lmc_err_clear(&err);
	lmc_spec_init(&sp);
	sp.cpu.reservation_m = 1000;
	assert_int_equal(lmc_tree_add(t, "a", &sp, NULL), 0);
	sp.cpu.reservation_m = 500;
	assert_int_equal(lmc_policy_admit_create(t, "b", &sp, &err), 0);
	sp.cpu.reservation_m = 501;
	assert_int_equal(lmc_policy_admit_create(t, "b", &sp, &err), -ERANGE);
	assert_string_equal(err.msg, "b: cpu reservations 1 + 0.501 of the top-level containers "
				     "exceed the effective limit 1.5 set by " MACH);
	lmc_tree_free(t);
}

/* ---- scale: a create at the bottom of a 10,000-container tree ---- */

#define CHAIN 15
#define FILL 667

static void test_big_tree(void **state)
{
	char chain[LMC_NAME_MAX + 1] = "", name[LMC_NAME_MAX + 1], want[LMC_ERR_MSG_MAX];
	struct lmc_tree *t;
	struct lmc_spec sp;
	struct lmc_err err = {0};
	(void)state;

	assert_int_equal(lmc_tree_new(&t), 0);
	lmc_tree_root(t)->spec.memory.limit = 64 * G;
	for (int d = 0; d < CHAIN; d++) {
		lmc_spec_init(&sp);
		if (d == 3)
			sp.memory.limit = 8 * G;
		if (d == CHAIN - 1)
			sp.memory.reservation = 1 * G;
		snprintf(name, sizeof(name), "%s%sl%d", chain, d ? "/" : "", d);
		assert_int_equal(lmc_tree_add(t, name, &sp, NULL), 0);
		memcpy(chain, name, sizeof(chain));
		for (int f = 0; f < FILL; f++) {
			lmc_spec_init(&sp);
			sp.memory.reservation = d == CHAIN - 1 ? 1 * M : LMC_UNSET;
			snprintf(name, sizeof(name), "%s/f%d", chain, f);
			assert_int_equal(lmc_tree_add(t, name, &sp, NULL), 0);
		}
	}
	assert_true(lmc_tree_count(t) >= 10000);

	snprintf(name, sizeof(name), "%s/leaf", chain);
	assert_int_equal(lmc_name_depth(name), 16);
	lmc_spec_init(&sp);
	sp.memory.limit = 8 * G;
	sp.memory.reservation = 1 * G - FILL * M;
	assert_int_equal(lmc_policy_admit_create(t, name, &sp, &err), 0);
	sp.memory.reservation++;
	assert_int_equal(lmc_policy_admit_create(t, name, &sp, &err), -ERANGE);
	snprintf(want, sizeof(want),
		 "%s: memory reservations 667M + 374341633 of %s's children exceed %s's "
		 "reservation 1G",
		 name, chain, chain);
	assert_string_equal(err.msg, want);
	lmc_err_clear(&err);
	sp.memory.reservation = LMC_UNSET;
	sp.memory.limit = 8 * G + 1;
	assert_int_equal(lmc_policy_admit_create(t, name, &sp, &err), -ERANGE);
	assert_non_null(strstr(err.msg, "exceeds the effective limit 8G set by l0/l1/l2/l3"));
	lmc_tree_free(t);
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_effective),
		cmocka_unit_test(test_effective_unset),
		cmocka_unit_test(test_max_containers_effective),
		cmocka_unit_test(test_owner_default),
		cmocka_unit_test(test_flat_throttles),
		cmocka_unit_test(test_root_capacity),
		cmocka_unit_test(test_root_capacity_refused),
		cmocka_unit_test(test_root_capacity_admits),
		cmocka_unit_test(test_big_tree),
	};
	size_t n = ARRAY_SIZE(cases) + ARRAY_SIZE(fixed);
	struct CMUnitTest *tests = calloc(n, sizeof(*tests));
	int r;

	if (!tests)
		return 1;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		tests[i] =
			(struct CMUnitTest){cases[i].desc, run_case, NULL, NULL, (void *)&cases[i]};
	memcpy(tests + ARRAY_SIZE(cases), fixed, sizeof(fixed));
	r = _cmocka_run_group_tests("policy", tests, n, NULL, NULL);
	free(tests);
	return r;
}
