/* The per-container directory table (controllers/cgroupfs-dcache.c) against a temporary
 * directory standing in for /sys/fs/cgroup: its bound in fds, what a reading going round
 * more than fits finds, kept statistics files, a pinned container, and pins racing forgets. */
#include <errno.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

#include "tests/unit/cgfs-fx.h"
#include "controllers/cgroupfs-internal.h" /* lmc_cgfs_dir_forget: the table white-box */
#include "base/macro.h"

/* The directories a reading of a container opens on hybrid. */
static const enum lmc_ctrl dcache_read[] = {LMC_CTRL_CPU, LMC_CTRL_MEMORY, LMC_CTRL_BLKIO,
					    LMC_CTRL_PIDS, LMC_CTRL_UNIFIED};

/* RLIMIT_NOFILE lowered to fds (*old: what it was), a hybrid table, and containers c0..c(n-1)
 * whose pids.current reads "3\n" and memory.failcnt "4\n". */
static void few_fds_tree(struct fx *f, rlim_t fds, int n, struct rlimit *old)
{
	struct lmc_err err = {0};
	struct rlimit low;
	char name[32];

	assert_int_equal(getrlimit(RLIMIT_NOFILE, old), 0);
	low = (struct rlimit){.rlim_cur = fds, .rlim_max = old->rlim_max};
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(fx_open(f, LMC_CG_HYBRID, NULL), 0);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		assert_int_equal(lmc_cgfs_create(f->cg, name, &err), 0);
		assert_int_equal(lmc_cgfs_write(f->cg, LMC_CTRL_PIDS, name, "pids.current", "3\n"),
				 0);
		assert_int_equal(
			lmc_cgfs_write(f->cg, LMC_CTRL_MEMORY, name, "memory.failcnt", "4\n"), 0);
	}
}

/* n containers read twice round (5 directories each) with 512 fds: what the second round
 * opened. */
static uint64_t dcache_rounds(struct fx *f, int n)
{
	struct rlimit old;
	char name[32];
	uint64_t before = 0, opened;

	few_fds_tree(f, 512, n, &old);
	for (int round = 0; round < 2; round++) {
		before = lmc_cgfs_dcache_opened(f->cg);
		for (int i = 0; i < n; i++)
			for (size_t k = 0; k < ARRAY_SIZE(dcache_read); k++) {
				snprintf(name, sizeof(name), "c%d", i);
				assert_true(lmc_cgfs_dir_exists(f->cg, dcache_read[k], name));
			}
	}
	opened = lmc_cgfs_dcache_opened(f->cg) - before;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	return opened;
}

/* A reading of every container (a scrape, stats -r) goes round them in the same order each
 * time: with the directory table one entry short of the set, least recently used first out
 * reopened every directory on every round. The table is bounded in fds held (half of
 * RLIMIT_NOFILE), not in entries of every hierarchy (a quarter of it, over 9 hierarchies: 14
 * entries of 512): 20 containers, even with all 9 directories open, fit in 256 fds, and the
 * second round opens nothing. */
static void test_dcache_round(void **state)
{
	assert_int_equal(dcache_rounds(*state, 20), 0);
}

/* A reading going round more directories than the table holds (stats -r of 10,000
 * containers) found none of them with least recently used first out: each was thrown out
 * the round before its turn. A full table evicts only what nobody used for minutes, so the
 * ones it holds stay and are found: 100 containers of 5 directories in 256 fds, the second
 * round opens about half of them, not all 500. */
static void test_dcache_scan(void **state)
{
	assert_in_range(dcache_rounds(*state, 100), 1, 300);
}

/* Statistics files are kept open (read again with pread) only in room the table has: they
 * never make room by closing directories, which a reading would then reopen every round.
 * 20 containers: their 100 directories fit in 120 fds, their 40 files do not
 * all; the second round opens no directory and reads the files it kept through them. */
static void test_dcache_kept_bounded(void **state)
{
	struct fx *f = *state;
	struct rlimit old;
	char name[32], buf[64];
	uint64_t opened = 0, kept = 0;

	few_fds_tree(f, 240, 20, &old);
	for (int round = 0; round < 2; round++) {
		opened = lmc_cgfs_dcache_opened(f->cg);
		kept = lmc_cgfs_dcache_kept_reads(f->cg);
		for (int i = 0; i < 20; i++) {
			snprintf(name, sizeof(name), "c%d", i);
			for (size_t k = 0; k < ARRAY_SIZE(dcache_read); k++)
				assert_true(lmc_cgfs_dir_exists(f->cg, dcache_read[k], name));
			assert_int_equal(lmc_cgfs_read(f->cg, LMC_CTRL_PIDS, name, "pids.current",
						       buf, sizeof(buf)),
					 2);
			assert_string_equal(buf, "3\n");
			assert_int_equal(lmc_cgfs_read(f->cg, LMC_CTRL_MEMORY, name,
						       "memory.failcnt", buf, sizeof(buf)),
					 2);
		}
	}
	assert_int_equal(lmc_cgfs_dcache_opened(f->cg) - opened, 0);
	assert_in_range(lmc_cgfs_dcache_kept_reads(f->cg) - kept, 1, 30);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

/* A pinned container (a reading of it under way, lmc_cgfs_pin) is read through its kept
 * files and directories without the table's lock, and keeps them while others' make room
 * (a nested pin and unpin in between leave it pinned):
 * with 60 fds for 20 containers, the directories of 19 others opened meanwhile close kept
 * files, never the pinned one's, and nothing of it is opened again. */
static void test_dcache_pin(void **state)
{
	struct fx *f = *state;
	struct rlimit old;
	char name[32], buf[64];
	uint64_t opened, kept;

	few_fds_tree(f, 120, 20, &old);
	/* c1..c19's pids.current kept, their pids directories open */
	for (int i = 1; i < 20; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		assert_int_equal(lmc_cgfs_read(f->cg, LMC_CTRL_PIDS, name, "pids.current", buf,
					       sizeof(buf)),
				 2);
	}
	lmc_cgfs_pin(f->cg, "c0");
	assert_int_equal(
		lmc_cgfs_read(f->cg, LMC_CTRL_PIDS, "c0", "pids.current", buf, sizeof(buf)), 2);
	kept = lmc_cgfs_dcache_kept_reads(f->cg);
	assert_int_equal(
		lmc_cgfs_read(f->cg, LMC_CTRL_PIDS, "c0", "pids.current", buf, sizeof(buf)), 2);
	assert_string_equal(buf, "3\n");
	assert_int_equal(lmc_cgfs_dcache_kept_reads(f->cg), kept + 1);
	lmc_cgfs_pin(f->cg, "c1"); /* nested: pins nothing more, and c0's pin holds after it */
	lmc_cgfs_unpin(f->cg);
	opened = lmc_cgfs_dcache_opened(f->cg);
	for (int i = 1; i < 20; i++)
		for (size_t k = 0; k < ARRAY_SIZE(dcache_read); k++) {
			snprintf(name, sizeof(name), "c%d", i);
			assert_true(lmc_cgfs_dir_exists(f->cg, dcache_read[k], name));
		}
	assert_true(lmc_cgfs_dcache_opened(f->cg) > opened); /* the table filled */
	opened = lmc_cgfs_dcache_opened(f->cg);
	assert_true(lmc_cgfs_dir_exists(f->cg, LMC_CTRL_PIDS, "c0"));
	assert_int_equal(
		lmc_cgfs_read(f->cg, LMC_CTRL_PIDS, "c0", "pids.current", buf, sizeof(buf)), 2);
	assert_int_equal(lmc_cgfs_dcache_kept_reads(f->cg), kept + 2);
	assert_int_equal(lmc_cgfs_dcache_opened(f->cg), opened);
	lmc_cgfs_unpin(f->cg);
	/* a name with nothing behind it: read as before, nothing kept for it */
	lmc_cgfs_pin(f->cg, "nosuch");
	assert_int_equal(lmc_cgfs_read(f->cg, LMC_CTRL_PIDS, "nosuch", "pids.current", buf,
				       sizeof(buf)),
			 -ENOENT);
	lmc_cgfs_unpin(f->cg);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

/* Readers pinning containers, reading through kept files and directories and closing
 * them to make room, beside a thread forgetting entries under them (a destroy's, a
 * directory made again): every read answers the file's content, and nothing is used after it
 * is closed or freed (the ASan build runs this too). 40 containers in 100 fds. */
struct pin_race {
	struct fx *f;
	unsigned seed;
	int bad;
	volatile int *stop;
};

static void *pin_reader(void *arg)
{
	struct pin_race *p = arg;
	char name[32], buf[64];

	for (int i = 0; i < 3000 && !p->bad; i++) {
		int c = (int)(rand_r(&p->seed) % 40);

		snprintf(name, sizeof(name), "c%d", c);
		lmc_cgfs_pin(p->f->cg, name);
		for (int k = 0; k < 3; k++) {
			int n = lmc_cgfs_read(p->f->cg, k == 1 ? LMC_CTRL_MEMORY : LMC_CTRL_PIDS,
					      name, k == 1 ? "memory.failcnt" : "pids.current", buf,
					      sizeof(buf));

			if (n != 2 || buf[0] != (k == 1 ? '4' : '3'))
				p->bad = n < 0 ? n : -EIO;
		}
		(void)lmc_cgfs_dir_exists(p->f->cg, dcache_read[i % ARRAY_SIZE(dcache_read)], name);
		lmc_cgfs_unpin(p->f->cg);
	}
	return NULL;
}

static void *pin_forgetter(void *arg)
{
	struct pin_race *p = arg;
	char name[32];

	while (!*p->stop) {
		snprintf(name, sizeof(name), "c%u", rand_r(&p->seed) % 40);
		lmc_cgfs_dir_forget(p->f->cg, name);
		usleep(50);
	}
	return NULL;
}

static void test_dcache_pin_race(void **state)
{
	struct fx *f = *state;
	struct rlimit old;
	volatile int stop = 0;
	struct pin_race r[5];
	pthread_t t[5];

	few_fds_tree(f, 100, 40, &old);
	for (int i = 0; i < 5; i++) {
		r[i] = (struct pin_race){.f = f, .seed = (unsigned)i + 1, .stop = &stop};
		assert_int_equal(
			pthread_create(&t[i], NULL, i < 4 ? pin_reader : pin_forgetter, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	stop = 1;
	pthread_join(t[4], NULL);
	for (int i = 0; i < 4; i++)
		assert_int_equal(r[i].bad, 0);
	assert_true(lmc_cgfs_dcache_kept_reads(f->cg) > 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
}

/* Two tables in one process (a reader beside a fresh manager, as bench_agent's stats -r)
 * share one bound, half of RLIMIT_NOFILE: each taking half of its own ran the process out of
 * fds (with 256, the second table's reads failed with EMFILE). */
static void test_dcache_two_tables(void **state)
{
	struct fx *f = *state, g = *f;
	struct lmc_err err = {0};
	struct rlimit old, low;
	char name[32];

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = (struct rlimit){.rlim_cur = 256, .rlim_max = old.rlim_max};
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	assert_int_equal(fx_open(f, LMC_CG_HYBRID, NULL), 0);
	assert_int_equal(fx_open(&g, LMC_CG_HYBRID, NULL), 0);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "c%d", i);
		assert_int_equal(lmc_cgfs_create(f->cg, name, &err), 0);
	}
	for (int t = 0; t < 2; t++)
		for (int i = 0; i < 40; i++)
			for (size_t k = 0; k < ARRAY_SIZE(dcache_read); k++) {
				snprintf(name, sizeof(name), "c%d", i);
				assert_true(lmc_cgfs_dir_exists(t ? g.cg : f->cg, dcache_read[k],
								name));
			}
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	lmc_cgfs_free(g.cg);
}

/* An empty file rel in the fake cgroup tree. */
static void touch(const struct fx *f, const char *rel)
{
	char p[256];
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", f->dir, rel);
	assert_non_null(fp = fopen(p, "w"));
	fclose(fp);
}

/* A file the kernel gives every cgroup of a hierarchy alike, once seen, is not looked up
 * again for another container (what a create asked for its BFQ weight), but a container that
 * is not there has none, absence is not remembered (a module may load later), and another
 * file is looked up each time. */
static void test_uniform_files(void **state)
{
	struct fx *f = *state;
	struct lmc_err err = {0};

	assert_int_equal(fx_open(f, LMC_CG_V1, NULL), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "a", &err), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "b", &err), 0);
	assert_false(lmc_cgfs_file_exists(f->cg, LMC_CTRL_BLKIO, "a", "blkio.bfq.weight"));
	touch(f, "blkio/lmctl/a/blkio.bfq.weight");
	assert_true(lmc_cgfs_file_exists(f->cg, LMC_CTRL_BLKIO, "a", "blkio.bfq.weight"));
	/* b's was never made here: the kernel makes it with b */
	assert_true(lmc_cgfs_file_exists(f->cg, LMC_CTRL_BLKIO, "b", "blkio.bfq.weight"));
	assert_false(lmc_cgfs_file_exists(f->cg, LMC_CTRL_BLKIO, "gone", "blkio.bfq.weight"));
	/* a file outside the list is asked of each container */
	touch(f, "blkio/lmctl/a/blkio.other");
	assert_true(lmc_cgfs_file_exists(f->cg, LMC_CTRL_BLKIO, "a", "blkio.other"));
	assert_false(lmc_cgfs_file_exists(f->cg, LMC_CTRL_BLKIO, "b", "blkio.other"));
	/* the same file in another hierarchy is that hierarchy's own question */
	assert_false(lmc_cgfs_file_exists(f->cg, LMC_CTRL_PIDS, "a", "blkio.bfq.weight"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dcache_round, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dcache_scan, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dcache_kept_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dcache_two_tables, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dcache_pin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dcache_pin_race, setup, teardown),
		cmocka_unit_test_setup_teardown(test_uniform_files, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
