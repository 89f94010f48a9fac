/* The CLI as a user meets it, against a real agent and in direct mode: --help on every
 * command, exit codes (0, 1, 2 usage, 125/126/127 for run, 128+N), "did you mean", an
 * explicit --socket that does not answer, --direct while the agent holds the lock, kill on a
 * parent, and every reading command printing byte for byte the same through the agent and
 * directly, in the same order across agent restarts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <poll.h>

#include "tests/integration/agent-fixture.h"
#include "base/spec.h"
#include "tests/lib/lmctl-run.h"

#define OUT 16384

static const char *const commands[] = {"init",	"create", "update", "destroy", "run",
				       "enter", "kill",	  "pause",  "resume",  "list",
				       "spec",	"stats",  "top",    "events",  "version"};

/* The scratch root goes with everything in it, processes first. */
static int teardown(void **state)
{
	char cmd[96];

	/* test_top_terminal's tmux server, if a failure left it. */
	snprintf(cmd, sizeof(cmd), "tmux -L lmctl-test-%d kill-server 2>/dev/null", (int)getpid());
	if (system(cmd) < 0)
		print_message("cannot run tmux\n");
	h_teardown(*state);
	return 0;
}

static int lmctl_v(char *out, char *err, const char *const *args)
{
	return lmc_test_lmctl_as((uid_t)-1, (gid_t)-1, out, OUT, err, OUT, args);
}

static void test_help_every_command(void **state)
{
	char out[OUT], err[OUT], want[64];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const char *forms[][3] = {{commands[i], "--help", NULL},
					  {commands[i], "-h", NULL},
					  {"help", commands[i], NULL}};

		snprintf(want, sizeof(want), "usage: lmctl %s ", commands[i]);
		for (size_t k = 0; k < ARRAY_SIZE(forms); k++) {
			int r = lmctl_v(out, err, forms[k]);

			if (r != 0 || strncmp(out, want, strlen(want)) != 0)
				fail_msg("lmctl %s %s: exit %d, out '%.60s' err '%s'", forms[k][0],
					 forms[k][1], r, out, err);
		}
	}
	/* run's own command keeps its -h. */
	assert_int_equal(lmc_test_lmctl(out, sizeof(out), err, sizeof(err), "run", "nosuch", "--",
					"/bin/true", "-h", NULL),
			 125);
}

/* Bad usage is 2 for every command: an unknown option, a missing name. */
static void test_usage_exit_2(void **state)
{
	static const char *const need_name[] = {"create", "update", "destroy", "run",
						"enter",  "kill",   "pause",   "resume",
						"spec",	  "stats",  "events",  "which"};
	char out[OUT], err[OUT];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		const char *args[] = {commands[i], "--bogus-option", "x", NULL};
		int r = lmctl_v(out, err, args);

		if (r != 2 || !strstr(err, "--bogus-option"))
			fail_msg("lmctl %s --bogus-option: exit %d, err '%s'", commands[i], r, err);
	}
	for (size_t i = 0; i < ARRAY_SIZE(need_name); i++) {
		const char *args[] = {need_name[i], NULL};
		int r = lmctl_v(out, err, args);

		if (r != 2)
			fail_msg("lmctl %s without a name: exit %d, err '%s'", need_name[i], r,
				 err);
	}
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "enter", "a", "abc", NULL), 2);
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "version", "extra", NULL), 2);
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "nosuchcommand", NULL), 2);
	/* A container that does not exist is an error, not usage. */
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "spec", "nosuch", NULL), 3);
}

static void test_did_you_mean(void **state)
{
	char out[OUT], err[OUT];

	(void)state;
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "create", "a", "--memroy=1G", NULL), 2);
	assert_non_null(strstr(err, "did you mean --memory?"));
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "spec", "a", NULL), 3); /* not made */
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "list", "--jsn", NULL), 2);
	assert_non_null(strstr(err, "did you mean --json?"));
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "list", "--direct", NULL), 2);
	assert_non_null(strstr(err, "global option"));
	assert_non_null(strstr(err, "lmctl --direct list"));
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "--sockt=x", "list", NULL), 2);
	assert_non_null(strstr(err, "did you mean --socket?"));
}

/* run: the command's status; 125 lmctl failed first; 126 not executable; 127 not found. */
static void run_codes(const char *mode)
{
	char out[OUT], err[OUT];

	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "run", "a", "--", "/bin/sh", "-c",
					"exit 3", NULL),
			 3);
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "run", "a", "--", "/bin/sh", "-c",
					"kill -TERM $$", NULL),
			 128 + SIGTERM);
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "run", "a", "--", "/nonexistent/cmd",
					NULL),
			 127);
	assert_int_equal(
		lmc_test_lmctl(out, OUT, err, OUT, "run", "a", "--", "nosuchcmd-lmctl", NULL), 127);
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "run", "a", "--", "/etc/passwd", NULL),
			 126);
	assert_int_equal(
		lmc_test_lmctl(out, OUT, err, OUT, "run", "nosuch", "--", "/bin/true", NULL), 125);
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "run", "--cwd=/nonexistent", "a", "--",
					"/bin/true", NULL),
			 125);
	print_message("run exit codes as documented (%s)\n", mode);
}

static void test_run_exit_codes(void **state)
{
	struct harness *h = *state;

	LMCTL_OK("create", "a");
	run_codes("agent");
	h_stop_agent(h, SIGTERM);
	run_codes("direct");
}

static bool proc_gone(void *ud)
{
	return kill(*(pid_t *)ud, 0) < 0;
}

static void test_kill_parent_needs_r(void **state)
{
	char out[OUT], err[OUT];
	pid_t pid;

	(void)state;
	LMCTL_OK("create", "p");
	LMCTL_OK("create", "p/c");
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "run", "-d", "--json", "p/c", "--",
					"/bin/sleep", "60", NULL),
			 0);
	pid = (pid_t)lmc_test_json_u64(out, "pid");
	assert_true(pid > 0);
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "kill", "p", NULL), 1);
	assert_non_null(strstr(err, "-r"));
	assert_int_equal(kill(pid, 0), 0); /* refused, and nothing signalled */
	LMCTL_OK("kill", "-r", "p");
	assert_int_equal(lmc_test_wait_until(proc_gone, &pid, 10000), 0);
}

static void test_socket_and_lock(void **state)
{
	struct harness *h = *state;
	char out[OUT], err[OUT], arg[160];
	long long t0;
	int r;

	/* An explicit socket must answer; LMCTL_SOCKET pointing nowhere still falls back. */
	r = lmc_test_lmctl(out, OUT, err, OUT, "--socket=/nonexistent/sock", "list", NULL);
	assert_int_equal(r, 1);
	assert_non_null(strstr(err, "/nonexistent/sock"));
	snprintf(arg, sizeof(arg), "--socket=%s", h->sock);
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, arg, "list", NULL), 0);
	/* --direct writes while the agent runs: at once, saying who holds it and what to do. */
	t0 = h_now_us();
	r = lmc_test_lmctl(out, OUT, err, OUT, "--direct", "create", "a", NULL);
	assert_int_equal(r, 1);
	assert_non_null(strstr(err, "lmctld"));
	assert_non_null(strstr(err, "without --direct"));
	assert_true(h_now_us() - t0 < 3000000);
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "spec", "a", NULL), 3);
	setenv("LMCTL_SOCKET", "/nonexistent/lmctl.sock", 1);
	h_stop_agent(h, SIGTERM);
	r = lmc_test_lmctl(out, OUT, err, OUT, "list", NULL);
	setenv("LMCTL_SOCKET", h->sock, 1);
	assert_int_equal(r, 0);
}

/* stats figures move between two readings (the kernel's own memory): compare the shape,
 * each number (with its unit) standing for one '#'. */
static void mask_figures(char *s)
{
	char *w = s;

	for (const char *p = s; *p;) {
		if ((*p >= '0' && *p <= '9') || *p == '.') {
			while ((*p >= '0' && *p <= '9') || *p == '.')
				p++;
			if (*p && strchr("KMGTPEs", *p) && (p[1] == '\n' || p[1] == ' '))
				p++;
			*w++ = '#';
		} else {
			*w++ = *p++;
		}
	}
	*w = '\0';
}

/* Every reading command: through the agent and --direct, byte for byte (stats: but for
 * the figures). */
static void same_both_ways(const char *const *args, char *agent_out)
{
	char direct[OUT], err[OUT];
	const char *dargs[16] = {"--direct"};
	size_t n = 1;

	for (; args[n - 1]; n++)
		dargs[n] = args[n - 1];
	dargs[n] = NULL;
	if (lmctl_v(agent_out, err, args) != 0)
		fail_msg("lmctl %s %s: %s", args[0], args[1] ? args[1] : "", err);
	if (lmctl_v(direct, err, dargs) != 0)
		fail_msg("lmctl --direct %s: %s", args[0], err);
	if (strcmp(args[0], "stats") == 0 || strcmp(args[0], "top") == 0) {
		mask_figures(agent_out);
		mask_figures(direct);
	}
	if (strcmp(agent_out, direct) != 0)
		fail_msg("lmctl %s %s differs:\nagent:\n%s\ndirect:\n%s", args[0],
			 args[1] ? args[1] : "", agent_out, direct);
}

static void test_reading_identical(void **state)
{
	static const char *const reads[][5] = {
		{"list", NULL},
		{"list", "-r", NULL},
		{"list", "-r", "--json", NULL},
		{"list", "-r", "a", NULL},
		{"list", "-r", "--pids", NULL},
		{"spec", "a/b", NULL},
		{"spec", "--json", "a", NULL},
		{"stats", "a/b", NULL},
		{"stats", "--bytes", "a/b", NULL},
		{"stats", "--json", "a", NULL},
		{"version", NULL},
		{"version", "--json", NULL},
	};
	static const char *const order = "a\n  a/b\n  a/z\n    a/z/y\na-b\nc\n";
	struct harness *h = *state;
	char out[OUT], before[OUT];

	/* Made in an order unlike the sorted one. */
	LMCTL_OK("create", "c");
	LMCTL_OK("create", "a", "--memory=64M");
	LMCTL_OK("create", "a/z");
	LMCTL_OK("create", "a-b");
	LMCTL_OK("create", "a/b", "--cpus=0.5");
	LMCTL_OK("create", "a/z/y");
	for (size_t i = 0; i < ARRAY_SIZE(reads); i++)
		same_both_ways(reads[i], out);
	same_both_ways((const char *const[]){"list", "-r", NULL}, before);
	assert_string_equal(before, order);
	h_stop_agent(h, SIGTERM);
	assert_int_equal(h_start_agent(h), 0);
	same_both_ways((const char *const[]){"list", "-r", NULL}, out);
	assert_string_equal(out, before);
}

static void test_json_and_units(void **state)
{
	char out[OUT], err[OUT];

	(void)state;
	LMCTL_OK("create", "a", "--memory=64M");
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "version", "--json", NULL), 0);
	assert_non_null(strstr(out, "{\"version\":\""));
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "top", "--once", "--json", "a", NULL),
			 0);
	assert_memory_equal(out, "{\"timestamp_ns\":", 15);
	assert_non_null(strstr(out, "\"containers\":[{\"name\":\"a\""));
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "stats", "a", NULL), 0);
	assert_non_null(strstr(out, "memory.limit"));
	assert_non_null(strstr(out, "64.0M"));
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "stats", "--bytes", "a", NULL), 0);
	assert_non_null(strstr(out, "67108864"));
	/* init's machine and capacity in human units (was "memory 24684084K") */
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "init", NULL), 0);
	const char *m = strstr(out, "capacity:    memory ");
	assert_non_null(m);
	m += strlen("capacity:    memory ");
	size_t digits = strspn(m, "0123456789.");
	assert_true(digits > 0 && strchr("KMGTPE", m[digits]) && m[digits + 1] == ',');
	assert_non_null(memchr(m, '.', digits));
}

/* stats --fields: only those resources are read and shown, the same through the agent and
 * directly; an unknown resource is bad usage (exit 2) in one line. */
static void test_stats_fields(void **state)
{
	char out[OUT], err[OUT];

	(void)state;
	LMCTL_OK("create", "a", "--memory=64M");
	LMCTL_OK("create", "a/b");
	same_both_ways((const char *const[]){"stats", "--json", "--fields=memory", "a", NULL}, out);
	assert_non_null(strstr(out, "\"memory\":{"));
	assert_non_null(strstr(out, "\"limit_bytes\":"));
	assert_null(strstr(out, "\"cpu\":{"));
	assert_null(strstr(out, "\"pids\":{"));
	same_both_ways((const char *const[]){"stats", "-r", "--json", "--fields=cpu,pids", "a",
					     NULL},
		       out);
	assert_non_null(strstr(out, "\"name\":\"a/b\""));
	assert_non_null(strstr(out, "\"cpu\":{"));
	assert_non_null(strstr(out, "\"pids\":{"));
	assert_null(strstr(out, "\"memory\":{"));
	assert_int_equal(
		lmc_test_lmctl(out, OUT, err, OUT, "stats", "--fields=cpu,disk", "a", NULL), 2);
	assert_non_null(strstr(err, "--fields: 'cpu,disk'"));
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "stats", "--fields=", "a", NULL), 2);
	LMCTL_OK("destroy", "-r", "a");
}

/* which PID: the container, the same through the agent and directly. */
static void test_which(void **state)
{
	char out[OUT], err[OUT], pid[32];

	(void)state;
	LMCTL_OK("create", "a");
	LMCTL_OK("create", "a/b");
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "run", "-d", "--json", "a/b", "--",
					"/bin/sleep", "60", NULL),
			 0);
	snprintf(pid, sizeof(pid), "%d", (int)lmc_test_json_u64(out, "pid"));
	same_both_ways((const char *const[]){"which", pid, NULL}, out);
	assert_string_equal(out, "a/b\n");
	same_both_ways((const char *const[]){"which", "--json", pid, NULL}, out);
	assert_non_null(strstr(out, "\"name\":\"a/b\""));
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "which", pid, NULL), 3);
	assert_non_null(strstr(err, "no lmctl container"));
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "which", "2147483647", NULL), 3);
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "which", "abc", NULL), 2);
	LMCTL_OK("destroy", "-r", "a");
}

/* Pause state in list, spec and stats, alike both ways. */
static void test_pause_shown(void **state)
{
	char out[OUT];

	(void)state;
	LMCTL_OK("create", "a");
	LMCTL_OK("create", "a/b");
	LMCTL_OK("create", "c");
	LMCTL_OK("pause", "a");
	same_both_ways((const char *const[]){"list", "-r", NULL}, out);
	assert_string_equal(out, "a (paused)\n  a/b (paused)\nc\n");
	same_both_ways((const char *const[]){"list", "--json", NULL}, out);
	assert_non_null(strstr(out, "\"name\":\"a\",\"depth\":0,\"paused\":true"));
	assert_non_null(strstr(out, "\"name\":\"c\",\"depth\":0,\"paused\":false"));
	same_both_ways((const char *const[]){"spec", "a/b", NULL}, out);
	assert_memory_equal(out, "a/b (paused)\n", 13);
	same_both_ways((const char *const[]){"spec", "--json", "a/b", NULL}, out);
	assert_non_null(strstr(out, "\"paused\":true"));
	same_both_ways((const char *const[]){"stats", "-r", "--json", "a", NULL}, out);
	assert_non_null(strstr(out, "\"name\":\"a/b\",\"paused\":true"));
	same_both_ways((const char *const[]){"top", "--once", "--json", "a", NULL}, out);
	assert_non_null(strstr(out, "\"name\":\"a/b\",\"paused\":true"));
	same_both_ways((const char *const[]){"stats", "a", NULL}, out);
	assert_memory_equal(out, "a (paused)\n", 11);
	LMCTL_OK("resume", "a");
	same_both_ways((const char *const[]){"list", "-r", NULL}, out);
	assert_string_equal(out, "a\n  a/b\nc\n");
	same_both_ways((const char *const[]){"stats", "--json", "a", NULL}, out);
	assert_non_null(strstr(out, "\"paused\":false"));
}

/* top in a real terminal (tmux on a private socket): it draws, refreshes, shows the
 * effective limit, re-sorts on a key and quits on 'q'. */
struct tmux {
	char sock[64], done[96], screen[OUT];
	const char *want;
};

static int tmux(const struct tmux *t, const char *args, char *out, size_t size)
{
	char cmd[2048];
	FILE *p;
	size_t n = 0;

	snprintf(cmd, sizeof(cmd), "tmux -L %s %s 2>/dev/null", t->sock, args);
	p = popen(cmd, "r");
	if (!p)
		return -errno;
	if (out)
		n = fread(out, 1, size - 1, p);
	else
		while (fgetc(p) != EOF)
			;
	if (out)
		out[n] = '\0';
	return pclose(p);
}

static bool screen_has(void *ud)
{
	struct tmux *t = ud;

	tmux(t, "capture-pane -p -t top", t->screen, sizeof(t->screen));
	return strstr(t->screen, t->want) != NULL;
}

static bool top_exited(void *ud)
{
	struct tmux *t = ud;

	struct stat st;

	/* The shell creates the file before it writes the status into it. */
	return stat(t->done, &st) == 0 && st.st_size > 0;
}

static void test_top_terminal(void **state)
{
	struct harness *h = *state;
	struct tmux t;
	char cmd[1536], rc[16] = "";
	FILE *f;

	if (system("command -v tmux >/dev/null") != 0)
		skip();
	snprintf(t.sock, sizeof(t.sock), "lmctl-test-%d", (int)getpid());
	snprintf(t.done, sizeof(t.done), "%s/top.rc", h->dir);
	LMCTL_OK("create", "a", "--memory=64M");
	LMCTL_OK("create", "a/b");
	LMCTL_OK("create", "c");
	LMCTL_OK("run", "-d", "c", "--", "/bin/sleep", "60");
	snprintf(cmd, sizeof(cmd),
		 "new-session -d -s top -x 200 -y 40 \"env LMCTL_SOCKET=%s LMCTL_STATE_DIR=%s "
		 "LMCTL_CGROUP_ROOT=%s %s top -d 0.3; echo \\$? > %s\"",
		 h->sock, h->state, getenv("LMCTL_CGROUP_ROOT"), lmc_test_lmctl_bin(), t.done);
	assert_int_equal(tmux(&t, cmd, NULL, 0), 0);
	t.want = "sort: name";
	assert_int_equal(lmc_test_wait_until(screen_has, &t, 10000), 0);
	/* a/b has no limit of its own: its parent's 64M bounds it. */
	t.want = "a/b";
	assert_int_equal(lmc_test_wait_until(screen_has, &t, 10000), 0);
	assert_non_null(strstr(strstr(t.screen, "a/b"), "64M"));
	assert_true(strstr(t.screen, "\na ") < strstr(t.screen, "\nc "));
	/* Sorted by pids: c (one process) comes first. */
	assert_int_equal(tmux(&t, "send-keys -t top p", NULL, 0), 0);
	t.want = "sort: pids";
	assert_int_equal(lmc_test_wait_until(screen_has, &t, 10000), 0);
	assert_true(strstr(t.screen, "\nc ") < strstr(t.screen, "\na "));
	assert_int_equal(tmux(&t, "send-keys -t top q", NULL, 0), 0);
	assert_int_equal(lmc_test_wait_until(top_exited, &t, 10000), 0);
	f = fopen(t.done, "r");
	assert_non_null(f);
	assert_non_null(fgets(rc, sizeof(rc), f));
	fclose(f);
	assert_string_equal(rc, "0\n");
	tmux(&t, "kill-server", NULL, 0);
}

/* --memory=max (unlimited, -1), --cpus=max, --pids-limit=max clear a limit: the record
 * forgets it and the kernel's file is back to its default; the parent still bounds it. */
static void clear_limits(const char *mode)
{
	char out[OUT], err[OUT];

	LMCTL_OK("create", "a", "--memory=64M");
	LMCTL_OK("create", "a/b", "--memory=32M", "--pids-limit=16", "--cpus=0.5");
	assert_int_equal(lmc_test_stat("a/b", "memory.limit_bytes"), 32 << 20);
	LMCTL_OK("update", "a/b", "--memory=max");
	assert_int_equal(lmc_test_stat("a/b", "memory.limit_bytes"), LMC_UNSET);
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "spec", "a/b", NULL), 0);
	assert_non_null(strstr(out, "memory.limit         -          64M        a\n"));
	LMCTL_OK("update", "a/b", "--memory=48M");
	LMCTL_OK("update", "a/b", "--memory=unlimited", "--pids-limit=max", "--cpus=max");
	assert_int_equal(lmc_test_stat("a/b", "memory.limit_bytes"), LMC_UNSET);
	assert_int_equal(lmc_test_stat("a/b", "pids.limit"), LMC_UNSET);
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "spec", "--json", "a/b", NULL), 0);
	assert_null(lmc_test_json_find(out, "asked.cpu"));
	assert_null(lmc_test_json_find(out, "asked.pids"));
	/* The machine bounds it again. */
	assert_memory_equal(lmc_test_json_find(out, "set_by.cpu.limit_millicores"), "\"/\"", 3);
	LMCTL_OK("update", "a", "--memory=-1");
	assert_int_equal(lmc_test_stat("a", "memory.limit_bytes"), LMC_UNSET);
	/* create: max is the same as leaving it out. */
	LMCTL_OK("create", "c", "--memory=max");
	assert_int_equal(lmc_test_stat("c", "memory.limit_bytes"), LMC_UNSET);
	/* Still a limit that swap needs. */
	LMCTL_OK("update", "c", "--memory=64M", "--memory-swap=128M");
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "update", "c", "--memory=max", NULL),
			 1);
	assert_non_null(strstr(err, "--memory-swap"));
	assert_int_equal(lmc_test_stat("c", "memory.limit_bytes"), 64 << 20);
	LMCTL_OK("destroy", "-r", "a");
	LMCTL_OK("destroy", "-r", "c");
	print_message("limits cleared (%s)\n", mode);
}

static void test_clear_limits(void **state)
{
	struct harness *h = *state;

	clear_limits("agent");
	h_stop_agent(h, SIGTERM);
	clear_limits("direct");
}

/* Text events start with their time (UTC). */
static void test_event_time(void **state)
{
	char cmd[512], line[512] = "";
	struct pollfd p = {.events = POLLIN};
	FILE *f;

	(void)state;
	LMCTL_OK("create", "a");
	snprintf(cmd, sizeof(cmd), "timeout 15 '%s' events --empty a", lmc_test_lmctl_bin());
	f = popen(cmd, "r");
	assert_non_null(f);
	p.fd = fileno(f);
	/* Until the subscription is in place, a run's end may go unseen: run again. */
	for (int i = 0; i < 50 && poll(&p, 1, 0) == 0; i++) {
		LMCTL_OK("run", "a", "--", "/bin/true");
		poll(&p, 1, 200);
	}
	assert_non_null(fgets(line, sizeof(line), f));
	print_message("event: %s", line);
	assert_int_equal(strlen(line) > 25 && line[4] == '-' && line[10] == 'T' && line[23] == 'Z',
			 1);
	assert_non_null(strstr(line, "Z a empty value="));
	pclose(f);
}

static bool log_has(const struct harness *h, const char *what)
{
	char buf[65536];
	FILE *f = fopen(h->log, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

	if (f)
		fclose(f);
	buf[n] = '\0';
	return strstr(buf, what) != NULL;
}

struct log_want {
	const struct harness *h;
	const char *what;
};

static bool log_has_cb(void *ud)
{
	const struct log_want *w = ud;

	return log_has(w->h, w->what);
}

/* The line is written after the answer went out: it may come a moment after the command. */
static bool log_gets(const struct harness *h, const char *what)
{
	struct log_want w = {h, what};

	return lmc_test_wait_until(log_has_cb, &w, 5000) == 0;
}

/* The agent logs every state-changing request, one line each: who, what, result. */
static void test_agent_logs_changes(void **state)
{
	struct harness *h = *state;
	char out[OUT], err[OUT];

	LMCTL_OK("create", "a", "--memory=64M");
	LMCTL_OK("update", "a", "--memory=32M");
	LMCTL_OK("pause", "a");
	LMCTL_OK("resume", "a");
	LMCTL_OK("list", "-r");
	assert_int_equal(lmc_test_lmctl(out, OUT, err, OUT, "create", "a/x/y", NULL), 3);
	LMCTL_OK("destroy", "-r", "a");
	assert_true(log_gets(h, "uid 0 (pid "));
	assert_true(log_gets(h, "create a: ok\n"));
	assert_true(log_gets(h, "update a: ok\n"));
	assert_true(log_gets(h, "pause a: ok\n"));
	assert_true(log_gets(h, "resume a: ok\n"));
	assert_true(log_gets(h, "create a/x/y: failed: "));
	assert_true(log_gets(h, "destroy -r a: ok\n"));
	assert_false(log_has(h, "): list")); /* reads are not logged */
}

static void test_lmctld_version(void **state)
{
	const char *bin = getenv("LMCTLD_BIN");
	char cmd[512];

	(void)state;
	snprintf(cmd, sizeof(cmd), "'%s' --version | grep -q '^lmctld [0-9]'",
		 bin ? bin : "build/lmctld");
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_help_every_command, h_fixture_setup_env,
						teardown),
		cmocka_unit_test_setup_teardown(test_usage_exit_2, h_fixture_setup_env, teardown),
		cmocka_unit_test_setup_teardown(test_did_you_mean, h_fixture_setup_env, teardown),
		cmocka_unit_test_setup_teardown(test_run_exit_codes, h_fixture_setup_env, teardown),
		cmocka_unit_test_setup_teardown(test_kill_parent_needs_r, h_fixture_setup_env,
						teardown),
		cmocka_unit_test_setup_teardown(test_socket_and_lock, h_fixture_setup_env,
						teardown),
		cmocka_unit_test_setup_teardown(test_reading_identical, h_fixture_setup_env,
						teardown),
		cmocka_unit_test_setup_teardown(test_json_and_units, h_fixture_setup_env, teardown),
		cmocka_unit_test_setup_teardown(test_which, h_fixture_setup_env, teardown),
		cmocka_unit_test_setup_teardown(test_stats_fields, h_fixture_setup_env, teardown),
		cmocka_unit_test_setup_teardown(test_pause_shown, h_fixture_setup_env, teardown),
		cmocka_unit_test_setup_teardown(test_event_time, h_fixture_setup_env, teardown),
		cmocka_unit_test_setup_teardown(test_clear_limits, h_fixture_setup_env, teardown),
		cmocka_unit_test_setup_teardown(test_top_terminal, h_fixture_setup_env, teardown),
		cmocka_unit_test_setup_teardown(test_agent_logs_changes, h_fixture_setup_env,
						teardown),
		cmocka_unit_test_setup_teardown(test_lmctld_version, h_fixture_setup_env, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
