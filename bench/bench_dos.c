/* Benchmark (issue 11): how fast root's `list` is answered by lmctld while a non-root owner
 * (uid 65534, owning sec-a) attacks it, beside a quiet agent (the baseline) in the same run.
 * Each list is what `lmctl list` does: connect, one request, the answer, close; spaced 5 ms
 * apart, each bounded at 2 s (a timeout counts as a failure). The attacks, each from its own
 * process until it is stopped:
 *   connection flood   as many connections as the agent accepts, re-opened when closed
 *   frame trickle      60 connections announcing 4 MiB frames, a byte every 50 ms among them
 *   subscription flood subscriptions to sec-a on new connections, never read
 *   frozen-container   sec-a/free paused; `run sec-a/free -- true` in a loop
 *   stalled run        4 loops of `run sec-a/stall -- true` where root froze sec-a/stall's
 *                      v1 freezer behind lmctl's back (hybrid only): each child stalls
 *                      before its start-up report until the agent gives up (10 s)
 *   stalled create     4 loops of `create sec-a/nsp/cN --ns=pid,mnt` where root froze
 *                      sec-a/nsp's v1 freezer the same way: each new init stalls before
 *                      its report until the agent gives up (10 s) and undoes the create
 * Target: p99 < 100 ms under every attack.
 *
 * Everything lives in lmctl-test-bench-<pid>-dos below this process's own cgroup and in
 * /dev/shm/lmctl-test-bench-<pid>/; all of it is removed at the end, processes first, also
 * after SIGINT/SIGTERM (the agent and the attackers die with this process). */
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "bench/bench.h"
#include "base/spec.h"
#include "proto/api.h"
#include "proto/frame.h"

#define TENANT 65534
#define LIST_TIMEOUT_MS 2000

static volatile sig_atomic_t stop;
static char run_dir[64], sock_path[96], state[128], root[64];
static pid_t agent_pid, attacker;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int sock_connect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

/* One request on fd; the Response's status, or -errno. */
static int call(int fd, const struct lmc_api_req *rq, int timeout_ms)
{
	struct lmc_api_resp resp;
	uint8_t *buf;
	size_t len, nfds = 0;
	int r = lmc_api_req_encode(rq, &buf, &len);

	if (r < 0)
		return r;
	r = lmc_frame_send(fd, buf, len, NULL, 0);
	free(buf);
	if (r >= 0)
		r = lmc_frame_recv(fd, &buf, &len, NULL, &nfds, timeout_ms);
	if (r < 0)
		return r;
	r = lmc_api_resp_decode(buf, len, &resp);
	free(buf);
	if (r < 0)
		return r;
	r = resp.status;
	lmc_api_resp_done(&resp);
	return r;
}

static int call_once(const struct lmc_api_req *rq, int timeout_ms)
{
	int fd = sock_connect(), r;

	if (fd < 0)
		return fd;
	r = call(fd, rq, timeout_ms);
	close(fd);
	return r;
}

/* ---- the agent ---- */

static int agent_start(const char *bin)
{
	pid_t parent = getpid(), pid = fork();
	char log[160];

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd;

		snprintf(log, sizeof(log), "%s/agent.log", run_dir);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() != parent)
			_exit(1);
		setpgid(0, 0);
		if (fd >= 0)
			dup2(fd, 2);
		execl(bin, "lmctld", "--socket", sock_path, "--state-dir", state, "--cgroup-root",
		      root, (char *)NULL);
		_exit(127);
	}
	agent_pid = pid;
	for (int i = 0; i < 20000 && !stop; i++) {
		int fd = sock_connect();

		if (fd >= 0) {
			close(fd);
			return chmod(sock_path, 0666) < 0 ? -errno : 0;
		}
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			agent_pid = 0;
			return -ECHILD;
		}
		usleep(1000);
	}
	return -ETIMEDOUT;
}

static void agent_stop(void)
{
	if (agent_pid <= 0)
		return;
	kill(agent_pid, SIGTERM);
	for (int i = 0; i < 100 && waitpid(agent_pid, NULL, WNOHANG) != agent_pid; i++)
		usleep(100000);
	kill(agent_pid, SIGKILL);
	waitpid(agent_pid, NULL, 0);
	agent_pid = 0;
}

/* ---- the attacks (in a child, as the tenant, until killed) ---- */

static void as_tenant(void)
{
	struct rlimit rl = {20000, 20000};

	setrlimit(RLIMIT_NOFILE, &rl);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (setgroups(0, NULL) < 0 || setresgid(TENANT, TENANT, TENANT) < 0 ||
	    setresuid(TENANT, TENANT, TENANT) < 0)
		_exit(1);
}

/* Keep slots[] connected (each set up by prep), re-opening those the agent closed. */
static _Noreturn void hold(int n, int (*prep)(int fd, int i), void (*tick)(int *fds, int n))
{
	int *fds = calloc((size_t)n, sizeof(int));

	for (int i = 0; i < n; i++)
		fds[i] = -1;
	for (;;) {
		for (int i = 0; i < n; i++) {
			char b[4096];

			if (fds[i] >= 0) {
				ssize_t k = recv(fds[i], b, sizeof(b), MSG_DONTWAIT);

				if (k == 0 || (k < 0 && errno != EAGAIN)) {
					close(fds[i]);
					fds[i] = -1;
				}
			}
			if (fds[i] < 0 && (fds[i] = sock_connect()) >= 0 && prep(fds[i], i) < 0) {
				close(fds[i]);
				fds[i] = -1;
			}
		}
		if (tick)
			tick(fds, n);
		usleep(tick ? 50000 : 200000); /* an attacker, not a CPU hog */
	}
}

static int prep_nothing(int fd, int i)
{
	(void)fd;
	(void)i;
	return 0;
}

static int prep_announce(int fd, int i)
{
	uint8_t hdr[LMC_FRAME_HDR];

	(void)i;
	lmc_frame_header(LMC_FRAME_MAX, hdr);
	return send(fd, hdr, sizeof(hdr), MSG_NOSIGNAL) == sizeof(hdr) ? 0 : -1;
}

static void tick_trickle(int *fds, int n)
{
	static int next;

	if (fds[next % n] >= 0)
		(void)!send(fds[next % n], "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	next++;
}

static int prep_subscribe(int fd, int i)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_SUBSCRIBE,
				 .id = (uint64_t)i + 1,
				 .name = "sec-a",
				 .sub = {.empty = true, .oom = true, .threshold = LMC_UNSET}};

	return call(fd, &rq, 5000) == 0 ? 0 : -1;
}

static _Noreturn void frozen_runs(const char *name)
{
	const char *argv[] = {"true", NULL};
	struct lmc_run_opts ro = {.argv = argv, .detach = true, .stdio = {-1, -1, -1}};
	struct lmc_api_req rq = {.op = LMC_API_OP_RUN, .name = name, .run = &ro};

	for (;;)
		call_once(&rq, 60000);
}

/* Creates of namespaced children of sec-a/nsp, each a new name, one after another. */
static _Noreturn void stalled_creates(void)
{
	struct lmc_spec spec;
	struct lmc_api_req rq = {.op = LMC_API_OP_CREATE, .spec = &spec};
	char name[64];

	lmc_spec_init(&spec);
	spec.ns.mask = LMC_NS_PID | LMC_NS_MNT;
	rq.name = name;
	for (unsigned i = 0;; i++) {
		snprintf(name, sizeof(name), "sec-a/nsp/c%d-%u", (int)getpid(), i);
		call_once(&rq, 60000);
	}
}

enum attack { A_NONE, A_CONNS, A_TRICKLE, A_SUBS, A_FROZEN, A_STALL, A_STALL_CREATE };

static void attack_start(enum attack k)
{
	pid_t pid = fork();

	if (pid < 0 || pid > 0) {
		attacker = pid > 0 ? pid : 0;
		return;
	}
	setpgid(0, 0);
	as_tenant();
	if (k == A_CONNS)
		hold(5000, prep_nothing, NULL);
	if (k == A_TRICKLE)
		hold(60, prep_announce, tick_trickle);
	if (k == A_SUBS)
		hold(200, prep_subscribe, NULL);
	if (k == A_STALL || k == A_STALL_CREATE) {
		for (int i = 0; i < 3; i++)
			if (fork() == 0)
				break; /* four stalling at a time, one per process */
		if (k == A_STALL_CREATE)
			stalled_creates();
		frozen_runs("sec-a/stall");
	}
	frozen_runs("sec-a/free");
}

static void attack_stop(void)
{
	if (attacker <= 0)
		return;
	kill(-attacker, SIGKILL);
	waitpid(attacker, NULL, 0);
	attacker = 0;
}

/* ---- measuring ---- */

static struct bench_samples base = {.label = "quiet agent (baseline)"};

static void measure(const char *label, enum attack k, int n, double warm_s)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_LIST, .name = "", .recursive = true};
	struct bench_samples other = {.label = label}, *sp = k == A_NONE ? &base : &other;

	if (k != A_NONE)
		attack_start(k);
	usleep((useconds_t)(warm_s * 1e6));
	for (int i = 0, late = 0; i < n && !stop; i++) {
		uint64_t t0 = bench_now_ns();
		int r = call_once(&rq, LIST_TIMEOUT_MS);

		if (r < 0)
			sp->failures++;
		else
			bench_add(sp, bench_now_ns() - t0);
		/* An agent that has stopped answering is not measured any further. */
		late = r < 0 ? late + 1 : 0;
		if (late == 5) {
			sp->note = "over the 100 ms target: the agent stopped answering";
			break;
		}
		usleep(5000);
	}
	attack_stop();
	bench_sort(sp);
	if (!sp->note && (bench_pct(sp, 99) >= 100000000ull || sp->failures))
		sp->note = "over the 100 ms target";
	bench_row(sp, &base);
	if (sp != &base)
		free(sp->v);
}

static int setup(const char *bin)
{
	struct lmc_spec spec;
	struct lmc_api_req rq = {.op = LMC_API_OP_CREATE, .name = "sec-a", .spec = &spec};
	int r;

	snprintf(run_dir, sizeof(run_dir), "/dev/shm/" BENCH_PREFIX "%d", (int)getpid());
	snprintf(sock_path, sizeof(sock_path), "%s/lmctld.sock", run_dir);
	snprintf(state, sizeof(state), "%s/state", run_dir);
	snprintf(root, sizeof(root), BENCH_PREFIX "%d-dos", (int)getpid());
	if (mkdir(run_dir, 0755) < 0 || chmod(run_dir, 0755) < 0 || mkdir(state, 0700) < 0)
		return -errno;
	r = agent_start(bin);
	if (r < 0)
		return r;
	lmc_spec_init(&spec);
	spec.owner = TENANT;
	r = call_once(&rq, 10000);
	lmc_spec_init(&spec);
	rq.name = "sec-a/free";
	if (r >= 0)
		r = call_once(&rq, 10000);
	rq.name = "sec-a/stall";
	if (r >= 0)
		r = call_once(&rq, 10000);
	rq.name = "sec-a/nsp";
	if (r >= 0)
		r = call_once(&rq, 10000);
	return r;
}

/* Freeze (or thaw) name's v1 freezer cgroup directly, as a tool outside lmctl. */
static int stall_freeze(const char *name, bool on)
{
	char dir[512], path[600];
	int r = bench_scratch_path("freezer", "freezer", root, dir, sizeof(dir));
	int fd;

	if (r < 0)
		return r;
	snprintf(path, sizeof(path), "%s/%s/freezer.state", dir, name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write(fd, on ? "FROZEN" : "THAWED", 6) < 0 ? -errno : 0;
	close(fd);
	return r;
}

static int stall_freeze(const char *name, bool on);

static void cleanup(void)
{
	attack_stop();
	if (!bench_cg.v2) { /* their killed children end once thawed */
		stall_freeze("sec-a/stall", false);
		stall_freeze("sec-a/nsp", false);
	}
	agent_stop();
	bench_scratch_remove(root);
	bench_state_remove(run_dir);
}

int main(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct lmc_api_req pause = {.op = LMC_API_OP_PAUSE, .name = "sec-a/free"};
	const char *bin = "build/lmctld";
	int n = 300, ch, r;

	while ((ch = getopt(argc, argv, "a:n:")) != -1) {
		if (ch == 'a')
			bin = optarg;
		else if (ch == 'n' && atoi(optarg) >= 100)
			n = atoi(optarg);
		else {
			fprintf(stderr, "usage: bench_dos [-a LMCTLD] [-n LISTS>=100]\n");
			return 2;
		}
	}
	if (getuid() != 0) {
		printf("\nAgent under attack (issue 11): skipped: needs root\n");
		return 0;
	}
	/* The cgroup layout bench_scratch_remove walks (hybrid or v2). */
	if (bench_cg_init() < 0) {
		printf("\nAgent under attack (issue 11): skipped: needs hybrid cgroups or cgroup v2\n");
		return 0;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	r = setup(bin);
	if (r < 0) {
		fprintf(stderr, "bench_dos: set-up failed: %s\n", strerror(-r));
		cleanup();
		return 1;
	}
	bench_table_head(
		"Root's list while uid 65534 attacks lmctld (issue 11; target p99 < 100 ms)");
	measure(base.label, A_NONE, n, 0.2);
	measure("connection flood (5000 held by one uid)", A_CONNS, n, 1.0);
	measure("frame trickle (60 x 4 MiB announced)", A_TRICKLE, n, 1.0);
	measure("subscription flood (200 asked, unread)", A_SUBS, n, 1.0);
	if (call_once(&pause, 10000) < 0)
		fprintf(stderr, "bench_dos: cannot pause sec-a/free\n");
	measure("runs into a frozen container", A_FROZEN, n, 0.5);
	if (!bench_cg.v2 && stall_freeze("sec-a/stall", true) >= 0) {
		measure("stalled runs (v1 freezer frozen outside lmctl)", A_STALL, n, 0.5);
		stall_freeze("sec-a/stall", false);
	}
	if (!bench_cg.v2 && stall_freeze("sec-a/nsp", true) >= 0) {
		measure("stalled create --ns (v1 freezer, ditto)", A_STALL_CREATE, n, 0.5);
		stall_freeze("sec-a/nsp", false);
	}
	cleanup();
	return stop ? 1 : 0;
}
