/* lmctl ps, wait, logs and task: what became of the processes `run` started (tasks). */
#include "tools/cli/cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "nsutil/ns.h"
#include "tools/cli/output.h"

#define LOG_POLL_MS 200 /* logs -f: how often a running task's log is read again */

/* One line per task (docs/json.md): absent values left out. */
static void out_task_json(FILE *f, const struct lmc_task *t)
{
	fputs("{\"name\":", f);
	lmc_out_json_str(f, lmc_name_is_root(t->container) ? "/" : t->container);
	fputs(",\"task_id\":", f);
	lmc_out_json_str(f, t->id);
	if (t->pid > 0)
		fprintf(f, ",\"pid\":%d", (int)t->pid);
	fprintf(f, ",\"state\":\"%s\"", lmc_task_state_str(t->state));
	if (t->state == LMC_TASK_EXITED)
		fprintf(f, ",\"exit_code\":%d", t->exit_code);
	if (t->signal)
		fprintf(f, ",\"signal\":%d", t->signal);
	if (t->started_ns)
		fprintf(f, ",\"started_ns\":%" PRIu64, t->started_ns);
	if (t->finished_ns)
		fprintf(f, ",\"finished_ns\":%" PRIu64, t->finished_ns);
	if (t->reason[0]) {
		fputs(",\"reason\":", f);
		lmc_out_json_str(f, t->reason);
	}
	fputs(",\"argv\":[", f);
	for (size_t i = 0; t->argv && t->argv[i]; i++) {
		if (i)
			fputc(',', f);
		lmc_out_json_str(f, t->argv[i]);
	}
	fputs("]}\n", f);
}

static void status_str(const struct lmc_task *t, char *buf, size_t size)
{
	switch (t->state) {
	case LMC_TASK_EXITED:
		snprintf(buf, size, "exited %d", t->exit_code);
		break;
	case LMC_TASK_SIGNALED:
	case LMC_TASK_OOM_KILLED:
	case LMC_TASK_EVICTED:
		snprintf(buf, size, "%s (%s)", lmc_task_state_str(t->state),
			 sigabbrev_np(t->signal) ? sigabbrev_np(t->signal) : "?");
		break;
	default:
		snprintf(buf, size, "%s", lmc_task_state_str(t->state));
	}
}

static void out_tasks(FILE *f, const struct lmc_task *l, size_t n, bool json, bool with_name)
{
	char st[64];

	if (json) {
		for (size_t i = 0; i < n; i++)
			out_task_json(f, &l[i]);
		return;
	}
	fprintf(f, "%s%-16s %8s  %-20s %s\n", with_name ? "CONTAINER            " : "", "TASK",
		"PID", "STATE", "COMMAND");
	for (size_t i = 0; i < n; i++) {
		status_str(&l[i], st, sizeof(st));
		if (with_name)
			fprintf(f, "%-20s ", lmc_name_display(l[i].container));
		fprintf(f, "%-16s %8d  %-20s", l[i].id, (int)l[i].pid, st);
		for (size_t k = 0; l[i].argv && l[i].argv[k]; k++)
			fprintf(f, " %s", l[i].argv[k]);
		fputc('\n', f);
	}
}

/* One task's final word as a shell would give it: its exit code, else 128+signal, else 255
 * (lost). */
static int shell_status(const struct lmc_task *t)
{
	if (t->state == LMC_TASK_EXITED)
		return t->exit_code;
	return t->signal ? 128 + t->signal : 255;
}

static int task_call(struct lmc_cli *c, const struct lmc_task_query *q, bool reader,
		     struct lmc_task_answer *ret)
{
	struct lmc_err err = {0};

	if (lmc_cli_connect(c, reader, &err) < 0 || c->b->ops->task(c->b, q, ret, &err) < 0)
		return lmc_cli_fail(&err);
	return 0;
}

/* `CMD [opts] NAME [ID]`: the common options -r, -f, --json, -s. */
struct task_args {
	bool recursive, follow, json, force;
	int sig;
	const char *name, *id;
};

static int parse_task_args(const char *cmd, int argc, char **argv, int want_ids,
			   struct task_args *a)
{
	static const struct option opts[] = {
		{"recursive", no_argument, NULL, 'r'},	  {"follow", no_argument, NULL, 'f'},
		{"force", no_argument, NULL, 'F'},	  {"json", no_argument, NULL, 'j'},
		{"signal", required_argument, NULL, 's'}, {NULL, 0, NULL, 0},
	};
	struct lmc_err err = {0};
	int opt;

	optind = 0;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "rfjs:", opts, NULL)) != -1) {
		if (opt == 'r')
			a->recursive = true;
		else if (opt == 'f')
			a->follow = a->force = true;
		else if (opt == 'F')
			a->force = true;
		else if (opt == 'j')
			a->json = true;
		else if (opt == 's') {
			if (lmc_cli_parse_signal(optarg, &a->sig) < 0)
				return lmc_cli_usage("%s: unknown signal '%s'", cmd, optarg);
		} else {
			lmc_cli_bad_option(cmd, argv[optind - 1], opts, &err);
			return lmc_cli_usage_err(&err);
		}
	}
	if (argc - optind != 1 + want_ids)
		return lmc_cli_usage("%s: expected a container name%s", cmd,
				     want_ids ? " and a task id" : "");
	a->name = argv[optind];
	a->id = want_ids ? argv[optind + 1] : NULL;
	return 0;
}

int lmc_cli_ps(struct lmc_cli *c, int argc, char **argv)
{
	struct task_args a = {0};
	struct lmc_task_answer ans;
	int r = parse_task_args("ps", argc, argv, 0, &a);

	if (r)
		return r;
	r = task_call(c,
		      &(struct lmc_task_query){
			      .op = LMC_TASK_OP_LIST, .name = a.name, .recursive = a.recursive},
		      true, &ans);
	if (r)
		return r;
	out_tasks(stdout, ans.tasks, ans.n, a.json, a.recursive);
	lmc_task_answer_done(&ans);
	return 0;
}

/* Exit status: the task's own (code, 128+signal, 255 when lost). */
int lmc_cli_wait(struct lmc_cli *c, int argc, char **argv)
{
	struct task_args a = {0};
	struct lmc_task_answer ans;
	int r = parse_task_args("wait", argc, argv, 1, &a);

	if (r)
		return r;
	r = task_call(
		c,
		&(struct lmc_task_query){.op = LMC_TASK_OP_WAIT, .name = a.name, .task_id = a.id},
		true, &ans);
	if (r)
		return r;
	if (a.json)
		out_tasks(stdout, ans.tasks, ans.n, true, false);
	else if (ans.tasks[0].state != LMC_TASK_EXITED)
		fprintf(stderr, "lmctl: %s: task %s: %s%s%s\n", lmc_name_display(a.name), a.id,
			lmc_task_state_str(ans.tasks[0].state), ans.tasks[0].reason[0] ? ": " : "",
			ans.tasks[0].reason);
	r = shell_status(&ans.tasks[0]);
	lmc_task_answer_done(&ans);
	return r;
}

static int write_out(const uint8_t *buf, size_t len)
{
	return fwrite(buf, 1, len, stdout) == len ? 0 : -EIO;
}

int lmc_cli_logs(struct lmc_cli *c, int argc, char **argv)
{
	struct task_args a = {0};
	struct lmc_task_query q = {.op = LMC_TASK_OP_LOG};
	struct lmc_task_answer ans;
	int r = parse_task_args("logs", argc, argv, 1, &a);

	if (r)
		return r;
	q.name = a.name;
	q.task_id = a.id;
	for (;;) {
		r = task_call(c, &q, true, &ans);
		if (r)
			return r;
		if (ans.log_rotated)
			fprintf(stderr, "lmctl: %s: task %s: log rotated; reading from its start\n",
				lmc_name_display(a.name), a.id);
		if (write_out(ans.log, ans.log_len) < 0)
			r = 1;
		q.offset = ans.log_next;
		fflush(stdout);
		if (r || (ans.log_len == 0 && (!a.follow || ans.log_ended))) {
			lmc_task_answer_done(&ans);
			return r;
		}
		if (!ans.log_len) {
			lmc_task_answer_done(&ans);
			/* The log is a plain file: nothing to wait on but its growth. */
			nanosleep(&(struct timespec){0, LOG_POLL_MS * 1000000L}, NULL);
			continue;
		}
		lmc_task_answer_done(&ans);
	}
}

/* lmctl task rm|kill|show NAME ID */
int lmc_cli_task(struct lmc_cli *c, int argc, char **argv)
{
	struct task_args a = {.sig = SIGTERM};
	struct lmc_task_query q = {0};
	struct lmc_task_answer ans;
	const char *sub = argc > 1 ? argv[1] : "";
	int r;

	if (strcmp(sub, "rm") == 0)
		q.op = LMC_TASK_OP_DELETE;
	else if (strcmp(sub, "kill") == 0)
		q.op = LMC_TASK_OP_SIGNAL;
	else if (strcmp(sub, "show") == 0)
		q.op = LMC_TASK_OP_GET;
	else
		return lmc_cli_usage("task: expected rm, kill or show, not '%s'", sub);
	r = parse_task_args(sub, argc - 1, argv + 1, 1, &a);
	if (r)
		return r;
	q.name = a.name;
	q.task_id = a.id;
	q.force = a.force;
	q.sig = a.sig;
	r = task_call(c, &q, q.op == LMC_TASK_OP_GET, &ans);
	if (r)
		return r;
	if (q.op == LMC_TASK_OP_GET)
		out_tasks(stdout, ans.tasks, ans.n, a.json, true);
	lmc_task_answer_done(&ans);
	return 0;
}
