/* Throw-away users for security tests: made with useradd (own group, and the /etc/subuid
 * and /etc/subgid ranges useradd gives a normal user), removed with userdel, and ways to act
 * as one of them: a function in a child, or the lmctl binary. */
#ifndef LMC_TEST_TESTUSER_H
#define LMC_TEST_TESTUSER_H

#include <stddef.h>
#include <sys/types.h>

struct lmc_test_user {
	uid_t uid;
	gid_t gid;
	char name[32];
};

/* useradd lmctl-t<pid>-<n>; 0 or -errno. */
int lmc_test_user_add(struct lmc_test_user *ret);
/* userdel it (and its group, subuid/subgid lines); accepts a zeroed struct. */
void lmc_test_user_del(struct lmc_test_user *u);
/* Fork, drop to the user (its own group only, HOME=/), call fn(ud) in the child and _exit
 * with its return; the child's exit status (128+sig if killed), or -errno. */
int lmc_test_user_run(const struct lmc_test_user *u, int (*fn)(void *ud), void *ud);
/* lmctl ($LMCTL_BIN) as the user with the NULL-terminated args, output captured as
 * lmc_test_lmctl does; its exit status. */
int lmc_test_user_lmctl(const struct lmc_test_user *u, char *out, size_t outsz, char *err,
			size_t errsz, ...);

#endif
