/* Kernel event sources for one container: OOM kills, memory usage crossing a threshold, the
 * container becoming empty. Each source is an fd to watch for readability (the agent puts it
 * in an io watcher) and a function that drains it and says whether an event happened. Which
 * kernel files each reads, per mode, is core/events.c's business; all cgroupfs access goes
 * through controllers/cgroupfs. */
#ifndef LMC_EVENTS_H
#define LMC_EVENTS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"
#include "base/name.h"
#include "core/task.h"

/* The one event-kind enum, from the kernel source to the wire and the CLI: lmctl.proto's
 * EventKind has the same numbers, mapped in one place (proto/api-reply.c, checked when
 * built). */
enum lmc_events_kind {
	LMC_EVK_OOM = 1, /* value: the container's OOM kill count */
	LMC_EVK_THRESHOLD = 2, /* value: memory usage when it crossed; direction */
	LMC_EVK_EMPTY = 3, /* value: 0 */
	LMC_EVK_EXIT = 4, /* a process the agent started exited (not a kernel source) */
	LMC_EVK_EVICTED = 5, /* the agent evicted a container; value: its usage */
	LMC_EVK_RECLAIM = 6, /* the agent squeezed a container first; value: its usage */
	LMC_EVK_STARTED = 7, /* the agent started a process (a task); pid */
	LMC_EVK_CREATED = 8, /* container lifecycle, as the agent acknowledged it */
	LMC_EVK_UPDATED = 9,
	LMC_EVK_DESTROYED = 10, /* ends a subscription to that very container */
	LMC_EVK_PAUSED = 11,
	LMC_EVK_RESUMED = 12,
	LMC_EVK_GAP = 13, /* replay: events were lost before value (the oldest kept seq) */
};
#define LMC_EVK_MAX LMC_EVK_GAP

/* One event as the agent numbers, keeps, persists and sends it. */
struct lmc_evrec {
	uint64_t seq; /* agent-wide, from 1; 0 = not numbered (direct mode) */
	uint64_t timestamp_ns; /* CLOCK_REALTIME when the agent saw it */
	char name[LMC_NAME_MAX + 1];
	enum lmc_events_kind kind;
	uint64_t value;
	uint64_t threshold; /* THRESHOLD: the threshold crossed */
	int direction; /* THRESHOLD: 1 up, -1 down */
	pid_t pid; /* EXIT, STARTED, OOM (victim, 0 = unknown) */
	int wstatus; /* EXIT: as waitpid(2) */
	char detail[256]; /* EVICTED, RECLAIM, EXIT */
	char task_id[LMC_TASK_ID_MAX + 1]; /* STARTED, EXIT: the run's task; "" none */
};

struct lmc_evsrc;
struct lmc_cgfs; /* controllers/cgroupfs.h: callers above core open sources through the
		  * manager (lmc_mgr_events_open) */

/* OOM kills in name, as the kernel notifies them (the count re-read). -EOPNOTSUPP when
 * memory is not managed. */
int lmc_events_oom_open(struct lmc_cgfs *cg, const char *name, struct lmc_evsrc **ret,
			struct lmc_err *err);
/* Memory usage crossing bytes (either way): the kernel notifies it on v1; v2 has no such
 * notification, so the usage is sampled every 10 ms. */
int lmc_events_threshold_open(struct lmc_cgfs *cg, const char *name, uint64_t bytes,
			      struct lmc_evsrc **ret, struct lmc_err *err);
/* name (and everything below) becoming empty, as the cgroup2 tree notifies it. Without a
 * cgroup2 tree (v1 alone) nothing notifies per cgroup: the source checks the subtree's
 * processes every this many ms. */
#define LMC_EVENTS_EMPTY_POLL_MS 100
int lmc_events_empty_open(struct lmc_cgfs *cg, const char *name, struct lmc_evsrc **ret,
			  struct lmc_err *err);

/* The agent's eviction watch (issue 14): usage crossing bytes on v1 (as
 * lmc_events_threshold_open); on v2 any change of the container's memory event counts
 * (high, max, oom; no sampling). lmc_events_read fires on every wake, value the usage. */
int lmc_events_pressure_open(struct lmc_cgfs *cg, const char *name, uint64_t bytes,
			     struct lmc_evsrc **ret, struct lmc_err *err);
/* A PSI trigger on name's memory pressure in the cgroup2 tree ("full" stall_us within each
 * window_us): an fd that polls POLLPRI when it fires (the caller closes it). -EOPNOTSUPP
 * without a cgroup2 tree or PSI. */
int lmc_events_psi_open(struct lmc_cgfs *cg, const char *name, unsigned stall_us,
			unsigned window_us, int *ret_fd, struct lmc_err *err);
/* name's memory usage in bytes, and the count of its OOM kills, as the sources read them. */
int lmc_events_mem_usage(struct lmc_cgfs *cg, const char *name, uint64_t *ret);
int lmc_events_oom_kills(struct lmc_cgfs *cg, const char *name, uint64_t *ret);

int lmc_events_fd(const struct lmc_evsrc *s);
enum lmc_events_kind lmc_events_kind(const struct lmc_evsrc *s);
const char *lmc_events_name(const struct lmc_evsrc *s);
/* After fd polled readable: drain it; *ret_fired says whether this is an event to report,
 * *ret_value its value. -errno if the container went away (the caller drops the source). */
int lmc_events_read(struct lmc_evsrc *s, bool *ret_fired, uint64_t *ret_value);
/* A process was started in the empty source's container (or below): it is populated now,
 * whether or not a sample saw it, so the sample that finds it empty again fires. Where the
 * container is sampled (v1 alone, every LMC_EVENTS_EMPTY_POLL_MS) a process shorter than a
 * sample period would otherwise never be seen. No-op for the other kinds. */
void lmc_events_note_populated(struct lmc_evsrc *s);
/* The empty source's container was found emptied and reported so (its emptying happened
 * unwatched): the kernel's notification of that change may still come, late, and must not
 * read as a process that came and went. For LMC_EVENTS_SETTLE_MS no such guess is made. */
#define LMC_EVENTS_SETTLE_MS 200
void lmc_events_empty_settled(struct lmc_evsrc *s);
/* v1 OOM: the notification came before the kernel counted the kill (lmc_events_read said
 * not fired): re-check the count a little later until it moves (then fired, value the
 * count), or give_up (fired with the count as it is). */
bool lmc_events_oom_pending(const struct lmc_evsrc *s);
int lmc_events_oom_recheck(struct lmc_evsrc *s, bool give_up, bool *ret_fired, uint64_t *ret_value);
/* v1 OOM, after an OOM event went out: two kills' notifications read as one left the
 * second's count unsaid (its event said 2, the kernel 3, in the emulated v1 guest). Pending
 * again, so the re-checks fire once more if the count moves, and at give_up say nothing. */
void lmc_events_oom_trail(struct lmc_evsrc *s);
/* THRESHOLD where the kernel signals each crossing (v1): after a fired read, true once for
 * each further crossing that read took (usage up and back down while nobody read): report
 * another event, with lmc_events_direction as it is now, and ask again. */
bool lmc_events_more(struct lmc_evsrc *s);
/* THRESHOLD: 1 if the last crossing reported was up (the last sample found usage at or over
 * the threshold), else -1. */
int lmc_events_direction(const struct lmc_evsrc *s);
uint64_t lmc_events_threshold(const struct lmc_evsrc *s);
/* OOM: the kill count as last read (at open: the kernel's count then); EMPTY: 1 if the
 * container held a process as last read (or noted), else 0. */
uint64_t lmc_events_count(const struct lmc_evsrc *s);
void lmc_events_free(struct lmc_evsrc *s);

#endif
