/* Issue 11, "stalling or starving the agent": each attack is run by a throw-away non-root
 * user owning `sec-a`, through the real agent, and must be refused or contained while root
 * keeps being answered: a run into a paused container, a namespaced child under a paused
 * parent, a connection flood, running the agent out of descriptors, idle connections, frames
 * that announce much and send little, trickled frames, a subscription flood and a
 * subscriber that does not read. */
#include <dirent.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include <cmocka.h>

#include "proto/api.h"
#include "proto/frame.h"
#include "tests/integration/agent-harness.h"
#include "tests/lib/lmctl-run.h"
#include "tests/lib/testuser.h"

/* Generous bounds for a loaded 2-CPU machine; bench/ measures the real figures. */
#define ROOT_ANSWER_MS 3000
#define PER_UID 64 /* CLIENTS_PER_UID in tools/agent/lmctld.h */
#define SUBS_PER_UID 16

struct fix {
	struct harness h;
	struct lmc_test_user u;
	char uid[16];
};

static struct fix *F; /* for the user-side functions */
static pid_t kids[4]; /* process groups of the user-side children, ended at teardown */

static pid_t kid_fork(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		return 0;
	}
	setpgid(pid, pid);
	for (size_t i = 0; i < ARRAY_SIZE(kids); i++)
		if (!kids[i]) {
			kids[i] = pid;
			break;
		}
	return pid;
}

static void kid_done(pid_t pid)
{
	for (size_t i = 0; i < ARRAY_SIZE(kids); i++)
		if (kids[i] == pid)
			kids[i] = 0;
}

static int setup(void **state)
{
	static struct fix f;

	if (!lmc_test_is_root())
		skip();
	memset(&f, 0, sizeof(f));
	assert_int_equal(h_setup(&f.h), 0);
	assert_int_equal(chmod(f.h.sock, 0666), 0);
	setenv("LMCTL_SOCKET", f.h.sock, 1);
	unsetenv("LMCTL_STATE_DIR"); /* a direct-mode test before may have set it */
	assert_int_equal(lmc_test_user_add(&f.u), 0);
	snprintf(f.uid, sizeof(f.uid), "%u", (unsigned)f.u.uid);
	LMCTL_OK("create", "sec-a", "--owner", f.uid);
	F = &f;
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	/* A failed test leaves its user-side children: they go before the user does. */
	for (size_t i = 0; i < ARRAY_SIZE(kids); i++)
		if (kids[i]) {
			kill(-kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
			kids[i] = 0;
		}
	h_teardown(&f->h);
	lmc_test_user_del(&f->u);
	return 0;
}

/* Restart the agent with more options (its socket is reopened to the user). */
static void restart(struct fix *f, const char *opt1, const char *opt2)
{
	h_stop_agent(&f->h, SIGTERM);
	f->h.extra[0] = opt1;
	f->h.extra[1] = opt2;
	assert_int_equal(h_start_agent(&f->h), 0);
	assert_int_equal(chmod(f->h.sock, 0666), 0);
}

static int user_lmctl(char *err, size_t errsz, const char *a1, const char *a2, const char *a3,
		      const char *a4, const char *a5)
{
	return lmc_test_user_lmctl(&F->u, NULL, 0, err, errsz, a1, a2, a3, a4, a5, NULL);
}

/* ---- raw protocol ---- */

/* One request on fd, its answer decoded; -errno (-ETIMEDOUT) when none comes in time. */
static int request(int fd, const struct lmc_api_req *rq, struct lmc_api_resp *resp, int ms)
{
	uint8_t *buf;
	size_t len, nfds = 0;
	int r = lmc_api_req_encode(rq, &buf, &len);

	if (r < 0)
		return r;
	r = lmc_frame_send(fd, buf, len, NULL, 0);
	free(buf);
	if (r < 0)
		return r;
	r = lmc_frame_recv(fd, &buf, &len, NULL, &nfds, ms);
	if (r < 0)
		return r;
	r = lmc_api_resp_decode(buf, len, resp);
	free(buf);
	return r;
}

/* Root's `list`: milliseconds it took to be answered, or -errno. */
static long root_list_ms(const struct harness *h)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_LIST, .id = 1, .name = ""};
	struct lmc_api_resp resp;
	long long t0 = h_now_us();
	int fd = h_connect(h), r;

	if (fd < 0)
		return fd;
	r = request(fd, &rq, &resp, ROOT_ANSWER_MS * 3);
	close(fd);
	if (r < 0)
		return r;
	r = resp.status;
	lmc_api_resp_done(&resp);
	return r < 0 ? r : (long)((h_now_us() - t0) / 1000);
}

static void assert_root_answers(const struct harness *h, const char *during)
{
	long ms = root_list_ms(h);

	if (ms < 0 || ms > ROOT_ANSWER_MS)
		fail_msg("root's list during %s: %s", during,
			 ms < 0 ? strerror((int)-ms) : "too slow");
}

/* Has the agent closed fd (EOF after whatever it sent), within ms? */
static bool closed_by_agent(int fd, int ms)
{
	long long end = h_now_us() + ms * 1000LL;
	char buf[512];

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		long left = (long)((end - h_now_us()) / 1000);
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return false;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			return true;
	}
}

/* ---- user-side work in a child, with a hand-shake to hold its state while root checks ---- */

struct held {
	int (*fn)(void *);
	int ready[2], go[2]; /* the child says ready; the parent says go (it may end) */
	int n, arg;
};

static void held_ready(struct held *x)
{
	(void)!write(x->ready[1], "r", 1);
	(void)!read(x->go[0], &(char){0}, 1);
}

/* Start x->fn as the user; wait until it is ready. Returns its pid. */
static pid_t held_start(struct held *x)
{
	pid_t pid;
	char c;

	assert_int_equal(pipe(x->ready), 0);
	assert_int_equal(pipe(x->go), 0);
	pid = kid_fork();
	if (pid == 0) {
		close(x->ready[0]);
		close(x->go[1]);
		_exit(lmc_test_user_run(&F->u, x->fn, x));
	}
	close(x->ready[1]);
	close(x->go[0]);
	assert_int_equal(read(x->ready[0], &c, 1), 1);
	return pid;
}

static int held_end(struct held *x, pid_t pid)
{
	int st;

	(void)!write(x->go[1], "g", 1);
	close(x->go[1]);
	close(x->ready[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	kid_done(pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* ---- 3: a paused container ---- */

/* The user's lmctl in a child (it may hang on the old agent), its stderr to a pipe. */
static pid_t user_lmctl_bg(int *errfd, const char *a1, const char *a2, const char *a3,
			   const char *a4, const char *a5)
{
	int p[2];
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = kid_fork();
	if (pid == 0) {
		char err[1024] = "";
		int r;

		close(p[0]);
		r = user_lmctl(err, sizeof(err), a1, a2, a3, a4, a5);
		(void)!write(p[1], err, strlen(err));
		_exit(r);
	}
	close(p[1]);
	*errfd = p[0];
	return pid;
}

static int wait_bounded(pid_t pid, int ms)
{
	long long end = h_now_us() + ms * 1000LL;
	int st;

	while (h_now_us() < end) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			kid_done(pid);
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		usleep(20000);
	}
	kill(-pid, SIGKILL); /* its lmctl too */
	waitpid(pid, &st, 0);
	kid_done(pid);
	return -ETIMEDOUT;
}

static void expect_refused_paused(pid_t pid, int errfd, const char *what)
{
	char err[1024] = "";
	int r = wait_bounded(pid, 20000);
	ssize_t n = read(errfd, err, sizeof(err) - 1);

	err[n > 0 ? n : 0] = '\0';
	close(errfd);
	if (r == -ETIMEDOUT)
		fail_msg("%s into a paused container still hangs after 20 s", what);
	assert_int_not_equal(r, 0);
	if (!strstr(err, "paused"))
		fail_msg("%s: refusal does not say why: %s", what, err);
}

static void test_run_in_paused(void **state)
{
	struct fix *f = *state;
	char err[1024];
	int efd;
	pid_t pid;

	assert_int_equal(user_lmctl(err, sizeof(err), "create", "sec-a/free", NULL, NULL, NULL), 0);
	assert_int_equal(user_lmctl(err, sizeof(err), "pause", "sec-a/free", NULL, NULL, NULL), 0);
	pid = user_lmctl_bg(&efd, "run", "sec-a/free", "--", "true", NULL);
	usleep(300000); /* let the run reach the agent first */
	assert_root_answers(&f->h, "a run into a paused container");
	expect_refused_paused(pid, efd, "run");
	assert_int_equal(user_lmctl(err, sizeof(err), "resume", "sec-a/free", NULL, NULL, NULL), 0);
	assert_int_equal(user_lmctl(err, sizeof(err), "run", "sec-a/free", "--", "true", NULL), 0);
}

static void test_ns_child_of_paused(void **state)
{
	struct fix *f = *state;
	char err[1024];
	int efd;
	pid_t pid;

	assert_int_equal(user_lmctl(err, sizeof(err), "pause", "sec-a", NULL, NULL, NULL), 0);
	pid = user_lmctl_bg(&efd, "create", "sec-a/n", "--ns=uts", NULL, NULL);
	usleep(300000);
	assert_root_answers(&f->h, "a namespaced child created under a paused parent");
	expect_refused_paused(pid, efd, "create --ns");
	assert_int_equal(user_lmctl(err, sizeof(err), "resume", "sec-a", NULL, NULL, NULL), 0);
	assert_int_equal(user_lmctl(err, sizeof(err), "create", "sec-a/n", "--ns=uts", NULL, NULL),
			 0);
}

/* A pause that cannot complete (its tasks already held by the v1 freezer, which the cgroup2
 * freezer must wait for) waits off the agent's loop: root is answered meanwhile. */
static void test_slow_pause_off_loop(void **state)
{
	struct fix *f = *state;
	char err[1024];
	int efd, r;
	pid_t pid;

	if (!lmc_cgfs_file_exists(f->h.cg, LMC_CTRL_FREEZER, "sec-a", "freezer.state") ||
	    !lmc_cgfs_file_exists(f->h.cg, LMC_CTRL_UNIFIED, "sec-a", "cgroup.freeze"))
		skip(); /* needs both freezers (hybrid) */
	assert_int_equal(user_lmctl(err, sizeof(err), "create", "sec-a/free", NULL, NULL, NULL), 0);
	assert_int_equal(lmc_test_user_lmctl(&f->u, NULL, 0, err, sizeof(err), "run", "-d",
					     "sec-a/free", "--", "sleep", "600", NULL),
			 0);
	assert_int_equal(lmc_cgfs_write(f->h.cg, LMC_CTRL_FREEZER, "sec-a/free", "freezer.state",
					"FROZEN"),
			 0);
	pid = user_lmctl_bg(&efd, "pause", "sec-a/free", NULL, NULL, NULL);
	usleep(300000);
	assert_root_answers(&f->h, "a pause waiting for its container to freeze");
	r = wait_bounded(pid, 20000);
	close(efd);
	assert_int_equal(lmc_cgfs_write(f->h.cg, LMC_CTRL_FREEZER, "sec-a/free", "freezer.state",
					"THAWED"),
			 0);
	assert_int_not_equal(r, -ETIMEDOUT);
}

/* Direct mode (root, no agent): the same run must not leave the state lock to a frozen
 * child, so the next command (resume) goes through. */
static void test_direct_paused_run(void **state)
{
	char err[1024] = "";
	int p[2], r;
	ssize_t n;
	pid_t pid;

	(void)state;
	LMCTL_OK("create", "dp");
	LMCTL_OK("pause", "dp");
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	pid = kid_fork();
	if (pid == 0) {
		close(p[0]);
		r = lmc_test_lmctl(NULL, 0, err, sizeof(err), "run", "dp", "--", "true", NULL);
		(void)!write(p[1], err, strlen(err));
		_exit(r);
	}
	close(p[1]);
	r = wait_bounded(pid, 20000);
	n = read(p[0], err, sizeof(err) - 1);
	err[n > 0 ? n : 0] = '\0';
	close(p[0]);
	if (r == -ETIMEDOUT)
		fail_msg("direct mode: a run into a paused container hangs");
	assert_int_not_equal(r, 0);
	assert_non_null(strstr(err, "paused"));
	LMCTL_OK("resume", "dp");
	LMCTL_OK("run", "dp", "--", "true");
}

static int direct_setup(void **state)
{
	memset(kids, 0, sizeof(kids));
	return lmc_test_env_setup(state);
}

static int direct_teardown(void **state)
{
	for (size_t i = 0; i < ARRAY_SIZE(kids); i++)
		if (kids[i]) {
			kill(-kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
			kids[i] = 0;
		}
	return lmc_test_env_teardown(state);
}

/* ---- 4: connections ---- */

static int flood(void *ud)
{
	struct held *x = ud;
	int *fds = calloc((size_t)x->n, sizeof(int)), open_ = 0;

	for (int i = 0; i < x->n; i++)
		fds[i] = h_connect(&F->h);
	/* Each connection is either kept (silent) or refused (a reason, then EOF): give the
	 * agent time to go through the queue, however loaded the machine is. */
	usleep(1500000);
	for (int i = 0; i < x->n; i++)
		if (fds[i] >= 0 && !closed_by_agent(fds[i], i < 8 ? 1000 : 100))
			open_++;
	x->arg = open_;
	held_ready(x);
	return open_ > 255 ? 255 : open_;
}

static void test_conn_flood(void **state)
{
	struct fix *f = *state;
	struct held x = {.fn = flood, .n = 300};
	pid_t pid = held_start(&x);
	int kept;

	assert_root_answers(&f->h, "a connection flood");
	kept = held_end(&x, pid);
	if (kept > PER_UID)
		fail_msg("one uid holds %d connections (at most %d expected)", kept, PER_UID);
	assert_true(kept > 0);
}

static double cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut = 0, st = 0;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	p = strrchr(buf, ')');
	assert_int_equal(
		sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st), 2);
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void test_out_of_fds(void **state)
{
	struct fix *f = *state;
	struct rlimit rl = {48, 48};
	struct held x = {.fn = flood, .n = PER_UID};
	pid_t pid;
	double c0;

	/* An agent whose descriptors run out before the per-uid bound does. */
	assert_int_equal(prlimit(f->h.agent, RLIMIT_NOFILE, &rl, NULL), 0);
	pid = held_start(&x);
	c0 = cpu_s(f->h.agent);
	usleep(2000000);
	if (cpu_s(f->h.agent) - c0 > 0.5)
		fail_msg("the agent spins out of descriptors: %.2f s CPU in 2 s",
			 cpu_s(f->h.agent) - c0);
	assert_root_answers(&f->h, "descriptor exhaustion");
	held_end(&x, pid);
	assert_root_answers(&f->h, "after descriptor exhaustion");
}

/* The agent raises its own descriptor limit; what it runs keeps the one it was given. */
static void test_nofile_raised_not_passed_on(void **state)
{
	struct fix *f = *state;
	struct rlimit old, low;
	char out[256], err[1024], path[64], line[256];
	long soft = 0;
	FILE *fp;

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	if (old.rlim_max <= 1024)
		skip();
	low = (struct rlimit){1024, old.rlim_max};
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	h_stop_agent(&f->h, SIGTERM);
	assert_int_equal(h_start_agent(&f->h), 0);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	assert_int_equal(chmod(f->h.sock, 0666), 0);
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)f->h.agent);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp))
		if (strncmp(line, "Max open files", 14) == 0)
			soft = strtol(line + 26, NULL, 10);
	fclose(fp);
	assert_true(soft > 1024);
	assert_int_equal(user_lmctl(err, sizeof(err), "create", "sec-a/free", NULL, NULL, NULL), 0);
	assert_int_equal(lmc_test_user_lmctl(&f->u, out, sizeof(out), err, sizeof(err), "run",
					     "sec-a/free", "--", "sh", "-c", "ulimit -n", NULL),
			 0);
	assert_int_equal(strtol(out, NULL, 10), 1024);
}

static int idle_conn(void *ud)
{
	struct held *x = ud;
	int fd = h_connect(&F->h), r = fd >= 0 && closed_by_agent(fd, 10000) ? 0 : 1;

	held_ready(x);
	return r;
}

static void test_idle_conn_closed(void **state)
{
	struct fix *f = *state;
	struct held x = {.fn = idle_conn};

	restart(f, "--conn-timeout=1", NULL);
	assert_int_equal(held_end(&x, held_start(&x)), 0);
}

/* ---- 5: frame memory and time ---- */

static long vm_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	long v = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fp = fopen(path, "r");
	assert_non_null(fp);
	while (fgets(line, sizeof(line), fp))
		if (strncmp(line, key, strlen(key)) == 0)
			v = strtol(line + strlen(key) + 1, NULL, 10);
	fclose(fp);
	return v;
}

static int big_announce(void *ud)
{
	struct held *x = ud;
	uint8_t hdr[LMC_FRAME_HDR + 1] = {0};

	lmc_frame_header(LMC_FRAME_MAX, hdr);
	for (int i = 0; i < x->n; i++) {
		int fd = h_connect(&F->h);

		if (fd >= 0)
			(void)!send(fd, hdr, sizeof(hdr), MSG_NOSIGNAL);
	}
	held_ready(x);
	return 0;
}

static void test_frame_memory(void **state)
{
	struct fix *f = *state;
	struct held x = {.fn = big_announce, .n = 40};
	long before, after;
	pid_t pid;

	restart(f, "--idle-timeout=30", NULL);
	before = vm_kb(f->h.agent, "VmData:");
	pid = held_start(&x);
	usleep(500000);
	after = vm_kb(f->h.agent, "VmData:");
	held_end(&x, pid);
	/* 40 x 4 MiB announced, 40 bytes sent: the agent must not commit to the announcement. */
	if (after - before > 32 * 1024)
		fail_msg("40 frames of 1 byte grew the agent by %ld KiB", after - before);
}

static int trickle(void *ud)
{
	struct held *x = ud;
	uint8_t hdr[LMC_FRAME_HDR];
	long long t0 = h_now_us();
	int fd = h_connect(&F->h);

	if (fd < 0)
		return 2;
	lmc_frame_header(200, hdr);
	(void)!send(fd, hdr, sizeof(hdr), MSG_NOSIGNAL);
	/* A byte every 200 ms: each one would reset an idle timer. */
	for (int i = 0; i < 40; i++) {
		if (closed_by_agent(fd, 200))
			break;
		if (send(fd, "x", 1, MSG_NOSIGNAL) != 1)
			break;
	}
	x->arg = (int)((h_now_us() - t0) / 100000); /* tenths of a second */
	held_ready(x);
	return x->arg > 250 ? 250 : x->arg;
}

static void test_frame_trickle(void **state)
{
	struct held x = {.fn = trickle};
	int tenths;

	(void)state;
	/* The harness's agent: --idle-timeout=1, a frame must be whole within 1 s. */
	tenths = held_end(&x, held_start(&x));
	if (tenths > 50)
		fail_msg("a trickled frame kept its connection for %.1f s (1 s allowed)",
			 tenths / 10.0);
}

/* ---- 6: subscriptions ---- */

static size_t agent_inotify_fds(pid_t pid)
{
	char dir[64], path[320], target[128];
	size_t n = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/fd", (int)pid);
	d = opendir(dir);
	assert_non_null(d);
	for (struct dirent *e; (e = readdir(d));) {
		ssize_t k;

		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		k = readlink(path, target, sizeof(target) - 1);
		if (k > 0) {
			target[k] = '\0';
			n += strcmp(target, "anon_inode:inotify") == 0;
		}
	}
	closedir(d);
	return n;
}

static int sub_flood(void *ud)
{
	struct held *x = ud;
	int ok = 0;

	for (int i = 0; i < x->n; i++) {
		struct lmc_api_req rq = {.op = LMC_API_OP_SUBSCRIBE,
					 .id = (uint64_t)i + 1,
					 .name = "sec-a",
					 .sub = {.empty = true, .threshold = LMC_UNSET}};
		struct lmc_api_resp resp;
		int fd = h_connect(&F->h);

		if (fd >= 0 && request(fd, &rq, &resp, 5000) >= 0) {
			ok += resp.status == 0;
			lmc_api_resp_done(&resp);
		}
	}
	x->arg = ok;
	held_ready(x);
	return ok;
}

static void test_sub_flood(void **state)
{
	struct fix *f = *state;
	struct held x = {.fn = sub_flood, .n = 40};
	size_t before = agent_inotify_fds(f->h.agent), during;
	pid_t pid = held_start(&x);
	int ok;

	during = agent_inotify_fds(f->h.agent);
	assert_root_answers(&f->h, "a subscription flood");
	ok = held_end(&x, pid);
	if (ok > SUBS_PER_UID)
		fail_msg("one uid holds %d subscriptions (at most %d expected)", ok, SUBS_PER_UID);
	/* Every subscription watches the same container: one watch serves them all. */
	if (during - before > 1)
		fail_msg("%zu inotify instances for one container's subscribers", during - before);
}

static int unread_sub(void *ud)
{
	struct held *x = ud;
	struct lmc_api_req rq = {.op = LMC_API_OP_SUBSCRIBE,
				 .id = 7,
				 .name = "sec-a/free",
				 .sub = {.exit = true, .empty = true, .threshold = LMC_UNSET}};
	struct lmc_api_resp resp;
	int fd = h_connect(&F->h), st = 1;

	if (fd < 0 || request(fd, &rq, &resp, 5000) < 0)
		return 2;
	lmc_api_resp_done(&resp);
	held_ready(x); /* the parent makes events; we read none of them until then */
	/* Now read: events, then the last Response that says why it stopped. */
	for (int i = 0; i < 100000; i++) {
		uint8_t *buf;
		size_t len, nfds = 0;

		if (lmc_frame_recv(fd, &buf, &len, NULL, &nfds, 5000) < 0)
			break;
		if (lmc_api_resp_decode(buf, len, &resp) >= 0) {
			if (resp.status == -ENOBUFS && strstr(resp.msg, "unread"))
				st = 0;
			lmc_api_resp_done(&resp);
		}
		free(buf);
		if (st == 0)
			break;
	}
	return st;
}

static void test_unread_subscriber_dropped(void **state)
{
	struct fix *f = *state;
	struct held x = {.fn = unread_sub};
	char err[1024];
	pid_t pid;

	restart(f, "--sub-queue=4096", NULL);
	assert_int_equal(user_lmctl(err, sizeof(err), "create", "sec-a/free", NULL, NULL, NULL), 0);
	pid = held_start(&x);
	/* Each run: an exit and an empty event (~60 bytes each) that nobody reads. */
	for (int i = 0; i < 150; i++)
		assert_int_equal(
			user_lmctl(err, sizeof(err), "run", "sec-a/free", "--", "true", NULL), 0);
	assert_root_answers(&f->h, "an unread subscription");
	if (held_end(&x, pid) != 0)
		fail_msg("an unread subscriber was not dropped with a reason");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_run_in_paused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ns_child_of_paused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slow_pause_off_loop, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct_paused_run, direct_setup,
						direct_teardown),
		cmocka_unit_test_setup_teardown(test_conn_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_fds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nofile_raised_not_passed_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_idle_conn_closed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frame_memory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_frame_trickle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sub_flood, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unread_subscriber_dropped, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
