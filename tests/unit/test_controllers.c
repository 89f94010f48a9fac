/* Controllers against a fake cgroupfs (a temporary directory in the v1/hybrid or v2 layout):
 * which file gets which value, what is never written, the v1 <-> v2 conversions, the v1 memsw
 * write order, refusals, and stats parsed from files laid out as the kernel writes them.
 * Over 800 lines: the fake layouts' files are written out in full, as the kernel has them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "controllers/controller.h"
#include "tests/lib/tmpdir.h"

#define NAME "jobA/sub1"
#define G (UINT64_C(1) << 30)
#define MB (UINT64_C(1) << 20)

struct fx {
	char dir[64];
	struct lmc_cgfs *cg;
};

static char *path_of(struct fx *x, enum lmc_ctrl c, const char *name, const char *file)
{
	static char bufs[4][PATH_MAX + 128];
	static int i;
	char *b = bufs[i++ % 4];
	char dir[PATH_MAX - 128];

	assert_int_equal(lmc_cgfs_path(x->cg, c, name, dir, sizeof(dir)), 0);
	snprintf(b, PATH_MAX + 128, "%s%s%s", dir, file ? "/" : "", file ? file : "");
	return b;
}

static void put(struct fx *x, enum lmc_ctrl c, const char *name, const char *file, const char *val)
{
	FILE *f = fopen(path_of(x, c, name, file), "w");

	assert_non_null(f);
	fputs(val, f);
	fclose(f);
}

/* The file's content without its trailing newline, or NULL if it does not exist. */
static const char *get(struct fx *x, enum lmc_ctrl c, const char *name, const char *file)
{
	static char bufs[4][4096];
	static int i;
	char *b = bufs[i++ % 4];
	FILE *f = fopen(path_of(x, c, name, file), "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(b, 1, 4095, f);
	fclose(f);
	b[n] = '\0';
	b[strcspn(b, "\n")] = '\0';
	return b;
}

static int setup_mode(void **state, enum lmc_cg_mode mode)
{
	struct fx *x = calloc(1, sizeof(*x));
	struct lmc_cgfs_opts o = {.fake_mode = mode, .create_root = true};
	struct lmc_err err = {0};

	assert_non_null(x);
	snprintf(x->dir, sizeof(x->dir), "/tmp/lmctl-test-ctrl-XXXXXX");
	assert_non_null(mkdtemp(x->dir));
	o.fake_fsroot = x->dir;
	assert_int_equal(lmc_cgfs_open(&o, &x->cg, &err), 0);
	/* lmctl's root hands out cpus 0-3 and node 0 */
	put(x, LMC_CTRL_CPUSET, "", "cpuset.effective_cpus", "0-3\n");
	put(x, LMC_CTRL_CPUSET, "", "cpuset.effective_mems", "0\n");
	assert_int_equal(lmc_cgfs_create(x->cg, "jobA", &err), 0);
	put(x, LMC_CTRL_CPUSET, "jobA", "cpuset.effective_cpus", "0-3\n");
	put(x, LMC_CTRL_CPUSET, "jobA", "cpuset.effective_mems", "0\n");
	assert_int_equal(lmc_cgfs_create(x->cg, NAME, &err), 0);
	*state = x;
	return 0;
}

static int setup_v1(void **state)
{
	return setup_mode(state, LMC_CG_V1);
}

static int setup_hybrid(void **state)
{
	return setup_mode(state, LMC_CG_HYBRID);
}

static int setup_v2(void **state)
{
	return setup_mode(state, LMC_CG_V2);
}

static int teardown(void **state)
{
	struct fx *x = *state;

	lmc_cgfs_free(x->cg);
	lmc_test_rm_rf(x->dir);
	free(x);
	return 0;
}

/* Every field set (memory-high and oom-group only where v2 allows them). */
static void full_spec(struct lmc_spec *s, bool v2)
{
	struct lmc_throttle *t = &s->blkio.throttles[0];

	lmc_spec_init(s);
	s->cpu.reservation_m = 1000;
	s->cpu.limit_m = 1500;
	snprintf(s->cpu.cpus, sizeof(s->cpu.cpus), "0-1");
	snprintf(s->cpu.mems, sizeof(s->cpu.mems), "0");
	s->memory.limit = 1 * G;
	s->memory.reservation = 256 * MB;
	s->memory.swap = 2 * G;
	if (v2) {
		s->memory.high = 768 * MB;
		s->memory.oom_group = 1;
	}
	s->pids.limit = 64;
	s->blkio.weight = 200;
	s->blkio.n_throttles = 1;
	t->major = 8;
	t->minor = 0;
	snprintf(t->path, sizeof(t->path), "/dev/vda");
	t->read_bps = t->write_bps = t->read_iops = t->write_iops = LMC_UNSET;
	t->read_bps = 10 * MB;
	t->write_iops = 100;
}

/* All files of the container in every hierarchy, with their content, as one string. */
static void snapshot(struct fx *x, const char *name, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (int c = 0; c < LMC_CTRL__MAX; c++) {
		struct dirent **ents;
		int k;

		if (!lmc_cgfs_has(x->cg, c))
			continue;
		k = scandir(path_of(x, c, name, NULL), &ents, NULL, alphasort);
		assert_true(k >= 0);
		for (int i = 0; i < k; i++) {
			const char *v = ents[i]->d_type == DT_REG ? get(x, c, name, ents[i]->d_name)
								  : "(dir)";

			n += snprintf(out + n, size - n, "%d/%s=%s;", c, ents[i]->d_name, v);
			free(ents[i]);
		}
		free(ents);
	}
	assert_true(n < size);
}

static void test_conv_shares(void **state)
{
	(void)state;
	assert_int_equal(lmc_conv_shares_to_weight(2), 1);
	assert_int_equal(lmc_conv_shares_to_weight(1024), 100);
	assert_int_equal(lmc_conv_shares_to_weight(262144), 10000);
	/* clamped outside 2..262144 */
	assert_int_equal(lmc_conv_shares_to_weight(1), 1);
	assert_int_equal(lmc_conv_shares_to_weight(1000000), 10000);
	/* between the known points, what crun's libm computation gives */
	assert_int_equal(lmc_conv_shares_to_weight(3), 2);
	assert_int_equal(lmc_conv_shares_to_weight(10), 4);
	assert_int_equal(lmc_conv_shares_to_weight(100), 17);
	assert_int_equal(lmc_conv_shares_to_weight(512), 59);
	assert_int_equal(lmc_conv_shares_to_weight(4096), 303);
	assert_int_equal(lmc_conv_shares_to_weight(50000), 2402);
	/* monotonic over the whole range */
	for (uint64_t s = 3, prev = 1; s <= 262144; s += 97) {
		uint64_t w = lmc_conv_shares_to_weight(s);

		assert_true(w >= prev);
		prev = w;
	}
}

static void test_conv_blkio(void **state)
{
	(void)state;
	assert_int_equal(lmc_conv_blkio_to_io_weight(10), 1);
	assert_int_equal(lmc_conv_blkio_to_io_weight(100), 910);
	assert_int_equal(lmc_conv_blkio_to_io_weight(200), 1920);
	assert_int_equal(lmc_conv_blkio_to_io_weight(500), 4950);
	assert_int_equal(lmc_conv_blkio_to_io_weight(1000), 10000);
}

static void test_v1_full(void **state)
{
	struct fx *x = *state;
	struct lmc_spec s;
	struct lmc_err err = {0};

	full_spec(&s, false);
	put(x, LMC_CTRL_MEMORY, NAME, "memory.memsw.limit_in_bytes", "9223372036854771712\n");
	assert_int_equal(lmc_controller_apply_all(x->cg, NAME, &s, NULL, &err), 0);
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.shares"), "1024");
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.cfs_period_us"), "100000");
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.cfs_quota_us"), "150000");
	assert_null(get(x, LMC_CTRL_CPU, NAME, "cpu.weight"));
	assert_null(get(x, LMC_CTRL_CPU, NAME, "cpu.max"));
	assert_string_equal(get(x, LMC_CTRL_MEMORY, NAME, "memory.limit_in_bytes"), "1073741824");
	assert_string_equal(get(x, LMC_CTRL_MEMORY, NAME, "memory.soft_limit_in_bytes"),
			    "268435456");
	assert_string_equal(get(x, LMC_CTRL_MEMORY, NAME, "memory.memsw.limit_in_bytes"),
			    "2147483648");
	assert_null(get(x, LMC_CTRL_MEMORY, NAME, "memory.max"));
	assert_string_equal(get(x, LMC_CTRL_PIDS, NAME, "pids.max"), "64");
	assert_string_equal(get(x, LMC_CTRL_BLKIO, NAME, "blkio.weight"), "200");
	assert_string_equal(get(x, LMC_CTRL_BLKIO, NAME, "blkio.throttle.read_bps_device"),
			    "8:0 10485760");
	assert_string_equal(get(x, LMC_CTRL_BLKIO, NAME, "blkio.throttle.write_iops_device"),
			    "8:0 100");
	assert_null(get(x, LMC_CTRL_BLKIO, NAME, "blkio.throttle.write_bps_device"));
	assert_null(get(x, LMC_CTRL_BLKIO, NAME, "blkio.throttle.read_iops_device"));
	assert_string_equal(get(x, LMC_CTRL_CPUSET, NAME, "cpuset.cpus"), "0-1");
	assert_string_equal(get(x, LMC_CTRL_CPUSET, NAME, "cpuset.mems"), "0");
}

static void test_v1_bfq_and_period(void **state)
{
	struct fx *x = *state;
	struct lmc_spec s;
	struct lmc_err err = {0};

	lmc_spec_init(&s);
	s.blkio.weight = 300;
	s.cpu.limit_m = 5; /* 5m of a 100ms period is 500us: raised to the 1ms minimum */
	s.cpu.latency = LMC_LATENCY_BATCH;
	put(x, LMC_CTRL_BLKIO, NAME, "blkio.bfq.weight", "100\n");
	assert_int_equal(lmc_controller_apply_all(x->cg, NAME, &s, NULL, &err), 0);
	assert_string_equal(get(x, LMC_CTRL_BLKIO, NAME, "blkio.bfq.weight"), "300");
	assert_null(get(x, LMC_CTRL_BLKIO, NAME, "blkio.weight"));
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.cfs_quota_us"), "1000");
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.shares"), "2");

	s.cpu.limit_m = 2000;
	s.cpu.period_us = 50000;
	assert_int_equal(lmc_controller_apply_all(x->cg, NAME, &s, NULL, &err), 0);
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.cfs_period_us"), "50000");
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.cfs_quota_us"), "100000");
}

static void test_v2_full(void **state)
{
	struct fx *x = *state;
	struct lmc_spec s;
	struct lmc_err err = {0};

	full_spec(&s, true);
	put(x, LMC_CTRL_MEMORY, NAME, "memory.swap.max", "max\n");
	assert_int_equal(lmc_controller_apply_all(x->cg, NAME, &s, NULL, &err), 0);
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.weight"), "100");
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.max"), "150000 100000");
	assert_null(get(x, LMC_CTRL_CPU, NAME, "cpu.shares"));
	assert_null(get(x, LMC_CTRL_CPU, NAME, "cpu.cfs_quota_us"));
	assert_null(get(x, LMC_CTRL_CPU, NAME, "cpu.max.burst"));
	assert_string_equal(get(x, LMC_CTRL_MEMORY, NAME, "memory.max"), "1073741824");
	assert_string_equal(get(x, LMC_CTRL_MEMORY, NAME, "memory.low"), "268435456");
	assert_string_equal(get(x, LMC_CTRL_MEMORY, NAME, "memory.high"), "805306368");
	/* 2G memory+swap over a 1G limit: 1G of swap */
	assert_string_equal(get(x, LMC_CTRL_MEMORY, NAME, "memory.swap.max"), "1073741824");
	assert_string_equal(get(x, LMC_CTRL_MEMORY, NAME, "memory.oom.group"), "1");
	assert_null(get(x, LMC_CTRL_MEMORY, NAME, "memory.limit_in_bytes"));
	assert_string_equal(get(x, LMC_CTRL_PIDS, NAME, "pids.max"), "64");
	assert_string_equal(get(x, LMC_CTRL_BLKIO, NAME, "io.weight"), "default 1920");
	assert_string_equal(get(x, LMC_CTRL_BLKIO, NAME, "io.max"), "8:0 rbps=10485760 wiops=100");
	assert_null(get(x, LMC_CTRL_BLKIO, NAME, "blkio.weight"));
	assert_string_equal(get(x, LMC_CTRL_CPUSET, NAME, "cpuset.cpus"), "0-1");
	assert_string_equal(get(x, LMC_CTRL_CPUSET, NAME, "cpuset.mems"), "0");

	/* explicit shares convert; a 2-core limit over a 50ms period */
	s.cpu.shares = 262144;
	s.cpu.limit_m = 2000;
	s.cpu.period_us = 50000;
	assert_int_equal(lmc_controller_apply_all(x->cg, NAME, &s, NULL, &err), 0);
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.weight"), "10000");
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.max"), "100000 50000");
}

static void check_nothing_written(struct fx *x)
{
	static char before[16384], after[16384];
	struct lmc_spec s;
	struct lmc_err err = {0};

	lmc_spec_init(&s);
	snapshot(x, NAME, before, sizeof(before));
	assert_int_equal(lmc_controller_apply_all(x->cg, NAME, &s, NULL, &err), 0);
	/* an update from an empty spec to an empty spec clears nothing either */
	assert_int_equal(lmc_controller_apply_all(x->cg, NAME, &s, &s, &err), 0);
	snapshot(x, NAME, after, sizeof(after));
	assert_string_equal(before, after);

	/* one field: one file */
	s.pids.limit = 10;
	assert_int_equal(lmc_controller_apply_all(x->cg, NAME, &s, NULL, &err), 0);
	snapshot(x, NAME, after, sizeof(after));
	assert_string_not_equal(before, after);
	put(x, LMC_CTRL_PIDS, NAME, "pids.max", "");
	remove(path_of(x, LMC_CTRL_PIDS, NAME, "pids.max"));
	snapshot(x, NAME, after, sizeof(after));
	assert_string_equal(before, after);
}

static void test_unset_v1(void **state)
{
	check_nothing_written(*state);
}

static void test_unset_v2(void **state)
{
	check_nothing_written(*state);
}

static void test_clear_v1(void **state)
{
	struct fx *x = *state;
	struct lmc_spec old, s;
	struct lmc_err err = {0};

	full_spec(&old, false);
	put(x, LMC_CTRL_MEMORY, NAME, "memory.memsw.limit_in_bytes", "9223372036854771712\n");
	assert_int_equal(lmc_controller_apply_all(x->cg, NAME, &old, NULL, &err), 0);
	lmc_spec_init(&s);
	assert_int_equal(lmc_controller_apply_all(x->cg, NAME, &s, &old, &err), 0);
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.shares"), "1024");
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.cfs_quota_us"), "-1");
	assert_string_equal(get(x, LMC_CTRL_MEMORY, NAME, "memory.limit_in_bytes"), "-1");
	assert_string_equal(get(x, LMC_CTRL_MEMORY, NAME, "memory.memsw.limit_in_bytes"), "-1");
	assert_string_equal(get(x, LMC_CTRL_MEMORY, NAME, "memory.soft_limit_in_bytes"), "-1");
	assert_string_equal(get(x, LMC_CTRL_PIDS, NAME, "pids.max"), "max");
	assert_string_equal(get(x, LMC_CTRL_BLKIO, NAME, "blkio.weight"), "500");
	assert_string_equal(get(x, LMC_CTRL_BLKIO, NAME, "blkio.throttle.read_bps_device"),
			    "8:0 0");
	assert_string_equal(get(x, LMC_CTRL_BLKIO, NAME, "blkio.throttle.write_iops_device"),
			    "8:0 0");
	/* v1 cpuset cannot be empty: the parent's set comes back */
	assert_string_equal(get(x, LMC_CTRL_CPUSET, NAME, "cpuset.cpus"), "0-3");
	assert_string_equal(get(x, LMC_CTRL_CPUSET, NAME, "cpuset.mems"), "0");
}

static void test_clear_v2(void **state)
{
	struct fx *x = *state;
	struct lmc_spec old, s;
	struct lmc_err err = {0};

	full_spec(&old, true);
	put(x, LMC_CTRL_MEMORY, NAME, "memory.swap.max", "max\n");
	assert_int_equal(lmc_controller_apply_all(x->cg, NAME, &old, NULL, &err), 0);
	/* keep one device rate: only the other one is lifted */
	lmc_spec_init(&s);
	s.blkio.n_throttles = 1;
	s.blkio.throttles[0] = old.blkio.throttles[0];
	s.blkio.throttles[0].write_iops = LMC_UNSET;
	assert_int_equal(lmc_controller_apply_all(x->cg, NAME, &s, &old, &err), 0);
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.weight"), "100");
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.max"), "max 100000");
	assert_string_equal(get(x, LMC_CTRL_MEMORY, NAME, "memory.max"), "max");
	assert_string_equal(get(x, LMC_CTRL_MEMORY, NAME, "memory.low"), "0");
	assert_string_equal(get(x, LMC_CTRL_MEMORY, NAME, "memory.high"), "max");
	assert_string_equal(get(x, LMC_CTRL_MEMORY, NAME, "memory.swap.max"), "max");
	assert_string_equal(get(x, LMC_CTRL_MEMORY, NAME, "memory.oom.group"), "0");
	assert_string_equal(get(x, LMC_CTRL_PIDS, NAME, "pids.max"), "max");
	assert_string_equal(get(x, LMC_CTRL_BLKIO, NAME, "io.weight"), "default 100");
	assert_string_equal(get(x, LMC_CTRL_BLKIO, NAME, "io.max"), "8:0 rbps=10485760 wiops=max");
	assert_string_equal(get(x, LMC_CTRL_CPUSET, NAME, "cpuset.cpus"), "");
}

/* Apply a memory spec with inotify watching the v1 memory directory: the files written, in
 * order, as "a,b,c". */
static void memory_write_order(struct fx *x, uint64_t limit, uint64_t swap,
			       const struct lmc_spec *old, char *out, size_t size)
{
	char ev[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct lmc_spec s;
	struct lmc_err err = {0};
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	assert_true(inotify_add_watch(fd, path_of(x, LMC_CTRL_MEMORY, NAME, NULL),
				      IN_CLOSE_WRITE) >= 0);
	lmc_spec_init(&s);
	s.memory.limit = limit;
	s.memory.swap = swap;
	assert_int_equal(lmc_controller_apply_all(x->cg, NAME, &s, old, &err), 0);
	n = read(fd, ev, sizeof(ev));
	assert_true(n > 0);
	out[0] = '\0';
	for (char *p = ev; p < ev + n;) {
		struct inotify_event *e = (struct inotify_event *)p;

		snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? "," : "", e->name);
		p += sizeof(*e) + e->len;
	}
	close(fd);
}

static void test_memsw_order(void **state)
{
	struct fx *x = *state;
	struct lmc_spec old;
	char order[512];

	/* now: limit 512M, memsw 1G */
	put(x, LMC_CTRL_MEMORY, NAME, "memory.limit_in_bytes", "536870912\n");
	put(x, LMC_CTRL_MEMORY, NAME, "memory.memsw.limit_in_bytes", "1073741824\n");
	lmc_spec_init(&old);
	old.memory.limit = 512 * MB;
	old.memory.swap = 1 * G;

	/* raising both: memsw first, else the new limit would sit above the old memsw */
	memory_write_order(x, 2 * G, 3 * G, &old, order, sizeof(order));
	assert_string_equal(order, "memory.memsw.limit_in_bytes,memory.limit_in_bytes");
	assert_string_equal(get(x, LMC_CTRL_MEMORY, NAME, "memory.memsw.limit_in_bytes"),
			    "3221225472");

	/* lowering both: limit first, else the new memsw would sit below the old limit */
	old.memory.limit = 2 * G;
	old.memory.swap = 3 * G;
	memory_write_order(x, 256 * MB, 512 * MB, &old, order, sizeof(order));
	assert_string_equal(order, "memory.limit_in_bytes,memory.memsw.limit_in_bytes");

	/* a first apply (no old spec) against the kernel's unlimited memsw: limit first */
	put(x, LMC_CTRL_MEMORY, NAME, "memory.memsw.limit_in_bytes", "9223372036854771712\n");
	memory_write_order(x, 1 * G, 2 * G, NULL, order, sizeof(order));
	assert_string_equal(order, "memory.limit_in_bytes,memory.memsw.limit_in_bytes");
}

/* Apply s over old with inotify on the container's directory in every hierarchy: the files
 * written, sorted, as "a,b". */
static void files_written(struct fx *x, const struct lmc_spec *s, const struct lmc_spec *old,
			  char *out, size_t size)
{
	char ev[8192] __attribute__((aligned(__alignof__(struct inotify_event))));
	struct lmc_err err = {0};
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	for (int c = 0; c < LMC_CTRL__MAX; c++)
		if (lmc_cgfs_has(x->cg, c))
			inotify_add_watch(fd, path_of(x, c, NAME, NULL), IN_CLOSE_WRITE);
	assert_int_equal(lmc_controller_apply_all(x->cg, NAME, s, old, &err), 0);
	out[0] = '\0';
	n = read(fd, ev, sizeof(ev));
	for (char *p = ev; n > 0 && p < ev + n;) {
		struct inotify_event *e = (struct inotify_event *)p;

		snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? "," : "", e->name);
		p += sizeof(*e) + e->len;
	}
	close(fd);
}

/* An update writes only the files whose values change (issue 16). */
static void check_update_writes_changes(struct fx *x, bool v2)
{
	struct lmc_spec old, s;
	char w[1024];

	full_spec(&old, v2);
	put(x, LMC_CTRL_MEMORY, NAME, v2 ? "memory.swap.max" : "memory.memsw.limit_in_bytes",
	    "max\n");
	files_written(x, &old, NULL, w, sizeof(w));
	assert_non_null(strstr(w, "pids.max"));
	s = old;
	files_written(x, &s, &old, w, sizeof(w));
	assert_string_equal(w, "");
	s.pids.limit = 65;
	files_written(x, &s, &old, w, sizeof(w));
	assert_string_equal(w, "pids.max");
	assert_string_equal(get(x, LMC_CTRL_PIDS, NAME, "pids.max"), "65");
	old = s;
	s.memory.reservation = 128 * MB;
	files_written(x, &s, &old, w, sizeof(w));
	assert_string_equal(w, v2 ? "memory.low" : "memory.soft_limit_in_bytes");
}

static void test_update_changes_v1(void **state)
{
	struct fx *x = *state;
	struct lmc_spec old, s;
	char w[1024];

	check_update_writes_changes(x, false);
	/* v1: a new period lifts the quota first; the quota is written back even where its
	 * value is the old one (1 core over 100 ms -> 2 cores over 50 ms: 100000 both) */
	lmc_spec_init(&old);
	old.cpu.limit_m = 1000;
	files_written(x, &old, NULL, w, sizeof(w));
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.cfs_quota_us"), "100000");
	s = old;
	s.cpu.limit_m = 2000;
	s.cpu.period_us = 50000;
	files_written(x, &s, &old, w, sizeof(w));
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.cfs_period_us"), "50000");
	assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.cfs_quota_us"), "100000");
}

static void test_update_changes_v2(void **state)
{
	check_update_writes_changes(*state, true);
}

static void expect_refusal(struct fx *x, const struct lmc_spec *s, const char *needle)
{
	static char before[16384], after[16384];
	struct lmc_err err = {0};

	snapshot(x, NAME, before, sizeof(before));
	assert_true(lmc_controller_validate_all(x->cg, NAME, s, &err) < 0);
	assert_true(err.code < 0);
	if (!strstr(err.msg, needle))
		fail_msg("'%s' does not say '%s'", err.msg, needle);
	assert_true(strncmp(err.msg, "jobA/sub1: ", 11) == 0);
	assert_null(strchr(err.msg, '\n'));
	/* refused in validate: nothing of the spec was written */
	snapshot(x, NAME, after, sizeof(after));
	assert_string_equal(before, after);
}

static void test_refusals_v1(void **state)
{
	struct fx *x = *state;
	struct lmc_spec s;

	full_spec(&s, false);
	s.memory.high = 512 * MB;
	put(x, LMC_CTRL_MEMORY, NAME, "memory.memsw.limit_in_bytes", "9223372036854771712\n");
	expect_refusal(x, &s, "memory.high needs cgroup v2");

	full_spec(&s, false);
	s.memory.oom_group = 1;
	expect_refusal(x, &s, "memory.oom_group needs cgroup v2");

	full_spec(&s, false);
	remove(path_of(x, LMC_CTRL_MEMORY, NAME, "memory.memsw.limit_in_bytes"));
	expect_refusal(x, &s, "memory.swap: swap accounting is not enabled on this kernel");

	full_spec(&s, false);
	s.memory.swap = LMC_UNSET;
	snprintf(s.cpu.cpus, sizeof(s.cpu.cpus), "2-5");
	expect_refusal(x, &s, "cpu.cpus 2-5 is not a subset of jobA's cpus '0-3'");

	full_spec(&s, false);
	s.memory.swap = LMC_UNSET;
	snprintf(s.cpu.mems, sizeof(s.cpu.mems), "1");
	expect_refusal(x, &s, "cpu.mems 1 is not a subset of jobA's mems '0'");
}

static void test_refusals_v2(void **state)
{
	struct fx *x = *state;
	struct lmc_spec s;

	/* no memory.swap.max: the kernel has no swap accounting */
	full_spec(&s, true);
	expect_refusal(x, &s, "swap accounting is not enabled");
}

/* A write the kernel refuses: its errno comes back with container, file and value named. */
static void test_write_errors(void **state)
{
	struct fx *x = *state;
	struct lmc_spec s;
	struct lmc_err err = {0};

	lmc_spec_init(&s);
	s.pids.limit = 64;
	/* a directory where the file should be: open(2) fails with EISDIR */
	assert_int_equal(mkdir(path_of(x, LMC_CTRL_PIDS, NAME, "pids.max"), 0755), 0);
	assert_int_equal(lmc_controller_apply_all(x->cg, NAME, &s, NULL, &err), -EISDIR);
	assert_string_equal(err.msg, "jobA/sub1: cannot set pids.max to 64: Is a directory");

	full_spec(&s, false);
	s.memory.swap = LMC_UNSET;
	s.pids.limit = LMC_UNSET;
	lmc_err_clear(&err);
	assert_int_equal(
		mkdir(path_of(x, LMC_CTRL_BLKIO, NAME, "blkio.throttle.read_bps_device"), 0755), 0);
	assert_int_equal(lmc_controller_apply_all(x->cg, NAME, &s, NULL, &err), -EISDIR);
	assert_non_null(strstr(err.msg, "jobA/sub1: "));
	assert_non_null(strstr(err.msg, "blkio.throttles.read_bps"));
	assert_non_null(strstr(err.msg, "/dev/vda"));
	assert_non_null(strstr(err.msg, "8:0 10485760"));
	assert_non_null(strstr(err.msg, "Is a directory"));
}

static void put_psi(struct fx *x, enum lmc_ctrl c)
{
	put(x, c, NAME, "cpu.pressure",
	    "some avg10=1.50 avg60=2.25 avg300=3.00 total=123456\n"
	    "full avg10=0.50 avg60=0.25 avg300=0.00 total=6789\n");
	put(x, c, NAME, "memory.pressure",
	    "some avg10=0.00 avg60=0.00 avg300=0.00 total=11\n"
	    "full avg10=0.00 avg60=0.00 avg300=0.00 total=7\n");
	put(x, c, NAME, "io.pressure",
	    "some avg10=0.10 avg60=0.00 avg300=0.00 total=42\n"
	    "full avg10=0.00 avg60=0.00 avg300=0.00 total=40\n");
}

static void check_psi(const struct lmc_stats *st)
{
	assert_true(st->psi_cpu.present);
	assert_true(st->psi_cpu.some_avg10 > 1.49 && st->psi_cpu.some_avg10 < 1.51);
	assert_true(st->psi_cpu.some_avg60 > 2.24 && st->psi_cpu.some_avg60 < 2.26);
	assert_int_equal(st->psi_cpu.some_total_us, 123456);
	assert_int_equal(st->psi_cpu.full_total_us, 6789);
	assert_true(st->psi_memory.present);
	assert_int_equal(st->psi_memory.full_total_us, 7);
	assert_true(st->psi_io.present);
	assert_int_equal(st->psi_io.some_total_us, 42);
}

static void put_v1_stats(struct fx *x)
{
	put(x, LMC_CTRL_MEMORY, NAME, "memory.usage_in_bytes", "104857600\n");
	put(x, LMC_CTRL_MEMORY, NAME, "memory.max_usage_in_bytes", "209715200\n");
	put(x, LMC_CTRL_MEMORY, NAME, "memory.limit_in_bytes", "9223372036854771712\n");
	put(x, LMC_CTRL_MEMORY, NAME, "memory.failcnt", "3\n");
	put(x, LMC_CTRL_MEMORY, NAME, "memory.stat",
	    "cache 1\nrss 2\nrss_huge 0\nswap 3\ntotal_cache 4096\ntotal_rss 8192\n"
	    "total_rss_huge 0\ntotal_swap 512\n");
	put(x, LMC_CTRL_MEMORY, NAME, "memory.oom_control",
	    "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n");
	put(x, LMC_CTRL_CPU, NAME, "cpu.stat",
	    "nr_periods 100\nnr_throttled 40\nthrottled_time 5000000\nnr_bursts 0\n");
	put(x, LMC_CTRL_CPUACCT, NAME, "cpuacct.usage", "3000000000\n");
	put(x, LMC_CTRL_CPUACCT, NAME, "cpuacct.stat", "user 200\nsystem 100\n");
	put(x, LMC_CTRL_BLKIO, NAME, "blkio.throttle.io_service_bytes_recursive",
	    "8:0 Read 1000\n8:0 Write 2000\n8:0 Sync 3000\n8:0 Async 0\n8:0 Discard 0\n"
	    "8:0 Total 3000\n8:16 Read 10\n8:16 Write 20\n8:16 Total 30\nTotal 3030\n");
	put(x, LMC_CTRL_BLKIO, NAME, "blkio.throttle.io_serviced",
	    "8:0 Read 7\n8:0 Write 9\n8:0 Total 16\nTotal 16\n");
	put(x, LMC_CTRL_PIDS, NAME, "pids.current", "5\n");
	put(x, LMC_CTRL_PIDS, NAME, "pids.max", "max\n");
}

static void check_v1_stats(const struct lmc_stats *st)
{
	assert_int_equal(st->mem_usage, 100 * MB);
	assert_int_equal(st->mem_peak, 200 * MB);
	assert_true(st->mem_limit == LMC_UNSET); /* v1's "unlimited" */
	assert_int_equal(st->mem_failcnt, 3);
	assert_int_equal(st->mem_rss, 8192);
	assert_int_equal(st->mem_cache, 4096);
	assert_int_equal(st->mem_swap, 512);
	assert_int_equal(st->mem_oom_kills, 2);
	assert_int_equal(st->cpu_nr_periods, 100);
	assert_int_equal(st->cpu_nr_throttled, 40);
	assert_int_equal(st->cpu_throttled_ns, 5000000);
	assert_int_equal(st->io_read_bytes, 1010);
	assert_int_equal(st->io_write_bytes, 2020);
	/* no recursive file: the plain one */
	assert_int_equal(st->io_read_ops, 7);
	assert_int_equal(st->io_write_ops, 9);
	assert_int_equal(st->pids_current, 5);
	assert_true(st->pids_limit == LMC_UNSET);
}

static void test_stats_v1(void **state)
{
	struct fx *x = *state;
	struct lmc_stats st;
	uint64_t tick = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);

	put_v1_stats(x);
	assert_int_equal(lmc_controller_stats_all(x->cg, NAME, &st), 0);
	check_v1_stats(&st);
	assert_int_equal(st.cpu_usage_ns, 3000000000ull);
	assert_int_equal(st.cpu_user_ns, 200 * tick);
	assert_int_equal(st.cpu_system_ns, 100 * tick);
	assert_true(st.mem_oom_events == LMC_UNSET);
	assert_false(st.psi_cpu.present); /* no cgroup2 tree, no PSI */
	assert_int_equal(lmc_controller_stats_all(x->cg, "nope", &st), -ENOENT);
}

/* v1's files, and the cgroup2 tree's cpu.stat and PSI (a hybrid host). */
static void put_hybrid_stats(struct fx *x)
{
	put_v1_stats(x);
	put(x, LMC_CTRL_UNIFIED, NAME, "cpu.stat",
	    "usage_usec 4000000\nuser_usec 2500000\nsystem_usec 1500000\n");
	put_psi(x, LMC_CTRL_UNIFIED);
}

/* A reading of some resources (stats --fields) reads only their files: the others' figures
 * stay unset, as if the files were not there. */
static void test_stats_fields(void **state)
{
	struct fx *x = *state;
	struct lmc_stats st;

	put_hybrid_stats(x);
	assert_int_equal(lmc_controller_stats_read(x->cg, NAME, LMC_STATF_CPU, &st), 0);
	assert_int_equal(st.cpu_usage_ns, 4000000000ull);
	assert_int_equal(st.cpu_nr_throttled, 40);
	assert_true(st.mem_usage == LMC_UNSET && st.mem_rss == LMC_UNSET);
	assert_true(st.io_read_bytes == LMC_UNSET && st.pids_current == LMC_UNSET);
	assert_false(st.psi_cpu.present);
	assert_int_equal(lmc_controller_stats_read(x->cg, NAME, LMC_STATF_PIDS | LMC_STATF_PRESSURE,
						   &st),
			 0);
	assert_true(st.cpu_usage_ns == LMC_UNSET && st.mem_usage == LMC_UNSET);
	assert_int_equal(st.pids_current, 5);
	check_psi(&st);
	/* none: every resource, as lmc_controller_stats_all less the limits */
	assert_int_equal(lmc_controller_stats_read(x->cg, NAME, 0, &st), 0);
	assert_int_equal(st.cpu_usage_ns, 4000000000ull);
	assert_true(st.mem_usage != LMC_UNSET && st.io_read_bytes != LMC_UNSET);
	assert_true(st.pids_limit == LMC_UNSET);
	assert_int_equal(lmc_controller_stats_read(x->cg, "nope", LMC_STATF_CPU, &st), -ENOENT);
}

static void test_stats_hybrid(void **state)
{
	struct fx *x = *state;
	struct lmc_stats st;

	put_hybrid_stats(x); /* the cgroup2 tree's cpu.stat is preferred for usage */
	assert_int_equal(lmc_controller_stats_all(x->cg, NAME, &st), 0);
	check_v1_stats(&st);
	assert_int_equal(st.cpu_usage_ns, 4000000000ull);
	assert_int_equal(st.cpu_user_ns, 2500000000ull);
	assert_int_equal(st.cpu_system_ns, 1500000000ull);
	check_psi(&st);
}

static void test_stats_v2(void **state)
{
	struct fx *x = *state;
	struct lmc_stats st;

	put(x, LMC_CTRL_MEMORY, NAME, "memory.current", "104857600\n");
	put(x, LMC_CTRL_MEMORY, NAME, "memory.peak", "209715200\n");
	put(x, LMC_CTRL_MEMORY, NAME, "memory.max", "1073741824\n");
	put(x, LMC_CTRL_MEMORY, NAME, "memory.swap.current", "4096\n");
	put(x, LMC_CTRL_MEMORY, NAME, "memory.stat",
	    "anon 8192\nfile 4096\nkernel 100\nanon_thp 0\nfile_mapped 5\n");
	put(x, LMC_CTRL_MEMORY, NAME, "memory.events",
	    "low 0\nhigh 9\nmax 6\noom 2\noom_kill 1\noom_group_kill 0\n");
	put(x, LMC_CTRL_CPU, NAME, "cpu.stat",
	    "usage_usec 4000000\nuser_usec 2500000\nsystem_usec 1500000\nnr_periods 100\n"
	    "nr_throttled 40\nthrottled_usec 5000\nnr_bursts 0\nburst_usec 0\n");
	put(x, LMC_CTRL_BLKIO, NAME, "io.stat",
	    "8:0 rbytes=1000 wbytes=2000 rios=7 wios=9 dbytes=0 dios=0\n"
	    "8:16 rbytes=10 wbytes=20 rios=1 wios=2 dbytes=5 dios=1\n");
	put(x, LMC_CTRL_PIDS, NAME, "pids.current", "5\n");
	put(x, LMC_CTRL_PIDS, NAME, "pids.max", "64\n");
	put_psi(x, LMC_CTRL_UNIFIED);
	assert_int_equal(lmc_controller_stats_all(x->cg, NAME, &st), 0);
	assert_int_equal(st.mem_usage, 100 * MB);
	assert_int_equal(st.mem_peak, 200 * MB);
	assert_int_equal(st.mem_limit, 1 * G);
	assert_int_equal(st.mem_swap, 4096);
	assert_int_equal(st.mem_rss, 8192);
	assert_int_equal(st.mem_cache, 4096);
	assert_int_equal(st.mem_failcnt, 6);
	assert_int_equal(st.mem_oom_events, 2);
	assert_int_equal(st.mem_oom_kills, 1);
	assert_int_equal(st.cpu_usage_ns, 4000000000ull);
	assert_int_equal(st.cpu_user_ns, 2500000000ull);
	assert_int_equal(st.cpu_system_ns, 1500000000ull);
	assert_int_equal(st.cpu_nr_periods, 100);
	assert_int_equal(st.cpu_nr_throttled, 40);
	assert_int_equal(st.cpu_throttled_ns, 5000000);
	assert_int_equal(st.io_read_bytes, 1010);
	assert_int_equal(st.io_write_bytes, 2020);
	assert_int_equal(st.io_read_ops, 8);
	assert_int_equal(st.io_write_ops, 11);
	assert_int_equal(st.pids_current, 5);
	assert_int_equal(st.pids_limit, 64);
	check_psi(&st);
}

/* Files absent: every counter stays "not available", nothing fails. */
static void test_stats_missing(void **state)
{
	struct fx *x = *state;
	struct lmc_stats st;

	assert_int_equal(lmc_controller_stats_all(x->cg, NAME, &st), 0);
	assert_true(st.mem_usage == LMC_UNSET);
	assert_true(st.cpu_usage_ns == LMC_UNSET);
	assert_true(st.io_read_bytes == LMC_UNSET);
	assert_true(st.pids_current == LMC_UNSET);
	assert_false(st.psi_io.present);
}

/* ---- read back (issue 11, items 13 and 14) ---- */

/* What the kernel holds, read back: the limits of a spec, what differs from a stored spec
 * and why, and re-applying with the kernel's values as the old spec lifts a limit the spec
 * no longer sets. */
static void readback_case(struct fx *x, bool v2)
{
	const char *mem = v2 ? "memory.max" : "memory.limit_in_bytes";
	struct lmc_spec want, got, kernel;
	char why[256];

	put(x, LMC_CTRL_MEMORY, NAME, mem, "67108864\n");
	put(x, LMC_CTRL_PIDS, NAME, "pids.max", "45\n");
	if (v2) {
		put(x, LMC_CTRL_CPU, NAME, "cpu.max", "50000 100000\n");
	} else {
		put(x, LMC_CTRL_CPU, NAME, "cpu.cfs_quota_us", "50000\n");
		put(x, LMC_CTRL_CPU, NAME, "cpu.cfs_period_us", "100000\n");
	}
	assert_int_equal(lmc_controller_read_spec(x->cg, NAME, &got), 0);
	assert_true(got.memory.limit == 64 * MB && got.pids.limit == 45);
	assert_true(got.cpu.limit_m == 500 && got.cpu.period_us == LMC_UNSET);
	assert_true(got.owner == LMC_OWNER_UNSET && got.ns.mask == 0);

	lmc_spec_init(&want);
	want.memory.limit = 64 * MB + 100; /* the kernel keeps whole pages */
	want.pids.limit = 45;
	want.cpu.limit_m = 500;
	assert_int_equal(lmc_controller_diff(x->cg, NAME, &want, NULL, why, sizeof(why)), 0);
	put(x, LMC_CTRL_PIDS, NAME, "pids.max", "11\n");
	assert_int_equal(lmc_controller_diff(x->cg, NAME, &want, &kernel, why, sizeof(why)), 1);
	assert_string_equal(why, "pids.max is 11, the spec says 45");
	assert_true(kernel.pids.limit == 11);

	/* the spec lifts the pids limit and the cpu quota: both are lifted */
	want.pids.limit = LMC_UNSET;
	want.cpu.limit_m = LMC_UNSET;
	assert_int_equal(lmc_controller_diff(x->cg, NAME, &want, &kernel, why, sizeof(why)), 1);
	assert_non_null(strstr(why, "pids.max is 11, the spec says max"));
	assert_int_equal(lmc_controller_apply_all(x->cg, NAME, &want, &kernel, NULL), 0);
	assert_string_equal(get(x, LMC_CTRL_PIDS, NAME, "pids.max"), "max");
	if (v2) {
		assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.max"), "max 100000");
	} else {
		assert_string_equal(get(x, LMC_CTRL_CPU, NAME, "cpu.cfs_quota_us"), "-1");
		/* v1's "no limit" reads back as no limit */
		put(x, LMC_CTRL_MEMORY, NAME, mem, "9223372036854771712\n");
		assert_int_equal(lmc_controller_read_spec(x->cg, NAME, &got), 0);
		assert_true(got.memory.limit == LMC_UNSET && got.cpu.limit_m == LMC_UNSET);
	}
}

static void test_readback_v2(void **state)
{
	readback_case(*state, true);
}

static void test_readback_hybrid(void **state)
{
	readback_case(*state, false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conv_shares),
		cmocka_unit_test(test_conv_blkio),
		cmocka_unit_test_setup_teardown(test_v1_full, setup_hybrid, teardown),
		cmocka_unit_test_setup_teardown(test_v1_bfq_and_period, setup_v1, teardown),
		cmocka_unit_test_setup_teardown(test_v2_full, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_unset_v1, setup_hybrid, teardown),
		cmocka_unit_test_setup_teardown(test_unset_v2, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_clear_v1, setup_hybrid, teardown),
		cmocka_unit_test_setup_teardown(test_clear_v2, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_memsw_order, setup_hybrid, teardown),
		cmocka_unit_test_setup_teardown(test_update_changes_v1, setup_hybrid, teardown),
		cmocka_unit_test_setup_teardown(test_update_changes_v2, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_v1, setup_hybrid, teardown),
		cmocka_unit_test_setup_teardown(test_refusals_v2, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_write_errors, setup_hybrid, teardown),
		cmocka_unit_test_setup_teardown(test_stats_v1, setup_v1, teardown),
		cmocka_unit_test_setup_teardown(test_stats_hybrid, setup_hybrid, teardown),
		cmocka_unit_test_setup_teardown(test_stats_fields, setup_hybrid, teardown),
		cmocka_unit_test_setup_teardown(test_stats_v2, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_stats_missing, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_readback_v2, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_readback_hybrid, setup_hybrid, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
