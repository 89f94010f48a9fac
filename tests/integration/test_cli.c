/* The foundation, end to end: the lmctl binary (direct mode) on real cgroups, with what the
 * kernel enforces checked from the outside. Each test gets its own scratch cgroup root
 * (lmctl-test-*) and state directory, removed processes first whatever the outcome.
 *
 * This binary doubles as the workload: run inside a container as `test_cli hog|forkbomb|
 * spin|cgroup`, so the suite needs nothing but itself (the v2 VM has no python). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "controllers/cgroupfs.h"
#include "base/spec.h"
#include "tests/lib/lmctl-run.h"
#include "tests/lib/scratch.h"

/* ---- workloads (run inside containers) ---- */

static int work_hog(void)
{
	/* Touch memory until the kernel stops us; 4 GiB is far past every test limit. */
	for (size_t i = 0; i < 4096; i++) {
		char *p = malloc(1 << 20);

		if (!p)
			return 3;
		memset(p, 1, 1 << 20);
	}
	return 0;
}

/* A fork loop: every child forks on too; after the kernel has refused 1000 forks they all
 * wait to be killed, so the test reads the count while they are held. */
static int work_forkbomb(void)
{
	int refused = 0;

	while (refused < 1000) {
		pid_t p = fork();

		if (p < 0)
			refused++;
	}
	for (;;)
		pause();
	return 0;
}

static int work_spin(void)
{
	for (volatile unsigned long i = 0;; i++)
		;
	return 0;
}

static int work_cgroup(void)
{
	/* The first thing this process does: where is it? */
	char buf[4096];
	int fd = open("/proc/self/cgroup", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;

	if (n <= 0)
		return 2;
	return write(1, buf, n) == n ? 0 : 2;
}

/* ---- fixture ---- */

/* ---- tests ---- */

static void test_oom_kill_reported(void **state)
{
	char err[1024];
	int r;

	(void)state;
	LMCTL_OK("create", "jobA", "--memory=256M");
	LMCTL_OK("create", "jobA/sub1", "--memory=64M");
	r = lmc_test_lmctl(NULL, 0, err, sizeof(err), "run", "jobA/sub1", "--", lmc_test_self_exe(),
			   "hog", NULL);
	assert_int_equal(r, 128 + SIGKILL);
	assert_non_null(strstr(err, "killed by the OOM killer"));
	assert_true(lmc_test_stat("jobA/sub1", "memory.oom_kills") >= 1);
	assert_int_equal(lmc_test_stat("jobA/sub1", "memory.limit_bytes"), 64 << 20);
}

static void test_parent_limit_binds_child(void **state)
{
	char err[1024];
	int r;

	(void)state;
	LMCTL_OK("create", "jobB", "--memory=48M");
	LMCTL_OK("create", "jobB/leaf");
	r = lmc_test_lmctl(NULL, 0, err, sizeof(err), "run", "jobB/leaf", "--", lmc_test_self_exe(),
			   "hog", NULL);
	assert_int_equal(r, 128 + SIGKILL);
	assert_non_null(strstr(err, "killed by the OOM killer"));
	assert_true(lmc_test_stat("jobB/leaf", "memory.oom_kills") >= 1);
	/* The child has no limit of its own: the parent's is what bound it (its failure count
	 * rose), and the 4G hog got no further than the parent's 48M, give or take what the
	 * kernel lets an OOM victim charge past the limit on its way out. */
	assert_int_equal(lmc_test_stat("jobB/leaf", "memory.limit_bytes"), LMC_UNSET);
	assert_true(lmc_test_stat("jobB", "memory.failcnt") >= 1);
	assert_true(lmc_test_stat("jobB/leaf", "memory.peak_bytes") <= 52 << 20);
}

struct pids_wait {
	struct lmc_cgfs *cg;
	const char *name;
	uint64_t want;
};

/* Never more processes than the limit, at any sample: counted in cgroup.procs. The
 * counter (pids.current) may read one over for a moment: a fork adds itself first and
 * takes it back when that passes the limit (seen at 17 of 16 in the v1 guest). */
static bool pids_reached(void *ud)
{
	struct pids_wait *w = ud;
	pid_t *pids = NULL;
	size_t n = 0;

	assert_int_equal(lmc_cgfs_procs(w->cg, w->name, &pids, &n), 0);
	free(pids);
	assert_true(n <= w->want);
	return lmc_test_stat(w->name, "pids.current") >= w->want;
}

static void test_fork_bomb_held_at_pids_limit(void **state)
{
	struct lmc_test_env *f = *state;
	struct pids_wait w = {f->cg, "bomb", 16};

	LMCTL_OK("create", "bomb", "--pids-limit=16");
	LMCTL_OK("run", "-d", "bomb", "--", lmc_test_self_exe(), "forkbomb");
	assert_int_equal(lmc_test_wait_until(pids_reached, &w, 10000), 0);
	assert_int_equal(lmc_test_stat("bomb", "pids.limit"), 16);
	/* Destroy with the bomb running finishes and leaves nothing. */
	LMCTL_OK("destroy", "-r", "bomb");
	assert_false(lmc_test_exists_anywhere(f->cg, "bomb"));
}

static void test_cpu_limit_throttles(void **state)
{
	struct timespec t0, t1;
	uint64_t u0, u1;
	double cores;
	char out[64];

	(void)state;
	LMCTL_OK("create", "spin", "--cpus=0.2");
	assert_int_equal(lmc_test_lmctl(out, sizeof(out), NULL, 0, "run", "-d", "spin", "--",
					lmc_test_self_exe(), "spin", NULL),
			 0);
	usleep(200 * 1000); /* let it reach steady state */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	u0 = lmc_test_stat("spin", "cpu.usage_ns");
	sleep(2); /* the measurement window the issue names */
	u1 = lmc_test_stat("spin", "cpu.usage_ns");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cores = (double)(u1 - u0) /
		((t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec));
	print_message("spinning under --cpus=0.2 used %.3f of a core\n", cores);
	assert_true(cores <= 0.25);
	/* It ran (on a loaded host it may get less than its limit: 0.076 of a core was seen at
	 * load 10); that the limit held it is nr_throttled's to say, below. */
	assert_true(cores >= 0.02);
	assert_true(lmc_test_stat("spin", "cpu.nr_throttled") > 0);
	LMCTL_OK("destroy", "-r", "spin");
}

static bool weight_available(struct lmc_test_env *f)
{
	if (lmc_cgfs_mode(f->cg) == LMC_CG_V2)
		return lmc_cgfs_file_exists(f->cg, LMC_CTRL_BLKIO, "", "io.weight");
	return lmc_cgfs_file_exists(f->cg, LMC_CTRL_BLKIO, "", "blkio.weight") ||
	       lmc_cgfs_file_exists(f->cg, LMC_CTRL_BLKIO, "", "blkio.bfq.weight");
}

static void test_destroy_leaves_nothing(void **state)
{
	struct lmc_test_env *f = *state;
	char err[1024];

	/* A weight only where the kernel has a proportional I/O policy (CFQ, BFQ, iocost);
	 * elsewhere lmctl refuses it, and that refusal is checked instead. */
	if (weight_available(f)) {
		LMCTL_OK("create", "d", "--memory=64M", "--cpus=0.5", "--pids-limit=32",
			 "--blkio-weight=100");
	} else {
		assert_int_equal(lmc_test_lmctl(NULL, 0, err, sizeof(err), "create", "d",
						"--blkio-weight=100", NULL),
				 1);
		assert_non_null(strstr(err, "--blkio-weight needs a proportional I/O policy"));
		assert_false(lmc_test_exists_anywhere(f->cg, "d"));
		LMCTL_OK("create", "d", "--memory=64M", "--cpus=0.5", "--pids-limit=32");
	}
	LMCTL_OK("create", "d/e", "--memory=32M");
	LMCTL_OK("run", "-d", "d/e", "--", "/bin/sleep", "60");
	assert_true(lmc_test_exists_everywhere(f->cg, "d/e"));
	/* Refused without -r, and nothing changes. */
	assert_int_not_equal(lmc_test_lmctl(NULL, 0, err, sizeof(err), "destroy", "d", NULL), 0);
	assert_non_null(strstr(err, "-r"));
	assert_true(lmc_test_exists_everywhere(f->cg, "d/e"));
	LMCTL_OK("destroy", "-r", "d");
	assert_false(lmc_test_exists_anywhere(f->cg, "d/e"));
	assert_false(lmc_test_exists_anywhere(f->cg, "d"));
	assert_int_equal(lmc_test_count_records(f), 0);
}

static void test_failed_create_leaves_nothing(void **state)
{
	struct lmc_test_env *f = *state;
	char err[1024];
	int r;

	/* 7:99 is no device: the kernel refuses the throttle after the other controllers
	 * were written. */
	r = lmc_test_lmctl(NULL, 0, err, sizeof(err), "create", "half", "--memory=64M",
			   "--pids-limit=8", "--device-read-bps=7:99:1M", NULL);
	assert_int_not_equal(r, 0);
	assert_non_null(strstr(err, "half"));
	assert_null(strchr(err, '\n') == err + strlen(err) - 1 ? NULL : strchr(err, '\n'));
	assert_false(lmc_test_exists_anywhere(f->cg, "half"));
	assert_int_equal(lmc_test_count_records(f), 0);
}

static void test_bad_input_changes_nothing(void **state)
{
	struct lmc_test_env *f = *state;
	static const char *const bad[][4] = {
		{"create", "../x"},
		{"create", "a//b"},
		{"create", "/abs"},
		{"create", "ok", "--memory=-5"}, /* -1 is "no limit", as max */
		{"create", "ok", "--memory=12Q"},
		{"create", "ok", "--cpus=abc"},
		{"create", "ok", "--pids-limit=0"},
		{"create", "ok", "--device-read-bps=/dev/null:1M"},
		{"create", "ok", "--ns=pid,bogus"},
		{"create", "ok", "--no-such-flag"},
		{"create", "base/child"},
		{"update", "base", "--memory=1Z"},
		{"destroy", "nonexistent"},
		{"run", "base"},
		{"kill", "-s", "NOPE", "base"},
	};
	char before[4096], after[4096], longname[301];

	LMCTL_OK("create", "base", "--memory=64M");
	/* base holds a process: no child may be created under it (the leaf rule). */
	LMCTL_OK("run", "-d", "base", "--", "/bin/sleep", "60");
	assert_int_equal(lmc_test_lmctl(before, sizeof(before), NULL, 0, "list", "-r", NULL), 0);
	memset(longname, 'a', 300);
	longname[300] = '\0';
	for (size_t i = 0; i <= ARRAY_SIZE(bad); i++) {
		const char *const *a = i < ARRAY_SIZE(bad)
					       ? bad[i]
					       : (const char *[]){"create", longname, NULL, NULL};
		char err[2048];
		int r = lmc_test_lmctl(NULL, 0, err, sizeof(err), a[0], a[1], a[2], a[3], NULL);

		if (r == 0 || !err[0] || strchr(err, '\n') != err + strlen(err) - 1)
			fail_msg("'%s %s %s' gave %d and '%s'", a[0], a[1], a[2] ? a[2] : "", r,
				 err);
	}
	assert_int_equal(lmc_test_lmctl(after, sizeof(after), NULL, 0, "list", "-r", NULL), 0);
	assert_string_equal(before, after);
	assert_false(lmc_test_exists_anywhere(f->cg, "ok"));
	assert_false(lmc_test_exists_anywhere(f->cg, "base/child"));
	assert_int_equal(lmc_test_count_records(f), 1);
}

static void test_update_reaches_kernel(void **state)
{
	struct lmc_test_env *f = *state;
	uint64_t v;
	char err[1024];

	LMCTL_OK("create", "u", "--memory=1G");
	LMCTL_OK("create", "u/leaf", "--memory=256M", "--memory-reservation=64M");
	LMCTL_OK("update", "u/leaf", "--memory=512M");
	assert_int_equal(lmc_cgfs_read_u64(f->cg, LMC_CTRL_MEMORY, "u/leaf",
					   lmc_cgfs_mode(f->cg) == LMC_CG_V2
						   ? "memory.max"
						   : "memory.limit_in_bytes",
					   &v),
			 0);
	assert_int_equal(v, 512 << 20);
	/* Above the parent: refused, and the kernel keeps the old value. */
	assert_int_not_equal(lmc_test_lmctl(NULL, 0, err, sizeof(err), "update", "u/leaf",
					    "--memory=2G", NULL),
			     0);
	assert_non_null(strstr(err, "u/leaf"));
	assert_int_equal(lmc_cgfs_read_u64(f->cg, LMC_CTRL_MEMORY, "u/leaf",
					   lmc_cgfs_mode(f->cg) == LMC_CG_V2
						   ? "memory.max"
						   : "memory.limit_in_bytes",
					   &v),
			 0);
	assert_int_equal(v, 512 << 20);
}

static void test_run_placed_from_first_instruction(void **state)
{
	char out[4096], want[256];
	struct lmc_test_env *f = *state;

	LMCTL_OK("create", "place");
	assert_int_equal(lmc_test_lmctl(out, sizeof(out), NULL, 0, "run", "place", "--",
					lmc_test_self_exe(), "cgroup", NULL),
			 0);
	/* Every hierarchy lmctl manages shows the leaf: /.../<root>/place. */
	snprintf(want, sizeof(want), "/%s/place\n", f->root);
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		char l[512];

		/* Hierarchies lmctl does not manage (v1 hosts mount devices, rdma, misc, ...). */
		if (!lmc_test_managed_cgroup_line(line))
			continue;
		snprintf(l, sizeof(l), "%s\n", line);
		if (!strstr(l, want))
			fail_msg("not placed: %s", line);
	}
}

/* kill -9 of lmctl part-way through creates: the next command sees a tree in which every
 * stored container exists in every hierarchy, and no directory lacks a record. */
static void test_kill9_mid_create(void **state)
{
	struct lmc_test_env *f = *state;
	char out[8192];

	for (int i = 0; i < 40; i++) {
		char name[32];
		pid_t pid;

		snprintf(name, sizeof(name), "k%d", i);
		pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			int devnull = open("/dev/null", O_WRONLY);

			dup2(devnull, 2);
			execl(lmc_test_lmctl_bin(), lmc_test_lmctl_bin(), "create", name,
			      "--memory=64M", "--cpus=0.5", "--pids-limit=32", "--blkio-weight=100",
			      (char *)NULL);
			_exit(127);
		}
		usleep((i * 397) % 4000); /* spread the kill over the create's life */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	/* A writer opens the store: it finishes or undoes what was interrupted. */
	LMCTL_OK("init");
	assert_int_equal(lmc_test_lmctl(out, sizeof(out), NULL, 0, "list", NULL), 0);
	for (int i = 0; i < 40; i++) {
		char name[32], line[48];
		bool listed;

		snprintf(name, sizeof(name), "k%d", i);
		snprintf(line, sizeof(line), "%s\n", name);
		listed = false;
		for (char *p = out; (p = strstr(p, line)); p++)
			if (p == out || p[-1] == '\n') {
				listed = true;
				break;
			}
		if (listed)
			assert_true(lmc_test_exists_everywhere(f->cg, name));
		else
			assert_false(lmc_test_exists_anywhere(f->cg, name));
	}
}

/* Names of users and groups: /etc/passwd's, and one only getent(1) knows (a directory
 * service's user, LDAP or sssd; here a getent of the test's own, first on PATH), which the
 * static lmctl asks for a name its files do not hold. */
static void test_user_names(void **state)
{
	static const char script[] =
		"#!/bin/sh\n"
		"[ \"$1 $3\" = 'passwd lmctl-test-ghost' ] && echo 'lmctl-test-ghost:x:4242:4242::/:/bin/sh' "
		"&& exit 0\n"
		"[ \"$1 $3\" = 'group lmctl-test-ghost' ] && echo 'lmctl-test-ghost:x:4343:' && exit 0\n"
		"exit 2\n";
	char out[1024], err[1024], dir[] = "/tmp/lmctl-test-getent-XXXXXX", bin[64], path[4200];
	const char *old = getenv("PATH");
	int fd, r;

	(void)state;
	LMCTL_OK("create", "n");
	r = lmc_test_lmctl(out, sizeof(out), err, sizeof(err), "run", "--uid=root", "n", "--",
			   "/bin/sh", "-c", "id -u", NULL);
	assert_int_equal(r, 0);
	assert_string_equal(out, "0\n");
	/* a uid no file names, with its groups asked for: refused in one line (the static lmctl
	 * of `make static` crashed here, NSS dlopen'ing nss_systemd) */
	r = lmc_test_lmctl(out, sizeof(out), err, sizeof(err), "run", "--uid=3999999999", "n", "--",
			   "/bin/true", NULL);
	assert_int_equal(r, 125);
	assert_non_null(strstr(err, "has no entry in the user database"));
	assert_non_null(mkdtemp(dir));
	snprintf(bin, sizeof(bin), "%s/getent", dir);
	fd = open(bin, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0755);
	assert_true(fd >= 0 && write(fd, script, strlen(script)) == (ssize_t)strlen(script));
	close(fd);
	snprintf(path, sizeof(path), "%s:%s", dir, old ? old : "/usr/bin:/bin");
	setenv("PATH", path, 1);
	r = lmc_test_lmctl(out, sizeof(out), err, sizeof(err), "run", "--uid=lmctl-test-ghost",
			   "--gid=lmctl-test-ghost", "n", "--", "/bin/sh", "-c", "id -u; id -g",
			   NULL);
	if (old)
		setenv("PATH", old, 1);
	unlink(bin);
	rmdir(dir);
	assert_int_equal(r, 0);
	assert_string_equal(out, "4242\n4343\n");
	/* a name nobody knows is refused, nothing run */
	r = lmc_test_lmctl(out, sizeof(out), err, sizeof(err), "run", "--uid=lmctl-test-ghost", "n",
			   "--", "/bin/true", NULL);
	assert_int_equal(r, 2);
	assert_non_null(strstr(err, "no such user 'lmctl-test-ghost'"));
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_oom_kill_reported, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_parent_limit_binds_child, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_fork_bomb_held_at_pids_limit,
						lmc_test_env_setup, lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_cpu_limit_throttles, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_destroy_leaves_nothing, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_failed_create_leaves_nothing,
						lmc_test_env_setup, lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_bad_input_changes_nothing, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_update_reaches_kernel, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_run_placed_from_first_instruction,
						lmc_test_env_setup, lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_kill9_mid_create, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_user_names, lmc_test_env_setup,
						lmc_test_env_teardown),
	};
	if (argc > 1) {
		if (strcmp(argv[1], "hog") == 0)
			return work_hog();
		if (strcmp(argv[1], "forkbomb") == 0)
			return work_forkbomb();
		if (strcmp(argv[1], "spin") == 0)
			return work_spin();
		if (strcmp(argv[1], "cgroup") == 0)
			return work_cgroup();
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
