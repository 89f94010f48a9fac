/* The kernel boundary, part 4: processes. Attach, list, signal, kill and freeze a subtree
 * (cgroup2 core files where they exist, the v1 freezer otherwise), PSI and machine facts. */
#include "controllers/cgroupfs-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "base/macro.h"
#include "base/spec.h"
#include "base/util.h"

#define FREEZE_TIMEOUT_MS 5000
#define WALK_DEPTH_MAX 64

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

int lmc_cgfs_attach(struct lmc_cgfs *cg, const char *name, pid_t pid, bool skip_unified,
		    struct lmc_err *err)
{
	char path[PATH_MAX], val[32];
	int r = lmc_cgfs_relpath(name, "cgroup.procs", path, sizeof(path));

	if (r < 0)
		return lmc_err_set(err, r, "'%s': invalid container name", name);
	snprintf(val, sizeof(val), "%d", (int)pid);
	for (size_t i = 0; i < cg->n_hier; i++) {
		struct lmc_cgfs_hier *h = &cg->hier[i];

		if (skip_unified && h->v2)
			continue;
		r = lmc_cgfs_write_at(h->root_fd, path, val, cg->fake);
		if (r < 0)
			return lmc_err_set(err, r, "%s: attach pid %d (%s hierarchy): %s",
					   name[0] ? name : "/", (int)pid, h->label, strerror(-r));
	}
	return 0;
}

/* Hierarchy k of the placing order: the unified first (a clone into its leaf skips it), the
 * freezer's last, the rest as mounted. */
static size_t place_order(const struct lmc_cgfs *cg, size_t k)
{
	size_t order[LMC_CTRL__MAX + 1], n = 0;
	size_t fz = (size_t)cg->ctrl_hier[LMC_CTRL_FREEZER], un = (size_t)cg->unified;

	if (cg->unified >= 0)
		order[n++] = un;
	for (size_t i = 0; i < cg->n_hier && n < ARRAY_SIZE(order); i++)
		if ((cg->unified < 0 || i != un) &&
		    (cg->ctrl_hier[LMC_CTRL_FREEZER] < 0 || i != fz))
			order[n++] = i;
	if (cg->ctrl_hier[LMC_CTRL_FREEZER] >= 0 && (cg->unified < 0 || fz != un) &&
	    n < ARRAY_SIZE(order))
		order[n++] = fz;
	return k < n ? order[k] : k;
}

int lmc_cgfs_procs_fds(struct lmc_cgfs *cg, const char *name, int *fds, size_t *ret_n,
		       struct lmc_err *err)
{
	char path[PATH_MAX];
	int r = lmc_cgfs_relpath(name, NULL, path, sizeof(path));
	size_t n = 0;

	*ret_n = 0;
	if (r < 0)
		return lmc_err_set(err, r, "'%s': invalid container name", name);
	if (cg->fake)
		return -EOPNOTSUPP;
	/* The freezer's last: a process that joins a frozen cgroup stops right there, and it
	 * must be in every other hierarchy by then (where its starter looks for it). */
	for (size_t k = 0; k < cg->n_hier; k++) {
		size_t i = place_order(cg, k);
		/* v1: "tasks". A write of "0" there moves the writer's thread alone, which the
		 * kernel does without its global threadgroup lock (cgroup_procs_write_start);
		 * cgroup.procs takes it, and the lock's first writer after a quiet spell waits
		 * for an RCU grace period: 7 ms a write here against 22 us (kernel 6.18, idle).
		 * The child placing itself is single-threaded: the thread is the process. A
		 * cgroup2 hierarchy has cgroup.procs alone for a domain cgroup. */
		const char *file = cg->hier[i].v2 ? "cgroup.procs" : "tasks";
		struct lmc_cgfs_dref ref;
		int fd;

		/* Through the container's kept directory: one name to look up instead of the
		 * whole path (each run's start opens one a hierarchy, 100 us of its 200 us
		 * before the clone with 1,000 containers). */
		fd = -1;
		if (lmc_cgfs_dir_get(cg, (int)i, name, &ref) >= 0)
			fd = openat(ref.fd, file, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		else if ((r = lmc_cgfs_relpath(name, file, path, sizeof(path))) >= 0)
			fd = openat(cg->hier[i].root_fd, path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0 && r >= 0)
			r = lmc_negerrno();
		lmc_cgfs_dir_put(cg, &ref);
		if (fd < 0) {
			while (n > 0)
				close(fds[--n]);
			return lmc_err_set(err, r, "%s: %s (%s hierarchy): %s",
					   name[0] ? name : "/", file, cg->hier[i].label,
					   strerror(-r));
		}
		fds[n++] = fd;
	}
	*ret_n = n;
	return 0;
}

int lmc_cgfs_unified_fd(struct lmc_cgfs *cg, const char *name)
{
	struct lmc_cgfs_dref ref;
	int fd;

	/* A fake root's directory is no cgroup to clone3 into: placed by cgroup.procs, as v1. */
	if (cg->unified < 0 || cg->fake)
		return -EOPNOTSUPP;
	/* A copy of the container's kept directory where there is one (no path walk). */
	if (lmc_cgfs_dir_get(cg, cg->unified, name, &ref) < 0)
		return lmc_cgfs_open_dir(cg, LMC_CTRL_UNIFIED, name);
	fd = fcntl(ref.fd, F_DUPFD_CLOEXEC, 3);
	fd = fd < 0 ? lmc_negerrno() : fd;
	lmc_cgfs_dir_put(cg, &ref);
	return fd;
}

/* Parse a cgroup.procs buffer; calls fn for every pid, stops on a non-zero return. */
static int for_each_pid(const char *buf, int (*fn)(pid_t, void *), void *ud)
{
	const char *p = buf;

	while (*p) {
		char *end;
		long v = strtol(p, &end, 10);
		int r;

		if (end == p)
			break;
		if (v > 0 && (r = fn((pid_t)v, ud)) != 0)
			return r;
		p = end;
		while (*p == '\n' || *p == ' ')
			p++;
	}
	return 0;
}

struct pidvec {
	pid_t *v;
	size_t n;
};

static int pidvec_add(pid_t pid, void *ud)
{
	struct pidvec *pv = ud;
	pid_t *nv = realloc(pv->v, (pv->n + 1) * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	pv->v = nv;
	pv->v[pv->n++] = pid;
	return 0;
}

int lmc_cgfs_procs(struct lmc_cgfs *cg, const char *name, pid_t **ret, size_t *ret_n)
{
	char path[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	struct pidvec pv = {NULL, 0};
	int h = lmc_cgfs_track_hier(cg);
	int r;

	if (h < 0)
		return h;
	r = lmc_cgfs_relpath(name, "cgroup.procs", path, sizeof(path));
	if (r >= 0)
		r = lmc_cgfs_read_all_at(cg->hier[h].root_fd, path, &buf);
	if (r >= 0)
		r = for_each_pid(buf, pidvec_add, &pv);
	if (r < 0) {
		free(pv.v);
		return r;
	}
	*ret = pv.v;
	*ret_n = pv.n;
	return 0;
}

/* Depth-first over a cgroup directory and everything below it; fn's non-zero return stops
 * the walk and is returned. */
static int walk(int dirfd, int depth, int (*fn)(int, void *), void *ud)
{
	struct dirent *de;
	DIR *d;
	int r = fn(dirfd, ud), dup_fd;

	if (r != 0 || depth >= WALK_DEPTH_MAX)
		return r;
	dup_fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dup_fd < 0 || !(d = fdopendir(dup_fd))) {
		if (dup_fd >= 0)
			close(dup_fd);
		return 0;
	}
	while (r == 0 && (de = readdir(d))) {
		int sub;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub < 0)
			continue; /* removed meanwhile */
		r = walk(sub, depth + 1, fn, ud);
		close(sub);
	}
	closedir(d);
	return r;
}

static int walk_name(struct lmc_cgfs *cg, int h, const char *name, int (*fn)(int, void *), void *ud)
{
	char path[PATH_MAX];
	_cleanup_close_ int fd = -EBADF;
	int r = lmc_cgfs_relpath(name, NULL, path, sizeof(path));

	if (r < 0)
		return r;
	fd = openat(cg->hier[h].root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return lmc_negerrno();
	return walk(fd, 0, fn, ud);
}

struct sig_walk {
	int sig;
	size_t n;
};

static int sig_one(pid_t pid, void *ud)
{
	struct sig_walk *sw = ud;

	if (kill(pid, sw->sig) == 0)
		sw->n++;
	return 0;
}

static int sig_dir(int dirfd, void *ud)
{
	_cleanup_free_ char *buf = NULL;

	if (lmc_cgfs_read_all_at(dirfd, "cgroup.procs", &buf) < 0)
		return 0;
	return for_each_pid(buf, sig_one, ud);
}

static int any_pid(pid_t pid, void *ud)
{
	(void)pid;
	(void)ud;
	return 1;
}

static int populated_dir(int dirfd, void *ud)
{
	_cleanup_free_ char *buf = NULL;

	if (lmc_cgfs_read_all_at(dirfd, "cgroup.procs", &buf) < 0)
		return 0;
	return for_each_pid(buf, any_pid, ud);
}

int lmc_cgfs_populated(struct lmc_cgfs *cg, const char *name, bool *ret)
{
	uint64_t v;
	int h, r;

	if (cg->unified >= 0 &&
	    lmc_cgfs_read_key(cg, LMC_CTRL_UNIFIED, name, "cgroup.events", "populated", &v) == 0) {
		*ret = v != 0;
		return 0;
	}
	/* v1: no populated flag; look for any pid in the subtree. */
	h = lmc_cgfs_track_hier(cg);
	if (h < 0)
		return h;
	r = walk_name(cg, h, name, populated_dir, NULL);
	if (r < 0)
		return r;
	*ret = r > 0;
	return 0;
}

int lmc_cgfs_signal(struct lmc_cgfs *cg, const char *name, int sig, struct lmc_err *err)
{
	struct sig_walk sw = {sig, 0};
	int h = lmc_cgfs_track_hier(cg);
	int r;

	if (h < 0)
		return lmc_err_set(err, h, "%s: no hierarchy tracks processes", name);
	r = walk_name(cg, h, name, sig_dir, &sw);
	if (r < 0)
		return lmc_err_set(err, r, "%s: signal %d: %s", name[0] ? name : "/", sig,
				   strerror(-r));
	return 0;
}

/* Wait until "key" in the container's cgroup.events equals want. The kernel wakes POLLPRI
 * on every change; the file is re-read after each wake since a wake is not a value. */
static int wait_events(struct lmc_cgfs *cg, const char *name, const char *key, uint64_t want,
		       int timeout_ms)
{
	_cleanup_close_ int fd = -EBADF;
	int64_t deadline = lmc_util_now_ms() + timeout_ms;
	char buf[256];

	if (cg->fake)
		return 0; /* a temp dir has nobody to wait for */
	fd = lmc_cgfs_open_file(cg, LMC_CTRL_UNIFIED, name, "cgroup.events", O_RDONLY);
	if (fd < 0)
		return fd;
	for (;;) {
		struct pollfd pfd = {.fd = fd, .events = POLLPRI};
		uint64_t v;
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		int64_t left;

		if (n < 0)
			return lmc_negerrno();
		buf[n] = '\0';
		if (lmc_cgfs_parse_key(buf, key, &v) == 0 && v == want)
			return 0;
		left = deadline - lmc_util_now_ms();
		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
			return lmc_negerrno();
	}
}

static bool v1_freezer(const struct lmc_cgfs *cg)
{
	int h = lmc_cgfs_hier_of(cg, LMC_CTRL_FREEZER);

	return h >= 0 && !cg->hier[h].v2;
}

static bool freezer_state_is(struct lmc_cgfs *cg, const char *name, const char *state)
{
	char buf[32];

	return lmc_cgfs_read(cg, LMC_CTRL_FREEZER, name, "freezer.state", buf, sizeof(buf)) >= 0 &&
	       strncmp(buf, state, strlen(state)) == 0;
}

/* v1 FREEZING may take a few ms; reading the state also moves it along. Bounded. */
static int wait_freezer(struct lmc_cgfs *cg, const char *name, const char *state, int64_t deadline)
{
	while (!freezer_state_is(cg, name, state)) {
		if (lmc_util_now_ms() >= deadline)
			return -ETIMEDOUT;
		sleep_ms(1);
	}
	return 0;
}

static int thaw_dir(int dirfd, void *ud)
{
	char buf[32];

	if (lmc_cgfs_read_at(dirfd, "freezer.state", buf, sizeof(buf)) >= 0 &&
	    strncmp(buf, "THAWED", 6) != 0)
		lmc_cgfs_write_at(dirfd, "freezer.state", "THAWED", *(bool *)ud);
	return 0;
}

/* Thaw every v1 freezer cgroup in the subtree: a SIGKILL to a frozen task waits for it. */
static void thaw_tree(struct lmc_cgfs *cg, const char *name)
{
	if (v1_freezer(cg))
		walk_name(cg, lmc_cgfs_hier_of(cg, LMC_CTRL_FREEZER), name, thaw_dir, &cg->fake);
}

/* v1 alone: freeze so nothing forks away, SIGKILL every pid, thaw so the kills land, then
 * re-signal until empty (bounded). */
static int kill_v1(struct lmc_cgfs *cg, const char *name, int timeout_ms)
{
	int64_t deadline = lmc_util_now_ms() + timeout_ms;
	bool pop = true;
	int r;

	/* If it will not freeze in time, kill anyway: the re-signal loop catches forks. */
	if (v1_freezer(cg) &&
	    lmc_cgfs_write(cg, LMC_CTRL_FREEZER, name, "freezer.state", "FROZEN") >= 0)
		(void)wait_freezer(cg, name, "FROZEN", deadline);
	for (;;) {
		r = lmc_cgfs_signal(cg, name, SIGKILL, NULL);
		if (r < 0)
			return r;
		thaw_tree(cg, name);
		r = lmc_cgfs_populated(cg, name, &pop);
		if (r < 0 || !pop)
			return r;
		if (lmc_util_now_ms() >= deadline)
			return -ETIMEDOUT;
		sleep_ms(1);
	}
}

int lmc_cgfs_kill(struct lmc_cgfs *cg, const char *name, int timeout_ms, struct lmc_err *err)
{
	const char *shown = name[0] ? name : "/";
	bool pop = true;
	int r;

	if (!lmc_name_is_relpath(name))
		return lmc_err_set(err, -EINVAL, "'%s': invalid container name", name);
	/* Nothing to kill: one read instead of a kill, a thaw walk and a wait (a destroy's
	 * common case). It also spares the cgroup a cgroup.kill, after which this kernel
	 * refuses CLONE_INTO_CGROUP into it (see core/manager-proc.c). */
	if (!cg->fake && lmc_cgfs_populated(cg, name, &pop) == 0 && !pop)
		return 0;
	if (cg->unified >= 0 && (lmc_cgfs_file_exists(cg, LMC_CTRL_UNIFIED, name, "cgroup.kill") ||
				 (cg->fake && cg->mode == LMC_CG_V2))) {
		r = lmc_cgfs_write(cg, LMC_CTRL_UNIFIED, name, "cgroup.kill", "1");
		if (r < 0)
			return lmc_err_set(err, r, "%s: cgroup.kill: %s", shown, strerror(-r));
		/* Tasks frozen by a v1 freezer (hybrid) only die once thawed. */
		thaw_tree(cg, name);
		r = wait_events(cg, name, "populated", 0, timeout_ms);
	} else {
		r = kill_v1(cg, name, timeout_ms);
	}
	if (r == -ETIMEDOUT)
		return lmc_err_set(err, r, "%s: processes remain %d ms after kill", shown,
				   timeout_ms);
	if (r < 0)
		return lmc_err_set(err, r, "%s: kill: %s", shown, strerror(-r));
	return 0;
}

static bool use_cgroup_freeze(struct lmc_cgfs *cg, const char *name)
{
	return cg->unified >= 0 &&
	       (cg->mode == LMC_CG_V2 ||
		lmc_cgfs_file_exists(cg, LMC_CTRL_UNIFIED, name, "cgroup.freeze"));
}

/* Freeze (wait true: until frozen, bounded) or thaw; wait false leaves a freeze under way
 * for lmc_cgfs_freeze_wait. */
static int freeze_do(struct lmc_cgfs *cg, const char *name, bool freeze, bool wait)
{
	int r;

	if (use_cgroup_freeze(cg, name)) {
		r = lmc_cgfs_write(cg, LMC_CTRL_UNIFIED, name, "cgroup.freeze", freeze ? "1" : "0");
		if (r >= 0 && freeze && wait)
			r = wait_events(cg, name, "frozen", 1, FREEZE_TIMEOUT_MS);
	} else if (v1_freezer(cg)) {
		r = lmc_cgfs_write(cg, LMC_CTRL_FREEZER, name, "freezer.state",
				   freeze ? "FROZEN" : "THAWED");
		if (r >= 0 && freeze && wait && !cg->fake)
			r = wait_freezer(cg, name, "FROZEN", lmc_util_now_ms() + FREEZE_TIMEOUT_MS);
	} else {
		r = -EOPNOTSUPP;
	}
	return r;
}

int lmc_cgfs_freeze_wait(struct lmc_cgfs *cg, const char *name, struct lmc_err *err)
{
	const char *shown = name[0] ? name : "/";
	int r = -EOPNOTSUPP;

	if (use_cgroup_freeze(cg, name))
		r = wait_events(cg, name, "frozen", 1, FREEZE_TIMEOUT_MS);
	else if (v1_freezer(cg))
		r = cg->fake ? 0
			     : wait_freezer(cg, name, "FROZEN",
					    lmc_util_now_ms() + FREEZE_TIMEOUT_MS);
	if (r < 0)
		return lmc_err_set(err, r, "%s: freeze: %s", shown,
				   r == -ETIMEDOUT ? "timed out waiting for it to freeze"
						   : strerror(-r));
	return 0;
}

int lmc_cgfs_freeze(struct lmc_cgfs *cg, const char *name, bool freeze, struct lmc_err *err)
{
	return lmc_cgfs_freeze_start(cg, name, freeze, true, err);
}

int lmc_cgfs_freeze_start(struct lmc_cgfs *cg, const char *name, bool freeze, bool wait,
			  struct lmc_err *err)
{
	const char *shown = name[0] ? name : "/";
	int r;

	if (!lmc_name_is_relpath(name))
		return lmc_err_set(err, -EINVAL, "'%s': invalid container name", name);
	r = freeze_do(cg, name, freeze, wait);
	if (r < 0)
		return lmc_err_set(err, r, "%s: %s: %s", shown, freeze ? "freeze" : "thaw",
				   r == -ETIMEDOUT ? "timed out waiting for it to freeze"
						   : strerror(-r));
	return 0;
}

int lmc_cgfs_frozen(struct lmc_cgfs *cg, const char *name, bool *ret)
{
	char buf[32];
	uint64_t v;
	int r;

	if (use_cgroup_freeze(cg, name)) {
		r = lmc_cgfs_read_key(cg, LMC_CTRL_UNIFIED, name, "cgroup.events", "frozen", &v);
		if (r >= 0)
			*ret = v != 0;
		return r;
	}
	if (!v1_freezer(cg))
		return -EOPNOTSUPP;
	r = lmc_cgfs_read(cg, LMC_CTRL_FREEZER, name, "freezer.state", buf, sizeof(buf));
	if (r >= 0)
		*ret = strncmp(buf, "FROZEN", 6) == 0;
	return r < 0 ? r : 0;
}

/* One PSI line: "some avg10=0.00 avg60=0.00 avg300=0.00 total=0". */
static bool parse_psi_line(const char *line, double *a10, double *a60, double *a300,
			   uint64_t *total)
{
	return sscanf(line, "avg10=%lf avg60=%lf avg300=%lf total=%" SCNu64, a10, a60, a300,
		      total) == 4;
}

int lmc_cgfs_read_psi(struct lmc_cgfs *cg, const char *name, const char *res, struct lmc_psi *ret)
{
	char file[32], buf[512];
	struct lmc_psi psi = {0};
	bool some = false;
	int r;

	if (cg->unified < 0)
		return -ENOENT;
	snprintf(file, sizeof(file), "%s.pressure", res);
	r = lmc_cgfs_read(cg, LMC_CTRL_UNIFIED, name, file, buf, sizeof(buf));
	if (r < 0)
		return r;
	for (char *line = buf; line && *line;
	     line = strchr(line, '\n'), line = line ? line + 1 : 0) {
		if (strncmp(line, "some ", 5) == 0)
			some = parse_psi_line(line + 5, &psi.some_avg10, &psi.some_avg60,
					      &psi.some_avg300, &psi.some_total_us);
		else if (strncmp(line, "full ", 5) == 0 &&
			 !parse_psi_line(line + 5, &psi.full_avg10, &psi.full_avg60,
					 &psi.full_avg300, &psi.full_total_us))
			return -EINVAL;
	}
	if (!some)
		return -EINVAL;
	psi.present = true;
	*ret = psi;
	return 0;
}

static int read_proc_u64(const char *path, uint64_t *ret)
{
	_cleanup_free_ char *buf = NULL;
	int r = lmc_cgfs_read_all_at(AT_FDCWD, path, &buf);

	if (r < 0)
		return r;
	if (sscanf(buf, " %" SCNu64, ret) != 1)
		return -EINVAL;
	return 0;
}

int lmc_cgfs_machine(uint64_t *ret_mem_bytes, unsigned *ret_cpus, uint64_t *ret_pid_max)
{
	uint64_t pid_max;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	struct sysinfo si;
	int r;

	/* sysinfo's totalram is /proc/meminfo's MemTotal, without the kernel composing the
	 * whole of meminfo (every command reads the machine's capacity as it opens) */
	if (sysinfo(&si) < 0)
		return lmc_negerrno();
	r = read_proc_u64("/proc/sys/kernel/pid_max", &pid_max);
	if (r < 0)
		return r;
	if (ret_mem_bytes)
		*ret_mem_bytes = (uint64_t)si.totalram * (si.mem_unit ? si.mem_unit : 1);
	if (ret_cpus)
		*ret_cpus = cpus > 0 ? (unsigned)cpus : 1;
	if (ret_pid_max)
		*ret_pid_max = pid_max;
	return 0;
}
