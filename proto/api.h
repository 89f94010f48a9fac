/* The admin API over lmctl.proto: the agent's request dispatch (decode a Request, authorize
 * the peer, call core/manager, encode the Response) and the client's encoders/decoders.
 * Generated protobuf types stay behind this header. proto's one public header: framing
 * (frame.h) and the codec (codec.h) come with it. */
#ifndef LMC_API_H
#define LMC_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "core/manager.h"
#include "proto/codec.h"
#include "proto/frame.h"

#define LMC_API_VERSION 2
#define LMC_API_VERSION_STRING "0.1.0"
#define LMC_API_MAX_FDS 3

/* ---------------- server side ---------------- */

struct lmc_api_peer {
	uid_t uid;
	gid_t gid;
	pid_t pid;
	/* The agent's connection (NULL elsewhere): whether a request id is in flight on it. */
	const void *conn;
	bool (*id_in_flight)(const void *conn, uint64_t id);
	uint64_t event_seq, event_history; /* for the capabilities reply */
};

enum lmc_api_action {
	LMC_API_REPLY, /* send reply; done */
	LMC_API_RUN, /* a process started: reply (detached) now, else when it exits */
	LMC_API_SUBSCRIBE, /* send reply (the acknowledgement), then stream events */
	LMC_API_SIGNAL_RUN, /* send sig to this connection's foreground run, then the reply */
	LMC_API_STATS, /* (LMC_API_DEFER_STATS) read stats[] (lmc_mgr_stats_fill), then reply */
	LMC_API_FREEZE_WAIT, /* (LMC_API_DEFER_WAITS) lmc_mgr_freeze_wait(name), then reply */
	LMC_API_KILL_WAIT, /* (LMC_API_DEFER_WAITS) lmc_mgr_kill_wait(name), then reply */
	/* (LMC_API_DEFER_WAITS) lmc_mgr_destroy_work(gone), then lmc_mgr_destroy_finish, the
	 * DESTROYED events of those gone, and reply (or the error) */
	LMC_API_DESTROY_WAIT,
	/* (LMC_API_DEFER_SPAWN) a run's child is released: read its report (spawn, taken by
	 * the caller) when spawn->chan is readable, then as RUN */
	LMC_API_RUN_START,
	LMC_API_TASK_WAIT, /* task (name, task_id) runs: reply (lmc_api_reply_task) at its end */
	/* (LMC_API_DEFER_SPAWN) a create's namespace init is released: creating (taken by the
	 * caller) is finished when its fd is readable (lmc_mgr_create_finish), then CREATED and
	 * the reply; a failure is undone (lmc_mgr_create_undo, _abandon) before its reply */
	LMC_API_CREATE_START,
	/* (LMC_API_DEFER_SPAWN) a run must wait for its leaf's new namespace init (name): init
	 * (taken by the caller) was released, or (NULL) another run's is under way. The frame's
	 * descriptors stay the caller's: it handles the frame again once the init is up
	 * (lmc_mgr_run_init_finish), or answers its failure. */
	LMC_API_INIT_START,
};

/* What a subscription asked for (SubscribeRequest). */
struct lmc_api_sub {
	bool recursive, oom, empty, exit, evicted, lifecycle, started;
	uint64_t threshold; /* LMC_UNSET: none */
	bool resume; /* replay the kept events after since first */
	uint64_t since;
};

struct lmc_ns_spawn_wait;
struct lmc_ns_vspawn;

struct lmc_api_result {
	enum lmc_api_action action;
	int op; /* the request's enum lmc_api_op (0: undecodable), for the agent's metrics */
	uint64_t id;
	uint8_t *reply; /* encoded Response (malloc'd); NULL for a foreground RUN */
	size_t reply_len;
	char name[LMC_NAME_MAX + 1]; /* RUN, SUBSCRIBE: the canonical container name */
	pid_t pid; /* RUN: the process started ... */
	int pidfd; /* ... and its pidfd (the caller reaps it), else -1 */
	bool detached;
	bool created; /* REPLY to a successful create (name set): new event sources */
	/* A container lifecycle event to record (CREATED, UPDATED, PAUSED, RESUMED: name;
	 * DESTROYED: gone, children first), 0 for none. */
	enum lmc_events_kind lifecycle;
	char (*gone)[LMC_NAME_MAX + 1];
	size_t n_gone;
	int sig; /* SIGNAL_RUN */
	struct lmc_ns_spawn_wait *spawn; /* RUN_START (malloc'd; result_done cancels it) */
	/* RUN_START, where not NULL: the clone is still to be done, on a worker thread
	 * (lmc_ns_vspawn_exec, which frees it; taken by the caller, else freed by result_done);
	 * spawn->chan tells its outcome as for any start */
	struct lmc_ns_vspawn *vspawn;
	struct lmc_mgr_creating *creating; /* CREATE_START: always taken by the caller */
	struct lmc_mgr_init_wait *init; /* INIT_START: taken by the caller */
	char task_id[LMC_TASK_ID_MAX + 1]; /* RUN, TASK_WAIT: the task */
	struct lmc_stats_entry *stats; /* STATS: the containers to read (malloc'd) */
	size_t n_stats;
	unsigned stats_fields; /* STATS: what to read of them (LMC_STATF_*; 0: all) */
	struct lmc_api_sub sub; /* SUBSCRIBE */
	/* A state-changing request (create, update, destroy, run, enter, kill, pause, resume,
	 * init with a reserve): what it asked ("destroy -r jobA"), for the agent's log;
	 * "" for reads. status: its result (0 or -errno) and why: the error it got. */
	char audit[LMC_NAME_MAX + 64];
	int status;
	char why[LMC_ERR_MSG_MAX];
};

enum lmc_api_flags {
	LMC_API_DRY_RUN = 1u << 0, /* fuzzing: decode, validate, dispatch, but start nothing */
	LMC_API_DEFER_STATS = 1u << 1, /* stats: answer STATS with the plan; the caller reads */
	LMC_API_DEFER_WAITS = 1u << 2, /* pause, kill, destroy: the caller does their waits */
	/* run, create with namespaces: release the child or init; the caller reads its report */
	LMC_API_DEFER_SPAWN = 1u << 3,
	/* with DEFER_SPAWN: a run's clone too, where it can be (RUN_START with vspawn) */
	LMC_API_DEFER_CLONE = 1u << 4,
};

/* Handle one Request frame body from peer. fds (n_fds of them) arrived with it as
 * SCM_RIGHTS; they are always consumed (closed, or handed to a started process), except by
 * an INIT_START. Always
 * fills ret with a Response to send (an undecodable frame gets status -EBADMSG), except on
 * -ENOMEM. m may be NULL with LMC_API_DRY_RUN (decode and validate only). */
int lmc_api_handle(struct lmc_manager *m, const struct lmc_api_peer *peer, const uint8_t *buf,
		   size_t len, int *fds, size_t n_fds, unsigned flags, struct lmc_api_result *ret);
void lmc_api_result_done(struct lmc_api_result *r);

/* A Response with only a status (and message): for frames refused before decoding. */
int lmc_api_reply_error(uint64_t id, int status, const char *msg, uint8_t **ret_buf,
			size_t *ret_len);
/* A failure's Response from a filled err: status, message, code and facts. */
int lmc_api_reply_err(uint64_t id, const struct lmc_err *err, uint8_t **ret_buf, size_t *ret_len);
/* A stats Response (for a deferred STATS once its figures are read). */
int lmc_api_reply_stats(uint64_t id, const struct lmc_stats_entry *e, size_t n, uint8_t **ret_buf,
			size_t *ret_len);
/* A task's Response (TaskGet, TaskWait). */
int lmc_api_reply_task(uint64_t id, const struct lmc_task *t, uint8_t **ret_buf, size_t *ret_len);
/* A run's Response naming its task: started (existed false: pid and task id) or, for a task
 * id the container had already, that task (existed). */
int lmc_api_reply_run_task(uint64_t id, const struct lmc_task *t, bool existed, uint8_t **ret_buf,
			   size_t *ret_len);
/* The same once its process ended (foreground run): wstatus as waitpid(2) gives it. */
int lmc_api_reply_exit_task(uint64_t id, pid_t pid, int wstatus, const char *task_id,
			    uint8_t **ret_buf, size_t *ret_len);

/* One event on the wire: struct lmc_evrec (core/events.h). */
int lmc_api_reply_event(uint64_t id, const struct lmc_evrec *ev, uint8_t **ret_buf,
			size_t *ret_len);

/* ---------------- client side ---------------- */

enum lmc_api_op {
	LMC_API_OP_INFO = 1, /* InitRequest with nothing set */
	LMC_API_OP_INIT,
	LMC_API_OP_CREATE,
	LMC_API_OP_UPDATE,
	LMC_API_OP_DESTROY,
	LMC_API_OP_LIST,
	LMC_API_OP_SPEC,
	LMC_API_OP_STATS,
	LMC_API_OP_RUN,
	LMC_API_OP_ENTER,
	LMC_API_OP_KILL,
	LMC_API_OP_PAUSE,
	LMC_API_OP_RESUME,
	LMC_API_OP_VERSION,
	LMC_API_OP_SUBSCRIBE,
	LMC_API_OP_CAPABILITIES,
};

struct lmc_api_req {
	enum lmc_api_op op;
	uint64_t id;
	const char *name;
	const struct lmc_spec *spec; /* CREATE, UPDATE */
	bool force, recursive, want_pids;
	unsigned stats_fields; /* STATS: LMC_STATF_* (base/spec.h); 0: every resource */
	int sig; /* KILL */
	bool foreground; /* KILL: only this connection's foreground run */
	const pid_t *pids; /* ENTER */
	size_t n_pids; /* ENTER */
	uint64_t reserve_mem, reserve_cpu_m; /* INIT (LMC_UNSET: keep) */
	const struct lmc_run_opts *run; /* RUN */
	unsigned n_fds; /* RUN: stdio sent beside the frame */
	struct lmc_api_sub sub; /* SUBSCRIBE */
	/* A state-changing request (create, update, destroy, run, enter, kill, pause, resume,
	 * init with a reserve): what it asked ("destroy -r jobA"), for the agent's log;
	 * "" for reads. status: its result (0 or -errno) and why: the error it got. */
	char audit[LMC_NAME_MAX + 64];
	int status;
	char why[LMC_ERR_MSG_MAX];
};
int lmc_api_req_encode(const struct lmc_api_req *r, uint8_t **ret_buf, size_t *ret_len);

/* A task request (proto/api-task-client.c). */
enum lmc_api_task_op {
	LMC_API_TASK_GET = 1,
	LMC_API_TASK_LIST,
	LMC_API_TASK_WAIT_OP,
	LMC_API_TASK_DELETE,
	LMC_API_TASK_SIGNAL,
	LMC_API_TASK_LOG,
};
struct lmc_api_task_req {
	enum lmc_api_task_op op;
	uint64_t id;
	const char *name, *task_id;
	bool recursive, force; /* LIST; DELETE */
	int sig; /* SIGNAL */
	uint64_t offset; /* LOG */
	uint32_t max_bytes; /* LOG */
};
int lmc_api_task_req_encode(const struct lmc_api_task_req *r, uint8_t **ret_buf, size_t *ret_len);

enum lmc_api_payload {
	LMC_API_PAY_NONE,
	LMC_API_PAY_SPEC,
	LMC_API_PAY_STATS,
	LMC_API_PAY_LIST,
	LMC_API_PAY_RUN,
	LMC_API_PAY_MACHINE,
	LMC_API_PAY_VERSION,
	LMC_API_PAY_EVENT,
	LMC_API_PAY_TASK, /* tasks[0] */
	LMC_API_PAY_TASKS,
	LMC_API_PAY_TASK_LOG,
	LMC_API_PAY_CAPABILITIES,
	LMC_API_PAY_CREATE,
};

struct lmc_api_caps {
	unsigned api_version;
	char agent_version[32];
	int mode;
	char controllers[128]; /* space-separated */
	char features[512]; /* space-separated */
	uint64_t event_history, event_seq;
};

#define LMC_API_EFF_N 8
/* A decoded Response. The arrays are malloc'd: lmc_api_resp_done frees them. */
struct lmc_api_resp {
	uint64_t id;
	int status;
	char msg[LMC_ERR_MSG_MAX];
	struct lmc_err err; /* status != 0: code, message, kind and facts */
	enum lmc_api_payload payload;
	struct lmc_spec spec; /* SPEC */
	struct lmc_effective eff;
	char eff_from[LMC_API_EFF_N][LMC_NAME_MAX + 1]; /* eff's from strings point here */
	struct lmc_stats_entry *stats; /* STATS */
	struct lmc_list_entry *list; /* LIST: depth = components in name */
	size_t n; /* entries of stats or list */
	pid_t pid; /* RUN */
	bool exited;
	int status_code; /* RUN exited: code, or 128+signal */
	struct lmc_machine_info info; /* MACHINE */
	char version[64]; /* VERSION */
	struct lmc_evrec event; /* EVENT */
	char task_id[LMC_TASK_ID_MAX + 1]; /* RUN: its task */
	/* RUN: the task id existed, nothing started (tasks[0] describes it); CREATE: the
	 * container was there with this very spec */
	bool existed;
	struct lmc_task *tasks; /* TASK, TASKS, RUN when existed (lmc_tasks_list_free) */
	size_t n_tasks;
	uint8_t *log; /* TASK_LOG (malloc'd) */
	size_t log_len;
	uint64_t log_next;
	bool log_rotated, log_ended;
	struct lmc_api_caps caps; /* CAPABILITIES */
};
/* Decode; -EBADMSG on malformed input. eff.*.from point into ret->eff_from (NULL: unset). */
int lmc_api_resp_decode(const uint8_t *buf, size_t len, struct lmc_api_resp *ret);
void lmc_api_resp_done(struct lmc_api_resp *r);

#endif
