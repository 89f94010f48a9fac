/* Work taken off the agent's event loop: a function runs on a worker thread, and its
 * completion runs back on the loop (an ev_async), so nothing slow blocks the clients.
 *
 * Every job starts at once: an idle worker takes it, else a new worker is started (the
 * callers bound how many jobs they have in flight). Up to LMC_JOBS_KEEP workers stay for the
 * next job and leave after LMC_JOBS_IDLE_S seconds without one: a thread per job cost a clone, a stack
 * and a join per destroy (19% of the agent's time in a create+destroy loop, perf). */
#ifndef LMC_JOBS_H
#define LMC_JOBS_H

#include <ev.h>
#include <pthread.h>
#include <stdbool.h>

#define LMC_JOBS_IDLE_S 30
/* Idle workers kept at most; the rest of a burst's leave at once (CI's v1 guest saw the
 * agent's RSS 2 MiB higher after 64 clients when every worker of a burst stayed). */
#define LMC_JOBS_KEEP 4

struct lmc_job;

struct lmc_jobs {
	struct ev_loop *loop;
	ev_async async;
	pthread_mutex_t lock;
	pthread_cond_t work; /* a job was queued, or stopping */
	pthread_cond_t changed; /* a job finished, or a worker left */
	struct lmc_job *list; /* queued, running and finished, not yet completed on the loop */
	struct lmc_job *queue, **queue_tail; /* under lock: not yet taken by a worker */
	unsigned n; /* jobs in list (the loop's count) */
	unsigned queued, idle, workers; /* under lock */
	bool stopping; /* under lock */
};

/* work(arg) runs on a worker thread; done(arg) then runs on the loop. */
typedef void (*lmc_job_fn)(void *arg);

void lmc_jobs_init(struct lmc_jobs *j, struct ev_loop *loop);
/* -errno if no worker could take it (the caller then does the work itself). */
int lmc_jobs_start(struct lmc_jobs *j, lmc_job_fn work, lmc_job_fn done, void *arg);
/* The same for a job that may wait on something outside the agent for as long as it likes
 * (a run's child frozen before its exec), and touches nothing the agent frees at its stop:
 * lmc_jobs_stop does not wait for it (nor complete it), and such a job left running leaves
 * j for the process's exit. */
int lmc_jobs_start_unbounded(struct lmc_jobs *j, lmc_job_fn work, lmc_job_fn done, void *arg);
/* Wait for every job and complete it, then for the workers to leave; for shutting down. */
void lmc_jobs_stop(struct lmc_jobs *j);

#endif
