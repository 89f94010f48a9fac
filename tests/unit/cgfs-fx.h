/* The fixture test_cgroupfs and test_dcache share: a temporary directory standing in for
 * /sys/fs/cgroup (lmc_cgfs_opts.fake_fsroot) and the cgroupfs handle opened on it. */
#ifndef LMC_TESTS_UNIT_CGFS_FX_H
#define LMC_TESTS_UNIT_CGFS_FX_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "controllers/cgroupfs.h"
#include "tests/lib/tmpdir.h"

struct fx {
	char dir[64];
	struct lmc_cgfs *cg;
};

static inline int fx_open(struct fx *f, enum lmc_cg_mode mode, const char *root)
{
	struct lmc_cgfs_opts o = {
		.root = root, .fake_fsroot = f->dir, .fake_mode = mode, .create_root = true};
	struct lmc_err err = {0};

	return lmc_cgfs_open(&o, &f->cg, &err);
}

static inline int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/lmctl-unit-cgfs-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fx *f = *state;

	lmc_cgfs_free(f->cg);
	lmc_test_rm_rf(f->dir);
	free(f);
	return 0;
}

#endif
