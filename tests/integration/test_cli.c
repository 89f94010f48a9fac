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
#include "core/spec.h"
#include "tests/lib/scratch.h"

static char self_exe[4096];
static const char *lmctl_bin;

struct fixture {
	struct lmc_cgfs *cg;
	char root[128];
	char state[64];
};

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

/* ---- running lmctl ---- */

/* Run lmctl with the NULL-terminated arguments; capture stdout/stderr. Returns the exit
 * status (128+signal if killed). */
static int lmctl(char *out, size_t outsz, char *err, size_t errsz, ...)
{
	const char *argv[64] = {lmctl_bin};
	int fds[2] = {memfd_create("out", 0), memfd_create("err", 0)};
	size_t n = 1;
	va_list ap;
	pid_t pid;
	int st;

	va_start(ap, errsz);
	while (n < 63 && (argv[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	argv[n] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[0], 1);
		dup2(fds[1], 2);
		execv(lmctl_bin, (char **)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	for (int i = 0; i < 2; i++) {
		char *buf = i ? err : out;
		size_t sz = i ? errsz : outsz;
		ssize_t r = buf ? pread(fds[i], buf, sz - 1, 0) : 0;

		if (buf)
			buf[r > 0 ? r : 0] = '\0';
		close(fds[i]);
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

#define LMCTL_OK(...)                                                       \
	do {                                                                \
		char _e[1024];                                              \
		int _r = lmctl(NULL, 0, _e, sizeof(_e), __VA_ARGS__, NULL); \
		if (_r != 0)                                                \
			fail_msg("lmctl failed (%d): %s", _r, _e);          \
	} while (0)

static uint64_t json_u64(const char *json, const char *key)
{
	char pat[128];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	if (!p || strncmp(p + strlen(pat), "null", 4) == 0)
		return LMC_UNSET;
	return strtoull(p + strlen(pat), NULL, 10);
}

static uint64_t stat_of(const char *name, const char *key)
{
	char out[8192];

	assert_int_equal(lmctl(out, sizeof(out), NULL, 0, "stats", "--json", name, NULL), 0);
	return json_u64(out, key);
}

/* ---- fixture ---- */

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!lmc_test_is_root())
		skip();
	assert_non_null(f);
	assert_int_equal(lmc_test_scratch_open(&f->cg, f->root, sizeof(f->root)), 0);
	snprintf(f->state, sizeof(f->state), "/tmp/lmctl-test-state-XXXXXX");
	assert_non_null(mkdtemp(f->state));
	setenv("LMCTL_STATE_DIR", f->state, 1);
	setenv("LMCTL_CGROUP_ROOT", f->root, 1);
	setenv("LMCTL_SOCKET", "/nonexistent/lmctl.sock", 1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	if (!f)
		return 0;
	lmc_test_scratch_close(f->cg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->state);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

/* Does the container's directory exist in any managed hierarchy? */
static bool exists_anywhere(struct fixture *f, const char *name)
{
	for (int c = 0; c < LMC_CTRL__MAX; c++) {
		char path[1024];
		struct stat st;

		if (!lmc_cgfs_has(f->cg, c))
			continue;
		assert_int_equal(lmc_cgfs_path(f->cg, c, name, path, sizeof(path)), 0);
		if (stat(path, &st) == 0)
			return true;
	}
	return false;
}

static bool exists_everywhere(struct fixture *f, const char *name)
{
	for (int c = 0; c < LMC_CTRL__MAX; c++) {
		char path[1024];
		struct stat st;

		if (!lmc_cgfs_has(f->cg, c))
			continue;
		assert_int_equal(lmc_cgfs_path(f->cg, c, name, path, sizeof(path)), 0);
		if (stat(path, &st) != 0)
			return false;
	}
	return true;
}

static size_t count_records(struct fixture *f)
{
	char path[128];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/containers", f->state);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && strstr(de->d_name, ".rec") && de->d_name[0] != '@')
			n++;
	closedir(d);
	return n;
}

/* ---- tests ---- */

static void test_oom_kill_reported(void **state)
{
	char err[1024];
	int r;

	(void)state;
	LMCTL_OK("create", "jobA", "--memory=256M");
	LMCTL_OK("create", "jobA/sub1", "--memory=64M");
	r = lmctl(NULL, 0, err, sizeof(err), "run", "jobA/sub1", "--", self_exe, "hog", NULL);
	assert_int_equal(r, 128 + SIGKILL);
	assert_non_null(strstr(err, "OOM"));
	assert_true(stat_of("jobA/sub1", "memory.oom_kills") >= 1);
	assert_int_equal(stat_of("jobA/sub1", "memory.limit"), 64 << 20);
}

static void test_parent_limit_binds_child(void **state)
{
	char err[1024];
	int r;

	(void)state;
	LMCTL_OK("create", "jobB", "--memory=48M");
	LMCTL_OK("create", "jobB/leaf");
	r = lmctl(NULL, 0, err, sizeof(err), "run", "jobB/leaf", "--", self_exe, "hog", NULL);
	assert_int_equal(r, 128 + SIGKILL);
	assert_non_null(strstr(err, "OOM"));
	assert_true(stat_of("jobB/leaf", "memory.oom_kills") >= 1);
	/* The child has no limit of its own: the parent's is what bound it. */
	assert_true(stat_of("jobB/leaf", "memory.peak") <= 48 << 20);
}

struct pids_wait {
	const char *name;
	uint64_t want;
};

static bool pids_reached(void *ud)
{
	struct pids_wait *w = ud;
	uint64_t cur = stat_of(w->name, "pids.current");

	assert_true(cur <= w->want); /* never past the limit, at any sample */
	return cur == w->want;
}

static void test_fork_bomb_held_at_pids_limit(void **state)
{
	struct fixture *f = *state;
	struct pids_wait w = {"bomb", 16};

	LMCTL_OK("create", "bomb", "--pids-limit=16");
	LMCTL_OK("run", "-d", "bomb", "--", self_exe, "forkbomb");
	assert_int_equal(lmc_test_wait_until(pids_reached, &w, 10000), 0);
	assert_int_equal(stat_of("bomb", "pids.limit"), 16);
	/* Destroy with the bomb running finishes and leaves nothing. */
	LMCTL_OK("destroy", "-r", "bomb");
	assert_false(exists_anywhere(f, "bomb"));
}

static void test_cpu_limit_throttles(void **state)
{
	struct timespec t0, t1;
	uint64_t u0, u1;
	double cores;
	char out[64];

	(void)state;
	LMCTL_OK("create", "spin", "--cpus=0.2");
	assert_int_equal(lmctl(out, sizeof(out), NULL, 0, "run", "-d", "spin", "--", self_exe,
			       "spin", NULL),
			 0);
	usleep(200 * 1000); /* let it reach steady state */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	u0 = stat_of("spin", "cpu.usage_ns");
	sleep(2); /* the measurement window the issue names */
	u1 = stat_of("spin", "cpu.usage_ns");
	clock_gettime(CLOCK_MONOTONIC, &t1);
	cores = (double)(u1 - u0) /
		((t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec));
	print_message("spinning under --cpus=0.2 used %.3f of a core\n", cores);
	assert_true(cores <= 0.25);
	assert_true(cores >= 0.1); /* it did run: the limit, not absence, held it */
	assert_true(stat_of("spin", "cpu.nr_throttled") > 0);
	LMCTL_OK("destroy", "-r", "spin");
}

static void test_destroy_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	char err[1024];

	LMCTL_OK("create", "d", "--memory=64M", "--cpus=0.5", "--pids-limit=32",
		 "--blkio-weight=100");
	LMCTL_OK("create", "d/e", "--memory=32M");
	LMCTL_OK("run", "-d", "d/e", "--", "/bin/sleep", "60");
	assert_true(exists_everywhere(f, "d/e"));
	/* Refused without -r, and nothing changes. */
	assert_int_not_equal(lmctl(NULL, 0, err, sizeof(err), "destroy", "d", NULL), 0);
	assert_non_null(strstr(err, "-r"));
	assert_true(exists_everywhere(f, "d/e"));
	LMCTL_OK("destroy", "-r", "d");
	assert_false(exists_anywhere(f, "d/e"));
	assert_false(exists_anywhere(f, "d"));
	assert_int_equal(count_records(f), 0);
}

static void test_failed_create_leaves_nothing(void **state)
{
	struct fixture *f = *state;
	char err[1024];
	int r;

	/* 7:99 is no device: the kernel refuses the throttle after the other controllers
	 * were written. */
	r = lmctl(NULL, 0, err, sizeof(err), "create", "half", "--memory=64M", "--pids-limit=8",
		  "--device-read-bps=7:99:1M", NULL);
	assert_int_not_equal(r, 0);
	assert_non_null(strstr(err, "half"));
	assert_null(strchr(err, '\n') == err + strlen(err) - 1 ? NULL : strchr(err, '\n'));
	assert_false(exists_anywhere(f, "half"));
	assert_int_equal(count_records(f), 0);
}

static void test_bad_input_changes_nothing(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[][4] = {
		{"create", "../x"},
		{"create", "a//b"},
		{"create", "/abs"},
		{"create", "ok", "--memory=-1"},
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
	assert_int_equal(lmctl(before, sizeof(before), NULL, 0, "list", "-r", NULL), 0);
	memset(longname, 'a', 300);
	longname[300] = '\0';
	for (size_t i = 0; i <= ARRAY_SIZE(bad); i++) {
		const char *const *a = i < ARRAY_SIZE(bad)
					       ? bad[i]
					       : (const char *[]){"create", longname, NULL, NULL};
		char err[2048];
		int r = lmctl(NULL, 0, err, sizeof(err), a[0], a[1], a[2], a[3], NULL);

		if (r == 0 || !err[0] || strchr(err, '\n') != err + strlen(err) - 1)
			fail_msg("'%s %s %s' gave %d and '%s'", a[0], a[1], a[2] ? a[2] : "", r,
				 err);
	}
	assert_int_equal(lmctl(after, sizeof(after), NULL, 0, "list", "-r", NULL), 0);
	assert_string_equal(before, after);
	assert_false(exists_anywhere(f, "ok"));
	assert_false(exists_anywhere(f, "base/child"));
	assert_int_equal(count_records(f), 1);
}

static void test_update_reaches_kernel(void **state)
{
	struct fixture *f = *state;
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
	assert_int_not_equal(
		lmctl(NULL, 0, err, sizeof(err), "update", "u/leaf", "--memory=2G", NULL), 0);
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
	struct fixture *f = *state;

	LMCTL_OK("create", "place");
	assert_int_equal(lmctl(out, sizeof(out), NULL, 0, "run", "place", "--", self_exe, "cgroup",
			       NULL),
			 0);
	/* Every hierarchy lmctl manages shows the leaf: /.../<root>/place. */
	snprintf(want, sizeof(want), "/%s/place\n", f->root);
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		char l[512];

		if (strstr(line, "name=systemd") || strstr(line, ":devices:"))
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
	struct fixture *f = *state;
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
			execl(lmctl_bin, lmctl_bin, "create", name, "--memory=64M", "--cpus=0.5",
			      "--pids-limit=32", "--blkio-weight=100", (char *)NULL);
			_exit(127);
		}
		usleep((i * 397) % 4000); /* spread the kill over the create's life */
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	/* A writer opens the store: it finishes or undoes what was interrupted. */
	LMCTL_OK("init");
	assert_int_equal(lmctl(out, sizeof(out), NULL, 0, "list", NULL), 0);
	for (int i = 0; i < 40; i++) {
		char name[32], line[40];
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
			assert_true(exists_everywhere(f, name));
		else
			assert_false(exists_anywhere(f, name));
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_oom_kill_reported, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parent_limit_binds_child, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fork_bomb_held_at_pids_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpu_limit_throttles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_destroy_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_create_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_input_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_reaches_kernel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_run_placed_from_first_instruction, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_kill9_mid_create, setup, teardown),
	};
	ssize_t n;

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
	n = readlink("/proc/self/exe", self_exe, sizeof(self_exe) - 1);
	if (n <= 0)
		return 1;
	self_exe[n] = '\0';
	lmctl_bin = getenv("LMCTL_BIN");
	if (!lmctl_bin)
		lmctl_bin = "build/lmctl";
	return cmocka_run_group_tests(tests, NULL, NULL);
}
