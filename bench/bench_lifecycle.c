/* Over 800 lines: every path's row is measured in the same program and run as its floor.
 *
 * Benchmark (issue 3): the lifecycle "create a 2-level tree with limits in every controller
 * (cpu, memory, blkio weight, pids, cpuset), start /bin/true in the leaf, wait, destroy the
 * tree", measured in one run for: the raw-syscall floor written here, lmctl's library path
 * (core/manager; state on tmpfs without fsync, and on disk with fsync), libcgroup's API, the
 * cgcreate/cgset/cgexec/cgdelete chain, and the lmctl command line (LMCTL_BIN) without an
 * agent and with one running (LMCTLD_BIN, an lmctld of its own started here). Hybrid
 * hierarchies (this project's machines), and pure cgroup v2 (every row but the cg* tools'
 * chain and the command line's).
 *
 * Everything lives in scratch roots lmctl-test-bench-<pid>-* below this process's own cgroup
 * in every hierarchy, removed at the end (processes first), also after SIGINT/SIGTERM.
 * Longer than 800 lines: five variants in two cgroup modes are one program, so that their
 * rounds interleave and the machine's drift touches each alike. */
#include <fcntl.h>
#include <libcgroup.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <linux/sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "bench/agent-proc.h"
#include "bench/bench.h"
#include "core/manager.h"
#include "core/store.h"
#include "nsutil/ns.h"

extern char **environ;

#define I_CPU 0
#define I_CPUSET 2
#define I_MEM 3
#define I_BLKIO 4
#define I_PIDS 5

/* The limits of the two levels: a = "jobA", b = "jobA/sub1"; on v2 cpu.max and io.weight
 * (lmctl's conversion of the blkio weight). */
static const struct level {
	const char *quota, *mem, *weight, *pids, *cpus, *mems, *cpu_max, *io_weight;
	uint64_t limit_m, mem_b, weight_n, pids_n;
} LV[2] = {
	{"150000", "1073741824", "200", "512", "0-1", "0", "150000 100000", "default 1920", 1500,
	 1073741824ull, 200, 512},
	{"100000", "536870912", "100", "64", "0-1", "0", "100000 100000", "default 910", 1000,
	 536870912ull, 100, 64},
};

static volatile sig_atomic_t stop;
static char root_raw[64], root_mgr[64], root_sync[64], root_lcg[64], root_cli[64], root_lm[64];
static char state_tmpfs[128], state_disk[128], state_lm[128], state_store[128];
/* The CLI row with the agent running: lmctld on its own socket, state and root. */
static char root_lma[64], run_lma[64], sock_lma[96], state_lma[128];
static struct bench_agent lmctld = {.run_dir = run_lma,
				    .sock = sock_lma,
				    .state = state_lma,
				    .root = root_lma};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- the raw-syscall floor ---- */

struct raw {
	int fd[N_H_MAX];
};

#define W(h, file, val)                                       \
	do {                                                  \
		snprintf(f, sizeof(f), "%s/%s", dir, file);   \
		if (r >= 0)                                   \
			r = bench_write_at(x->fd[h], f, val); \
	} while (0)

/* v2: one directory; a parent hands the controllers down to its child. */
static int raw_level_v2(struct raw *x, int lv, const char *dir)
{
	char f[64];
	const struct level *l = &LV[lv];
	int r = 0;

	if (mkdirat(x->fd[0], dir, 0755) < 0)
		return -errno;
	if (lv == 0)
		W(0, "cgroup.subtree_control", BENCH_V2_CTRLS);
	W(0, "cpu.max", l->cpu_max);
	W(0, "memory.max", l->mem);
	W(0, "io.weight", l->io_weight);
	W(0, "pids.max", l->pids);
	W(0, "cpuset.cpus", l->cpus);
	W(0, "cpuset.mems", l->mems);
	return r;
}

static int raw_level(struct raw *x, int lv, const char *dir)
{
	char f[64];
	const struct level *l = &LV[lv];
	int r = 0;

	if (bench_cg.v2)
		return raw_level_v2(x, lv, dir);
	for (int h = 0; h < N_H; h++)
		if (mkdirat(x->fd[h], dir, 0755) < 0)
			return -errno;
	W(I_CPU, "cpu.cfs_quota_us", l->quota);
	W(I_MEM, "memory.limit_in_bytes", l->mem);
	W(I_BLKIO, "blkio.bfq.weight", l->weight);
	W(I_PIDS, "pids.max", l->pids);
	W(I_CPUSET, "cpuset.cpus", l->cpus);
	W(I_CPUSET, "cpuset.mems", l->mems);
	return r;
}
#undef W

/* clone3 into the cgroup2 leaf; in hybrid mode the child writes itself ("0") into every v1
 * hierarchy's tasks (opened before the clone; "0" in tasks moves the writer alone, without
 * the kernel's global threadgroup lock, whose first writer after a quiet spell waits for an
 * RCU grace period: the fastest placing there is), then execs /bin/true. Returns its exit
 * status. */
static int raw_spawn(struct raw *x, const char *leaf)
{
	static char *const argv[] = {"/bin/true", NULL};
	struct clone_args ca = {.flags = CLONE_INTO_CGROUP, .exit_signal = SIGCHLD};
	int tasks[N_H_MAX], st, r = 0, h;
	int cfd = openat(x->fd[UNI], leaf, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char f[64];
	pid_t pid;

	if (cfd < 0)
		return -errno;
	snprintf(f, sizeof(f), "%s/tasks", leaf);
	for (h = 0; h < UNI; h++)
		if ((tasks[h] = openat(x->fd[h], f, O_WRONLY | O_CLOEXEC)) < 0)
			break;
	if (h < UNI) {
		r = -errno;
		while (h > 0)
			close(tasks[--h]);
		close(cfd);
		return r;
	}
	ca.cgroup = (uint64_t)cfd;
	pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0) {
		for (h = 0; h < UNI; h++)
			if (write(tasks[h], "0", 1) != 1)
				_exit(126);
		execve(argv[0], argv, environ);
		_exit(127);
	}
	if (pid < 0)
		r = -errno;
	close(cfd);
	for (h = 0; h < UNI; h++)
		close(tasks[h]);
	if (pid < 0)
		return r;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int raw_rmdir(struct raw *x, const char *dir)
{
	int r = 0;

	for (int h = 0; h < N_H; h++)
		if (unlinkat(x->fd[h], dir, AT_REMOVEDIR) < 0 && errno != ENOENT && r >= 0)
			r = -errno;
	return r;
}

/* Phases timed separately: 0 create both levels, 1 run+wait, 2 destroy. */
struct variant {
	struct bench_samples all, ph[3];
	int (*iter)(struct variant *v, uint64_t t[4]);
	void *ctx;
	int n_iter; /* per round */
};

static int raw_iter(struct variant *v, uint64_t t[4])
{
	struct raw *x = v->ctx;
	int r;

	t[0] = bench_now_ns();
	r = raw_level(x, 0, "a");
	if (r >= 0)
		r = raw_level(x, 1, "a/b");
	t[1] = bench_now_ns();
	if (r >= 0)
		r = raw_spawn(x, "a/b");
	t[2] = bench_now_ns();
	if (raw_rmdir(x, "a/b") < 0 || raw_rmdir(x, "a") < 0)
		r = r < 0 ? r : -EBUSY;
	t[3] = bench_now_ns();
	return r;
}

/* ---- lmctl's library path ---- */

static void mgr_spec(struct lmc_spec *s, int lv)
{
	lmc_spec_init(s);
	s->cpu.limit_m = LV[lv].limit_m;
	s->memory.limit = LV[lv].mem_b;
	s->blkio.weight = LV[lv].weight_n;
	s->pids.limit = LV[lv].pids_n;
	snprintf(s->cpu.cpus, sizeof(s->cpu.cpus), "%s", LV[lv].cpus);
	snprintf(s->cpu.mems, sizeof(s->cpu.mems), "%s", LV[lv].mems);
}

static int mgr_iter(struct variant *v, uint64_t t[4])
{
	static const char *const argv[] = {"/bin/true", NULL};
	struct lmc_manager *m = v->ctx;
	struct lmc_run_opts ro = {.argv = argv, .stdio = {-1, -1, -1}};
	struct lmc_spec s0, s1;
	struct lmc_err err = {0};
	int pidfd = -1, st = -1, r;
	pid_t pid;

	mgr_spec(&s0, 0);
	mgr_spec(&s1, 1);
	t[0] = bench_now_ns();
	r = lmc_mgr_create(m, "jobA", &s0, &err);
	if (r >= 0)
		r = lmc_mgr_create(m, "jobA/sub1", &s1, &err);
	t[1] = bench_now_ns();
	if (r >= 0)
		r = lmc_mgr_run(m, "jobA/sub1", &ro, &pid, &pidfd, &err);
	if (r >= 0) {
		r = lmc_ns_wait(pid, pidfd, 10000, &st);
		close(pidfd);
	}
	t[2] = bench_now_ns();
	if (lmc_mgr_destroy(m, "jobA", true, &err) < 0 && r >= 0)
		r = -EBUSY;
	t[3] = bench_now_ns();
	if (r < 0 || st != 0)
		fprintf(stderr, "bench_lifecycle: lmctl: %s (status %d)\n", lmc_err_str(&err), st);
	return r < 0 ? r : st;
}

/* mkdir -p of dir's parents: the v2 VM's initramfs has no /var/tmp. */
static int make_parents(const char *dir)
{
	char p[128];

	snprintf(p, sizeof(p), "%s", dir);
	for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = '/';
	}
	return 0;
}

static int mgr_open(const char *state, const char *root, bool fsync, struct lmc_manager **ret)
{
	struct lmc_manager_opts o = {
		.state_dir = state, .cgroup_root = root, .lock_timeout_ms = 2000, .fsync = fsync};
	struct lmc_err err = {0};
	int r;

	if (make_parents(state) < 0 || (mkdir(state, 0700) < 0 && errno != EEXIST))
		return -errno;
	r = lmc_mgr_open(&o, ret, &err);
	if (r < 0)
		fprintf(stderr, "bench_lifecycle: lmc_mgr_open %s: %s\n", state, lmc_err_str(&err));
	return r;
}

static void mgr_close(struct lmc_manager *m)
{
	if (m) {
		lmc_mgr_destroy(m, "jobA", true, NULL);
		lmc_mgr_free(m);
	}
}

/* ---- libcgroup's API ---- */

/* One struct cgroup has one name for every controller in it, and this process's cgroup is
 * not the same in every hierarchy: one struct per distinct base path. */
struct lcg {
	int fd[N_H_MAX]; /* scratch root fds: the cgroup2 step (libcgroup 2.0.2 cannot address it) */
	char own[N_H_MAX][512]; /* own cgroup per hierarchy, "" for "/" */
	int group_of[N_H_MAX]; /* index of the first hierarchy with the same base path */
};

static int lcg_values(struct cgroup_controller *cc, int h, int lv)
{
	const struct level *l = &LV[lv];
	int r = 0;

	if (h == I_CPU)
		r = cgroup_add_value_string(cc, "cpu.cfs_quota_us", l->quota);
	else if (h == I_MEM)
		r = cgroup_add_value_string(cc, "memory.limit_in_bytes", l->mem);
	else if (h == I_BLKIO)
		r = cgroup_add_value_string(cc, "blkio.bfq.weight", l->weight);
	else if (h == I_PIDS)
		r = cgroup_add_value_string(cc, "pids.max", l->pids);
	else if (h == I_CPUSET) {
		r = cgroup_add_value_string(cc, "cpuset.cpus", l->cpus);
		if (!r)
			r = cgroup_add_value_string(cc, "cpuset.mems", l->mems);
	}
	return r;
}

/* v2: one struct cgroup with the five controllers (libcgroup enables them in the parents'
 * cgroup.subtree_control itself). */
static char lcg_why[256]; /* the last libcgroup failure on v2, for the probe's report */

static int lcg_fail(const char *what, const char *arg, int code)
{
	snprintf(lcg_why, sizeof(lcg_why), "%s(%.120s): %.80s (errno %d)", what, arg,
		 code ? cgroup_strerror(code) : "failed", cgroup_get_last_errno());
	return -EIO;
}

static int lcg_create_v2(struct lcg *x, const char *root, const char *dir, int lv,
			 struct cgroup **ret)
{
	static const char *const ctrls[] = {"cpu", "memory", "io", "pids", "cpuset"};
	const struct level *l = &LV[lv];
	const char *const files[][2] = {{"cpu.max", l->cpu_max},     {"memory.max", l->mem},
					{"io.weight", l->io_weight}, {"pids.max", l->pids},
					{"cpuset.cpus", l->cpus},    {"cpuset.mems", l->mems}};
	char name[1024];
	int r;

	snprintf(name, sizeof(name), "%s/%s/%s", x->own[0], root, dir);
	*ret = cgroup_new_cgroup(name);
	if (!*ret)
		return lcg_fail("cgroup_new_cgroup", name, 0);
	for (int c = 0; c < 5; c++) {
		struct cgroup_controller *cc = cgroup_add_controller(*ret, ctrls[c]);

		if (!cc)
			return lcg_fail("cgroup_add_controller", ctrls[c], 0);
		for (int f = c; f <= (c == 4 ? 5 : c); f++)
			if ((r = cgroup_add_value_string(cc, files[f][0], files[f][1])))
				return lcg_fail("cgroup_add_value_string", files[f][0], r);
	}
	r = cgroup_create_cgroup(*ret, 0);
	return r ? lcg_fail("cgroup_create_cgroup", name, r) : 0;
}

/* Create level lv (dir "a" or "a/b") through libcgroup; the structs go to cgs[]. */
static int lcg_create(struct lcg *x, const char *root, const char *dir, int lv,
		      struct cgroup *cgs[N_H_MAX])
{
	char name[1024];
	int r;

	if (bench_cg.v2)
		return lcg_create_v2(x, root, dir, lv, &cgs[0]);
	for (int g = 0; g < UNI; g++) {
		if (x->group_of[g] != g)
			continue;
		snprintf(name, sizeof(name), "%s/%s/%s", x->own[g], root, dir);
		cgs[g] = cgroup_new_cgroup(name);
		if (!cgs[g])
			return -ENOMEM;
		for (int h = 0; h < UNI; h++) {
			struct cgroup_controller *cc;

			if (x->group_of[h] != g)
				continue;
			cc = cgroup_add_controller(cgs[g], BENCH_H[h].mnt);
			if (!cc || lcg_values(cc, h, lv))
				return -EINVAL;
		}
		r = cgroup_create_cgroup(cgs[g], 0);
		if (r)
			return -EIO;
	}
	return mkdirat(x->fd[UNI], dir, 0755) < 0 ? -errno : 0;
}

static int lcg_spawn(struct lcg *x, const char *leaf, struct cgroup *cgs[N_H_MAX])
{
	char f[64], pidbuf[16], c;
	const int ng = bench_cg.v2 ? 1 : UNI; /* libcgroup's groups; hybrid: cgroup2 by hand */
	int p[2], st, r = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		if (read(p[0], &c, 1) != 0)
			_exit(126);
		execl("/bin/true", "/bin/true", (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	for (int g = 0; pid > 0 && g < ng && !r; g++)
		if (cgs[g] && (r = cgroup_attach_task_pid(cgs[g], pid)))
			r = lcg_fail("cgroup_attach_task_pid", leaf, r);
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)pid);
	snprintf(f, sizeof(f), "%s/cgroup.procs", leaf);
	if (pid > 0 && !r && !bench_cg.v2)
		r = bench_write_at(x->fd[UNI], f, pidbuf);
	if (pid > 0 && r)
		kill(pid, SIGKILL);
	close(p[1]);
	if (pid < 0)
		return -errno;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return r < 0 ? r : (WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
}

static int lcg_delete(struct lcg *x, const char *dir, struct cgroup *cgs[N_H_MAX])
{
	const int ng = bench_cg.v2 ? 1 : UNI;
	int r = 0;

	/* On v2 libcgroup 2.0.2 removes the one directory once per controller: all but the first
	 * rmdir fail (ENOENT). Gone is what was asked for. */
	for (int g = 0; g < ng; g++) {
		int e = cgs[g] ? cgroup_delete_cgroup(cgs[g], 0) : 0;

		if (e && bench_cg.v2 && faccessat(x->fd[0], dir, F_OK, 0) < 0 && errno == ENOENT)
			e = 0;
		if (e && !r)
			r = lcg_fail("cgroup_delete_cgroup", dir, e);
		cgroup_free(&cgs[g]);
	}
	if (!bench_cg.v2 && unlinkat(x->fd[UNI], dir, AT_REMOVEDIR) < 0 && !r)
		r = -errno;
	return r;
}

static int lcg_iter(struct variant *v, uint64_t t[4])
{
	struct lcg *x = v->ctx;
	struct cgroup *a[N_H_MAX] = {0}, *b[N_H_MAX] = {0};
	int r;

	t[0] = bench_now_ns();
	r = lcg_create(x, root_lcg, "a", 0, a);
	if (r >= 0)
		r = lcg_create(x, root_lcg, "a/b", 1, b);
	t[1] = bench_now_ns();
	if (r >= 0)
		r = lcg_spawn(x, "a/b", b);
	t[2] = bench_now_ns();
	if ((lcg_delete(x, "a/b", b) < 0 || lcg_delete(x, "a", a) < 0) && r >= 0)
		r = -EBUSY;
	t[3] = bench_now_ns();
	return r;
}

/* ---- the cgcreate/cgset/cgexec/cgdelete chain (v1 hierarchies: the tools cannot address
 * the cgroup2 tree) ---- */

struct cli {
	struct lcg *l; /* for the base paths */
};

static int run_cmd(char *const argv[])
{
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int st, r;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (r)
		return -r;
	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "bench_lifecycle: %s failed (status %d)\n", argv[0], st);
		return -EIO;
	}
	return 0;
}

#define CLI_ARGS 48
#define CLI_ARGLEN 1100

struct argvec {
	char *v[CLI_ARGS];
	char buf[CLI_ARGS][CLI_ARGLEN];
	int n;
};

static void av_add(struct argvec *a, const char *s)
{
	if (a->n < CLI_ARGS - 1) {
		snprintf(a->buf[a->n], CLI_ARGLEN, "%s", s);
		a->v[a->n] = a->buf[a->n];
		a->v[++a->n] = NULL;
	}
}

/* "-g ctrl1,ctrl2:path" for each group of hierarchies sharing a base path. */
static void av_groups(struct argvec *a, struct lcg *x, const char *dir, bool per_ctrl)
{
	char g[CLI_ARGLEN];

	for (int grp = 0; grp < UNI; grp++) {
		size_t len = 0;

		if (x->group_of[grp] != grp)
			continue;
		for (int h = 0; h < UNI; h++) {
			if (x->group_of[h] != grp)
				continue;
			if (per_ctrl) {
				snprintf(g, sizeof(g), "%s:%s/%s/%s", BENCH_H[h].mnt, x->own[h],
					 root_cli, dir);
				av_add(a, "-g");
				av_add(a, g);
				continue;
			}
			len += snprintf(g + len, sizeof(g) - len, "%s%s", len ? "," : "",
					BENCH_H[h].mnt);
		}
		if (!per_ctrl) {
			snprintf(g + len, sizeof(g) - len, ":%s/%s/%s", x->own[grp], root_cli, dir);
			av_add(a, "-g");
			av_add(a, g);
		}
	}
}

static int cli_set(struct lcg *x, const char *dir, int lv)
{
	const struct level *l = &LV[lv];
	char kv[128], path[1024];

	for (int grp = 0; grp < UNI; grp++) {
		struct argvec a = {.n = 0};
		int sets = 0, r;

		if (x->group_of[grp] != grp)
			continue;
		av_add(&a, "/usr/bin/cgset");
		for (int h = 0; h < UNI; h++) {
			const char *kvs[2] = {NULL, NULL};

			if (x->group_of[h] != grp)
				continue;
			if (h == I_CPU)
				kvs[0] = "cpu.cfs_quota_us";
			else if (h == I_MEM)
				kvs[0] = "memory.limit_in_bytes";
			else if (h == I_BLKIO)
				kvs[0] = "blkio.bfq.weight";
			else if (h == I_PIDS)
				kvs[0] = "pids.max";
			else if (h == I_CPUSET)
				kvs[0] = "cpuset.cpus", kvs[1] = "cpuset.mems";
			for (int k = 0; k < 2 && kvs[k]; k++) {
				const char *val = h == I_CPU	 ? l->quota
						  : h == I_MEM	 ? l->mem
						  : h == I_BLKIO ? l->weight
						  : h == I_PIDS	 ? l->pids
						  : k		 ? l->mems
								 : l->cpus;

				snprintf(kv, sizeof(kv), "%s=%s", kvs[k], val);
				av_add(&a, "-r");
				av_add(&a, kv);
				sets++;
			}
		}
		snprintf(path, sizeof(path), "%s/%s/%s", x->own[grp], root_cli, dir);
		av_add(&a, path);
		if (sets && (r = run_cmd(a.v)) < 0)
			return r;
	}
	return 0;
}

static int cli_iter(struct variant *v, uint64_t t[4])
{
	struct cli *c = v->ctx;
	struct argvec a = {.n = 0};
	int r;

	t[0] = bench_now_ns();
	av_add(&a, "/usr/bin/cgcreate");
	av_groups(&a, c->l, "a", false);
	av_groups(&a, c->l, "a/b", false);
	r = run_cmd(a.v);
	if (r >= 0)
		r = cli_set(c->l, "a", 0);
	if (r >= 0)
		r = cli_set(c->l, "a/b", 1);
	t[1] = bench_now_ns();
	a.n = 0;
	av_add(&a, "/usr/bin/cgexec");
	av_groups(&a, c->l, "a/b", false);
	av_add(&a, "/bin/true");
	if (r >= 0)
		r = run_cmd(a.v);
	t[2] = bench_now_ns();
	/* cgdelete -g a,b:x removes only the first controller's group: one -g per controller. */
	a.n = 0;
	av_add(&a, "/usr/bin/cgdelete");
	av_add(&a, "-r");
	av_groups(&a, c->l, "a", true);
	if (run_cmd(a.v) < 0 && r >= 0)
		r = -EIO;
	t[3] = bench_now_ns();
	return r;
}

/* ---- the same work through the lmctl command line, four commands (create both levels,
 * run, destroy -r), each a process of its own as a shell script pays it: without an agent
 * (--direct) and with one running (the commands go to its socket) ---- */

struct lm {
	const char *lmctl;
	bool agent;
};

static void lm_base(struct argvec *a, const struct lm *lm)
{
	char opt[256];

	av_add(a, lm->lmctl);
	if (lm->agent) {
		snprintf(opt, sizeof(opt), "--socket=%s", sock_lma);
		av_add(a, opt);
		return;
	}
	av_add(a, "--direct");
	snprintf(opt, sizeof(opt), "--state-dir=%s", state_lm);
	av_add(a, opt);
	snprintf(opt, sizeof(opt), "--cgroup-root=%s", root_lm);
	av_add(a, opt);
}

static int lm_create(const struct lm *lm, const char *name, int lv)
{
	struct argvec a = {.n = 0};
	char f[5][64];

	lm_base(&a, lm);
	av_add(&a, "create");
	av_add(&a, name);
	snprintf(f[0], sizeof(f[0]), "--cpus=%llum", (unsigned long long)LV[lv].limit_m);
	snprintf(f[1], sizeof(f[1]), "--memory=%s", LV[lv].mem);
	snprintf(f[2], sizeof(f[2]), "--blkio-weight=%s", LV[lv].weight);
	snprintf(f[3], sizeof(f[3]), "--pids-limit=%s", LV[lv].pids);
	snprintf(f[4], sizeof(f[4]), "--cpuset-cpus=%s", LV[lv].cpus);
	for (int i = 0; i < 5; i++)
		av_add(&a, f[i]);
	av_add(&a, "--cpuset-mems=0");
	return run_cmd(a.v);
}

static int lm_iter(struct variant *v, uint64_t t[4])
{
	const struct lm *lm = v->ctx;
	struct argvec a = {.n = 0};
	int r;

	t[0] = bench_now_ns();
	r = lm_create(lm, "jobA", 0);
	if (r >= 0)
		r = lm_create(lm, "jobA/sub1", 1);
	t[1] = bench_now_ns();
	lm_base(&a, lm);
	av_add(&a, "run");
	av_add(&a, "jobA/sub1");
	av_add(&a, "--");
	av_add(&a, "/bin/true");
	if (r >= 0)
		r = run_cmd(a.v);
	t[2] = bench_now_ns();
	a.n = 0;
	lm_base(&a, lm);
	av_add(&a, "destroy");
	av_add(&a, "-r");
	av_add(&a, "jobA");
	if (run_cmd(a.v) < 0 && r >= 0)
		r = -EIO;
	t[3] = bench_now_ns();
	return r;
}

/* ---- main ---- */

static int lcg_setup(struct lcg *x, const char *root)
{
	int r = bench_scratch_make(root, x->fd);

	for (int h = 0; r >= 0 && h < N_H; h++) {
		r = bench_base_cgroup(BENCH_H[h].ctrl, x->own[h], sizeof(x->own[h]));
		if (r >= 0 && !strcmp(x->own[h], "/"))
			x->own[h][0] = '\0';
	}
	for (int h = 0; h < UNI; h++) {
		x->group_of[h] = h;
		for (int g = 0; g < h; g++)
			if (x->group_of[g] == g && !strcmp(x->own[g], x->own[h])) {
				x->group_of[h] = g;
				break;
			}
	}
	return r;
}

static void cleanup(struct lmc_manager *m1, struct lmc_manager *m2)
{
	mgr_close(m1);
	mgr_close(m2);
	bench_scratch_remove(root_raw);
	bench_scratch_remove(root_mgr);
	bench_scratch_remove(root_sync);
	bench_scratch_remove(root_lcg);
	bench_scratch_remove(root_cli);
	bench_scratch_remove(root_lm);
	bench_state_remove(state_lm);
	bench_agent_stop(&lmctld);
	bench_scratch_remove(root_lma);
	bench_state_remove(run_lma);
	bench_state_remove(state_tmpfs);
	bench_state_remove(state_disk);
	bench_state_remove(state_store);
}

static void record(struct variant *v, const uint64_t t[4])
{
	bench_add(&v->all, t[3] - t[0]);
	for (int i = 0; i < 3; i++)
		bench_add(&v->ph[i], t[i + 1] - t[i]);
}

static void report(struct variant *vs, int nv, int iters, int cli_iters)
{
	char title[320], cli[48] = "";

	if (nv > 4)
		snprintf(cli, sizeof(cli), " (%d for the CLI rows)", cli_iters);
	snprintf(title, sizeof(title),
		 "Lifecycle (issue 3): create jobA + jobA/sub1 with cpu/memory/blkio/pids/cpuset "
		 "limits, run /bin/true in the leaf, wait, destroy; %s; %d iterations%s; ratio to "
		 "the raw floor%s",
		 bench_cg_mode(), iters, cli,
		 bench_cg.v2 ? "; the cg* tools' row is hybrid only" : "");
	bench_table_head(title);
	for (int i = 0; i < nv; i++)
		bench_row(&vs[i].all, &vs[0].all);
	printf("\n  per phase, median (create both levels | run + wait | destroy):\n");
	for (int i = 0; i < nv; i++) {
		char a[32], b[32], c[32];

		for (int p = 0; p < 3; p++)
			bench_sort(&vs[i].ph[p]);
		printf("  %-44s %12s %12s %12s\n", vs[i].all.label,
		       bench_fmt(bench_pct(&vs[i].ph[0], 50), a, sizeof(a)),
		       bench_fmt(bench_pct(&vs[i].ph[1], 50), b, sizeof(b)),
		       bench_fmt(bench_pct(&vs[i].ph[2], 50), c, sizeof(c)));
	}
}

static double med_ratio(const struct bench_samples *a, const struct bench_samples *b)
{
	return (double)bench_pct(a, 50) / (double)(bench_pct(b, 50) | 1);
}

/* Issue 16's targets that this run measures (the agent's are bench_agent's). */
static void targets(struct variant *vs, int nv)
{
	if (getenv("BENCH_ONLY") && *getenv("BENCH_ONLY"))
		return;
	printf("\n");
	bench_target_ratio("library lifecycle / raw floor (median)",
			   med_ratio(&vs[1].all, &vs[0].all), 1.05);
	if (nv > 5 && vs[5].all.n && vs[4].all.n)
		bench_target_ratio("CLI lifecycle, no agent / cg* tool chain (median)",
				   med_ratio(&vs[5].all, &vs[4].all), 0.35);
	else
		bench_target("CLI lifecycle, no agent / cg* tool chain", NULL,
			     "<= 0.35x; hybrid only, needs LMCTL_BIN", false);
	if (nv > 6 && vs[6].all.n && vs[4].all.n)
		bench_target_ratio("CLI lifecycle with the agent / cg* tool chain (median)",
				   med_ratio(&vs[6].all, &vs[4].all), 0.30);
	else
		bench_target("CLI lifecycle with the agent / cg* tool chain", NULL,
			     "<= 0.30x; hybrid only, needs LMCTL_BIN and LMCTLD_BIN", false);
}

/* Rounds of every variant in turn, so drift of the machine touches each alike. */
static int run_rounds(struct variant *vs, int nv, int rounds)
{
	/* BENCH_ONLY=<row index>: run one row alone (for perf or strace). */
	const char *o = getenv("BENCH_ONLY");
	int only = o && *o ? atoi(o) : -1;
	uint64_t t[4];

	for (int round = -1; round < rounds && !stop; round++) {
		for (int i = 0; i < nv && !stop; i++) {
			if (only >= 0 && i != only)
				continue;
			/* Round -1 warms caches up and is not recorded. */
			int n = round < 0 ? 3 : vs[i].n_iter;

			for (int k = 0; k < n && !stop; k++) {
				int r = vs[i].iter(&vs[i], t);

				if (r != 0) {
					if (++vs[i].all.failures > 5) {
						fprintf(stderr,
							"bench_lifecycle: %s: too many "
							"failures\n",
							vs[i].all.label);
						return -EIO;
					}
					continue;
				}
				if (round >= 0)
					record(&vs[i], t);
			}
		}
	}
	return stop ? -EINTR : 0;
}

/* Whether row i is measured (BENCH_ONLY=<row index> runs one row alone). */
static bool row_runs(int i)
{
	const char *o = getenv("BENCH_ONLY");

	return !o || !*o || atoi(o) == i;
}

/* The agent of the CLI row with the agent running: started once, before the rounds (not for
 * another row alone: run-agent.sh's floor). */
static int agent_setup(void)
{
	const char *bin = getenv("LMCTLD_BIN");
	int r;

	if (mkdir(run_lma, 0700) < 0 || mkdir(state_lma, 0700) < 0)
		return -errno;
	r = bench_agent_start(&lmctld, bin, &stop);
	if (r < 0)
		fprintf(stderr,
			"bench_lifecycle: lmctld %s did not answer on %s: %s (its log: %s)\n", bin,
			sock_lma, strerror(-r), run_lma);
	return r;
}

/* Scratch roots and managers for every variant (nv of them: the cg* tools' row only in
 * hybrid mode). */
/* On v2, one lifecycle through libcgroup first: a libcgroup that cannot do it there loses
 * its row (said why) rather than failing the run. Returns the number of variants left. */
static int lcg_probe_v2(struct lcg *lcg, int nv)
{
	struct variant v = {.ctx = lcg};
	uint64_t t[4];

	if (!bench_cg.v2 || nv < 4 || lcg_iter(&v, t) == 0)
		return nv;
	printf("\nLifecycle (issue 3): libcgroup API row left out: %s\n",
	       lcg_why[0] ? lcg_why : "/bin/true failed in its cgroup");
	return 3;
}

static int setup(struct raw *raw, struct lcg *lcg, int *nv, struct lmc_manager **m1,
		 struct lmc_manager **m2)
{
	int cli_fds[N_H_MAX];
	int r = cgroup_init() ? -EIO : 0;

	if (r >= 0)
		r = bench_scratch_make(root_raw, raw->fd);
	if (r >= 0 && bench_cg.v2 && (r = bench_v2_delegate(raw->fd[0])) < 0)
		fprintf(stderr,
			"bench_lifecycle: cannot enable '%s' for %s (and in its parent, this "
			"process's own cgroup): %s\n",
			BENCH_V2_CTRLS, root_raw, strerror(-r));
	if (r >= 0 && *nv > 3)
		r = lcg_setup(lcg, root_lcg);
	if (r >= 0)
		*nv = lcg_probe_v2(lcg, *nv);
	if (r >= 0 && *nv > 4) {
		r = bench_scratch_make(root_cli, cli_fds);
		for (int h = 0; h < N_H_MAX; h++)
			if (cli_fds[h] >= 0)
				close(cli_fds[h]);
	}
	if (r >= 0)
		r = mgr_open(state_tmpfs, root_mgr, false, m1);
	if (r >= 0)
		r = mgr_open(state_disk, root_sync, true, m2);
	if (r >= 0 && *nv > 6 && row_runs(6))
		r = agent_setup();
	return r;
}

/* This run's scratch cgroups and state directories, named for its pid. */
static void scratch_names(int pid)
{
	snprintf(root_raw, sizeof(root_raw), "lmctl-test-bench-%d-raw", pid);
	snprintf(root_mgr, sizeof(root_mgr), "lmctl-test-bench-%d-mgr", pid);
	snprintf(root_sync, sizeof(root_sync), "lmctl-test-bench-%d-sync", pid);
	snprintf(root_lcg, sizeof(root_lcg), "lmctl-test-bench-%d-lcg", pid);
	snprintf(root_cli, sizeof(root_cli), "lmctl-test-bench-%d-cli", pid);
	snprintf(root_lm, sizeof(root_lm), "lmctl-test-bench-%d-lm", pid);
	snprintf(state_lm, sizeof(state_lm), "/dev/shm/lmctl-test-bench-%d-lmstate", pid);
	snprintf(state_tmpfs, sizeof(state_tmpfs), "/dev/shm/lmctl-test-bench-%d-state", pid);
	snprintf(state_disk, sizeof(state_disk), "/var/tmp/lmctl-test-bench-%d-state", pid);
	snprintf(state_store, sizeof(state_store), "/dev/shm/lmctl-test-bench-%d-store", pid);
	/* bench/lib.sh stops the agent named by /dev/shm/lmctl-test-bench-<pid>/agent.pid */
	snprintf(root_lma, sizeof(root_lma), "lmctl-test-bench-%d-lma", pid);
	snprintf(run_lma, sizeof(run_lma), "/dev/shm/lmctl-test-bench-%d", pid);
	snprintf(sock_lma, sizeof(sock_lma), "%s/lmctld.sock", run_lma);
	snprintf(state_lma, sizeof(state_lma), "%s/state", run_lma);
}

/* Iterations of each row per round; notes of the rows. */
static void per_round(struct variant *vs, int n, int cli_n)
{
	for (int i = 0; i < 7; i++)
		vs[i].n_iter = i < 4 ? n : cli_n;
	vs[4].all.note = "(v1 hierarchies only)";
	if (!bench_cg.v2)
		vs[3].all.note = "(cgroup2 dir by raw syscalls)";
}

/* What the issue's own design costs beyond the floor, measured in the same run (before the
 * scratch roots go): the store's writes of one library lifecycle (CREATING and READY for
 * both levels, DESTROYING for the top, two removals; temporary file and rename on tmpfs),
 * and a directory fd per hierarchy and container (openat2 RESOLVE_BENEATH, then close) on
 * directories made in the raw floor's root. Printed after the table against the floor's
 * median and what the 1.05x target leaves. */
static struct bench_samples mand_store = {.label = "store"}, mand_dirfds = {.label = "dirfds"};

static void mandated_store(int iters)
{
	struct lmc_store_opts o = {.dir = state_store, .lock = true};
	struct lmc_record rec = {.state = LMC_REC_CREATING};
	struct lmc_store *s = NULL;

	if (make_parents(state_store) < 0 || lmc_store_open(&o, &s, NULL) < 0)
		return;
	lmc_spec_init(&rec.spec);
	rec.spec.memory.limit = LV[0].mem_b;
	for (int i = 0; i < iters && !stop; i++) {
		uint64_t t0 = bench_now_ns();

		for (int k = 0; k < 2; k++) {
			snprintf(rec.name, sizeof(rec.name), "%s", k ? "jobA/sub1" : "jobA");
			rec.state = LMC_REC_CREATING;
			lmc_store_put(s, &rec, NULL);
			rec.state = LMC_REC_READY;
			lmc_store_put(s, &rec, NULL);
		}
		snprintf(rec.name, sizeof(rec.name), "jobA");
		rec.state = LMC_REC_DESTROYING;
		lmc_store_put(s, &rec, NULL);
		lmc_store_del(s, "jobA/sub1", NULL);
		lmc_store_del(s, "jobA", NULL);
		bench_add(&mand_store, bench_now_ns() - t0);
	}
	lmc_store_free(s);
	bench_state_remove(state_store);
	bench_sort(&mand_store);
}

static void mandated_dirfds(struct raw *x, int iters)
{
	static const char *const names[] = {"a", "a/b"};
	struct open_how how = {.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
					  RESOLVE_NO_MAGICLINKS};
	int fds[2 * N_H_MAX];

	if (raw_level(x, 0, "a") >= 0 && raw_level(x, 1, "a/b") >= 0)
		for (int i = 0; i < iters && !stop; i++) {
			uint64_t t0 = bench_now_ns();
			int n = 0;

			for (int k = 0; k < 2; k++)
				for (int h = 0; h < N_H; h++)
					fds[n++] = (int)syscall(SYS_openat2, x->fd[h], names[k],
								&how, sizeof(how));
			for (int k = 0; k < n; k++)
				if (fds[k] >= 0)
					close(fds[k]);
			bench_add(&mand_dirfds, bench_now_ns() - t0);
		}
	raw_rmdir(x, "a/b");
	raw_rmdir(x, "a");
	bench_sort(&mand_dirfds);
}

static void mandated(struct raw *x, int iters)
{
	if (iters > 0 && row_runs(0) && row_runs(1)) {
		mandated_store(iters);
		mandated_dirfds(x, iters);
	}
}

static void mandated_print(const struct bench_samples *floor)
{
	uint64_t fl = bench_pct(floor, 50);

	if (!fl || !mand_store.n)
		return;
	printf("\n  what the design asks beyond the floor (medians; the floor's %.0f us, so the "
	       "1.05x target leaves %.0f us):\n",
	       fl / 1e3, fl * 0.05 / 1e3);
	printf("    the store: 5 records + 2 removals on tmpfs       %7.1f us  %4.1f%% of the "
	       "floor\n",
	       bench_pct(&mand_store, 50) / 1e3,
	       100.0 * (double)bench_pct(&mand_store, 50) / (double)fl);
	if (mand_dirfds.n)
		printf("    directory fds: %d hierarchies x 2 containers     %7.1f us  %4.1f%% of "
		       "the floor\n",
		       N_H, bench_pct(&mand_dirfds, 50) / 1e3,
		       100.0 * (double)bench_pct(&mand_dirfds, 50) / (double)fl);
}

int main(int argc, char **argv)
{
	int iters = argc > 1 ? atoi(argv[1]) : 500, cli_iters = argc > 2 ? atoi(argv[2]) : 100;
	const int rounds = 25;
	struct sigaction sa = {.sa_handler = on_signal};
	struct lmc_manager *m1 = NULL, *m2 = NULL;
	struct raw raw;
	struct lcg lcg;
	struct cli cli = {.l = &lcg};
	const char *lmctl = getenv("LMCTL_BIN"), *lmctld_bin = getenv("LMCTLD_BIN");
	struct lm lm_direct = {.lmctl = lmctl}, lm_agent = {.lmctl = lmctl, .agent = true};
	int pid = (int)getpid(), r;
	int nv = !lmctl || !*lmctl ? 5 : lmctld_bin && *lmctld_bin ? 7 : 6;
	struct statfs sf;
	struct variant vs[7] = {
		{.all.label = "raw syscalls (floor)", .iter = raw_iter, .ctx = &raw},
		{.all.label = "lmctl library, state on tmpfs (default)", .iter = mgr_iter},
		{.all.label = "lmctl library, state on disk, LMCTL_FSYNC", .iter = mgr_iter},
		{.all.label = "libcgroup API", .iter = lcg_iter, .ctx = &lcg},
		{.all.label = "cgcreate/cgset/cgexec/cgdelete", .iter = cli_iter, .ctx = &cli},
		{.all.label = "lmctl CLI, no agent (4 commands)",
		 .iter = lm_iter,
		 .ctx = &lm_direct},
		{.all.label = "lmctl CLI, agent running (4 commands)",
		 .iter = lm_iter,
		 .ctx = &lm_agent},
	};

	if (bench_cg_init() < 0) {
		printf("\nLifecycle (issue 3): skipped: needs hybrid cgroups (v1 + cgroup2) or "
		       "cgroup v2\n");
		return 0;
	}
	/* The cg* tools' row is hybrid only (the busybox v2 VM has no cgroup-tools). */
	if (bench_cg.v2)
		nv = 4;
	iters = iters < rounds ? rounds : iters;
	cli_iters = cli_iters < rounds ? rounds : cli_iters;
	per_round(vs, iters / rounds, cli_iters / rounds);
	scratch_names(pid);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);

	if ((r = setup(&raw, &lcg, &nv, &m1, &m2)) < 0) {
		fprintf(stderr, "bench_lifecycle: set-up failed: %s\n", strerror(-r));
		cleanup(m1, m2);
		return 1;
	}
	vs[1].ctx = m1;
	vs[2].ctx = m2;
	if (statfs(state_disk, &sf) == 0 && (sf.f_type == TMPFS_MAGIC || sf.f_type == RAMFS_MAGIC))
		vs[2].all.note = "(/var/tmp is in memory here)";
	r = run_rounds(vs, nv, rounds);
	mandated(&raw, r >= 0 ? iters : 0);
	cleanup(m1, m2);
	if (r < 0)
		return 1;
	report(vs, nv, iters, cli_iters);
	mandated_print(&vs[0].all);
	targets(vs, nv);
	return 0;
}
