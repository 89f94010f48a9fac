/* lmctl run and events: the commands that last while something happens. */
#include "tools/cli/cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tools/cli/output.h"

#define RUN_ENV_MAX 256

extern char **environ;

struct run_args {
	struct lmc_run_opts o;
	const char *name;
	const char *env[RUN_ENV_MAX + 1];
	size_t n_env;
	bool uid_given, gid_given;
	bool attach, json;
};

static int parse_id(const char *flag, const char *s, bool group, uint32_t *ret, struct lmc_err *err)
{
	uint64_t v;

	if (s[0] >= '0' && s[0] <= '9') {
		if (lmc_parse_u64(flag, s, 0, UINT32_MAX - 1, &v, err) < 0)
			return err->code;
		*ret = (uint32_t)v;
		return 0;
	}
	if ((group ? lmc_cli_group_id(s, ret) : lmc_cli_user_id(s, ret)) == 0)
		return 0;
	return lmc_err_set(err, -EINVAL, "%s: no such %s '%s'", flag, group ? "group" : "user", s);
}

/* --env=K=V entries on top of the caller's environment, a later K replacing an earlier. */
static int add_env(struct run_args *a, const char *kv, struct lmc_err *err)
{
	const char *eq = strchr(kv, '=');

	if (!eq || eq == kv)
		return lmc_err_set(err, -EINVAL, "--env: '%s' is not KEY=VALUE", kv);
	if (!a->n_env)
		for (char **e = environ; *e && a->n_env < RUN_ENV_MAX; e++)
			a->env[a->n_env++] = *e;
	for (size_t i = 0; i < a->n_env; i++)
		if (strncmp(a->env[i], kv, eq - kv + 1) == 0) {
			a->env[i] = kv;
			return 0;
		}
	if (a->n_env >= RUN_ENV_MAX)
		return lmc_err_set(err, -E2BIG, "--env: too many variables (max %d)", RUN_ENV_MAX);
	a->env[a->n_env++] = kv;
	return 0;
}

static int run_option(struct run_args *a, int opt, const char *v, struct lmc_err *err)
{
	switch (opt) {
	case 'd':
		a->o.detach = true;
		return 0;
	case 'u':
		a->o.set_ids = true;
		a->uid_given = true;
		return parse_id("--uid", v, false, &a->o.uid, err);
	case 'g':
		a->o.set_ids = true;
		a->gid_given = true;
		return parse_id("--gid", v, true, &a->o.gid, err);
	case 'e':
		return add_env(a, v, err);
	case 'w':
		if (v[0] != '/')
			return lmc_err_set(err, -EINVAL, "--cwd: '%s' is not an absolute path", v);
		a->o.cwd = v;
		return 0;
	case 't':
		if (!lmc_task_id_valid(v))
			return lmc_err_set(err, -EINVAL,
					   "--task-id: '%s' is not 1-64 of A-Z a-z 0-9 _ . -", v);
		a->o.task_id = v;
		return 0;
	case 'a':
		a->attach = true;
		return 0;
	case 'j':
		a->json = true;
		return 0;
	}
	return lmc_err_set(err, -EINVAL, "run: unknown or incomplete option");
}

static const struct option run_options[] = {
	{"detach", no_argument, NULL, 'd'},
	{"uid", required_argument, NULL, 'u'},
	{"gid", required_argument, NULL, 'g'},
	{"env", required_argument, NULL, 'e'},
	{"cwd", required_argument, NULL, 'w'},
	{"task-id", required_argument, NULL, 't'},
	{"attach", no_argument, NULL, 'a'},
	{"json", no_argument, NULL, 'j'},
	{NULL, 0, NULL, 0},
};

/* `run [opts] NAME [opts] -- CMD...` or, without "--", `run [opts] NAME CMD...`. */
static int parse_run(int argc, char **argv, struct run_args *a, char ***ret_cmd,
		     struct lmc_err *err)
{
	int dd = -1, nopt, opt;

	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dd = i;
			break;
		}
	nopt = dd >= 0 ? dd : argc;
	optind = 0; /* 0: glibc re-initialises getopt (it ran already for the global options) */
	opterr = 0;
	while ((opt = getopt_long(nopt, argv, dd >= 0 ? "de:" : "+de:", run_options, NULL)) != -1) {
		if (opt == '?')
			return lmc_cli_bad_option("run", argv[optind - 1], run_options, err);
		if (run_option(a, opt, optarg, err) < 0)
			return err->code;
	}
	/* --uid alone: the user's own group and groups, not root's. */
	a->o.gid_from_user = a->uid_given && !a->gid_given;
	if (a->attach && !a->o.detach)
		return lmc_err_set(err, -EINVAL, "run: --attach goes with -d");
	/* Detached: its output to its log, so that $(lmctl run -d ...) returns at once. */
	a->o.log = a->o.detach && !a->attach;
	if (optind >= nopt)
		return lmc_err_set(err, -EINVAL, "run: expected a container name and a command");
	a->name = argv[optind];
	if (dd >= 0) {
		if (optind != dd - 1)
			return lmc_err_set(err, -EINVAL,
					   "run: expected one container name before '--'");
		*ret_cmd = argv + dd + 1;
	} else {
		*ret_cmd = argv + optind + 1;
	}
	if (!**ret_cmd)
		return lmc_err_set(err, -EINVAL, "run: no command given after the container name");
	return 0;
}

/* Whether the task's record says the OOM killer ended it: its start and end saw different OOM
 * kill counts of the container (core/task.c). Read after the end, so that a run pays nothing
 * for it before its command starts. */
static bool oom_killed(struct lmc_backend *b, const char *name, const char *task_id)
{
	struct lmc_task_query q = {.op = LMC_TASK_OP_GET, .name = name, .task_id = task_id};
	struct lmc_task_answer ans = {0};
	bool oom;

	if (!task_id[0] || b->ops->task(b, &q, &ans, NULL) < 0)
		return false;
	oom = ans.n == 1 && ans.tasks[0].state == LMC_TASK_OOM_KILLED;
	lmc_task_answer_done(&ans);
	return oom;
}

/* Say why the command died; an OOM kill is what users most need told. */
static void report_signal(struct lmc_cli *c, const char *name, int status)
{
	char task_id[sizeof(c->b->task_id)];
	struct lmc_err err = {0};
	bool oom = false;

	snprintf(task_id, sizeof(task_id), "%s", c->b->task_id);
	c->b->ops->close(c->b);
	c->b = NULL;
	if (lmc_cli_connect(c, true, &err) >= 0)
		oom = oom_killed(c->b, name, task_id);
	if (oom)
		fprintf(stderr,
			"lmctl: %s: command was killed by the OOM killer (memory limit reached)\n",
			name);
	else
		fprintf(stderr, "lmctl: %s: command was killed by signal %d (%s)\n", name,
			status - 128, strsignal(status - 128));
}

/* A failed run's exit status: 127/126 when the command was not found / not executable (the
 * exec step's own error, "run: CMD: <strerror>"), else 125: lmctl failed before it ran. */
static int run_failed(const struct lmc_err *err, const char *cmd)
{
	char exec_msg[sizeof(err->msg)];

	lmc_cli_fail(err);
	snprintf(exec_msg, sizeof(exec_msg), "run: %s: %s", cmd, strerror(-err->code));
	if (strcmp(lmc_err_str(err), exec_msg) != 0)
		return LMC_EXIT_RUN_FAILED;
	if (err->code == -ENOENT || err->code == -ENOTDIR)
		return LMC_EXIT_NOT_FOUND;
	if (err->code == -EACCES || err->code == -ENOEXEC || err->code == -EPERM)
		return LMC_EXIT_NOT_EXECUTABLE;
	return LMC_EXIT_RUN_FAILED;
}

int lmc_cli_run(struct lmc_cli *c, int argc, char **argv)
{
	struct run_args a = {.o.stdio = {-1, -1, -1}};
	struct lmc_err err = {0};
	char **cmd = NULL;
	pid_t pid = 0;
	int status = 0;

	if (parse_run(argc, argv, &a, &cmd, &err) < 0)
		return lmc_cli_usage("%s", lmc_err_str(&err));
	a.o.argv = (const char *const *)cmd;
	a.o.env = a.n_env ? a.env : NULL;
	/* Direct mode reads the leaf's path and its own tasks only, not the whole store
	 * (core/manager.c, load_path): a run costs the same among 1,000 containers as among 2. */
	c->mopts.scope = a.name;
	if (lmc_cli_connect(c, false, &err) < 0)
		return run_failed(&err, cmd[0]);
	if (c->b->ops->run(c->b, a.name, &a.o, &pid, &status, &err) < 0)
		return run_failed(&err, cmd[0]);
	if (c->b->task_existed)
		fprintf(stderr, "lmctl: %s: task %s exists already: nothing started\n", a.name,
			c->b->task_id);
	if (a.o.detach) {
		if (a.json) {
			fputs("{\"name\":", stdout);
			lmc_out_json_str(stdout, a.name);
			fputs(",\"task_id\":", stdout);
			lmc_out_json_str(stdout, c->b->task_id);
			printf(",\"pid\":%d,\"existed\":%s}\n", (int)pid,
			       c->b->task_existed ? "true" : "false");
		} else
			printf("%s\n", c->b->task_id);
		return 0;
	}
	if (status > 128)
		report_signal(c, a.name, status);
	return status;
}

/* ---- events ---- */

static int print_event(const struct lmc_event *ev, void *userdata)
{
	lmc_out_event(stdout, ev, *(bool *)userdata);
	return 0;
}

int lmc_cli_events(struct lmc_cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{"json", no_argument, NULL, 'j'},
		{"oom", no_argument, NULL, 'o'},
		{"memory-threshold", required_argument, NULL, 't'},
		{"empty", no_argument, NULL, 'e'},
		{"exit", no_argument, NULL, 'x'},
		{"evicted", no_argument, NULL, 'v'},
		{"lifecycle", no_argument, NULL, 'l'},
		{"started", no_argument, NULL, 's'},
		{"since", required_argument, NULL, 'S'},
		{NULL, 0, NULL, 0},
	};
	struct lmc_event_filter f = {.mem_threshold = LMC_UNSET};
	struct lmc_err err = {0};
	bool json = false;
	int opt;

	optind = 0; /* 0: glibc re-initialises getopt (it ran already for the global options) */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (opt == 'o')
			f.oom = true;
		else if (opt == 'e')
			f.empty = true;
		else if (opt == 'x')
			f.exit = true;
		else if (opt == 'v')
			f.evicted = true;
		else if (opt == 'l')
			f.lifecycle = true;
		else if (opt == 's')
			f.started = true;
		else if (opt == 'S') {
			f.resume = true;
			if (lmc_parse_u64("--since", optarg, 0, UINT64_MAX - 1, &f.since, &err) < 0)
				return lmc_cli_usage_err(&err);
		} else if (opt == 'j')
			json = true;
		else if (opt == 't') {
			if (lmc_parse_size("--memory-threshold", optarg, &f.mem_threshold, &err) <
			    0)
				return lmc_cli_usage_err(&err);
		} else {
			lmc_cli_bad_option("events", argv[optind - 1], opts, &err);
			return lmc_cli_usage_err(&err);
		}
	}
	if (optind != argc - 1)
		return lmc_cli_usage("%s: expected exactly one container name", "events");
	if (!f.oom && !f.empty && !f.exit && !f.evicted && !f.lifecycle && !f.started &&
	    f.mem_threshold == LMC_UNSET)
		f.oom = f.empty = true;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (lmc_cli_connect(c, true, &err) < 0 ||
	    c->b->ops->events(c->b, argv[optind], &f, print_event, &json, &err) < 0)
		return lmc_cli_fail(&err);
	return 0;
}
