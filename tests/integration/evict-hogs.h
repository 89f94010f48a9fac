/* Workloads and the event stream for the eviction tests (test_evict, test_evict_machine):
 * memory hogs that are children of the test, moved into their container before they
 * allocate, and a subscription to the agent's events. Header-only, like agent-harness.h. */
#ifndef LMC_TEST_EVICT_HOGS_H
#define LMC_TEST_EVICT_HOGS_H

#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sys/syscall.h>

#include "proto/api.h"
#include "proto/frame.h"
#include "tests/integration/agent-harness.h"
#include "tools/cli/backend.h"

static inline struct lmc_backend *open_be(const struct harness *h)
{
	struct lmc_backend *b = NULL;
	struct lmc_err err = {0};

	assert_int_equal(lmc_backend_agent_open(h->sock, &b, &err), 0);
	return b;
}

static inline void create(struct lmc_backend *b, const char *name, uint64_t mem, int64_t prio,
			  uint64_t resv)
{
	struct lmc_spec s;
	struct lmc_err err = {0};

	lmc_spec_init(&s);
	s.memory.limit = mem;
	s.memory.eviction_priority = prio;
	s.memory.reservation = resv;
	if (b->ops->create(b, name, &s, &err) < 0)
		fail_msg("create %s: %s", name, lmc_err_str(&err));
}

/* ---- workloads ---- */

struct hog {
	pid_t pid;
	int pidfd;
	int ctl; /* write a byte: grow by one more `step` chunk (controlled hogs) */
};

/* Allocate `start` bytes, then (grow_ms > 0) another `step` every grow_ms, or (grow_ms == 0)
 * one `step` per byte read from ctl, up to cap bytes in all (0: no cap); touch everything all
 * along. */
static inline void hog_main(int go, int ctl, uint64_t start, uint64_t step, int grow_ms,
			    uint64_t cap)
{
	char **chunks = calloc(4096, sizeof(*chunks));
	uint64_t sizes[4096], n = 0;
	char c;

	if (read(go, &c, 1) != 1)
		_exit(1);
	for (uint64_t left = start; left; n++) {
		sizes[n] = left < step ? left : step;
		chunks[n] = malloc(sizes[n]);
		memset(chunks[n], 1, sizes[n]);
		left -= sizes[n];
	}
	for (long long next = h_now_us() + grow_ms * 1000LL;;) {
		bool more = grow_ms > 0 ? h_now_us() >= next : read(ctl, &c, 1) == 1;

		if (more && n < 4096 && (!cap || (n + 1) * step <= cap)) {
			sizes[n] = step;
			chunks[n] = malloc(step);
			memset(chunks[n], 2, step);
			n++;
			next += grow_ms * 1000LL;
		}
		for (uint64_t i = 0; i < n; i++) /* keep it all in use */
			for (uint64_t off = 0; off < sizes[i]; off += 4096)
				chunks[i][off]++;
		usleep(grow_ms > 0 ? 5000 : 20000);
	}
}

static inline struct hog hog_start_capped(struct lmc_backend *b, const char *name, uint64_t start,
					  uint64_t step, int grow_ms, uint64_t cap)
{
	struct lmc_err err = {0};
	struct hog g = {.ctl = -1};
	int go[2], ctl[2];

	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	assert_int_equal(pipe2(ctl, O_CLOEXEC | O_NONBLOCK), 0);
	g.pid = fork();
	assert_true(g.pid >= 0);
	if (g.pid == 0) {
		close(go[1]);
		close(ctl[1]);
		fcntl(ctl[0], F_SETFL, 0);
		hog_main(go[0], ctl[0], start, step, grow_ms, cap);
	}
	close(go[0]);
	close(ctl[0]);
	g.ctl = ctl[1];
	g.pidfd = (int)syscall(SYS_pidfd_open, g.pid, 0);
	assert_true(g.pidfd >= 0);
	if (b->ops->enter(b, name, &g.pid, 1, &err) < 0)
		fail_msg("enter %s: %s", name, lmc_err_str(&err));
	assert_int_equal(write(go[1], "g", 1), 1);
	close(go[1]);
	return g;
}

static inline struct hog hog_start(struct lmc_backend *b, const char *name, uint64_t start,
				   uint64_t step, int grow_ms)
{
	return hog_start_capped(b, name, start, step, grow_ms, 0);
}

/* Wait (bounded) for the hog to end; its wait status, -1 if it is still running. */
static inline int hog_wait(struct hog *g, int timeout_ms, long long *ret_dead_realtime_us)
{
	struct pollfd p = {.fd = g->pidfd, .events = POLLIN};
	struct timespec ts;
	int st = -1;

	if (poll(&p, 1, timeout_ms) != 1)
		return -1;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (ret_dead_realtime_us)
		*ret_dead_realtime_us = ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
	assert_int_equal(waitpid(g->pid, &st, 0), g->pid);
	close(g->pidfd);
	close(g->ctl);
	g->pid = 0;
	return st;
}

static inline bool hog_alive(const struct hog *g)
{
	struct pollfd p = {.fd = g->pidfd, .events = POLLIN};

	return g->pid > 0 && poll(&p, 1, 0) == 0;
}

static inline void hog_stop(struct hog *g)
{
	if (g->pid <= 0)
		return;
	kill(g->pid, SIGKILL);
	hog_wait(g, 10000, NULL);
}

/* ---- the event stream ---- */

static inline int subscribe(const struct harness *h, const char *name, uint64_t threshold)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_SUBSCRIBE, .name = name};
	struct lmc_api_resp resp;
	uint8_t *buf;
	size_t len, nfds = 0;
	int fd = h_connect(h);

	assert_true(fd >= 0);
	rq.sub = (struct lmc_api_sub){.recursive = true, .evicted = true, .threshold = threshold};
	assert_int_equal(lmc_api_req_encode(&rq, &buf, &len), 0);
	assert_int_equal(lmc_frame_send(fd, buf, len, NULL, 0), 0);
	free(buf);
	assert_int_equal(lmc_frame_recv(fd, &buf, &len, NULL, &nfds, 5000), 0);
	assert_int_equal(lmc_api_resp_decode(buf, len, &resp), 0);
	free(buf);
	assert_int_equal(resp.status, 0);
	lmc_api_resp_done(&resp);
	return fd;
}

/* The next event of kind (others skipped); false after timeout_ms without one. */
static inline bool next_event(int fd, enum lmc_events_kind kind, int timeout_ms,
			      struct lmc_evrec *ret)
{
	long long deadline = h_now_us() + timeout_ms * 1000LL;

	for (;;) {
		struct lmc_api_resp resp;
		long long left = (deadline - h_now_us()) / 1000;
		uint8_t *buf;
		size_t len, nfds = 0;

		if (left <= 0 || lmc_frame_recv(fd, &buf, &len, NULL, &nfds, (int)left) < 0)
			return false;
		assert_int_equal(lmc_api_resp_decode(buf, len, &resp), 0);
		free(buf);
		assert_int_equal(resp.payload, LMC_API_PAY_EVENT);
		if (resp.event.kind == kind) {
			*ret = resp.event;
			lmc_api_resp_done(&resp);
			return true;
		}
		lmc_api_resp_done(&resp);
	}
}

#endif
