/* The cgroup v2 specifics (issue 7), end to end through the lmctl binary on real cgroups:
 * subtree_control down the tree, the agent's own leaf, memory.high/low, io.max on a real
 * disk, cpu.max and cpu.weight, memory.swap.max, clone3(CLONE_INTO_CGROUP), cgroup.kill,
 * OOM counts and PSI per container. Every test runs in both modes: on v2 it checks the v2
 * files, on hybrid the v1 equivalent or the refusal a user sees; none passes silently.
 *
 * This binary doubles as the workload: `test_v2 hog MIB|readdirect DEV|spin|forkbomb|cgroup|
 * cpus`, so the guest needs nothing but itself.
 *
 * Over 800 lines: one program, because the VM guest runs each test program as its own
 * workload (above); each test is short. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "controllers/cgroupfs.h"
#include "controllers/controller.h"
#include "base/spec.h"
#include "nsutil/ns.h"
#include "tests/lib/lmctl-run.h"
#include "tests/lib/scratch.h"

#define MiB (UINT64_C(1) << 20)

/* ---- workloads (run inside containers) ---- */

/* Touch mib MiB, then wait to be killed (the test reads the counters meanwhile). */
static int work_hog(const char *mib)
{
	unsigned long n = strtoul(mib, NULL, 10);

	for (unsigned long i = 0; i < n; i++) {
		char *p = malloc(MiB);

		if (!p)
			return 3;
		memset(p, 1, MiB);
	}
	for (;;)
		pause();
	return 0;
}

/* O_DIRECT reads of the first 64 MiB of dev (a disk or a file on one), over and over: every
 * byte goes to the disk. */
static int work_readdirect(const char *dev)
{
	const size_t bs = 64 << 10;
	int fd = open(dev, O_RDONLY | O_DIRECT);
	off_t off = 0, wrap = fd >= 0 ? lseek(fd, 0, SEEK_END) : 0;
	void *buf;

	if (fd < 0 || posix_memalign(&buf, 4096, bs) != 0 || wrap < (off_t)bs)
		return 2;
	if (wrap > (64 << 20))
		wrap = 64 << 20;
	for (;;) {
		if (pread(fd, buf, bs, off) != (ssize_t)bs)
			return 3;
		off = (off + (off_t)bs) % (wrap - wrap % (off_t)bs);
	}
	return 0;
}

static int work_spin(void)
{
	/* Spinners share one CPU, so that they contend on any machine. */
	if (lmc_test_pin_one_cpu() < 0)
		return 1;
	for (volatile unsigned long i = 0;; i++)
		;
	return 0;
}

static int work_forkbomb(void)
{
	for (;;)
		if (fork() < 0)
			pause();
	return 0;
}

/* Print a file of /proc/self: where this process is, or which cpus it may use. */
static int work_cat(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf)) : -1;

	if (n <= 0)
		return 2;
	return write(1, buf, n) == n ? 0 : 2;
}

/* ---- helpers ---- */

static bool is_v2(const struct lmc_test_env *e)
{
	return lmc_cgfs_mode(e->cg) == LMC_CG_V2;
}

static uint64_t kernel_u64(struct lmc_test_env *e, enum lmc_ctrl c, const char *name,
			   const char *file)
{
	uint64_t v = 0;

	if (lmc_cgfs_read_u64(e->cg, c, name, file, &v) < 0)
		fail_msg("%s: cannot read %s", name, file);
	return v;
}

static uint64_t kernel_key(struct lmc_test_env *e, enum lmc_ctrl c, const char *name,
			   const char *file, const char *key)
{
	uint64_t v = 0;

	if (lmc_cgfs_read_key(e->cg, c, name, file, key, &v) < 0)
		fail_msg("%s: no '%s' in %s", name, key, file);
	return v;
}

static void kernel_str(struct lmc_test_env *e, enum lmc_ctrl c, const char *name, const char *file,
		       char *buf, size_t size)
{
	if (lmc_cgfs_read(e->cg, c, name, file, buf, size) < 0)
		fail_msg("%s: cannot read %s", name, file);
	buf[strcspn(buf, "\n")] = '\0';
}

static uint64_t file_u64(const char *path)
{
	char buf[64] = "";
	FILE *f = fopen(path, "re");

	if (!f)
		fail_msg("cannot open %s", path);
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return strtoull(buf, NULL, 10);
}

/* " cpu io memory pids " style membership of one word in a space-separated list. */
static bool has_word(const char *list, const char *word)
{
	char l[512], w[64];

	snprintf(l, sizeof(l), " %s ", list);
	snprintf(w, sizeof(w), " %s ", word);
	return strstr(l, w) != NULL;
}

static const char *const v2_ctrls[] = {"cpu", "io", "memory", "pids", "cpuset"};

struct stat_wait {
	const char *name, *key;
	uint64_t min;
};

static bool stat_at_least(void *ud)
{
	const struct stat_wait *w = ud;
	uint64_t v = lmc_test_stat(w->name, w->key);

	return v != LMC_UNSET && v >= w->min;
}

struct key_wait {
	struct lmc_test_env *e;
	enum lmc_ctrl c;
	const char *name, *file, *key;
	uint64_t min;
};

static bool key_at_least(void *ud)
{
	const struct key_wait *w = ud;
	uint64_t v = 0;

	return lmc_cgfs_read_key(w->e->cg, w->c, w->name, w->file, w->key, &v) >= 0 && v >= w->min;
}

/* ---- subtree_control and delegation ---- */

static void test_subtree_control_down_to_containers(void **state)
{
	struct lmc_test_env *e = *state;
	char buf[256], path[1024];
	FILE *f;

	LMCTL_OK("create", "a", "--memory=64M");
	LMCTL_OK("create", "a/b", "--cpus=0.5", "--pids-limit=32");
	LMCTL_OK("create", "a/c");
	LMCTL_OK("run", "-d", "a/b", "--", "/bin/sleep", "60");
	if (!is_v2(e)) {
		/* Hybrid: the controllers are v1 hierarchies, each holding every container; the
		 * cgroup2 tree has none to enable, so lmctl writes no subtree_control. */
		assert_true(lmc_test_exists_everywhere(e->cg, "a/b"));
		if (lmc_cgfs_has(e->cg, LMC_CTRL_UNIFIED)) { /* not on v1 alone */
			kernel_str(e, LMC_CTRL_UNIFIED, "a", "cgroup.subtree_control", buf,
				   sizeof(buf));
			assert_string_equal(buf, "");
		}
		assert_int_equal(kernel_u64(e, LMC_CTRL_MEMORY, "a", "memory.limit_in_bytes"),
				 64 * MiB);
		return;
	}
	/* Enabled from lmctl's root down to every container that has children... */
	for (size_t i = 0; i < ARRAY_SIZE(v2_ctrls); i++) {
		kernel_str(e, LMC_CTRL_UNIFIED, "", "cgroup.subtree_control", buf, sizeof(buf));
		if (!has_word(buf, v2_ctrls[i]))
			fail_msg("root subtree_control '%s' lacks %s", buf, v2_ctrls[i]);
		kernel_str(e, LMC_CTRL_UNIFIED, "a", "cgroup.subtree_control", buf, sizeof(buf));
		if (!has_word(buf, v2_ctrls[i]))
			fail_msg("a's subtree_control '%s' lacks %s", buf, v2_ctrls[i]);
		kernel_str(e, LMC_CTRL_UNIFIED, "a/b", "cgroup.controllers", buf, sizeof(buf));
		if (!has_word(buf, v2_ctrls[i]))
			fail_msg("a/b's controllers '%s' lack %s", buf, v2_ctrls[i]);
	}
	/* ...and from the test's own cgroup (the root's parent) down to it. */
	assert_int_equal(lmc_cgfs_path(e->cg, LMC_CTRL_UNIFIED, "", path, sizeof(path)), 0);
	snprintf(strrchr(path, '/'), sizeof(path) - (size_t)(strrchr(path, '/') - path),
		 "/cgroup.subtree_control");
	f = fopen(path, "re");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(v2_ctrls); i++)
		if (!has_word(buf, v2_ctrls[i]))
			fail_msg("%s '%s' lacks %s", path, buf, v2_ctrls[i]);
	/* Not in leaves: a process-holding leaf and an empty one enable nothing below. */
	kernel_str(e, LMC_CTRL_UNIFIED, "a/b", "cgroup.subtree_control", buf, sizeof(buf));
	assert_string_equal(buf, "");
	kernel_str(e, LMC_CTRL_UNIFIED, "a/c", "cgroup.subtree_control", buf, sizeof(buf));
	assert_string_equal(buf, "");
	assert_int_equal(kernel_u64(e, LMC_CTRL_MEMORY, "a", "memory.max"), 64 * MiB);
	kernel_str(e, LMC_CTRL_CPU, "a/b", "cpu.max", buf, sizeof(buf));
	assert_string_equal(buf, "50000 100000");
	assert_int_equal(kernel_u64(e, LMC_CTRL_PIDS, "a/b", "pids.max"), 32);
}

/* lmctl started inside a cgroup that holds it, with the default root (own cgroup + /lmctl):
 * on v2 it must first move itself to a leaf (lmctl.agent) so that its cgroup may enable
 * controllers for lmctl's tree; v1 has no such rule, so there it makes no leaf. */
static void test_own_cgroup_delegates(void **state)
{
	struct lmc_test_env *e = *state;
	struct lmc_err err = {0};
	int go[2], st;
	char buf[256];
	pid_t pid;

	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char c;

		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(126);
		unsetenv("LMCTL_CGROUP_ROOT");
		execl(lmc_test_lmctl_bin(), lmc_test_lmctl_bin(), "create", "x", "--memory=64M",
		      (char *)NULL);
		_exit(127);
	}
	close(go[0]);
	/* The scratch root is this lmctl's own cgroup in every hierarchy. */
	assert_int_equal(lmc_cgfs_attach(e->cg, "", pid, false, &err), 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_true(lmc_test_exists_everywhere(e->cg, "lmctl/x"));
	if (!is_v2(e)) {
		assert_false(lmc_cgfs_file_exists(e->cg, LMC_CTRL_UNIFIED, "lmctl.agent",
						  "cgroup.procs"));
		assert_int_equal(kernel_u64(e, LMC_CTRL_MEMORY, "lmctl/x", "memory.limit_in_bytes"),
				 64 * MiB);
		return;
	}
	assert_true(lmc_cgfs_file_exists(e->cg, LMC_CTRL_UNIFIED, "lmctl.agent", "cgroup.procs"));
	kernel_str(e, LMC_CTRL_UNIFIED, "", "cgroup.subtree_control", buf, sizeof(buf));
	assert_true(has_word(buf, "memory"));
	assert_int_equal(kernel_u64(e, LMC_CTRL_MEMORY, "lmctl/x", "memory.max"), 64 * MiB);
	kernel_str(e, LMC_CTRL_UNIFIED, "lmctl/x", "cgroup.subtree_control", buf, sizeof(buf));
	assert_string_equal(buf, "");
}

/* ---- memory ---- */

static void test_memory_high_throttles(void **state)
{
	struct lmc_test_env *e = *state;
	char err[1024];
	int r;

	if (!is_v2(e)) {
		/* v1 has no throttle point: refused with the reason, nothing made. */
		r = lmc_test_lmctl(NULL, 0, err, sizeof(err), "create", "mh", "--memory-high=16M",
				   NULL);
		assert_int_not_equal(r, 0);
		assert_non_null(strstr(err, "--memory-high"));
		assert_non_null(strstr(err, "v2"));
		assert_false(lmc_test_exists_anywhere(e->cg, "mh"));
		return;
	}
	LMCTL_OK("create", "mh", "--memory-high=16M");
	assert_int_equal(kernel_u64(e, LMC_CTRL_MEMORY, "mh", "memory.high"), 16 * MiB);
	assert_int_equal(kernel_u64(e, LMC_CTRL_MEMORY, "mh", "memory.max"), LMC_UNSET);
	LMCTL_OK("run", "-d", "mh", "--", lmc_test_self_exe(), "hog", "64");
	/* Above memory.high the kernel reclaims and throttles: the "high" event counts it,
	 * and the process lives on (no OOM kill: it is slowed, not killed). */
	struct key_wait w = {e, LMC_CTRL_MEMORY, "mh", "memory.events", "high", 1};

	assert_int_equal(lmc_test_wait_until(key_at_least, &w, 20000), 0);
	assert_int_equal(kernel_key(e, LMC_CTRL_MEMORY, "mh", "memory.events", "oom_kill"), 0);
	assert_int_equal(lmc_test_stat("mh", "memory.oom_kills"), 0);
	assert_int_equal(lmc_test_stat("mh", "pids.current"), 1);
	/* Raising it back to max through update lifts the throttle point. */
	LMCTL_OK("update", "mh", "--memory-high=1G");
	assert_int_equal(kernel_u64(e, LMC_CTRL_MEMORY, "mh", "memory.high"), 1024 * MiB);
	LMCTL_OK("destroy", "-r", "mh");
}

static void test_memory_low_from_reservation(void **state)
{
	struct lmc_test_env *e = *state;
	const char *file = is_v2(e) ? "memory.low" : "memory.soft_limit_in_bytes";

	LMCTL_OK("create", "ml", "--memory=128M", "--memory-reservation=32M");
	assert_int_equal(kernel_u64(e, LMC_CTRL_MEMORY, "ml", file), 32 * MiB);
	LMCTL_OK("update", "ml", "--memory-reservation=16M");
	assert_int_equal(kernel_u64(e, LMC_CTRL_MEMORY, "ml", file), 16 * MiB);
	assert_int_equal(lmc_test_stat("ml", "memory.limit_bytes"), 128 * MiB);
}

static void test_memory_swap_max(void **state)
{
	struct lmc_test_env *e = *state;

	LMCTL_OK("create", "sw", "--memory=64M", "--memory-swap=96M");
	if (is_v2(e)) {
		/* docker's --memory-swap is memory plus swap; v2's file is the swap alone. */
		assert_int_equal(kernel_u64(e, LMC_CTRL_MEMORY, "sw", "memory.swap.max"), 32 * MiB);
		assert_int_equal(kernel_u64(e, LMC_CTRL_MEMORY, "sw", "memory.max"), 64 * MiB);
		LMCTL_OK("update", "sw", "--memory=32M", "--memory-swap=128M");
		assert_int_equal(kernel_u64(e, LMC_CTRL_MEMORY, "sw", "memory.swap.max"), 96 * MiB);
		return;
	}
	assert_int_equal(kernel_u64(e, LMC_CTRL_MEMORY, "sw", "memory.memsw.limit_in_bytes"),
			 96 * MiB);
	assert_int_equal(kernel_u64(e, LMC_CTRL_MEMORY, "sw", "memory.limit_in_bytes"), 64 * MiB);
	LMCTL_OK("update", "sw", "--memory=32M", "--memory-swap=128M");
	assert_int_equal(kernel_u64(e, LMC_CTRL_MEMORY, "sw", "memory.memsw.limit_in_bytes"),
			 128 * MiB);
}

static void test_oom_counted_in_stats(void **state)
{
	struct lmc_test_env *e = *state;
	char err[1024];
	int r;

	LMCTL_OK("create", "o", "--memory=32M");
	r = lmc_test_lmctl(NULL, 0, err, sizeof(err), "run", "o", "--", lmc_test_self_exe(), "hog",
			   "4096", NULL);
	assert_int_equal(r, 128 + SIGKILL);
	assert_non_null(strstr(err, "OOM"));
	assert_true(lmc_test_stat("o", "memory.oom_kills") >= 1);
	if (is_v2(e)) {
		/* memory.events: the OOM (the limit was hit and reclaim failed) and the kill. */
		assert_int_equal(lmc_test_stat("o", "memory.oom_kills"),
				 kernel_key(e, LMC_CTRL_MEMORY, "o", "memory.events", "oom_kill"));
		assert_true(lmc_test_stat("o", "memory.oom_events") >= 1);
		assert_int_equal(lmc_test_stat("o", "memory.oom_events"),
				 kernel_key(e, LMC_CTRL_MEMORY, "o", "memory.events", "oom"));
		assert_true(lmc_test_stat("o", "memory.failcnt") >= 1);
		return;
	}
	assert_int_equal(lmc_test_stat("o", "memory.oom_kills"),
			 kernel_key(e, LMC_CTRL_MEMORY, "o", "memory.oom_control", "oom_kill"));
	assert_true(lmc_test_stat("o", "memory.failcnt") >= 1);
}

/* ---- io ---- */

/* The disk to throttle: $LMCTL_TEST_BLOCKDEV (the VM's virtio disk), else the whole disk
 * under /var/tmp (its /dev name from sysfs's uevent). */
static int test_disk(char *buf, size_t size, dev_t *ret)
{
	const char *env = getenv("LMCTL_TEST_BLOCKDEV");
	char sys[128], line[256];
	struct stat st;
	FILE *f;

	if (env && stat(env, &st) == 0 && S_ISBLK(st.st_mode)) {
		snprintf(buf, size, "%s", env);
		*ret = st.st_rdev;
		return 0;
	}
	if (stat("/var/tmp", &st) < 0 || major(st.st_dev) == 0)
		return -ENODEV;
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/partition", major(st.st_dev),
		 minor(st.st_dev));
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/%suevent", major(st.st_dev),
		 minor(st.st_dev), access(sys, F_OK) == 0 ? "../" : "");
	f = fopen(sys, "re");
	if (!f)
		return -ENODEV;
	buf[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "DEVNAME=", 8) == 0) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, size, "/dev/%.64s", line + 8);
		}
	fclose(f);
	if (!buf[0] || stat(buf, &st) < 0 || !S_ISBLK(st.st_mode))
		return -ENODEV;
	*ret = st.st_rdev;
	return 0;
}

/* 32 MiB of data on the disk under /var/tmp, unlinked; its fd stays open. */
static int scratch_file(char *path, size_t size)
{
	char name[] = "/var/tmp/lmctl-test-io-XXXXXX", block[1 << 16];
	int fd = mkstemp(name);

	if (fd < 0)
		return -errno;
	unlink(name);
	memset(block, 'x', sizeof(block));
	for (int i = 0; i < 512; i++)
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block)) {
			close(fd);
			return -EIO;
		}
	fsync(fd);
	snprintf(path, size, "/proc/%d/fd/%d", (int)getpid(), fd);
	return fd;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void test_io_max_throttles_reads(void **state)
{
	struct lmc_test_env *e = *state;
	char dev[128], src[128], flag[160], want[96], buf[1024];
	struct stat_wait w = {"io", "io.read_bytes", 256 << 10};
	int file_fd = -1;
	uint64_t b0, b1;
	double t0, t1, rate;
	dev_t d;

	if (test_disk(dev, sizeof(dev), &d) < 0)
		fail_msg("no block device to throttle (set LMCTL_TEST_BLOCKDEV)");
	/* Without a disk of its own (a host may refuse opening its root disk), the reads go to
	 * a file on the throttled disk, unlinked at once, reached through /proc/<pid>/fd. */
	if (!getenv("LMCTL_TEST_BLOCKDEV")) {
		file_fd = scratch_file(src, sizeof(src));
		assert_true(file_fd >= 0);
	} else {
		snprintf(src, sizeof(src), "%s", dev);
	}
	snprintf(flag, sizeof(flag), "--device-read-bps=%s:1M", dev);
	LMCTL_OK("create", "io", flag);
	if (is_v2(e)) {
		kernel_str(e, LMC_CTRL_BLKIO, "io", "io.max", buf, sizeof(buf));
		snprintf(want, sizeof(want), "%u:%u rbps=1048576 ", major(d), minor(d));
	} else {
		kernel_str(e, LMC_CTRL_BLKIO, "io", "blkio.throttle.read_bps_device", buf,
			   sizeof(buf));
		snprintf(want, sizeof(want), "%u:%u 1048576", major(d), minor(d));
	}
	if (!strstr(buf, want))
		fail_msg("io throttle file '%s' lacks '%s'", buf, want);
	LMCTL_OK("run", "-d", "io", "--", lmc_test_self_exe(), "readdirect", src);
	/* The rate over a window, from what the kernel counted (io.stat / blkio), not from
	 * how long a read took. */
	assert_int_equal(lmc_test_wait_until(stat_at_least, &w, 10000), 0);
	t0 = now_s();
	b0 = lmc_test_stat("io", "io.read_bytes");
	sleep(3);
	b1 = lmc_test_stat("io", "io.read_bytes");
	t1 = now_s();
	rate = (double)(b1 - b0) / (t1 - t0);
	print_message("O_DIRECT reads of %s (%s) under 1M/s: %.0f bytes/s\n", src, dev, rate);
	assert_true(rate <= 1.3 * MiB);
	assert_true(rate >= 0.5 * MiB); /* it did read: the throttle, not a stall, held it */
	LMCTL_OK("destroy", "-r", "io");
	if (file_fd >= 0)
		close(file_fd);
}

/* ---- cpu ---- */

static const char *burst_file(struct lmc_test_env *e)
{
	return is_v2(e) ? "cpu.max.burst" : "cpu.cfs_burst_us";
}

static void test_cpu_max_and_weight(void **state)
{
	struct lmc_test_env *e = *state;
	static const uint64_t shares[] = {512, 2, 262144, 1024};
	char buf[64];

	LMCTL_OK("create", "c", "--cpus=0.5", "--cpu-period=50000", "--cpu-shares=512");
	if (is_v2(e)) {
		kernel_str(e, LMC_CTRL_CPU, "c", "cpu.max", buf, sizeof(buf));
		assert_string_equal(buf, "25000 50000");
	} else {
		assert_int_equal(kernel_u64(e, LMC_CTRL_CPU, "c", "cpu.cfs_quota_us"), 25000);
		assert_int_equal(kernel_u64(e, LMC_CTRL_CPU, "c", "cpu.cfs_period_us"), 50000);
	}
	for (size_t i = 0; i < ARRAY_SIZE(shares); i++) {
		/* The logarithmic mapping (crun, runc >= 1.2): 2 -> 1, 512 -> 59, 1024 -> 100,
		 * 262144 -> 10000 (the old linear one gave 20 for 512). */
		static const uint64_t weight[] = {59, 1, 10000, 100};
		char flag[40];

		snprintf(flag, sizeof(flag), "--cpu-shares=%llu", (unsigned long long)shares[i]);
		LMCTL_OK("update", "c", flag);
		if (is_v2(e))
			assert_int_equal(kernel_u64(e, LMC_CTRL_CPU, "c", "cpu.weight"), weight[i]);
		else
			assert_int_equal(kernel_u64(e, LMC_CTRL_CPU, "c", "cpu.shares"), shares[i]);
		assert_int_equal(lmc_conv_shares_to_weight(shares[i]), weight[i]);
	}
	/* Raising the limit rewrites the quota over the same period. */
	LMCTL_OK("update", "c", "--cpus=2");
	if (is_v2(e)) {
		kernel_str(e, LMC_CTRL_CPU, "c", "cpu.max", buf, sizeof(buf));
		assert_string_equal(buf, "100000 50000");
	} else {
		assert_int_equal(kernel_u64(e, LMC_CTRL_CPU, "c", "cpu.cfs_quota_us"), 100000);
	}
	/* A burst (cpu.max.burst / cpu.cfs_burst_us) up to the quota; above it is refused and
	 * the kernel keeps the old one; lowering the quota below the burst takes both down. */
	LMCTL_OK("update", "c", "--cpu-burst=20000");
	assert_int_equal(kernel_u64(e, LMC_CTRL_CPU, "c", burst_file(e)), 20000);
	assert_int_not_equal(lmc_test_lmctl(NULL, 0, buf, sizeof(buf), "update", "c",
					    "--cpu-burst=200000", NULL),
			     0);
	assert_non_null(strstr(buf, "--cpu-burst"));
	assert_int_equal(kernel_u64(e, LMC_CTRL_CPU, "c", burst_file(e)), 20000);
	LMCTL_OK("update", "c", "--cpus=0.5", "--cpu-burst=10000");
	assert_int_equal(kernel_u64(e, LMC_CTRL_CPU, "c", burst_file(e)), 10000);
}

static void test_cpuset_from_flag(void **state)
{
	struct lmc_test_env *e = *state;
	char out[4096], err[1024], buf[64];
	const char *p;

	LMCTL_OK("create", "cs", "--cpuset-cpus=0");
	kernel_str(e, LMC_CTRL_CPUSET, "cs", "cpuset.cpus", buf, sizeof(buf));
	assert_string_equal(buf, "0");
	assert_int_equal(lmc_test_lmctl(out, sizeof(out), NULL, 0, "run", "cs", "--",
					lmc_test_self_exe(), "cpus", NULL),
			 0);
	p = strstr(out, "Cpus_allowed_list:");
	assert_non_null(p);
	p += strlen("Cpus_allowed_list:");
	p += strspn(p, " \t");
	assert_int_equal(strncmp(p, "0\n", 2), 0);
	/* More cpus than the parent has: refused, naming the parent's set. */
	assert_int_not_equal(lmc_test_lmctl(NULL, 0, err, sizeof(err), "create", "cs2",
					    "--cpuset-cpus=0-4000", NULL),
			     0);
	assert_non_null(strstr(err, "not a subset"));
	assert_false(lmc_test_exists_anywhere(e->cg, "cs2"));
}

/* ---- processes ---- */

/* clone3(CLONE_INTO_CGROUP) alone, no attach callback: the child's first instruction runs
 * in the leaf's cgroup2 directory. On hybrid only the cgroup2 line can show it (the v1
 * hierarchies need the attach), which proves the clone placed it. */
static void test_clone_into_cgroup(void **state)
{
	struct lmc_test_env *e = *state;
	const char *argv[] = {lmc_test_self_exe(), "cgroup", NULL};
	struct lmc_ns_spawn_opts o = {.argv = argv, .stdio = {-1, -1, -1}};
	struct lmc_err err = {0};
	char out[4096] = "", want[256];
	int pfd[2], st, fd;
	ssize_t n;
	pid_t pid;

	LMCTL_OK("create", "cl");
	fd = lmc_cgfs_unified_fd(e->cg, "cl");
	/* v1 alone has no cgroup2 tree to clone into (placement is by cgroup.procs there). */
	if (!lmc_cgfs_has(e->cg, LMC_CTRL_UNIFIED)) {
		assert_int_equal(fd, -EOPNOTSUPP);
		return;
	}
	assert_true(fd >= 0);
	assert_int_equal(pipe2(pfd, O_CLOEXEC), 0);
	o.stdio[1] = pfd[1];
	o.cgroup_fd = fd;
	assert_int_equal(lmc_ns_spawn(&o, &pid, NULL, &err), 0);
	close(pfd[1]);
	close(fd);
	n = read(pfd[0], out, sizeof(out) - 1);
	close(pfd[0]);
	assert_true(n > 0);
	out[n] = '\0';
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	snprintf(want, sizeof(want), "0::/");
	assert_non_null(strstr(out, want));
	snprintf(want, sizeof(want), "/%s/cl\n", e->root);
	{
		const char *line = strstr(out, "0::/");

		assert_non_null(line);
		assert_non_null(strstr(line, want));
	}
	if (!is_v2(e)) {
		char *mem = strstr(out, ":memory:");

		assert_non_null(mem);
		mem[strcspn(mem, "\n")] = '\0';
		assert_null(strstr(mem, "/cl"));
	}
}

struct pids_wait {
	const char *name;
	uint64_t want;
};

static bool pids_reached(void *ud)
{
	struct pids_wait *w = ud;

	return lmc_test_stat(w->name, "pids.current") == w->want;
}

/* cgroup.kill takes a whole subtree, fork bomb included, in one write. */
static void test_cgroup_kill_subtree(void **state)
{
	struct lmc_test_env *e = *state;
	struct pids_wait w = {"k/bomb", 32};
	/* v1 alone: no cgroup.kill; lmctl freezes, kills every pid and thaws instead. */
	bool cg2 = lmc_cgfs_has(e->cg, LMC_CTRL_UNIFIED);
	bool pop = false;

	if (cg2)
		assert_true(lmc_cgfs_file_exists(e->cg, LMC_CTRL_UNIFIED, "", "cgroup.kill"));
	LMCTL_OK("create", "k");
	LMCTL_OK("create", "k/bomb", "--pids-limit=32");
	LMCTL_OK("create", "k/calm");
	LMCTL_OK("run", "-d", "k/bomb", "--", lmc_test_self_exe(), "forkbomb");
	LMCTL_OK("run", "-d", "k/calm", "--", "/bin/sleep", "60");
	assert_int_equal(lmc_test_wait_until(pids_reached, &w, 10000), 0);
	assert_int_equal(lmc_cgfs_populated(e->cg, "k", &pop), 0);
	assert_true(pop);
	if (cg2)
		assert_int_equal(kernel_key(e, LMC_CTRL_UNIFIED, "k", "cgroup.events", "populated"),
				 1);
	LMCTL_OK("kill", "-r", "k");
	/* lmctl kill returns once the kernel says the subtree is empty. */
	assert_int_equal(lmc_cgfs_populated(e->cg, "k", &pop), 0);
	assert_false(pop);
	if (cg2)
		assert_int_equal(kernel_key(e, LMC_CTRL_UNIFIED, "k", "cgroup.events", "populated"),
				 0);
	/* pids are uncharged when the dead are reaped, a moment after they left. */
	w.want = 0;
	assert_int_equal(lmc_test_wait_until(pids_reached, &w, 5000), 0);
	assert_int_equal(lmc_test_stat("k/calm", "pids.current"), 0);
	/* The containers stay; only the processes went. */
	assert_true(lmc_test_exists_everywhere(e->cg, "k/bomb"));
}

/* ---- pressure ---- */

static uint64_t psi_cpu_total(const char *name)
{
	char out[8192];
	const char *p;

	assert_int_equal(lmc_test_lmctl(out, sizeof(out), NULL, 0, "stats", "--json", name, NULL),
			 0);
	p = lmc_test_json_find(out, "pressure.cpu.some");
	if (!p)
		fail_msg("%s: no cpu pressure in '%s'", name, out);
	assert_non_null(lmc_test_json_find(out, "pressure.memory.some"));
	assert_non_null(lmc_test_json_find(out, "pressure.io.some"));
	return lmc_test_json_u64(out, "pressure.cpu.some.total_us");
}

/* Every 20 ms at most: reads of a cgroup's pressure less than a scheduler tick apart add
 * nothing to its total (see test_cgroupfs:cpu_pressure_seen). */
static bool cpu_pressured(void *ud)
{
	struct timespec ts = {0, 20 * 1000 * 1000};

	nanosleep(&ts, NULL);
	return psi_cpu_total(ud) > 0;
}

static void test_psi_per_container(void **state)
{
	struct lmc_test_env *e = *state;
	uint64_t shown, kernel;
	char buf[512], out[8192];

	LMCTL_OK("create", "busy");
	LMCTL_OK("create", "idle");
	/* PSI lives in the cgroup2 tree: on v1 alone lmctl reports none, never zeros. */
	if (!lmc_cgfs_has(e->cg, LMC_CTRL_UNIFIED)) {
		assert_int_equal(lmc_test_lmctl(out, sizeof(out), NULL, 0, "stats", "--json",
						"busy", NULL),
				 0);
		assert_null(lmc_test_json_find(out, "pressure"));
		assert_null(strstr(out, "null"));
		return;
	}
	/* Spinners pinned to one CPU (work_spin), whatever the machine's size: some always
	 * wait for it. */
	for (int i = 0; i < 3; i++)
		LMCTL_OK("run", "-d", "busy", "--", lmc_test_self_exe(), "spin");
	assert_int_equal(lmc_test_wait_until(cpu_pressured, "busy", 10000), 0);
	shown = psi_cpu_total("busy");
	/* What lmctl shows is the kernel's own count for that cgroup (read after: larger). */
	kernel_str(e, LMC_CTRL_UNIFIED, "busy", "cpu.pressure", buf, sizeof(buf));
	assert_non_null(strstr(buf, "total="));
	kernel = strtoull(strstr(buf, "total=") + 6, NULL, 10);
	assert_true(kernel >= shown);
	/* Per container: the idle sibling saw no stall at all. */
	assert_int_equal(psi_cpu_total("idle"), 0);
	LMCTL_OK("destroy", "-r", "busy");
}

/* The cgroup2 mount point, from /proc/self/mounts. */
static void cgroup2_mount(char *buf, size_t size)
{
	char line[1024], dev[128], mnt[512], type[64];
	FILE *f = fopen("/proc/self/mounts", "re");

	assert_non_null(f);
	buf[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%127s %511s %63s", dev, mnt, type) == 3 &&
		    strcmp(type, "cgroup2") == 0) {
			snprintf(buf, size, "%s", mnt);
			break;
		}
	fclose(f);
	assert_true(buf[0] != '\0');
}

/* Issue 10: availability is read where lmctl's root is. A cgroup whose parent delegates only
 * memory: --memory reaches memory.max, --pids-limit is refused before anything is written,
 * naming the flag, the controller and the cgroup that withholds it; init says why. */
static void test_partial_delegation(void **state)
{
	struct lmc_test_env *e = *state;
	char mnt[512], base[1024], root[1024], out[4096], err[1024], p[1200];
	struct stat st;

	if (!is_v2(e))
		skip();
	/* scratch/deleg passes on memory only, to scratch/deleg/base. */
	assert_int_equal(lmc_cgfs_create(e->cg, "deleg", NULL), 0);
	assert_int_equal(lmc_cgfs_write(e->cg, LMC_CTRL_UNIFIED, "deleg", "cgroup.subtree_control",
					"+memory"),
			 0);
	assert_int_equal(lmc_cgfs_path(e->cg, LMC_CTRL_UNIFIED, "deleg", base, sizeof(base)), 0);
	strcat(base, "/base");
	assert_int_equal(mkdir(base, 0755), 0);
	cgroup2_mount(mnt, sizeof(mnt));
	assert_true(strncmp(base, mnt, strlen(mnt)) == 0);
	snprintf(root, sizeof(root), "%s/lmctl", base + strlen(mnt));
	setenv("LMCTL_CGROUP_ROOT", root, 1);

	assert_int_equal(lmc_test_lmctl(out, sizeof(out), err, sizeof(err), "init", NULL), 0);
	assert_non_null(strstr(out, "not usable: pids"));
	assert_non_null(strstr(out, "/deleg/base does not offer it"));
	LMCTL_OK("create", "x", "--memory=64M");
	snprintf(p, sizeof(p), "%s/lmctl/x/memory.max", base);
	assert_int_equal(file_u64(p), 64 * MiB);
	assert_int_equal(lmc_test_lmctl(NULL, 0, err, sizeof(err), "create", "y", "--memory=64M",
					"--pids-limit=16", NULL),
			 1);
	assert_non_null(strstr(err, "y: --pids-limit needs the 'pids' controller"));
	assert_non_null(strstr(err, "/deleg/base does not offer it"));
	snprintf(p, sizeof(p), "%s/lmctl/y", base);
	assert_int_equal(stat(p, &st), -1);
	LMCTL_OK("destroy", "x");
	setenv("LMCTL_CGROUP_ROOT", e->root, 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_subtree_control_down_to_containers,
						lmc_test_env_setup, lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_own_cgroup_delegates, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_memory_high_throttles, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_memory_low_from_reservation,
						lmc_test_env_setup, lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_memory_swap_max, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_oom_counted_in_stats, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_io_max_throttles_reads, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_cpu_max_and_weight, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_cpuset_from_flag, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_clone_into_cgroup, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_cgroup_kill_subtree, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_psi_per_container, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_partial_delegation, lmc_test_env_setup,
						lmc_test_env_teardown),
	};
	if (argc > 2 && strcmp(argv[1], "hog") == 0)
		return work_hog(argv[2]);
	if (argc > 2 && strcmp(argv[1], "readdirect") == 0)
		return work_readdirect(argv[2]);
	if (argc > 1 && strcmp(argv[1], "spin") == 0)
		return work_spin();
	if (argc > 1 && strcmp(argv[1], "forkbomb") == 0)
		return work_forkbomb();
	if (argc > 1 && strcmp(argv[1], "cgroup") == 0)
		return work_cat("/proc/self/cgroup");
	if (argc > 1 && strcmp(argv[1], "cpus") == 0)
		return work_cat("/proc/self/status");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
