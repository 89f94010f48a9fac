/* Shared by the benchmark programs: a monotonic clock, sample sets with median/p99, the
 * table they print, and this process's own cgroup per hierarchy (scratch roots go below it).
 * Static functions only: every bench program is built from one .c file. */
#ifndef LMC_BENCH_H
#define LMC_BENCH_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BENCH_CG_MNT "/sys/fs/cgroup"
/* Every scratch root and state directory the benchmarks make is named so. */
#define BENCH_PREFIX "lmctl-test-bench-"

/* The hierarchies lmctl manages in hybrid mode, the cgroup2 tree last; and on cgroup v2 the
 * one tree (mounted at BENCH_CG_MNT itself). */
struct bench_hier {
	const char *ctrl; /* as in /proc/self/cgroup; "" cgroup2 */
	const char *mnt; /* below /sys/fs/cgroup; "" the mount itself */
};
static const struct bench_hier BENCH_HYBRID[] = {
	{"cpu", "cpu"},	    {"cpuacct", "cpuacct"}, {"cpuset", "cpuset"},   {"memory", "memory"},
	{"blkio", "blkio"}, {"pids", "pids"},	    {"freezer", "freezer"}, {"", "unified"},
};
static const struct bench_hier BENCH_V2[] = {{"", ""}};
#define N_H_MAX 8

/* The layout of this machine, set by bench_cg_init(): BENCH_H, N_H hierarchies, UNI the
 * index of the cgroup2 tree (the v1 hierarchies are 0..UNI-1, none on v2), BENCH_CPUSET
 * the v1 cpuset hierarchy (-1: none). Run-time values behind constant-looking names, so that
 * the loops over hierarchies read the same in both modes. */
static struct bench_cg {
	const struct bench_hier *h;
	int nh, uni, cpuset;
	bool v2;
} bench_cg __attribute__((unused)) = {BENCH_HYBRID, 8, 7, 2, false};
#define BENCH_H (bench_cg.h)
#define N_H (bench_cg.nh)
#define UNI (bench_cg.uni)
#define BENCH_CPUSET (bench_cg.cpuset)
/* What a v2 scratch root hands down to the cgroups the benchmarks make below it. */
#define BENCH_V2_CTRLS "+cpu +memory +pids +io +cpuset"

/* Hybrid (v1 controllers + cgroup2 at unified/) or pure cgroup v2; -ENOTSUP otherwise. */
static inline int bench_cg_init(void)
{
	if (access(BENCH_CG_MNT "/unified/cgroup.procs", F_OK) == 0 &&
	    access(BENCH_CG_MNT "/cpu/cgroup.procs", F_OK) == 0)
		return 0;
	if (access(BENCH_CG_MNT "/cgroup.subtree_control", F_OK) == 0) {
		bench_cg = (struct bench_cg){BENCH_V2, 1, 0, -1, true};
		return 0;
	}
	return -ENOTSUP;
}

static inline const char *bench_cg_mode(void)
{
	return bench_cg.v2 ? "cgroup v2" : "hybrid";
}

struct bench_samples {
	const char *label;
	const char *note;
	uint64_t *v; /* ns per iteration */
	size_t n, cap;
	unsigned failures;
};

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline int bench_add(struct bench_samples *s, uint64_t ns)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 1024;
		uint64_t *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = ns;
	return 0;
}

static inline int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile (p in 0..100) of the sorted samples. */
static inline uint64_t bench_pct(const struct bench_samples *s, double p)
{
	size_t k;

	if (!s->n)
		return 0;
	k = (size_t)(p / 100.0 * (double)s->n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > s->n)
		k = s->n;
	return s->v[k - 1];
}

static inline void bench_sort(struct bench_samples *s)
{
	qsort(s->v, s->n, sizeof(*s->v), bench_cmp_u64);
}

/* Human units for a time in ns: "12.3 us", "1.234 ms". */
static inline const char *bench_fmt(uint64_t ns, char *buf, size_t size)
{
	if (ns < 10000)
		snprintf(buf, size, "%llu ns", (unsigned long long)ns);
	else if (ns < 10000000)
		snprintf(buf, size, "%.1f us", (double)ns / 1e3);
	else
		snprintf(buf, size, "%.2f ms", (double)ns / 1e6);
	return buf;
}

static inline void bench_table_head(const char *title)
{
	printf("\n%s\n", title);
	printf("  %-44s %7s %12s %12s %8s %8s\n", "variant", "n", "median", "p99", "ratio",
	       "p99 rat");
}

/* One row; ratios are to floor (NULL or itself: 1.00). */
static inline void bench_row(struct bench_samples *s, const struct bench_samples *floor)
{
	char a[32], b[32];
	double ratio = 1.0, ratio99 = 1.0;

	bench_sort(s);
	if (floor && floor != s && floor->n && s->n) {
		ratio = (double)bench_pct(s, 50) / (double)bench_pct(floor, 50);
		ratio99 = (double)bench_pct(s, 99) / (double)bench_pct(floor, 99);
	}
	if (!s->n) {
		printf("  %-44s %7s %12s %12s %8s %8s   (%u failures)\n", s->label, "0", "-", "-",
		       "-", "-", s->failures);
		return;
	}
	printf("  %-44s %7zu %12s %12s %7.2fx %7.2fx", s->label, s->n,
	       bench_fmt(bench_pct(s, 50), a, sizeof(a)), bench_fmt(bench_pct(s, 99), b, sizeof(b)),
	       ratio, ratio99);
	if (s->failures)
		printf("   (%u failures)", s->failures);
	if (s->note)
		printf("   %s", s->note);
	printf("\n");
}

/* One line per target of issue 16, "target: WHAT  FIGURE  (target T)  met|NOT met", also
 * appended to the file $BENCH_TARGETS names, which bench/run.sh prints at the end. figure
 * NULL: not measured here (why in t). */
static inline void bench_target(const char *what, const char *figure, const char *t, bool met)
{
	const char *file = getenv("BENCH_TARGETS");
	char line[256];
	FILE *f;

	snprintf(line, sizeof(line), "target: %-52s %14s  (target %s)  %s\n", what,
		 figure ? figure : "-", t,
		 !figure ? "not measured"
		 : met	 ? "met"
			 : "NOT met");
	fputs(line, stdout);
	if (file && *file && (f = fopen(file, "a"))) {
		fputs(line, f);
		fclose(f);
	}
}

static inline void bench_target_ratio(const char *what, double ratio, double max)
{
	char f[32], t[32];

	snprintf(f, sizeof(f), "%.2fx", ratio);
	snprintf(t, sizeof(t), "<= %.2fx", max);
	bench_target(what, f, t, ratio <= max);
}

/* This process's cgroup in hierarchy ctrl ("memory", "cpu", ...; "" for cgroup2) from
 * /proc/self/cgroup, written to buf ("/" or "/a/b"). */
static inline int bench_own_cgroup(const char *ctrl, char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[1024];
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		char *tok, *save = NULL;
		size_t len;
		int match = 0;

		if (!c2)
			continue;
		*c2 = '\0';
		len = strcspn(c2 + 1, "\n");
		c2[1 + len] = '\0';
		if (!ctrl[0])
			match = c1[1] == '\0' && line[0] == '0';
		for (tok = strtok_r(c1 + 1, ",", &save); ctrl[0] && tok;
		     tok = strtok_r(NULL, ",", &save))
			match |= !strcmp(tok, ctrl);
		if (match) {
			snprintf(buf, size, "%s", c2 + 1);
			r = 0;
			break;
		}
	}
	fclose(f);
	return r;
}

/* Where scratch roots go in hierarchy ctrl: this process's own cgroup, except on v2 when that
 * is not the root cgroup: a non-root v2 cgroup holding processes (a session scope, a
 * service, this process) may not enable controllers for children, so the roots go to the
 * top of the hierarchy, as lmctl's own root does then (controllers/cgroupfs-v2.c). */
static inline int bench_base_cgroup(const char *ctrl, char *buf, size_t size)
{
	int r = bench_own_cgroup(ctrl, buf, size);

	if (r >= 0 && bench_cg.v2 && strcmp(buf, "/") != 0)
		snprintf(buf, size, "/");
	return r;
}

/* Absolute directory of the scratch root `root` (one component) below the base cgroup in
 * hierarchy ctrl, whose mount is BENCH_CG_MNT/<mnt>. */
static inline int bench_scratch_path(const char *ctrl, const char *mnt, const char *root, char *buf,
				     size_t size)
{
	char own[512];
	int r = bench_base_cgroup(ctrl, own, sizeof(own));
	int n;

	if (r < 0)
		return r;
	n = snprintf(buf, size, BENCH_CG_MNT "%s%s%s/%s", mnt[0] ? "/" : "", mnt, own[1] ? own : "",
		     root);
	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* Write a whole value to path relative to dirfd in one write(2). */
static inline int bench_write_at(int dirfd, const char *path, const char *val)
{
	int fd = openat(dirfd, path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int r = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		r = -errno;
	close(fd);
	return r;
}

/* ---- scratch roots ---- */

static inline int bench_root_path(int h, const char *root, const char *sub, char *buf, size_t size)
{
	char base[512];
	int r = bench_scratch_path(BENCH_H[h].ctrl, BENCH_H[h].mnt, root, base, sizeof(base));

	if (r < 0)
		return r;
	snprintf(buf, size, "%s%s%s", base, sub[0] ? "/" : "", sub);
	return 0;
}

/* mkdir the root in every hierarchy; cpuset gets its parent's cpus/mems so tasks may join. */
static inline int bench_scratch_make(const char *root, int fds[N_H_MAX])
{
	char p[512], v[256];
	int r;

	for (int h = 0; h < N_H_MAX; h++)
		fds[h] = -1;
	for (int h = 0; h < N_H; h++) {
		if ((r = bench_root_path(h, root, "", p, sizeof(p))) < 0)
			return r;
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		fds[h] = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fds[h] < 0)
			return -errno;
	}
	for (int i = 0; i < 2 && BENCH_CPUSET >= 0; i++) {
		const char *f = i ? "cpuset.mems" : "cpuset.cpus";
		int fd = openat(fds[BENCH_CPUSET], "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int pf = fd >= 0 ? openat(fd, f, O_RDONLY | O_CLOEXEC) : -1;
		ssize_t n = pf >= 0 ? read(pf, v, sizeof(v) - 1) : -1;

		if (pf >= 0)
			close(pf);
		if (fd >= 0)
			close(fd);
		if (n <= 0)
			return -EIO;
		v[n] = '\0';
		if ((r = bench_write_at(fds[BENCH_CPUSET], f, v)) < 0)
			return r;
	}
	return 0;
}

/* On v2, let the scratch root (fd) hand BENCH_V2_CTRLS down to the cgroups made below it:
 * its parent (the root cgroup, bench_base_cgroup) must offer them first, and is written only
 * when it lacks one (as in a VM booted for the benchmarks). */
static inline int bench_v2_delegate(int fd)
{
	static const char *const want[] = {"cpu", "memory", "pids", "io", "cpuset"};
	int pfd = openat(fd, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int cfd = pfd >= 0 ? openat(pfd, "cgroup.subtree_control", O_RDONLY | O_CLOEXEC) : -1;
	char cur[256] = " ";
	ssize_t n = cfd >= 0 ? read(cfd, cur + 1, sizeof(cur) - 3) : -1;
	bool missing = false;
	int r = 0;

	if (cfd >= 0)
		close(cfd);
	if (n < 0) {
		r = -errno;
		goto out;
	}
	cur[1 + n] = '\0';
	cur[strcspn(cur, "\n")] = '\0';
	strcat(cur, " ");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char pat[16];

		snprintf(pat, sizeof(pat), " %s ", want[i]);
		missing |= !strstr(cur, pat);
	}
	if (missing)
		r = bench_write_at(pfd, "cgroup.subtree_control", BENCH_V2_CTRLS);
	if (r >= 0)
		r = bench_write_at(fd, "cgroup.subtree_control", BENCH_V2_CTRLS);
out:
	if (pfd >= 0)
		close(pfd);
	return r;
}

static inline int bench_rm_dir_cb(const char *path, const struct stat *st, int flag,
				  struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (flag == FTW_DP) {
		for (int i = 0; i < 1000 && rmdir(path) < 0 && errno == EBUSY; i++)
			usleep(1000);
	}
	return 0;
}

/* Kill whatever runs below the root (cgroup.kill in the cgroup2 tree), wait until it is
 * empty, then remove every directory below it and itself, deepest first. */
static inline void bench_scratch_remove(const char *root)
{
	char p[512], ev[256];

	/* Never let this loose on anything but a bench scratch root. */
	if (strncmp(root, BENCH_PREFIX, strlen(BENCH_PREFIX)) || strchr(root, '/') ||
	    bench_root_path(UNI, root, "", p, sizeof(p)) < 0)
		return;
	if (access(p, F_OK) == 0) {
		int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (fd >= 0) {
			bench_write_at(fd, "cgroup.kill", "1");
			for (int i = 0; i < 2000; i++) {
				int e = openat(fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
				ssize_t n = e >= 0 ? read(e, ev, sizeof(ev) - 1) : -1;

				if (e >= 0)
					close(e);
				if (n <= 0 || (ev[n] = '\0', strstr(ev, "populated 0")))
					break;
				usleep(1000);
			}
			close(fd);
		}
	}
	for (int h = 0; h < N_H; h++) {
		if (bench_root_path(h, root, "", p, sizeof(p)) >= 0 && access(p, F_OK) == 0)
			nftw(p, bench_rm_dir_cb, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	}
}

static inline int bench_rm_any_cb(const char *path, const struct stat *st, int flag,
				  struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static inline void bench_state_remove(const char *dir)
{
	if (strstr(dir, "/" BENCH_PREFIX) && access(dir, F_OK) == 0)
		nftw(dir, bench_rm_any_cb, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

#endif
