/* Over 800 lines: each figure is measured beside its baseline in the same program and run.
 *
 * Benchmark (issue 6): the agent lmctld beside the direct library path (core/manager), both
 * measured in this run: the lifecycle of issue 3 through an in-process client (frames over
 * the socket, proto/api), beside the raw floor bench_lifecycle measured just before (-f);
 * requests per second for create+destroy pairs and for stats with 1, 8 and 64 clients; stats
 * -r of a 10,000-container tree; the agent's RSS with those containers.
 *
 * Everything lives in lmctl-test-bench-<pid>-{agent,direct} below this process's own cgroup
 * and in /dev/shm/lmctl-test-bench-<pid>/ (both state directories on tmpfs, the socket, the
 * agent's log and pid file); all of it is removed at the end, processes first, also after
 * SIGINT/SIGTERM. The agent gets SIGTERM if this process dies (PR_SET_PDEATHSIG).
 * (Over the usual size budget: the Makefile builds one program per bench .c file, and the four
 * measurements share the agent, the client and the two targets set up here.) */
#include <dirent.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "bench/agent-proc.h"
#include "bench/bench.h"
#include "bench/tree-floor.h"
#include "core/manager.h"
#include "nsutil/ns.h"
#include "proto/api.h"
#include "proto/frame.h"

#define CALL_TIMEOUT_MS 120000 /* the 10,000-container destroy is one request */

static volatile sig_atomic_t stop;
static bool quiet; /* clean-up: refusals of what is already gone are expected */
static char run_dir[64], sock_path[96], st_agent[128], st_direct[128];
static char root_agent[64], root_direct[64];
static struct bench_agent lmctld = {.run_dir = run_dir,
				    .sock = sock_path,
				    .state = st_agent,
				    .root = root_agent};
static int devnull = -1;
static const char *const RUN_ARGV[] = {"/bin/true", NULL};
static const char *const RUN_ENV[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- the agent process (bench/agent-proc.h) ---- */

/* VmRSS and VmHWM of the agent, in KiB. */
static int agent_rss(unsigned long *rss, unsigned long *hwm)
{
	char f[64], line[256];
	FILE *s;

	snprintf(f, sizeof(f), "/proc/%d/status", (int)lmctld.pid);
	s = fopen(f, "re");
	if (!s)
		return -errno;
	*rss = *hwm = 0;
	while (fgets(line, sizeof(line), s)) {
		sscanf(line, "VmRSS: %lu", rss);
		sscanf(line, "VmHWM: %lu", hwm);
	}
	fclose(s);
	return 0;
}

/* ---- the in-process client: one connection, one request at a time ---- */

struct conn {
	int fd;
	uint64_t id;
};

static int conn_open(struct conn *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	c->id = 0;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(c->fd);
		c->fd = -1;
		return r;
	}
	return 0;
}

/* One request, its Response decoded into resp (caller: lmc_api_resp_done); returns the
 * Response's status. *ret_bytes (may be NULL): the Response frame's size. */
static int conn_call(struct conn *c, struct lmc_api_req *rq, const int *fds, size_t nfds,
		     struct lmc_api_resp *resp, size_t *ret_bytes)
{
	_cleanup_free_ uint8_t *out = NULL;
	_cleanup_free_ uint8_t *in = NULL;
	size_t len, got = 0;
	int r;

	memset(resp, 0, sizeof(*resp)); /* lmc_api_resp_done is safe whatever happens */
	rq->id = ++c->id;
	r = lmc_api_req_encode(rq, &out, &len);
	if (r >= 0)
		r = lmc_frame_send(c->fd, out, len, fds, nfds);
	if (r >= 0)
		r = lmc_frame_recv(c->fd, &in, &len, NULL, &got, CALL_TIMEOUT_MS);
	if (r >= 0)
		r = lmc_api_resp_decode(in, len, resp);
	if (r < 0)
		return r;
	if (ret_bytes)
		*ret_bytes = len + LMC_FRAME_HDR;
	if (resp->status < 0 && !stop && !quiet)
		fprintf(stderr, "bench_agent: lmctld: %s\n", resp->msg);
	return resp->status;
}

/* ---- the two targets: lmctld over a connection, or core/manager in this process ---- */

struct target {
	struct conn conn; /* agent */
	struct lmc_manager *m; /* direct */
};

/* Direct mode's state lock, in one process: every manager call holds it. */
static pthread_mutex_t mgr_lock = PTHREAD_MUTEX_INITIALIZER;

static int mgr_fail(int r, const struct lmc_err *err)
{
	if (r < 0 && !stop && !quiet)
		fprintf(stderr, "bench_agent: lmctl library: %s\n", lmc_err_str(err));
	return r;
}

/* A request answered by a status only. */
static int agent_status(struct conn *c, struct lmc_api_req *rq)
{
	struct lmc_api_resp resp;
	int r = conn_call(c, rq, NULL, 0, &resp, NULL);

	lmc_api_resp_done(&resp);
	return r;
}

static int t_create(struct target *t, const char *name, const struct lmc_spec *s)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_CREATE, .name = name, .spec = s};
	struct lmc_err err = {0};
	int r;

	if (!t->m)
		return agent_status(&t->conn, &rq);
	pthread_mutex_lock(&mgr_lock);
	r = lmc_mgr_create(t->m, name, s, &err);
	pthread_mutex_unlock(&mgr_lock);
	return mgr_fail(r, &err);
}

static int t_destroy(struct target *t, const char *name, bool recursive)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_DESTROY, .name = name, .recursive = recursive};
	struct lmc_err err = {0};
	int r;

	if (!t->m)
		return agent_status(&t->conn, &rq);
	pthread_mutex_lock(&mgr_lock);
	r = lmc_mgr_destroy(t->m, name, recursive, &err);
	pthread_mutex_unlock(&mgr_lock);
	return mgr_fail(r, &err);
}

/* stats (-r with recursive) of fields (LMC_STATF_*, 0: all); *ret_n entries, *ret_bytes the
 * wire size (agent only). */
static int t_stats(struct target *t, const char *name, bool recursive, unsigned fields,
		   size_t *ret_n, size_t *ret_bytes)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_STATS,
				 .name = name,
				 .recursive = recursive,
				 .stats_fields = fields};
	struct lmc_api_resp resp;
	struct lmc_stats_entry *e = NULL;
	struct lmc_err err = {0};
	int r;

	if (!t->m) {
		r = conn_call(&t->conn, &rq, NULL, 0, &resp, ret_bytes);
		*ret_n = resp.n;
		lmc_api_resp_done(&resp);
		return r;
	}
	pthread_mutex_lock(&mgr_lock);
	r = lmc_mgr_stats_fields(t->m, name, recursive, fields, &e, ret_n, &err);
	pthread_mutex_unlock(&mgr_lock);
	free(e);
	return mgr_fail(r, &err);
}

/* Start /bin/true in the leaf, wait for it: its exit status. */
static int t_run_true(struct target *t, const char *name)
{
	struct lmc_run_opts o = {
		.argv = RUN_ARGV, .env = RUN_ENV, .cwd = "/", .stdio = {devnull, devnull, devnull}};
	struct lmc_api_req rq = {.op = LMC_API_OP_RUN, .name = name, .run = &o, .n_fds = 3};
	struct lmc_api_resp resp;
	struct lmc_err err = {0};
	int pidfd = -1, st = -1, r;
	pid_t pid;

	if (!t->m) {
		r = conn_call(&t->conn, &rq, o.stdio, 3, &resp, NULL);
		if (r >= 0)
			r = resp.exited ? resp.status_code : -EPROTO;
		lmc_api_resp_done(&resp);
		return r;
	}
	pthread_mutex_lock(&mgr_lock);
	r = lmc_mgr_run(t->m, name, &o, &pid, &pidfd, &err);
	pthread_mutex_unlock(&mgr_lock);
	if (r < 0)
		return mgr_fail(r, &err);
	r = lmc_ns_wait(pid, pidfd, 10000, &st);
	close(pidfd);
	return r < 0 ? r : st;
}

static int t_open(struct target *t, struct lmc_manager *m)
{
	t->m = m;
	t->conn.fd = -1;
	return m ? 0 : conn_open(&t->conn);
}

static void t_close(struct target *t)
{
	if (t->conn.fd >= 0)
		close(t->conn.fd);
	t->conn.fd = -1;
}

/* ---- 1. lifecycle ---- */

/* The limits of bench_lifecycle's two levels: cpu, memory, blkio weight, pids, cpuset. */
static void life_spec(struct lmc_spec *s, int lv)
{
	lmc_spec_init(s);
	s->cpu.limit_m = lv ? 1000 : 1500;
	s->memory.limit = lv ? 536870912ull : 1073741824ull;
	s->blkio.weight = lv ? 100 : 200;
	s->pids.limit = lv ? 64 : 512;
	snprintf(s->cpu.cpus, sizeof(s->cpu.cpus), "0-%ld", sysconf(_SC_NPROCESSORS_ONLN) - 1);
	snprintf(s->cpu.mems, sizeof(s->cpu.mems), "0");
}

static int life_iter(struct target *t, uint64_t *ret_ns)
{
	struct lmc_spec s0, s1;
	uint64_t t0;
	int r;

	life_spec(&s0, 0);
	life_spec(&s1, 1);
	t0 = bench_now_ns();
	r = t_create(t, "jobA", &s0);
	if (r >= 0)
		r = t_create(t, "jobA/sub1", &s1);
	if (r >= 0)
		r = t_run_true(t, "jobA/sub1");
	if (t_destroy(t, "jobA", true) < 0 && r >= 0)
		r = -EBUSY;
	*ret_ns = bench_now_ns() - t0;
	return r;
}

/* A row of bench_lifecycle's table ("  raw syscalls (floor)  n  9028.5 us  32.10 ms ..."). */
static uint64_t parse_dur(double v, const char *unit)
{
	double mul = !strcmp(unit, "ms") ? 1e6 : !strcmp(unit, "us") ? 1e3 : 1.0;

	return (uint64_t)(v * mul);
}

static int floor_read(const char *file, uint64_t *med, uint64_t *p99, size_t *n)
{
	char line[512], u1[8], u2[8];
	const char *label = "raw syscalls (floor)";
	FILE *f = fopen(file, "re");
	double a, b;
	int r = -ENOENT;

	if (!f)
		return -errno;
	while (r < 0 && fgets(line, sizeof(line), f)) {
		char *p = strstr(line, label);

		if (p && sscanf(p + strlen(label), "%zu %lf %7s %lf %7s", n, &a, u1, &b, u2) == 5) {
			*med = parse_dur(a, u1);
			*p99 = parse_dur(b, u2);
			r = 0;
		}
	}
	fclose(f);
	return r;
}

static void life_row(const char *label, uint64_t med, uint64_t p99, size_t n, uint64_t fmed,
		     uint64_t fp99, const char *note)
{
	char a[32], b[32];

	printf("  %-48s %5zu %11s %11s", label, n, bench_fmt(med, a, sizeof(a)),
	       bench_fmt(p99, b, sizeof(b)));
	if (fmed && fp99)
		printf(" %6.2fx %6.2fx", (double)med / (double)fmed, (double)p99 / (double)fp99);
	else
		printf(" %7s %7s", "-", "-");
	printf("   %s\n", note);
}

static void life_report(struct bench_samples *s, int iters, const char *floor_file)
{
	uint64_t fmed = 0, fp99 = 0;
	size_t fn = 0;

	bench_sort(&s[0]);
	bench_sort(&s[1]);
	printf("\nLifecycle through the agent (issues 3, 6): create jobA + jobA/sub1 with "
	       "cpu/memory/blkio/pids/cpuset limits, run /bin/true in the leaf, wait, destroy; "
	       "%d iterations each, interleaved; ratios to the raw floor\n",
	       iters);
	printf("  %-48s %5s %11s %11s %7s %7s\n", "variant", "n", "median", "p99", "ratio",
	       "p99 rat");
	if (floor_file && floor_read(floor_file, &fmed, &fp99, &fn) >= 0)
		life_row("raw syscalls (floor)", fmed, fp99, fn, fmed, fp99,
			 "(bench_lifecycle, just before)");
	else
		printf("  raw syscalls (floor): not measured (no -f file)\n");
	life_row("lmctl library, direct (state on tmpfs)", bench_pct(&s[0], 50),
		 bench_pct(&s[0], 99), s[0].n, fmed, fp99, "");
	life_row("lmctld, in-process client (state on tmpfs)", bench_pct(&s[1], 50),
		 bench_pct(&s[1], 99), s[1].n, fmed, fp99, "");
	printf("  agent / direct: median %.2fx, p99 %.2fx%s\n",
	       (double)bench_pct(&s[1], 50) / (double)(bench_pct(&s[0], 50) | 1),
	       (double)bench_pct(&s[1], 99) / (double)(bench_pct(&s[0], 99) | 1),
	       s[0].failures + s[1].failures ? "   (failures, see stderr)" : "");
	if (fmed)
		bench_target_ratio("agent lifecycle / raw floor (median)",
				   (double)bench_pct(&s[1], 50) / (double)fmed, 1.15);
	else
		bench_target("agent lifecycle / raw floor", NULL, "<= 1.15x; no floor file", false);
}

/* Rounds alternate direct and agent so drift of the machine touches both alike. */
static int bench_lifecycle_agent(struct target t[2], int iters, const char *floor_file)
{
	const int rounds = 25;
	struct bench_samples s[2] = {{.label = "direct"}, {.label = "agent"}};
	uint64_t ns;

	for (int round = -1; round < rounds && !stop; round++) {
		for (int i = 0; i < 2 && !stop; i++) {
			int n = round < 0 ? 3 : (iters + rounds - 1) / rounds;

			for (int k = 0; k < n && !stop; k++) {
				if (life_iter(&t[i], &ns) != 0) {
					if (++s[i].failures > 5)
						return -EIO;
				} else if (round >= 0) {
					bench_add(&s[i], ns);
				}
			}
		}
	}
	if (!stop)
		life_report(s, (iters + rounds - 1) / rounds * rounds, floor_file);
	free(s[0].v);
	free(s[1].v);
	return stop ? -EINTR : 0;
}

/* ---- 1b. a task's start to its exit (issue 13) ---- */

/* /bin/true as a task through the agent (its record written at the start and at the end,
 * the reply sent once the exit is seen) beside the same process started directly through
 * lmc_mgr_run, no task kept (the baseline), in the same leaf, alternating. */
static int bench_task_exit(struct target t[2], int iters)
{
	struct bench_samples s[2] = {{.label = "direct, no task"}, {.label = "agent task"}};
	struct lmc_spec spec;
	char b[2][32];
	int r = 0;

	lmc_spec_init(&spec);
	for (int i = 0; i < 2 && r >= 0; i++)
		r = t_create(&t[i], "taskbox", &spec);
	for (int k = -3; k < iters && r >= 0 && !stop; k++) {
		for (int i = 0; i < 2 && r >= 0; i++) {
			uint64_t t0 = bench_now_ns();

			r = t_run_true(&t[i], "taskbox");
			if (k >= 0 && r == 0)
				bench_add(&s[i], bench_now_ns() - t0);
		}
	}
	for (int i = 0; i < 2; i++)
		t_destroy(&t[i], "taskbox", true);
	if (r >= 0 && !stop) {
		printf("\nTask start to exit, /bin/true, %d each (issue 13)\n", iters);
		for (int i = 0; i < 2; i++) {
			bench_sort(&s[i]);
			printf("  %-24s median %10s  p99 %10s\n", s[i].label,
			       bench_fmt(bench_pct(&s[i], 50), b[0], sizeof(b[0])),
			       bench_fmt(bench_pct(&s[i], 99), b[1], sizeof(b[1])));
		}
	}
	free(s[0].v);
	free(s[1].v);
	return r < 0 ? r : 0;
}

/* ---- 2. requests per second ---- */

enum { OP_PAIR, OP_STATS };

struct worker {
	pthread_t th;
	struct target t;
	int idx, op;
	pthread_barrier_t *bar;
	uint64_t deadline_ns;
	unsigned long max_ops;
	struct bench_samples lat;
	int err;
};

static int worker_op(struct worker *w)
{
	struct lmc_spec s;
	char name[32];
	size_t n;
	int r;

	if (w->op == OP_STATS)
		return t_stats(&w->t, "statbox", false, 0, &n, NULL);
	lmc_spec_init(&s);
	s.memory.limit = 256ull << 20;
	s.pids.limit = 128;
	snprintf(name, sizeof(name), "rps%d", w->idx);
	r = t_create(&w->t, name, &s);
	if (r >= 0)
		r = t_destroy(&w->t, name, false);
	return r;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;

	pthread_barrier_wait(w->bar);
	while (!stop && w->lat.n < w->max_ops) {
		uint64_t t0 = bench_now_ns();

		if (t0 >= w->deadline_ns)
			break;
		w->err = worker_op(w);
		if (w->err < 0)
			break;
		bench_add(&w->lat, bench_now_ns() - t0);
	}
	return NULL;
}

struct tp_result {
	double per_s;
	uint64_t p50, p99;
	int err;
};

/* n clients doing op on m (direct) or each on its own connection (m NULL) until the
 * deadline or max_ops each. */
static struct tp_result tp_run(struct lmc_manager *m, int op, int n, double seconds)
{
	struct worker *w = calloc((size_t)n, sizeof(*w));
	struct bench_samples all = {.label = "all"};
	struct tp_result res = {0};
	pthread_barrier_t bar;
	uint64_t t0;
	int started = 0;

	if (!w)
		return (struct tp_result){.err = -ENOMEM};
	pthread_barrier_init(&bar, NULL, (unsigned)n + 1);
	for (int i = 0; i < n && !res.err; i++) {
		w[i] = (struct worker){.idx = i, .op = op, .bar = &bar, .max_ops = 200000};
		res.err = t_open(&w[i].t, m);
	}
	t0 = bench_now_ns();
	for (int i = 0; i < n && !res.err; i++) {
		w[i].deadline_ns = t0 + (uint64_t)(seconds * 1e9) + 100000000ull;
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0)
			break;
		started++;
	}
	if (started == n) {
		pthread_barrier_wait(&bar);
		t0 = bench_now_ns();
	} else {
		stop = 1; /* cannot release the barrier: give up the run */
		res.err = res.err ? res.err : -EAGAIN;
	}
	for (int i = 0; i < started; i++)
		pthread_join(w[i].th, NULL);
	res.per_s = 0;
	for (int i = 0; i < n; i++) {
		for (size_t k = 0; k < w[i].lat.n; k++)
			bench_add(&all, w[i].lat.v[k]);
		res.err = res.err ? res.err : w[i].err;
		free(w[i].lat.v);
		t_close(&w[i].t);
	}
	bench_sort(&all);
	res.per_s = (double)all.n / ((double)(bench_now_ns() - t0) / 1e9);
	res.p50 = bench_pct(&all, 50);
	res.p99 = bench_pct(&all, 99);
	free(all.v);
	free(w);
	pthread_barrier_destroy(&bar);
	return res;
}

static void rps_target(const char *op, int clients, double ratio)
{
	char what[96], f[32];

	snprintf(what, sizeof(what), "agent / direct, %s, %d client%s", op, clients,
		 clients == 1 ? "" : "s");
	snprintf(f, sizeof(f), "%.2fx", ratio);
	bench_target(what, f, ">= 1.00x", ratio >= 1.0);
}

static int bench_rps(struct lmc_manager *direct, double seconds)
{
	static const int clients[] = {1, 8, 64};
	static const char *const ops[] = {"create+destroy pairs", "stats (one container)"};
	char a[32], b[32], c[32], d[32];

	printf("\nRequests per second (issue 6): agent = one connection per client thread; direct "
	       "= one process, one manager, one thread per client serialised by a mutex (as the "
	       "state lock serialises direct mode); up to %.1f s per cell\n",
	       seconds);
	printf("  %-22s %7s %12s %10s %10s %12s %10s %10s %8s\n", "operation", "clients",
	       "agent /s", "p50", "p99", "direct /s", "p50", "p99", "a/d");
	for (int op = 0; op < 2; op++) {
		for (size_t i = 0; i < ARRAY_SIZE(clients) && !stop; i++) {
			struct tp_result rd = tp_run(direct, op, clients[i], seconds);
			struct tp_result ra = tp_run(NULL, op, clients[i], seconds);

			if (rd.err || ra.err) {
				fprintf(stderr, "bench_agent: %s x%d: %s\n", ops[op], clients[i],
					strerror(-(rd.err ? rd.err : ra.err)));
				return -EIO;
			}
			printf("  %-22s %7d %12.0f %10s %10s %12.0f %10s %10s %7.2fx\n", ops[op],
			       clients[i], ra.per_s, bench_fmt(ra.p50, a, sizeof(a)),
			       bench_fmt(ra.p99, b, sizeof(b)), rd.per_s,
			       bench_fmt(rd.p50, c, sizeof(c)), bench_fmt(rd.p99, d, sizeof(d)),
			       ra.per_s / (rd.per_s > 0 ? rd.per_s : 1));
			rps_target(ops[op], clients[i], ra.per_s / (rd.per_s > 0 ? rd.per_s : 1));
		}
	}
	return stop ? -EINTR : 0;
}

/* ---- 3, 4. a 10,000-container tree ---- */

#define TREE_MIDS 99
#define TREE_WINDOW 64 /* creates in flight in the pipelined build */

/* The agent's CPU time so far (all its threads), ns: [0] user, [1] system; 0 unknown. */
static void agent_cpu_ns(uint64_t ret[2])
{
	unsigned long long ut = 0, st = 0;
	char f[64], buf[1024], *p;
	uint64_t tick = 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
	FILE *s;

	ret[0] = ret[1] = 0;
	snprintf(f, sizeof(f), "/proc/%d/stat", (int)lmctld.pid);
	s = fopen(f, "re");
	if (!s)
		return;
	p = fgets(buf, sizeof(buf), s) ? strrchr(buf, ')') : NULL;
	fclose(s);
	/* after the comm: state ppid pgrp session tty tpgid flags minflt cminflt majflt
	 * cmajflt utime stime */
	if (p &&
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2) {
		ret[0] = ut * tick;
		ret[1] = st * tick;
	}
}

/* The raw floor's figures (bench/tree-floor.h): [way][op][0] ns, [way][op][1] the process's
 * CPU ns; way 0 one thread for every hierarchy (one container after another), way 1 one
 * thread per hierarchy; op 0 the build, op 1 the removal. */
struct floor_fig {
	uint64_t v[2][2][2];
};

/* The best way's time of op, and which way (*ret_way). */
static uint64_t floor_best(const struct floor_fig *f, int op, int *ret_way)
{
	*ret_way = f->v[1][op][0] && f->v[1][op][0] < f->v[0][op][0];
	return f->v[*ret_way][op][0];
}

/* The same tree by raw syscalls below the direct root, made and removed twice just before the
 * agent's: built one container after another and removed one thread per hierarchy, then
 * built one thread per hierarchy and removed one container after another, so that each way
 * of each is measured once; the kernel's removed cgroups leave it before the next step. */
static int tree_floor(int total, struct floor_fig *ff)
{
	struct floor_tree f = {.mids = TREE_MIDS, .leaves = (total - 1 - TREE_MIDS) / TREE_MIDS};
	long dying = floor_dying();
	uint64_t waited = 0;
	int r = floor_open(&f, root_direct);

	for (int pass = 0; pass < 2 && r >= 0 && !stop; pass++) {
		r = floor_run(&f, false, pass == 1, ff->v[pass][0]);
		if (r >= 0)
			r = floor_run(&f, true, pass == 0, ff->v[!pass][1]);
		waited += floor_settle(dying);
	}
	floor_close(&f);
	if (r >= 0)
		printf("  (the floor's cgroups left the kernel %" PRIu64 " ms after its rmdirs, "
		       "both passes)\n",
		       waited);
	if (r < 0)
		fprintf(stderr, "bench_agent: the raw floor's tree: %s\n", strerror(-r));
	return r;
}

/* The answer to the oldest create in flight: < 0 the connection failed, else 0 and its
 * status in *status. */
static int tree_reply(struct target *t, int *status)
{
	_cleanup_free_ uint8_t *in = NULL;
	struct lmc_api_resp resp = {0};
	size_t len;
	int r = lmc_frame_recv(t->conn.fd, &in, &len, NULL, NULL, CALL_TIMEOUT_MS);

	if (r >= 0)
		r = lmc_api_resp_decode(in, len, &resp);
	*status = r < 0 ? r : resp.status;
	if (r >= 0 && resp.status < 0 && !stop)
		fprintf(stderr, "bench_agent: lmctld: %s\n", resp.msg);
	lmc_api_resp_done(&resp);
	return r;
}

/* The tree by creates over the agent's connection: one at a time (window 1: each waits for
 * its answer) or pipelined, up to window creates in flight (the agent takes the frames of
 * one connection in order, so a parent is made before its children). */
static int tree_create(struct target *t, int total, int window, int *ret_n)
{
	const struct floor_tree f = {.mids = TREE_MIDS,
				     .leaves = (total - 1 - TREE_MIDS) / TREE_MIDS};
	int n = 1 + f.mids * (1 + f.leaves), sent = 0, r = 0, st = 0;
	struct lmc_spec s;
	char name[FLOOR_NAME_MAX];

	lmc_spec_init(&s);
	*ret_n = 0;
	while (*ret_n < n && r >= 0 && st >= 0 && !stop) {
		if (sent < n && sent - *ret_n < window) {
			_cleanup_free_ uint8_t *out = NULL;
			struct lmc_api_req rq = {.op = LMC_API_OP_CREATE, .name = name, .spec = &s};
			size_t len;

			/* the floor's names; cheap limits: one pids.max each (pid_max 32768) */
			floor_name(&f, sent, name);
			s.pids.limit = !sent ? 20000 : strchr(name + 4, '/') ? 50 : 5000;
			sent++;
			rq.id = ++t->conn.id;
			r = lmc_api_req_encode(&rq, &out, &len);
			if (r >= 0)
				r = lmc_frame_send(t->conn.fd, out, len, NULL, 0);
			continue;
		}
		r = tree_reply(t, &st);
		++*ret_n;
	}
	/* after a refusal, the answers still due: the connection stays usable */
	while (r >= 0 && *ret_n < sent && tree_reply(t, &r) >= 0)
		++*ret_n;
	return stop ? -EINTR : r < 0 ? r : st;
}

/* Median of k stats -r "/" through the agent and directly (a no_lock manager on the agent's
 * own state directory and root: the same tree, as `lmctl --direct stats -r` reads it while
 * the agent runs), alternating; and through the agent of cpu and memory alone (`stats -r
 * --fields=cpu,memory /`: the files of io, pids and pressure not read). */
static int tree_stats(struct target *agent, struct lmc_manager *peek, int k, uint64_t med[3],
		      size_t *ret_n, size_t *ret_bytes)
{
	struct bench_samples s[3] = {{.label = "direct"}, {.label = "agent"}, {.label = "fields"}};
	struct target direct = {.m = peek, .conn.fd = -1};
	size_t n[3] = {0, 0, 0}, bytes;
	int r = 0;

	for (int i = 0; i < k && r >= 0 && !stop; i++) {
		for (int j = 0; j < 3 && r >= 0; j++) {
			uint64_t t0 = bench_now_ns();

			r = t_stats(j ? agent : &direct, "/", true,
				    j == 2 ? LMC_STATF_CPU | LMC_STATF_MEMORY : 0, &n[j],
				    j == 1 ? ret_bytes : &bytes);
			bench_add(&s[j], bench_now_ns() - t0);
		}
	}
	for (int j = 0; j < 3; j++) {
		bench_sort(&s[j]);
		med[j] = bench_pct(&s[j], 50);
		free(s[j].v);
	}
	*ret_n = n[1] == n[0] ? n[1] : 0;
	return r;
}

static int count_entries(const char *dir, bool dirs_only, const char *skip)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && (!skip || strcmp(e->d_name, skip)) &&
		    (!dirs_only || e->d_type == DT_DIR))
			n++;
	closedir(d);
	return n;
}

/* After destroy -r: no cgroup below the agent's root in any hierarchy, no record left. */
static int tree_left(void)
{
	char p[512];
	int left = 0, n;

	for (int h = 0; h < N_H; h++) {
		if (bench_root_path(h, root_agent, "", p, sizeof(p)) < 0)
			return -EIO;
		n = count_entries(p, true, NULL);
		left += n < 0 ? 0 : n;
	}
	snprintf(p, sizeof(p), "%s/containers", st_agent);
	n = count_entries(p, false, "@machine.rec");
	return left + (n < 0 ? 0 : n);
}

/* The build's target both ways a client may build: one create at a time, and pipelined
 * (TREE_WINDOW in flight on the connection, as the issue asks the agent to serve). */
static void tree_targets(int n, uint64_t ns_create, uint64_t ns_pipe, uint64_t ns_destroy,
			 uint64_t ns_stats, unsigned long rss_kib)
{
	char what[80], f[32];
	double rate = (double)n / ((double)ns_create / 1e9);
	double prate = (double)n / ((double)(ns_pipe | 1) / 1e9);

	snprintf(what, sizeof(what), "%d containers: stats -r / through the agent", n);
	bench_target(what, bench_fmt(ns_stats, f, sizeof(f)), "< 200 ms", ns_stats < 200000000);
	snprintf(what, sizeof(what), "%d containers: destroy -r", n);
	bench_target(what, bench_fmt(ns_destroy, f, sizeof(f)), "< 2 s", ns_destroy < 2000000000);
	snprintf(what, sizeof(what), "%d containers: build, one create at a time", n);
	snprintf(f, sizeof(f), "%.0f/s", rate);
	bench_target(what, f, ">= 5000 creates/s", rate >= 5000);
	if (ns_pipe) {
		snprintf(what, sizeof(what), "%d containers: build, %d creates in flight", n,
			 TREE_WINDOW);
		snprintf(f, sizeof(f), "%.0f/s", prate);
		bench_target(what, f, ">= 5000 creates/s", prate >= 5000);
	}
	snprintf(what, sizeof(what), "%d containers: agent RSS with the tree", n);
	snprintf(f, sizeof(f), "%.1f MiB", (double)rss_kib / 1024);
	bench_target(what, f, "< 48 MiB", rss_kib < 48 * 1024);
}

/* What bench_tree measured: times in ns, the agent's CPU (cpu_*) and the raw floor's. */
struct tree_fig {
	int n;
	uint64_t create, destroy, st[3], st_open; /* st: direct, agent, agent cpu,memory */
	uint64_t pipe[2]; /* the pipelined build, the destroy of that unread tree */
	struct floor_fig floor; /* v[0][0][0] 0: not measured */
	uint64_t cpu_create[2], cpu_destroy[2]; /* the agent's user and system CPU */
	uint64_t cpu_pipe[4]; /* the same, for pipe[0] and pipe[1] */
	size_t entries, bytes;
	unsigned long rss[3];
};

static void tree_floor_report(const struct tree_fig *t)
{
	static const char *const way[] = {"one thread, container by container",
					  "one thread per hierarchy"};
	const struct floor_fig *f = &t->floor;
	char a[32], b[32], c[32], d[32];
	int wb, wd;
	uint64_t fb = floor_best(f, 0, &wb), fd = floor_best(f, 1, &wd);

	if (!f->v[0][0][0])
		return;
	for (int w = 0; w < 2; w++)
		printf("  raw-syscall floor, %-34s build %s (%.0f creates/s, CPU %s), removal %s "
		       "(CPU %s)\n",
		       way[w], bench_fmt(f->v[w][0][0], a, sizeof(a)),
		       (double)t->n / ((double)(f->v[w][0][0] | 1) / 1e9),
		       bench_fmt(f->v[w][0][1], b, sizeof(b)),
		       bench_fmt(f->v[w][1][0], c, sizeof(c)),
		       bench_fmt(f->v[w][1][1], d, sizeof(d)));
	printf("  agent / best floor: build %.2fx (%s), destroy -r %.2fx (%s)\n",
	       (double)t->create / (double)(fb | 1), way[wb], (double)t->destroy / (double)(fd | 1),
	       way[wd]);
	printf("  agent CPU: build %s user + %s system a create; destroy -r %s user + %s "
	       "system\n",
	       bench_fmt(t->cpu_create[0] / (uint64_t)t->n, a, sizeof(a)),
	       bench_fmt(t->cpu_create[1] / (uint64_t)t->n, b, sizeof(b)),
	       bench_fmt(t->cpu_destroy[0], c, sizeof(c)),
	       bench_fmt(t->cpu_destroy[1], d, sizeof(d)));
}

static void tree_report(const struct tree_fig *t)
{
	char a[32], b[32], c[32], d[32];

	printf("\nA %d-container tree through the agent (issue 6): big, 99 x big/mNN, leaves "
	       "below; one pids limit each; state on tmpfs (/dev/shm, as the default /run/lmctl)\n",
	       t->n);
	printf("  build by %d creates over one connection   %10s  (%.0f creates/s)\n", t->n,
	       bench_fmt(t->create, a, sizeof(a)), (double)t->n / ((double)t->create / 1e9));
	printf("  stats -r / (%zu entries, %zu-byte reply)  agent %s   direct %s (%.2fx)   "
	       "direct incl. opening the manager %s   target: agent < 1 s\n",
	       t->entries, t->bytes, bench_fmt(t->st[1], a, sizeof(a)),
	       bench_fmt(t->st[0], b, sizeof(b)), (double)t->st[1] / (double)(t->st[0] | 1),
	       bench_fmt(t->st_open, c, sizeof(c)));
	printf("  stats -r --fields=cpu,memory / through the agent %s\n",
	       bench_fmt(t->st[2], a, sizeof(a)));
	printf("  agent VmRSS: empty %lu KiB, with the tree %lu KiB, peak (VmHWM) %lu KiB   "
	       "target: < 65536 KiB\n",
	       t->rss[0], t->rss[1], t->rss[2]);
	printf("  destroy -r big (one request)              %10s\n",
	       bench_fmt(t->destroy, a, sizeof(a)));
	printf("  again, %d creates in flight: build %s (%.0f creates/s, agent CPU %s a create); "
	       "destroy -r of that tree, not read %s (agent CPU %s)\n",
	       TREE_WINDOW, bench_fmt(t->pipe[0], a, sizeof(a)),
	       (double)t->n / ((double)(t->pipe[0] | 1) / 1e9),
	       bench_fmt((t->cpu_pipe[0] + t->cpu_pipe[1]) / (uint64_t)t->n, b, sizeof(b)),
	       bench_fmt(t->pipe[1], c, sizeof(c)),
	       bench_fmt(t->cpu_pipe[2] + t->cpu_pipe[3], d, sizeof(d)));
	tree_floor_report(t);
	tree_targets(t->n, t->create, t->pipe[0], t->destroy, t->st[1], t->rss[1]);
}

/* Direct stats -r as the CLI pays it: open a reading manager, read, free. */
static int tree_stats_open(uint64_t *ret_ns)
{
	struct lmc_manager_opts o = {
		.state_dir = st_agent, .cgroup_root = root_agent, .no_lock = true};
	struct lmc_manager *m = NULL;
	struct lmc_err err = {0};
	struct target t = {.conn.fd = -1};
	uint64_t t0 = bench_now_ns();
	size_t n;
	int r = lmc_mgr_open(&o, &m, &err);

	if (r < 0)
		return mgr_fail(r, &err);
	t.m = m;
	r = t_stats(&t, "/", true, 0, &n, NULL);
	lmc_mgr_free(m);
	*ret_ns = bench_now_ns() - t0;
	return r;
}

/* The agent builds the tree (window creates in flight) or destroys it (window 0): wall ns,
 * and the agent's user and system CPU in cpu. */
static int tree_timed(struct target *agent, int total, int window, int *ret_n, uint64_t *ret_ns,
		      uint64_t cpu[2])
{
	uint64_t t0 = bench_now_ns(), c0[2];
	int r;

	agent_cpu_ns(c0);
	r = window ? tree_create(agent, total, window, ret_n) : t_destroy(agent, "big", true);
	*ret_ns = bench_now_ns() - t0;
	agent_cpu_ns(cpu);
	for (int i = 0; i < 2; i++)
		cpu[i] -= c0[i];
	return r;
}

/* The tree built one create at a time, read (stats -r, RSS), destroyed; then built again
 * with TREE_WINDOW creates in flight and destroyed unread, after the first one's cgroups
 * have left the kernel. */
static int bench_tree(struct target *agent, int total, unsigned long rss[3])
{
	struct lmc_manager_opts o = {
		.state_dir = st_agent, .cgroup_root = root_agent, .no_lock = true};
	struct lmc_manager *peek = NULL;
	struct lmc_err err = {0};
	struct tree_fig t = {.rss = {rss[0]}};
	unsigned long hwm;
	long dying;
	int n, r;

	if (tree_floor(total, &t.floor) < 0)
		t.floor = (struct floor_fig){0}; /* not given */
	r = tree_timed(agent, total, 1, &t.n, &t.create, t.cpu_create);
	if (r >= 0)
		r = agent_rss(&t.rss[1], &hwm);
	if (r >= 0)
		r = mgr_fail(lmc_mgr_open(&o, &peek, &err), &err);
	if (r >= 0)
		r = tree_stats(agent, peek, 5, t.st, &t.entries, &t.bytes);
	if (r >= 0)
		r = tree_stats_open(&t.st_open);
	if (r >= 0)
		r = agent_rss(&hwm, &t.rss[2]); /* rss[2]: the peak, stats -r included */
	lmc_mgr_free(peek);
	dying = floor_dying();
	if (tree_timed(agent, total, 0, &n, &t.destroy, t.cpu_destroy) < 0 && r >= 0)
		r = -EIO;
	floor_settle(dying);
	if (r >= 0) {
		r = tree_timed(agent, total, TREE_WINDOW, &n, &t.pipe[0], t.cpu_pipe);
		if (tree_timed(agent, total, 0, &n, &t.pipe[1], t.cpu_pipe + 2) < 0 && r >= 0)
			r = -EIO;
	}
	if (r >= 0)
		tree_report(&t);
	n = tree_left();
	printf("  after destroy -r: %d cgroups or records left below the agent's root%s\n", n,
	       n ? "   FAIL" : "");
	return r < 0 ? r : n ? -ENOTEMPTY : 0;
}

/* ---- set-up and clean-up ---- */

static int setup_dirs(void)
{
	int pid = (int)getpid();

	snprintf(run_dir, sizeof(run_dir), "/dev/shm/" BENCH_PREFIX "%d", pid);
	snprintf(sock_path, sizeof(sock_path), "%s/lmctld.sock", run_dir);
	snprintf(st_agent, sizeof(st_agent), "%s/state-agent", run_dir);
	snprintf(st_direct, sizeof(st_direct), "%s/state-direct", run_dir);
	snprintf(root_agent, sizeof(root_agent), BENCH_PREFIX "%d-agent", pid);
	snprintf(root_direct, sizeof(root_direct), BENCH_PREFIX "%d-direct", pid);
	if (mkdir(run_dir, 0700) < 0 || mkdir(st_agent, 0700) < 0 || mkdir(st_direct, 0700) < 0)
		return -errno;
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	return devnull < 0 ? -errno : 0;
}

/* Everything, whatever state it is in: the tree through the agent when it still answers
 * (stop is cleared so the requests go out), then the agent, then the scratch roots
 * (processes first) and the tmpfs directory. */
static void cleanup(struct target *agent, struct lmc_manager *direct)
{
	static const char *const tops[] = {"big", "jobA", "statbox"};
	char p[512];
	int left = 0;

	stop = 0;
	quiet = true;
	for (size_t i = 0; i < ARRAY_SIZE(tops); i++) {
		if (agent && agent->conn.fd >= 0)
			t_destroy(agent, tops[i], true);
		if (direct)
			lmc_mgr_destroy(direct, tops[i], true, NULL);
	}
	if (agent)
		t_close(agent);
	lmc_mgr_free(direct);
	bench_agent_stop(&lmctld);
	bench_scratch_remove(root_agent);
	bench_scratch_remove(root_direct);
	bench_state_remove(run_dir);
	for (int h = 0; h < N_H; h++)
		for (int i = 0; i < 2; i++)
			if (bench_root_path(h, i ? root_agent : root_direct, "", p, sizeof(p)) >= 0)
				left += access(p, F_OK) == 0;
	left += access(run_dir, F_OK) == 0;
	if (left)
		fprintf(stderr, "bench_agent: clean-up left %d scratch directories\n", left);
}

static int open_direct(struct lmc_manager **ret)
{
	struct lmc_manager_opts o = {
		.state_dir = st_direct, .cgroup_root = root_direct, .lock_timeout_ms = 2000};
	struct lmc_err err = {0};

	return mgr_fail(lmc_mgr_open(&o, ret, &err), &err);
}

struct args {
	int iters, tree;
	bool tree_only; /* -T: only the tree (for perf) */
	double seconds;
	const char *floor_file, *agent_bin;
};

static int parse_args(int argc, char **argv, struct args *a)
{
	int ch;

	while ((ch = getopt(argc, argv, "n:t:s:f:a:T")) != -1) {
		if (ch == 'n')
			a->iters = atoi(optarg);
		else if (ch == 't')
			a->tree = atoi(optarg);
		else if (ch == 's')
			a->seconds = atof(optarg);
		else if (ch == 'f')
			a->floor_file = optarg;
		else if (ch == 'a')
			a->agent_bin = optarg;
		else if (ch == 'T')
			a->tree_only = true;
		else
			return -EINVAL;
	}
	if (a->iters < 25 || a->tree < 1 + TREE_MIDS * 2 || a->seconds <= 0)
		return -EINVAL;
	return 0;
}

static int run_all(const struct args *a, struct target t[2])
{
	struct lmc_spec s;
	unsigned long rss[3] = {0, 0, 0}, hwm;
	int r;

	r = a->tree_only ? 0 : bench_lifecycle_agent(t, a->iters, a->floor_file);
	if (r >= 0 && !a->tree_only)
		r = bench_task_exit(t, a->iters);
	lmc_spec_init(&s);
	s.memory.limit = 256ull << 20;
	for (int i = 0; i < 2 && r >= 0; i++)
		r = t_create(&t[i], "statbox", &s);
	if (r >= 0 && !a->tree_only)
		r = bench_rps(t[0].m, a->seconds);
	for (int i = 0; i < 2 && r >= 0; i++)
		r = t_destroy(&t[i], "statbox", false);
	/* The empty figure: the agent after the runs above, with no container. */
	if (r >= 0)
		r = agent_rss(&rss[0], &hwm);
	if (r >= 0)
		r = bench_tree(&t[1], a->tree, rss);
	return r;
}

int main(int argc, char **argv)
{
	struct args a = {.iters = 300, .tree = 10000, .seconds = 1.5, .agent_bin = "build/lmctld"};
	struct sigaction sa = {.sa_handler = on_signal};
	struct lmc_manager *direct = NULL;
	struct target t[2] = {{.conn.fd = -1}, {.conn.fd = -1}};
	int r;

	if (parse_args(argc, argv, &a) < 0) {
		fprintf(stderr, "usage: bench_agent [-n ITERS>=25] [-t CONTAINERS] [-s SECONDS] "
				"[-f BENCH_LIFECYCLE_OUTPUT] [-a LMCTLD] [-T]\n");
		return 2;
	}
	if (bench_cg_init() < 0) {
		printf("\nAgent (issue 6): skipped: needs hybrid cgroups (v1 + cgroup2) or cgroup "
		       "v2\n");
		return 0;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	r = setup_dirs();
	if (r >= 0)
		r = bench_agent_start(&lmctld, a.agent_bin, &stop);
	if (r >= 0)
		r = open_direct(&direct);
	if (r >= 0)
		r = t_open(&t[0], direct);
	if (r >= 0)
		r = t_open(&t[1], NULL);
	if (r < 0)
		fprintf(stderr, "bench_agent: set-up failed: %s\n", strerror(-r));
	else
		r = run_all(&a, t);
	cleanup(&t[1], direct);
	if (r < 0 && r != -EINTR)
		fprintf(stderr, "bench_agent: failed: %s (agent log was in %s/agent.log)\n",
			strerror(-r), run_dir);
	return r < 0 ? 1 : 0;
}
