/* Kernel event sources (OOM, memory threshold, empty) as pollable fds over controllers/cgroupfs.
 * inotify needs a path: it is given /proc/self/fd/N of a file cgroupfs opened for us, so no
 * cgroupfs path is ever spelled here. What each source reads:
 *  - OOM: v1 cgroup.event_control + eventfd on memory.oom_control; v2 inotify on
 *    memory.events; the count is oom_kill in either file (lmc_events_oom_kills).
 *  - threshold: v1 cgroup.event_control on memory.usage_in_bytes; v2 a 10 ms timerfd
 *    sampling memory.current (lmc_events_mem_usage).
 *  - empty: inotify IN_MODIFY on the cgroup2 cgroup.events, fired on populated 1 -> 0; v1
 *    alone: a timer checking the subtree's cgroup.procs.
 *  - the eviction watch: v1 as threshold; v2 inotify on memory.events. PSI: a trigger
 *    written to the cgroup2 memory.pressure. */
#include "base/bg.h"
#include "base/util.h"
#include "core/events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "base/name.h"
#include "base/spec.h"
#include "controllers/controller.h"

enum evsrc_how {
	HOW_EVENTFD, /* v1 cgroup.event_control */
	HOW_INOTIFY, /* cgroup2 file modified */
	HOW_TIMER, /* sampling (v2 threshold) */
};

struct lmc_evsrc {
	enum lmc_events_kind kind;
	enum evsrc_how how;
	struct lmc_cgfs *cg;
	char name[LMC_NAME_MAX + 1];
	int fd;
	uint64_t last; /* OOM: kill count; THRESHOLD: 1 if above; EMPTY: populated */
	uint64_t frozen; /* EMPTY on cgroup2: cgroup.events' other key, as last read */
	uint64_t settled_until; /* EMPTY: no came-and-went guess before (lmc_util_now_ns) */
	uint64_t threshold;
	bool oom_pending; /* v1: notified, the kill not counted yet (lmc_events_oom_recheck) */
	bool oom_trailing; /* pending only for a kill whose notice came with an earlier one's */
	unsigned more; /* THRESHOLD on v1: crossings read and not reported yet (lmc_events_more) */
	bool arming; /* THRESHOLD on v1: registered on a background thread, no report yet */
	uint64_t arm_crossings; /* the kernel's crossings read while arming */
};

static int evsrc_new(struct lmc_cgfs *cg, const char *name, enum lmc_events_kind kind,
		     enum evsrc_how how, struct lmc_evsrc **ret)
{
	struct lmc_evsrc *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->kind = kind;
	s->how = how;
	s->cg = cg;
	s->fd = -EBADF;
	snprintf(s->name, sizeof(s->name), "%s", name);
	*ret = s;
	return 0;
}

void lmc_events_free(struct lmc_evsrc *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

static void evsrc_freep(struct lmc_evsrc **s)
{
	lmc_events_free(*s);
}

/* v1: eventfd registered through cgroup.event_control on file. */
static int register_v1(struct lmc_evsrc *s, const char *file, struct lmc_err *err)
{
	_cleanup_close_ int efd = -EBADF, cfd = -EBADF;
	int r;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (efd < 0)
		return lmc_err_set(err, lmc_negerrno(), "%s: eventfd: %m",
				   lmc_name_display(s->name));
	cfd = lmc_cgfs_open_file(s->cg, LMC_CTRL_MEMORY, s->name, file, O_RDONLY);
	if (cfd < 0)
		return lmc_err_set(err, cfd, "%s: cannot open %s: %s", lmc_name_display(s->name),
				   file, strerror(-cfd));
	r = lmc_cgfs_writef(s->cg, LMC_CTRL_MEMORY, s->name, "cgroup.event_control", "%d %d", efd,
			    cfd);
	if (r < 0)
		return lmc_err_set(err, r, "%s: cannot register for %s events: %s",
				   lmc_name_display(s->name), file, strerror(-r));
	s->fd = TAKE_FD(efd);
	return 0;
}

/* A v1 threshold, registered on a background thread (base/bg.h, lmc_cgfs_memreg_*): the
 * kernel waits for an RCU grace period in it (__mem_cgroup_usage_register_event), 6-16 ms
 * on this idle host, which the agent paid on its loop for each watched parent it created and
 * each subscription to a threshold (a client could stall it so). The job reads the usage
 * just before the registration (the kernel counts crossings from its own reading then),
 * registers, and reports on the eventfd: ARM_MARK, plus ARM_ABOVE if the usage was at or
 * over the threshold; the kernel's crossings add to the same counter. The source is arming
 * until the report comes (threshold_armed): a crossing between the open and the
 * registration, which the kernel never counted, is told from the usage reported, so it is
 * not missed and the directions that follow stay right. */
#define ARM_MARK (1ULL << 40)
#define ARM_ABOVE (1ULL << 20)
#define ARM_COUNT (ARM_ABOVE - 1) /* the kernel's crossings in the same read */

struct defer_reg {
	struct lmc_cgfs_memreg *reg;
	int efd; /* a copy of the source's: registered, then the report written to it */
	uint64_t bytes;
	char name[LMC_NAME_MAX + 1];
};

static void defer_reg_run(void *arg)
{
	struct defer_reg *d = arg;
	uint64_t usage = 0, report = ARM_MARK;
	int r = lmc_cgfs_memreg_do(d->reg, &usage);

	/* -ENODEV/-ENOENT: the container went meanwhile, which says nothing wrong. */
	if (r < 0 && r != -ENODEV && r != -ENOENT)
		fprintf(stderr, "lmctld: %s: memory threshold not registered: %s\n",
			lmc_name_display(d->name), strerror(-r));
	/* Sent whatever came of it: the source stops arming. A full counter cannot be. */
	report |= usage >= d->bytes ? ARM_ABOVE : 0;
	(void)!write(d->efd, &report, sizeof(report));
	lmc_cgfs_memreg_free(d->reg);
	close(d->efd);
	free(d);
}

/* The eventfd of a threshold source, its registration queued (defer_reg_run). */
static int register_threshold(struct lmc_evsrc *s, struct lmc_err *err)
{
	_cleanup_close_ int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct defer_reg *d;
	int r;

	if (efd < 0)
		return lmc_err_set(err, lmc_negerrno(), "%s: eventfd: %m",
				   lmc_name_display(s->name));
	d = calloc(1, sizeof(*d));
	if (!d)
		return lmc_err_set(err, -ENOMEM, "out of memory");
	d->efd = fcntl(efd, F_DUPFD_CLOEXEC, 3);
	r = d->efd < 0 ? lmc_negerrno()
		       : lmc_cgfs_memreg_prepare(s->cg, s->name, d->efd, s->threshold, &d->reg);
	if (r < 0) {
		if (d->efd >= 0)
			close(d->efd);
		free(d);
		return lmc_err_set(err, r, "%s: cannot register a memory threshold: %s",
				   lmc_name_display(s->name), strerror(-r));
	}
	d->bytes = s->threshold;
	snprintf(d->name, sizeof(d->name), "%s", s->name);
	s->arming = true;
	s->fd = TAKE_FD(efd);
	lmc_bg_run(defer_reg_run, d);
	return 0;
}

/* cgroup2 file: inotify IN_MODIFY through the /proc/self/fd alias of an fd cgroupfs gave us. */
static int register_inotify(struct lmc_evsrc *s, enum lmc_ctrl c, const char *file,
			    struct lmc_err *err)
{
	_cleanup_close_ int ifd = -EBADF, cfd = -EBADF;
	char path[64];

	cfd = lmc_cgfs_open_file(s->cg, c, s->name, file, O_RDONLY);
	if (cfd < 0)
		return lmc_err_set(err, cfd, "%s: cannot open %s: %s", lmc_name_display(s->name),
				   file, strerror(-cfd));
	ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (ifd < 0)
		return lmc_err_set(err, lmc_negerrno(), "inotify: %m");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", cfd);
	if (inotify_add_watch(ifd, path, IN_MODIFY) < 0)
		return lmc_err_set(err, lmc_negerrno(), "%s: inotify on %s: %m",
				   lmc_name_display(s->name), file);
	s->fd = TAKE_FD(ifd);
	return 0;
}

int lmc_events_oom_kills(struct lmc_cgfs *cg, const char *name, uint64_t *ret)
{
	const char *file = lmc_cgfs_mode(cg) == LMC_CG_V2 ? "memory.events" : "memory.oom_control";

	return lmc_cgfs_read_key(cg, LMC_CTRL_MEMORY, name, file, "oom_kill", ret);
}

int lmc_events_mem_usage(struct lmc_cgfs *cg, const char *name, uint64_t *ret)
{
	const char *file = lmc_cgfs_mode(cg) == LMC_CG_V2 ? "memory.current"
							  : "memory.usage_in_bytes";

	return lmc_cgfs_read_u64(cg, LMC_CTRL_MEMORY, name, file, ret);
}

static int oom_count(struct lmc_evsrc *s, uint64_t *ret)
{
	return lmc_events_oom_kills(s->cg, s->name, ret);
}

static int mem_usage(struct lmc_evsrc *s, uint64_t *ret)
{
	return lmc_events_mem_usage(s->cg, s->name, ret);
}

static int need_memory(struct lmc_cgfs *cg, const char *name, struct lmc_err *err)
{
	if (!lmc_cgfs_has(cg, LMC_CTRL_MEMORY))
		return lmc_err_set(err, -EOPNOTSUPP,
				   "%s: memory events: the memory controller is not managed here",
				   lmc_name_display(name));
	return 0;
}

int lmc_events_oom_open(struct lmc_cgfs *cg, const char *name, struct lmc_evsrc **ret,
			struct lmc_err *err)
{
	_cleanup_(evsrc_freep) struct lmc_evsrc *s = NULL;
	bool v2 = lmc_cgfs_mode(cg) == LMC_CG_V2;
	int r;

	r = need_memory(cg, name, err);
	if (r < 0)
		return r;
	r = evsrc_new(cg, name, LMC_EVK_OOM, v2 ? HOW_INOTIFY : HOW_EVENTFD, &s);
	if (r < 0)
		return r;
	r = v2 ? register_inotify(s, LMC_CTRL_MEMORY, "memory.events", err)
	       : register_v1(s, "memory.oom_control", err);
	if (r < 0)
		return r;
	if (oom_count(s, &s->last) < 0)
		s->last = 0;
	*ret = TAKE_PTR(s);
	return 0;
}

static int timer_open(struct lmc_evsrc *s, long period_ms, struct lmc_err *err)
{
	struct itimerspec its = {
		.it_interval = {.tv_nsec = period_ms * 1000 * 1000},
		.it_value = {.tv_nsec = period_ms * 1000 * 1000},
	};

	s->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (s->fd < 0 || timerfd_settime(s->fd, 0, &its, NULL) < 0)
		return lmc_err_set(err, lmc_negerrno(), "timerfd: %m");
	return 0;
}

int lmc_events_threshold_open(struct lmc_cgfs *cg, const char *name, uint64_t bytes,
			      struct lmc_evsrc **ret, struct lmc_err *err)
{
	_cleanup_(evsrc_freep) struct lmc_evsrc *s = NULL;
	bool v2 = lmc_cgfs_mode(cg) == LMC_CG_V2;
	uint64_t usage = 0;
	int r;

	r = need_memory(cg, name, err);
	if (r < 0)
		return r;
	if (bytes == 0 || bytes == LMC_UNSET)
		return lmc_err_set(err, -EINVAL, "%s: invalid memory threshold",
				   lmc_name_display(name));
	r = evsrc_new(cg, name, LMC_EVK_THRESHOLD, v2 ? HOW_TIMER : HOW_EVENTFD, &s);
	if (r < 0)
		return r;
	s->threshold = bytes;
	/* The usage now is where a subscriber's directions count from (the registration on
	 * v1 reports its own, threshold_armed). */
	if (mem_usage(s, &usage) >= 0)
		s->last = usage >= bytes;
	r = v2 ? timer_open(s, 10, err) : register_threshold(s, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

int lmc_events_pressure_open(struct lmc_cgfs *cg, const char *name, uint64_t bytes,
			     struct lmc_evsrc **ret, struct lmc_err *err)
{
	_cleanup_(evsrc_freep) struct lmc_evsrc *s = NULL;
	int r;

	if (lmc_cgfs_mode(cg) != LMC_CG_V2)
		return lmc_events_threshold_open(cg, name, bytes, ret, err);
	r = need_memory(cg, name, err);
	if (r < 0)
		return r;
	r = evsrc_new(cg, name, LMC_EVK_THRESHOLD, HOW_INOTIFY, &s);
	if (r < 0)
		return r;
	s->threshold = bytes;
	r = register_inotify(s, LMC_CTRL_MEMORY, "memory.events", err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(s);
	return 0;
}

int lmc_events_psi_open(struct lmc_cgfs *cg, const char *name, unsigned stall_us,
			unsigned window_us, int *ret_fd, struct lmc_err *err)
{
	_cleanup_close_ int fd = -EBADF;
	char buf[64];
	int n;

	if (!lmc_cgfs_has(cg, LMC_CTRL_UNIFIED))
		return lmc_err_set(err, -EOPNOTSUPP, "%s: PSI: no cgroup2 tree here",
				   lmc_name_display(name));
	fd = lmc_cgfs_open_file(cg, LMC_CTRL_UNIFIED, name, "memory.pressure", O_RDWR | O_NONBLOCK);
	if (fd < 0)
		return lmc_err_set(err, fd, "%s: memory.pressure: %s", lmc_name_display(name),
				   strerror(-fd));
	n = snprintf(buf, sizeof(buf), "full %u %u", stall_us, window_us);
	/* The trigger is the write itself, NUL included (the kernel's documented form). */
	if (write(fd, buf, (size_t)n + 1) < 0)
		return lmc_err_set(err, lmc_negerrno(), "%s: PSI trigger '%s': %m",
				   lmc_name_display(name), buf);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

/* Populated: cgroup.events where the cgroup2 tree is (and its frozen key, from the same
 * read; unchanged elsewhere); v1 alone has no per-cgroup notification (release_agent is one
 * host-wide program), so there the tree's cgroup.procs files are sampled. */
static int populated(struct lmc_evsrc *s, uint64_t *ret, uint64_t *frozen)
{
	char buf[128];
	bool pop = false;
	int r;

	if (s->how == HOW_INOTIFY) {
		r = lmc_cgfs_read(s->cg, LMC_CTRL_UNIFIED, s->name, "cgroup.events", buf,
				  sizeof(buf));
		if (r >= 0)
			r = lmc_cgfs_parse_key(buf, "populated", ret);
		if (r >= 0 && lmc_cgfs_parse_key(buf, "frozen", frozen) < 0)
			*frozen = s->frozen; /* a kernel without the key: never a change */
		return r;
	}
	r = lmc_cgfs_populated(s->cg, s->name, &pop);
	*ret = pop;
	return r;
}

int lmc_events_empty_open(struct lmc_cgfs *cg, const char *name, struct lmc_evsrc **ret,
			  struct lmc_err *err)
{
	_cleanup_(evsrc_freep) struct lmc_evsrc *s = NULL;
	bool v2 = lmc_cgfs_has(cg, LMC_CTRL_UNIFIED);
	int r;

	r = evsrc_new(cg, name, LMC_EVK_EMPTY, v2 ? HOW_INOTIFY : HOW_TIMER, &s);
	if (r < 0)
		return r;
	r = v2 ? register_inotify(s, LMC_CTRL_UNIFIED, "cgroup.events", err)
	       : timer_open(s, LMC_EVENTS_EMPTY_POLL_MS, err);
	if (r < 0)
		return r;
	r = populated(s, &s->last, &s->frozen);
	if (r < 0)
		return lmc_err_set(err, r, "%s: cannot tell whether it holds processes: %s",
				   lmc_name_display(name), strerror(-r));
	*ret = TAKE_PTR(s);
	return 0;
}

int lmc_events_fd(const struct lmc_evsrc *s)
{
	return s->fd;
}

enum lmc_events_kind lmc_events_kind(const struct lmc_evsrc *s)
{
	return s->kind;
}

const char *lmc_events_name(const struct lmc_evsrc *s)
{
	return s->name;
}

/* Drain the fd; -ENOENT when inotify says the watched file is gone. */
/* *ret_count: an eventfd's or timerfd's count (how many times the kernel signalled it). */
static int drain(struct lmc_evsrc *s, bool *ret_any, uint64_t *ret_count)
{
	union {
		char buf[4096];
		struct inotify_event ev;
		uint64_t count;
	} u;
	bool gone = false;
	ssize_t n;

	*ret_any = false;
	*ret_count = 0;
	for (;;) {
		n = read(s->fd, u.buf, sizeof(u.buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*ret_any = true;
		if (s->how != HOW_INOTIFY) {
			*ret_count = n == sizeof(u.count) ? u.count : 1;
			break; /* eventfd/timerfd: one read takes the whole count */
		}
		for (ssize_t off = 0; off + (ssize_t)sizeof(struct inotify_event) <= n;) {
			struct inotify_event *ev = (struct inotify_event *)(u.buf + off);

			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF))
				gone = true;
			off += sizeof(*ev) + ev->len;
		}
	}
	if (n < 0 && errno != EAGAIN)
		return lmc_negerrno();
	return gone ? -ENOENT : 0;
}

/* v1 signals the OOM before the kill is counted in memory.oom_control: re-read until the
 * count moves past the last one seen, for at most OOM_SETTLE_US. Nothing moves while the
 * kernel's killer is held off (oom_kill_disable 1: the agent's eviction acts instead). */
#define OOM_SETTLE_US 2000
#define OOM_SETTLE_STEP_US 200

static bool oom_held(struct lmc_evsrc *s)
{
	uint64_t held = 0;

	return lmc_cgfs_read_key(s->cg, LMC_CTRL_MEMORY, s->name, "memory.oom_control",
				 "oom_kill_disable", &held) >= 0 &&
	       held;
}

static int oom_count_settled(struct lmc_evsrc *s, uint64_t *ret)
{
	uint64_t v = 0;
	int r;

	for (unsigned waited = 0;; waited += OOM_SETTLE_STEP_US) {
		r = oom_count(s, &v);
		if (r < 0 || v > s->last || waited >= OOM_SETTLE_US || oom_held(s))
			break;
		usleep(OOM_SETTLE_STEP_US);
	}
	*ret = v;
	return r;
}

bool lmc_events_oom_pending(const struct lmc_evsrc *s)
{
	return s->oom_pending;
}

void lmc_events_oom_trail(struct lmc_evsrc *s)
{
	if (s->kind == LMC_EVK_OOM && s->how == HOW_EVENTFD && !oom_held(s))
		s->oom_pending = s->oom_trailing = true;
}

int lmc_events_oom_recheck(struct lmc_evsrc *s, bool give_up, bool *ret_fired, uint64_t *ret_value)
{
	uint64_t v = 0;
	int r = oom_count(s, &v);

	*ret_fired = false;
	if (r < 0) {
		s->oom_pending = false;
		return r;
	}
	if (v <= s->last && !give_up)
		return 0;
	if (v <= s->last && s->oom_trailing) { /* no later kill: nothing to say */
		s->oom_pending = s->oom_trailing = false;
		return 0;
	}
	s->oom_pending = s->oom_trailing = false;
	s->last = v > s->last ? v : s->last;
	*ret_fired = true;
	*ret_value = v;
	return 0;
}

int lmc_events_direction(const struct lmc_evsrc *s)
{
	return s->kind == LMC_EVK_THRESHOLD && s->last ? 1 : -1;
}

uint64_t lmc_events_threshold(const struct lmc_evsrc *s)
{
	return s->threshold;
}

uint64_t lmc_events_count(const struct lmc_evsrc *s)
{
	return s->kind == LMC_EVK_OOM || s->kind == LMC_EVK_EMPTY ? s->last : 0;
}

/* cgroup.events changed. A process that came and went between two reads (the change to 1
 * and back to 0 read as one inotify event) leaves populated at 0 as it was: when frozen did
 * not change either, the change was that, and the cgroup emptied again. */
static int empty_read(struct lmc_evsrc *s, bool *ret_fired)
{
	uint64_t v, frozen = s->frozen;
	int r = populated(s, &v, &frozen);

	if (r < 0)
		return r;
	*ret_fired = !v && (s->last || (s->how == HOW_INOTIFY && frozen == s->frozen &&
					lmc_util_now_ns() >= s->settled_until));
	s->last = v;
	s->frozen = frozen;
	return 0;
}

void lmc_events_empty_settled(struct lmc_evsrc *s)
{
	if (s->kind == LMC_EVK_EMPTY)
		s->settled_until = lmc_util_now_ns() + LMC_EVENTS_SETTLE_MS * 1000000ULL;
}

void lmc_events_note_populated(struct lmc_evsrc *s)
{
	if (s->kind == LMC_EVK_EMPTY)
		s->last = 1;
}

/* v1 signals the usage eventfd once per crossing of the threshold, either way, and the
 * crossings alternate: the first of count leads away from where the last one left usage.
 * Usage read now may already be back across (up and down while the agent was busy): the
 * direction is the kernel's, not the reading's. The first is reported now, the rest through
 * lmc_events_more; of a longer run of flapping, two at most, which keep its end. */
static void threshold_crossed(struct lmc_evsrc *s, uint64_t count)
{
	uint64_t rest = count - 1;

	s->last = !s->last;
	s->more = rest <= 2 ? (unsigned)rest : 2 - (unsigned)(rest % 2);
}

/* A read while arming (see register_threshold): the kernel's crossings are kept until the
 * report comes; then the crossings the kernel counted, and one more if the usage it
 * reported is across from where the open left it, are reported as threshold_crossed
 * does. */
static int threshold_armed(struct lmc_evsrc *s, uint64_t count, bool *ret_fired,
			   uint64_t *ret_value)
{
	uint64_t total, v = 0;
	int r;

	if (count < ARM_MARK) {
		s->arm_crossings += count;
		return 0;
	}
	total = s->arm_crossings + (count & ARM_COUNT) +
		(((count & ARM_ABOVE) != 0) != (s->last != 0));
	s->arming = false;
	s->arm_crossings = 0;
	if (!total)
		return 0;
	r = mem_usage(s, &v);
	if (r < 0)
		return r;
	*ret_value = v;
	threshold_crossed(s, total);
	*ret_fired = true;
	return 0;
}

bool lmc_events_more(struct lmc_evsrc *s)
{
	if (!s->more)
		return false;
	s->more--;
	s->last = !s->last;
	return true;
}

int lmc_events_read(struct lmc_evsrc *s, bool *ret_fired, uint64_t *ret_value)
{
	uint64_t v = 0, count;
	bool any;
	int r;

	*ret_fired = false;
	*ret_value = 0;
	s->more = 0;
	r = drain(s, &any, &count);
	if (r < 0)
		return r;
	if (!any)
		return 0;
	switch (s->kind) {
	case LMC_EVK_OOM:
		r = s->how == HOW_EVENTFD ? oom_count_settled(s, &v) : oom_count(s, &v);
		if (r < 0)
			return r; /* v1 signals the eventfd when the cgroup is removed */
		/* v1: the eventfd itself is the OOM, but its count may still lag: the caller
		 * re-checks later (lmc_events_oom_pending); v2: memory.events changes for other
		 * reasons too, only a higher oom_kill is one. */
		if (s->how == HOW_EVENTFD && v <= s->last && !oom_held(s)) {
			s->oom_pending = true;
			s->oom_trailing = false; /* a notice of its own: it fires at give-up */
			return 0;
		}
		*ret_fired = s->how == HOW_EVENTFD || v > s->last;
		break;
	case LMC_EVK_THRESHOLD:
		if (s->arming)
			return threshold_armed(s, count, ret_fired, ret_value);
		r = mem_usage(s, &v);
		if (r < 0)
			return r;
		*ret_value = v;
		if (s->how == HOW_EVENTFD && count) {
			threshold_crossed(s, count);
			*ret_fired = true;
			return 0;
		}
		*ret_fired = s->how != HOW_TIMER || (v >= s->threshold) != (s->last != 0);
		s->last = v >= s->threshold;
		return 0;
	case LMC_EVK_EMPTY:
		return empty_read(s, ret_fired);
	default:
		return -EINVAL;
	}
	s->last = v;
	*ret_value = v;
	return 0;
}
