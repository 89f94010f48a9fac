/* cgroupfs on this machine's real cgroups, inside a scratch subtree: directories in every
 * hierarchy, attach, kill (frozen processes included), freeze, populated, PSI, a vfork'd
 * start cloned into a cgroup2 leaf. Root only. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libcgroup.h>

#include "controllers/cgroupfs.h"
#include "base/spec.h"
#include "nsutil/ns.h"
#include "tests/lib/scratch.h"

#define MAX_KIDS 8

struct fx {
	struct lmc_cgfs *cg;
	char root[64];
	pid_t kids[MAX_KIDS];
	size_t n_kids;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!lmc_test_is_root()) {
		free(f);
		skip();
	}
	assert_non_null(f);
	assert_int_equal(lmc_test_scratch_open(&f->cg, f->root, sizeof(f->root)), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	if (!f)
		return 0;
	lmc_test_scratch_close(f->cg);
	for (size_t i = 0; i < f->n_kids; i++) {
		kill(f->kids[i], SIGKILL);
		waitpid(f->kids[i], NULL, 0);
	}
	free(f);
	return 0;
}

/* A child that waits (or spins) forever, moved into name. */
static pid_t spawn_in(struct fx *f, const char *name, bool spin)
{
	struct lmc_err err = {0};
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		/* Spinners share one CPU, so that they contend on any machine. */
		if (spin && lmc_test_pin_one_cpu() < 0)
			_exit(1);
		for (;;)
			if (!spin)
				pause();
	}
	assert_true(f->n_kids < MAX_KIDS);
	f->kids[f->n_kids++] = pid;
	assert_int_equal(lmc_cgfs_attach(f->cg, name, pid, false, &err), 0);
	return pid;
}

static int reap(struct fx *f, pid_t pid)
{
	int st = 0;

	assert_int_equal(waitpid(pid, &st, 0), pid);
	for (size_t i = 0; i < f->n_kids; i++)
		if (f->kids[i] == pid)
			f->kids[i] = f->kids[--f->n_kids];
	return st;
}

static bool dir_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* /proc/<pid>/cgroup key of controller c: the v1 name, or "" for the cgroup2 tree. */
static const char *proc_key(const struct fx *f, enum lmc_ctrl c)
{
	if (c == LMC_CTRL_UNIFIED || lmc_cgfs_mode(f->cg) == LMC_CG_V2)
		return "";
	return lmc_ctrl_name(c);
}

/* Does the v2 cgroup hold a process other than this one? */
static bool holds_others(const char *own)
{
	char p[1024];
	long pid;
	bool others = false;
	FILE *f;

	snprintf(p, sizeof(p), "/sys/fs/cgroup%s/cgroup.procs", own);
	f = fopen(p, "re");
	while (f && fscanf(f, "%ld", &pid) == 1)
		others = others || pid != (long)getpid();
	if (f)
		fclose(f);
	return others;
}

/* Where a container must be, built independently of cgroupfs: mount/<own>/<root>/<name>. */
static void expected_path(const struct fx *f, enum lmc_ctrl c, const char *name, char *buf,
			  size_t size)
{
	char own[512], mnt[PATH_MAX];
	bool v2 = lmc_cgfs_mode(f->cg) == LMC_CG_V2;

	assert_int_equal(lmc_test_pid_cgroup(getpid(), proc_key(f, c), own, sizeof(own)), 0);
	/* On v2 the test process may sit in its agent leaf: the root is beside it. */
	if (v2 && strstr(own, "/lmctl.agent"))
		*strstr(own, "/lmctl.agent") = '\0';
	snprintf(buf, size, "/sys/fs/cgroup%s%s", v2 ? "" : "/", v2 ? "" : lmc_ctrl_name(c));
	/* A v1 controller's name may be a link to the hierarchy it shares (cpu -> cpu,cpuacct). */
	if (!v2 && !realpath(buf, mnt))
		fail_msg("%s: %s", buf, strerror(errno));
	/* On v2 a cgroup holding other processes cannot delegate: lmctl's relative roots then
	 * go to the top of the hierarchy (docs/design.md). */
	if (v2 && holds_others(own))
		snprintf(own, sizeof(own), "/");
	snprintf(buf, size, "%.256s%s/%s/%s", v2 ? "/sys/fs/cgroup" : mnt,
		 strcmp(own, "/") == 0 ? "" : own, f->root, name);
}

static void test_create_remove_every_hierarchy(void **state)
{
	struct fx *f = *state;
	struct lmc_err err = {0};
	char want[1024], got[1024];
	int n = 0;

	assert_int_equal(lmc_cgfs_create(f->cg, "jobA", &err), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "jobA/sub1", &err), 0);
	for (int c = 0; c < LMC_CTRL__MAX; c++) {
		if (!lmc_cgfs_has(f->cg, c))
			continue;
		expected_path(f, c, "jobA/sub1", want, sizeof(want));
		assert_int_equal(lmc_cgfs_path(f->cg, c, "jobA/sub1", got, sizeof(got)), 0);
		assert_string_equal(got, want);
		assert_true(dir_exists(want));
		n++;
	}
	/* This project's hybrid machines have every controller; v2 what the VM's root offers. */
	if (lmc_cgfs_mode(f->cg) == LMC_CG_HYBRID)
		assert_int_equal(n, LMC_CTRL__MAX);
	/* A cgroup2 tree everywhere but on v1 alone. */
	assert_true(lmc_cgfs_has(f->cg, LMC_CTRL_UNIFIED) == (lmc_cgfs_mode(f->cg) != LMC_CG_V1));
	assert_int_equal(lmc_cgfs_create(f->cg, "jobA", &err), -EEXIST);
	assert_int_equal(lmc_cgfs_remove(f->cg, "jobA/sub1", &err), 0);
	assert_int_equal(lmc_cgfs_remove(f->cg, "jobA", &err), 0);
	for (int c = 0; c < LMC_CTRL__MAX; c++) {
		if (!lmc_cgfs_has(f->cg, c))
			continue;
		expected_path(f, c, "jobA", want, sizeof(want));
		assert_false(dir_exists(want));
	}
}

static void test_cpuset_usable(void **state)
{
	struct fx *f = *state;
	char buf[64], parent[64];

	/* v1 copies the parent's set in; v2 leaves cpuset.cpus empty and inherits the
	 * parent's effective set. Either way the child has the parent's cpus to run on. */
	const char *file = lmc_cgfs_mode(f->cg) == LMC_CG_V2 ? "cpuset.cpus.effective"
							     : "cpuset.cpus";

	assert_int_equal(lmc_cgfs_create(f->cg, "cs", NULL), 0);
	assert_true(lmc_cgfs_has(f->cg, LMC_CTRL_CPUSET));
	assert_true(lmc_cgfs_read(f->cg, LMC_CTRL_CPUSET, "", file, parent, sizeof(parent)) > 1);
	assert_true(lmc_cgfs_read(f->cg, LMC_CTRL_CPUSET, "cs", file, buf, sizeof(buf)) > 1);
	assert_string_equal(buf, parent);
	/* The kernel refuses tasks in a cpuset without cpus; this attach proves they were set. */
	spawn_in(f, "cs", false);
}

/* v1: where the top cpuset balances every CPU, lmctl's cpusets are made with balancing off
 * (each one with it on rebuilt the scheduler domains at its offline, walking every cpuset of
 * the machine under cgroup_mutex), and still get their parent's cpus and mems, nested too. */
static void test_cpuset_no_rebuild(void **state)
{
	struct fx *f = *state;
	char top[8] = "", buf[64], parent[64];
	int fd;

	if (lmc_cgfs_mode(f->cg) == LMC_CG_V2)
		skip();
	fd = open("/sys/fs/cgroup/cpuset/cpuset.sched_load_balance", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0 && read(fd, top, sizeof(top) - 1) > 0);
	close(fd);
	assert_int_equal(lmc_cgfs_create(f->cg, "nb", NULL), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "nb/c", NULL), 0);
	for (int i = 0; i < 2; i++) {
		const char *name = i ? "nb/c" : "nb", *up = i ? "nb" : "";

		assert_true(lmc_cgfs_read(f->cg, LMC_CTRL_CPUSET, name, "cpuset.sched_load_balance",
					  buf, sizeof(buf)) > 0);
		assert_int_equal(buf[0], top[0] == '1' ? '0' : '1');
		for (int j = 0; j < 2; j++) {
			const char *file = j ? "cpuset.mems" : "cpuset.cpus";

			assert_true(lmc_cgfs_read(f->cg, LMC_CTRL_CPUSET, up, file, parent,
						  sizeof(parent)) > 1);
			assert_true(lmc_cgfs_read(f->cg, LMC_CTRL_CPUSET, name, file, buf,
						  sizeof(buf)) > 1);
			assert_string_equal(buf, parent);
		}
	}
	spawn_in(f, "nb/c", false); /* tasks are taken: cpus and mems are set */
}

static void test_attach_child(void **state)
{
	struct fx *f = *state;
	char want[1024], got[1024];
	pid_t *pids = NULL;
	size_t n = 0;
	bool pop = true;

	assert_int_equal(lmc_cgfs_create(f->cg, "leaf", NULL), 0);
	assert_int_equal(lmc_cgfs_populated(f->cg, "leaf", &pop), 0);
	assert_false(pop);
	pid_t pid = spawn_in(f, "leaf", false);
	for (int c = 0; c < LMC_CTRL__MAX; c++) {
		if (!lmc_cgfs_has(f->cg, c))
			continue;
		expected_path(f, c, "leaf", want, sizeof(want));
		assert_int_equal(lmc_test_pid_cgroup(pid, proc_key(f, c), got, sizeof(got)), 0);
		/* /proc shows the path below the mount; want holds the mount in front of it. */
		assert_non_null(strstr(want, got));
		assert_string_equal(want + strlen(want) - strlen(got), got);
		assert_true(strlen(got) > strlen(f->root) + 5);
	}
	assert_int_equal(lmc_cgfs_procs(f->cg, "leaf", &pids, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], pid);
	free(pids);
	assert_int_equal(lmc_cgfs_populated(f->cg, "", &pop), 0);
	assert_true(pop);
	assert_int_equal(lmc_cgfs_remove(f->cg, "leaf", NULL), -EBUSY);
	assert_true(lmc_cgfs_exists(f->cg, "leaf"));
}

static void test_kill_subtree(void **state)
{
	struct fx *f = *state;
	struct lmc_err err = {0};
	pid_t p[3];
	bool pop = true, fz = false;

	assert_int_equal(lmc_cgfs_create(f->cg, "k", NULL), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "k/a", NULL), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "k/b", NULL), 0);
	p[0] = spawn_in(f, "k/a", false);
	p[1] = spawn_in(f, "k/a", true);
	p[2] = spawn_in(f, "k/b", false);
	assert_int_equal(lmc_cgfs_freeze(f->cg, "k/b", true, &err), 0);
	assert_int_equal(lmc_cgfs_frozen(f->cg, "k/b", &fz), 0);
	assert_true(fz);
	assert_int_equal(lmc_cgfs_kill(f->cg, "k", 5000, &err), 0);
	for (int i = 0; i < 3; i++) {
		int st = reap(f, p[i]);

		assert_true(WIFSIGNALED(st));
		assert_int_equal(WTERMSIG(st), SIGKILL);
	}
	assert_int_equal(lmc_cgfs_populated(f->cg, "k", &pop), 0);
	assert_false(pop);
	assert_int_equal(lmc_cgfs_remove(f->cg, "k/a", &err), 0);
	assert_int_equal(lmc_cgfs_remove(f->cg, "k/b", &err), 0);
	assert_int_equal(lmc_cgfs_remove(f->cg, "k", &err), 0);
}

static void test_signal_subtree(void **state)
{
	struct fx *f = *state;
	pid_t a, b;
	int st;

	/* Processes in leaves only: v2 refuses them in a cgroup with controllers below. */
	assert_int_equal(lmc_cgfs_create(f->cg, "s", NULL), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "s/x", NULL), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "s/x/y", NULL), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "s/z", NULL), 0);
	a = spawn_in(f, "s/x/y", false);
	b = spawn_in(f, "s/z", false);
	assert_int_equal(lmc_cgfs_signal(f->cg, "s", SIGTERM, NULL), 0);
	st = reap(f, a);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	st = reap(f, b);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
}

static unsigned long long utime_of(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	p = strrchr(buf, ')');
	assert_non_null(p);
	/* fields after comm: state(3) ... utime is field 14 */
	assert_int_equal(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu", &ut), 1);
	return ut;
}

struct utime_wait {
	pid_t pid;
	unsigned long long base;
};

static bool utime_advanced(void *ud)
{
	struct utime_wait *w = ud;

	return utime_of(w->pid) > w->base;
}

static void test_freeze_thaw(void **state)
{
	struct fx *f = *state;
	struct lmc_err err = {0};
	struct utime_wait w;
	bool fz = true;

	assert_int_equal(lmc_cgfs_create(f->cg, "fr", NULL), 0);
	w.pid = spawn_in(f, "fr", true);
	w.base = utime_of(w.pid);
	assert_int_equal(lmc_test_wait_until(utime_advanced, &w, 3000), 0);
	assert_int_equal(lmc_cgfs_freeze(f->cg, "fr", true, &err), 0);
	assert_int_equal(lmc_cgfs_frozen(f->cg, "fr", &fz), 0);
	assert_true(fz);
	w.base = utime_of(w.pid);
	/* A window long enough for a spinner to gain several ticks if it ran. */
	usleep(300 * 1000);
	assert_int_equal(utime_of(w.pid), w.base);
	assert_int_equal(lmc_cgfs_freeze(f->cg, "fr", false, &err), 0);
	assert_int_equal(lmc_cgfs_frozen(f->cg, "fr", &fz), 0);
	assert_false(fz);
	assert_int_equal(lmc_test_wait_until(utime_advanced, &w, 3000), 0);
}

struct psi_wait {
	struct lmc_cgfs *cg;
};

/* Read no more often than every 20 ms: each read of a cgroup's pressure folds the time since
 * the last one into its total weighted by the CPUs' non-idle time in whole jiffies
 * (collect_percpu_times), so reads less than a tick apart (4 ms at HZ 250) add nothing and
 * the total stays 0 however long the spinners contend. Polled every 1 ms, this test failed
 * whenever the poller had a CPU of its own (its spinners pinned to the other one); pinned
 * beside them, the poller ran slower and it passed. */
static bool cpu_pressure_seen(void *ud)
{
	struct psi_wait *w = ud;
	struct lmc_psi psi = {0};
	struct timespec ts = {0, 20 * 1000 * 1000};

	nanosleep(&ts, NULL);
	return lmc_cgfs_read_psi(w->cg, "hot", "cpu", &psi) == 0 && psi.some_total_us > 0;
}

static void test_psi(void **state)
{
	struct fx *f = *state;
	struct psi_wait w = {f->cg};
	struct lmc_psi psi;

	assert_int_equal(lmc_cgfs_create(f->cg, "hot", NULL), 0);
	if (!lmc_cgfs_has(f->cg, LMC_CTRL_UNIFIED)) { /* PSI lives in the cgroup2 tree only */
		assert_true(lmc_cgfs_read_psi(f->cg, "hot", "cpu", &psi) < 0 || !psi.present);
		return;
	}
	assert_int_equal(lmc_cgfs_read_psi(f->cg, "hot", "memory", &psi), 0);
	assert_true(psi.present);
	assert_int_equal(lmc_cgfs_read_psi(f->cg, "hot", "io", &psi), 0);
	assert_true(psi.present);
	/* Three spinners pinned to one CPU, whatever the machine's size: two always wait for
	 * it, which the kernel counts as pressure (bounded wait: a loaded CI machine
	 * schedules them late). */
	for (int i = 0; i < 3; i++)
		spawn_in(f, "hot", true);
	assert_int_equal(lmc_test_wait_until(cpu_pressure_seen, &w, 15000), 0);
}

/* A statistics file is kept open once read and read again with pread from offset 0
 * (controllers/cgroupfs-io.c): the kernel must show it anew each time, on v1 files and on
 * the cgroup2 tree's, or every reading after the first would repeat the first one's figures. */
struct kept_wait {
	struct lmc_cgfs *cg;
	uint64_t before;
};

static bool unified_usage_grew(void *ud)
{
	struct kept_wait *w = ud;
	uint64_t us = 0;

	return lmc_cgfs_read_key(w->cg, LMC_CTRL_UNIFIED, "kept", "cpu.stat", "usage_usec", &us) ==
		       0 &&
	       us > w->before;
}

static void test_kept_fresh(void **state)
{
	struct fx *f = *state;
	struct kept_wait w = {.cg = f->cg};
	uint64_t v, reads;

	assert_int_equal(lmc_cgfs_create(f->cg, "kept", NULL), 0);
	if (lmc_cgfs_has(f->cg, LMC_CTRL_PIDS)) {
		assert_int_equal(
			lmc_cgfs_read_u64(f->cg, LMC_CTRL_PIDS, "kept", "pids.current", &v), 0);
		assert_int_equal(v, 0);
		reads = lmc_cgfs_dcache_kept_reads(f->cg);
		spawn_in(f, "kept", false);
		assert_int_equal(
			lmc_cgfs_read_u64(f->cg, LMC_CTRL_PIDS, "kept", "pids.current", &v), 0);
		assert_int_equal(v, 1);
		assert_int_equal(lmc_cgfs_dcache_kept_reads(f->cg), reads + 1);
	}
	if (lmc_cgfs_file_exists(f->cg, LMC_CTRL_MEMORY, "kept", "memory.limit_in_bytes")) {
		const char *lim = "memory.limit_in_bytes";

		assert_int_equal(lmc_cgfs_write(f->cg, LMC_CTRL_MEMORY, "kept", lim, "67108864"),
				 0);
		assert_int_equal(lmc_cgfs_read_u64(f->cg, LMC_CTRL_MEMORY, "kept", lim, &v), 0);
		assert_int_equal(v, 67108864);
		reads = lmc_cgfs_dcache_kept_reads(f->cg);
		assert_int_equal(lmc_cgfs_write(f->cg, LMC_CTRL_MEMORY, "kept", lim, "33554432"),
				 0);
		assert_int_equal(lmc_cgfs_read_u64(f->cg, LMC_CTRL_MEMORY, "kept", lim, &v), 0);
		assert_int_equal(v, 33554432);
		assert_int_equal(lmc_cgfs_dcache_kept_reads(f->cg), reads + 1);
	}
	if (!lmc_cgfs_has(f->cg, LMC_CTRL_UNIFIED))
		return;
	/* cgroup2's cpu.stat: a spinner's usage shows through the kept fd (bounded wait) */
	assert_int_equal(lmc_cgfs_read_key(f->cg, LMC_CTRL_UNIFIED, "kept", "cpu.stat",
					   "usage_usec", &w.before),
			 0);
	reads = lmc_cgfs_dcache_kept_reads(f->cg);
	spawn_in(f, "kept", true);
	assert_int_equal(lmc_test_wait_until(unified_usage_grew, &w, 15000), 0);
	assert_true(lmc_cgfs_dcache_kept_reads(f->cg) > reads);
}

static void test_scratch_close_leaves_nothing(void **state)
{
	struct fx *f = *state;
	char paths[LMC_CTRL__MAX][1024];
	int st;

	assert_int_equal(lmc_cgfs_create(f->cg, "t", NULL), 0);
	assert_int_equal(lmc_cgfs_create(f->cg, "t/u", NULL), 0);
	pid_t pid = spawn_in(f, "t/u", true);
	assert_int_equal(lmc_cgfs_freeze(f->cg, "t", true, NULL), 0);
	for (int c = 0; c < LMC_CTRL__MAX; c++) {
		paths[c][0] = '\0'; /* a controller not mounted here (v1 alone: no cgroup2) */
		if (lmc_cgfs_has(f->cg, c))
			assert_int_equal(lmc_cgfs_path(f->cg, c, "", paths[c], sizeof(paths[c])),
					 0);
	}
	lmc_test_scratch_close(f->cg);
	f->cg = NULL;
	st = reap(f, pid);
	assert_true(WIFSIGNALED(st));
	for (int c = 0; c < LMC_CTRL__MAX; c++)
		assert_false(dir_exists(paths[c]));
}

static void test_unified_fd(void **state)
{
	struct fx *f = *state;
	struct stat st;
	int fd;

	assert_int_equal(lmc_cgfs_create(f->cg, "u", NULL), 0);
	if (!lmc_cgfs_has(f->cg, LMC_CTRL_UNIFIED)) { /* v1 alone: there is no cgroup2 tree */
		assert_true(lmc_cgfs_unified_fd(f->cg, "u") < 0);
		return;
	}
	fd = lmc_cgfs_unified_fd(f->cg, "u");
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(faccessat(fd, "cgroup.kill", F_OK, 0), 0);
	close(fd);
}

/* Start "cat /proc/self/cgroup" as the agent does on cgroup v2: vfork'd on a stack of our
 * own, cloned into the leaf's cgroup2 directory (into), with its cgroup.procs (procs) for a
 * clone the kernel kills at birth. Its cgroup2 line, or fails. */
static void vspawn_cat(int into, int procs, char *line, size_t size)
{
	static const char *const argv[] = {"cat", "/proc/self/cgroup", NULL};
	struct lmc_ns_spawn_opts o = {
		.argv = argv, .stdio = {-1, -1, -1}, .cgroup_fd = into, .join_pidfd = -1};
	char out[4096], *l;
	struct lmc_ns_spawn_wait w;
	struct lmc_ns_vspawn *v;
	struct lmc_err err = {0};
	int p[2], pidfd = -1, st, place = fcntl(procs, F_DUPFD_CLOEXEC, 3);
	ssize_t n;
	pid_t pid;

	assert_true(lmc_ns_vspawn_possible(&o));
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	o.stdio[1] = p[1];
	assert_int_equal(lmc_ns_vspawn_prepare(&o, &place, 1, &w, &v, &err), 0);
	close(p[1]);
	lmc_ns_vspawn_exec(v);
	if (lmc_ns_spawn_await(&w, &pid, &pidfd, &err) < 0)
		fail_msg("vfork'd start into the leaf: %s", err.msg);
	n = read(p[0], out, sizeof(out) - 1);
	close(p[0]);
	assert_true(n > 0);
	out[n] = '\0';
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(pidfd);
	l = strstr(out, "0::");
	assert_non_null(l);
	snprintf(line, size, "%.*s", (int)strcspn(l, "\n"), l);
}

/* What the agent does for a run on cgroup v2 (core/manager-proc.c: run_defer): the command
 * is in the leaf from its first instruction. Again after a cgroup.kill of the leaf, which
 * this host's kernel (6.18) answers by killing a child cloned into it at birth: the start
 * goes on, the child placing itself through cgroup.procs. */
static void test_vspawn_into_leaf(void **state)
{
	struct fx *f = *state;
	char path[PATH_MAX], want[PATH_MAX], line[PATH_MAX];
	int into, procs;

	assert_int_equal(lmc_cgfs_create(f->cg, "v", NULL), 0);
	if (!lmc_cgfs_has(f->cg, LMC_CTRL_UNIFIED))
		skip(); /* v1 alone: no cgroup2 tree to clone into */
	into = lmc_cgfs_unified_fd(f->cg, "v");
	assert_true(into >= 0);
	procs = openat(into, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	assert_true(procs >= 0);
	assert_int_equal(lmc_cgfs_path(f->cg, LMC_CTRL_UNIFIED, "v", path, sizeof(path)), 0);
	/* /proc's line names the path below the cgroup2 mount: the scratch root's, then v. */
	snprintf(want, sizeof(want), "/%s/v", f->root);
	for (int round = 0; round < 2; round++) {
		if (round == 1)
			assert_int_equal(lmc_cgfs_write(f->cg, LMC_CTRL_UNIFIED, "v", "cgroup.kill",
							"1"),
					 0);
		vspawn_cat(into, procs, line, sizeof(line));
		if (strlen(line) < strlen(want) ||
		    strcmp(line + strlen(line) - strlen(want), want) != 0)
			fail_msg("round %d: the command ran in '%s', not in %s (%s)", round, line,
				 want, path);
	}
	close(procs);
	close(into);
}

/* Child: live in the scratch root, then open lmctl's default root below it (own + /lmctl).
 * Exit 0 when it worked; on v2 it must have moved itself into own/lmctl.agent first. */
static int delegated_child(struct fx *f)
{
	struct lmc_cgfs_opts o = {.root = NULL, .create_root = true};
	struct lmc_cgfs *cg = NULL;
	char cgpath[1024];
	bool v2 = lmc_cgfs_mode(f->cg) == LMC_CG_V2;

	if (lmc_cgfs_attach(f->cg, "", getpid(), false, NULL) < 0)
		return 10;
	if (lmc_cgfs_open(&o, &cg, NULL) < 0)
		return 11;
	if (lmc_cgfs_create(cg, "c", NULL) < 0)
		return 12;
	/* Only where a cgroup2 tree exists (not on v1 alone). */
	if (lmc_cgfs_has(f->cg, LMC_CTRL_UNIFIED)) {
		if (lmc_test_pid_cgroup(getpid(), "", cgpath, sizeof(cgpath)) < 0)
			return 13;
		if (v2 != (strstr(cgpath, "/lmctl.agent") != NULL))
			return 14;
	}
	lmc_cgfs_free(cg);
	return 0;
}

static void test_delegated_root(void **state)
{
	struct fx *f = *state;
	char want[1024];
	pid_t pid = fork();
	int st;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(delegated_child(f));
	f->kids[f->n_kids++] = pid;
	st = reap(f, pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	for (int c = 0; c < LMC_CTRL__MAX; c++) {
		if (!lmc_cgfs_has(f->cg, c))
			continue;
		expected_path(f, c, "lmctl/c", want, sizeof(want));
		assert_true(dir_exists(want));
	}
}

/* lmctl finds the mounts itself, from one read of /proc/self/mounts (libcgroup's
 * cgroup_init costs a short command more than the rest of its work: controllers/cgroupfs.c);
 * libcgroup stays the reference for discovery: every controller lmctl uses is on the mount
 * where libcgroup finds it, and on v1 every controller libcgroup finds mounted is used. */
static void test_discovery_matches_libcgroup(void **state)
{
	struct fx *f = *state;
	bool v2 = lmc_cgfs_mode(f->cg) == LMC_CG_V2;
	char path[PATH_MAX];
	int checked = 0;

	assert_int_equal(cgroup_init(), 0);
	for (int c = 0; c < LMC_CTRL_UNIFIED; c++) {
		char *mnt = NULL;
		size_t n;

		if (cgroup_get_subsys_mount_point(lmc_ctrl_name(c), &mnt) != 0 || !mnt) {
			/* libcgroup: not mounted; v1 uses nothing it does not find */
			assert_true(v2 || !lmc_cgfs_has(f->cg, c));
			continue;
		}
		if (!v2)
			assert_true(lmc_cgfs_has(f->cg, c));
		if (lmc_cgfs_has(f->cg, c)) {
			assert_int_equal(lmc_cgfs_path(f->cg, c, "", path, sizeof(path)), 0);
			n = strlen(mnt);
			if (strncmp(path, mnt, n) != 0 || path[n] != '/')
				fail_msg("%s: lmctl uses %s, libcgroup finds it mounted at %s",
					 lmc_ctrl_name(c), path, mnt);
			checked++;
		}
		free(mnt);
	}
	print_message("%d controllers on the mounts libcgroup finds\n", checked);
	assert_true(checked > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_discovery_matches_libcgroup, setup, teardown),
		cmocka_unit_test_setup_teardown(test_create_remove_every_hierarchy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cpuset_usable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cpuset_no_rebuild, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_child, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kill_subtree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signal_subtree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_freeze_thaw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_psi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kept_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_scratch_close_leaves_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unified_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_vspawn_into_leaf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_delegated_root, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
