/* Authorization (proto/auth.c): what a non-root peer may do, decided over a real manager on a
 * fake cgroup2 root in a temporary directory (tests/unit/test_manager.c's kind of fake: a
 * directory per container, the interface files lmctl reads at its root). The tree: "a"
 * given to uid 1500, "a/b" below it, "c" root's. No root needed. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "controllers/cgroupfs.h"
#include "proto/auth.h"
#include "tests/lib/tmpdir.h"

#define OWNER 1500

struct fx {
	char dir[64], cg[96], state[96];
	struct lmc_manager *m;
};

/* A cgroup2 root offering the controllers, and lmctl's root below it as the kernel shows it. */
static void lay_out(const struct fx *f)
{
	static const char *const files[][2] = {
		{"cgroup.controllers", "cpuset cpu io memory pids\n"},
		{"lmctl/cgroup.controllers", "cpuset cpu io memory pids\n"},
		{"lmctl/cgroup.subtree_control", ""},
		{"lmctl/cgroup.procs", ""},
		{"lmctl/memory.max", "max\n"},
		{"lmctl/pids.max", "max\n"},
	};

	assert_int_equal(lmc_test_mkdir_p(f->cg, "lmctl"), 0);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char p[256];
		FILE *fp;

		snprintf(p, sizeof(p), "%s/%s", f->cg, files[i][0]);
		fp = fopen(p, "w");
		assert_non_null(fp);
		fputs(files[i][1], fp);
		fclose(fp);
	}
}

static void create(struct fx *f, const char *name, uid_t owner)
{
	struct lmc_err err = {0};
	struct lmc_spec spec;

	lmc_spec_init(&spec);
	spec.owner = owner;
	if (lmc_mgr_create(f->m, name, &spec, &err) < 0)
		fail_msg("create %s: %s", name, err.msg);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct lmc_cgfs_opts co = {.fake_mode = LMC_CG_V2};
	struct lmc_manager_opts o = {.cgroup_root = "lmctl", .cgfs = &co};
	struct lmc_err err = {0};

	assert_non_null(f);
	snprintf(f->dir, sizeof(f->dir), "/tmp/lmctl-unit-auth-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->cg, sizeof(f->cg), "%s/cg", f->dir);
	snprintf(f->state, sizeof(f->state), "%s/state", f->dir);
	assert_int_equal(mkdir(f->cg, 0755), 0);
	lay_out(f);
	co.fake_fsroot = f->cg;
	o.state_dir = f->state;
	if (lmc_mgr_open(&o, &f->m, &err) < 0)
		fail_msg("open: %s", err.msg);
	create(f, "a", OWNER);
	create(f, "a/b", LMC_OWNER_UNSET);
	create(f, "c", LMC_OWNER_UNSET);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	lmc_mgr_free(f->m);
	lmc_test_rm_rf(f->dir);
	free(f);
	return 0;
}

/* lmc_auth_target's answer for uname (and its message in msg, if given). */
static int target(const struct lmc_auth *a, const char *uname, bool allow_root, bool creating,
		  char *msg)
{
	char name[LMC_NAME_MAX + 1];
	struct lmc_err err = {0};
	int r = lmc_auth_target(a, uname, allow_root, creating, name, &err);

	if (msg)
		snprintf(msg, LMC_ERR_MSG_MAX, "%s", err.msg);
	return r;
}

static void test_target(void **state)
{
	struct fx *f = *state;
	struct lmc_auth root = {f->m, 0, 0}, own = {f->m, OWNER, OWNER}, other = {f->m, 1600, 1600};
	char msg[LMC_ERR_MSG_MAX];

	/* root: anything that parses, even what does not exist */
	assert_int_equal(target(&root, "c", false, false, NULL), 0);
	assert_int_equal(target(&root, "x/y", false, false, NULL), 0);
	/* the owner: its container and what lies below it */
	assert_int_equal(target(&own, "a", false, false, NULL), 0);
	assert_int_equal(target(&own, "a/b", false, false, NULL), 0);
	assert_int_equal(target(&own, "a/new", false, true, NULL), 0);
	/* nothing else: root's container, the root, a child of a missing one, another uid */
	assert_int_equal(target(&own, "c", false, false, msg), -EPERM);
	assert_string_equal(msg, "c: uid 1500 may not manage it (not owned by uid 1500)");
	assert_int_equal(target(&own, "c/new", false, true, NULL), -EPERM);
	assert_int_equal(target(&own, "/", true, false, NULL), -EPERM);
	assert_int_equal(target(&own, "a/x/new", false, true, NULL), -EPERM);
	assert_int_equal(target(&own, "a/new", false, false, NULL), -EPERM);
	assert_int_equal(target(&other, "a/b", false, false, NULL), -EPERM);
	/* names are parsed before anything is decided */
	assert_int_equal(target(&own, "a/../c", false, false, NULL), -EINVAL);
	assert_int_equal(target(&root, "", false, false, msg), -EINVAL);
	assert_string_equal(msg, "missing container name");
}

static void test_target_below(void **state)
{
	struct fx *f = *state;
	struct lmc_auth own = {f->m, OWNER, OWNER}, root = {f->m, 0, 0};
	char name[LMC_NAME_MAX + 1];
	struct lmc_err err = {0};

	assert_int_equal(lmc_auth_target_below(&own, "a/b", name, &err), 0);
	assert_string_equal(name, "a/b");
	assert_int_equal(lmc_auth_target_below(&own, "a", name, &err), -EPERM);
	assert_string_equal(err.msg,
			    "a: uid 1500 may manage only what lies below the container it owns");
	assert_int_equal(lmc_auth_target_below(&root, "a", name, &err), 0);
}

static void test_spec_owner(void **state)
{
	struct fx *f = *state;
	struct lmc_auth own = {f->m, OWNER, OWNER}, root = {f->m, 0, 0};
	struct lmc_err err = {0};
	struct lmc_spec spec;

	lmc_spec_init(&spec);
	assert_int_equal(lmc_auth_owner(&own, "a/n", &spec, &err), 0);
	spec.owner = OWNER;
	assert_int_equal(lmc_auth_owner(&own, "a/n", &spec, &err), 0);
	spec.owner = 1600;
	lmc_err_clear(&err);
	assert_int_equal(lmc_auth_owner(&own, "a/n", &spec, &err), -EPERM);
	assert_string_equal(err.msg, "a/n: uid 1500 may not give it to owner 1600");
	assert_int_equal(lmc_auth_owner(&root, "a/n", &spec, &err), 0);
	/* host root in an owner's map: refused; its own uid: allowed */
	spec.ns.mask = LMC_NS_USER;
	spec.ns.uid_map[0] = (struct lmc_idmap){0, 0, 1};
	spec.ns.n_uid_map = 1;
	lmc_err_clear(&err);
	assert_int_equal(lmc_auth_idmaps(&own, "a/n", &spec, &err), -EPERM);
	assert_non_null(strstr(err.msg, "a/n: uid 1500 may not map"));
	assert_int_equal(lmc_auth_idmaps(&root, "a/n", &spec, &err), 0);
	spec.ns.uid_map[0] = (struct lmc_idmap){0, OWNER, 1};
	assert_int_equal(lmc_auth_idmaps(&own, "a/n", &spec, &err), 0);
}

static void test_run_as_and_reserve(void **state)
{
	struct fx *f = *state;
	struct lmc_auth own = {f->m, OWNER, 1501}, root = {f->m, 0, 0};
	struct lmc_run_opts o = {0};
	struct lmc_err err = {0};

	assert_int_equal(lmc_auth_run_as(&own, true, 0, false, 0, &o, &err), -EPERM);
	assert_string_equal(err.msg, "run: uid 1500 may run only as itself");
	assert_int_equal(lmc_auth_run_as(&own, false, 0, true, 0, &o, &err), -EPERM);
	assert_int_equal(lmc_auth_run_as(&own, false, 0, false, 0, &o, &err), 0);
	assert_true(o.set_ids && o.uid == OWNER && o.gid == 1501 && !o.gid_from_user);
	/* root: a uid alone takes its groups from the user database, never gid 0 */
	assert_int_equal(lmc_auth_run_as(&root, true, 1234, false, 0, &o, &err), 0);
	assert_true(o.set_ids && o.uid == 1234 && o.gid_from_user);
	assert_int_equal(lmc_auth_run_as(&root, false, 0, false, 0, &o, &err), 0);
	assert_false(o.set_ids);
	assert_int_equal(lmc_auth_reserve(&own, &err), -EPERM);
	assert_int_equal(lmc_auth_reserve(&root, &err), 0);
}

static void test_enter(void **state)
{
	struct fx *f = *state;
	struct lmc_auth own = {f->m, OWNER, OWNER}, root = {f->m, 0, 0};
	const char *const in_b[] = {"a/b", "a/b"}, *const in_c[] = {"a/b", "c"};
	const char *const outside[] = {NULL}, *const at_root[] = {""};
	struct lmc_mgr_mover p = {.pid = 42, .ids = {OWNER, OWNER, OWNER}, .in = "a/b"};
	int32_t pids[] = {getpid()};
	struct lmc_err err = {0};

	/* a process that is not the peer's (this one is root's) */
	assert_int_equal(lmc_auth_enter(&own, pids, 1, &err), -EPERM);
	assert_int_equal(lmc_auth_enter(&root, pids, 1, &err), 0);
	/* out of containers it owns, in every hierarchy */
	p.places = in_b, p.n_places = 2;
	assert_int_equal(lmc_auth_mover(&p, &own, &err), 0);
	p.places = in_c;
	lmc_err_clear(&err);
	assert_int_equal(lmc_auth_mover(&p, &own, &err), -EPERM);
	assert_string_equal(err.msg, "enter: uid 1500 may not move pid 42 out of a/b (only out of "
				     "a container it owns)");
	p.places = at_root, p.n_places = 1, p.in = "", p.outside = true;
	assert_int_equal(lmc_auth_mover(&p, &own, &err), -EPERM);
	p.places = outside;
	lmc_err_clear(&err);
	assert_int_equal(lmc_auth_mover(&p, &own, &err), -EPERM);
	assert_non_null(strstr(err.msg, "out of a cgroup lmctl does not manage"));
	assert_int_equal(lmc_auth_mover(&p, &root, &err), 0);
	/* its process: real, effective and saved uid all the peer's */
	p.places = in_b, p.n_places = 2, p.in = "a/b", p.outside = false;
	p.ids[2] = 0;
	lmc_err_clear(&err);
	assert_int_equal(lmc_auth_mover(&p, &own, &err), -EPERM);
	assert_string_equal(err.msg, "enter: uid 1500 may not move pid 42 (not its process)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_target, setup, teardown),
		cmocka_unit_test_setup_teardown(test_target_below, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spec_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_as_and_reserve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enter, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
