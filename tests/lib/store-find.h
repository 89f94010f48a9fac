/* Shared test helper: one container's record read the way lmctl reads records (every record
 * by lmc_store_load, as the manager does when it opens), for tests that check or edit what
 * the store holds. */
#ifndef LMC_TEST_STORE_FIND_H
#define LMC_TEST_STORE_FIND_H

#include "core/store.h"

/* name's record into ret: 0, -ENOENT if the store holds none, else lmc_store_load's error. */
int lmc_test_store_find(struct lmc_store *s, const char *name, struct lmc_record *ret);

#endif
