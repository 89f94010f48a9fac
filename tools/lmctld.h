/* What the agent's own files (tools/lmctld*.c) share: its clients, subscriptions,
 * processes and pending reads. Not for any other module. */
#ifndef LMC_LMCTLD_H
#define LMC_LMCTLD_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/events.h"
#include "core/manager.h"
#include "proto/api.h"
#include "proto/frame.h"
#include "tools/jobs.h"

#define MAX_CLIENTS 4096
#define FRAMES_PER_WAKEUP 32
#define OUT_PAUSE (1u << 20) /* stop reading a client with this much unsent */
#define OUT_MAX (64u << 20) /* drop a client that lets this much pile up */
#define SUB_SOURCES_MAX 1024

struct agent;
struct client;

struct src {
	ev_io io;
	struct lmc_evsrc *s;
	struct sub *sub;
	struct src *next;
};

struct sub {
	struct client *c;
	struct sub *next;
	uint64_t id;
	char name[LMC_NAME_MAX + 1];
	struct lmc_api_sub f;
	struct src *srcs;
};

struct client {
	struct agent *a;
	struct client *prev, *next;
	int fd;
	ev_io rio, wio;
	ev_timer idle;
	struct lmc_frame_reader rd;
	struct lmc_api_peer peer;
	uint8_t *out;
	size_t out_len, out_off, out_cap;
	struct sub *subs;
	bool busy; /* inside its read callback: a close is deferred to its end */
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
};

struct agent {
	struct ev_loop *loop;
	struct lmc_manager *m;
	int lfd;
	const char *socket_path;
	ev_io lio;
	ev_signal sigterm, sigint, sigchld;
	double idle_timeout;
	struct client *clients;
	struct proc *procs;
	unsigned n_clients;
	struct lmc_jobs jobs;
	struct stats_req *stats_reqs; /* being read on a worker thread */
};

/* A stats request whose cgroupfs reading runs off the loop (tools/jobs.c). */
struct stats_req {
	struct agent *a;
	struct stats_req *prev, *next;
	struct client *c; /* NULL once the client has gone */
	uint64_t id;
	struct lmc_stats_entry *e;
	size_t n;
	uint8_t *reply;
	size_t reply_len;
};

/* Below this many containers reading on the loop costs less than a thread (~2 ms). */
#define STATS_ASYNC_MIN 64
#define STATS_JOBS_MAX 4

void lmc_agent_log(const char *fmt, ...) _printf_(1, 2);
uint64_t lmc_agent_now_ns(void);
/* Queue an encoded Response (takes buf) to a client; on failure the client is closed. */
int lmc_agent_send(struct client *c, uint8_t *buf, size_t len);
void lmc_agent_send_error(struct client *c, uint64_t id, int status, const char *msg);

/* Subscriptions (tools/lmctld-subs.c). */
void lmc_agent_sub_free(struct agent *a, struct sub *s);
void lmc_agent_sub_emit(struct sub *s, const struct lmc_api_event *ev);
void lmc_agent_subs_created(struct agent *a, const char *name);
void lmc_agent_subscribe(struct client *c, struct lmc_api_result *res);

#endif
