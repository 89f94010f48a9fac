/* How the CLI reaches the operations: directly through core/manager (tools/cli/backend-direct.c)
 * or through lmctld over its socket (tools/cli/backend-agent.c). Both return the same core
 * structs, so every command prints the same thing either way. */
#ifndef LMC_BACKEND_H
#define LMC_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/manager.h"

/* Events a subscriber asks for (lmctl events); kinds are core/events.h's one enum. */
struct lmc_event_filter {
	bool oom, empty, exit, evicted, lifecycle, started;
	uint64_t mem_threshold; /* LMC_UNSET: none */
	bool resume; /* agent only: replay the kept events after since first */
	uint64_t since;
};

struct lmc_event {
	char name[LMC_NAME_MAX + 1];
	enum lmc_events_kind kind;
	uint64_t seq; /* the agent's event number; 0 in direct mode and for GAP */
	int direction; /* THRESHOLD: 1 up, -1 down */
	uint64_t value; /* OOM kill count, memory usage for THRESHOLD */
	pid_t pid; /* EXIT */
	int status; /* EXIT: code or 128+signal */
	uint64_t timestamp_ns; /* CLOCK_REALTIME when observed */
	char detail[256]; /* EVICTED, RECLAIM */
	char task_id[LMC_TASK_ID_MAX + 1]; /* STARTED, EXIT through the agent: the run's task */
};

/* Return < 0 to stop the stream (that value is returned by events()). */
typedef int (*lmc_event_cb)(const struct lmc_event *ev, void *userdata);

/* A task operation (lmctl ps, wait, logs, task). */
enum lmc_task_op {
	LMC_TASK_OP_GET = 1,
	LMC_TASK_OP_LIST,
	LMC_TASK_OP_WAIT, /* the task once it has ended */
	LMC_TASK_OP_DELETE,
	LMC_TASK_OP_SIGNAL,
	LMC_TASK_OP_LOG,
};
struct lmc_task_query {
	enum lmc_task_op op;
	const char *name, *task_id;
	bool recursive, force; /* LIST; DELETE */
	int sig; /* SIGNAL */
	uint64_t offset; /* LOG */
	uint32_t max_bytes; /* LOG */
};
struct lmc_task_answer {
	struct lmc_task *tasks; /* GET, WAIT: one; LIST (lmc_task_answer_done frees) */
	size_t n;
	uint8_t *log; /* LOG */
	size_t log_len;
	uint64_t log_next;
	bool log_rotated, log_ended;
};
void lmc_task_answer_done(struct lmc_task_answer *a);

struct lmc_backend;

struct lmc_backend_ops {
	const char *name; /* "direct" or "agent" */
	int (*info)(struct lmc_backend *b, struct lmc_machine_info *ret, struct lmc_err *err);
	int (*init)(struct lmc_backend *b, uint64_t reserve_mem, uint64_t reserve_cpu_m,
		    struct lmc_err *err);
	int (*create)(struct lmc_backend *b, const char *name, const struct lmc_spec *spec,
		      struct lmc_err *err);
	int (*update)(struct lmc_backend *b, const char *name, const struct lmc_spec *upd,
		      bool force, struct lmc_err *err);
	int (*destroy)(struct lmc_backend *b, const char *name, bool recursive,
		       struct lmc_err *err);
	int (*list)(struct lmc_backend *b, const char *name, bool recursive, bool want_pids,
		    struct lmc_list_entry **ret, size_t *ret_n, struct lmc_err *err);
	/* eff's `from` strings stay valid until the next call on b. */
	int (*spec)(struct lmc_backend *b, const char *name, struct lmc_spec *ret_spec,
		    struct lmc_effective *ret_eff, struct lmc_err *err);
	/* fields: the resources to read (LMC_STATF_*; 0: every one) */
	int (*stats)(struct lmc_backend *b, const char *name, bool recursive, unsigned fields,
		     struct lmc_stats_entry **ret, size_t *ret_n, struct lmc_err *err);
	/* Foreground: waits and returns the command's status (code or 128+signal) in
	 * *ret_status. Detached: returns at once with *ret_pid. The caller's stdio (o->stdio,
	 * -1 = its own 0/1/2) is what the command gets. b may be unusable afterwards. */
	int (*run)(struct lmc_backend *b, const char *name, const struct lmc_run_opts *o,
		   pid_t *ret_pid, int *ret_status, struct lmc_err *err);
	int (*enter)(struct lmc_backend *b, const char *name, const pid_t *pids, size_t n,
		     struct lmc_err *err);
	int (*kill)(struct lmc_backend *b, const char *name, int sig, bool recursive,
		    struct lmc_err *err);
	int (*pause)(struct lmc_backend *b, const char *name, struct lmc_err *err);
	int (*resume)(struct lmc_backend *b, const char *name, struct lmc_err *err);
	/* Stream events for name (and below) until cb returns < 0 or the peer goes away. */
	int (*events)(struct lmc_backend *b, const char *name, const struct lmc_event_filter *f,
		      lmc_event_cb cb, void *userdata, struct lmc_err *err);
	void (*close)(struct lmc_backend *b);
	int (*task)(struct lmc_backend *b, const struct lmc_task_query *q,
		    struct lmc_task_answer *ret, struct lmc_err *err);
};

struct lmc_backend {
	const struct lmc_backend_ops *ops;
	/* The task the last run started, or found when its task id existed (existed set). */
	char task_id[LMC_TASK_ID_MAX + 1];
	bool task_existed;
};

/* Direct: opens core/manager with these options (takes the state directory lock). */
int lmc_backend_direct_open(const struct lmc_manager_opts *opts, struct lmc_backend **ret,
			    struct lmc_err *err);
/* Agent: connects to socket_path; -ECONNREFUSED/-ENOENT when no agent answers (the CLI then
 * falls back to direct mode). */
int lmc_backend_agent_open(const char *socket_path, struct lmc_backend **ret, struct lmc_err *err);

#endif
