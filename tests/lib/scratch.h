/* Shared test helpers: a scratch cgroup subtree per test (lmctl-test-<pid>-<n> under the
 * test process's own cgroup in every hierarchy), torn down processes first, whatever state
 * it is in; and a bounded wait for a condition. Nothing is registered globally. */
#ifndef LMC_TEST_SCRATCH_H
#define LMC_TEST_SCRATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "controllers/cgroupfs.h"

/* Next scratch root name, "lmctl-test-<pid>-<counter>" (relative: below the own cgroup). */
int lmc_test_scratch_root_name(char *buf, size_t size);
/* Open a cgfs on a fresh scratch root (created in every hierarchy); ret_root (may be NULL)
 * gets its relative name, for LMCTL_CGROUP_ROOT of a child lmctl. */
int lmc_test_scratch_open(struct lmc_cgfs **ret, char *ret_root, size_t size);
/* Open a cgfs on an existing or new scratch root of the given name (must be lmctl-test-*). */
int lmc_test_scratch_open_named(const char *root, bool create, struct lmc_cgfs **ret);
/* Kill every process below the root, remove every directory below it bottom-up in every
 * hierarchy, then the root; free cg. Accepts NULL. */
void lmc_test_scratch_close(struct lmc_cgfs *cg);
/* setenv LMCTL_CGROUP_ROOT=root for child lmctl/lmctld processes. */
int lmc_test_scratch_setenv(const char *root);

/* Poll cond(ud) until it returns true, at most timeout_ms: 0, or -ETIMEDOUT. For states
 * the kernel offers no event for (e.g. /proc/<pid>/stat), checked every millisecond. */
int lmc_test_wait_until(bool (*cond)(void *), void *ud, int timeout_ms);

/* The cgroup path of pid in hierarchy ctrl ("memory", "cpu", ... or "" for cgroup2) from
 * /proc/<pid>/cgroup. */
int lmc_test_pid_cgroup(pid_t pid, const char *ctrl, char *buf, size_t size);
/* Real-cgroup tests need root; they skip otherwise. */
bool lmc_test_is_root(void);
/* A /proc/PID/cgroup line of a hierarchy lmctl manages: the cgroup2 one ("0::") or a v1
 * one naming cpu, cpuacct, cpuset, memory, blkio, pids or freezer. */
bool lmc_test_managed_cgroup_line(const char *line);

/* Pin the calling process to the first CPU it may run on: spinners pinned together contend
 * for one CPU (CPU pressure, throttling) whatever the machine's CPU count. 0 or -errno. */
int lmc_test_pin_one_cpu(void);

#endif
