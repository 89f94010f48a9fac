/* Shared test helpers for files in a temporary directory (the unit tests' fake cgroup roots
 * and state directories): mkdir -p below a directory, and rm -r of a whole one. */
#ifndef LMC_TEST_TMPDIR_H
#define LMC_TEST_TMPDIR_H

/* mkdir -p base/rel (base must exist); an existing directory is no error. 0 or -errno. */
int lmc_test_mkdir_p(const char *base, const char *rel);
/* Remove dir and everything below it, symbolic links not followed. Best effort. */
void lmc_test_rm_rf(const char *dir);

#endif
