/* The agent's worker threads (tools/agent/jobs.c): a job never waits behind another, the
 * workers are kept for the next job, and stopping completes every job. No root needed. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/agent/jobs.h"

struct tjob {
	pthread_mutex_t *gate; /* held by the test while the job must not end */
	pid_t tid; /* the worker that ran it */
	int done;
};

static void tjob_work(void *arg)
{
	struct tjob *t = arg;

	if (t->gate) {
		pthread_mutex_lock(t->gate);
		pthread_mutex_unlock(t->gate);
	}
	t->tid = gettid();
}

static void tjob_done(void *arg)
{
	((struct tjob *)arg)->done++;
}

/* Run the loop until *flag is set, at most about 10 s. */
static void run_until(struct ev_loop *loop, const int *flag)
{
	for (int i = 0; i < 10000 && !*flag; i++) {
		ev_run(loop, EVRUN_NOWAIT);
		if (!*flag)
			usleep(1000);
	}
	assert_true(*flag);
}

static void test_no_head_of_line(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	pthread_mutex_t gate = PTHREAD_MUTEX_INITIALIZER;
	struct tjob slow = {.gate = &gate}, quick[3] = {{0}};
	struct lmc_jobs j;

	(void)state;
	lmc_jobs_init(&j, loop);
	pthread_mutex_lock(&gate);
	assert_int_equal(lmc_jobs_start(&j, tjob_work, tjob_done, &slow), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(lmc_jobs_start(&j, tjob_work, tjob_done, &quick[i]), 0);
		run_until(loop, &quick[i].done); /* while the slow one still runs */
		assert_int_not_equal(quick[i].tid, 0);
	}
	assert_int_equal(slow.done, 0);
	assert_int_equal(j.n, 1);
	pthread_mutex_unlock(&gate);
	run_until(loop, &slow.done);
	assert_int_equal(j.n, 0);
	lmc_jobs_stop(&j);
	ev_loop_destroy(loop);
}

static void test_workers_reused(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct tjob t[50] = {{0}};
	struct lmc_jobs j;

	(void)state;
	lmc_jobs_init(&j, loop);
	for (int i = 0; i < 50; i++) {
		assert_int_equal(lmc_jobs_start(&j, tjob_work, tjob_done, &t[i]), 0);
		run_until(loop, &t[i].done);
		assert_int_not_equal(t[i].tid, gettid());
	}
	/* One after another: one worker ran them all (a thread each before). */
	for (int i = 1; i < 50; i++)
		assert_int_equal(t[i].tid, t[0].tid);
	lmc_jobs_stop(&j);
	ev_loop_destroy(loop);
}

static void test_stop_completes(void **state)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct tjob t[8] = {{0}};
	struct lmc_jobs j;

	(void)state;
	lmc_jobs_init(&j, loop);
	for (int i = 0; i < 8; i++)
		assert_int_equal(lmc_jobs_start(&j, tjob_work, tjob_done, &t[i]), 0);
	lmc_jobs_stop(&j); /* without running the loop: every job waited for and completed */
	for (int i = 0; i < 8; i++) {
		assert_int_equal(t[i].done, 1);
		assert_int_not_equal(t[i].tid, 0);
	}
	ev_loop_destroy(loop);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_head_of_line),
		cmocka_unit_test(test_workers_reused),
		cmocka_unit_test(test_stop_completes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
