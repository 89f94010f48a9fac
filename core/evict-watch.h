/* The kernel side of the agent's priority eviction (issue 14). Per watched container, the
 * signals that it runs short of memory, handed to the agent as fds for its loop; and what
 * the agent reads and does to containers: usage, the candidates below one, reclaim, kill.
 * What a watch sets in the kernel to make those signals (a memory.high at the threshold on
 * v2, the kernel's OOM killer held off on v1) is given back when it ends. The agent's loop,
 * the choice (policy/evict.c) and the task records stay in tools/agent/lmctld-evict.c. */
#ifndef LMC_EVICT_WATCH_H
#define LMC_EVICT_WATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

struct lmc_manager;
struct lmc_evict_cand; /* policy/policy.h */
struct lmc_evwatch;

struct lmc_evwatch_opts {
	uint64_t threshold; /* usage at which the agent acts (lmc_policy_evict_threshold) */
	bool hold_oom; /* v1: hold the kernel's OOM killer off, listen to its OOMs */
	unsigned psi_stall_us, psi_window_us; /* a PSI "full" trigger; 0 stall: none */
};

/* Is the memory controller managed here (nothing can be watched without it)? */
bool lmc_evwatch_supported(struct lmc_manager *m);
/* fn(name, limit, userdata) for every container to watch: one with a memory limit and
 * children, and lmctl's root once `init` gave it a capacity. */
void lmc_evwatch_each(struct lmc_manager *m,
		      void (*fn)(const char *name, uint64_t limit, void *userdata), void *userdata);
/* The same for name alone: fn is called when that one container is to be watched (a create
 * changes only whether its parent is: a sync in O(1) instead of a walk of the tree). */
void lmc_evwatch_one(struct lmc_manager *m, const char *name,
		     void (*fn)(const char *name, uint64_t limit, void *userdata), void *userdata);

/* Watch name from now on: with hold_oom (v1, not on the root) the OOM killer held off and
 * its notification, at once; on v2 a memory.high at the threshold where the user set none
 * (not on the root), at once. The rest waits for lmc_evwatch_arm. err: why it cannot be
 * watched. */
int lmc_evwatch_open(struct lmc_manager *m, const char *name, const struct lmc_evwatch_opts *o,
		     struct lmc_evwatch **ret, struct lmc_err *err);
/* The usage signal (v1 a threshold, registered on a background thread; v2 memory.events
 * through inotify) and a PSI trigger on its memory.pressure where asked and possible, else
 * psi_err says why not (code 0: none was asked). Both cost an RCU grace period in the
 * kernel (a v1 threshold's registration, a trigger's release), which a removal of the
 * cgroup within that time waits for too: the caller arms a watch a while after it opens, so
 * a container that lives a few milliseconds does not pay it. Nothing if armed already.
 * 0, or -errno (err): the watch keeps what open gave it. */
int lmc_evwatch_arm(struct lmc_evwatch *w, struct lmc_err *psi_err, struct lmc_err *err);
/* Hand back what the watch set (memory.high, the OOM killer) and close its fds; NULL ok.
 * The PSI trigger is closed on a background thread (base/bg.h): take it out of any epoll
 * set first. */
void lmc_evwatch_free(struct lmc_evwatch *w);

/* The fds to poll: the usage signal (readable; -1: not armed yet), the v1 OOM
 * notification (readable; -1: none), the PSI trigger (POLLPRI; -1: none). */
int lmc_evwatch_fd(const struct lmc_evwatch *w);
int lmc_evwatch_oom_fd(const struct lmc_evwatch *w);
int lmc_evwatch_psi_fd(const struct lmc_evwatch *w);
/* Give up the PSI trigger (the caller could not poll it), closed as by lmc_evwatch_free:
 * out of any epoll set first. */
void lmc_evwatch_psi_close(struct lmc_evwatch *w);
/* After the usage signal's (oom: the OOM notification's) fd polled readable: drain it;
 * *ret_fired says whether it signalled. -errno once the container is gone. */
int lmc_evwatch_read(struct lmc_evwatch *w, bool oom, bool *ret_fired);
/* The usage signal's name in events: "memory.events" (v2) or "threshold" (v1). */
const char *lmc_evwatch_signal(const struct lmc_evwatch *w);
/* Nothing is left to evict: the kernel's OOM killer acts in the container again. True
 * when it had been held off and now is not. */
bool lmc_evwatch_oom_release(struct lmc_evwatch *w);

/* name's memory usage in bytes. Reads cgroupfs only: any thread. */
int lmc_evwatch_usage(struct lmc_manager *m, const char *name, uint64_t *ret);
/* The eviction candidates below name (lmc_policy_evict_leaves) with their usage read now,
 * 0 for one whose processes are gone (what it still holds is not a victim's). *ret is
 * malloc'd, its names point into the tree (use them before it changes). -ENOENT: no such
 * container. The loop's thread. */
int lmc_evwatch_candidates(struct lmc_manager *m, const char *name, struct lmc_evict_cand **ret,
			   size_t *ret_n);
/* Ask the kernel to reclaim bytes from name (memory.reclaim); *ret_reclaimed: how much its
 * usage fell. -EOPNOTSUPP where the kernel has no memory.reclaim. Any thread. */
int lmc_evwatch_reclaim(struct lmc_manager *m, const char *name, uint64_t bytes,
			uint64_t *ret_reclaimed);
/* Kill every process of name and below and wait (timeout_ms) until it is empty
 * (cgroup.kill, or freeze-kill-thaw). Any thread. */
int lmc_evwatch_kill(struct lmc_manager *m, const char *name, int timeout_ms, struct lmc_err *err);

#endif
