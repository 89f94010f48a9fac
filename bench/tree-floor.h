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
};

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
		if (h == BENCH_CPUSET) /* as lmctl's root: cpus and mems given at mkdir */
			bench_write_at(f->fds[h], "cgroup.clone_children", "1");
	}
	return 0;
}

/* One container: a mkdir in each hierarchy (on v2 the parent hands its controllers down
 * first, as the agent's create does), its pids.max. */
static inline int floor_make(const struct floor_tree *f, const char *name, const char *pids)
{
	char p[FLOOR_NAME_MAX + 32];
	const char *slash;

	for (int h = 0; h < N_H; h++) {
		if (bench_cg.v2) {
			slash = strrchr(name, '/');
			snprintf(p, sizeof(p), "%.*s%scgroup.subtree_control",
				 slash ? (int)(slash - name) : 0, name, slash ? "/" : "");
			bench_write_at(f->fds[h], p, BENCH_V2_CTRLS);
		}
		if (mkdirat(f->fds[h], name, 0755) < 0)
			return -errno;
		if (BENCH_H[h].ctrl[0] ? strcmp(BENCH_H[h].ctrl, "pids") == 0 : bench_cg.v2) {
			snprintf(p, sizeof(p), "%s/pids.max", name);
			bench_write_at(f->fds[h], p, pids);
		}
	}
	return 0;
}

static inline int floor_build(struct floor_tree *f, uint64_t *ret_ns)
{
	int n = 1 + f->mids * (1 + f->leaves), r = 0;
	uint64_t t0 = bench_now_ns();
	char name[FLOOR_NAME_MAX];

	for (int i = 0; i < n && r >= 0; i++) {
		floor_name(f, i, name);
		r = floor_make(f, name, i == 0 ? "20000" : strchr(name + 4, '/') ? "50" : "5000");
	}
	*ret_ns = bench_now_ns() - t0;
	return r;
}

struct floor_rm {
	const struct floor_tree *f;
	int h, failed;
};

static inline void *floor_rm_hier(void *arg)
{
	struct floor_rm *j = arg;
	char name[FLOOR_NAME_MAX];

	for (int i = 1 + j->f->mids * (1 + j->f->leaves); i-- > 0;) {
		floor_name(j->f, i, name);
		if (unlinkat(j->f->fds[j->h], name, AT_REMOVEDIR) < 0)
			j->failed++;
	}
	return NULL;
}

static inline int floor_remove(struct floor_tree *f, uint64_t *ret_ns)
{
	struct floor_rm jobs[N_H_MAX];
	pthread_t tids[N_H_MAX];
	bool started[N_H_MAX] = {false};
	uint64_t t0 = bench_now_ns();
	int failed = 0;

	for (int h = 0; h < N_H; h++) {
		jobs[h] = (struct floor_rm){.f = f, .h = h};
		started[h] = pthread_create(&tids[h], NULL, floor_rm_hier, &jobs[h]) == 0;
		if (!started[h])
			floor_rm_hier(&jobs[h]);
	}
	for (int h = 0; h < N_H; h++) {
		if (started[h])
			pthread_join(tids[h], NULL);
		failed += jobs[h].failed;
	}
	*ret_ns = bench_now_ns() - t0;
	return failed ? -EBUSY : 0;
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
