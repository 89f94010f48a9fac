/* Tasks: every process `run` starts, kept with its final status after it ends and across
 * agent restarts (one record file per task in <state-dir>/tasks/, written to a temporary
 * file and renamed), until deleted or its container destroyed. The table knows a task's
 * process again only by pid and start time together, through a pidfd. */
#ifndef LMC_TASK_H
#define LMC_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "base/name.h"

#define LMC_TASK_ID_MAX 64
/* Records kept per container: past it, the oldest ended ones go first. */
#define LMC_TASKS_PER_CONTAINER 1000
/* A detached task's log is rotated once past this (the older part kept as <log>.1). */
#define LMC_TASK_LOG_MAX (8u << 20)

enum lmc_task_state {
	LMC_TASK_RUNNING = 0,
	LMC_TASK_EXITED = 1,
	LMC_TASK_SIGNALED = 2,
	LMC_TASK_OOM_KILLED = 3,
	LMC_TASK_EVICTED = 4,
	LMC_TASK_LOST = 5,
};

struct lmc_task {
	char container[LMC_NAME_MAX + 1];
	char id[LMC_TASK_ID_MAX + 1];
	char **argv; /* NULL-terminated, malloc'd */
	pid_t pid;
	uint64_t pid_start; /* /proc/<pid>/stat field 22 */
	enum lmc_task_state state;
	int exit_code; /* EXITED; else -1 */
	int signal; /* SIGNALED, OOM_KILLED, EVICTED */
	uint64_t started_ns, finished_ns; /* CLOCK_REALTIME */
	uint64_t oom_kills; /* the container's OOM kill count at start */
	char reason[256]; /* EVICTED: the eviction's detail; LOST: why */
	bool log; /* stdout/stderr captured to its log */
	uint32_t uid; /* who started it */
	/* runtime only */
	int pidfd; /* while running and known: -1 otherwise */
	char evicting[256]; /* lmc_tasks_mark_evicted: its end is an eviction, for this reason */
};

const char *lmc_task_state_str(enum lmc_task_state s);
bool lmc_task_id_valid(const char *id);
/* Copy of t with its own argv (pidfd -1); lmc_task_done frees what a copy holds. */
int lmc_task_copy(const struct lmc_task *t, struct lmc_task *ret);
void lmc_task_done(struct lmc_task *t);

struct lmc_tasks;

/* Called on a task's start and end (a copy it may not keep): where the agent turns them
 * into events (task-started, task-exited). userdata as given to lmc_tasks_set_hook. */
enum lmc_task_change { LMC_TASK_STARTED, LMC_TASK_ENDED };
typedef void (*lmc_task_hook_fn)(enum lmc_task_change what, const struct lmc_task *t,
				 void *userdata);

/* Open the table on the state directory (dirfd is not kept; <dir>/tasks and <dir>/logs
 * are created mode 0700). Records are read at once; a running record's process is looked
 * for again (lmc_tasks_recover). */
int lmc_tasks_open(int state_dirfd, struct lmc_tasks **ret, struct lmc_err *err);
/* The same with only container's records read (their files start with its hash), for a
 * command about that container alone (a run): its lookups, cap and new ids are right; the
 * table knows nothing of other containers' tasks. */
int lmc_tasks_open_for(int state_dirfd, const char *container, struct lmc_tasks **ret,
		       struct lmc_err *err);
void lmc_tasks_free(struct lmc_tasks *ts);
void lmc_tasks_set_hook(struct lmc_tasks *ts, lmc_task_hook_fn fn, void *userdata);

/* The record of (container, id) or NULL. Pointers stay valid until the next add or delete. */
struct lmc_task *lmc_tasks_find(struct lmc_tasks *ts, const char *container, const char *id);
/* How many records container has, and its records oldest first: lmc_tasks_oldest, then
 * lmc_tasks_newer until NULL (valid while the table is not changed). */
size_t lmc_tasks_count(struct lmc_tasks *ts, const char *container);
struct lmc_task *lmc_tasks_oldest(struct lmc_tasks *ts, const char *container);
struct lmc_task *lmc_tasks_newer(struct lmc_task *t);
/* A fresh id for the container ("t" + a number not in use). */
void lmc_tasks_new_id(struct lmc_tasks *ts, const char *container, char *ret);
/* Enter a task in the table (takes t's argv and pidfd), making room past the cap (-EAGAIN
 * when every task of the container runs); in memory only until lmc_tasks_started. A task
 * whose pid is 0 is starting: a retry finds it, nothing probes it. */
int lmc_tasks_add(struct lmc_tasks *ts, struct lmc_task *t, struct lmc_err *err);
/* Its process started (pid, pid_start, pidfd set): store the record, call the hook. */
int lmc_tasks_started(struct lmc_tasks *ts, struct lmc_task *t);
/* The task's process ended with wstatus (waitpid form; -1 unknown: LOST with why);
 * oom_now: the container's OOM kill count now (UINT64_MAX unknown). Stores it, calls the
 * hook. */
void lmc_tasks_ended(struct lmc_tasks *ts, struct lmc_task *t, int wstatus, uint64_t oom_now,
		     const char *why);
/* Forget a task: record and log. */
int lmc_tasks_delete(struct lmc_tasks *ts, const char *container, const char *id);
/* Forget every task of container and of those below (destroy). */
void lmc_tasks_drop_container(struct lmc_tasks *ts, const char *container);
/* Every record under (or of, unless recursive) container, as copies in start order:
 * *ret malloc'd, each lmc_task_done'd by lmc_tasks_list_free. */
int lmc_tasks_list(struct lmc_tasks *ts, const char *container, bool recursive,
		   struct lmc_task **ret, size_t *ret_n);
void lmc_tasks_list_free(struct lmc_task *l, size_t n);
/* The records of the tasks that run (or were running when the agent went down), in start
 * order, as pointers into the table (valid until the next add or delete; no copies: a
 * restart looks at each of them once). *ret malloc'd. */
int lmc_tasks_running(struct lmc_tasks *ts, struct lmc_task ***ret, size_t *ret_n);
/* The eviction code: the running tasks of container (and below) end as EVICTED with
 * reason when their end is seen. Returns how many were marked. */
size_t lmc_tasks_mark_evicted(struct lmc_tasks *ts, const char *container, const char *reason);

/* After a restart (or in direct mode): a RUNNING record's process looked for again by pid
 * and start time. Still running: t->pidfd set, 0. Ended and still a zombie, or its pidfd
 * held: its status (ret_wstatus), 1. Gone with nothing the kernel kept: -ESRCH. */
int lmc_task_probe(struct lmc_task *t, int *ret_wstatus);
/* A non-child's status once its pidfd polled readable: PIDFD_INFO_EXIT (kernel 6.15+)
 * or, while it is a zombie, /proc/<pid>/stat's exit code; -ENODATA if neither. */
int lmc_task_exit_status(const struct lmc_task *t, int *ret_wstatus);

/* The log's path under the state directory (relative to it: logs/<file>). */
int lmc_task_log_name(const char *container, const char *id, bool previous, char *buf, size_t size);
/* Open (create, truncate) the task's log for appending; fd for its stdout and stderr. */
int lmc_tasks_log_open(struct lmc_tasks *ts, const char *container, const char *id);
/* Read from the task's log at offset (max bytes): rotated set when offset lay before the
 * current log's start. */
int lmc_tasks_log_read(struct lmc_tasks *ts, const char *container, const char *id, uint64_t offset,
		       size_t max, uint8_t **ret_buf, size_t *ret_len, uint64_t *ret_next,
		       bool *ret_rotated);
/* Rotate logs of running tasks past LMC_TASK_LOG_MAX (copy to <log>.1, truncate). */
void lmc_tasks_log_rotate(struct lmc_tasks *ts);

#endif
