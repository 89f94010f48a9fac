/* cgroupfs against a temporary directory standing in for /sys/fs/cgroup (v1, hybrid and v2
 * layouts): root resolution, create/remove with rollback, file I/O, PSI parsing. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "controllers/cgroupfs.h"
#include "controllers/controller.h"
#include "base/spec.h"
#include "tests/unit/cgfs-fx.h"

static void put(const char *dir, const char *rel, const char *val)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "w");
	assert_non_null(f);
	fputs(val, f);
	fclose(f);
}

static void get(const char *dir, const char *rel, char *buf, size_t size)
{
	char p[512];
	FILE *f;
	size_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	f = fopen(p, "r");
	assert_non_null(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

static bool isdir(const char *dir, const char *rel)
{
	char p[512];
	struct stat st;

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static bool exists(const char *dir, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return access(p, F_OK) == 0;
}

static void test_v1_layout_and_paths(void **state)
{
	struct fx *f = *state;
	char p[512], want[512];

	assert_int_equal(fx_open(f, LMC_CG_V1, NULL), 0);
	assert_int_equal(lmc_cgfs_mode(f->cg), LMC_CG_V1);
	assert_string_equal(lmc_cg_mode_name(LMC_CG_V1), "v1");
	assert_false(lmc_cgfs_has(f->cg, LMC_CTRL_UNIFIED));
	assert_true(lmc_cgfs_has(f->cg, LMC_CTRL_MEMORY));
	assert_int_equal(lmc_cgfs_path(f->cg, LMC_CTRL_MEMORY, "a/b", p, sizeof(p)), 0);
	snprintf(want, sizeof(want), "%s/memory/lmctl/a/b", f->dir);
	assert_string_equal(p, want);
	assert_int_equal(lmc_cgfs_path(f->cg, LMC_CTRL_CPU, "", p, sizeof(p)), 0);
	snprintf(want, sizeof(want), "%s/cpu/lmctl", f->dir);
	assert_string_equal(p, want);
	assert_true(isdir(f->dir, "freezer/lmctl"));
	assert_false(exists(f->dir, "unified"));
	assert_int_equal(lmc_cgfs_path(f->cg, LMC_CTRL_UNIFIED, "a", p, sizeof(p)), -EOPNOTSUPP);
}

static void test_hybrid_has_unified(void **state)
{
	struct fx *f = *state;
	char p[512], want[512];

	assert_int_equal(fx_open(f, LMC_CG_HYBRID, "lmctl-test-x"), 0);
	assert_int_equal(lmc_cgfs_mode(f->cg), LMC_CG_HYBRID);
	assert_true(lmc_cgfs_has(f->cg, LMC_CTRL_UNIFIED));
	assert_int_equal(lmc_cgfs_path(f->cg, LMC_CTRL_UNIFIED, "a", p, sizeof(p)), 0);
	snprintf(want, sizeof(want), "%s/unified/lmctl-test-x/a", f->dir);
	assert_string_equal(p, want);
	assert_true(isdir(f->dir, "cpuacct/lmctl-test-x"));
}

static void test_abs_root(void **state)
{
	struct fx *f = *state;
	char p[512], want[512];

	assert_int_equal(fx_open(f, LMC_CG_V1, "/srv/deep/lmctl/"), 0);
	assert_int_equal(lmc_cgfs_path(f->cg, LMC_CTRL_PIDS, "j", p, sizeof(p)), 0);
	snprintf(want, sizeof(want), "%s/pids/srv/deep/lmctl/j", f->dir);
	assert_string_equal(p, want);
	assert_true(isdir(f->dir, "pids/srv/deep/lmctl"));
}

static void test_bad_and_missing_root(void **state)
{
	struct fx *f = *state;
	struct lmc_cgfs_opts o = {.root = "a/../../etc", .fake_fsroot = f->dir};
	struct lmc_err err = {0};

	assert_int_equal(lmc_cgfs_open(&o, &f->cg, &err), -EINVAL);
	assert_null(f->cg);
	lmc_err_clear(&err);
	o.root = "absent";
	assert_int_equal(lmc_cgfs_open(&o, &f->cg, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "absent"));
	assert_null(strchr(err.msg, '\n'));
}

static void test_open_rollback(void **state)
{
	struct fx *f = *state;
	char pids[128];

	snprintf(pids, sizeof(pids), "%s/pids", f->dir);
	assert_int_equal(mkdir(pids, 0755), 0);
	/* The root chain is made in cpu, cpuacct, ... before pids refuses it. */
	put(f->dir, "pids/lmctl", "a file where the root should be");
	assert_int_equal(fx_open(f, LMC_CG_HYBRID, "lmctl/deep"), -ENOTDIR);
	assert_null(f->cg);
	assert_true(isdir(f->dir, "cpu"));
	assert_false(exists(f->dir, "cpu/lmctl"));
	assert_false(exists(f->dir, "memory/lmctl"));
	assert_false(exists(f->dir, "unified/lmctl"));
}

static void test_create_remove(void **state)
{
	static const char *const hier[] = {"cpu",   "cpuacct", "cpuset",  "memory",
					   "blkio", "pids",    "freezer", "unified"};
	struct fx *f = *state;
	struct lmc_err err = {0};
	char rel[128], **kids = NULL;
	size_t n = 0;

	assert_int_equal(fx_open(f, LMC_CG_HYBRID, NULL), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "a", &err), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "a/b", &err), 0);
	for (size_t i = 0; i < 8; i++) {
		snprintf(rel, sizeof(rel), "%s/lmctl/a/b", hier[i]);
		assert_true(isdir(f->dir, rel));
	}
	assert_true(lmc_cgfs_exists(f->cg, "a/b"));
	assert_false(lmc_cgfs_exists(f->cg, "a/c"));
	assert_int_equal(lmc_cgfs_create(f->cg, "a", &err), -EEXIST);
	assert_non_null(strstr(err.msg, "a: already exists"));
	assert_int_equal(lmc_cgfs_children(f->cg, "", &kids, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(kids[0], "a");
	free(kids[0]);
	free(kids);
	assert_int_equal(lmc_cgfs_remove(f->cg, "a/b", NULL), 0);
	assert_int_equal(lmc_cgfs_remove(f->cg, "a", NULL), 0);
	assert_int_equal(lmc_cgfs_remove(f->cg, "a", NULL), 0); /* missing is not an error */
	for (size_t i = 0; i < 8; i++) {
		snprintf(rel, sizeof(rel), "%s/lmctl/a", hier[i]);
		assert_false(exists(f->dir, rel));
	}
	assert_int_equal(lmc_cgfs_remove(f->cg, "", NULL), 0);
	assert_false(exists(f->dir, "memory/lmctl"));
}

/* A subtree removed children first, the hierarchies on threads (11 directories): what
 * cannot go stops its hierarchy there, done counts those gone everywhere, a retry finishes;
 * a container made again under a removed one's name is written through a fresh fd. */
static void test_remove_many(void **state)
{
	struct fx *f = *state;
	struct lmc_err err = {0};
	const char *names[11];
	char bufs[10][16], got[64], p[600];
	size_t done = 99;

	assert_int_equal(fx_open(f, LMC_CG_HYBRID, NULL), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "t", NULL), 0);
	for (int i = 0; i < 10; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "t/%d", i);
		names[i] = bufs[i];
		assert_int_equal(lmc_cgfs_create(f->cg, names[i], NULL), 0);
	}
	names[10] = "t";
	/* a directory that is no container: rmdir of t/5 fails in memory only (the interface
	 * files written there go with it, as the kernel's do) */
	assert_int_equal(lmc_cgfs_write(f->cg, LMC_CTRL_MEMORY, "t/5", "memory.max", "1"), 0);
	assert_int_equal(lmc_test_mkdir_p(f->dir, "memory/lmctl/t/5/stray"), 0);
	assert_false(lmc_cgfs_file_exists(f->cg, LMC_CTRL_PIDS, "t/3", "pids.max")); /* kept fd */
	assert_int_equal(lmc_cgfs_remove_many(f->cg, names, 11, &done, &err), -ENOTEMPTY);
	assert_int_equal(done, 5);
	assert_non_null(strstr(err.msg, "t/5: rmdir in memory hierarchy"));
	assert_false(exists(f->dir, "memory/lmctl/t/4"));
	assert_true(exists(f->dir, "memory/lmctl/t/6"));
	assert_false(exists(f->dir, "pids/lmctl/t/6"));
	assert_false(exists(f->dir, "pids/lmctl/t/3"));

	assert_true(exists(f->dir, "memory/lmctl/t/5/memory.max"));
	snprintf(p, sizeof(p), "%s/memory/lmctl/t/5/stray", f->dir);
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(lmc_cgfs_remove_many(f->cg, names, 11, &done, &err), 0);
	assert_int_equal(done, 11);
	assert_false(exists(f->dir, "memory/lmctl/t"));
	assert_false(exists(f->dir, "unified/lmctl/t"));

	/* made again: written through a fresh fd, not the removed one's */
	names[0] = "u";
	assert_int_equal(lmc_cgfs_create(f->cg, "u", NULL), 0);
	assert_false(lmc_cgfs_file_exists(f->cg, LMC_CTRL_PIDS, "u", "pids.max")); /* kept fd */
	assert_int_equal(lmc_cgfs_remove_many(f->cg, names, 1, &done, &err), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "u", NULL), 0);
	assert_int_equal(lmc_cgfs_write(f->cg, LMC_CTRL_PIDS, "u", "pids.max", "2"), 0);
	get(f->dir, "pids/lmctl/u/pids.max", got, sizeof(got));
	assert_string_equal(got, "2");
}

static void test_create_rollback(void **state)
{
	static const char *const hier[] = {"cpu",   "cpuacct", "cpuset", "memory",
					   "blkio", "freezer", "unified"};
	struct fx *f = *state;
	struct lmc_err err = {0};
	char rel[128];

	assert_int_equal(fx_open(f, LMC_CG_HYBRID, NULL), 0);
	put(f->dir, "pids/lmctl/job", "in the way");
	assert_int_equal(lmc_cgfs_create(f->cg, "job", &err), -EEXIST);
	assert_non_null(strstr(err.msg, "job"));
	assert_non_null(strstr(err.msg, "pids"));
	for (size_t i = 0; i < 7; i++) {
		snprintf(rel, sizeof(rel), "%s/lmctl/job", hier[i]);
		assert_false(exists(f->dir, rel));
	}
	assert_false(lmc_cgfs_exists(f->cg, "job"));
}

static void test_bad_names(void **state)
{
	struct fx *f = *state;
	char buf[16];

	assert_int_equal(fx_open(f, LMC_CG_V1, NULL), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "../x", NULL), -EINVAL);
	assert_int_equal(lmc_cgfs_create(f->cg, "/x", NULL), -EINVAL);
	assert_int_equal(lmc_cgfs_create(f->cg, "a//b", NULL), -EINVAL);
	assert_int_equal(lmc_cgfs_create(f->cg, "", NULL), -EINVAL);
	assert_int_equal(lmc_cgfs_write(f->cg, LMC_CTRL_MEMORY, "a/..", "f", "1"), -EINVAL);
	assert_int_equal(lmc_cgfs_read(f->cg, LMC_CTRL_MEMORY, "..", "f", buf, sizeof(buf)),
			 -EINVAL);
	assert_false(exists(f->dir, "memory/x"));
}

static void test_cpuset_copied(void **state)
{
	struct fx *f = *state;
	char buf[64];

	assert_int_equal(fx_open(f, LMC_CG_V1, NULL), 0);
	put(f->dir, "cpuset/lmctl/cpuset.cpus", "0-3\n");
	put(f->dir, "cpuset/lmctl/cpuset.mems", "0\n");
	assert_int_equal(lmc_cgfs_create(f->cg, "c", NULL), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "c/d", NULL), 0);
	get(f->dir, "cpuset/lmctl/c/d/cpuset.cpus", buf, sizeof(buf));
	assert_string_equal(buf, "0-3\n");
	get(f->dir, "cpuset/lmctl/c/d/cpuset.mems", buf, sizeof(buf));
	assert_string_equal(buf, "0\n");
}

/* A container's own cpus and mems go into its new cpuset at once (the parent's where it
 * has none). */
static void test_cpuset_own_set(void **state)
{
	struct fx *f = *state;
	struct lmc_cgfs_newset set = {.cpus = "1", .mems = ""};
	struct lmc_spec s;
	char buf[64];

	assert_int_equal(fx_open(f, LMC_CG_V1, NULL), 0);
	put(f->dir, "cpuset/lmctl/cpuset.cpus", "0-3\n");
	put(f->dir, "cpuset/lmctl/cpuset.mems", "0\n");
	assert_int_equal(lmc_cgfs_create_set(f->cg, "c", &set, NULL), 0);
	assert_true(set.wrote_cpus);
	assert_false(set.wrote_mems);
	get(f->dir, "cpuset/lmctl/c/cpuset.cpus", buf, sizeof(buf));
	assert_string_equal(buf, "1");
	get(f->dir, "cpuset/lmctl/c/cpuset.mems", buf, sizeof(buf));
	assert_string_equal(buf, "0\n");
	/* through the controllers: the spec's set, not the parent's */
	lmc_spec_init(&s);
	snprintf(s.cpu.cpus, sizeof(s.cpu.cpus), "2");
	assert_int_equal(lmc_controller_create(f->cg, "d", &s, NULL), 0);
	get(f->dir, "cpuset/lmctl/d/cpuset.cpus", buf, sizeof(buf));
	assert_string_equal(buf, "2");
}

static void test_v2_enable_and_mapping(void **state)
{
	struct fx *f = *state;
	char buf[128], p[512], want[512];

	put(f->dir, "cgroup.controllers", "cpuset cpu memory pids\n");
	assert_int_equal(fx_open(f, LMC_CG_V2, NULL), 0);
	assert_int_equal(lmc_cgfs_mode(f->cg), LMC_CG_V2);
	assert_true(lmc_cgfs_has(f->cg, LMC_CTRL_CPUACCT));
	assert_true(lmc_cgfs_has(f->cg, LMC_CTRL_FREEZER));
	assert_true(lmc_cgfs_has(f->cg, LMC_CTRL_UNIFIED));
	assert_false(lmc_cgfs_has(f->cg, LMC_CTRL_BLKIO));
	assert_int_equal(lmc_cgfs_path(f->cg, LMC_CTRL_MEMORY, "a", p, sizeof(p)), 0);
	snprintf(want, sizeof(want), "%s/lmctl/a", f->dir);
	assert_string_equal(p, want);
	/* The root's parent (the own cgroup) was given the controllers for the root. */
	get(f->dir, "cgroup.subtree_control", buf, sizeof(buf));
	assert_string_equal(buf, "+cpu +memory +pids +cpuset");
	assert_int_equal(lmc_cgfs_create(f->cg, "a", NULL), 0);
	get(f->dir, "lmctl/cgroup.subtree_control", buf, sizeof(buf));
	assert_string_equal(buf, "+cpu +memory +pids +cpuset");
	assert_true(isdir(f->dir, "lmctl/a"));
}

static void test_read_write(void **state)
{
	struct fx *f = *state;
	char buf[64];
	uint64_t v = 0;

	assert_int_equal(fx_open(f, LMC_CG_V1, NULL), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "r", NULL), 0);
	assert_int_equal(
		lmc_cgfs_write(f->cg, LMC_CTRL_MEMORY, "r", "memory.limit_in_bytes", "1048576"), 0);
	assert_int_equal(
		lmc_cgfs_read_u64(f->cg, LMC_CTRL_MEMORY, "r", "memory.limit_in_bytes", &v), 0);
	assert_int_equal(v, 1048576);
	assert_int_equal(lmc_cgfs_writef(f->cg, LMC_CTRL_PIDS, "r", "pids.max", "%s\n", "max"), 0);
	assert_int_equal(lmc_cgfs_read_u64(f->cg, LMC_CTRL_PIDS, "r", "pids.max", &v), 0);
	assert_true(v == LMC_UNSET);
	assert_int_equal(lmc_cgfs_write(f->cg, LMC_CTRL_PIDS, "r", "pids.max", "12abc"), 0);
	assert_int_equal(lmc_cgfs_read_u64(f->cg, LMC_CTRL_PIDS, "r", "pids.max", &v), -EINVAL);
	assert_int_equal(lmc_cgfs_read(f->cg, LMC_CTRL_PIDS, "r", "pids.max", buf, 4), 3);
	assert_string_equal(buf, "12a");
	assert_int_equal(lmc_cgfs_read(f->cg, LMC_CTRL_PIDS, "r", "nope", buf, sizeof(buf)),
			 -ENOENT);
	assert_true(lmc_cgfs_file_exists(f->cg, LMC_CTRL_PIDS, "r", "pids.max"));
	assert_false(lmc_cgfs_file_exists(f->cg, LMC_CTRL_PIDS, "r", "nope"));
}

static void test_read_key(void **state)
{
	struct fx *f = *state;
	uint64_t v = 0;

	assert_int_equal(fx_open(f, LMC_CG_V1, NULL), 0);
	put(f->dir, "memory/lmctl/memory.stat", "cache 5\nrss_huge 9\nrss 7\ntotal_rss 11\n");
	assert_int_equal(lmc_cgfs_read_key(f->cg, LMC_CTRL_MEMORY, "", "memory.stat", "rss", &v),
			 0);
	assert_int_equal(v, 7);
	assert_int_equal(lmc_cgfs_read_key(f->cg, LMC_CTRL_MEMORY, "", "memory.stat", "cache", &v),
			 0);
	assert_int_equal(v, 5);
	assert_int_equal(lmc_cgfs_read_key(f->cg, LMC_CTRL_MEMORY, "", "memory.stat", "swap", &v),
			 -ENOENT);
}

/* One keyed-file parser for values and stats: "max" is no limit (LMC_UNSET), as in a
 * single-value file; a space or a tab separates key and value; anything else is refused. */
static void test_parse_key_max(void **state)
{
	const char *buf = "limit max\nmax 3\nusage\t12\nbad maxi\nneg -1\nnr_periods 4\n";
	struct fx *f = *state;
	uint64_t v = 0;

	assert_int_equal(lmc_cgfs_parse_key(buf, "limit", &v), 0);
	assert_true(v == LMC_UNSET);
	assert_int_equal(lmc_cgfs_parse_key(buf, "max", &v), 0); /* a key named max */
	assert_int_equal(v, 3);
	assert_int_equal(lmc_cgfs_parse_key(buf, "usage", &v), 0);
	assert_int_equal(v, 12);
	assert_int_equal(lmc_cgfs_parse_key(buf, "bad", &v), -EINVAL);
	assert_int_equal(lmc_cgfs_parse_key(buf, "neg", &v), -EINVAL);
	assert_int_equal(lmc_cgfs_parse_key(buf, "nr_period", &v), -ENOENT);
	/* the same through a file, as the event sources and the stats read them */
	assert_int_equal(fx_open(f, LMC_CG_V2, NULL), 0);
	put(f->dir, "lmctl/misc.events", "max\t7\nlimit max\n");
	assert_int_equal(lmc_cgfs_read_key(f->cg, LMC_CTRL_UNIFIED, "", "misc.events", "max", &v),
			 0);
	assert_int_equal(v, 7);
	assert_int_equal(lmc_cgfs_read_key(f->cg, LMC_CTRL_UNIFIED, "", "misc.events", "limit", &v),
			 0);
	assert_true(v == LMC_UNSET);
}

static void test_psi(void **state)
{
	struct fx *f = *state;
	struct lmc_psi psi;

	assert_int_equal(fx_open(f, LMC_CG_HYBRID, NULL), 0);
	put(f->dir, "unified/lmctl/cpu.pressure",
	    "some avg10=1.50 avg60=0.25 avg300=0.00 total=12345\n"
	    "full avg10=0.10 avg60=0.00 avg300=3.75 total=99\n");
	assert_int_equal(lmc_cgfs_read_psi(f->cg, "", "cpu", &psi), 0);
	assert_true(psi.present);
	assert_float_equal(psi.some_avg10, 1.5, 1e-9);
	assert_float_equal(psi.some_avg60, 0.25, 1e-9);
	assert_int_equal(psi.some_total_us, 12345);
	assert_float_equal(psi.full_avg10, 0.1, 1e-9);
	assert_float_equal(psi.full_avg300, 3.75, 1e-9);
	assert_int_equal(psi.full_total_us, 99);
	put(f->dir, "unified/lmctl/io.pressure", "some avg10=x\n");
	assert_int_equal(lmc_cgfs_read_psi(f->cg, "", "io", &psi), -EINVAL);
	assert_int_equal(lmc_cgfs_read_psi(f->cg, "", "memory", &psi), -ENOENT);
}

static void test_psi_v1_absent(void **state)
{
	struct fx *f = *state;
	struct lmc_psi psi;

	assert_int_equal(fx_open(f, LMC_CG_V1, NULL), 0);
	assert_int_equal(lmc_cgfs_read_psi(f->cg, "", "cpu", &psi), -ENOENT);
}

static void test_attach_procs_populated(void **state)
{
	struct fx *f = *state;
	char buf[32];
	pid_t *pids = NULL;
	size_t n = 0;
	bool pop = true;

	assert_int_equal(fx_open(f, LMC_CG_HYBRID, NULL), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "p", NULL), 0);
	assert_int_equal(lmc_cgfs_attach(f->cg, "p", 4242, true, NULL), 0);
	get(f->dir, "memory/lmctl/p/cgroup.procs", buf, sizeof(buf));
	assert_string_equal(buf, "4242");
	assert_false(exists(f->dir, "unified/lmctl/p/cgroup.procs"));
	put(f->dir, "unified/lmctl/p/cgroup.procs", "4242\n4343\n");
	assert_int_equal(lmc_cgfs_procs(f->cg, "p", &pids, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(pids[1], 4343);
	free(pids);
	/* Hybrid without cgroup.events (a fake): falls back to walking cgroup.procs. */
	assert_int_equal(lmc_cgfs_populated(f->cg, "", &pop), 0);
	assert_true(pop);
	put(f->dir, "unified/lmctl/p/cgroup.procs", "");
	assert_int_equal(lmc_cgfs_populated(f->cg, "", &pop), 0);
	assert_false(pop);
	put(f->dir, "unified/lmctl/cgroup.events", "populated 1\nfrozen 0\n");
	assert_int_equal(lmc_cgfs_populated(f->cg, "", &pop), 0);
	assert_true(pop);
}

static void test_freeze_fake(void **state)
{
	struct fx *f = *state;
	char buf[32];
	bool fz = false;

	assert_int_equal(fx_open(f, LMC_CG_V1, NULL), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "z", NULL), 0);
	assert_int_equal(lmc_cgfs_freeze(f->cg, "z", true, NULL), 0);
	get(f->dir, "freezer/lmctl/z/freezer.state", buf, sizeof(buf));
	assert_string_equal(buf, "FROZEN");
	assert_int_equal(lmc_cgfs_frozen(f->cg, "z", &fz), 0);
	assert_true(fz);
	assert_int_equal(lmc_cgfs_freeze(f->cg, "z", false, NULL), 0);
	assert_int_equal(lmc_cgfs_frozen(f->cg, "z", &fz), 0);
	assert_false(fz);
}

static void test_machine(void **state)
{
	uint64_t mem = 0, pid_max = 0;
	unsigned cpus = 0;
	unsigned long long kb = 0;
	char line[128];
	FILE *mi = fopen("/proc/meminfo", "re");

	(void)state;
	assert_non_null(mi);
	while (fgets(line, sizeof(line), mi) && sscanf(line, "MemTotal: %llu kB", &kb) != 1)
		;
	fclose(mi);
	assert_int_equal(lmc_cgfs_machine(&mem, &cpus, &pid_max), 0);
	/* the memory is what /proc/meminfo (and free(1)) call the total */
	assert_true(kb > 0);
	assert_int_equal(mem, kb * 1024);
	assert_true(mem > 16ull << 20);
	assert_true(cpus >= 1);
	assert_true(pid_max >= 301);
}

/* v2 placement (issue 10): a caller's cgroup that holds other processes cannot delegate, so
 * the default root goes to the top of the hierarchy and nothing is written below it. */
static void test_v2_busy_own_goes_top(void **state)
{
	struct fx *f = *state;
	struct lmc_cgfs_opts o = {.fake_fsroot = f->dir,
				  .fake_mode = LMC_CG_V2,
				  .fake_own = "user.slice/session-1.scope",
				  .create_root = true};
	char p[512], want[512], buf[128];

	assert_int_equal(lmc_test_mkdir_p(f->dir, "user.slice/session-1.scope"), 0);
	put(f->dir, "cgroup.controllers", "cpuset cpu io memory pids\n");
	put(f->dir, "user.slice/session-1.scope/cgroup.procs", "1\n4242\n");
	assert_int_equal(lmc_cgfs_open(&o, &f->cg, NULL), 0);
	assert_int_equal(lmc_cgfs_path(f->cg, LMC_CTRL_PIDS, "", p, sizeof(p)), 0);
	snprintf(want, sizeof(want), "%s/lmctl", f->dir);
	assert_string_equal(p, want);
	assert_non_null(strstr(lmc_cgfs_placement(f->cg), "holds other processes"));
	get(f->dir, "cgroup.subtree_control", buf, sizeof(buf));
	assert_string_equal(buf, "+cpu +memory +io +pids +cpuset");
	assert_false(exists(f->dir, "user.slice/session-1.scope/lmctl"));
	assert_false(exists(f->dir, "user.slice/session-1.scope/cgroup.subtree_control"));
	assert_true(lmc_cgfs_has(f->cg, LMC_CTRL_PIDS));
	assert_true(lmc_cgfs_has(f->cg, LMC_CTRL_BLKIO));
	assert_null(lmc_cgfs_why(f->cg, LMC_CTRL_MEMORY));
}

/* A cgroup holding only this process delegates (lmctld under Delegate=yes). */
static void test_v2_own_alone_delegates(void **state)
{
	struct fx *f = *state;
	struct lmc_cgfs_opts o = {.fake_fsroot = f->dir,
				  .fake_mode = LMC_CG_V2,
				  .fake_own = "system.slice/lmctld.service"};
	char p[512], want[512], pid[32];

	assert_int_equal(lmc_test_mkdir_p(f->dir, "system.slice/lmctld.service/lmctl"), 0);
	put(f->dir, "system.slice/lmctld.service/cgroup.controllers", "cpu memory pids\n");
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	put(f->dir, "system.slice/lmctld.service/cgroup.procs", pid);
	assert_int_equal(lmc_cgfs_open(&o, &f->cg, NULL), 0);
	assert_int_equal(lmc_cgfs_path(f->cg, LMC_CTRL_MEMORY, "", p, sizeof(p)), 0);
	snprintf(want, sizeof(want), "%s/system.slice/lmctld.service/lmctl", f->dir);
	assert_string_equal(p, want);
	assert_non_null(strstr(lmc_cgfs_placement(f->cg), "below the caller's cgroup"));
	assert_false(lmc_cgfs_has(f->cg, LMC_CTRL_BLKIO));
	assert_non_null(strstr(lmc_cgfs_why(f->cg, LMC_CTRL_BLKIO), "does not offer it"));
}

/* Availability is read where the root is, along the real chain: a base that was delegated
 * memory and pids but holds other processes passes on only what it already enables. */
static void test_v2_partial_delegation(void **state)
{
	struct fx *f = *state;
	struct lmc_cgfs_opts o = {.root = "/deleg/lmctl",
				  .fake_fsroot = f->dir,
				  .fake_mode = LMC_CG_V2,
				  .fake_own = "elsewhere",
				  .create_root = true};
	struct lmc_err err = {0};
	struct lmc_spec spec;
	const char *why;

	assert_int_equal(lmc_test_mkdir_p(f->dir, "deleg"), 0);
	assert_int_equal(lmc_test_mkdir_p(f->dir, "elsewhere"), 0);
	put(f->dir, "cgroup.controllers", "cpuset cpu io memory pids\n");
	put(f->dir, "elsewhere/cgroup.controllers", "cpuset cpu io memory pids\n");
	put(f->dir, "deleg/cgroup.controllers", "memory pids\n");
	put(f->dir, "deleg/cgroup.subtree_control", "memory\n");
	put(f->dir, "deleg/cgroup.procs", "4242\n");
	assert_int_equal(lmc_cgfs_open(&o, &f->cg, NULL), 0);
	assert_true(lmc_cgfs_has(f->cg, LMC_CTRL_MEMORY));
	assert_false(lmc_cgfs_has(f->cg, LMC_CTRL_PIDS));
	assert_false(lmc_cgfs_has(f->cg, LMC_CTRL_CPU));
	why = lmc_cgfs_why(f->cg, LMC_CTRL_PIDS);
	assert_non_null(strstr(why, "/deleg holds other processes"));
	why = lmc_cgfs_why(f->cg, LMC_CTRL_CPU);
	assert_non_null(strstr(why, "/deleg does not offer it"));
	assert_true(lmc_cgfs_has(f->cg, LMC_CTRL_FREEZER));

	/* A spec asking for a withheld controller is refused, never silently dropped. */
	lmc_spec_init(&spec);
	spec.memory.limit = 64 << 20;
	assert_int_equal(lmc_controller_validate_all(f->cg, "pj", &spec, &err), 0);
	spec.pids.limit = 16;
	assert_int_equal(lmc_controller_validate_all(f->cg, "pj", &spec, &err), -EOPNOTSUPP);
	assert_non_null(strstr(err.msg, "pj: pids.limit needs the 'pids' controller"));
	assert_non_null(strstr(err.msg, "/deleg holds other processes"));
	assert_null(strchr(err.msg, '\n'));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v1_layout_and_paths, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hybrid_has_unified, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abs_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_and_missing_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_remove, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_rollback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpuset_copied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpuset_own_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_enable_and_mapping, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_key_max, setup, teardown),
		cmocka_unit_test_setup_teardown(test_psi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_psi_v1_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_procs_populated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_freeze_fake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_machine, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_busy_own_goes_top, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_own_alone_delegates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_v2_partial_delegation, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
