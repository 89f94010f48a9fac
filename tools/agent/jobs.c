/* Worker threads for the agent's slow work, completed on its libev loop (see jobs.h). */
#include "tools/agent/jobs.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "base/macro.h"

struct lmc_job {
	struct lmc_jobs *owner;
	struct lmc_job *next; /* in owner->list */
	struct lmc_job *next_queued; /* in owner->queue */
	lmc_job_fn work, done;
	void *arg;
	bool finished; /* under owner->lock */
	bool unbounded; /* lmc_jobs_start_unbounded */
};

/* Under j->lock: the next queued job, or NULL once stopping or idle for LMC_JOBS_IDLE_S. */
static struct lmc_job *take(struct lmc_jobs *j)
{
	struct timespec until;
	struct lmc_job *job;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += LMC_JOBS_IDLE_S;
	while (!j->queue) {
		int r;

		if (j->stopping || j->idle >= LMC_JOBS_KEEP)
			return NULL; /* a burst's extra workers go: their stacks and arenas with them */
		j->idle++;
		r = pthread_cond_timedwait(&j->work, &j->lock, &until);
		j->idle--;
		if (r == ETIMEDOUT && !j->queue)
			return NULL;
	}
	job = j->queue;
	j->queue = job->next_queued;
	if (!j->queue)
		j->queue_tail = &j->queue;
	j->queued--;
	return job;
}

static void *worker_main(void *p)
{
	struct lmc_jobs *j = p;
	struct lmc_job *job;

	pthread_mutex_lock(&j->lock);
	while ((job = take(j))) {
		pthread_mutex_unlock(&j->lock);
		job->work(job->arg);
		pthread_mutex_lock(&j->lock);
		job->finished = true;
		pthread_cond_broadcast(&j->changed);
		if (!j->stopping) /* else the loop may be gone: an unbounded job outlived it */
			ev_async_send(j->loop, &j->async);
	}
	j->workers--;
	pthread_cond_broadcast(&j->changed);
	pthread_mutex_unlock(&j->lock);
	return NULL;
}

/* On the loop: complete every finished job (with all, wait for each first). */
static void complete(struct lmc_jobs *j, bool all)
{
	struct lmc_job **pp = &j->list;

	while (*pp) {
		struct lmc_job *job = *pp;
		bool finished;

		pthread_mutex_lock(&j->lock);
		while (all && !job->finished && !job->unbounded)
			pthread_cond_wait(&j->changed, &j->lock);
		finished = job->finished;
		pthread_mutex_unlock(&j->lock);
		if (!finished) {
			pp = &job->next;
			continue;
		}
		*pp = job->next;
		j->n--;
		job->done(job->arg);
		free(job);
	}
}

static void on_async(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)loop;
	(void)revents;
	complete(container_of(w, struct lmc_jobs, async), false);
}

void lmc_jobs_init(struct lmc_jobs *j, struct ev_loop *loop)
{
	pthread_condattr_t ca;

	*j = (struct lmc_jobs){.loop = loop};
	j->queue_tail = &j->queue;
	pthread_mutex_init(&j->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->work, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&j->changed, NULL);
	ev_async_init(&j->async, on_async);
	ev_async_start(loop, &j->async);
}

/* Under j->lock: a worker for the job just queued (an idle one not yet spoken for, or new). */
static int wake_or_start(struct lmc_jobs *j)
{
	pthread_attr_t at;
	pthread_t tid;
	int r;

	if (j->idle >= j->queued) {
		pthread_cond_signal(&j->work);
		return 0;
	}
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	r = pthread_create(&tid, &at, worker_main, j);
	pthread_attr_destroy(&at);
	if (r != 0)
		return -r;
	j->workers++;
	return 0;
}

static int start(struct lmc_jobs *j, lmc_job_fn work, lmc_job_fn done, void *arg, bool unbounded)
{
	struct lmc_job *job = calloc(1, sizeof(*job));
	int r;

	if (!job)
		return -ENOMEM;
	*job = (struct lmc_job){
		.owner = j, .work = work, .done = done, .arg = arg, .unbounded = unbounded};
	pthread_mutex_lock(&j->lock);
	*j->queue_tail = job;
	j->queue_tail = &job->next_queued;
	j->queued++;
	r = wake_or_start(j);
	if (r < 0) { /* not taken: out of the queue again (it is the last one) */
		struct lmc_job **pp = &j->queue;

		while (*pp != job)
			pp = &(*pp)->next_queued;
		*pp = NULL;
		j->queue_tail = pp;
		j->queued--;
	}
	pthread_mutex_unlock(&j->lock);
	if (r < 0) {
		free(job);
		return r;
	}
	job->next = j->list;
	j->list = job;
	j->n++;
	return 0;
}

int lmc_jobs_start(struct lmc_jobs *j, lmc_job_fn work, lmc_job_fn done, void *arg)
{
	return start(j, work, done, arg, false);
}

int lmc_jobs_start_unbounded(struct lmc_jobs *j, lmc_job_fn work, lmc_job_fn done, void *arg)
{
	return start(j, work, done, arg, true);
}

void lmc_jobs_stop(struct lmc_jobs *j)
{
	complete(j, true);
	if (j->list) { /* unbounded ones still running: left to the process's exit */
		pthread_mutex_lock(&j->lock);
		j->stopping = true;
		pthread_cond_broadcast(&j->work);
		pthread_mutex_unlock(&j->lock);
		return;
	}
	pthread_mutex_lock(&j->lock);
	j->stopping = true;
	pthread_cond_broadcast(&j->work);
	while (j->workers)
		pthread_cond_wait(&j->changed, &j->lock);
	pthread_mutex_unlock(&j->lock);
	ev_async_stop(j->loop, &j->async);
	pthread_cond_destroy(&j->work);
	pthread_cond_destroy(&j->changed);
	pthread_mutex_destroy(&j->lock);
}
