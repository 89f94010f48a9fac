/* Benchmark (issue 5): "start /bin/true in a leaf, wait", through lmctl's library path in a
 * leaf with the six namespaces pid,mnt,uts,ipc,net,cgroup (the run joins the leaf's init)
 * and in a leaf without namespaces, beside `unshare --pid --fork --mount --uts --ipc --net
 * /bin/true` and raw clone3 floors written here, all in one run.
 *
 * Scratch: lmctl-test-bench-<pid>-* below this process's own cgroup in every hierarchy and a
 * state directory on tmpfs, removed at the end (processes first), also after SIGINT/SIGTERM. */
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "bench/bench.h"
#include "core/manager.h"
#include "nsutil/ns.h"

extern char **environ;

#define NS6_FLAGS \
	(CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP)
#define NS6_MASK (LMC_NS_PID | LMC_NS_MNT | LMC_NS_UTS | LMC_NS_IPC | LMC_NS_NET | LMC_NS_CGROUP)

static volatile sig_atomic_t stop;
static char root_raw[64], root_mgr[64], state_dir[128];

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int exit_code(int st)
{
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- raw floors ---- */

struct raw {
	int fd[N_H_MAX]; /* the scratch root: itself the leaf */
	uint64_t flags; /* extra clone3 flags (namespaces) */
	bool placed; /* into the leaf: CLONE_INTO_CGROUP (+ every v1 tasks in hybrid) */
};

/* clone3 + exec /bin/true + wait; placed: CLONE_INTO_CGROUP into the cgroup2 tree, and in
 * hybrid mode the child writes itself ("0") into every v1 hierarchy's tasks, opened before
 * the clone (on v2 clone3 alone places it). "0" in tasks moves the writer alone, without the
 * kernel's global threadgroup lock: a parent writing the child's pid into cgroup.procs took
 * it, and its first writer after a quiet spell waits for an RCU grace period. */
static int raw_iter(void *ctx)
{
	static char *const argv[] = {"/bin/true", NULL};
	struct raw *x = ctx;
	struct clone_args ca = {.flags = x->flags, .exit_signal = SIGCHLD};
	const int nt = x->placed ? UNI : 0; /* v1 hierarchies the child joins */
	int tasks[N_H_MAX], st, r = 0, h;
	pid_t pid;

	for (h = 0; h < nt; h++)
		if ((tasks[h] = openat(x->fd[h], "tasks", O_WRONLY | O_CLOEXEC)) < 0)
			break;
	if (h < nt) {
		r = -errno;
		while (h > 0)
			close(tasks[--h]);
		return r;
	}
	if (x->placed) {
		ca.flags |= CLONE_INTO_CGROUP;
		ca.cgroup = (uint64_t)x->fd[UNI];
	}
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0) {
		for (h = 0; h < nt; h++)
			if (write(tasks[h], "0", 1) != 1)
				_exit(126);
		execve(argv[0], argv, environ);
		_exit(127);
	}
	if (pid < 0)
		r = -errno;
	for (h = 0; h < nt; h++)
		close(tasks[h]);
	if (pid > 0 && waitpid(pid, &st, 0) < 0)
		return -errno;
	return r < 0 ? r : exit_code(st);
}

/* posix_spawn-style: CLONE_VM|CLONE_VFORK on a stack of its own, so no page table is copied
 * and no copy-on-write fault follows; not placed (a vfork child cannot be held while the
 * parent writes cgroup.procs). */
static int vfork_child(void *arg)
{
	static char *const argv[] = {"/bin/true", NULL};

	(void)arg;
	execve(argv[0], argv, environ);
	_exit(127);
}

static int vfork_iter(void *ctx)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	pid_t pid;
	int st;

	(void)ctx;
	pid = clone(vfork_child, stack + sizeof(stack), CLONE_VM | CLONE_VFORK | SIGCHLD, NULL);
	if (pid < 0)
		return -errno;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return exit_code(st);
}

/* ---- lmctl ---- */

struct mrun {
	struct lmc_manager *m;
	const char *leaf;
};

static int mgr_iter(void *ctx)
{
	static const char *const argv[] = {"/bin/true", NULL};
	struct mrun *x = ctx;
	struct lmc_run_opts ro = {.argv = argv, .stdio = {-1, -1, -1}};
	struct lmc_err err = {0};
	int pidfd = -1, st = -1, r;
	pid_t pid;

	r = lmc_mgr_run(x->m, x->leaf, &ro, &pid, &pidfd, &err);
	if (r >= 0) {
		r = lmc_ns_wait(pid, pidfd, 10000, &st);
		close(pidfd);
	}
	if (r < 0 || st != 0)
		fprintf(stderr, "bench_spawn: lmctl run %s: %s (status %d)\n", x->leaf,
			lmc_err_str(&err), st);
	return r < 0 ? r : st;
}

/* ---- unshare(1) ---- */

static int unshare_iter(void *ctx)
{
	static char *const argv[] = {
		"/usr/bin/unshare", "--pid", "--fork", "--mount", "--uts", "--ipc", "--net",
		"/bin/true",	    NULL};
	pid_t pid;
	int st, r;

	(void)ctx;
	r = posix_spawn(&pid, argv[0], NULL, NULL, argv, environ);
	if (r)
		return -r;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return exit_code(st);
}

/* ---- set-up, rounds, report ---- */

struct variant {
	struct bench_samples s;
	int (*iter)(void *ctx);
	void *ctx;
};

static int mgr_setup(struct lmc_manager **ret)
{
	struct lmc_manager_opts o = {.state_dir = state_dir,
				     .cgroup_root = root_mgr,
				     .lock_timeout_ms = 2000,
				     .fsync = false};
	struct lmc_err err = {0};
	struct lmc_spec s;
	int r;

	if (mkdir(state_dir, 0700) < 0)
		return -errno;
	r = lmc_mgr_open(&o, ret, &err);
	lmc_spec_init(&s);
	if (r >= 0)
		r = lmc_mgr_create(*ret, "plain", &s, &err);
	s.ns.mask = NS6_MASK;
	if (r >= 0)
		r = lmc_mgr_create(*ret, "ns6", &s, &err);
	if (r < 0)
		fprintf(stderr, "bench_spawn: lmctl set-up: %s\n", lmc_err_str(&err));
	return r;
}

static void cleanup(struct lmc_manager *m)
{
	if (m) {
		lmc_mgr_destroy(m, "ns6", true, NULL);
		lmc_mgr_destroy(m, "plain", true, NULL);
		lmc_mgr_free(m);
	}
	bench_scratch_remove(root_raw);
	bench_scratch_remove(root_mgr);
	bench_state_remove(state_dir);
}

static int run_rounds(struct variant *vs, int nv, int rounds, int per_round)
{
	/* BENCH_ONLY=<row index>: run one row alone (for perf or strace). */
	const char *o = getenv("BENCH_ONLY");
	int only = o && *o ? atoi(o) : -1;

	for (int round = -1; round < rounds && !stop; round++) {
		for (int i = 0; i < nv && !stop; i++) {
			if (only >= 0 && i != only)
				continue;
			int n = round < 0 ? 3 : per_round; /* round -1: warm-up, not recorded */

			for (int k = 0; k < n && !stop; k++) {
				uint64_t t0 = bench_now_ns();
				int r = vs[i].iter(vs[i].ctx);
				uint64_t t1 = bench_now_ns();

				if (r != 0) {
					if (++vs[i].s.failures > 5) {
						fprintf(stderr,
							"bench_spawn: %s: too many failures\n",
							vs[i].s.label);
						return -EIO;
					}
				} else if (round >= 0) {
					bench_add(&vs[i].s, t1 - t0);
				}
			}
		}
	}
	return stop ? -EINTR : 0;
}

int main(int argc, char **argv)
{
	int iters = argc > 1 ? atoi(argv[1]) : 500;
	const int rounds = 25;
	struct sigaction sa = {.sa_handler = on_signal};
	struct lmc_manager *m = NULL;
	struct raw floor = {.flags = 0}, ns6 = {.flags = NS6_FLAGS}, placed = {.placed = true};
	struct mrun plain = {.leaf = "plain"}, nsrun = {.leaf = "ns6"};
	char title[256];
	int pid = (int)getpid(), r;
	struct variant vs[] = {
		{{.label = "raw clone3 + exec + wait (floor)"}, raw_iter, &floor},
		{{.label = "raw, placed in the leaf"}, raw_iter, &placed},
		{{.label = "raw clone(CLONE_VM|CLONE_VFORK), not placed"}, vfork_iter, NULL},
		{{.label = "raw, 6 new namespaces"}, raw_iter, &ns6},
		{{.label = "lmctl run, leaf without namespaces"}, mgr_iter, &plain},
		{{.label = "lmctl run, leaf with 6 namespaces"}, mgr_iter, &nsrun},
		{{.label = "unshare --pid --fork --mount --uts --ipc --net"}, unshare_iter, NULL},
	};
	const int nv = (int)(sizeof(vs) / sizeof(vs[0]));

	if (bench_cg_init() < 0) {
		printf("\nSpawn (issue 5): skipped: needs hybrid cgroups (v1 + cgroup2) or cgroup "
		       "v2\n");
		return 0;
	}
	iters = iters < rounds ? rounds : iters;
	snprintf(root_raw, sizeof(root_raw), BENCH_PREFIX "%d-rawsp", pid);
	snprintf(root_mgr, sizeof(root_mgr), BENCH_PREFIX "%d-spawn", pid);
	snprintf(state_dir, sizeof(state_dir), "/dev/shm/" BENCH_PREFIX "%d-spst", pid);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	r = bench_scratch_make(root_raw, placed.fd);
	if (r >= 0)
		r = mgr_setup(&m);
	if (r < 0) {
		fprintf(stderr, "bench_spawn: set-up failed: %s\n", strerror(-r));
		cleanup(m);
		return 1;
	}
	plain.m = nsrun.m = m;
	r = run_rounds(vs, nv, rounds, iters / rounds);
	cleanup(m);
	if (r < 0)
		return 1;
	snprintf(title, sizeof(title),
		 "Spawn (issue 5): start /bin/true, wait; %s (placed: in %d hierarch%s); %d "
		 "iterations each, interleaved; ratio to the raw floor",
		 bench_cg_mode(), N_H, N_H == 1 ? "y" : "ies", iters / rounds * rounds);
	bench_table_head(title);
	for (int i = 0; i < nv; i++)
		bench_row(&vs[i].s, &vs[0].s);
	return 0;
}
