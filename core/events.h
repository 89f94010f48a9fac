/* Kernel event sources for one container: OOM kills, memory usage crossing a threshold, the
 * container becoming empty. Each source is an fd to watch for readability (the agent puts it
 * in an io watcher) and a function that drains it and says whether an event happened. All
 * cgroupfs access goes through controllers/cgroupfs. */
#ifndef LMC_EVENTS_H
#define LMC_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "controllers/cgroupfs.h"
#include "core/err.h"

/* The same values as tools/backend.h's enum lmc_event_kind (the wire uses them too). */
enum lmc_events_kind {
	LMC_EVK_OOM = 1, /* value: the container's OOM kill count */
	LMC_EVK_THRESHOLD = 2, /* value: memory usage when it crossed */
	LMC_EVK_EMPTY = 3, /* value: 0 */
	LMC_EVK_EXIT = 4, /* a process the agent started exited (not a kernel source) */
	LMC_EVK_EVICTED = 5, /* the agent evicted a container; value: its usage */
	LMC_EVK_RECLAIM = 6, /* the agent squeezed a container first; value: its usage */
};

struct lmc_evsrc;

/* OOM kills in name: v1 cgroup.event_control + eventfd on memory.oom_control; v2 inotify on
 * memory.events (oom_kill re-read). -EOPNOTSUPP when memory is not managed. */
int lmc_events_oom_open(struct lmc_cgfs *cg, const char *name, struct lmc_evsrc **ret,
			struct lmc_err *err);
/* Memory usage crossing bytes (either way): v1 cgroup.event_control on
 * memory.usage_in_bytes; v2 (no kernel notification) a 10 ms timerfd sampling
 * memory.current. */
int lmc_events_threshold_open(struct lmc_cgfs *cg, const char *name, uint64_t bytes,
			      struct lmc_evsrc **ret, struct lmc_err *err);
/* name (and everything below) becoming empty: inotify IN_MODIFY on the cgroup2
 * cgroup.events, fired on populated 1 -> 0. Without a cgroup2 tree (v1 alone) nothing
 * notifies per cgroup: the source checks the subtree's cgroup.procs every this many ms. */
#define LMC_EVENTS_EMPTY_POLL_MS 100
int lmc_events_empty_open(struct lmc_cgfs *cg, const char *name, struct lmc_evsrc **ret,
			  struct lmc_err *err);

/* The agent's eviction watch (issue 14): usage crossing bytes on v1 (an eventfd, as
 * lmc_events_threshold_open); on v2 memory.events changing (its high, max and oom counts:
 * inotify; no sampling). lmc_events_read fires on every wake, value the usage. */
int lmc_events_pressure_open(struct lmc_cgfs *cg, const char *name, uint64_t bytes,
			     struct lmc_evsrc **ret, struct lmc_err *err);
/* A PSI trigger on name's memory.pressure in the cgroup2 tree ("full" stall_us within each
 * window_us): an fd that polls POLLPRI when it fires (the caller closes it). -EOPNOTSUPP
 * without a cgroup2 tree or PSI. */
int lmc_events_psi_open(struct lmc_cgfs *cg, const char *name, unsigned stall_us,
			unsigned window_us, int *ret_fd, struct lmc_err *err);
/* name's memory usage in bytes (memory.usage_in_bytes or memory.current). */
int lmc_events_mem_usage(struct lmc_cgfs *cg, const char *name, uint64_t *ret);

int lmc_events_fd(const struct lmc_evsrc *s);
enum lmc_events_kind lmc_events_kind(const struct lmc_evsrc *s);
const char *lmc_events_name(const struct lmc_evsrc *s);
/* After fd polled readable: drain it; *ret_fired says whether this is an event to report,
 * *ret_value its value. -errno if the container went away (the caller drops the source). */
int lmc_events_read(struct lmc_evsrc *s, bool *ret_fired, uint64_t *ret_value);
void lmc_events_free(struct lmc_evsrc *s);

#endif
