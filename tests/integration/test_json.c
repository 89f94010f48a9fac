/* The CLI's promises, command by command, through a real agent and in direct mode:
 * - every --json output (init, list, spec, stats, top, events, which, version) is valid
 *   against docs/lmctl.schema.json (tests/json-check.py: one object per line, a trailing
 *   newline, no null, no "", no empty object) and prints the same bytes both ways (stats,
 *   top and events: the same keys and strings, the figures masked);
 * - the exit status of every command, from a table: 0, 1 (one-line error), 2 (usage), 3
 *   (not found), 4 (exists with another spec), and for run 125/126/127 and 128+N, in both
 *   modes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <cmocka.h>

#include <poll.h>

#include "tests/integration/agent-harness.h"
#include "base/spec.h"
#include "tests/lib/lmctl-run.h"

#define OUT 65536

static struct harness g_h;
static pid_t g_sleeper; /* a process of the test's own, for enter and which */

static int setup(void **state)
{
	if (!lmc_test_is_root())
		skip();
	assert_int_equal(h_setup(&g_h), 0);
	setenv("LMCTL_SOCKET", g_h.sock, 1);
	setenv("LMCTL_STATE_DIR", g_h.state, 1);
	*state = &g_h;
	return 0;
}

static int teardown(void **state)
{
	if (g_sleeper > 0) {
		kill(g_sleeper, SIGKILL);
		waitpid(g_sleeper, NULL, 0);
		g_sleeper = 0;
	}
	h_teardown(*state);
	while (waitpid(-1, NULL, WNOHANG) > 0) /* the orphans main() adopts */
		;
	return 0;
}

static const char *srcdir(void)
{
	const char *s = getenv("LMCTL_SRCDIR");

	return s && *s ? s : ".";
}

/* Debian's python3 with python3-jsonschema (tools/install-deps.sh). A VM guest may lack
 * it: there the comparisons still run, the schema check is skipped. */
static bool have_validator(void)
{
	static int have = -1;

	if (have < 0)
		have = system("/usr/bin/python3 -c 'import jsonschema' 2>/dev/null") == 0;
	if (!have && !getenv("LMCTL_V2_VM"))
		fail_msg("/usr/bin/python3 cannot import jsonschema (tools/install-deps.sh)");
	return have;
}

/* out against $defs/def; lines: exactly that many, or at least -lines. */
static void validate(const char *out, const char *def, int lines, const char *what)
{
	char cmd[1024];
	FILE *p;

	if (!have_validator())
		return;
	snprintf(cmd, sizeof(cmd),
		 "/usr/bin/python3 %s/tests/json-check.py %s/docs/lmctl.schema.json %s --%s=%d",
		 srcdir(), srcdir(), def, lines < 0 ? "min-lines" : "lines", abs(lines));
	p = popen(cmd, "w");
	assert_non_null(p);
	fputs(out, p);
	if (pclose(p) != 0)
		fail_msg("%s: not valid against $defs/%s (reasons above)", what, def);
}

/* Figures that move between two readings become '#'; keys, strings and order stay. */
static void mask_numbers(char *s)
{
	char *w = s;
	bool in_str = false;

	for (const char *p = s; *p;) {
		if (in_str) {
			if (*p == '\\' && p[1])
				*w++ = *p++;
			else if (*p == '"')
				in_str = false;
			*w++ = *p++;
		} else if (*p == '"') {
			in_str = true;
			*w++ = *p++;
		} else if ((*p >= '0' && *p <= '9') || *p == '-') {
			while ((*p >= '0' && *p <= '9') || *p == '-' || *p == '.')
				p++;
			*w++ = '#';
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
}

static void describe(const char *const *args, char *buf, size_t size)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; args[i] && off < size; i++)
		off += snprintf(buf + off, size - off, "%s%s", i ? " " : "", args[i]);
}

struct reading {
	const char *args[8];
	const char *def;
	int lines;
	bool figures; /* values that change between two readings */
};

/* One reading command: valid both ways, and the same bytes (figures masked if they move). */
static void check_reading(const struct reading *rd, const char *pid, const char *task)
{
	static char agent[OUT], direct[OUT], err[OUT];
	const char *a[12], *d[12] = {"--direct"};
	char what[256];
	size_t n = 0;

	for (; rd->args[n]; n++) {
		a[n] = strcmp(rd->args[n], "PID") == 0	  ? pid
		       : strcmp(rd->args[n], "TASK") == 0 ? task
							  : rd->args[n];
		d[n + 1] = a[n];
	}
	a[n] = d[n + 1] = NULL;
	describe(a, what, sizeof(what));
	if (lmc_test_lmctl_as((uid_t)-1, (gid_t)-1, agent, OUT, err, OUT, a) != 0)
		fail_msg("lmctl %s: %s", what, err);
	if (lmc_test_lmctl_as((uid_t)-1, (gid_t)-1, direct, OUT, err, OUT, d) != 0)
		fail_msg("lmctl --direct %s: %s", what, err);
	validate(agent, rd->def, rd->lines, what);
	validate(direct, rd->def, rd->lines, what);
	if (rd->figures) {
		mask_numbers(agent);
		mask_numbers(direct);
	}
	if (strcmp(agent, direct) != 0)
		fail_msg("lmctl %s differs:\nagent:  %s\ndirect: %s", what, agent, direct);
}

static const char *blockdev(void)
{
	const char *d = getenv("LMCTL_TEST_BLOCKDEV");

	if (d && *d)
		return d;
	return access("/dev/vda", F_OK) == 0 ? "/dev/vda" : NULL;
}

/* a (limits, priority), a/b (reservation, shares, pids, namespaces, a throttle, a process),
 * a/z (max-containers), c (paused). */
static void make_tree(char *pid, size_t size, char *task, size_t tsize)
{
	char out[OUT], err[OUT], rbps[160];
	const char *dev = blockdev();

	LMCTL_OK("create", "c");
	LMCTL_OK("create", "a", "--memory=64M", "--cpus=0.5", "--priority=50");
	LMCTL_OK("create", "a/z", "--max-containers=4");
	LMCTL_OK("create", "a/b", "--memory-reservation=8M", "--cpu-shares=100", "--pids-limit=16",
		 "--ns=pid,uts", "--hostname=h");
	if (dev) {
		snprintf(rbps, sizeof(rbps), "--device-read-bps=%s:10M", dev);
		LMCTL_OK("update", "a/b", rbps);
	}
	LMCTL_OK("pause", "c");
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "run", "-d", "--json", "a/b", "--",
					"/bin/sleep", "300", NULL),
			 0);
	validate(out, "run", 1, "run -d --json");
	snprintf(pid, size, "%d", (int)lmc_test_json_u64(out, "pid"));
	assert_true(atoi(pid) > 0);
	assert_non_null(lmc_test_json_find(out, "task_id"));
	snprintf(task, tsize, "%.*s", (int)strcspn(lmc_test_json_find(out, "task_id") + 1, "\""),
		 lmc_test_json_find(out, "task_id") + 1);
}

static void test_json_schema_both_ways(void **state)
{
	static const struct reading reads[] = {
		{{"list", "--json", NULL}, "list_entry", 2, false},
		{{"list", "-r", "--json", NULL}, "list_entry", 4, false},
		{{"list", "-r", "--pids", "--json", NULL}, "list_entry", 4, false},
		{{"list", "--json", "a", NULL}, "list_entry", 3, false},
		{{"spec", "--json", "a", NULL}, "spec", 1, false},
		{{"spec", "--json", "a/b", NULL}, "spec", 1, false},
		{{"spec", "--json", "a/z", NULL}, "spec", 1, false},
		{{"spec", "--json", "c", NULL}, "spec", 1, false},
		{{"stats", "--json", "a/b", NULL}, "stats", 1, true},
		{{"stats", "-r", "--json", "a", NULL}, "stats", 3, true},
		{{"stats", "-r", "--bytes", "--json", "c", NULL}, "stats", 1, true},
		{{"top", "--once", "--json", NULL}, "top_sample", 1, true},
		{{"top", "-n", "2", "-d", "0.1", "--json", "a", NULL}, "top_sample", 2, true},
		{{"which", "--json", "PID", NULL}, "which", 1, false},
		{{"ps", "--json", "a/b", NULL}, "task", 1, false},
		{{"ps", "-r", "--json", "a", NULL}, "task", 1, false},
		{{"task", "show", "--json", "a/b", "TASK", NULL}, "task", 1, false},
		{{"version", "--json", NULL}, "version", 1, false},
	};
	struct harness *h = *state;
	char pid[32], task[80], out[OUT], err[OUT], init_agent[OUT];

	make_tree(pid, sizeof(pid), task, sizeof(task));
	for (size_t i = 0; i < ARRAY_SIZE(reads); i++)
		check_reading(&reads[i], pid, task);
	/* A few values where they belong. */
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "spec", "--json", "a/b", NULL), 0);
	assert_int_equal(lmc_test_json_u64(out, "effective.memory.limit_bytes"), 64 << 20);
	assert_memory_equal(lmc_test_json_find(out, "set_by.memory.limit_bytes"), "\"a\"", 3);
	assert_int_equal(lmc_test_json_u64(out, "asked.memory.reservation_bytes"), 8 << 20);
	assert_int_equal(lmc_test_json_u64(out, "effective.cpu.limit_millicores"), 500);
	assert_int_equal(lmc_test_json_u64(out, "priority"), 50);
	assert_null(lmc_test_json_find(out, "asked.memory.limit_bytes"));
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "stats", "--json", "a", NULL), 0);
	assert_int_equal(lmc_test_json_u64(out, "memory.limit_bytes"), 64 << 20);
	assert_true(lmc_test_json_u64(out, "cpu.usage_ns") != LMC_UNSET);
	/* init writes: through the agent, then directly once it is gone; the same bytes. */
	assert_int_equal(lmc_test_lmctl(init_agent, OUT, err, OUT, "init", "--json", NULL), 0);
	validate(init_agent, "init", 1, "init --json");
	h_stop_agent(h, SIGTERM);
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "init", "--json", NULL), 0);
	validate(out, "init", 1, "init --json (direct)");
	assert_string_equal(out, init_agent);
	assert_int_equal(lmc_test_json_u64(out, "containers"), 4);
}

/* ---- events: a short stream each way ---- */

struct stream {
	pid_t pid;
	int fd;
	char buf[OUT];
	size_t len;
};

static void stream_start(struct stream *s, const char *const *args)
{
	int p[2];

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	s->len = 0;
	s->buf[0] = '\0';
	s->pid = fork();
	assert_true(s->pid >= 0);
	if (s->pid == 0) {
		const char *argv[16] = {"lmctl"};

		for (size_t i = 0; args[i] && i < 14; i++)
			argv[i + 1] = args[i];
		dup2(p[1], 1);
		execv(lmc_test_lmctl_bin(), (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	s->fd = p[0];
}

/* Lines that contain want, or timeout: true once one arrived. */
static bool stream_wait(struct stream *s, const char *want, int timeout_ms)
{
	struct pollfd pfd = {.fd = s->fd, .events = POLLIN};
	long long end = h_now_us() + timeout_ms * 1000LL;

	while (!strstr(s->buf, want)) {
		ssize_t n;

		if (h_now_us() >= end || poll(&pfd, 1, 100) < 0)
			return false;
		if (!(pfd.revents & (POLLIN | POLLHUP)))
			continue;
		n = read(s->fd, s->buf + s->len, sizeof(s->buf) - 1 - s->len);
		if (n <= 0)
			return false;
		s->len += (size_t)n;
		s->buf[s->len] = '\0';
	}
	return true;
}

static void stream_stop(struct stream *s)
{
	kill(s->pid, SIGTERM);
	waitpid(s->pid, NULL, 0);
	close(s->fd);
}

/* Until the subscription is in place a run's end may go unseen: run until a line comes.
 * The bound is time, not runs: in an emulated VM (LMCTL_V2_VM) under a loaded host, the
 * stream's own start (an exec and a connect) took longer than 50 runs once. */
static void events_until(struct stream *s, const char *want)
{
	int bound_s = getenv("LMCTL_V2_VM") ? 60 : 10, runs = 0;
	long long end = h_now_us() + bound_s * 1000000LL;

	/* 300 ms: v1 alone has no notification, its cgroups are sampled every 100 ms
	 * (LMC_EVENTS_EMPTY_POLL_MS), and a process that comes and goes between two samples
	 * is not seen at all */
	while (!stream_wait(s, want, 200) && h_now_us() < end) {
		LMCTL_OK("run", "e", "--", "sleep", "0.3");
		runs++;
	}
	if (!strstr(s->buf, want))
		fail_msg("no '%s' event within %d s (%d runs): '%s'", want, bound_s, runs, s->buf);
}

/* The complete lines of buf that contain key, in order. */
static void lines_with(const char *buf, const char *key, char *ret, size_t size)
{
	size_t off = 0;

	ret[0] = '\0';
	for (const char *p = buf, *nl; (nl = strchr(p, '\n')); p = nl + 1)
		if (memmem(p, (size_t)(nl - p), key, strlen(key)) && off < size)
			off += snprintf(ret + off, size - off, "%.*s", (int)(nl - p + 1), p);
}

static void test_events_both_ways(void **state)
{
	static struct stream s;
	static char agent[OUT], direct[OUT];
	struct harness *h = *state;

	LMCTL_OK("create", "e");
	/* Through the agent: an exit and an empty event. */
	stream_start(&s, (const char *const[]){"events", "--json", "--exit", "--empty", "e", NULL});
	events_until(&s, "\"event\":\"empty\"");
	assert_true(stream_wait(&s, "\"event\":\"exit\"", 10000));
	stream_stop(&s);
	lines_with(s.buf, "\"event\":", agent, sizeof(agent));
	validate(agent, "event", -2, "events --json (agent)");
	assert_non_null(strstr(agent, "{\"name\":\"e\",\"event\":\"exit\",\"timestamp_ns\":"));
	assert_non_null(strstr(agent, ",\"pid\":"));
	assert_non_null(strstr(agent, ",\"status\":0"));
	lines_with(s.buf, "\"event\":\"empty\"", agent, sizeof(agent));
	/* Directly: empty events (exit events are the agent's, which started the process). */
	h_stop_agent(h, SIGTERM);
	stream_start(&s, (const char *const[]){"events", "--json", "--empty", "e", NULL});
	events_until(&s, "\"event\":\"empty\"");
	stream_stop(&s);
	validate(s.buf, "event", -1, "events --json (direct)");
	lines_with(s.buf, "\"event\":\"empty\"", direct, sizeof(direct));
	/* One empty event is one line, the same both ways but for its time. */
	*strchr(agent, '\n') = '\0';
	*strchr(direct, '\n') = '\0';
	mask_numbers(agent);
	mask_numbers(direct);
	/* The agent numbers its events (seq); otherwise the same line. */
	assert_non_null(strstr(agent, ",\"seq\":#"));
	memmove(strstr(agent, ",\"seq\":#"), strstr(agent, ",\"seq\":#") + 8,
		strlen(strstr(agent, ",\"seq\":#") + 8) + 1);
	assert_string_equal(agent, direct);
	assert_string_equal(agent, "{\"name\":\"e\",\"event\":\"empty\",\"timestamp_ns\":#}");
}

/* ---- exit codes, every command, both modes ---- */

enum { F_FULL = 1 }; /* stdout is /dev/full: the output cannot be written */

struct code_row {
	int want;
	int flags;
	const char *args[8];
};

/* In order: each row may rely on those before it (n1 made, the sleeper entered). */
static const struct code_row code_rows[] = {
	{0, 0, {"init", NULL}},
	{1, 0, {"init", "--reserve-memory=1000T", NULL}},
	{2, 0, {"init", "extra", NULL}},
	{0, 0, {"create", "n1", NULL}},
	{0, 0, {"create", "n1", NULL}}, /* a retry: the same spec */
	{4, 0, {"create", "n1", "--memory=64M", NULL}}, /* another spec */
	{2, 0, {"create", NULL}},
	{2, 0, {"create", "n2", "--memory=12Q", NULL}},
	{0, 0, {"update", "n1", "--memory=32M", NULL}},
	{3, 0, {"update", "nosuch", "--memory=32M", NULL}},
	{2, 0, {"update", "n1", "--memroy=32M", NULL}},
	{0, 0, {"list", NULL}},
	{3, 0, {"list", "nosuch", NULL}},
	{1, F_FULL, {"list", NULL}},
	{2, 0, {"list", "--bogus", NULL}},
	{0, 0, {"spec", "n1", NULL}},
	{3, 0, {"spec", "nosuch", NULL}},
	{2, 0, {"spec", NULL}},
	{0, 0, {"stats", "n1", NULL}},
	{3, 0, {"stats", "nosuch", NULL}},
	{2, 0, {"stats", NULL}},
	{0, 0, {"top", "--once", "n1", NULL}},
	{3, 0, {"top", "--once", "nosuch", NULL}},
	{2, 0, {"top", "-n", "0", NULL}},
	{0, 0, {"events", "--help", NULL}},
	{3, 0, {"events", "nosuch", NULL}},
	{2, 0, {"events", NULL}},
	{0, 0, {"enter", "e", "PID", NULL}},
	{3, 0, {"enter", "nosuch", "PID", NULL}},
	{2, 0, {"enter", "e", "abc", NULL}},
	{0, 0, {"which", "PID", NULL}},
	{3, 0, {"which", "SELF", NULL}},
	{2, 0, {"which", NULL}},
	{0, 0, {"kill", "e", NULL}},
	{1, 0, {"kill", "p", NULL}},
	{2, 0, {"kill", "-s", "BOGUS", "e", NULL}},
	{0, 0, {"run", "e", "--", "/bin/true", NULL}},
	{3, 0, {"run", "e", "--", "/bin/sh", "-c", "exit 3", NULL}},
	{128 + SIGTERM, 0, {"run", "e", "--", "/bin/sh", "-c", "kill -TERM $$", NULL}},
	{125, 0, {"run", "nosuch", "--", "/bin/true", NULL}},
	{126, 0, {"run", "e", "--", "/etc/passwd", NULL}},
	{127, 0, {"run", "e", "--", "/nonexistent/cmd", NULL}},
	{2, 0, {"run", NULL}},
	{0, 0, {"pause", "n1", NULL}},
	{3, 0, {"pause", "nosuch", NULL}},
	{2, 0, {"pause", NULL}},
	{0, 0, {"resume", "n1", NULL}},
	{3, 0, {"resume", "nosuch", NULL}},
	{2, 0, {"resume", NULL}},
	{0, 0, {"destroy", "n1", NULL}},
	{3, 0, {"destroy", "n1", NULL}},
	{2, 0, {"destroy", NULL}},
	{0, 0, {"run", "--task-id=TW", "e", "--", "/bin/true", NULL}},
	{0, 0, {"wait", "e", "TW", NULL}},
	{3, 0, {"wait", "e", "nosuch", NULL}},
	{2, 0, {"wait", "e", NULL}},
	{0, 0, {"ps", "e", NULL}},
	{3, 0, {"ps", "nosuch", NULL}},
	{2, 0, {"ps", NULL}},
	{0, 0, {"run", "-d", "--task-id=TD", "e", "--", "/bin/true", NULL}},
	{0, 0, {"wait", "e", "TD", NULL}},
	{0, 0, {"logs", "e", "TD", NULL}},
	{3, 0, {"logs", "e", "nosuch", NULL}},
	{2, 0, {"logs", NULL}},
	{0, 0, {"task", "show", "e", "TW", NULL}},
	{3, 0, {"task", "show", "e", "nosuch", NULL}},
	{2, 0, {"task", "bogus", "e", "TW", NULL}},
	{0, 0, {"task", "rm", "e", "TW", NULL}},
	{3, 0, {"task", "rm", "e", "TW", NULL}},
	{0, 0, {"version", NULL}},
	{1, F_FULL, {"version", NULL}},
	{2, 0, {"version", "extra", NULL}},
	{0, 0, {"help", "run", NULL}},
	{1, F_FULL, {"help", NULL}},
	{2, 0, {"help", "nosuch", NULL}},
};

/* The exit status with stdout on /dev/full. */
static int run_full(const char *const *args)
{
	char cmd[1024];
	size_t off;
	int st;

	off = (size_t)snprintf(cmd, sizeof(cmd), "'%s'", lmc_test_lmctl_bin());
	for (size_t i = 0; args[i] && off < sizeof(cmd); i++)
		off += (size_t)snprintf(cmd + off, sizeof(cmd) - off, " '%s'", args[i]);
	snprintf(cmd + off, sizeof(cmd) - off, " >/dev/full 2>/dev/null");
	st = system(cmd);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static pid_t start_sleeper(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		execl("/bin/sleep", "sleep", "300", (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* A row's argument with PID (the sleeper), SELF (this process), TW/TD (a task id of this
 * mode: ids are kept across modes) filled in. */
static const char *subst(const char *arg, const char *pid, const char *self, const char *mode,
			 char *buf, size_t size)
{
	const char *id = strstr(arg, "TW") ? "TW" : strstr(arg, "TD") ? "TD" : NULL;

	if (strcmp(arg, "PID") == 0)
		return pid;
	if (strcmp(arg, "SELF") == 0)
		return self;
	if (!id)
		return arg;
	snprintf(buf, size, "%.*s%c-%s", (int)(strstr(arg, id) - arg), arg,
		 id[1] == 'W' ? 'w' : 'd', mode);
	return buf;
}

static void exit_codes(const char *mode)
{
	char out[OUT], err[OUT], pid[32], self[32], what[256];
	size_t checked = 0;

	g_sleeper = start_sleeper();
	snprintf(pid, sizeof(pid), "%d", (int)g_sleeper);
	snprintf(self, sizeof(self), "%d", (int)getpid());
	for (size_t i = 0; i < ARRAY_SIZE(code_rows); i++) {
		const struct code_row *row = &code_rows[i];
		const char *args[12];
		char buf[12][64];
		size_t n = 0;
		int r;

		for (; row->args[n]; n++)
			args[n] = subst(row->args[n], pid, self, mode, buf[n], sizeof(buf[n]));
		args[n] = NULL;
		describe(args, what, sizeof(what));
		err[0] = '\0';
		r = row->flags & F_FULL
			    ? run_full(args)
			    : lmc_test_lmctl_as((uid_t)-1, (gid_t)-1, out, OUT, err, OUT, args);
		if (r != row->want)
			fail_msg("%s: lmctl %s: exit %d, want %d (stderr: %s)", mode, what, r,
				 row->want, err);
		/* lmctl's own failures are one line, "lmctl: ...". */
		if ((r == 1 || r == 2 || r == 125) && !(row->flags & F_FULL) &&
		    (strncmp(err, "lmctl: ", 7) != 0 || strchr(err, '\n') != err + strlen(err) - 1))
			fail_msg("%s: lmctl %s: exit %d with stderr '%s'", mode, what, r, err);
		checked++;
	}
	/* kill e ended the sleeper (entered into e). */
	waitpid(g_sleeper, NULL, 0);
	g_sleeper = 0;
	print_message("%zu exit codes as documented (%s)\n", checked, mode);
}

static void test_exit_codes(void **state)
{
	struct harness *h = *state;

	LMCTL_OK("create", "e");
	LMCTL_OK("create", "p");
	LMCTL_OK("create", "p/c");
	exit_codes("agent");
	h_stop_agent(h, SIGTERM);
	exit_codes("direct");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_json_schema_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_events_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exit_codes, setup, teardown),
	};

	/* A direct-mode `run -d` outlives lmctl: its task's status is read from the orphan
	 * while it is a zombie. Adopt the orphans (and reap them only in teardown), so that
	 * does not depend on whether this machine's init reaps at once (busybox's in the VMs
	 * does: the task was "lost" there). */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
