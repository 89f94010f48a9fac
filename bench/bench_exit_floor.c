/* The kernel's floor for a task's start to its exit (issue 13, for bench/events.py): what any
 * agent must have done for /bin/true in a leaf, with nothing of lmctl: a CLONE_VM|CLONE_VFORK
 * child cloned into the cgroup2 leaf (clone3 with CLONE_INTO_CGROUP, through the x86-64
 * trampoline lmc_ns_clone_fn, a system call wrapper) that writes itself ("0") into the
 * leaf's tasks of every v1 hierarchy (the order bench.h lists them, the freezer after the
 * other v1 ones), then execs /bin/true; its parent waits for the exit. The fastest placing
 * the kernel offers: a cgroup.procs write takes the global threadgroup lock, whose first
 * writer after a quiet spell waits for an RCU grace period (kept as the "procs" variant, the
 * floor before session 10). Also the same without placing ("bare").
 *
 * Usage: bench_exit_floor ROOT. Reads commands from stdin, one a line: "placed K", "procs K"
 * or "bare K"
 * runs K starts and prints K lines of nanoseconds, then "." (a caller interleaves them with
 * its own figures). The leaf is the scratch root ROOT (lmctl-test-bench-<pid>-...) below this
 * process's own cgroup in every hierarchy, removed at EOF, SIGINT or SIGTERM. */
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include "bench/bench.h"
#include "nsutil/ns.h"

extern char **environ;

static int procs[N_H_MAX], tasks[N_H_MAX], leaf_fd = -1;
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct floor_ctx {
	const int *fds; /* files to write "0" to */
	int n;
};

static int floor_child(void *arg)
{
	static char *const argv[] = {"/bin/true", NULL};
	const struct floor_ctx *c = arg;

	for (int h = 0; h < c->n; h++)
		if (write(c->fds[h], "0", 1) != 1)
			_exit(126);
	execve(argv[0], argv, environ);
	_exit(127);
}

/* what: 'b' bare, 'p' placed through every cgroup.procs, 't' cloned into the cgroup2 leaf
 * and placed through v1's tasks. */
static int floor_iter(char what)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	struct floor_ctx c = {.fds = what == 't' ? tasks : procs,
			      .n = what == 'b'	 ? 0
				   : what == 't' ? UNI
						 : N_H};
	pid_t pid;
	int st;

	if (what == 't')
		pid = lmc_ns_clone_fn(CLONE_VM | CLONE_VFORK, leaf_fd, stack, sizeof(stack),
				      floor_child, &c, NULL);
	else
		pid = clone(floor_child, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD,
			    &c);
	if (pid < 0)
		return pid == -1 ? -errno : pid;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int serve(void)
{
	char line[64], what[16];
	int k;

	while (!stop && fgets(line, sizeof(line), stdin)) {
		if (sscanf(line, "%15s %d", what, &k) != 2)
			return -EINVAL;
		for (int i = 0; i < k && !stop; i++) {
			uint64_t t0 = bench_now_ns();
			int r = floor_iter(strcmp(what, "placed") == 0	? 't'
					   : strcmp(what, "procs") == 0 ? 'p'
									: 'b');

			if (r != 0) {
				fprintf(stderr, "bench_exit_floor: /bin/true: %d\n", r);
				return -EIO;
			}
			printf("%llu\n", (unsigned long long)(bench_now_ns() - t0));
		}
		printf(".\n");
		fflush(stdout);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	int fds[N_H_MAX], r;

	if (argc != 2 || strncmp(argv[1], BENCH_PREFIX, strlen(BENCH_PREFIX)) != 0) {
		fprintf(stderr, "usage: bench_exit_floor " BENCH_PREFIX "<pid>-NAME\n");
		return 2;
	}
	if (bench_cg_init() < 0) {
		fprintf(stderr, "bench_exit_floor: needs hybrid cgroups or cgroup v2\n");
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r = bench_scratch_make(argv[1], fds);
	for (int h = 0; h < N_H && r >= 0; h++) {
		procs[h] = openat(fds[h], "cgroup.procs", O_WRONLY | O_CLOEXEC);
		tasks[h] = h < UNI ? openat(fds[h], "tasks", O_WRONLY | O_CLOEXEC) : -1;
		if (procs[h] < 0 || (h < UNI && tasks[h] < 0))
			r = -errno;
	}
	if (r >= 0 && !lmc_ns_clone_fn_possible())
		r = -ENOSYS;
	leaf_fd = r >= 0 ? fds[UNI] : -1;
	if (r >= 0)
		r = serve();
	else
		fprintf(stderr, "bench_exit_floor: scratch %s: %s\n", argv[1], strerror(-r));
	bench_scratch_remove(argv[1]);
	return r < 0 ? 1 : 0;
}
