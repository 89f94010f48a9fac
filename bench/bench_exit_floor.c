/* The kernel's floor for a task's start to its exit (issue 13, for bench/events.py): what any
 * agent must have done for /bin/true in a leaf, with nothing of lmctl: a CLONE_VM|CLONE_VFORK
 * child that writes itself ("0") into the leaf's cgroup.procs of every hierarchy (the order
 * bench.h lists them, the freezer after the other v1 ones, as the agent's child does), then
 * execs /bin/true; its parent waits for the exit. Also the same without the writes.
 *
 * Usage: bench_exit_floor ROOT. Reads commands from stdin, one a line: "placed K" or "bare K"
 * runs K starts and prints K lines of nanoseconds, then "." (a caller interleaves them with
 * its own figures). The leaf is the scratch root ROOT (lmctl-test-bench-<pid>-...) below this
 * process's own cgroup in every hierarchy, removed at EOF, SIGINT or SIGTERM. */
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>

#include "bench/bench.h"

extern char **environ;

static int procs[N_H_MAX];
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct floor_ctx {
	int n; /* cgroup.procs to write */
};

static int floor_child(void *arg)
{
	static char *const argv[] = {"/bin/true", NULL};
	const struct floor_ctx *c = arg;

	for (int h = 0; h < c->n; h++)
		if (write(procs[h], "0", 1) != 1)
			_exit(126);
	execve(argv[0], argv, environ);
	_exit(127);
}

static int floor_iter(bool placed)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	struct floor_ctx c = {.n = placed ? N_H : 0};
	pid_t pid;
	int st;

	pid = clone(floor_child, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, &c);
	if (pid < 0)
		return -errno;
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
			int r = floor_iter(strcmp(what, "placed") == 0);

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
		if (procs[h] < 0)
			r = -errno;
	}
	if (r >= 0)
		r = serve();
	else
		fprintf(stderr, "bench_exit_floor: scratch %s: %s\n", argv[1], strerror(-r));
	bench_scratch_remove(argv[1]);
	return r < 0 ? 1 : 0;
}
