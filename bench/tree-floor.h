/* The raw-syscall floor of bench_agent's 10,000-container tree (issue 16): the same shape
 * (big, 99 x big/mNN, leaves below) made by mkdir in every hierarchy and one pids.max write
 * per container, as the agent writes them, then removed bottom-up with one thread per
 * hierarchy, as the agent removes them. No store, no policy, no socket: what the kernel
 * costs. This machine's cgroup mkdir and rmdir vary by 3-5x with what else runs on it, so the
 * agent's figures are given beside this floor measured in the same run. Lives below the
 * scratch root bench_agent passes (removed with it, whatever happens). */
#ifndef LMC_BENCH_TREE_FLOOR_H
#define LMC_BENCH_TREE_FLOOR_H

#include <pthread.h>

#include "bench/bench.h"

#define FLOOR_NAME_MAX 96

struct floor_tree {
	int fds[N_H_MAX]; /* <scratch root>/floor in each hierarchy */
	int mids, leaves;
	bool nolb; /* cpusets made with sched_load_balance 0, then given cpuset[0..1] */
	char cpuset[2][64]; /* the floor's cpus and mems, which every cpuset below gets */
};

/* The cpuset file (dirfd-relative path) read into buf, "" if unreadable. */
static inline void floor_cpuset_copy(int dirfd, const char *dir, const char *file, char *buf,
				     size_t size)
{
	char p[FLOOR_NAME_MAX + 32];
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), "%s/%s", dir, file);
	fd = openat(dirfd, p, O_RDONLY | O_CLOEXEC);
	n = fd >= 0 ? read(fd, buf, size - 1) : -1;
	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
}

/* The i-th container (0 .. 1 + mids * (1 + leaves) - 1) in build order; the removal goes
 * backwards through the same order, children before parents. */
static inline void floor_name(const struct floor_tree *f, int i, char *buf)
{
	int per = 1 + f->leaves, m = (i - 1) / per, j = (i - 1) % per;

	if (i == 0)
		snprintf(buf, FLOOR_NAME_MAX, "big");
	else if (j == 0)
		snprintf(buf, FLOOR_NAME_MAX, "big/m%02d", m);
	else
		snprintf(buf, FLOOR_NAME_MAX, "big/m%02d/l%03d", m, j - 1);
}

/* As lmctl makes its cpusets: where the top cpuset balances every CPU, each new one gets
 * sched_load_balance 0 while its cpus are still empty, then its parent's cpus and mems (no
 * scheduler-domain rebuild at the writes nor at its offline); otherwise the kernel copies
 * cpus and mems at mkdir (clone_children). */
static inline void floor_cpuset_root(struct floor_tree *f)
{
	int fd = open(BENCH_CG_MNT "/cpuset/cpuset.sched_load_balance", O_RDONLY | O_CLOEXEC);
	char c = 0;

	f->nolb = fd >= 0 && read(fd, &c, 1) == 1 && c == '1';
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 2; i++) { /* the floor's own, from the scratch root */
		const char *file = i ? "cpuset.mems" : "cpuset.cpus";

		floor_cpuset_copy(f->fds[BENCH_CPUSET], "..", file, f->cpuset[i],
				  sizeof(f->cpuset[i]));
		bench_write_at(f->fds[BENCH_CPUSET], file, f->cpuset[i]);
	}
	bench_write_at(f->fds[BENCH_CPUSET], "cgroup.clone_children", f->nolb ? "0" : "1");
}

static inline int floor_open(struct floor_tree *f, const char *root)
{
	char p[1024];

	for (int h = 0; h < N_H_MAX; h++)
		f->fds[h] = -1;
	for (int h = 0; h < N_H; h++) {
		if (bench_root_path(h, root, "floor", p, sizeof(p)) < 0)
			return -EIO;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		f->fds[h] = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (f->fds[h] < 0)
			return -errno;
		if (h == BENCH_CPUSET) /* as lmctl's root (controllers/cgroupfs-tree.c) */
			floor_cpuset_root(f);
	}
	return 0;
}

/* One container in hierarchy h: its mkdir (on v2 the parent hands its controllers down
 * first, as the agent's create does), its pids.max. */
static inline int floor_make_in(const struct floor_tree *f, int h, const char *name,
				const char *pids)
{
	char p[FLOOR_NAME_MAX + 32];
	const char *slash;

	if (bench_cg.v2) {
		slash = strrchr(name, '/');
		snprintf(p, sizeof(p), "%.*s%scgroup.subtree_control",
			 slash ? (int)(slash - name) : 0, name, slash ? "/" : "");
		bench_write_at(f->fds[h], p, BENCH_V2_CTRLS);
	}
	if (mkdirat(f->fds[h], name, 0755) < 0)
		return -errno;
	if (h == BENCH_CPUSET && f->nolb) {
		static const char *const files[] = {"cpuset.sched_load_balance", "cpuset.cpus",
						    "cpuset.mems"};

		for (int i = 0; i < 3; i++) {
			snprintf(p, sizeof(p), "%s/%s", name, files[i]);
			bench_write_at(f->fds[h], p, i ? f->cpuset[i - 1] : "0");
		}
	}
	if (BENCH_H[h].ctrl[0] ? strcmp(BENCH_H[h].ctrl, "pids") == 0 : bench_cg.v2) {
		snprintf(p, sizeof(p), "%s/pids.max", name);
		bench_write_at(f->fds[h], p, pids);
	}
	return 0;
}

/* This process's CPU time so far, user + system, ns. */
static inline uint64_t floor_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One thread's share of a build or a removal: every container (build order, or backwards
 * for a removal, children before parents) in hierarchy h, or in every hierarchy (h < 0). The
 * top, "big", is made before and removed after the threads by the caller. */
struct floor_job {
	const struct floor_tree *f;
	int h, failed;
	bool rm;
};

static inline void floor_one(const struct floor_tree *f, int h, int i, bool rm, int *failed)
{
	char name[FLOOR_NAME_MAX];

	floor_name(f, i, name);
	if (rm ? unlinkat(f->fds[h], name, AT_REMOVEDIR) < 0
	       : floor_make_in(f, h, name,
			       i == 0		       ? "20000"
			       : strchr(name + 4, '/') ? "50"
						       : "5000") < 0)
		++*failed;
}

static inline void *floor_job_run(void *arg)
{
	struct floor_job *j = arg;
	int n = 1 + j->f->mids * (1 + j->f->leaves);

	for (int k = 1; k < n; k++) {
		int i = j->rm ? n - k : k;

		for (int h = j->h < 0 ? 0 : j->h; h < (j->h < 0 ? N_H : j->h + 1); h++)
			floor_one(j->f, h, i, j->rm, &j->failed);
	}
	return NULL;
}

/* The tree made (rm false) or removed by one thread for every hierarchy (per_hier false: one
 * container after another, as a create or a destroy of one container does) or by one thread
 * per hierarchy, each going through the whole tree in its own hierarchy. ns and the process's
 * CPU time (user + system, every thread) in ret[0], ret[1]. */
static inline int floor_run(struct floor_tree *f, bool rm, bool per_hier, uint64_t ret[2])
{
	struct floor_job jobs[N_H_MAX];
	pthread_t tids[N_H_MAX];
	bool started[N_H_MAX] = {false};
	uint64_t t0 = bench_now_ns(), c0 = floor_cpu_ns();
	int nj = per_hier ? N_H : 1, failed = 0;

	for (int h = 0; h < N_H && !rm; h++)
		floor_one(f, h, 0, false, &failed);
	for (int k = 0; k < nj; k++) {
		jobs[k] = (struct floor_job){.f = f, .h = per_hier ? k : -1, .rm = rm};
		started[k] = nj > 1 && pthread_create(&tids[k], NULL, floor_job_run, &jobs[k]) == 0;
		if (!started[k])
			floor_job_run(&jobs[k]);
	}
	for (int k = 0; k < nj; k++) {
		if (started[k])
			pthread_join(tids[k], NULL);
		failed += jobs[k].failed;
	}
	for (int h = 0; h < N_H && rm; h++)
		floor_one(f, h, 0, true, &failed);
	ret[0] = bench_now_ns() - t0;
	ret[1] = floor_cpu_ns() - c0;
	return failed ? (rm ? -EBUSY : -EIO) : 0;
}

/* The cgroups being taken down (rmdir returns before the kernel's offline work, which holds
 * cgroup_mutex as a mkdir does); -1 unknown. */
static inline long floor_dying(void)
{
	FILE *s = fopen(bench_cg.v2 ? BENCH_CG_MNT "/cgroup.stat"
				    : BENCH_CG_MNT "/unified/cgroup.stat",
			"re");
	char line[128];
	long n = -1;

	while (s && fgets(line, sizeof(line), s))
		if (sscanf(line, "nr_dying_descendants %ld", &n) == 1)
			break;
	if (s)
		fclose(s);
	return n;
}

/* Wait (up to 60 s) until the floor's removed cgroups are gone from the kernel too, so that
 * their offline work does not land on the agent's build measured next; ms waited. */
static inline uint64_t floor_settle(long before)
{
	uint64_t t0 = bench_now_ns();

	for (int i = 0; i < 600 && floor_dying() > before + 100; i++)
		usleep(100 * 1000);
	return (bench_now_ns() - t0) / 1000000;
}

static inline void floor_close(struct floor_tree *f)
{
	for (int h = 0; h < N_H_MAX; h++)
		if (f->fds[h] >= 0)
			close(f->fds[h]);
}

#endif
