/* Helpers for integration tests that drive the lmctl binary: a per-test environment (scratch
 * cgroup root, state directory, no agent), running lmctl with captured output, and checks of
 * what it left in every hierarchy. Include after <cmocka.h>. */
#ifndef LMC_TEST_LMCTL_RUN_H
#define LMC_TEST_LMCTL_RUN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "controllers/cgroupfs.h"

struct lmc_test_env {
	struct lmc_cgfs *cg; /* the scratch root, for reading what lmctl did */
	char root[128]; /* its LMCTL_CGROUP_ROOT */
	char state[64]; /* its LMCTL_STATE_DIR */
};

/* The lmctl binary ($LMCTL_BIN, default build/lmctl) and this test binary's own path. */
const char *lmc_test_lmctl_bin(void);
const char *lmc_test_self_exe(void);

/* Scratch root + temporary state dir, exported in the environment for child lmctl
 * processes (LMCTL_SOCKET points nowhere, so lmctl works directly). */
int lmc_test_env_open(struct lmc_test_env **ret);
/* Kill and remove everything, whatever state it is in. Accepts NULL. */
void lmc_test_env_close(struct lmc_test_env *e);
/* cmocka setup/teardown: a fresh env in *state (the test is skipped when not root). */
int lmc_test_env_setup(void **state);
int lmc_test_env_teardown(void **state);

/* Run lmctl with the NULL-terminated arguments; out/err (may be NULL) get its stdout and
 * stderr. Returns its exit status, 128+signal if killed. */
int lmc_test_lmctl(char *out, size_t outsz, char *err, size_t errsz, ...);
/* The same with the arguments in a va_list (NULL-terminated). */
int lmc_test_lmctl_va(uid_t uid, gid_t gid, char *out, size_t outsz, char *err, size_t errsz,
		      va_list ap);
/* The same with a NULL-terminated argument array, as uid/gid ((uid_t)-1: as the caller). */
int lmc_test_lmctl_as(uid_t uid, gid_t gid, char *out, size_t outsz, char *err, size_t errsz,
		      const char *const *args);

#define LMCTL_OK(...)                                                                \
	do {                                                                         \
		char _e[1024];                                                       \
		int _r = lmc_test_lmctl(NULL, 0, _e, sizeof(_e), __VA_ARGS__, NULL); \
		if (_r != 0)                                                         \
			fail_msg("lmctl %s failed (%d): %s", #__VA_ARGS__, _r, _e);  \
	} while (0)

/* The value at a dotted path ("memory.limit_bytes": member limit_bytes of member memory) of
 * the first object in a JSON text, or NULL. */
const char *lmc_test_json_find(const char *json, const char *path);
/* The number there; LMC_UNSET when it is absent (or not a number). */
uint64_t lmc_test_json_u64(const char *json, const char *path);
/* One value of `lmctl stats --json NAME` at a dotted path ("memory.usage_bytes"). */
uint64_t lmc_test_stat(const char *name, const char *key);

/* The container's directory exists in any / every managed hierarchy. */
bool lmc_test_exists_anywhere(struct lmc_cgfs *cg, const char *name);
bool lmc_test_exists_everywhere(struct lmc_cgfs *cg, const char *name);
/* Stored container records (not the machine record) in the state dir. */
size_t lmc_test_count_records(const struct lmc_test_env *e);

#endif
