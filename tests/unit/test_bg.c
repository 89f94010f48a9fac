/* Background work (base/bg.c): what the agent hands it (closing a PSI trigger, registering a
 * v1 memory threshold) must run, off the caller's thread, every job once, several at a time
 * (each waits for its own RCU grace period: one thread would queue them behind each other),
 * and a flush must wait for all of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/bg.h"

static atomic_int ran;
static atomic_int off_thread;
static pid_t caller_tid;

static void count_job(void *arg)
{
	(void)arg;
	if ((pid_t)syscall(SYS_gettid) != caller_tid)
		atomic_fetch_add(&off_thread, 1);
	atomic_fetch_add(&ran, 1);
}

static void test_every_job_runs_off_thread(void **state)
{
	(void)state;
	caller_tid = (pid_t)syscall(SYS_gettid);
	atomic_store(&ran, 0);
	atomic_store(&off_thread, 0);
	for (int i = 0; i < 1000; i++)
		lmc_bg_run(count_job, NULL);
	lmc_bg_flush();
	assert_int_equal(atomic_load(&ran), 1000);
	assert_int_equal(atomic_load(&off_thread), 1000);
	assert_int_equal(lmc_bg_pending(), 0);
}

static void test_close(void **state)
{
	int p[2];

	(void)state;
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	lmc_bg_close(p[1]);
	lmc_bg_close(-1); /* nothing */
	lmc_bg_flush();
	assert_int_equal(fcntl(p[1], F_GETFD), -1);
	assert_int_equal(errno, EBADF);
	/* The write end is gone: the reader sees the end of the pipe. */
	char c;
	assert_int_equal(read(p[0], &c, 1), 0);
	close(p[0]);
}

/* LMC_BG_THREADS jobs that each wait for all the others: they can only all return if they
 * run at the same time (a bounded wait, so that a serial queue fails instead of hanging). */
static pthread_mutex_t meet_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t meet_cond = PTHREAD_COND_INITIALIZER;
static int met, met_all;

static void meet_job(void *arg)
{
	struct timespec until;

	(void)arg;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&meet_lock);
	if (++met == LMC_BG_THREADS)
		pthread_cond_broadcast(&meet_cond);
	while (met < LMC_BG_THREADS &&
	       pthread_cond_timedwait(&meet_cond, &meet_lock, &until) != ETIMEDOUT)
		;
	if (met == LMC_BG_THREADS)
		met_all++;
	pthread_mutex_unlock(&meet_lock);
}

static void test_concurrent(void **state)
{
	(void)state;
	for (int i = 0; i < LMC_BG_THREADS; i++)
		lmc_bg_run(meet_job, NULL);
	lmc_bg_flush();
	assert_int_equal(met_all, LMC_BG_THREADS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent), /* first: no thread started yet */
		cmocka_unit_test(test_every_job_runs_off_thread),
		cmocka_unit_test(test_close),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
