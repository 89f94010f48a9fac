/* Background work for system calls that wait on the kernel (base/bg.h): a queue and a few
 * kept threads, nothing else. */
#include "base/bg.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

struct bg_job {
	void (*fn)(void *arg);
	void *arg;
	struct bg_job *next;
};

static pthread_mutex_t bg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bg_work = PTHREAD_COND_INITIALIZER; /* a job was queued */
static pthread_cond_t bg_done = PTHREAD_COND_INITIALIZER; /* the queue ran dry */
static struct bg_job *bg_head, **bg_tail = &bg_head;
/* queued: not taken yet; idle: threads waiting (one that was woken counts until it takes
 * a job, so a thread more is started while the queue is longer than the idle threads);
 * pending: queued or running. */
static unsigned bg_threads, bg_idle, bg_queued, bg_pending;

static void *bg_main(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&bg_lock);
	for (;;) {
		struct bg_job *j;

		while (!bg_head) {
			bg_idle++;
			pthread_cond_wait(&bg_work, &bg_lock);
			bg_idle--;
		}
		j = bg_head;
		bg_queued--;
		bg_head = j->next;
		if (!bg_head)
			bg_tail = &bg_head;
		pthread_mutex_unlock(&bg_lock);
		j->fn(j->arg);
		free(j);
		pthread_mutex_lock(&bg_lock);
		if (--bg_pending == 0)
			pthread_cond_broadcast(&bg_done);
	}
	return NULL;
}

/* A thread more, with every signal blocked (the agent's loop takes them); under bg_lock. */
static bool bg_start_thread(void)
{
	sigset_t all, old;
	pthread_attr_t at;
	pthread_t t;
	int r;

	if (pthread_attr_init(&at) != 0)
		return false;
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&at, 64 * 1024);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&t, &at, bg_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&at);
	if (r != 0)
		return false;
	bg_threads++;
	return true;
}

void lmc_bg_run(void (*fn)(void *arg), void *arg)
{
	struct bg_job *j = malloc(sizeof(*j));
	bool queued = false;

	if (j) {
		*j = (struct bg_job){.fn = fn, .arg = arg};
		pthread_mutex_lock(&bg_lock);
		if (bg_queued + 1 > bg_idle && bg_threads < LMC_BG_THREADS)
			(void)bg_start_thread();
		if (bg_threads > 0) {
			*bg_tail = j;
			bg_tail = &j->next;
			bg_queued++;
			bg_pending++;
			queued = true;
			pthread_cond_signal(&bg_work);
		}
		pthread_mutex_unlock(&bg_lock);
	}
	if (!queued) {
		free(j);
		fn(arg);
	}
}

static void bg_close_fn(void *arg)
{
	close((int)(intptr_t)arg);
}

void lmc_bg_close(int fd)
{
	if (fd >= 0)
		lmc_bg_run(bg_close_fn, (void *)(intptr_t)fd);
}

void lmc_bg_flush(void)
{
	pthread_mutex_lock(&bg_lock);
	while (bg_pending > 0)
		pthread_cond_wait(&bg_done, &bg_lock);
	pthread_mutex_unlock(&bg_lock);
}

unsigned lmc_bg_pending(void)
{
	unsigned n;

	pthread_mutex_lock(&bg_lock);
	n = bg_pending;
	pthread_mutex_unlock(&bg_lock);
	return n;
}
