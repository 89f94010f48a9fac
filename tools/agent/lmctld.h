/* What the agent's own files (tools/lmctld*.c) share: its clients, subscriptions,
 * processes and pending reads. Not for any other module. */
#ifndef LMC_LMCTLD_H
#define LMC_LMCTLD_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/manager.h"
#include "nsutil/ns.h"
#include "proto/api.h"
#include "tools/agent/jobs.h"

#define MAX_CLIENTS 4096
#define FRAMES_PER_WAKEUP 32
#define OUT_PAUSE (1u << 20) /* stop reading a client with this much unsent */
#define OUT_MAX (64u << 20) /* drop a client that lets this much pile up */
#define SUB_SOURCES_MAX 1024u

/* What one non-root uid may hold (root is not bounded, and MAX_CLIENTS keeps a reserve for
 * it): connections, subscriptions, container sources its subscriptions refer to. */
#define CLIENTS_PER_UID 64u
#define ROOT_RESERVE 64u
#define SUBS_PER_UID 16u
#define SUB_REFS_PER_UID 64u
/* A subscriber with this much unread (queued here or in its socket) is dropped, a last
 * Response saying why (--sub-queue). */
#define SUB_QUEUE_MAX (1u << 20)
#define ACCEPTS_PER_WAKEUP 64

struct agent;
struct client;
struct lmc_evict;

/* Priority eviction's options (tools/agent/lmctld-evict.c). */
struct lmc_evict_opts {
	bool enabled; /* --no-eviction clears it */
	unsigned pct; /* act when less than max(pct% of the limit, min_bytes) is left */
	uint64_t min_bytes;
	unsigned psi_stall_us, psi_window_us; /* PSI "full" trigger; 0 stall: none */
	bool reclaim; /* memory.reclaim before a kill where the kernel has it */
	bool hold_oom; /* v1: the kernel's OOM killer held off in watched containers */
};
#define EVICT_PCT_DEFAULT 5
#define EVICT_MIN_DEFAULT (64ULL << 20)
#define EVICT_PSI_STALL_DEFAULT 200000
#define EVICT_PSI_WINDOW_DEFAULT 2000000 /* a 2 s multiple: also without CAP_SYS_RESOURCE */

/* One kernel event source (an inotify or eventfd) for one container, event kind and
 * threshold, shared by every subscription that wants it. */
struct src {
	ev_io io;
	ev_timer settle; /* v1 OOM: re-reading the count until the kill is in it */
	unsigned settle_tries;
	struct agent *a;
	struct lmc_evsrc *s;
	enum lmc_events_kind kind;
	uint64_t threshold;
	uint64_t oom_seq, oom_count; /* OOM: the kernel log's record of the last victim, count */
	pid_t oom_pid; /* ... and its pid, for a repeated notification of the same count */
	struct src *prev, *next;
	struct sub **subs; /* who receives its events */
	size_t n_subs, cap_subs;
};

struct sub {
	struct client *c;
	struct sub *next;
	uint64_t id;
	char name[LMC_NAME_MAX + 1];
	struct lmc_api_sub f;
	struct src **srcs;
	size_t n_srcs, cap_srcs;
	bool dropped; /* stopped (unread queue); freed by lmc_agent_sweep */
	bool replaying; /* resuming: fed from the journal, not live, until caught up */
	uint64_t cursor; /* resuming: the last journaled seq considered */
};

struct client {
	struct agent *a;
	struct client *prev, *next;
	int fd;
	ev_io rio, wio;
	ev_timer idle;
	struct lmc_frame_reader rd;
	struct lmc_api_peer peer;
	ev_tstamp frame_start; /* first byte of the frame being read; 0 between frames */
	ev_tstamp last_active; /* last byte read or written */
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	struct sub *subs;
	bool busy; /* inside its read callback: a close is deferred to its end */
	bool corked; /* frames are queued, not sent, until lmc_agent_uncork (a replay chunk) */
	unsigned held; /* requests answered later (run start, stats, pause): reading waits */
	bool dead;
};

struct proc {
	struct agent *a;
	struct proc *prev, *next;
	ev_io io; /* the pidfd: readable once the process has exited */
	pid_t pid;
	int pidfd;
	struct client *c; /* waiting for the exit status; NULL when detached or gone */
	uint64_t id;
	char name[LMC_NAME_MAX + 1];
	char reason[128]; /* why the agent ended it ("evicted under=..."), for its exit event */
	char task_id[LMC_TASK_ID_MAX + 1]; /* its task (core/task.h) */
	bool child; /* ours to reap; else adopted after a restart (status from the kernel) */
};

/* A TaskWait whose task still runs: answered when it ends (tools/agent/lmctld-tasks.c). */
struct task_wait {
	struct task_wait *next;
	struct client *c;
	uint64_t id;
	char name[LMC_NAME_MAX + 1];
	char task_id[LMC_TASK_ID_MAX + 1];
};

struct agent {
	struct ev_loop *loop;
	struct lmc_manager *m;
	int lfd;
	const char *socket_path;
	ev_io lio;
	ev_signal sigterm, sigint, sigchld;
	double idle_timeout; /* a frame must be complete this long after its first byte */
	double conn_timeout; /* a connection with nothing going on is closed after this */
	size_t sub_queue_max; /* unread bytes that drop a subscriber */
	struct client *clients;
	struct proc *procs;
	unsigned n_clients, max_clients;
	int spare_fd; /* given up to accept (and refuse) a connection when out of fds */
	ev_timer accept_again; /* the listening watcher rests while fds are short */
	double refused_logged; /* when a refusal was last logged (one line a second) */
	struct src *srcs; /* every kernel source of every subscription */
	unsigned emitting; /* inside an event's delivery: closes are deferred */
	bool sweep; /* some client or subscription waits to be freed */
	struct lmc_jobs jobs;
	struct stats_req *stats_reqs; /* being read on a worker thread */
	/* Small readings of this loop iteration, read together when it ends (lmctld-wait.c) */
	struct stats_req *small;
	ev_prepare small_flush;
	struct run_start *run_starts; /* runs whose child has not reported yet */
	unsigned vspawns; /* runs being cloned on a worker (lmc_ns_vspawn_exec) */
	struct create_start *create_starts; /* creates whose init has not reported yet */
	struct init_start *init_starts; /* leaves' new inits that runs wait for */
	struct lmc_evict *evict; /* NULL: not evicting */
	struct lmc_evict_opts evict_opts;
	const char *metrics_addr; /* --metrics; NULL: off */
	double metrics_max_age; /* --metrics-max-age: seconds a scrape's figures may be old */
	struct lmc_metrics *metrics; /* tools/agent/lmctld-metrics.c; NULL: off */
	uint64_t req_t0; /* when the request being handled arrived (lmc_metrics_clock) */
	struct task_wait *task_waits;
	ev_timer log_timer; /* rotates the logs of detached tasks */
	ev_async tasks_loaded; /* the task records' loader thread is done: recover them */
	struct lmc_evlog *evlog; /* the event journal; NULL if it could not be opened */
	struct lmc_oomlog *oomlog; /* OOM victims from the kernel log; NULL: OOM pids are 0 */
	size_t event_history; /* events it keeps (--event-history) */
	bool evlog_failed; /* the last append failed (logged once) */
	struct watch *watches; /* what OOM and EMPTY sources last reported (lmctld-watch.c) */
	size_t n_watches, cap_watches;
	ev_timer watch_due; /* missed events to journal, the file to save */
};

/* A stats request whose cgroupfs reading runs off the loop (tools/agent/jobs.c), or a pause
 * waiting there for its container to freeze (freeze: reply holds the answer to send). */
struct stats_req {
	struct agent *a;
	struct stats_req *prev, *next;
	struct client *c; /* NULL once the client has gone */
	uint64_t id;
	struct lmc_stats_entry *e;
	size_t n;
	unsigned fields; /* LMC_STATF_*: what to read of them */
	uint8_t *reply;
	size_t reply_len;
	bool freeze;
	bool kill; /* a SIGKILL of name's subtree: lmc_mgr_kill_wait, then the answer in reply */
	bool frozen; /* freeze: it completed (a PAUSED event) */
	/* A destroy: the names to remove, children first (lmc_mgr_destroy_work's input), how
	 * many went, its result and error, and the request's audit line (logged at the end). */
	bool destroy;
	bool quick; /* small and empty: rmdirs only, on the loop (lmc_mgr_destroy_quick) */
	char (*gone)[LMC_NAME_MAX + 1];
	size_t n_gone, done;
	int r;
	struct lmc_err err;
	char audit[LMC_NAME_MAX + 64];
	uid_t uid;
	pid_t pid;
	char name[LMC_NAME_MAX + 1];
	int op; /* the request's kind and arrival, for its latency (metrics) */
	uint64_t t0;
	struct stats_req *batch_next; /* small, waiting for the loop's iteration to end */
};

/* A run whose child was released and whose report (or bound) is awaited. */
struct run_start {
	struct agent *a;
	struct run_start *prev, *next;
	struct client *c; /* NULL once the client has gone */
	struct lmc_api_peer peer;
	uint64_t id;
	bool detached;
	char name[LMC_NAME_MAX + 1];
	char task_id[LMC_TASK_ID_MAX + 1]; /* its task, entered as starting */
	ev_io io; /* the report channel */
	ev_timer timer; /* LMC_NS_HANDSHAKE_MS */
	struct lmc_ns_spawn_wait w;
};

/* A create whose namespace init has not reported yet, or whose failure is being undone on
 * a worker (tools/agent/lmctld-run.c). */
struct create_start {
	struct agent *a;
	struct create_start *prev, *next;
	struct client *c; /* NULL once the client has gone */
	struct lmc_api_peer peer;
	uint64_t id;
	int op; /* the request's kind and arrival, for its latency (metrics) */
	uint64_t t0;
	char audit[LMC_NAME_MAX + 64];
	char name[LMC_NAME_MAX + 1];
	struct lmc_mgr_creating *mc; /* NULL once created or abandoned */
	int fd; /* mc's report channel, watched by io */
	ev_io io;
	ev_timer timer; /* LMC_NS_HANDSHAKE_MS */
	int r; /* its failure, being undone */
	struct lmc_err err;
};

/* A run's request waiting for its leaf's new init: handled again (the frame and its
 * descriptors) once the init is up, or answered with its failure. */
struct parked_req {
	struct parked_req *next;
	struct client *c; /* NULL once the client has gone */
	uint64_t id;
	char audit[LMC_NAME_MAX + 64];
	uint8_t *buf;
	size_t len;
	int fds[LMC_FRAME_FDS_MAX];
	size_t nfds;
};

/* A leaf's new namespace init, started for runs (tools/agent/lmctld-run.c). */
struct init_start {
	struct agent *a;
	struct init_start *prev, *next;
	char name[LMC_NAME_MAX + 1];
	struct lmc_mgr_init_wait *iw;
	int fd; /* iw's report channel, watched by io */
	ev_io io;
	ev_timer timer; /* LMC_NS_HANDSHAKE_MS */
	struct parked_req *parked;
};

/* Below this many containers reading on the loop costs less than a thread (~2 ms). */
#define STATS_ASYNC_MIN 64
#define STATS_JOBS_MAX 4
/* Runs cloned on workers at once (each holds its worker until the child has exec'd: a
 * child frozen on its way holds it until thawed); past this, runs are cloned on the loop
 * and released from there (lmc_ns_spawn_start), as before workers did it. */
#define VSPAWN_MAX 64
/* Threads waiting for freezes; past this a pause waits on the loop (bounded). */
#define WAIT_JOBS_MAX 16

void lmc_agent_log(const char *fmt, ...) _printf_(1, 2);
uint64_t lmc_agent_now_ns(void);
/* Queue an encoded Response (takes buf) to a client; on failure the client is closed. */
int lmc_agent_send(struct client *c, uint8_t *buf, size_t len);
void lmc_agent_send_error(struct client *c, uint64_t id, int status, const char *msg);
/* Send what was queued while c was corked. */
void lmc_agent_uncork(struct client *c);
/* Close a client (deferred while it is busy or an event is being delivered). */
void lmc_agent_client_close(struct client *c);
/* Free what was deferred: dead clients, dropped subscriptions. */
void lmc_agent_sweep(struct agent *a);
/* True while the client has a run, a subscription or a stats reading going on. */
bool lmc_agent_client_waiting(const struct client *c);

void lmc_agent_proc_free(struct proc *p);
/* Watch a started process (c NULL: no one waits for its exit); sends res->reply if any.
 * Its watch, or NULL (the caller told why). */
struct proc *lmc_agent_run_started(struct agent *a, struct client *c,
				   const struct lmc_api_peer *peer, struct lmc_api_result *res);

/* Off the loop (tools/agent/lmctld-wait.c): STATS, FREEZE_WAIT, KILL_WAIT and DESTROY_WAIT
 * results. */
void lmc_agent_stats_begin(struct client *c, struct lmc_api_result *res);
/* Small readings still queued for the loop's iteration's end: read them now (stopping). */
void lmc_agent_stats_flush(struct agent *a);
void lmc_agent_wait_begin(struct client *c, struct lmc_api_result *res);

/* Runs starting, and holding a connection's reading (tools/agent/lmctld-run.c). */
void lmc_agent_client_hold(struct client *c);
void lmc_agent_client_release(struct client *c);
void lmc_agent_run_begin(struct client *c, struct lmc_api_result *res);
void lmc_agent_runs_client_gone(struct client *c);
/* A create with namespaces whose init was released (res->creating, taken). */
void lmc_agent_create_begin(struct client *c, struct lmc_api_result *res);
/* A run waiting for its leaf's new init (res: INIT_START): takes buf and the fds. */
void lmc_agent_init_park(struct client *c, struct lmc_api_result *res, uint8_t *buf, size_t len,
			 const int *fds, size_t nfds);
/* Handle a frame again, outside c's read callback (tools/agent/lmctld.c); takes buf. */
void lmc_agent_request_again(struct client *c, uint8_t *buf, size_t len, int *fds, size_t nfds);
/* Is request id of conn a run or create still starting? */
bool lmc_agent_start_in_flight(const struct client *c, uint64_t id);
bool lmc_agent_run_starting(const struct agent *a, pid_t pid);
void lmc_agent_runs_stop(struct agent *a);

/* Bind and listen on a unix socket: a stale one (nobody answers) is removed, a live one
 * refused (-EADDRINUSE). */
int lmc_agent_listen_unix(const char *path);
/* The command line (tools/agent/lmctld-args.c): 0, 1 when the agent is to exit 0 at once
 * (--help, --version), -EINVAL after printing one line on what is wrong. */
int lmc_agent_parse_args(int argc, char **argv, struct agent *a, struct lmc_manager_opts *o);

/* Connections (tools/agent/lmctld-conn.c). */
void lmc_agent_conn_init(struct agent *a);
void lmc_agent_conn_stop(struct agent *a);
void lmc_agent_on_accept(struct ev_loop *loop, ev_io *w, int revents);
void lmc_agent_on_client_read(struct ev_loop *loop, ev_io *w, int revents);
void lmc_agent_on_client_write(struct ev_loop *loop, ev_io *w, int revents);
/* Re-arm a client's timer: its frame's deadline, or its idle one. */
void lmc_agent_client_arm(struct client *c);
void lmc_agent_client_timer(struct ev_loop *loop, ev_timer *w, int revents);

/* Subscriptions (tools/agent/lmctld-subs.c). */
void lmc_agent_sub_free(struct agent *a, struct sub *s);
unsigned lmc_agent_subs_of_uid(const struct agent *a, uid_t uid, size_t *ret_refs);
void lmc_agent_sub_emit(struct sub *s, const struct lmc_evrec *ev);
void lmc_agent_subs_created(struct agent *a, const char *name);
void lmc_agent_subscribe(struct client *c, struct lmc_api_result *res);

/* tools/agent/lmctld-run.c: watch a process (takes pidfd); c: the client waiting for its exit. */
struct proc *lmc_agent_proc_add(struct agent *a, const char *name, const char *task_id, pid_t pid,
				int pidfd, bool child, struct client *c, uint64_t id);
/* ---- tools/agent/lmctld-tasks.c: tasks ---- */
/* Start: tasks of the agent before are found again (recovered, watched), logs rotated; their
 * records are read off the loop (lmc_mgr_tasks_load_start), and found again once read. */
void lmc_agent_tasks_start(struct agent *a);
void lmc_agent_tasks_stop(struct agent *a);
/* A process ended: its status (waitid for a child; else what the kernel kept; -1 unknown),
 * its task's record, and the TaskWaits on it answered. */
int lmc_agent_proc_status(struct agent *a, const struct proc *p, int *ret_wstatus);
void lmc_agent_task_ended(struct agent *a, const struct proc *p, int wstatus);
void lmc_agent_task_wait(struct client *c, struct lmc_api_result *res);
void lmc_agent_tasks_client_gone(struct client *c);
bool lmc_agent_tasks_client_waiting(const struct client *c);
/* The event stream (tools/agent/lmctld-journal.c): number and journal ev (seq, timestamp set),
 * then deliver it to every subscription that wants it. */
void lmc_agent_event(struct agent *a, struct lmc_evrec *ev);
void lmc_agent_event_simple(struct agent *a, enum lmc_events_kind kind, const char *name,
			    pid_t pid);
/* Resuming subscriptions: start (after the acknowledgement), go on as the socket drains. */
void lmc_agent_replay_start(struct sub *s);
void lmc_agent_replay_pump(struct client *c);
/* Has one of c's subscriptions more of the journal to send? */
bool lmc_agent_replay_pending(const struct client *c);
/* name was destroyed: its kernel sources that nobody refers to any more are closed. */
void lmc_agent_srcs_gone(struct agent *a, const char *name);
/* Watch name's OOM kills or emptiness (k) with no subscriber (the journal records them);
 * 0 if it is. */
int lmc_agent_src_watch(struct agent *a, const char *name, enum lmc_events_kind k);

/* OOM kills and emptying missed while the agent did not watch (tools/agent/lmctld-watch.c):
 * start (watch again what was watched, journal what was missed), a source of kind k opened
 * with what the kernel says now (the OOM count; 1 if populated), what a source reported
 * (an OOM event's count; an EMPTY event's 0, a process seen in it 1), a subtree destroyed,
 * free. */
void lmc_agent_watch_start(struct agent *a);
/* opened: true if the container emptied unseen (its event is due). */
bool lmc_agent_watch_opened(struct agent *a, enum lmc_events_kind k, const char *name,
			    uint64_t now);
void lmc_agent_watch_seen(struct agent *a, enum lmc_events_kind k, const char *name,
			  uint64_t value);
void lmc_agent_watch_forget(struct agent *a, const char *name);
/* What is due now rather than after this iteration's callbacks (before an event that a
 * crash must not get ahead of). */
void lmc_agent_watch_flush(struct agent *a);
void lmc_agent_watch_free(struct agent *a);

/* Priority eviction (tools/agent/lmctld-evict.c): start watching (nothing when !o->enabled),
 * follow the tree after a change, stop. */
int lmc_agent_evict_start(struct agent *a, const struct lmc_evict_opts *o);
void lmc_agent_evict_sync(struct agent *a);
void lmc_agent_evict_created(struct agent *a, const char *name); /* after one create */
/* One container's watch made to match the tree (after its update, or a change below it). */
void lmc_agent_evict_recheck(struct agent *a, const char *name);
/* Before a destroy's rmdirs: the watches of what it removes are closed. True when one had a
 * PSI trigger: the kernel's release of it waits for an RCU grace period, and so does the
 * rmdir after it (not on the loop, then). */
bool lmc_agent_evict_gone(struct agent *a, char (*names)[LMC_NAME_MAX + 1], size_t n);
size_t lmc_agent_evict_watched(const struct agent *a);
uint64_t lmc_agent_evict_count(const struct agent *a); /* victims killed so far */
/* Stop before the workers are joined (nothing new starts), free after. */
void lmc_agent_evict_stop(struct agent *a);
void lmc_agent_evict_free(struct agent *a);

#endif
