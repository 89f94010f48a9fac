/* The manager (core/manager*.c) over a fake cgroupfs: create, update, destroy, refusals,
 * recovery after a kill -9 part way, and runs, against a temporary directory laid out as v1
 * (one directory per controller), hybrid (those and a cgroup2 tree without controllers) and
 * v2 (one tree), with the state directory in a temporary directory too. No root needed.
 *
 * How the fake stands in for the kernel: cgroupfs opened on a fake root (lmc_cgfs_opts.
 * fake_fsroot, passed through lmc_manager_opts.cgfs) creates an interface file at its first
 * write and removes a fake cgroup's files with it at rmdir, so a new fake cgroup holds exactly
 * the files lmctl wrote and "nothing written" is "no such file"; nothing is created at mkdir.
 * The fixture gives lmctl's root the files the controllers read there (cpuset.cpus and .mems
 * copied into children on v1, memory.memsw.limit_in_bytes or memory.swap.max meaning swap
 * accounting, cgroup.controllers on v2). What a directory cannot do is refuse a write: this
 * program is linked with --wrap=lmc_cgfs_write (Makefile: TEST_LDFLAGS_test_manager), and
 * fail_file below makes the writes of that one file fail as a kernel refusing a value would
 * (crash_file: the process SIGKILLs itself there instead).
 * A process run into a fake cgroup is placed by writing its pid to each cgroup.procs; the
 * fake kernel never removes an ended one, so each run test clears the files once it has
 * reaped its process (nothing may later signal a pid that could belong to another).
 * Over 800 lines: fifteen cases share the fake-kernel fixture, which only this program uses. */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "base/bg.h"
#include "controllers/cgroupfs.h"
#include "core/events.h"
#include "core/manager.h"
#include "core/store.h"
#include "nsutil/ns.h"
#include "tests/lib/tmpdir.h"

#define MB (1024ull * 1024)

/* ---- the fake kernel's one refusal ---- */

int __real_lmc_cgfs_write(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
			  const char *val);
int __wrap_lmc_cgfs_write(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
			  const char *val);

static const char *fail_file; /* writes of this file fail with -fail_errno */
static int fail_errno;
static const char *crash_file; /* a write of this file SIGKILLs the process, as kill -9 */
static unsigned n_writes; /* writes that reached the fake */

int __wrap_lmc_cgfs_write(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
			  const char *val)
{
	if (crash_file && strcmp(file, crash_file) == 0)
		raise(SIGKILL);
	if (fail_file && strcmp(file, fail_file) == 0)
		return -fail_errno;
	n_writes++;
	return __real_lmc_cgfs_write(cg, c, name, file, val);
}

/* ---- fixture ---- */

static const enum lmc_cg_mode modes[] = {LMC_CG_V1, LMC_CG_HYBRID, LMC_CG_V2};

/* The v1 hierarchies, each its own directory under the fake root, as cgroupfs lays them;
 * hybrid adds the cgroup2 tree without controllers beside them. */
static const char *const v1_hier[] = {"cpu",   "cpuacct", "cpuset",  "memory",
				      "blkio", "pids",	  "freezer", NULL};
static const char *const hybrid_hier[] = {"cpu",  "cpuacct", "cpuset",	"memory", "blkio",
					  "pids", "freezer", "unified", NULL};
static const char *const v2_hier[] = {"", NULL};

struct fx {
	char dir[64], cg[96], state[96];
	enum lmc_cg_mode mode;
	struct lmc_manager *m;
};

/* The hierarchies of the layout, as fpath names them. */
static const char *const *hiers(const struct fx *f)
{
	return f->mode == LMC_CG_V2 ? v2_hier : f->mode == LMC_CG_HYBRID ? hybrid_hier : v1_hier;
}

/* Path of rel ("job/memory.max", "" for lmctl's root) in hierarchy hier (v1; v2 has one). */
static void fpath(const struct fx *f, const char *hier, const char *rel, char *buf, size_t size)
{
	if (f->mode == LMC_CG_V2 || !hier[0])
		snprintf(buf, size, "%s/lmctl%s%s", f->cg, rel[0] ? "/" : "", rel);
	else
		snprintf(buf, size, "%s/%s/lmctl%s%s", f->cg, hier, rel[0] ? "/" : "", rel);
}

static void put(const struct fx *f, const char *hier, const char *rel, const char *val)
{
	char p[512];
	FILE *fp;

	fpath(f, hier, rel, p, sizeof(p));
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(val, fp);
	fclose(fp);
}

static bool has(const struct fx *f, const char *hier, const char *rel)
{
	char p[512];

	fpath(f, hier, rel, p, sizeof(p));
	return access(p, F_OK) == 0;
}

/* The file's value, its trailing newline dropped; "(none)" when there is no such file. */
static const char *get(const struct fx *f, const char *hier, const char *rel)
{
	static char buf[4][256];
	static unsigned next;
	char p[512], *b = buf[next++ % 4];
	FILE *fp;
	size_t n;

	fpath(f, hier, rel, p, sizeof(p));
	fp = fopen(p, "r");
	if (!fp)
		return "(none)";
	n = fread(b, 1, sizeof(buf[0]) - 1, fp);
	fclose(fp);
	b[n] = '\0';
	b[strcspn(b, "\n")] = '\0';
	return b;
}

/* Is the container's directory in every hierarchy (want true) or in none (false)? */
static void assert_dirs(const struct fx *f, const char *name, bool want)
{
	for (const char *const *h = hiers(f); *h; h++) {
		char p[512];
		struct stat st;
		bool there;

		fpath(f, *h, name, p, sizeof(p));
		there = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
		if (there != want)
			fail_msg("%s: %s", p, want ? "missing" : "left behind");
	}
}

/* lmctl's root as the kernel shows it, with the files the controllers read there: hierarchy
 * (v1), file, value. */
struct kfile {
	const char *hier, *file, *val;
};

static const struct kfile v1_root[] = {
	{"cpuset", "cpuset.cpus", "0-1\n"},
	{"cpuset", "cpuset.mems", "0\n"},
	{"memory", "memory.limit_in_bytes", "9223372036854771712\n"},
	{"memory", "memory.memsw.limit_in_bytes", "9223372036854771712\n"},
	{"cpu", "cpu.cfs_quota_us", "-1\n"},
	{"cpu", "cpu.cfs_period_us", "100000\n"},
	{"pids", "pids.max", "max\n"},
	{"freezer", "freezer.state", "THAWED\n"},
	{NULL, NULL, NULL},
};

static const struct kfile v2_root[] = {
	{"", "cgroup.controllers", "cpuset cpu io memory pids\n"},
	{"", "cgroup.subtree_control", ""},
	{"", "memory.max", "max\n"},
	{"", "memory.swap.max", "max\n"},
	{"", "cpu.max", "max 100000\n"},
	{"", "pids.max", "max\n"},
	{NULL, NULL, NULL},
};

static void lay_out(struct fx *f)
{
	for (const char *const *h = hiers(f); *h; h++) {
		char rel[64];

		snprintf(rel, sizeof(rel), "%s%slmctl", *h, (*h)[0] ? "/" : "");
		assert_int_equal(lmc_test_mkdir_p(f->cg, rel), 0);
		put(f, *h, "cgroup.procs", "");
	}
	for (const struct kfile *k = f->mode == LMC_CG_V2 ? v2_root : v1_root; k->hier; k++)
		put(f, k->hier, k->file, k->val);
	if (f->mode == LMC_CG_V2) { /* the hierarchy's root offers them to lmctl's */
		char p[160];
		FILE *fp;

		snprintf(p, sizeof(p), "%s/cgroup.controllers", f->cg);
		fp = fopen(p, "w");
		assert_non_null(fp);
		fputs(v2_root[0].val, fp);
		fclose(fp);
	}
}

static int mgr_open(struct fx *f, struct lmc_err *err)
{
	struct lmc_cgfs_opts co = {.fake_fsroot = f->cg, .fake_mode = f->mode};
	struct lmc_manager_opts o = {.state_dir = f->state, .cgroup_root = "lmctl", .cgfs = &co};

	return lmc_mgr_open(&o, &f->m, err);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct lmc_err err = {0};

	assert_non_null(f);
	f->mode = *(const enum lmc_cg_mode *)*state;
	snprintf(f->dir, sizeof(f->dir), "/tmp/lmctl-unit-mgr-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->cg, sizeof(f->cg), "%s/cg", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	assert_int_equal(mkdir(f->cg, 0755), 0);
	lay_out(f);
	if (mgr_open(f, &err) < 0)
		fail_msg("open: %s", err.msg);
	fail_file = NULL;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	fail_file = NULL;
	lmc_mgr_free(f->m);
	lmc_test_rm_rf(f->dir);
	free(f);
	return 0;
}

/* The record the store holds for name (state, spec), read as the next open would; false if
 * there is none. */
static bool record(struct fx *f, const char *name, struct lmc_record *ret)
{
	struct lmc_store_opts so = {.dir = f->state};
	struct lmc_store *s = NULL;
	struct lmc_record *recs = NULL;
	size_t n = 0;
	bool found = false;

	assert_int_equal(lmc_store_open(&so, &s, NULL), 0);
	assert_int_equal(lmc_store_load(s, &recs, &n, NULL, NULL), 0);
	for (size_t i = 0; i < n && !found; i++) {
		found = strcmp(recs[i].name, name) == 0;
		if (found && ret)
			*ret = recs[i];
	}
	free(recs);
	lmc_store_free(s);
	return found;
}

static struct lmc_spec limits(uint64_t mem, uint64_t cpu_m, uint64_t pids)
{
	struct lmc_spec s;

	lmc_spec_init(&s);
	s.memory.limit = mem;
	s.cpu.limit_m = cpu_m;
	s.pids.limit = pids;
	return s;
}

/* The files that hold a container's memory limit, cpu limit and pids limit in this layout. */
static void assert_mem(const struct fx *f, const char *name, const char *want)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "%s/%s", name,
		 f->mode == LMC_CG_V2 ? "memory.max" : "memory.limit_in_bytes");
	assert_string_equal(get(f, "memory", rel), want);
}

static void assert_cpu(const struct fx *f, const char *name, const char *quota, const char *period)
{
	char rel[128], both[64];

	if (f->mode == LMC_CG_V2) {
		snprintf(rel, sizeof(rel), "%s/cpu.max", name);
		snprintf(both, sizeof(both), "%s %s", quota, period);
		assert_string_equal(get(f, "", rel), both);
		return;
	}
	snprintf(rel, sizeof(rel), "%s/cpu.cfs_quota_us", name);
	assert_string_equal(get(f, "cpu", rel), quota);
	snprintf(rel, sizeof(rel), "%s/cpu.cfs_period_us", name);
	assert_string_equal(get(f, "cpu", rel), period);
}

static void assert_pids(const struct fx *f, const char *name, const char *want)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "%s/pids.max", name);
	assert_string_equal(get(f, "pids", rel), want);
}

/* err says what: one line holding want. Cleared for the next call (the first error set is
 * the one kept). */
static void assert_msg(struct lmc_err *err, const char *want)
{
	if (!strstr(err->msg, want) || strchr(err->msg, '\n'))
		fail_msg("error '%s' should say '%s'", err->msg, want);
	lmc_err_clear(err);
}

static void create_ok(struct fx *f, const char *name, const struct lmc_spec *spec)
{
	struct lmc_err err = {0};

	if (lmc_mgr_create(f->m, name, spec, &err) < 0)
		fail_msg("create %s: %s", name, err.msg);
}

/* ---- create ---- */

/* The kernel's files hold the limits asked for, in every hierarchy; what was not asked for
 * is not written; the record is READY with the spec. */
static void test_create_limits(void **state)
{
	struct fx *f = *state;
	struct lmc_spec s = limits(64 * MB, 500, 16), got;
	struct lmc_record rec;
	char rel[128];

	create_ok(f, "job", &s);
	assert_dirs(f, "job", true);
	assert_mem(f, "job", "67108864");
	assert_cpu(f, "job", "50000", "100000");
	assert_pids(f, "job", "16");
	snprintf(rel, sizeof(rel), "job/%s",
		 f->mode == LMC_CG_V2 ? "memory.low" : "memory.soft_limit_in_bytes");
	assert_false(has(f, "memory", rel));
	if (f->mode != LMC_CG_V2) /* a v1 cpuset takes its parent's cpus and mems */
		assert_string_equal(get(f, "cpuset", "job/cpuset.cpus"), "0-1");
	assert_true(record(f, "job", &rec));
	assert_int_equal(rec.state, LMC_REC_READY);
	assert_int_equal(rec.spec.memory.limit, 64 * MB);
	assert_int_equal(rec.spec.pids.limit, 16);

	/* a child nested in every hierarchy, with only a memory limit */
	s = limits(32 * MB, LMC_UNSET, LMC_UNSET);
	create_ok(f, "job/web", &s);
	assert_dirs(f, "job/web", true);
	assert_mem(f, "job/web", "33554432");
	assert_false(has(f, "pids", "job/web/pids.max"));
	assert_int_equal(lmc_mgr_spec(f->m, "job/web", &got, NULL, NULL), 0);
	assert_int_equal(got.memory.limit, 32 * MB);
}

/* ---- refusals: nothing written, nothing stored ---- */

static void test_refuse_above_parent(void **state)
{
	struct fx *f = *state;
	struct lmc_spec s = limits(64 * MB, 1000, 32);
	struct lmc_err err = {0};
	unsigned before;

	create_ok(f, "job", &s);
	before = n_writes;
	s = limits(128 * MB, LMC_UNSET, LMC_UNSET);
	assert_int_equal(lmc_mgr_create(f->m, "job/big", &s, &err), -ERANGE);
	assert_msg(&err, "job/big: memory limit 128M exceeds the effective limit 64M set by job");
	s = limits(LMC_UNSET, LMC_UNSET, 64);
	assert_int_equal(lmc_mgr_create(f->m, "job/many", &s, &err), -ERANGE);
	assert_msg(&err, "job/many: pids");
	assert_int_equal(n_writes, before);
	assert_dirs(f, "job/big", false);
	assert_dirs(f, "job/many", false);
	assert_false(record(f, "job/big", NULL));
	assert_false(record(f, "job/many", NULL));
	assert_mem(f, "job", "67108864");
	assert_pids(f, "job", "32");
}

static void test_refuse_bad_requests(void **state)
{
	struct fx *f = *state;
	struct lmc_spec s = limits(16 * MB, LMC_UNSET, LMC_UNSET);
	struct lmc_err err = {0};
	unsigned before;

	create_ok(f, "job", &s);
	before = n_writes;
	assert_int_equal(lmc_mgr_create(f->m, "job", &s, &err), -EEXIST);
	assert_msg(&err, "job: container already exists");
	assert_int_equal(lmc_mgr_create(f->m, "nope/x", &s, &err), -ENOENT);
	assert_msg(&err, "nope/x: parent nope does not exist");
	assert_int_equal(lmc_mgr_create(f->m, "../x", &s, &err), -EINVAL);
	assert_msg(&err, "../x");
	assert_int_equal(lmc_mgr_update(f->m, "ghost", &s, false, &err), -ENOENT);
	assert_msg(&err, "ghost: no such container");
	assert_int_equal(lmc_mgr_destroy(f->m, "ghost", true, &err), -ENOENT);
	assert_msg(&err, "ghost: no such container");
	s.memory.swap = 8 * MB; /* swap (memory + swap) below the memory limit */
	assert_int_equal(lmc_mgr_create(f->m, "job/sw", &s, &err), -EINVAL);
	assert_msg(&err, "job/sw: memory");
	assert_int_equal(n_writes, before);
	assert_dirs(f, "nope", false);
	assert_dirs(f, "job/sw", false);
	assert_false(record(f, "nope/x", NULL));
	assert_false(record(f, "job/sw", NULL));
}

/* ---- a create that fails part way leaves nothing ---- */

/* The kernel refuses the last file (pids.max comes after memory and cpu): the directories
 * made in every hierarchy and the files written go, and so does the CREATING record. */
static void test_create_fails_half_way(void **state)
{
	struct fx *f = *state;
	struct lmc_spec s = limits(64 * MB, 500, 16);
	struct lmc_err err = {0};
	unsigned before = n_writes;

	fail_file = "pids.max";
	fail_errno = EINVAL;
	assert_int_equal(lmc_mgr_create(f->m, "job", &s, &err), -EINVAL);
	assert_msg(&err, "job: cannot set pids.max to 16");
	assert_true(n_writes >= before + 2); /* memory and cpu were written first */
	assert_dirs(f, "job", false);
	assert_false(record(f, "job", NULL));
	assert_int_equal(lmc_mgr_spec(f->m, "job", NULL, NULL, &err), -ENOENT);

	/* and nothing stands in the way of the same create once the kernel takes it */
	fail_file = NULL;
	create_ok(f, "job", &s);
	assert_pids(f, "job", "16");
}

/* Something in the way in one hierarchy (freezer: after six others on v1 and hybrid): the
 * directories made before it go. */
static void test_create_fails_mkdir(void **state)
{
	struct fx *f = *state;
	struct lmc_spec s = limits(64 * MB, LMC_UNSET, LMC_UNSET);
	struct lmc_err err = {0};

	put(f, "freezer", "job", "not a cgroup");
	assert_int_equal(lmc_mgr_create(f->m, "job", &s, &err), -EEXIST);
	assert_msg(&err, "job: already exists");
	assert_false(record(f, "job", NULL));
	if (f->mode != LMC_CG_V2)
		for (const char *const *h = hiers(f); *h; h++)
			if (strcmp(*h, "freezer") != 0) {
				char p[512];

				fpath(f, *h, "job", p, sizeof(p));
				assert_int_equal(access(p, F_OK), -1);
			}
}

/* ---- update ---- */

static void test_update(void **state)
{
	struct fx *f = *state;
	struct lmc_spec s = limits(64 * MB, 500, 16), u;
	struct lmc_record rec;
	struct lmc_err err = {0};
	unsigned before;

	create_ok(f, "job", &s);
	s = limits(32 * MB, LMC_UNSET, LMC_UNSET);
	create_ok(f, "job/a", &s);

	u = limits(128 * MB, 1500, LMC_UNSET);
	if (lmc_mgr_update(f->m, "job", &u, false, &err) < 0)
		fail_msg("update: %s", err.msg);
	assert_mem(f, "job", "134217728");
	assert_cpu(f, "job", "150000", "100000");
	assert_pids(f, "job", "16");
	assert_true(record(f, "job", &rec));
	assert_int_equal(rec.state, LMC_REC_READY);
	assert_int_equal(rec.spec.memory.limit, 128 * MB);
	assert_int_equal(rec.spec.pids.limit, 16);

	/* a cleared limit goes back to the kernel's default */
	u = limits(LMC_UNSET, LMC_UNSET, LMC_CLEAR);
	if (lmc_mgr_update(f->m, "job", &u, false, &err) < 0)
		fail_msg("update: %s", err.msg);
	assert_pids(f, "job", "max");
	assert_true(record(f, "job", &rec));
	assert_true(rec.spec.pids.limit == LMC_UNSET);

	/* below a child's own limit: refused, nothing written, the record as it was */
	before = n_writes;
	u = limits(16 * MB, LMC_UNSET, LMC_UNSET);
	assert_int_equal(lmc_mgr_update(f->m, "job", &u, false, &err), -ERANGE);
	assert_msg(&err, "job: memory limit 16M is below");
	assert_int_equal(n_writes, before);
	assert_mem(f, "job", "134217728");
	assert_true(record(f, "job", &rec));
	assert_int_equal(rec.spec.memory.limit, 128 * MB);
}

/* The kernel refuses one file of an update: what was written is put back, the record keeps
 * the old spec. */
static void test_update_fails_half_way(void **state)
{
	struct fx *f = *state;
	struct lmc_spec s = limits(64 * MB, 500, 16), u, got;
	struct lmc_record rec;
	struct lmc_err err = {0};

	create_ok(f, "job", &s);
	u = limits(128 * MB, LMC_UNSET, 32);
	fail_file = "pids.max";
	fail_errno = EBUSY;
	assert_int_equal(lmc_mgr_update(f->m, "job", &u, false, &err), -EBUSY);
	assert_msg(&err, "job: cannot set pids.max to 32");
	fail_file = NULL;
	assert_mem(f, "job", "67108864");
	assert_pids(f, "job", "16");
	assert_true(record(f, "job", &rec));
	assert_int_equal(rec.state, LMC_REC_READY);
	assert_int_equal(rec.spec.memory.limit, 64 * MB);
	assert_int_equal(lmc_mgr_spec(f->m, "job", &got, NULL, &err), 0);
	assert_int_equal(got.memory.limit, 64 * MB);
}

/* ---- destroy ---- */

static void test_destroy(void **state)
{
	struct fx *f = *state;
	struct lmc_spec s = limits(64 * MB, 500, 16);
	struct lmc_err err = {0};

	create_ok(f, "job", &s);
	s = limits(16 * MB, LMC_UNSET, 4);
	create_ok(f, "job/a", &s);
	create_ok(f, "job/b", &s);
	create_ok(f, "job/b/c", &s);

	/* with children and without -r: refused, nothing removed */
	assert_int_equal(lmc_mgr_destroy(f->m, "job", false, &err), -ENOTEMPTY);
	assert_msg(&err, "job: has 2 child containers");
	assert_dirs(f, "job/b/c", true);
	assert_true(record(f, "job/b/c", NULL));

	assert_int_equal(lmc_mgr_destroy(f->m, "job/a", false, &err), 0);
	assert_dirs(f, "job/a", false);
	assert_false(record(f, "job/a", NULL));
	assert_dirs(f, "job/b", true);

	assert_int_equal(lmc_mgr_destroy(f->m, "job", true, &err), 0);
	assert_dirs(f, "job", false);
	assert_false(record(f, "job", NULL));
	assert_false(record(f, "job/b", NULL));
	assert_false(record(f, "job/b/c", NULL));
	assert_dirs(f, "", true); /* lmctl's root stays */
	assert_int_equal(lmc_mgr_spec(f->m, "job/b", NULL, NULL, &err), -ENOENT);

	/* the name is free again, with fresh files */
	s = limits(8 * MB, LMC_UNSET, LMC_UNSET);
	create_ok(f, "job", &s);
	assert_mem(f, "job", "8388608");
	assert_false(has(f, "pids", "job/pids.max"));
}

/* What a create stored is what the next open finds. */
static void test_reopen(void **state)
{
	struct fx *f = *state;
	struct lmc_spec s = limits(64 * MB, 500, 16), got;
	struct lmc_err err = {0};

	create_ok(f, "job", &s);
	create_ok(f, "job/a", &s);
	lmc_mgr_free(f->m);
	f->m = NULL;
	if (mgr_open(f, &err) < 0)
		fail_msg("reopen: %s", err.msg);
	assert_int_equal(lmc_mgr_spec(f->m, "job/a", &got, NULL, &err), 0);
	assert_int_equal(got.pids.limit, 16);
	assert_int_equal(lmc_mgr_destroy(f->m, "job", true, &err), 0);
	assert_dirs(f, "job", false);
}

static int mgr_open_scoped(struct fx *f, const char *scope, struct lmc_err *err)
{
	struct lmc_cgfs_opts co = {.fake_fsroot = f->cg, .fake_mode = f->mode};
	struct lmc_manager_opts o = {
		.state_dir = f->state, .cgroup_root = "lmctl", .cgfs = &co, .scope = scope};

	lmc_mgr_free(f->m);
	f->m = NULL;
	return lmc_mgr_open(&o, &f->m, err);
}

/* An open for one leaf (a run in direct mode) reads its path only; one for a container
 * with children, a name that has no record, or a path with a record in flight reads
 * everything (and finishes what is in flight), as an open without a scope does. */
static void test_open_scoped(void **state)
{
	struct fx *f = *state;
	struct lmc_spec s = limits(64 * MB, 500, 16), got;
	struct lmc_store_opts so = {.dir = f->state, .lock = true};
	struct lmc_store *st = NULL;
	struct lmc_record rec;
	struct lmc_err err = {0};

	create_ok(f, "job", &s);
	create_ok(f, "job/a", &s);
	create_ok(f, "job/b", &s);
	create_ok(f, "other", &s);
	assert_int_equal(lmc_mgr_count(f->m), 4);

	assert_int_equal(mgr_open_scoped(f, "job/a", &err), 0);
	assert_int_equal(lmc_mgr_count(f->m), 2); /* job and job/a */
	assert_int_equal(lmc_mgr_spec(f->m, "job/a", &got, NULL, &err), 0);
	assert_int_equal(got.pids.limit, 16);
	assert_int_equal(lmc_mgr_spec(f->m, "other", NULL, NULL, NULL), -ENOENT);

	assert_int_equal(mgr_open_scoped(f, "job", &err), 0); /* has children */
	assert_int_equal(lmc_mgr_count(f->m), 4);
	assert_int_equal(mgr_open_scoped(f, "job/zz", &err), 0); /* no such container */
	assert_int_equal(lmc_mgr_count(f->m), 4);

	/* job/a's record in flight (an update a kill -9 interrupted): everything is read and
	 * the update finished, the record ready again */
	lmc_mgr_free(f->m);
	f->m = NULL;
	assert_int_equal(lmc_store_open(&so, &st, NULL), 0);
	assert_int_equal(lmc_store_get(st, "job/a", &rec), 0);
	rec.state = LMC_REC_UPDATING;
	rec.spec.pids.limit = 12;
	assert_int_equal(lmc_store_put(st, &rec, NULL), 0);
	lmc_store_free(st);
	assert_int_equal(mgr_open_scoped(f, "job/a", &err), 0);
	assert_int_equal(lmc_mgr_count(f->m), 4);
	assert_true(record(f, "job/a", &rec));
	assert_int_equal(rec.state, LMC_REC_READY);
	assert_pids(f, "job/a", "12");
	assert_int_equal(mgr_open_scoped(f, "job/a", &err), 0); /* ready: the path again */
	assert_int_equal(lmc_mgr_count(f->m), 2);
}

/* ---- kill -9 part way: the next open finishes or undoes it ---- */

/* Run op in a child of the test that SIGKILLs itself at its first write of file, on the
 * fixture's manager (inherited with its lock); then the test's own copy is closed and the
 * manager opened again, as the next lmctl or lmctld would. */
static void crash_in(struct fx *f, const char *file, void (*op)(struct fx *f))
{
	struct lmc_err err = {0};
	int st = 0;
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		crash_file = file;
		op(f);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL)
		fail_msg("the operation ended before its write of %s", file);
	lmc_mgr_free(f->m);
	f->m = NULL;
	if (mgr_open(f, &err) < 0)
		fail_msg("open after the kill: %s", err.msg);
}

static void note_cb(const char *name, const char *what, void *userdata)
{
	char *buf = userdata;
	size_t len = strlen(buf);

	snprintf(buf + len, 1024 - len, "%s: %s\n", name, what);
}

static void op_create(struct fx *f)
{
	struct lmc_spec s = limits(64 * MB, 500, 16);

	lmc_mgr_create(f->m, "job", &s, NULL);
}

static void test_crash_in_create(void **state)
{
	struct fx *f = *state;

	crash_in(f, "pids.max", op_create);
	assert_dirs(f, "job", false);
	assert_false(record(f, "job", NULL));
	assert_int_equal(lmc_mgr_spec(f->m, "job", NULL, NULL, NULL), -ENOENT);
}

static void op_update(struct fx *f)
{
	struct lmc_spec u = limits(128 * MB, LMC_UNSET, 32);

	lmc_mgr_update(f->m, "job", &u, false, NULL);
}

/* Killed between the update's memory and pids writes: the stored spec is applied again. */
static void test_crash_in_update(void **state)
{
	struct fx *f = *state;
	struct lmc_spec s = limits(64 * MB, 500, 16), got;
	struct lmc_record rec;
	char notes[1024] = "";

	create_ok(f, "job", &s);
	crash_in(f, "pids.max", op_update);
	assert_mem(f, "job", "134217728");
	assert_pids(f, "job", "32");
	assert_true(record(f, "job", &rec));
	assert_int_equal(rec.state, LMC_REC_READY);
	assert_int_equal(rec.spec.pids.limit, 32);
	assert_int_equal(lmc_mgr_spec(f->m, "job", &got, NULL, NULL), 0);
	assert_int_equal(got.memory.limit, 128 * MB);
	lmc_mgr_notes(f->m, note_cb, notes);
	if (!strstr(notes, "job: an update was interrupted"))
		fail_msg("notes: '%s'", notes);
}

static void op_destroy(struct fx *f)
{
	lmc_mgr_destroy(f->m, "job", true, NULL);
}

/* Killed at the destroy's kill (cgroup.kill on v2, the v1 freezer otherwise): the next open
 * completes it. */
static void test_crash_in_destroy(void **state)
{
	struct fx *f = *state;
	struct lmc_spec s = limits(64 * MB, 500, 16);

	create_ok(f, "job", &s);
	create_ok(f, "job/a", &s);
	crash_in(f, f->mode == LMC_CG_V2 ? "cgroup.kill" : "freezer.state", op_destroy);
	assert_dirs(f, "job", false);
	assert_false(record(f, "job", NULL));
	assert_false(record(f, "job/a", NULL));
	assert_int_equal(lmc_mgr_spec(f->m, "job/a", NULL, NULL, NULL), -ENOENT);
}

/* ---- run: a process placed by cgroup.procs ---- */

/* The fake kernel forgets a process once it has been reaped (see the opening comment). */
static void clear_procs(const struct fx *f, const char *name)
{
	char rel[128];

	snprintf(rel, sizeof(rel), "%s/cgroup.procs", name);
	for (const char *const *h = hiers(f); *h; h++)
		if (has(f, *h, rel))
			put(f, *h, rel, "");
}

/* Every hierarchy's cgroup.procs of name lists just pid. */
static void assert_procs(const struct fx *f, const char *name, pid_t pid)
{
	char rel[128], want[32];

	snprintf(rel, sizeof(rel), "%s/cgroup.procs", name);
	snprintf(want, sizeof(want), "%d", (int)pid);
	for (const char *const *h = hiers(f); *h; h++)
		assert_string_equal(get(f, *h, rel), want);
}

static int run(struct fx *f, const char *name, const char *const *argv, int in, int out,
	       pid_t *ret_pid, int *ret_pidfd, struct lmc_err *err)
{
	struct lmc_run_opts o = {.argv = argv, .stdio = {in, out, -1}};

	return lmc_mgr_run(f->m, name, &o, ret_pid, ret_pidfd, err);
}

/* The process was in its cgroups before it ran anything: it prints its pid and then what the
 * pids hierarchy's cgroup.procs of its container held; its exit status comes back. */
static void test_run_placed(void **state)
{
	struct fx *f = *state;
	struct lmc_spec s = limits(64 * MB, LMC_UNSET, 4);
	struct lmc_err err = {0};
	char procs[512], script[600], out[128] = "", want[64];
	const char *argv[] = {"/bin/sh", "-c", script, NULL};
	int pfd[2], pidfd = -1, status = -1;
	pid_t pid = 0;
	ssize_t n;

	create_ok(f, "job", &s);
	put(f, "pids", "job/pids.current", "0\n"); /* the fake kernel's count */
	fpath(f, "pids", "job/cgroup.procs", procs, sizeof(procs));
	snprintf(script, sizeof(script), "echo $$; cat %s; exit 7", procs);
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	if (run(f, "job", argv, -1, pfd[1], &pid, &pidfd, &err) < 0)
		fail_msg("run: %s", err.msg);
	close(pfd[1]);
	assert_true(lmc_ns_wait(pid, pidfd, 10000, &status) >= 0);
	close(pidfd);
	n = read(pfd[0], out, sizeof(out) - 1);
	close(pfd[0]);
	out[n > 0 ? n : 0] = '\0';
	assert_procs(f, "job", pid);
	clear_procs(f, "job");
	assert_int_equal(status, 7);
	snprintf(want, sizeof(want), "%d\n%d", (int)pid, (int)pid);
	assert_string_equal(out, want);
	assert_int_equal(lmc_mgr_destroy(f->m, "job", false, &err), 0);
	assert_dirs(f, "job", false);
}

/* While a process is listed: a destroy without -r and a child are refused, a signal reaches
 * it through cgroup.procs. */
static void test_run_busy_and_kill(void **state)
{
	struct fx *f = *state;
	struct lmc_spec s = limits(64 * MB, LMC_UNSET, LMC_UNSET);
	struct lmc_err err = {0};
	const char *argv[] = {"/bin/cat", NULL};
	int in[2], pidfd = -1, status = -1;
	pid_t pid = 0;

	create_ok(f, "job", &s);
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	if (run(f, "job", argv, in[0], -1, &pid, &pidfd, &err) < 0)
		fail_msg("run: %s", err.msg);
	close(in[0]);
	assert_procs(f, "job", pid);
	assert_int_equal(lmc_mgr_destroy(f->m, "job", false, &err), -EBUSY);
	assert_msg(&err, "job: holds processes");
	assert_int_equal(lmc_mgr_create(f->m, "job/sub", &s, &err), -EBUSY);
	assert_msg(&err, "job/sub: parent job holds processes");
	assert_dirs(f, "job/sub", false);
	assert_int_equal(lmc_mgr_kill(f->m, "job", SIGTERM, false, &err), 0);
	close(in[1]); /* cat ends at end of input anyway: nothing outlives the test */
	assert_true(lmc_ns_wait(pid, pidfd, 10000, &status) >= 0);
	close(pidfd);
	clear_procs(f, "job");
	assert_int_equal(status, 128 + SIGTERM);
	assert_dirs(f, "job", true);
}

/* Refused before anything starts: a run that would pass the pids limit (the kernel does not
 * check a move against it), a run into a container with children. */
static void test_run_refused(void **state)
{
	struct fx *f = *state;
	struct lmc_spec s = limits(LMC_UNSET, LMC_UNSET, 1);
	struct lmc_err err = {0};
	const char *argv[] = {"/bin/true", NULL};
	int pidfd = -1;
	pid_t pid = 0;

	create_ok(f, "job", &s);
	put(f, "pids", "job/pids.current", "1\n");
	assert_int_equal(run(f, "job", argv, -1, -1, &pid, &pidfd, &err), -EAGAIN);
	assert_msg(&err, "job: run would exceed the pids limit 1 set by job");
	assert_false(has(f, "pids", "job/cgroup.procs"));
	s = limits(LMC_UNSET, LMC_UNSET, LMC_UNSET);
	create_ok(f, "job/a", &s);
	assert_int_equal(run(f, "job", argv, -1, -1, &pid, &pidfd, &err), -EISDIR);
	assert_msg(&err, "job: has child containers");
	assert_int_equal(pidfd, -1);
}

/* ---- a v1 threshold registered off the caller's thread (core/events.c) ---- */

static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t hold_cond = PTHREAD_COND_INITIALIZER;
static int holding, held;

static void hold_job(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&hold_lock);
	held++;
	pthread_cond_broadcast(&hold_cond);
	while (holding)
		pthread_cond_wait(&hold_cond, &hold_lock);
	held--;
	pthread_mutex_unlock(&hold_lock);
}

/* Every background thread busy (base/bg.h) until release_bg: what is queued meanwhile waits. */
static void hold_bg(void)
{
	struct timespec until;

	pthread_mutex_lock(&hold_lock);
	holding = 1;
	pthread_mutex_unlock(&hold_lock);
	for (int i = 0; i < LMC_BG_THREADS; i++)
		lmc_bg_run(hold_job, NULL);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&hold_lock);
	while (held < LMC_BG_THREADS &&
	       pthread_cond_timedwait(&hold_cond, &hold_lock, &until) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&hold_lock);
	assert_int_equal(held, LMC_BG_THREADS);
}

static void release_bg(void)
{
	pthread_mutex_lock(&hold_lock);
	holding = 0;
	pthread_cond_broadcast(&hold_cond);
	pthread_mutex_unlock(&hold_lock);
	lmc_bg_flush();
}

/* Usage crosses the threshold (to after) between the source's open (at before) and its
 * registration; the fake kernel counts no crossing: the registration's report alone must
 * tell it, in its direction, once. */
static void arm_across(struct fx *f, const char *before, const char *after, int direction)
{
	struct lmc_evsrc *src = NULL;
	struct lmc_err err = {0};
	bool fired = false;
	uint64_t v = 0;

	put(f, "memory", "th/memory.usage_in_bytes", before);
	hold_bg();
	if (lmc_mgr_events_open(f->m, "th", LMC_EVK_THRESHOLD, 4096, &src, &err) < 0) {
		release_bg();
		fail_msg("open: %s", err.msg);
	}
	put(f, "memory", "th/memory.usage_in_bytes", after);
	assert_int_equal(lmc_events_read(src, &fired, &v), 0); /* nothing yet: arming */
	assert_false(fired);
	release_bg();
	assert_int_equal(lmc_events_read(src, &fired, &v), 0);
	assert_true(fired);
	assert_int_equal(v, strtoull(after, NULL, 10));
	assert_int_equal(lmc_events_direction(src), direction);
	assert_false(lmc_events_more(src));
	/* the registration reached the kernel's file: "<eventfd> <usage fd> 4096" */
	assert_non_null(strstr(get(f, "memory", "th/cgroup.event_control"), " 4096"));
	assert_int_equal(lmc_events_read(src, &fired, &v), 0);
	assert_false(fired);
	lmc_events_free(src);
}

static void test_threshold_arming(void **state)
{
	struct fx *f = *state;
	struct lmc_spec s = limits(64 * MB, 500, 16);
	struct lmc_evsrc *src = NULL;
	struct lmc_err err = {0};
	bool fired = true;
	uint64_t v = 0;

	if (f->mode == LMC_CG_V2)
		return; /* v2 samples the usage on a timer: nothing is registered */
	create_ok(f, "th", &s);
	put(f, "memory", "th/cgroup.event_control", "");
	arm_across(f, "1000\n", "8192\n", 1);
	arm_across(f, "8192\n", "1000\n", -1);
	/* no crossing while arming: nothing to tell */
	put(f, "memory", "th/memory.usage_in_bytes", "1000\n");
	assert_int_equal(lmc_mgr_events_open(f->m, "th", LMC_EVK_THRESHOLD, 4096, &src, &err), 0);
	lmc_bg_flush();
	assert_int_equal(lmc_events_read(src, &fired, &v), 0);
	assert_false(fired);
	lmc_events_free(src);
}

static const struct {
	const char *name;
	CMUnitTestFunction fn;
} cases[] = {
	{"test_create_limits", test_create_limits},
	{"test_refuse_above_parent", test_refuse_above_parent},
	{"test_refuse_bad_requests", test_refuse_bad_requests},
	{"test_create_fails_half_way", test_create_fails_half_way},
	{"test_create_fails_mkdir", test_create_fails_mkdir},
	{"test_update", test_update},
	{"test_update_fails_half_way", test_update_fails_half_way},
	{"test_destroy", test_destroy},
	{"test_reopen", test_reopen},
	{"test_open_scoped", test_open_scoped},
	{"test_crash_in_create", test_crash_in_create},
	{"test_crash_in_update", test_crash_in_update},
	{"test_crash_in_destroy", test_crash_in_destroy},
	{"test_run_placed", test_run_placed},
	{"test_run_busy_and_kill", test_run_busy_and_kill},
	{"test_run_refused", test_run_refused},
	{"test_threshold_arming", test_threshold_arming},
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* Each case in every layout, named for it. */
int main(void)
{
	static char names[3 * N_CASES][64];
	struct CMUnitTest tests[3 * N_CASES];

	for (size_t i = 0; i < 3 * N_CASES; i++) {
		const enum lmc_cg_mode *mode = &modes[i % 3];

		snprintf(names[i], sizeof(names[i]), "%s (%s)", cases[i / 3].name,
			 lmc_cg_mode_name(*mode));
		tests[i] = (struct CMUnitTest){names[i], cases[i / 3].fn, setup, teardown,
					       (void *)mode};
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
