/* Threads for the agent's slow work, completed on its libev loop. */
#include "tools/agent/jobs.h"

#include <errno.h>
#include <stdlib.h>

#include "base/macro.h"

struct lmc_job {
	struct lmc_jobs *owner;
	struct lmc_job *next;
	pthread_t tid;
	lmc_job_fn work, done;
	void *arg;
	bool finished; /* under owner->lock */
};

static void *job_main(void *p)
{
	struct lmc_job *job = p;
	struct lmc_jobs *j = job->owner;

	job->work(job->arg);
	pthread_mutex_lock(&j->lock);
	job->finished = true;
	pthread_mutex_unlock(&j->lock);
	ev_async_send(j->loop, &j->async);
	return NULL;
}

/* On the loop: join and complete every finished job. */
static void complete(struct lmc_jobs *j, bool all)
{
	struct lmc_job **pp = &j->list;

	while (*pp) {
		struct lmc_job *job = *pp;
		bool finished;

		pthread_mutex_lock(&j->lock);
		finished = job->finished;
		pthread_mutex_unlock(&j->lock);
		if (!finished && !all) {
			pp = &job->next;
			continue;
		}
		pthread_join(job->tid, NULL);
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
	j->loop = loop;
	j->list = NULL;
	j->n = 0;
	pthread_mutex_init(&j->lock, NULL);
	ev_async_init(&j->async, on_async);
	ev_async_start(loop, &j->async);
}

int lmc_jobs_start(struct lmc_jobs *j, lmc_job_fn work, lmc_job_fn done, void *arg)
{
	struct lmc_job *job = calloc(1, sizeof(*job));
	int r;

	if (!job)
		return -ENOMEM;
	*job = (struct lmc_job){.owner = j, .work = work, .done = done, .arg = arg};
	r = pthread_create(&job->tid, NULL, job_main, job);
	if (r != 0) {
		free(job);
		return -r;
	}
	job->next = j->list;
	j->list = job;
	j->n++;
	return 0;
}

void lmc_jobs_stop(struct lmc_jobs *j)
{
	complete(j, true);
	ev_async_stop(j->loop, &j->async);
	pthread_mutex_destroy(&j->lock);
}
