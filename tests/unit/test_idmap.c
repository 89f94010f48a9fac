/* Unit tests for nsutil/idmap.c: which host ids an owner may map (its own, its subordinate
 * ranges, by name or uid, malformed lines ignored) and the pool root's containers draw from
 * (first free slot, around subordinate ranges and other containers, full). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nsutil/ns.h"

static char g_dir[64], g_subuid[96], g_subgid[96];

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(g_dir, sizeof(g_dir), "/tmp/lmctl-idmap-XXXXXX");
	if (!mkdtemp(g_dir))
		return -1;
	snprintf(g_subuid, sizeof(g_subuid), "%s/subuid", g_dir);
	snprintf(g_subgid, sizeof(g_subgid), "%s/subgid", g_dir);
	write_text(g_subuid, "# comment\n"
			     "alice:100000:65536\n"
			     "1500:300000:1000\n"
			     "bob:165536:65536\n"
			     "broken:x:1\n"
			     "alice:500000:10\n");
	write_text(g_subgid, "alice:200000:65536\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(g_subuid);
	unlink(g_subgid);
	rmdir(g_dir);
	return 0;
}

static int allowed(uid_t uid, const char *user, gid_t gid, const char *uid_map, const char *gid_map,
		   struct lmc_err *err)
{
	struct lmc_ns_subid_files files = {.subuid = g_subuid, .subgid = g_subgid};
	struct lmc_spec_ns ns = {.mask = LMC_NS_USER};

	lmc_err_clear(err);
	if (uid_map)
		assert_int_equal(
			lmc_parse_idmap("--uid-map", uid_map, ns.uid_map, &ns.n_uid_map, NULL), 0);
	if (gid_map)
		assert_int_equal(
			lmc_parse_idmap("--gid-map", gid_map, ns.gid_map, &ns.n_gid_map, NULL), 0);
	return lmc_ns_idmaps_allowed(uid, user, gid, &ns, &files, err);
}

static void test_allowed(void **state)
{
	struct lmc_err err = {0};

	(void)state;
	/* Own ids, one each; subordinate ranges by name and by uid; several maps. */
	assert_int_equal(allowed(1500, "alice", 1500, "0:1500:1", "0:1500:1", &err), 0);
	assert_int_equal(allowed(1500, "alice", 1500, "0:100000:65536", "0:200000:65536", &err), 0);
	assert_int_equal(allowed(1500, "alice", 1500, "0:1500:1,1:300000:1000,2000:500000:10", NULL,
				 &err),
			 0);
	assert_int_equal(allowed(1500, NULL, 1500, "5:300100:5", NULL, &err), 0);
	/* Host root, through either map. */
	assert_int_equal(allowed(1500, "alice", 1500, "1500:0:1", NULL, &err), -EPERM);
	assert_string_equal(err.msg, "--uid-map 1500:0:1: host ids 0-0 are neither uid 1500 nor "
				     "in its /etc/subuid ranges");
	assert_int_equal(allowed(1500, "alice", 1500, NULL, "0:0:1", &err), -EPERM);
	assert_string_equal(err.msg, "--gid-map 0:0:1: host ids 0-0 are neither gid 1500 nor in "
				     "its /etc/subgid ranges");
	/* Two of its own ids, one past a range, two adjacent ranges of different users, another
	 * user's range, a malformed line's. */
	assert_int_equal(allowed(1500, "alice", 1500, "0:1500:2", NULL, &err), -EPERM);
	assert_int_equal(allowed(1500, "alice", 1500, "0:100000:65537", NULL, &err), -EPERM);
	assert_int_equal(allowed(1500, "alice", 1500, "0:100000:131072", NULL, &err), -EPERM);
	assert_int_equal(allowed(1600, "carol", 1600, "0:165536:1", NULL, &err), -EPERM);
	assert_int_equal(allowed(1600, "broken", 1600, "0:0:1", NULL, &err), -EPERM);
	/* Subordinate uids are not subordinate gids. */
	assert_int_equal(allowed(1500, "alice", 1500, NULL, "0:100000:1", &err), -EPERM);
}

static void test_pool(void **state)
{
	struct lmc_ns_subid_files files = {.subuid = g_subuid, .subgid = g_subgid};
	struct lmc_idmap used[3];
	uint32_t base = 0;

	(void)state;
	assert_int_equal(lmc_ns_idmap_pool_pick(NULL, 0, &files, &base), 0);
	assert_int_equal(base, LMC_NS_POOL_BASE);
	/* Taken: the first slot, part of the third (an explicit map). */
	used[0] = (struct lmc_idmap){0, LMC_NS_POOL_BASE, LMC_NS_POOL_SLOT};
	used[1] = (struct lmc_idmap){0, LMC_NS_POOL_BASE + 2 * LMC_NS_POOL_SLOT + 7, 1};
	assert_int_equal(lmc_ns_idmap_pool_pick(used, 2, &files, &base), 0);
	assert_int_equal(base, LMC_NS_POOL_BASE + LMC_NS_POOL_SLOT);
	used[2] = (struct lmc_idmap){0, base, LMC_NS_POOL_SLOT};
	assert_int_equal(lmc_ns_idmap_pool_pick(used, 3, &files, &base), 0);
	assert_int_equal(base, LMC_NS_POOL_BASE + 3 * LMC_NS_POOL_SLOT);
	/* A subordinate range inside the pool is skipped too. */
	write_text(g_subgid, "dave:1073741825:1\n");
	assert_int_equal(lmc_ns_idmap_pool_pick(NULL, 0, &files, &base), 0);
	assert_int_equal(base, LMC_NS_POOL_BASE + LMC_NS_POOL_SLOT);
	/* Full. */
	used[0] = (struct lmc_idmap){0, LMC_NS_POOL_BASE - 1,
				     LMC_NS_POOL_SLOT * LMC_NS_POOL_SLOTS + 1};
	assert_int_equal(lmc_ns_idmap_pool_pick(used, 1, &files, &base), -ENOSPC);
	write_text(g_subgid, "alice:200000:65536\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allowed),
		cmocka_unit_test(test_pool),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
