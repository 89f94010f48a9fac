/* The agent's resumable event stream through its socket, on real cgroups in a scratch
 * subtree: sequence numbers, replay after a disconnect and after kill -9 of the agent (exactly
 * the missed events, none twice), a long replay to a fast reader, the gap event, lifecycle
 * events, a destroyed container ending its subscription, the OOM event's count against the
 * kernel's, threshold directions, and what happened while the agent was down (OOM kills,
 * task exits, a container emptied). Over 800 lines: every test speaks the raw protocol
 * through the same few helpers (subscribe, next_event, read_until, start_reader). */
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <sys/prctl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/events.h"
#include "core/evlog.h"
#include "proto/api.h"
#include "proto/frame.h"
#include "tests/integration/agent-fixture.h"
#include "tools/cli/backend.h"

#define MiB (1024ULL * 1024)
#define MAX_EV 64

static void create(struct lmc_backend *b, const char *name, uint64_t mem)
{
	struct lmc_spec s;
	struct lmc_err err = {0};

	lmc_spec_init(&s);
	s.memory.limit = mem;
	if (b->ops->create(b, name, &s, &err) < 0)
		fail_msg("create %s: %s", name, lmc_err_str(&err));
}

static void destroy(struct lmc_backend *b, const char *name)
{
	struct lmc_err err = {0};

	if (b->ops->destroy(b, name, true, &err) < 0)
		fail_msg("destroy %s: %s", name, lmc_err_str(&err));
}

/* Run sh -c script in name as task id (NULL: one is picked) and wait for its status. */
static int run_task(struct lmc_backend *b, const char *name, const char *id, const char *script)
{
	const char *argv[] = {"sh", "-c", script, NULL};
	struct lmc_run_opts ro = {.stdio = {-1, -1, -1}, .argv = argv, .task_id = id};
	struct lmc_err err = {0};
	pid_t pid;
	int st;

	if (b->ops->run(b, name, &ro, &pid, &st, &err) < 0)
		fail_msg("run in %s: %s", name, lmc_err_str(&err));
	return st;
}

static int run_sh(struct lmc_backend *b, const char *name, const char *script)
{
	return run_task(b, name, NULL, script);
}

/* A raw subscription (the acknowledgement read); resume: since is asked. */
static int subscribe(const struct harness *h, const char *name, const struct lmc_api_sub *f)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_SUBSCRIBE, .id = 77, .name = name, .sub = *f};
	struct lmc_api_resp resp;
	uint8_t *buf;
	size_t len, nfds = 0;
	int fd = h_connect(h);

	assert_true(fd >= 0);
	assert_int_equal(lmc_api_req_encode(&rq, &buf, &len), 0);
	assert_int_equal(lmc_frame_send(fd, buf, len, NULL, 0), 0);
	free(buf);
	assert_int_equal(lmc_frame_recv(fd, &buf, &len, NULL, &nfds, 10000), 0);
	assert_int_equal(lmc_api_resp_decode(buf, len, &resp), 0);
	free(buf);
	if (resp.status)
		fail_msg("subscribe %s: %s", name, resp.msg);
	lmc_api_resp_done(&resp);
	return fd;
}

/* The next event within timeout_ms; false if none came (or the stream ended). */
static bool next_event(int fd, int timeout_ms, struct lmc_evrec *ret)
{
	struct lmc_api_resp resp;
	uint8_t *buf;
	size_t len, nfds = 0;

	if (lmc_frame_recv(fd, &buf, &len, NULL, &nfds, timeout_ms) < 0)
		return false;
	assert_int_equal(lmc_api_resp_decode(buf, len, &resp), 0);
	free(buf);
	assert_int_equal(resp.id, 77);
	assert_int_equal(resp.payload, LMC_API_PAY_EVENT);
	*ret = resp.event;
	lmc_api_resp_done(&resp);
	return true;
}

/* Read events until one of kind for name arrives (10 s bound); collected into ev[]. */
static size_t read_until(int fd, enum lmc_events_kind kind, const char *name, struct lmc_evrec *ev,
			 size_t n, size_t max)
{
	while (n < max) {
		if (!next_event(fd, 10000, &ev[n]))
			fail_msg("no %d event for %s within 10 s", (int)kind, name);
		if (ev[n++].kind == kind && strcmp(ev[n - 1].name, name) == 0)
			return n;
	}
	fail_msg("too many events");
	return n;
}

static const struct lmc_api_sub all_kinds = {.recursive = true,
					     .lifecycle = true,
					     .started = true,
					     .exit = true,
					     .threshold = LMC_UNSET};

/* A subscriber that disconnects, then the agent is killed -9 and restarted: resuming from
 * its last seq it gets exactly what happened meanwhile, in order, none twice. */
static void test_resume_after_kill9(void **state)
{
	struct harness *h = *state;
	struct lmc_backend *b = h_open_be(h);
	struct lmc_api_sub f = all_kinds;
	struct lmc_evrec ev[MAX_EV];
	uint64_t last;
	size_t n;
	int fd;

	fd = subscribe(h, "", &f);
	create(b, "rs", 256 * MiB);
	create(b, "rs/a", 64 * MiB);
	assert_int_equal(run_task(b, "rs/a", "three", "exit 3"), 3);
	n = read_until(fd, LMC_EVK_EXIT, "rs/a", ev, 0, MAX_EV);
	assert_int_equal(n, 4); /* created rs, created rs/a, started, exit */
	assert_int_equal(ev[0].kind, LMC_EVK_CREATED);
	for (size_t i = 1; i < n; i++)
		assert_int_equal(ev[i].seq, ev[i - 1].seq + 1);
	assert_int_equal(WEXITSTATUS(ev[3].wstatus), 3);
	/* A task's events name it, as the run's reply did. */
	assert_string_equal(ev[2].task_id, "three");
	assert_string_equal(ev[3].task_id, "three");
	assert_string_equal(ev[1].task_id, "");
	last = ev[n - 1].seq;
	close(fd);

	/* Missed while disconnected, then while the agent restarts after kill -9. */
	create(b, "rs/b", 32 * MiB);
	b->ops->close(b);
	h_stop_agent(h, SIGKILL);
	assert_int_equal(h_start_agent(h), 0);
	b = h_open_be(h);
	destroy(b, "rs/b");
	assert_int_equal(run_task(b, "rs/a", "nine", "kill -9 $$"), 128 + SIGKILL);

	f.resume = true;
	f.since = last;
	fd = subscribe(h, "", &f);
	n = read_until(fd, LMC_EVK_EXIT, "rs/a", ev, 0, MAX_EV);
	assert_int_equal(n, 4);
	assert_int_equal(ev[0].kind, LMC_EVK_CREATED);
	assert_string_equal(ev[0].name, "rs/b");
	assert_int_equal(ev[1].kind, LMC_EVK_DESTROYED);
	assert_string_equal(ev[1].name, "rs/b");
	assert_int_equal(ev[2].kind, LMC_EVK_STARTED);
	assert_true(WIFSIGNALED(ev[3].wstatus) && WTERMSIG(ev[3].wstatus) == SIGKILL);
	assert_string_equal(ev[3].task_id, "nine"); /* replayed from the journal after kill -9 */
	for (size_t i = 0; i < n; i++)
		assert_int_equal(ev[i].seq, last + 1 + i);
	/* Nothing twice: live events follow the replay with the next numbers. */
	create(b, "rs/c", 32 * MiB);
	assert_true(next_event(fd, 10000, &ev[0]));
	assert_int_equal(ev[0].kind, LMC_EVK_CREATED);
	assert_int_equal(ev[0].seq, last + 5);
	assert_false(next_event(fd, 200, &ev[1]));
	close(fd);
	destroy(b, "rs");
	b->ops->close(b);
}

/* A journal of 4: resuming from further back starts with a GAP, then the 4 kept events;
 * resuming from beyond the counter (history lost) is a GAP too. */
static void test_gap(void **state)
{
	struct harness *h = *state;
	struct lmc_backend *b;
	struct lmc_api_sub f = all_kinds;
	struct lmc_evrec ev[8];
	char name[32];
	int fd;

	h_stop_agent(h, SIGTERM);
	h->extra[0] = "--event-history=4";
	assert_int_equal(h_start_agent(h), 0);
	b = h_open_be(h);
	create(b, "gp", 256 * MiB);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "gp/c%d", i);
		create(b, name, 32 * MiB);
	}
	f.resume = true;
	f.since = 1;
	fd = subscribe(h, "", &f);
	assert_true(next_event(fd, 10000, &ev[0]));
	assert_int_equal(ev[0].kind, LMC_EVK_GAP);
	assert_int_equal(ev[0].seq, 0);
	for (int i = 1; i <= 4; i++) {
		assert_true(next_event(fd, 10000, &ev[i]));
		assert_int_equal(ev[i].kind, LMC_EVK_CREATED);
	}
	assert_int_equal(ev[0].value, ev[1].seq); /* the oldest kept */
	assert_string_equal(ev[4].name, "gp/c4");
	assert_false(next_event(fd, 200, &ev[5]));
	close(fd);

	f.since = ev[4].seq + 1000;
	fd = subscribe(h, "", &f);
	assert_true(next_event(fd, 10000, &ev[0]));
	assert_int_equal(ev[0].kind, LMC_EVK_GAP);
	close(fd);
	destroy(b, "gp");
	b->ops->close(b);
	h->extra[0] = NULL;
}

/* Frames on fd within a 3 s wait each until want arrived (their payloads not decoded: a
 * reader as fast as a client can be, which empties the agent's socket as it writes). */
static size_t count_frames(int fd, size_t want)
{
	static uint8_t buf[1 << 20];
	size_t n = 0, have = 0, need = LMC_FRAME_HDR;
	bool in_hdr = true;
	uint32_t len = 0;

	while (n < want) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t got;

		if (poll(&p, 1, 3000) != 1)
			return n;
		got = recv(fd, buf, sizeof(buf), 0);
		if (got <= 0)
			return n;
		for (size_t i = 0; i < (size_t)got;) {
			size_t take = need - have < (size_t)got - i ? need - have : (size_t)got - i;

			if (in_hdr)
				for (size_t k = 0; k < take; k++)
					len = len << 8 | buf[i + k];
			i += take;
			have += take;
			if (have < need)
				break;
			n += !in_hdr;
			in_hdr = !in_hdr;
			need = in_hdr ? LMC_FRAME_HDR : len;
			have = 0;
			len = in_hdr ? 0 : len;
		}
	}
	return n;
}

/* A resume that replays many socket-fulls (100,000 journaled events, about 6 MB) to a reader
 * that keeps up: every one arrives. The replay goes a chunk at a time when the socket
 * drains; a chunk the reader took whole while it was sent left nothing to wait for, and
 * the replay stalled for good (bench/events.sh hung 1 replay in 12). */
static void test_replay_large(void **state)
{
	enum { SEEDED = 100000, ROUNDS = 5 };
	struct harness *h = *state;
	struct lmc_api_sub f = all_kinds;
	struct lmc_evlog *l = NULL;
	struct lmc_err err = {0};
	uint64_t first;

	h_stop_agent(h, SIGTERM);
	assert_int_equal(lmc_evlog_open(h->state, SEEDED, &l, &err), 0);
	first = lmc_evlog_last(l);
	for (int i = 0; i < SEEDED; i++) {
		struct lmc_evrec ev = {.kind = i % 2 ? LMC_EVK_DESTROYED : LMC_EVK_CREATED};

		snprintf(ev.name, sizeof(ev.name), "seed/c%d", i / 2);
		assert_int_equal(lmc_evlog_append(l, &ev), 0);
	}
	lmc_evlog_free(l);
	assert_int_equal(h_start_agent(h), 0);
	f.resume = true;
	f.since = first;
	for (int r = 0; r < ROUNDS; r++) {
		int fd = subscribe(h, "", &f);
		size_t got = count_frames(fd, SEEDED);

		close(fd);
		if (got != SEEDED)
			fail_msg("replay %d: %zu of %d events, then nothing for 3 s", r, got,
				 SEEDED);
	}
}

/* Destroying the container a subscription watches ends it with a DESTROYED event. */
static void test_destroy_ends_stream(void **state)
{
	struct harness *h = *state;
	struct lmc_backend *b = h_open_be(h);
	struct lmc_api_sub f = {.oom = true, .threshold = LMC_UNSET};
	struct lmc_evrec ev;
	int fd;

	create(b, "gone", 64 * MiB);
	fd = subscribe(h, "gone", &f);
	destroy(b, "gone");
	assert_true(next_event(fd, 10000, &ev));
	assert_int_equal(ev.kind, LMC_EVK_DESTROYED);
	assert_string_equal(ev.name, "gone");
	assert_true(ev.seq > 0);
	/* A container of that name again: the ended subscription hears nothing of it. */
	create(b, "gone", 64 * MiB);
	destroy(b, "gone");
	assert_false(next_event(fd, 300, &ev));
	close(fd);
	b->ops->close(b);
}

static uint64_t oom_kills(struct lmc_backend *b, const char *name)
{
	struct lmc_stats_entry *st;
	struct lmc_err err = {0};
	size_t n;
	uint64_t v;

	assert_int_equal(b->ops->stats(b, name, false, 0, &st, &n, &err), 0);
	v = st[0].stats.mem_oom_kills;
	free(st);
	return v == LMC_UNSET ? 0 : v;
}

/* The OOM event carries the kernel's count with this kill counted (v1 notifies first). */
static void test_oom_count(void **state)
{
	struct harness *h = *state;
	struct lmc_backend *b = h_open_be(h);
	struct lmc_api_sub f = {.oom = true, .threshold = LMC_UNSET};
	const char *hog = "x=$(head -c 67108864 /dev/zero | tr '\\0' a)";
	struct lmc_evrec ev;
	uint64_t prev = 0;
	/* A run's last notification may come late (v1 sends one per task that meets the OOM);
	 * an emulated VM runs about ten times slower than a host. */
	int fd, quiet_ms = getenv("LMCTL_V2_VM") ? 5000 : 500;

	create(b, "oc", 16 * MiB);
	fd = subscribe(h, "oc", &f);
	for (uint64_t i = 1; i <= 2; i++) {
		uint64_t last = prev;
		unsigned seen = 0, late = 0;

		assert_int_equal(run_sh(b, "oc", hog), 128 + SIGKILL);
		do
			assert_true(next_event(fd, 10000, &ev));
		while (ev.kind != LMC_EVK_OOM);
		/* One run may be more than one kill: the last event's count is the kernel's. */
		do
			if (ev.kind == LMC_EVK_OOM) {
				/* v1 may notify one OOM several times, and on a loaded host the last
				 * of the previous run's may come after the quiet window: a repeat of
				 * that count (prev) is allowed, before this run's first. After it,
				 * this kill is counted: never the count before it (i - 1), and the
				 * count never goes back. */
				if (ev.value == prev && last == prev && prev < i)
					late++;
				else
					assert_true(ev.value >= i && ev.value >= last);
				last = ev.value;
				seen++;
			}
		while (next_event(fd, quiet_ms, &ev));
		print_message("OOM events %u (%u repeating the run before), last count %llu\n",
			      seen, late, (unsigned long long)last);
		assert_true(last >= i);
		assert_int_equal(last, oom_kills(b, "oc"));
		prev = last;
	}
	close(fd);
	destroy(b, "oc");
	b->ops->close(b);
}

/* The OOM event names its victim: the one process in the container, whose pid the run
 * returned (the kernel logs the kill before it counts it; the agent reads /dev/kmsg). */
static void test_oom_victim(void **state)
{
	struct harness *h = *state;
	struct lmc_backend *b = h_open_be(h);
	struct lmc_api_sub f = {.oom = true, .threshold = LMC_UNSET};
	/* tail keeps the line it reads until a newline, which /dev/zero never sends */
	const char *argv[] = {"sh", "-c", "exec tail /dev/zero", NULL};
	struct lmc_run_opts ro = {.stdio = {-1, -1, -1}, .argv = argv};
	struct lmc_err err = {0};
	struct lmc_evrec ev;
	pid_t pid;
	int fd, st;

	/* the agent names victims from the kernel log; where it cannot read it, pids are 0 */
	fd = open("/dev/kmsg", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		skip();
	close(fd);
	create(b, "ov", 16 * MiB);
	fd = subscribe(h, "ov", &f);
	if (b->ops->run(b, "ov", &ro, &pid, &st, &err) < 0)
		fail_msg("run in ov: %s", lmc_err_str(&err));
	assert_int_equal(st, 128 + SIGKILL);
	do
		assert_true(next_event(fd, 10000, &ev));
	while (ev.kind != LMC_EVK_OOM);
	print_message("OOM event: count %llu, victim %d; the run's pid %d\n",
		      (unsigned long long)ev.value, (int)ev.pid, (int)pid);
	assert_int_equal(ev.pid, pid);
	close(fd);
	destroy(b, "ov");
	b->ops->close(b);
}

/* An OOM kill while the agent is down (kill -9) is not lost: at start the agent watches
 * again the sources it watched, finds the kernel's count past the one it journaled, and
 * journals an OOM event with the new count, which a subscriber resuming from its last seq
 * receives. The agent used to open no source until a subscriber came back, and then from
 * the kernel's count as it was then: that kill was never reported. */
static void test_oom_while_down(void **state)
{
	struct harness *h = *state;
	struct lmc_backend *b = h_open_be(h);
	struct lmc_api_sub f = {.oom = true, .threshold = LMC_UNSET};
	struct lmc_evrec ev;
	uint64_t last, count;
	pid_t pid;
	int fd, st;

	create(b, "od", 16 * MiB);
	fd = subscribe(h, "od", &f);
	assert_int_equal(run_sh(b, "od", "exec tail /dev/zero"), 128 + SIGKILL);
	do
		assert_true(next_event(fd, 10000, &ev));
	while (ev.kind != LMC_EVK_OOM);
	do /* v1 may notify one kill more than once */
		last = ev.seq;
	while (next_event(fd, 500, &ev));
	count = oom_kills(b, "od");
	close(fd);
	b->ops->close(b);
	h_stop_agent(h, SIGKILL);

	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (lmc_cgfs_attach(h->cg, "od", getpid(), false, NULL) < 0)
			_exit(99);
		execlp("tail", "tail", "/dev/zero", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);

	assert_int_equal(h_start_agent(h), 0);
	b = h_open_be(h);
	assert_int_equal(oom_kills(b, "od"), count + 1);
	f.resume = true;
	f.since = last;
	fd = subscribe(h, "od", &f);
	do
		assert_true(next_event(fd, 10000, &ev));
	while (ev.kind != LMC_EVK_OOM);
	print_message("after the restart: OOM event seq %llu, count %llu (kernel %llu)\n",
		      (unsigned long long)ev.seq, (unsigned long long)ev.value,
		      (unsigned long long)(count + 1));
	assert_true(ev.seq > last);
	assert_int_equal(ev.value, count + 1);
	close(fd);
	destroy(b, "od");
	b->ops->close(b);
}

/* A task's record through the agent. */
static struct lmc_task task_get(struct lmc_backend *b, const char *name, const char *id)
{
	struct lmc_task_query q = {.op = LMC_TASK_OP_GET, .name = name, .task_id = id};
	struct lmc_task_answer ans = {0};
	struct lmc_err err = {0};
	struct lmc_task t;

	if (b->ops->task(b, &q, &ans, &err) < 0 || ans.n != 1)
		fail_msg("task %s %s: %s", name, id, lmc_err_str(&err));
	t = ans.tasks[0];
	t.argv = NULL;
	ans.n = 1;
	lmc_task_answer_done(&ans);
	return t;
}

/* A detached task `read x; CMD` whose stdin is the returned fd's pipe. */
static int start_reader(struct lmc_backend *b, const char *name, const char *id, const char *cmd,
			pid_t *ret_pid)
{
	char script[128];
	const char *argv[] = {"sh", "-c", script, NULL};
	struct lmc_run_opts ro = {.argv = argv, .detach = true, .task_id = id};
	struct lmc_err err = {0};
	int in[2], st;

	snprintf(script, sizeof(script), "read x; %s", cmd);
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	ro.stdio[0] = in[0], ro.stdio[1] = -1, ro.stdio[2] = -1;
	if (b->ops->run(b, name, &ro, ret_pid, &st, &err) < 0)
		fail_msg("run in %s: %s", name, lmc_err_str(&err));
	close(in[0]);
	return in[1];
}

/* pid, an orphan this process adopted (a subreaper), has ended: left unreaped (10 s). */
static bool ended_unreaped(pid_t pid)
{
	for (int i = 0; i < 1000; i++) {
		siginfo_t si = {0};

		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT | WNOHANG) == 0 && si.si_pid)
			return true;
		usleep(10000);
	}
	return false;
}

/* Tasks that end while the agent is down (kill -9) get their EXIT events at its restart,
 * with the status the kernel kept (this process is their subreaper and does not reap
 * them meanwhile): a subscriber resuming from before the outage learns of them, once. The
 * agent used to fix their records and journal nothing. */
static void test_exit_while_down(void **state)
{
	struct harness *h = *state;
	struct lmc_backend *b = h_open_be(h);
	struct lmc_api_sub f = {.exit = true, .threshold = LMC_UNSET};
	struct lmc_evrec ev[MAX_EV];
	int fd, in5, interm, seen = 0;
	pid_t p5, pterm;
	uint64_t last;
	size_t n;

	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	create(b, "xw", 64 * MiB);
	fd = subscribe(h, "xw", &f);
	assert_int_equal(run_sh(b, "xw", "exit 0"), 0);
	n = read_until(fd, LMC_EVK_EXIT, "xw", ev, 0, MAX_EV);
	last = ev[n - 1].seq;
	close(fd);
	in5 = start_reader(b, "xw", "five", "exit 5", &p5);
	interm = start_reader(b, "xw", "term", "kill -TERM $$", &pterm);
	b->ops->close(b);
	h_stop_agent(h, SIGKILL);
	close(in5);
	close(interm);
	/* both end; their zombies are this process's now, and not reaped until the end */
	assert_true(ended_unreaped(p5) && ended_unreaped(pterm));
	assert_int_equal(h_start_agent(h), 0);
	b = h_open_be(h);
	f.resume = true;
	f.since = last;
	fd = subscribe(h, "xw", &f);
	while (seen < 2) {
		struct lmc_evrec e;

		if (!next_event(fd, 10000, &e))
			fail_msg("%d of 2 EXIT events after the restart", seen);
		if (e.kind != LMC_EVK_EXIT)
			continue;
		print_message("after the restart: EXIT pid %d status 0x%x: %s\n", (int)e.pid,
			      e.wstatus, e.detail);
		assert_string_equal(e.task_id, e.pid == p5 ? "five" : "term");
		if (e.pid == p5)
			assert_true(WIFEXITED(e.wstatus) && WEXITSTATUS(e.wstatus) == 5);
		else if (e.pid == pterm)
			assert_true(WIFSIGNALED(e.wstatus) && WTERMSIG(e.wstatus) == SIGTERM);
		else
			fail_msg("an EXIT event for pid %d", (int)e.pid);
		seen++;
	}
	assert_false(next_event(fd, 300, &ev[0])); /* none twice */
	assert_int_equal(task_get(b, "xw", "five").exit_code, 5);
	assert_int_equal(task_get(b, "xw", "term").signal, SIGTERM);
	close(fd);
	waitpid(p5, NULL, 0);
	waitpid(pterm, NULL, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	destroy(b, "xw");
	b->ops->close(b);
}

/* A container watched for emptiness that empties while the agent is down (its only task
 * ends in the outage): at the restart the agent journals its EMPTY event, so a subscriber
 * resuming from before the outage receives it, once. */
static void test_empty_while_down(void **state)
{
	struct harness *h = *state;
	struct lmc_backend *b = h_open_be(h);
	struct lmc_api_sub f = {.empty = true, .started = true, .threshold = LMC_UNSET};
	struct lmc_evrec ev[MAX_EV];
	uint64_t last;
	size_t n;
	int fd, in;
	pid_t p;

	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	create(b, "ew", 64 * MiB);
	fd = subscribe(h, "ew", &f);
	in = start_reader(b, "ew", "rd", "exit 0", &p);
	n = read_until(fd, LMC_EVK_STARTED, "ew", ev, 0, MAX_EV);
	last = ev[n - 1].seq;
	close(fd);
	b->ops->close(b);
	h_stop_agent(h, SIGKILL);
	close(in);
	assert_true(ended_unreaped(p)); /* ew holds no process now */
	assert_int_equal(h_start_agent(h), 0);
	b = h_open_be(h);
	f.resume = true;
	f.since = last;
	fd = subscribe(h, "ew", &f);
	n = read_until(fd, LMC_EVK_EMPTY, "ew", ev, 0, MAX_EV);
	assert_true(ev[n - 1].seq > last);
	if (next_event(fd, 300, &ev[0])) /* once */
		fail_msg("after the empty event: kind %d for %s (seq %llu): %s", (int)ev[0].kind,
			 ev[0].name, (unsigned long long)ev[0].seq, ev[0].detail);
	close(fd);
	/* Another restart with nothing changed: no second one. */
	last = ev[n - 1].seq;
	b->ops->close(b);
	h_stop_agent(h, SIGKILL);
	assert_int_equal(h_start_agent(h), 0);
	b = h_open_be(h);
	f.since = last;
	fd = subscribe(h, "ew", &f);
	assert_false(next_event(fd, 500, &ev[0]));
	close(fd);
	waitpid(p, NULL, 0);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	destroy(b, "ew");
	b->ops->close(b);
}

/* The agent killed after a task's EXIT event went to the journal, before the task's
 * record was written (the crash point "exit-after-event"): at its restart the record takes
 * the journaled status (the kernel kept none: the agent had reaped it), not "lost", and
 * a subscriber resuming from before it gets that EXIT event once. */
static void test_exit_crash_window(void **state)
{
	struct harness *h = *state;
	struct lmc_backend *b = h_open_be(h);
	struct lmc_api_sub f = {.exit = true, .threshold = LMC_UNSET};
	struct lmc_evrec ev[MAX_EV];
	struct lmc_task t;
	int fd, in, exits = 0;
	uint64_t last;
	pid_t pid;
	size_t n;

	create(b, "cw", 64 * MiB);
	fd = subscribe(h, "cw", &f);
	assert_int_equal(run_sh(b, "cw", "exit 0"), 0);
	n = read_until(fd, LMC_EVK_EXIT, "cw", ev, 0, MAX_EV);
	last = ev[n - 1].seq;
	close(fd);
	b->ops->close(b);
	assert_int_equal(h_restart_crash_at(h, "exit-after-event"), 0);
	b = h_open_be(h);
	in = start_reader(b, "cw", "seven", "exit 7", &pid);
	b->ops->close(b);
	close(in);
	assert_int_equal(lmc_test_wait_until(h_agent_gone, h, 10000), 0); /* at the point */
	h->agent = 0;
	assert_int_equal(h_start_agent(h), 0);
	b = h_open_be(h);
	t = task_get(b, "cw", "seven");
	assert_string_equal(lmc_task_state_str(t.state), "exited");
	assert_int_equal(t.exit_code, 7);
	f.resume = true;
	f.since = last;
	fd = subscribe(h, "cw", &f);
	while (next_event(fd, 500, &ev[0]))
		if (ev[0].kind == LMC_EVK_EXIT) {
			assert_int_equal(ev[0].pid, pid);
			assert_true(WIFEXITED(ev[0].wstatus) && WEXITSTATUS(ev[0].wstatus) == 7);
			exits++;
		}
	assert_int_equal(exits, 1);
	close(fd);
	destroy(b, "cw");
	b->ops->close(b);
}

/* One line from fd (the test's end of the task's stdout), 10 s bound. */
static void read_line(int fd, const char *want)
{
	char buf[64];
	size_t n = 0;
	struct pollfd p = {.fd = fd, .events = POLLIN};

	while (n < sizeof(buf) - 1 && (n == 0 || buf[n - 1] != '\n')) {
		assert_int_equal(poll(&p, 1, 10000), 1);
		assert_int_equal(read(fd, buf + n, 1), 1);
		n++;
	}
	buf[n] = '\0';
	assert_string_equal(buf, want);
}

/* The next threshold event for "th" (others skipped), 10 s bound. */
static struct lmc_evrec next_threshold(int fd)
{
	struct lmc_evrec ev;

	do
		if (!next_event(fd, 10000, &ev))
			fail_msg("no threshold event within 10 s");
	while (ev.kind != LMC_EVK_THRESHOLD);
	return ev;
}

/* A memory threshold event says which way usage crossed: up when a task writes a 64 MiB
 * file (its page cache) in a container watched at 32 MiB, down when it removes the file. Then the same
 * while the agent is stopped (SIGSTOP), so the kernel signals both crossings before the
 * agent reads usage (already back under): both are reported, up then down, where the
 * kernel signals each crossing (v1's usage eventfd; cgroup v2 has no notification, the
 * agent samples usage, and a crossing shorter than its period is not seen). The agent used
 * to report one crossing, "down", from the usage it read. */
static void test_threshold_direction(void **state)
{
	struct harness *h = *state;
	struct lmc_backend *b = h_open_be(h);
	struct lmc_api_sub f = {.threshold = 32 * MiB};
	char script[384], file[128];
	const char *argv[] = {"sh", "-c", script, NULL};
	struct lmc_run_opts ro = {.argv = argv, .detach = true};
	struct lmc_err err = {0};
	struct lmc_evrec ev;
	int in[2], out[2], fd, st;
	pid_t pid;

	snprintf(file, sizeof(file), "%s/th-fill", h->dir); /* page cache: charged to th */
	snprintf(script, sizeof(script),
		 "while read x; do head -c 67108864 /dev/zero > %s; echo up; read x; rm -f %s; "
		 "echo down; done",
		 file, file);
	create(b, "th", 256 * MiB);
	fd = subscribe(h, "th", &f);
	assert_int_equal(pipe2(in, O_CLOEXEC), 0);
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	ro.stdio[0] = in[0], ro.stdio[1] = out[1], ro.stdio[2] = -1;
	if (b->ops->run(b, "th", &ro, &pid, &st, &err) < 0)
		fail_msg("run in th: %s", lmc_err_str(&err));
	close(in[0]);
	close(out[1]);

	assert_int_equal(write(in[1], "\n", 1), 1);
	read_line(out[0], "up\n");
	ev = next_threshold(fd);
	assert_int_equal(ev.direction, 1);
	assert_true(ev.value >= 32 * MiB);
	assert_int_equal(write(in[1], "\n", 1), 1);
	read_line(out[0], "down\n");
	ev = next_threshold(fd);
	assert_int_equal(ev.direction, -1);
	assert_true(ev.value < 32 * MiB);

	if (lmc_cgfs_mode(h->cg) != LMC_CG_V2) {
		assert_int_equal(kill(h->agent, SIGSTOP), 0);
		assert_int_equal(write(in[1], "\n", 1), 1);
		read_line(out[0], "up\n");
		assert_int_equal(write(in[1], "\n", 1), 1);
		read_line(out[0], "down\n");
		assert_int_equal(kill(h->agent, SIGCONT), 0);
		ev = next_threshold(fd);
		assert_int_equal(ev.direction, 1);
		ev = next_threshold(fd);
		assert_int_equal(ev.direction, -1);
		assert_true(ev.value < 32 * MiB);
	}
	close(in[1]); /* the task's read ends it */
	close(out[0]);
	unlink(file);
	close(fd);
	destroy(b, "th");
	b->ops->close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resume_after_kill9, h_fixture_setup,
						h_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_gap, h_fixture_setup, h_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_replay_large, h_fixture_setup,
						h_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_destroy_ends_stream, h_fixture_setup,
						h_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_oom_victim, h_fixture_setup,
						h_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_oom_count, h_fixture_setup,
						h_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_threshold_direction, h_fixture_setup,
						h_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_oom_while_down, h_fixture_setup,
						h_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_exit_while_down, h_fixture_setup,
						h_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_exit_crash_window, h_fixture_setup,
						h_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_empty_while_down, h_fixture_setup,
						h_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
