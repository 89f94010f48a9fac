/* Benchmark (issues 13, 16): what a run's clone costs a process of the agent's size on
 * cgroup v2, where the child is cloned into the leaf (CLONE_INTO_CGROUP). The agent used to
 * clone3 like fork there: the kernel copied its page tables and descriptor table for every
 * run, and each page it wrote afterwards faulted. Now the clone is vfork'd on a stack of its
 * own (lmc_ns_clone_fn: CLONE_VM | CLONE_VFORK | CLONE_INTO_CGROUP), its child keeping only
 * what it needs of a shared table (CLONE_FILES, then close_range with CLOSE_RANGE_UNSHARE,
 * as nsutil's slots do). Rows: clone3 into the leaf + exec /bin/true + wait from a helper
 * forked while this process is small (the floor), and from this process grown to the
 * agent's size (MiB of written heap and descriptors, arguments) both ways; the three
 * interleaved in rounds.
 *   bench_vclone [ITERS=500] [MIB=48] [FDS=10000]
 * Scratch: lmctl-test-bench-<pid>-vclone below this process's cgroup (the top on v2),
 * removed at the end. Needs root and a cgroup2 tree (hybrid or v2). */
#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bench/bench.h"
#include "nsutil/ns.h"

extern char **environ;

#define STACK_SIZE (64u << 10)

static char root[64];
static int leaf = -1; /* the cgroup2 leaf */
static void *stack;

static int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int true_child(void *arg)
{
	static char *const argv[] = {"/bin/true", NULL};

	/* A table of its own with 0..2 only: the rest of ours is not copied (vfork'd). */
	if (arg && syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_UNSHARE) < 0)
		_exit(126);
	execve(argv[0], argv, environ);
	_exit(127);
}

/* clone3 into the leaf as fork does (the agent's v2 start until now). */
static int fork_iter(void)
{
	pid_t pid = lmc_ns_clone(0, leaf, NULL);
	int st;

	if (pid == 0)
		true_child(NULL);
	if (pid < 0)
		return pid;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return exit_code(st);
}

/* The same vfork'd on our stack, sharing the table until the child unshares a sliver. */
static int vfork_iter(void)
{
	pid_t pid = lmc_ns_clone_fn(CLONE_VM | CLONE_VFORK | CLONE_FILES, leaf, stack, STACK_SIZE,
				    true_child, (void *)1, NULL);
	int st;

	if (pid < 0)
		return pid;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return exit_code(st);
}

static int measure(struct bench_samples *s, int (*iter)(void), int n)
{
	for (int i = 0; i < n; i++) {
		uint64_t t0 = bench_now_ns();
		int r = iter();

		if (r != 0) {
			fprintf(stderr, "bench_vclone: %s: %s\n", s->label,
				r < 0 ? strerror(-r) : "/bin/true failed");
			return -EIO;
		}
		bench_add(s, bench_now_ns() - t0);
	}
	return 0;
}

/* The floor's rounds come from a helper forked while we are still small: told a count on
 * cmd, it times that many clones and sends the samples back on res. */
static void floor_helper(int cmd, int res)
{
	int n;

	while (read(cmd, &n, sizeof(n)) == (ssize_t)sizeof(n)) {
		for (int i = 0; i < n; i++) {
			uint64_t t0 = bench_now_ns(), dt;
			int r = fork_iter();

			dt = r == 0 ? bench_now_ns() - t0 : 0;
			if (write(res, &dt, sizeof(dt)) != (ssize_t)sizeof(dt))
				_exit(1);
		}
	}
	_exit(0);
}

static int floor_round(int cmd, int res, struct bench_samples *s, int n)
{
	uint64_t dt;

	if (write(cmd, &n, sizeof(n)) != (ssize_t)sizeof(n))
		return -EIO;
	for (int i = 0; i < n; i++) {
		if (read(res, &dt, sizeof(dt)) != (ssize_t)sizeof(dt) || dt == 0) {
			fprintf(stderr, "bench_vclone: %s: the helper failed\n", s->label);
			return -EIO;
		}
		bench_add(s, dt);
	}
	return 0;
}

/* Written heap and open descriptors, as the agent holds them with 1,000 containers. */
static int grow(size_t mib, int fds)
{
	struct rlimit rl = {.rlim_cur = (rlim_t)fds + 64, .rlim_max = (rlim_t)fds + 64};
	char *heap = malloc(mib << 20);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (!heap || fd < 0 || setrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	memset(heap, 1, mib << 20);
	for (int i = 1; i < fds; i++)
		if (fcntl(fd, F_DUPFD_CLOEXEC, 3) < 0)
			return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	int iters = argc > 1 ? atoi(argv[1]) : 500, fds = argc > 3 ? atoi(argv[3]) : 10000;
	size_t mib = argc > 2 ? (size_t)atol(argv[2]) : 48;
	struct bench_samples floor = {.label = "clone3 into it, small process (floor)"},
			     copy = {.label = "copying clone3 (the old v2 start)"},
			     vf = {.label = "vfork'd clone3 (lmc_ns_clone_fn)"};
	int hfd[N_H_MAX], r, rounds = 10, cmd[2] = {-1, -1}, res[2] = {-1, -1};
	pid_t helper = -1;
	char title[256];

	if (bench_cg_init() < 0 || UNI < 0) {
		printf("\nvfork'd clone into a cgroup2 leaf: skipped: no cgroup2 tree\n");
		return 0;
	}
	if (!lmc_ns_clone_fn_possible()) {
		printf("\nvfork'd clone into a cgroup2 leaf: skipped: not on this architecture\n");
		return 0;
	}
	snprintf(root, sizeof(root), BENCH_PREFIX "%d-vclone", (int)getpid());
	stack = mmap(NULL, STACK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	r = stack == MAP_FAILED ? -errno : bench_scratch_make(root, hfd);
	if (r >= 0)
		leaf = hfd[UNI];
	iters = iters < rounds ? rounds : iters;
	if (r >= 0 && (pipe2(cmd, O_CLOEXEC) < 0 || pipe2(res, O_CLOEXEC) < 0))
		r = -errno;
	if (r >= 0 && (helper = fork()) == 0) {
		close(cmd[1]);
		close(res[0]);
		floor_helper(cmd[0], res[1]);
	}
	if (r >= 0 && helper < 0)
		r = -errno;
	if (r >= 0 && (r = grow(mib, fds)) < 0)
		fprintf(stderr, "bench_vclone: growing to %zu MiB and %d fds: %s\n", mib, fds,
			strerror(-r));
	for (int i = 0; r >= 0 && i < rounds; i++) {
		r = floor_round(cmd[1], res[0], &floor, iters / rounds);
		if (r >= 0)
			r = measure(&copy, fork_iter, iters / rounds);
		if (r >= 0)
			r = measure(&vf, vfork_iter, iters / rounds);
	}
	if (helper > 0) {
		close(cmd[1]);
		waitpid(helper, NULL, 0);
	}
	bench_scratch_remove(root);
	if (r < 0)
		return 1;
	snprintf(title, sizeof(title),
		 "A run's clone on cgroup v2 (issues 13, 16): clone3 + exec /bin/true + wait, into "
		 "a cgroup2 leaf, from a process of %zu MiB written and %d fds; %d each; ratio to "
		 "the floor",
		 mib, fds, iters);
	bench_table_head(title);
	bench_row(&floor, &floor);
	bench_row(&copy, &floor);
	bench_row(&vf, &floor);
	return 0;
}
