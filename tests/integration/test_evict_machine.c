/* Priority eviction for the whole machine (issue 14), in a VM with little memory: top-level
 * containers without any limit, `hi` (priority 1000) holding more than half of the memory
 * available and touching it, `lo` (priority 10) growing until the machine runs short. The
 * agent, watching the machine's available memory, evicts lo (its event, its process killed)
 * before the kernel's OOM killer runs: hi survives, /proc/vmstat oom_kill does not move, and
 * the kernel's log says "Out of memory" for nobody. With --no-eviction the same run ends with
 * the kernel's global OOM killer killing hi, the biggest: the agent changed the outcome.
 *
 * It takes the machine to the edge of a global OOM, so it runs only where asked:
 * LMCTL_EVICT_MACHINE=1 (tests/vm/run-vm.sh check machine sets it, in a 768 MiB guest);
 * anywhere else it skips. Sizes follow MemAvailable when the test starts. */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sys/klog.h>

#include "tests/integration/agent-harness.h"
#include "tests/integration/evict-hogs.h"

#define MiB ((uint64_t)1 << 20)

static uint64_t meminfo(const char *key)
{
	uint64_t v = 0;
	char line[128];
	size_t n = strlen(key);
	FILE *f = fopen("/proc/meminfo", "re");

	while (f && fgets(line, sizeof(line), f))
		if (strncmp(line, key, n) == 0 && line[n] == ':') {
			sscanf(line + n + 1, "%" SCNu64, &v);
			break;
		}
	if (f)
		fclose(f);
	return v * 1024;
}

/* The kernel's count of OOM kills since boot, global and per cgroup alike. */
static uint64_t vmstat_oom_kills(void)
{
	uint64_t v = 0;
	char line[128];
	FILE *f = fopen("/proc/vmstat", "re");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "oom_kill %" SCNu64, &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Does the kernel's log hold an OOM kill of pid ("Out of memory: Killed process PID")? */
static bool klog_oom_killed(pid_t pid)
{
	int size = klogctl(10 /* SYSLOG_ACTION_SIZE_BUFFER */, NULL, 0);
	char *buf, pat[64];
	bool found;
	int n;

	assert_true(size > 0);
	buf = calloc(1, (size_t)size + 1);
	assert_non_null(buf);
	n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, size);
	assert_true(n >= 0);
	snprintf(pat, sizeof(pat), "Killed process %d ", (int)pid);
	found = strstr(buf, pat) != NULL;
	free(buf);
	return found;
}

static int setup(void **state)
{
	static struct harness h;
	const char *e = getenv("LMCTL_EVICT_MACHINE");

	*state = NULL; /* the test skips */
	if (!lmc_test_is_root() || !e || strcmp(e, "1") != 0)
		return 0;
	assert_int_equal(h_setup(&h), 0);
	*state = &h;
	return 0;
}

static int teardown(void **state)
{
	if (*state)
		h_teardown(*state);
	return 0;
}

static struct harness *harness_or_skip(void **state)
{
	if (!*state) {
		print_message("machine-level eviction runs only as root with "
			      "LMCTL_EVICT_MACHINE=1 (a small VM: tests/vm/run-vm.sh check "
			      "machine)\n");
		skip();
	}
	return *state;
}

/* hi holds 55% of what is available, lo grows by 2% of it every 100 ms, up to 60%: the
 * machine runs short with lo the smaller of the two. */
struct run {
	struct hog hi, lo;
	uint64_t avail, unit, oom_before;
};

static void run_start(struct lmc_backend *b, struct run *r)
{
	r->avail = meminfo("MemAvailable");
	r->unit = (r->avail / 100) & ~4095ULL;
	r->hi = hog_start(b, "hi", 55 * r->unit, 5 * r->unit, 0);
	/* hi's memory is in place before lo starts: the machine's memory is what lo takes. */
	for (long long end = h_now_us() + 120000000LL; h_now_us() < end;) {
		if (meminfo("MemAvailable") + 50 * r->unit <= r->avail)
			break;
		usleep(50000);
	}
	r->oom_before = vmstat_oom_kills();
	print_message("MemTotal %" PRIu64 "M, MemAvailable %" PRIu64 "M at the start, %" PRIu64
		      "M with hi's %" PRIu64 "M in place\n",
		      meminfo("MemTotal") / MiB, r->avail / MiB, meminfo("MemAvailable") / MiB,
		      55 * r->unit / MiB);
	r->lo = hog_start_capped(b, "lo", 0, 2 * r->unit, 100, 60 * r->unit);
}

static void test_machine_short_lo_evicted(void **state)
{
	struct harness *h = harness_or_skip(state);
	struct lmc_backend *b = open_be(h);
	struct lmc_evrec ev;
	pid_t lo_pid;
	struct run r;
	int fd, st;

	create(b, "hi", LMC_UNSET, 1000, LMC_UNSET);
	create(b, "lo", LMC_UNSET, 10, LMC_UNSET);
	fd = subscribe(h, "lo", LMC_UNSET);
	run_start(b, &r);
	lo_pid = r.lo.pid;
	st = hog_wait(&r.lo, 120000, NULL);
	if (st < 0) {
		hog_stop(&r.lo);
		hog_stop(&r.hi);
		fail_msg("lo was not evicted within 120 s (MemAvailable %" PRIu64 "M)",
			 meminfo("MemAvailable") / MiB);
	}
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_true(next_event(fd, LMC_EVK_EVICTED, 10000, &ev));
	print_message("evicted: %s value=%" PRIu64 " %s\n", ev.name, ev.value, ev.detail);
	assert_string_equal(ev.name, "lo");
	assert_non_null(strstr(ev.detail, "under=/ "));
	assert_non_null(strstr(ev.detail, "priority=10 "));
	/* hi lives, and the kernel killed nobody: not hi, not lo (the agent did). */
	assert_true(hog_alive(&r.hi));
	assert_int_equal(vmstat_oom_kills(), r.oom_before);
	assert_false(klog_oom_killed(r.hi.pid));
	assert_false(klog_oom_killed(lo_pid));
	print_message("hi alive, /proc/vmstat oom_kill still %" PRIu64 ", MemAvailable %" PRIu64
		      "M after\n",
		      r.oom_before, meminfo("MemAvailable") / MiB);
	hog_stop(&r.hi);
	close(fd);
	b->ops->close(b);
}

/* The same run without the agent's eviction: the kernel's global OOM killer picks the
 * biggest process, hi. */
static void test_no_eviction_kernel_kills_hi(void **state)
{
	struct harness *h = harness_or_skip(state);
	struct lmc_backend *b;
	struct run r;
	pid_t hi_pid;
	int st;

	h_stop_agent(h, SIGTERM);
	h->extra[0] = "--no-eviction";
	assert_int_equal(h_start_agent(h), 0);
	b = open_be(h);
	create(b, "hi", LMC_UNSET, 1000, LMC_UNSET);
	create(b, "lo", LMC_UNSET, 10, LMC_UNSET);
	run_start(b, &r);
	hi_pid = r.hi.pid;
	st = hog_wait(&r.hi, 120000, NULL);
	if (st < 0) {
		hog_stop(&r.lo);
		hog_stop(&r.hi);
		fail_msg("with --no-eviction hi lived 120 s (MemAvailable %" PRIu64 "M)",
			 meminfo("MemAvailable") / MiB);
	}
	print_message("with --no-eviction the kernel killed hi (pid %d, signal %d); "
		      "/proc/vmstat oom_kill %" PRIu64 " -> %" PRIu64 "; lo %s\n",
		      (int)hi_pid, WIFSIGNALED(st) ? WTERMSIG(st) : 0, r.oom_before,
		      vmstat_oom_kills(), hog_alive(&r.lo) ? "alive" : "dead");
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_true(vmstat_oom_kills() > r.oom_before);
	assert_true(klog_oom_killed(hi_pid));
	hog_stop(&r.lo);
	b->ops->close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_machine_short_lo_evicted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_eviction_kernel_kills_hi, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
