/* Work taken off the agent's event loop: a function runs on its own thread, and its
 * completion runs back on the loop (an ev_async), so nothing slow blocks the clients. */
#ifndef LMC_JOBS_H
#define LMC_JOBS_H

#include <ev.h>
#include <pthread.h>
#include <stdbool.h>

struct lmc_job;

struct lmc_jobs {
	struct ev_loop *loop;
	ev_async async;
	pthread_mutex_t lock;
	struct lmc_job *list; /* running and finished, not yet completed on the loop */
	unsigned n;
};

/* work(arg) runs on a new thread; done(arg) then runs on the loop. */
typedef void (*lmc_job_fn)(void *arg);

void lmc_jobs_init(struct lmc_jobs *j, struct ev_loop *loop);
/* -errno if no thread could be started (the caller then does the work itself). */
int lmc_jobs_start(struct lmc_jobs *j, lmc_job_fn work, lmc_job_fn done, void *arg);
/* Wait for every job and complete it; for shutting down. */
void lmc_jobs_stop(struct lmc_jobs *j);

#endif
