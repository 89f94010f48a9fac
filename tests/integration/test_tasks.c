/* Tasks through the real agent (issue 13): run names a task and keeps its status after it
 * ends and across a kill -9 of the agent; the same run sent three times starts one process;
 * detached runs log to a file and return at once; ps, wait, logs, task kill and task rm. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/integration/agent-fixture.h"
#include "core/task.h"
#include "nsutil/ns.h"
#include "tests/lib/lmctl-run.h"

#define OUT 65536
#define OUTAGE_TASKS 20

/* Orphans of a killed agent come to this process (a subreaper): reap them all. */
static void reap_orphans(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

static int teardown(void **state)
{
	h_teardown(*state);
	reap_orphans();
	return 0;
}

static int lmctl(char *out, char *err, ...)
{
	va_list ap;
	int r;

	va_start(ap, err);
	r = lmc_test_lmctl_va((uid_t)-1, (gid_t)-1, out, out ? OUT : 0, err, err ? OUT : 0, ap);
	va_end(ap);
	return r;
}

/* The value of "key":"..." in the object of task id in a `ps --json` text. */
static const char *task_field(const char *json, const char *id, const char *key, char *buf,
			      size_t size)
{
	char pat[128];
	const char *p, *end;

	snprintf(pat, sizeof(pat), "\"task_id\":\"%s\"", id);
	p = strstr(json, pat);
	if (!p)
		return NULL;
	end = strstr(p, "\"argv\"");
	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(p, pat);
	if (!p || (end && p > end))
		return NULL;
	p += strlen(pat);
	if (*p == '"')
		p++;
	snprintf(buf, size, "%.*s", (int)strcspn(p, "\",}"), p);
	return buf;
}

static void test_run_names_task_and_keeps_status(void **state)
{
	char out[OUT], err[OUT], v[64];

	(void)state;
	LMCTL_OK("create", "a");
	assert_int_equal(lmctl(out, err, "run", "-d", "--task-id", "job1", "a", "--", "/bin/sh",
			       "-c", "exit 3", NULL),
			 0);
	assert_string_equal(out, "job1\n");
	/* wait exits with the task's status, and says nothing more for a clean exit */
	assert_int_equal(lmctl(out, err, "wait", "a", "job1", NULL), 3);
	assert_int_equal(lmctl(out, err, "ps", "--json", "a", NULL), 0);
	assert_string_equal(task_field(out, "job1", "state", v, sizeof(v)), "exited");
	assert_string_equal(task_field(out, "job1", "exit_code", v, sizeof(v)), "3");
	/* a picked id */
	assert_int_equal(lmctl(out, err, "run", "a", "--", "/bin/true", NULL), 0);
	assert_int_equal(lmctl(out, err, "ps", "a", NULL), 0);
	assert_non_null(strstr(out, "t1 "));
	assert_non_null(strstr(out, "exited 0"));
	/* the same in direct mode, from the agent's records */
	assert_int_equal(lmctl(out, err, "--direct", "ps", "--json", "a", NULL), 0);
	assert_string_equal(task_field(out, "job1", "exit_code", v, sizeof(v)), "3");
	/* bad input: a clear error, nothing started */
	assert_int_equal(lmctl(out, err, "run", "--task-id", "a/b", "a", "--", "/bin/true", NULL),
			 2);
	assert_non_null(strstr(err, "--task-id"));
	assert_int_equal(lmctl(out, err, "wait", "a", "nope", NULL), 3);
	assert_non_null(strstr(err, "no task 'nope'"));
}

/* A run right after a kill of the same container starts, attached and detached, every
 * time. On this kernel (6.18) a clone into a cgroup that went through cgroup.kill is
 * SIGKILLed at birth; the asynchronous start released such a child anyway and the run failed
 * later with "Connection reset by peer" (2 to 4 failures in 20 rounds before the fix). */
static void test_run_after_kill(void **state)
{
	char out[OUT], err[OUT];

	(void)state;
	LMCTL_OK("create", "k");
	for (int i = 0; i < 20; i++) {
		assert_int_equal(lmctl(out, err, "run", "-d", "k", "--", "sleep", "100", NULL), 0);
		assert_int_equal(lmctl(out, err, "kill", "k", NULL), 0);
		if (lmctl(out, err, "run", "k", "--", "/bin/true", NULL) != 0)
			fail_msg("round %d: run after kill: %s", i, err);
	}
}

static bool one_proc(void *ud)
{
	struct harness *h = ud;
	pid_t *pids = NULL;
	size_t n = 0;

	lmc_cgfs_procs(h->cg, "r", &pids, &n);
	free(pids);
	return n == 1;
}

/* Issue 13 point 2: the same run request sent three times starts one process. */
static void test_same_run_three_times_starts_one(void **state)
{
	struct harness *h = *state;
	char out[OUT], err[OUT], first[64] = "", cmd[512], line[256];
	pid_t *pids = NULL;
	size_t n = 0;
	int started = 0;
	FILE *f;

	LMCTL_OK("create", "r");
	for (int i = 0; i < 3; i++) {
		assert_int_equal(lmctl(out, err, "run", "-d", "--json", "--task-id", "once", "r",
				       "--", "/bin/sleep", "300", NULL),
				 0);
		assert_non_null(strstr(out, i ? "\"existed\":true" : "\"existed\":false"));
		if (i == 0)
			snprintf(first, sizeof(first), "%d", (int)lmc_test_json_u64(out, "pid"));
		else
			assert_int_equal((int)lmc_test_json_u64(out, "pid"), atoi(first));
	}
	assert_int_equal(lmc_test_wait_until(one_proc, h, 5000), 0);
	assert_int_equal(lmc_cgfs_procs(h->cg, "r", &pids, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(pids[0], atoi(first));
	free(pids);
	/* three clients at once: one starts it, two find it (starting or running) */
	snprintf(cmd, sizeof(cmd),
		 "for i in 1 2 3; do %s run -d --json --task-id conc r -- /bin/sleep 300 & done; "
		 "wait",
		 lmc_test_lmctl_bin());
	f = popen(cmd, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		started += strstr(line, "\"existed\":false") != NULL;
	assert_int_equal(pclose(f), 0);
	assert_int_equal(started, 1);
	assert_int_equal(lmc_cgfs_procs(h->cg, "r", &pids, &n), 0);
	assert_int_equal(n, 2);
	free(pids);
	/* attached retries of an ended task answer its status without running it again */
	LMCTL_OK("task", "kill", "-s", "KILL", "r", "once");
	assert_int_equal(lmctl(out, err, "wait", "r", "once", NULL), 128 + SIGKILL);
	assert_int_equal(lmctl(out, err, "run", "--task-id", "once", "r", "--", "/bin/sleep", "300",
			       NULL),
			 128 + SIGKILL);
	assert_non_null(strstr(err, "exists already"));
}

static long long elapsed_ms(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000LL + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* run -d returns at once (its stdout is not the task's), output goes to the task's log. */
static void test_detached_logs(void **state)
{
	char out[OUT], err[OUT];
	struct timespec t0;

	(void)state;
	LMCTL_OK("create", "l");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* lmc_test_lmctl reads stdout to its end: it would block 300 s on a task holding it */
	assert_int_equal(lmctl(out, err, "run", "-d", "--task-id", "long", "l", "--", "/bin/sh",
			       "-c", "echo started; exec sleep 300", NULL),
			 0);
	assert_true(elapsed_ms(&t0) < 30000);
	assert_string_equal(out, "long\n");
	assert_int_equal(lmctl(out, err, "run", "-d", "--task-id", "say", "l", "--", "/bin/sh",
			       "-c", "read x; echo \"out:$x\"; echo err >&2; exit 0", NULL),
			 0);
	assert_int_equal(lmctl(out, err, "wait", "l", "say", NULL), 0);
	assert_int_equal(lmctl(out, err, "logs", "l", "say", NULL), 0);
	assert_string_equal(out, "out:\nerr\n"); /* stdin was /dev/null */
	/* -f follows until the task ends */
	assert_int_equal(lmctl(out, err, "run", "-d", "--task-id", "slow", "l", "--", "/bin/sh",
			       "-c", "echo one; sleep 0.5; echo two", NULL),
			 0);
	assert_int_equal(lmctl(out, err, "logs", "-f", "l", "slow", NULL), 0);
	assert_string_equal(out, "one\ntwo\n");
	/* an attached run has no log */
	assert_int_equal(lmctl(out, err, "run", "--task-id", "att", "l", "--", "/bin/true", NULL),
			 0);
	assert_int_equal(lmctl(out, err, "logs", "l", "att", NULL), 1);
	assert_non_null(strstr(err, "no log"));
	LMCTL_OK("task", "rm", "-f", "l", "long");
}

static void test_signal_and_delete(void **state)
{
	char out[OUT], err[OUT], v[64];

	(void)state;
	LMCTL_OK("create", "k");
	LMCTL_OK("run", "-d", "--task-id", "s", "k", "--", "/bin/sleep", "300");
	assert_int_equal(lmctl(out, err, "task", "rm", "k", "s", NULL), 1);
	assert_non_null(strstr(err, "is running"));
	LMCTL_OK("task", "kill", "k", "s"); /* TERM */
	assert_int_equal(lmctl(out, err, "wait", "--json", "k", "s", NULL), 128 + SIGTERM);
	assert_string_equal(task_field(out, "s", "state", v, sizeof(v)), "signaled");
	assert_string_equal(task_field(out, "s", "signal", v, sizeof(v)), "15");
	assert_int_equal(lmctl(out, err, "task", "kill", "k", "s", NULL),
			 3); /* its process is gone: not found */
	assert_non_null(strstr(err, "has ended"));
	LMCTL_OK("task", "rm", "k", "s");
	assert_int_equal(lmctl(out, err, "ps", "--json", "k", NULL), 0);
	assert_string_equal(out, ""); /* JSON Lines: no task, no line */
	/* a destroyed container takes its tasks with it */
	LMCTL_OK("run", "k", "--", "/bin/true");
	LMCTL_OK("destroy", "k");
	LMCTL_OK("create", "k");
	assert_int_equal(lmctl(out, err, "ps", "--json", "k", NULL), 0);
	assert_string_equal(out, ""); /* JSON Lines: no task, no line */
}

static void test_oom_killed(void **state)
{
	char out[OUT], err[OUT], v[64];

	(void)state;
	LMCTL_OK("create", "o", "--memory=32M", "--memory-swap=32M");
	LMCTL_OK("run", "-d", "--task-id", "hog", "o", "--", lmc_test_self_exe(), "hog", "256");
	assert_int_equal(lmctl(out, err, "wait", "--json", "o", "hog", NULL), 128 + SIGKILL);
	assert_string_equal(task_field(out, "hog", "state", v, sizeof(v)), "oom_killed");
	/* in the foreground through the agent, lmctl says so (from the task's record) */
	assert_int_equal(lmctl(out, err, "run", "o", "--", lmc_test_self_exe(), "hog", "256", NULL),
			 128 + SIGKILL);
	assert_non_null(strstr(err, "killed by the OOM killer"));
	/* a plain SIGKILL is not an OOM kill */
	LMCTL_OK("run", "-d", "--task-id", "plain", "o", "--", "/bin/sleep", "300");
	LMCTL_OK("task", "kill", "-s", "KILL", "o", "plain");
	assert_int_equal(lmctl(out, err, "wait", "--json", "o", "plain", NULL), 128 + SIGKILL);
	assert_string_equal(task_field(out, "plain", "state", v, sizeof(v)), "signaled");
	assert_int_equal(lmctl(out, err, "run", "o", "--", "/bin/sh", "-c", "kill -9 $$", NULL),
			 128 + SIGKILL);
	assert_non_null(strstr(err, "killed by signal 9"));
}

struct zombies {
	pid_t pids[OUTAGE_TASKS];
	size_t n;
};

/* Each has ended: a zombie (held by this subreaper) or gone. */
static bool all_ended(void *ud)
{
	struct zombies *z = ud;

	for (size_t i = 0; i < z->n; i++) {
		char path[64], buf[512], *p;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)z->pids[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p && p[2] != 'Z')
			return false;
	}
	return true;
}

/* Issue 13: kill -9 of the agent while 20 tasks run and 10 exit during the outage; after
 * the restart every task has its real final status. The agent's orphans come to this
 * process (a subreaper, as systemd is for a service), which does not reap them while the
 * agent is down: the kernel keeps their status. Two more are reaped by it meanwhile: their
 * status is truly gone, and the agent says lost. */
static void test_agent_kill9_outage(void **state)
{
	struct harness *h = *state;
	char out[OUT], err[OUT], id[32], path[OUTAGE_TASKS + 1][128], v[64], code[16];
	struct zombies z = {0};
	pid_t lost;

	assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
	LMCTL_OK("create", "out");
	for (int i = 0; i < OUTAGE_TASKS; i++) {
		snprintf(id, sizeof(id), "w%d", i);
		snprintf(path[i], sizeof(path[i]), "%s/go%d", h->dir, i);
		/* w0-w9 end during the outage (w0-w4 exit i, w5-w9 by signal), the rest run on */
		snprintf(code, sizeof(code), "%d", i < 5 ? i : -(i < 10 ? SIGTERM : SIGUSR1));
		assert_int_equal(lmctl(out, err, "run", "-d", "--json", "--task-id", id, "out",
				       "--", lmc_test_self_exe(), "waitfile", path[i], code, NULL),
				 0);
		if (i < 10)
			z.pids[z.n++] = (pid_t)lmc_test_json_u64(out, "pid");
	}
	snprintf(path[OUTAGE_TASKS], sizeof(path[0]), "%s/golost", h->dir);
	assert_int_equal(lmctl(out, err, "run", "-d", "--json", "--task-id", "lost0", "out", "--",
			       lmc_test_self_exe(), "waitfile", path[OUTAGE_TASKS], "7", NULL),
			 0);
	lost = (pid_t)lmc_test_json_u64(out, "pid");
	h_stop_agent(h, SIGKILL);
	for (int i = 0; i <= OUTAGE_TASKS; i++)
		if (i < 10 || i == OUTAGE_TASKS)
			close(open(path[i], O_WRONLY | O_CREAT, 0600));
	assert_int_equal(lmc_test_wait_until(all_ended, &z, 30000), 0);
	/* lost0 ended and is reaped by this process: no one keeps its status */
	assert_int_equal(waitpid(lost, NULL, 0), lost);
	assert_int_equal(h_start_agent(h), 0);
	assert_int_equal(lmctl(out, err, "ps", "--json", "out", NULL), 0);
	for (int i = 0; i < OUTAGE_TASKS; i++) {
		snprintf(id, sizeof(id), "w%d", i);
		if (i < 5) {
			assert_string_equal(task_field(out, id, "state", v, sizeof(v)), "exited");
			assert_int_equal(atoi(task_field(out, id, "exit_code", v, sizeof(v))), i);
		} else if (i < 10) {
			assert_string_equal(task_field(out, id, "state", v, sizeof(v)), "signaled");
			assert_int_equal(atoi(task_field(out, id, "signal", v, sizeof(v))),
					 SIGTERM);
		} else {
			assert_string_equal(task_field(out, id, "state", v, sizeof(v)), "running");
		}
	}
	assert_string_equal(task_field(out, "lost0", "state", v, sizeof(v)), "lost");
	/* the ones still running are watched again: their end is seen, with its status */
	for (int i = 10; i < OUTAGE_TASKS; i++)
		close(open(path[i], O_WRONLY | O_CREAT, 0600));
	for (int i = 10; i < OUTAGE_TASKS; i++) {
		snprintf(id, sizeof(id), "w%d", i);
		assert_int_equal(lmctl(out, err, "wait", "--json", "out", id, NULL), 128 + SIGUSR1);
		assert_string_equal(task_field(out, id, "state", v, sizeof(v)), "signaled");
	}
	reap_orphans();
	prctl(PR_SET_CHILD_SUBREAPER, 0);
}

/* After a restart a running record is known again by its pid and start time; a pid taken
 * again within the clock tick of the task's start (10 ms) passes both. The record pointed at
 * a process outside the container, with that process's own start time: the agent must not
 * take it for the task (`ps` says lost) nor signal it (`task kill` finds it ended). Before
 * the cgroup check the record said running and `task kill` killed this process's child. */
static void test_task_pid_reused(void **state)
{
	struct harness *h = *state;
	char out[OUT], err[OUT], v[64], state_[64];
	struct lmc_tasks *ts;
	struct lmc_task *t;
	uint64_t start = 0;
	pid_t other, task;
	int dfd, st, ps, killed;
	bool untouched;

	LMCTL_OK("create", "reuse");
	assert_int_equal(lmctl(out, err, "run", "-d", "--json", "--task-id", "t", "reuse", "--",
			       "/bin/sleep", "300", NULL),
			 0);
	task = (pid_t)lmc_test_json_u64(out, "pid");
	h_stop_agent(h, SIGKILL);
	assert_int_equal(kill(task, SIGKILL), 0);
	other = fork(); /* the process now at the record's pid: in this test's own cgroup */
	assert_true(other >= 0);
	if (other == 0) {
		pause();
		_exit(0);
	}
	assert_int_equal(lmc_ns_proc_start(other, &start), 0);
	dfd = open(h->state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(lmc_tasks_open(dfd, &ts, NULL), 0);
	close(dfd);
	t = lmc_tasks_find(ts, "reuse", "t");
	assert_non_null(t);
	assert_int_equal(t->pid, task);
	t->pid = other;
	t->pid_start = start;
	assert_int_equal(lmc_tasks_started(ts, t), 0);
	lmc_tasks_free(ts);
	/* What the agent says and does, read first: other is ended whatever it says. */
	ps = h_start_agent(h) == 0 ? lmctl(out, err, "ps", "--json", "reuse", NULL) : -1;
	snprintf(state_, sizeof(state_), "%s",
		 ps == 0 && task_field(out, "t", "state", v, sizeof(v)) ? v : "?");
	killed = lmctl(NULL, err, "task", "kill", "-s", "KILL", "reuse", "t", NULL);
	untouched = waitpid(other, &st, WNOHANG) == 0;
	kill(other, SIGKILL);
	waitpid(other, &st, 0);
	assert_int_equal(ps, 0);
	assert_string_equal(state_, "lost");
	assert_int_equal(killed, 3);
	assert_non_null(strstr(err, "has ended"));
	assert_true(untouched);
	LMCTL_OK("destroy", "-r", "reuse");
}

/* A test program's helper modes (the tasks it runs). */
static int helper(int argc, char **argv)
{
	if (argc > 2 && strcmp(argv[1], "hog") == 0) {
		size_t mb = strtoul(argv[2], NULL, 10);
		char *p = mmap(NULL, mb << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);

		if (p == MAP_FAILED)
			return 1;
		for (size_t i = 0; i < (mb << 20); i += 4096)
			p[i] = 1;
		return 0;
	}
	if (argc > 3 && strcmp(argv[1], "waitfile") == 0) {
		int code = atoi(argv[3]);

		/* bounded: a test that fails leaves no process behind for long */
		for (int i = 0; i < 120 * 100 && access(argv[2], F_OK) < 0; i++)
			usleep(10000);
		if (code < 0)
			raise(-code);
		return code;
	}
	return -1;
}

/* A run through the agent is in the leaf in every hierarchy before its command's first
 * instruction: the agent clones on a worker and the child writes itself into every
 * cgroup.procs before its exec (v1, hybrid), or it is cloned into its cgroup2 leaf and
 * placed while it waits. */
static void test_run_placed(void **state)
{
	struct harness *h = *state;
	struct lmc_backend *b = h_open_be(h);
	struct lmc_err err = {0};
	const char *argv[] = {"cat", "/proc/self/cgroup", NULL};
	struct lmc_run_opts ro = {.argv = argv};
	struct lmc_spec s;
	char out[4096] = "", want[128];
	int p[2], devnull, status, lines = 0;
	ssize_t n;
	pid_t pid;

	lmc_spec_init(&s);
	assert_int_equal(b->ops->create(b, "place", &s, &err), 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	ro.stdio[0] = ro.stdio[2] = devnull;
	ro.stdio[1] = p[1];
	assert_int_equal(b->ops->run(b, "place", &ro, &pid, &status, &err), 0);
	assert_int_equal(status, 0);
	close(p[1]);
	n = read(p[0], out, sizeof(out) - 1);
	assert_true(n > 0);
	out[n] = '\0';
	snprintf(want, sizeof(want), "/%s/place", h->root);
	for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		size_t ll = strlen(line), wl = strlen(want);

		if (!lmc_test_managed_cgroup_line(line))
			continue;
		lines++;
		if (ll < wl || strcmp(line + ll - wl, want) != 0)
			fail_msg("not placed: %s (want ...%s)", line, want);
	}
	assert_true(lines >= 1);
	close(p[0]);
	close(devnull);
	assert_int_equal(b->ops->destroy(b, "place", false, &err), 0);
	b->ops->close(b);
}

static int fd_count(pid_t pid)
{
	char path[64];
	struct dirent *e;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	d = opendir(path);
	assert_non_null(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

struct fds_settle {
	pid_t pid;
	int most;
};

static bool fds_settled(void *ud)
{
	const struct fds_settle *fs = ud;

	return fd_count(fs->pid) <= fs->most;
}

/* A run's process has its three stdio descriptors and nothing of the agent's, which holds
 * hundreds (each container's directories, kept statistics files): the child shares the
 * agent's table only until its first step, where it keeps a few reserved low numbers
 * (nsutil/fdslots.c). The agent holds no more descriptors after 20 runs than its caches
 * may take. */
static void test_run_fds(void **state)
{
	struct harness *h = *state;
	struct lmc_backend *b = h_open_be(h);
	struct lmc_err err = {0};
	const char *argv[] = {"sh", "-c", "cd /proc/self/fd && echo *", NULL};
	struct lmc_run_opts ro = {.argv = argv};
	struct lmc_spec s;
	char out[256], name[32];
	int p[2], devnull, status, before = 0, after;
	ssize_t n;
	pid_t pid;

	lmc_spec_init(&s);
	assert_int_equal(b->ops->create(b, "fd", &s, &err), 0);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "fd/c%d", i);
		assert_int_equal(b->ops->create(b, name, &s, &err), 0);
	}
	assert_int_equal(lmctl(NULL, NULL, "stats", "-r", "fd", NULL), 0);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int i = 0; i < 21; i++) {
		if (i == 1) /* after the first, which may open more of the leaf's directories */
			before = fd_count(h->agent);
		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		ro.stdio[0] = ro.stdio[2] = devnull;
		ro.stdio[1] = p[1];
		assert_int_equal(b->ops->run(b, "fd/c0", &ro, &pid, &status, &err), 0);
		close(p[1]);
		assert_int_equal(status, 0);
		n = read(p[0], out, sizeof(out) - 1);
		close(p[0]);
		assert_true(n > 0);
		out[n] = '\0';
		assert_string_equal(out, "0 1 2 3\n"); /* 3: the glob's own directory */
	}
	close(devnull);
	assert_true(before > 100);
	/* A run's descriptors left behind would be 20 or more; the agent's caches may open one
	 * or two meanwhile (1,020 against 1,019 in a CI run). The worker closes its copies of
	 * the last run's (placing fds, stdio, channel: 12 on v1) just after it has told the loop
	 * of the start, so they may still be open when the reply arrives (943 against 931 once
	 * in the emulated v1 guest): a leak is what stays. */
	struct fds_settle fs = {.pid = h->agent, .most = before + 2};

	lmc_test_wait_until(fds_settled, &fs, 5000);
	after = fd_count(h->agent);
	if (after > before + 2)
		fail_msg("the agent holds %d descriptors after 20 runs, %d before", after, before);
	assert_int_equal(b->ops->destroy(b, "fd", true, &err), 0);
	b->ops->close(b);
}

/* Direct mode: nobody watches a detached run, so its record says running until something
 * looks. A container whose 1,000 kept records all say so (their processes long gone) took
 * no more runs: "1000 tasks are running (the most kept)" for good. The next run settles the
 * oldest instead and starts. */
static void test_direct_cap_settles(void **state)
{
	struct harness *h = *state;
	struct lmc_tasks *ts;
	char out[OUT], err[OUT], id[32];
	pid_t gone;
	int dfd, st;

	assert_int_equal(lmctl(NULL, NULL, "create", "cap", NULL), 0);
	h_stop_agent(h, SIGTERM);
	/* a process that has ended and been reaped: the records' pid */
	gone = fork();
	assert_true(gone >= 0);
	if (gone == 0)
		_exit(0);
	assert_int_equal(waitpid(gone, &st, 0), gone);
	dfd = open(h->state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(lmc_tasks_open(dfd, &ts, NULL), 0);
	for (int i = 0; i < LMC_TASKS_PER_CONTAINER; i++) {
		struct lmc_task t = {.exit_code = -1,
				     .pidfd = -1,
				     .pid = gone,
				     .pid_start = 1,
				     .started_ns = 1000 + (uint64_t)i};
		struct lmc_task *p;

		snprintf(t.container, sizeof(t.container), "cap");
		snprintf(t.id, sizeof(t.id), "old%d", i);
		t.argv = calloc(2, sizeof(char *));
		assert_non_null(t.argv);
		t.argv[0] = strdup("/bin/true");
		assert_int_equal(lmc_tasks_add(ts, &t, NULL), 0);
		p = lmc_tasks_find(ts, "cap", t.id);
		assert_non_null(p);
		assert_int_equal(lmc_tasks_started(ts, p), 0);
	}
	lmc_tasks_free(ts);
	close(dfd);

	if (lmctl(out, err, "--direct", "run", "cap", "--", "/bin/true", NULL) != 0)
		fail_msg("run at the cap: %s", err);
	/* the oldest went (settled, then let go), the others are kept, the run is one more */
	dfd = open(h->state, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);
	assert_int_equal(lmc_tasks_open(dfd, &ts, NULL), 0);
	close(dfd);
	assert_null(lmc_tasks_find(ts, "cap", "old0"));
	assert_non_null(lmc_tasks_find(ts, "cap", "old1"));
	snprintf(id, sizeof(id), "old%d", LMC_TASKS_PER_CONTAINER - 1);
	assert_non_null(lmc_tasks_find(ts, "cap", id));
	assert_int_equal(lmc_tasks_count(ts, "cap"), LMC_TASKS_PER_CONTAINER);
	lmc_tasks_free(ts);
}

/* The kernel's sigaction: glibc's refuses 32 and 33, its own. */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/* An agent that inherited ignored signals, as one started by GNU make does (4.3 leaves 32
 * and 33 ignored in everything it runs) or by a shell script with "trap '' ...": SIGUSR2,
 * SIGHUP and glibc's 32 and 33 ignored when it starts. */
static int setup_ignoring(void **state)
{
	static const int sigs[] = {SIGUSR2, SIGHUP, 32, 33};
	struct ksigaction ign = {.handler = SIG_IGN}, old[4];
	int r;

	for (int i = 0; i < 4; i++)
		assert_int_equal(syscall(SYS_rt_sigaction, sigs[i], &ign, &old[i], 8), 0);
	r = h_fixture_setup_env(state);
	for (int i = 0; i < 4; i++)
		syscall(SYS_rt_sigaction, sigs[i], &old[i], NULL, 8);
	return r;
}

/* A run's command starts with every signal at its default and none blocked, whatever the
 * agent ignores or handles itself (ignored ones would outlive exec: a command that never
 * dies of SIGHUP, a pipeline whose reader never gets SIGPIPE). */
static void test_run_signals_default(void **state)
{
	struct harness *h = *state;
	struct lmc_backend *b = h_open_be(h);
	struct lmc_err err = {0};
	const char *argv[] = {"cat", "/proc/self/status", NULL};
	struct lmc_run_opts ro = {.argv = argv};
	static const char *const zero[] = {"SigBlk:\t0000000000000000\n",
					   "SigIgn:\t0000000000000000\n",
					   "SigCgt:\t0000000000000000\n"};
	char out[8192], path[64], agent_status[4096];
	int p[2], devnull, status, fd;
	size_t got = 0;
	struct lmc_spec s;
	ssize_t n;
	pid_t pid;

	/* the agent did inherit them (32 and 33 at least: glibc cannot change those) */
	snprintf(path, sizeof(path), "/proc/%d/status", (int)h->agent);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	n = read(fd, agent_status, sizeof(agent_status) - 1);
	close(fd);
	assert_true(n > 0);
	agent_status[n] = '\0';
	assert_null(strstr(agent_status, zero[1]));

	lmc_spec_init(&s);
	assert_int_equal(b->ops->create(b, "sig", &s, &err), 0);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	for (int round = 0; round < 2; round++) { /* the second on a reused stack */
		assert_int_equal(pipe2(p, O_CLOEXEC), 0);
		ro.stdio[0] = ro.stdio[2] = devnull;
		ro.stdio[1] = p[1];
		assert_int_equal(b->ops->run(b, "sig", &ro, &pid, &status, &err), 0);
		close(p[1]);
		assert_int_equal(status, 0);
		for (got = 0; got < sizeof(out) - 1 &&
			      (n = read(p[0], out + got, sizeof(out) - 1 - got)) > 0;)
			got += (size_t)n;
		out[got] = '\0';
		close(p[0]);
		for (size_t i = 0; i < 3; i++)
			if (!strstr(out, zero[i]))
				fail_msg("run %d: the command's %.6s is not empty:\n%s", round,
					 zero[i], out);
	}
	close(devnull);
	assert_int_equal(b->ops->destroy(b, "sig", false, &err), 0);
	b->ops->close(b);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_run_names_task_and_keeps_status,
						h_fixture_setup_env, teardown),
		cmocka_unit_test_setup_teardown(test_same_run_three_times_starts_one,
						h_fixture_setup_env, teardown),
		cmocka_unit_test_setup_teardown(test_detached_logs, h_fixture_setup_env, teardown),
		cmocka_unit_test_setup_teardown(test_run_placed, h_fixture_setup_env, teardown),
		cmocka_unit_test_setup_teardown(test_run_fds, h_fixture_setup_env, teardown),
		cmocka_unit_test_setup_teardown(test_run_signals_default, setup_ignoring, teardown),
		cmocka_unit_test_setup_teardown(test_direct_cap_settles, h_fixture_setup_env,
						teardown),
		cmocka_unit_test_setup_teardown(test_run_after_kill, h_fixture_setup_env, teardown),
		cmocka_unit_test_setup_teardown(test_signal_and_delete, h_fixture_setup_env,
						teardown),
		cmocka_unit_test_setup_teardown(test_oom_killed, h_fixture_setup_env, teardown),
		cmocka_unit_test_setup_teardown(test_task_pid_reused, h_fixture_setup_env,
						teardown),
		cmocka_unit_test_setup_teardown(test_agent_kill9_outage, h_fixture_setup_env,
						teardown),
	};
	int r = helper(argc, argv);

	if (r >= 0)
		return r;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
