/* Issue 11, finding 3 as far as it goes: a run whose child stalls before it reports its
 * start-up holds nobody else up. The stall is the real one: something outside lmctl froze
 * the v1 freezer above the agent's tree (as a v1 tool freezing a slice does), which the
 * agent's paused check (cgroup2's cgroup.events on this hybrid host) does not see; the
 * child, placed into the frozen v1 freezer cgroup, stops before its report. While it
 * stalls, another client's `list` answers at once; the run itself waits (thawed: it
 * starts) or, left frozen, is refused after LMC_NS_HANDSHAKE_MS with a one-line reason.
 * Replies on the stalled run's own connection stay in order. The same for a leaf's
 * namespace init: a `create --ns`, and a run that must start a new init first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "nsutil/ns.h"
#include "proto/api.h"
#include "proto/frame.h"
#include "tests/integration/agent-harness.h"
#include "tests/lib/lmctl-run.h"

/* Generous for a loaded 2-CPU machine, far below the 10 s hand-shake bound. */
#define ROOT_ANSWER_MS 3000

struct fix {
	struct harness h;
	char freezer[512]; /* freezer.state of the scratch root (v1) */
};

static int write_state(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, v, strlen(v)) < 0)
		r = -errno;
	close(fd);
	return r;
}

static int setup(void **state)
{
	static struct fix f;
	char dir[448];

	/* Where the stall cannot be made the tests skip themselves: a skip in a setup is an
	 * error to some cmocka versions (Debian 12's in the VMs). */
	*state = NULL;
	if (!lmc_test_is_root())
		return 0;
	memset(&f, 0, sizeof(f));
	assert_int_equal(h_setup(&f.h), 0);
	setenv("LMCTL_SOCKET", f.h.sock, 1);
	unsetenv("LMCTL_STATE_DIR");
	/* Only where the stall can be made: a v1 freezer beside a cgroup2 tree. */
	if (lmc_cgfs_path(f.h.cg, LMC_CTRL_FREEZER, "", dir, sizeof(dir)) >= 0)
		snprintf(f.freezer, sizeof(f.freezer), "%s/freezer.state", dir);
	/* (on v2 alone the freezer is cgroup.freeze: no freezer.state) */
	if (!lmc_cgfs_has(f.h.cg, LMC_CTRL_UNIFIED) || !lmc_cgfs_has(f.h.cg, LMC_CTRL_FREEZER) ||
	    !f.freezer[0] || access(f.freezer, W_OK) != 0) {
		h_teardown(&f.h);
		return 0;
	}
	LMCTL_OK("create", "st");
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	if (!f)
		return 0;
	write_state(f->freezer, "THAWED"); /* the killed child ends once thawed */
	h_teardown(&f->h);
	return 0;
}

static int request_send(int fd, enum lmc_api_op op, uint64_t id, const char *name,
			const struct lmc_run_opts *run)
{
	/* recursive: for a destroy, of a container that holds a process */
	struct lmc_api_req rq = {.op = op, .id = id, .name = name, .run = run, .recursive = true};
	uint8_t *buf;
	size_t len;
	int r = lmc_api_req_encode(&rq, &buf, &len);

	if (r < 0)
		return r;
	r = lmc_frame_send(fd, buf, len, NULL, 0);
	free(buf);
	return r;
}

/* The next Response on fd within ms: its id and status. */
static int reply_recv(int fd, int ms, uint64_t *ret_id, int *ret_status, char *msg, size_t size)
{
	struct lmc_api_resp resp;
	uint8_t *buf;
	size_t len, nfds = 0;
	int r = lmc_frame_recv(fd, &buf, &len, NULL, &nfds, ms);

	if (r < 0)
		return r;
	r = lmc_api_resp_decode(buf, len, &resp);
	free(buf);
	if (r < 0)
		return r;
	*ret_id = resp.id;
	*ret_status = resp.status;
	if (msg)
		snprintf(msg, size, "%s", resp.msg);
	lmc_api_resp_done(&resp);
	return 0;
}

/* Root's `list` on a new connection: milliseconds to its answer, or -errno. */
static long list_ms(const struct harness *h)
{
	long long t0 = h_now_us();
	int fd = h_connect(h), st, r;
	uint64_t id;

	if (fd < 0)
		return fd;
	r = request_send(fd, LMC_API_OP_LIST, 7, "", NULL);
	if (r >= 0)
		r = reply_recv(fd, 15000, &id, &st, NULL, 0);
	close(fd);
	return r < 0 ? r : (long)((h_now_us() - t0) / 1000);
}

static bool leaf_has_process(void *ud)
{
	struct fix *f = ud;
	pid_t *pids = NULL;
	size_t n = 0;
	bool yes = lmc_cgfs_procs(f->h.cg, "st", &pids, &n) >= 0 && n > 0;

	free(pids);
	return yes;
}

/* A detached run of `true` in name on fd (id 1), pipelined with a list (id 2) behind it. */
static void send_run_then_list_in(int fd, const char *name)
{
	static const char *const argv[] = {"true", NULL};
	struct lmc_run_opts o = {.argv = argv, .cwd = "/", .detach = true, .stdio = {-1, -1, -1}};

	assert_int_equal(request_send(fd, LMC_API_OP_RUN, 1, name, &o), 0);
	assert_int_equal(request_send(fd, LMC_API_OP_LIST, 2, "", NULL), 0);
}

static void send_run_then_list(int fd)
{
	send_run_then_list_in(fd, "st");
}

static void expect_reply(int fd, int ms, uint64_t id, bool ok, const char *has)
{
	char msg[512] = "";
	uint64_t got;
	int st;

	assert_int_equal(reply_recv(fd, ms, &got, &st, msg, sizeof(msg)), 0);
	if (got != id)
		fail_msg("reply %llu came before reply %llu", (unsigned long long)got,
			 (unsigned long long)id);
	if (ok != (st == 0) || (has && !strstr(msg, has)))
		fail_msg("reply %llu: status %d: %s", (unsigned long long)id, st, msg);
}

/* Frozen, then thawed while others are served: the run starts once it can. */
static void test_stalled_run_others_answer(void **state)
{
	struct fix *f = *state;
	long ms;
	int fd;

	if (!f)
		skip(); /* no v1 freezer beside a cgroup2 tree here */
	fd = h_connect(&f->h);

	assert_true(fd >= 0);
	assert_int_equal(write_state(f->freezer, "FROZEN"), 0);
	send_run_then_list(fd);
	assert_int_equal(lmc_test_wait_until(leaf_has_process, f, 5000), 0);
	ms = list_ms(&f->h);
	if (ms < 0 || ms > ROOT_ANSWER_MS)
		fail_msg("another client's list during a stalled run: %s (%ld ms)",
			 ms < 0 ? strerror((int)-ms) : "too slow", ms);
	assert_int_equal(write_state(f->freezer, "THAWED"), 0);
	expect_reply(fd, 8000, 1, true, NULL);
	expect_reply(fd, 8000, 2, true, NULL);
	close(fd);
}

/* Left frozen: refused after the bound with a reason, the list behind it answered after. */
static void test_stalled_run_refused_after_bound(void **state)
{
	struct fix *f = *state;
	long long t0 = h_now_us();
	long ms;
	int fd;

	if (!f)
		skip(); /* no v1 freezer beside a cgroup2 tree here */
	fd = h_connect(&f->h);

	assert_true(fd >= 0);
	assert_int_equal(write_state(f->freezer, "FROZEN"), 0);
	send_run_then_list(fd);
	assert_int_equal(lmc_test_wait_until(leaf_has_process, f, 5000), 0);
	ms = list_ms(&f->h);
	if (ms < 0 || ms > ROOT_ANSWER_MS)
		fail_msg("another client's list during a stalled run: %s (%ld ms)",
			 ms < 0 ? strerror((int)-ms) : "too slow", ms);
	expect_reply(fd, LMC_NS_HANDSHAKE_MS + 10000, 1, false, "did not start within");
	assert_true(h_now_us() - t0 >= (LMC_NS_HANDSHAKE_MS - 500) * 1000LL);
	expect_reply(fd, 5000, 2, true, NULL);
	close(fd);
	ms = list_ms(&f->h);
	assert_true(ms >= 0 && ms <= ROOT_ANSWER_MS);
}

/* The first process of leaf st (0 none). */
static pid_t leaf_pid(struct fix *f)
{
	pid_t *pids = NULL, pid = 0;
	size_t n = 0;

	if (lmc_cgfs_procs(f->h.cg, "st", &pids, &n) >= 0 && n > 0)
		pid = pids[0];
	free(pids);
	return pid;
}

/* SIGKILL is pending on the (frozen) process: the destroy's kill was sent. */
static bool sigkill_pending(void *ud)
{
	char path[64], line[256];
	pid_t pid = *(pid_t *)ud;
	bool yes = false;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	fp = fopen(path, "re");
	if (!fp)
		return false;
	while (!yes && fgets(line, sizeof(line), fp))
		if (!strncmp(line, "SigPnd:", 7) || !strncmp(line, "ShdPnd:", 7))
			yes = strtoull(line + 7, NULL, 16) & (1ULL << (SIGKILL - 1));
	fclose(fp);
	return yes;
}

/* A destroy waiting for a process that cannot die yet (frozen by a v1 freezer above the
 * agent's tree) holds nobody else up; once thawed, it completes. */
static void test_stalled_destroy_others_answer(void **state)
{
	struct fix *f = *state;
	int fd, fd2;
	pid_t pid;
	long ms;

	if (!f)
		skip(); /* no v1 freezer beside a cgroup2 tree here */
	fd = h_connect(&f->h);
	assert_true(fd >= 0);
	LMCTL_OK("run", "-d", "st", "--", "sleep", "1000");
	assert_int_equal(lmc_test_wait_until(leaf_has_process, f, 5000), 0);
	pid = leaf_pid(f);
	assert_true(pid > 0);
	assert_int_equal(write_state(f->freezer, "FROZEN"), 0);
	assert_int_equal(request_send(fd, LMC_API_OP_DESTROY, 1, "st", NULL), 0);
	assert_int_equal(lmc_test_wait_until(sigkill_pending, &pid, 5000), 0);
	ms = list_ms(&f->h);
	if (ms < 0 || ms > ROOT_ANSWER_MS)
		fail_msg("another client's list during a stalled destroy: %s (%ld ms)",
			 ms < 0 ? strerror((int)-ms) : "too slow", ms);
	/* Meanwhile it runs nothing new. */
	fd2 = h_connect(&f->h);
	assert_true(fd2 >= 0);
	send_run_then_list(fd2);
	expect_reply(fd2, 5000, 1, false, "is being destroyed");
	expect_reply(fd2, 5000, 2, true, NULL);
	close(fd2);
	assert_int_equal(write_state(f->freezer, "THAWED"), 0);
	expect_reply(fd, LMC_NS_HANDSHAKE_MS + 5000, 1, true, NULL);
	close(fd);
	assert_false(lmc_cgfs_exists(f->h.cg, "st"));
}

/* Leaf name has a process (its init, placed in the frozen freezer). */
struct leaf_q {
	struct fix *f;
	const char *name;
};

static bool named_has_process(void *ud)
{
	const struct leaf_q *q = ud;
	pid_t *pids = NULL;
	size_t n = 0;
	bool yes = lmc_cgfs_procs(q->f->h.cg, q->name, &pids, &n) >= 0 && n > 0;

	free(pids);
	return yes;
}

static bool leaf_empty(void *ud)
{
	return !named_has_process(ud);
}

static pid_t named_pid(struct fix *f, const char *name)
{
	pid_t *pids = NULL, pid = 0;
	size_t n = 0;

	if (lmc_cgfs_procs(f->h.cg, name, &pids, &n) >= 0 && n > 0)
		pid = pids[0];
	free(pids);
	return pid;
}

/* A create of sn with pid and mount namespaces on fd. */
static void send_create_ns(int fd, uint64_t id)
{
	struct lmc_spec spec;
	struct lmc_api_req rq = {.op = LMC_API_OP_CREATE, .id = id, .name = "sn", .spec = &spec};
	uint8_t *buf;
	size_t len;

	lmc_spec_init(&spec);
	spec.ns.mask = LMC_NS_PID | LMC_NS_MNT;
	assert_int_equal(lmc_api_req_encode(&rq, &buf, &len), 0);
	assert_int_equal(lmc_frame_send(fd, buf, len, NULL, 0), 0);
	free(buf);
}

/* Frozen until the agent gave up on pid (its SIGKILL pending), then thawed. */
static void thaw_after_kill(struct fix *f, pid_t pid)
{
	assert_true(pid > 0);
	assert_int_equal(lmc_test_wait_until(sigkill_pending, &pid, LMC_NS_HANDSHAKE_MS + 10000),
			 0);
	assert_int_equal(write_state(f->freezer, "THAWED"), 0);
}

static void list_answers(const struct fix *f, const char *during)
{
	long ms = list_ms(&f->h);

	print_message("another client's list during %s: %ld ms\n", during, ms);
	if (ms < 0 || ms > ROOT_ANSWER_MS)
		fail_msg("another client's list during %s: %s (%ld ms)", during,
			 ms < 0 ? strerror((int)-ms) : "too slow", ms);
}

/* A `create --ns` whose init is frozen before its report holds nobody else up; left frozen
 * past the bound it is refused, and once the init can die nothing of it remains. */
static void test_stalled_create_ns(void **state)
{
	struct fix *f = *state;
	struct leaf_q q = {f, "sn"};
	char rec[256];
	int fd, fd2;

	if (!f)
		skip(); /* no v1 freezer beside a cgroup2 tree here */
	fd = h_connect(&f->h);
	assert_true(fd >= 0);
	assert_int_equal(write_state(f->freezer, "FROZEN"), 0);
	send_create_ns(fd, 1);
	assert_int_equal(request_send(fd, LMC_API_OP_LIST, 2, "", NULL), 0);
	assert_int_equal(lmc_test_wait_until(named_has_process, &q, 5000), 0);
	list_answers(f, "a stalled create --ns");
	/* meanwhile it is not there to create again, run in or destroy */
	fd2 = h_connect(&f->h);
	assert_true(fd2 >= 0);
	send_create_ns(fd2, 1);
	expect_reply(fd2, 5000, 1, false, "is being created");
	send_run_then_list_in(fd2, "sn");
	expect_reply(fd2, 5000, 1, false, "is being created");
	expect_reply(fd2, 5000, 2, true, NULL);
	assert_int_equal(request_send(fd2, LMC_API_OP_DESTROY, 3, "sn", NULL), 0);
	expect_reply(fd2, 5000, 3, false, "is being created");
	close(fd2);
	thaw_after_kill(f, named_pid(f, "sn"));
	expect_reply(fd, LMC_NS_HANDSHAKE_MS + 10000, 1, false, "did not start within");
	expect_reply(fd, 5000, 2, true, NULL);
	close(fd);
	assert_false(lmc_test_exists_anywhere(f->h.cg, "sn"));
	snprintf(rec, sizeof(rec), "%s/containers/sn.rec", f->h.state);
	assert_int_equal(access(rec, F_OK), -1);
	LMCTL_OK("create", "sn", "--ns=pid,mnt"); /* the name is free again */
}

static bool socket_stale(void *ud)
{
	return !h_answers(ud);
}

/* The agent ends (sig: stopped, or killed as a crash would) while a create --ns waits for
 * its frozen init: the CREATING record it leaves is undone at the next start. */
static void stalled_create_agent_ends(struct fix *f, int sig)
{
	struct leaf_q q = {f, "sn"};
	char rec[256];
	int fd;

	fd = h_connect(&f->h);
	assert_true(fd >= 0);
	assert_int_equal(write_state(f->freezer, "FROZEN"), 0);
	send_create_ns(fd, 1);
	assert_int_equal(lmc_test_wait_until(named_has_process, &q, 5000), 0);
	h_stop_agent(&f->h, sig);
	close(fd);
	assert_int_equal(write_state(f->freezer, "THAWED"), 0);
	/* Until it runs again the init (a clone of the agent that has not yet closed what it
	 * inherited) holds the agent's listening socket: the next agent would find it live. */
	assert_int_equal(lmc_test_wait_until(socket_stale, &f->h, 5000), 0);
	assert_int_equal(h_start_agent(&f->h), 0);
	assert_false(lmc_test_exists_anywhere(f->h.cg, "sn"));
	snprintf(rec, sizeof(rec), "%s/containers/sn.rec", f->h.state);
	assert_int_equal(access(rec, F_OK), -1);
	LMCTL_OK("create", "sn", "--ns=pid,mnt");
}

static void test_stalled_create_ns_agent_stopped(void **state)
{
	if (!*state)
		skip(); /* no v1 freezer beside a cgroup2 tree here */
	stalled_create_agent_ends(*state, SIGTERM);
}

static void test_stalled_create_ns_agent_killed(void **state)
{
	if (!*state)
		skip(); /* no v1 freezer beside a cgroup2 tree here */
	stalled_create_agent_ends(*state, SIGKILL);
}

/* A run into a namespaced leaf whose init was killed starts a new init first: frozen, it
 * holds nobody else up and is refused after the bound; thawed, the next run starts one. */
static void test_stalled_run_new_init(void **state)
{
	struct fix *f = *state;
	struct leaf_q q = {f, "sn"};
	pid_t init;
	int fd, fd2;

	if (!f)
		skip(); /* no v1 freezer beside a cgroup2 tree here */
	LMCTL_OK("create", "sn", "--ns=pid,mnt");
	init = named_pid(f, "sn");
	assert_true(init > 0);
	assert_int_equal(kill(init, SIGKILL), 0);
	assert_int_equal(lmc_test_wait_until(leaf_empty, &q, 5000), 0);
	fd = h_connect(&f->h);
	assert_true(fd >= 0);
	assert_int_equal(write_state(f->freezer, "FROZEN"), 0);
	send_run_then_list_in(fd, "sn");
	assert_int_equal(lmc_test_wait_until(named_has_process, &q, 5000), 0);
	list_answers(f, "a run starting a new init");
	/* another run meanwhile waits for the same init, and shares its fate */
	fd2 = h_connect(&f->h);
	assert_true(fd2 >= 0);
	send_run_then_list_in(fd2, "sn");
	thaw_after_kill(f, named_pid(f, "sn"));
	expect_reply(fd, LMC_NS_HANDSHAKE_MS + 10000, 1, false, "did not start within");
	expect_reply(fd, 5000, 2, true, NULL);
	expect_reply(fd2, 5000, 1, false, "did not start within");
	expect_reply(fd2, 5000, 2, true, NULL);
	close(fd);
	close(fd2);
	LMCTL_OK("run", "sn", "--", "true");
}

/* Thawed before the bound: the new init starts and so do the runs that waited for it. */
static void test_stalled_new_init_thawed(void **state)
{
	struct fix *f = *state;
	struct leaf_q q = {f, "sn"};
	int fd, fd2;

	if (!f)
		skip(); /* no v1 freezer beside a cgroup2 tree here */
	LMCTL_OK("create", "sn", "--ns=pid,mnt");
	assert_int_equal(kill(named_pid(f, "sn"), SIGKILL), 0);
	assert_int_equal(lmc_test_wait_until(leaf_empty, &q, 5000), 0);
	fd = h_connect(&f->h);
	fd2 = h_connect(&f->h);
	assert_true(fd >= 0 && fd2 >= 0);
	assert_int_equal(write_state(f->freezer, "FROZEN"), 0);
	send_run_then_list_in(fd, "sn");
	assert_int_equal(lmc_test_wait_until(named_has_process, &q, 5000), 0);
	send_run_then_list_in(fd2, "sn");
	list_answers(f, "a run starting a new init");
	assert_int_equal(write_state(f->freezer, "THAWED"), 0);
	expect_reply(fd, 8000, 1, true, NULL);
	expect_reply(fd, 5000, 2, true, NULL);
	expect_reply(fd2, 8000, 1, true, NULL);
	expect_reply(fd2, 5000, 2, true, NULL);
	close(fd);
	close(fd2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_stalled_run_others_answer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_run_refused_after_bound, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stalled_destroy_others_answer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stalled_create_ns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_create_ns_agent_stopped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stalled_create_ns_agent_killed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_stalled_run_new_init, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stalled_new_init_thawed, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
