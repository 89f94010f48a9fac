/* lmctl: the command line. Each command goes through the agent when its socket answers,
 * otherwise (or with --direct) through the library; both print the same. Errors are one
 * line on stderr; the exit status is 0 on success, 1 on error, 2 on bad usage (and for
 * `run` the command's own status, 125 when lmctl failed before it ran, 126/127 when it could
 * not be executed / found). */
#include <getopt.h>
#include <inttypes.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tools/cli/cli.h"
#include "tools/cli/cli-flags.h"
#include "tools/cli/output.h"

#define LMCTL_VERSION "0.1.0"
struct cmd {
	const char *name;
	int (*fn)(struct lmc_cli *c, int argc, char **argv);
	const char *usage;
	const char *help;
};

static const struct cmd *find_cmd(const char *name);

/* --help or -h among the command's options; for run, only before its container name (what
 * follows is the command's own argv). */
static bool want_help(int argc, char **argv, bool run)
{
	for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
		if (run && argv[i][0] != '-')
			break;
	}
	return false;
}

static int print_help(const char *name)
{
	const struct cmd *cmd = find_cmd(name);

	if (!cmd)
		return lmc_cli_usage("no such command '%s' (see 'lmctl help')", name);
	printf("usage: lmctl %s %s\n\n%s", cmd->name, cmd->usage, cmd->help);
	return 0;
}

/* ---- create / update ---- */

/* create and update take the same flags; update alone takes --force. */
static int spec_cmd(struct lmc_cli *c, int argc, char **argv, bool update)
{
	const char *cmd = update ? "update" : "create";
	struct lmc_cli_spec cs;
	struct lmc_err err = {0};
	int r;

	if (lmc_cli_parse_spec(argc, argv, cmd, &cs, &err) < 0)
		return lmc_cli_usage_err(&err);
	if (cs.help)
		return print_help(cmd);
	if (cs.force && !update)
		return lmc_cli_usage("%s", "create: --force is for update");
	r = lmc_cli_connect(c, false, &err);
	if (r >= 0)
		r = update ? c->b->ops->update(c->b, cs.name, &cs.spec, cs.force, &err)
			   : c->b->ops->create(c->b, cs.name, &cs.spec, &err);
	return r < 0 ? lmc_cli_fail(&err) : 0;
}

static int cmd_create(struct lmc_cli *c, int argc, char **argv)
{
	return spec_cmd(c, argc, argv, false);
}

static int cmd_update(struct lmc_cli *c, int argc, char **argv)
{
	return spec_cmd(c, argc, argv, true);
}

/* ---- small commands sharing one option parser (tools/cli/cli.c) ---- */

/* Exactly one name, or none when the root is a sensible default. */
static int one_name(int argc, char **argv, const char *dflt, const char **ret)
{
	if (optind == argc && dflt) {
		*ret = dflt;
		return 0;
	}
	if (optind != argc - 1)
		return lmc_cli_usage("%s: expected exactly one container name", argv[0]);
	*ret = argv[optind];
	return 0;
}

static int cmd_destroy(struct lmc_cli *c, int argc, char **argv)
{
	struct lmc_cli_opts o;
	struct lmc_err err = {0};
	const char *name = NULL;
	int r;

	if ((r = lmc_cli_parse_opts(argc, argv, &o)) || (r = one_name(argc, argv, NULL, &name)))
		return r;
	if (lmc_cli_connect(c, false, &err) < 0 ||
	    c->b->ops->destroy(c->b, name, o.recursive, &err) < 0)
		return lmc_cli_fail(&err);
	return 0;
}

/* Names in depth-first order: a parent before its children, siblings by name. */
static int name_cmp(const void *pa, const void *pb)
{
	return lmc_out_name_cmp(((const struct lmc_list_entry *)pa)->name,
				((const struct lmc_list_entry *)pb)->name);
}

static int stats_cmp(const void *pa, const void *pb)
{
	return lmc_out_name_cmp(((const struct lmc_stats_entry *)pa)->name,
				((const struct lmc_stats_entry *)pb)->name);
}

static int cmd_list(struct lmc_cli *c, int argc, char **argv)
{
	struct lmc_cli_opts o;
	struct lmc_err err = {0};
	struct lmc_list_entry *l = NULL;
	const char *name = NULL;
	size_t n = 0;
	int r;

	if ((r = lmc_cli_parse_opts(argc, argv, &o)) || (r = one_name(argc, argv, "/", &name)))
		return r;
	if (lmc_cli_connect(c, true, &err) < 0 ||
	    c->b->ops->list(c->b, name, o.recursive, o.pids, &l, &n, &err) < 0)
		return lmc_cli_fail(&err);
	/* The same order in both modes and across restarts, whatever order the tree holds. */
	qsort(l, n, sizeof(*l), name_cmp);
	lmc_out_list(stdout, l, n, o.pids, o.json);
	lmc_list_free(l, n);
	return 0;
}

/* The pause state of name (and, recursive, of those below), from the list: stats and spec
 * show it too. The caller frees *ret with lmc_list_free. */
static int pause_states(struct lmc_cli *c, const char *name, bool recursive,
			struct lmc_list_entry **ret, size_t *ret_n, struct lmc_err *err)
{
	return c->b->ops->list(c->b, name, recursive, false, ret, ret_n, err);
}

static bool is_paused(const struct lmc_list_entry *l, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i].name, name) == 0)
			return l[i].paused;
	return false;
}

static int cmd_spec(struct lmc_cli *c, int argc, char **argv)
{
	struct lmc_cli_opts o;
	struct lmc_err err = {0};
	struct lmc_spec spec;
	struct lmc_effective eff;
	struct lmc_list_entry *l = NULL;
	char canon[LMC_NAME_MAX + 1];
	const char *name = NULL;
	size_t n = 0;
	int r;

	if ((r = lmc_cli_parse_opts(argc, argv, &o)) || (r = one_name(argc, argv, NULL, &name)))
		return r;
	if (lmc_name_parse(name, canon, &err) < 0)
		return lmc_cli_fail(&err);
	/* The list first: spec's `from` strings last only until the next call. */
	if (lmc_cli_connect(c, true, &err) < 0 || pause_states(c, canon, false, &l, &n, &err) < 0 ||
	    c->b->ops->spec(c->b, canon, &spec, &eff, &err) < 0) {
		lmc_list_free(l, n);
		return lmc_cli_fail(&err);
	}
	lmc_out_spec(stdout, canon, &spec, &eff, is_paused(l, n, canon), o.json);
	lmc_list_free(l, n);
	return 0;
}

static int cmd_stats(struct lmc_cli *c, int argc, char **argv)
{
	struct lmc_cli_opts o;
	struct lmc_err err = {0};
	struct lmc_stats_entry *e = NULL;
	struct lmc_list_entry *l = NULL;
	const char *name = NULL;
	size_t n = 0, nl = 0;
	int r;

	if ((r = lmc_cli_parse_opts(argc, argv, &o)) || (r = one_name(argc, argv, NULL, &name)))
		return r;
	if (lmc_cli_connect(c, true, &err) < 0 ||
	    pause_states(c, name, o.recursive, &l, &nl, &err) < 0 ||
	    c->b->ops->stats(c->b, name, o.recursive, o.fields, &e, &n, &err) < 0) {
		lmc_list_free(l, nl);
		return lmc_cli_fail(&err);
	}
	for (size_t i = 0; i < n; i++)
		e[i].paused = is_paused(l, nl, e[i].name);
	/* The order of list -r, in both modes. */
	qsort(e, n, sizeof(*e), stats_cmp);
	lmc_out_stats(stdout, e, n, o.json, o.bytes);
	lmc_list_free(l, nl);
	free(e);
	return 0;
}

static int name_op(struct lmc_cli *c, int argc, char **argv,
		   int (*op)(struct lmc_backend *, const char *, struct lmc_err *))
{
	struct lmc_cli_opts o;
	struct lmc_err err = {0};
	const char *name = NULL;
	int r;

	if ((r = lmc_cli_parse_opts(argc, argv, &o)) || (r = one_name(argc, argv, NULL, &name)))
		return r;
	if (lmc_cli_connect(c, false, &err) < 0 || op(c->b, name, &err) < 0)
		return lmc_cli_fail(&err);
	return 0;
}

static int op_pause(struct lmc_backend *b, const char *name, struct lmc_err *err)
{
	return b->ops->pause(b, name, err);
}

static int op_resume(struct lmc_backend *b, const char *name, struct lmc_err *err)
{
	return b->ops->resume(b, name, err);
}

static int cmd_pause(struct lmc_cli *c, int argc, char **argv)
{
	return name_op(c, argc, argv, op_pause);
}

static int cmd_resume(struct lmc_cli *c, int argc, char **argv)
{
	return name_op(c, argc, argv, op_resume);
}

/* A parent runs nothing itself (only leaves run processes): kill without -r on one would
 * signal nobody, so it is refused rather than a silent success. Returns < 0 with err set. */
static int refuse_parent(struct lmc_cli *c, const char *name, struct lmc_err *err)
{
	struct lmc_list_entry *l = NULL;
	size_t n = 0;
	int r = c->b->ops->list(c->b, name, false, false, &l, &n, err);

	lmc_list_free(l, n);
	if (r < 0)
		return r;
	if (n > 1)
		return lmc_err_set(err, -EISDIR,
				   "kill: %s has child containers and runs no process itself; "
				   "-r signals every process below it",
				   name);
	return 0;
}

static int cmd_kill(struct lmc_cli *c, int argc, char **argv)
{
	struct lmc_cli_opts o;
	struct lmc_err err = {0};
	const char *name = NULL;
	int r;

	if ((r = lmc_cli_parse_opts(argc, argv, &o)) || (r = one_name(argc, argv, NULL, &name)))
		return r;
	if (lmc_cli_connect(c, false, &err) < 0 || (!o.recursive && refuse_parent(c, name, &err)) ||
	    c->b->ops->kill(c->b, name, o.sig, o.recursive, &err) < 0)
		return lmc_cli_fail(&err);
	return 0;
}

static int cmd_enter(struct lmc_cli *c, int argc, char **argv)
{
	struct lmc_cli_opts o;
	struct lmc_err err = {0};
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r;

	if ((r = lmc_cli_parse_opts(argc, argv, &o)))
		return r;
	if (argc - optind < 2)
		return lmc_cli_usage("%s: expected a container name and at least one pid", "enter");
	pids = calloc(argc - optind - 1, sizeof(*pids));
	if (!pids)
		return lmc_cli_fail(&(struct lmc_err){.code = -ENOMEM, .msg = "out of memory"});
	for (int i = optind + 1; i < argc; i++) {
		uint64_t v;

		if (lmc_parse_u64("enter", argv[i], 1, INT32_MAX, &v, &err) < 0)
			return lmc_cli_usage_err(&err);
		pids[n++] = (pid_t)v;
	}
	if (lmc_cli_connect(c, false, &err) < 0 ||
	    c->b->ops->enter(c->b, argv[optind], pids, n, &err) < 0)
		return lmc_cli_fail(&err);
	return 0;
}

static int cmd_init(struct lmc_cli *c, int argc, char **argv)
{
	struct lmc_cli_opts o;
	struct lmc_err err = {0};
	struct lmc_machine_info info;
	uint64_t rmem = LMC_UNSET, rcpu = LMC_UNSET;
	int r;

	if ((r = lmc_cli_parse_opts(argc, argv, &o)))
		return r;
	if (optind != argc)
		return lmc_cli_usage("%s: takes no container name", "init");
	if (o.reserve_mem && lmc_parse_size("--reserve-memory", o.reserve_mem, &rmem, &err) < 0)
		return lmc_cli_usage_err(&err);
	if (o.reserve_cpus && strcmp(o.reserve_cpus, "0") != 0 &&
	    lmc_parse_cpus("--reserve-cpus", o.reserve_cpus, &rcpu, &err) < 0)
		return lmc_cli_usage_err(&err);
	if (o.reserve_cpus && strcmp(o.reserve_cpus, "0") == 0)
		rcpu = 0;
	if (lmc_cli_connect(c, false, &err) < 0 || c->b->ops->init(c->b, rmem, rcpu, &err) < 0 ||
	    c->b->ops->info(c->b, &info, &err) < 0)
		return lmc_cli_fail(&err);
	lmc_out_info(stdout, &info, o.json);
	/* Eviction by priority is the agent's (issue 14): without it the kernel picks. */
	if (c->direct)
		fputs("lmctl: direct mode (no lmctld): containers are not evicted by priority "
		      "under memory pressure; the kernel's OOM killer picks\n",
		      stderr);
	return 0;
}

static int cmd_version(struct lmc_cli *c, int argc, char **argv)
{
	struct lmc_cli_opts o = {0};
	int r;

	(void)c;
	if (argc > 1 && (r = lmc_cli_parse_opts(argc, argv, &o)))
		return r;
	if (argc > 1 && (optind != argc || o.recursive || o.pids || o.bytes || o.sort))
		return lmc_cli_usage("%s: takes no arguments but --json", "version");
	if (o.json)
		printf("{\"version\":\"%s\"}\n", LMCTL_VERSION);
	else
		printf("lmctl %s\n", LMCTL_VERSION);
	return 0;
}

static int cmd_help(struct lmc_cli *c, int argc, char **argv);

static const struct cmd cmds[] = {
	{"init", cmd_init, "[--reserve-memory=SIZE] [--reserve-cpus=CPUS] [--json]",
	 "Detect the cgroup mode and mounts, create lmctl's root, set the system reserve and\n"
	 "print the machine's capacity less the reserve (what top-level containers share).\n"},
	{"create", cmd_create, "NAME [RESOURCE FLAGS] [--ns=LIST] [--hostname=H] [--owner=UID]",
	 "Create a container. Its parent must exist and run nothing. Resource flags:\n"
	 "  --memory=SIZE --memory-reservation=SIZE --memory-swap=SIZE --memory-high=SIZE\n"
	 "  --cpus=CPUS (hard limit: 1.5 or 1500m) --cpu-reservation=CPUS --cpu-shares=N\n"
	 "  --cpu-period=US --cpu-burst=US --cpuset-cpus=LIST --cpuset-mems=LIST\n"
	 "  --latency=latency-sensitive|batch --pids-limit=N --blkio-weight=10..1000\n"
	 "  --device-read-bps=DEV:RATE --device-write-bps=DEV:RATE (DEV: /dev/vda or 8:0)\n"
	 "  --device-read-iops=DEV:N --device-write-iops=DEV:N --oom-group\n"
	 "  --ns=pid,mnt,uts,ipc,net,user,cgroup --hostname=H --uid-map=IN:OUT:N --gid-map=...\n"
	 "  --max-containers=N (containers it may hold below it, at any depth; 64 by default\n"
	 "  for a container given to a non-root --owner with no bound above it)\n"
	 "Sizes take K M G T (powers of 1024) or plain bytes. Limits may not exceed the\n"
	 "parent's effective limit; reservations may not overcommit the parent. Each device\n"
	 "and rate is given once.\n"},
	{"update", cmd_update, "NAME [RESOURCE FLAGS] [--force]",
	 "Change a container's limits (the flags of 'create'). Checked against the parent and\n"
	 "the children; --force allows a memory limit below current usage. --memory=max\n"
	 "(unlimited, -1) clears the limit, as do --memory-swap, --memory-high, --cpus and\n"
	 "--pids-limit with max; the ancestors' limits bound it again.\n"},
	{"destroy", cmd_destroy, "[-r|--force] NAME",
	 "Remove a container. With -r, kill every process below it and remove the subtree.\n"},
	{"run", lmc_cli_run,
	 "[-d [--attach]] [--task-id=ID] [--json] [--uid=U] [--gid=G] [--env=K=V]... [--cwd=DIR]\n"
	 "       NAME -- CMD [ARG]...",
	 "Run CMD in the leaf container NAME, placed in its cgroups (and namespaces) before\n"
	 "it runs anything, as a task (--task-id, else one is picked: t1, t2, ...). Waits and\n"
	 "exits with CMD's status (128+signal if killed). -d prints the task id and returns at\n"
	 "once: CMD gets stdin from /dev/null and its output goes to the task's log (lmctl\n"
	 "logs); with --attach it keeps lmctl's stdio instead. A task id the container has\n"
	 "already starts nothing: the run answers with that task (safe to retry). --json\n"
	 "prints {\"task_id\",\"pid\",\"existed\"} for -d.\n"},
	{"ps", lmc_cli_ps, "[-r] [--json] NAME",
	 "List the container's tasks (-r: and those below): id, pid, state (running, exited\n"
	 "CODE, signaled, oom_killed, evicted, lost) and command. Kept after they end and\n"
	 "across agent restarts, up to 1000 a container (the oldest ended ones go first).\n"},
	{"wait", lmc_cli_wait, "[--json] NAME ID",
	 "Wait for task ID to end; exit with its status (code, 128+signal, 255 when lost).\n"},
	{"logs", lmc_cli_logs, "[-f] NAME ID",
	 "Print the output of a task started with 'run -d'; -f follows it until it ends.\n"
	 "The log is kept under the state directory, rotated once past 8M.\n"},
	{"task", lmc_cli_task, "rm [-f] NAME ID | kill [-s SIGNAL] NAME ID | show [--json] NAME ID",
	 "rm forgets an ended task and its log (-f: kill a running one first); kill signals a\n"
	 "running task's process (default TERM); show prints one task.\n"},
	{"enter", cmd_enter, "NAME PID...",
	 "Move existing processes (whole thread groups) into a leaf container.\n"},
	{"kill", cmd_kill, "[-s SIGNAL] [-r] NAME",
	 "Signal every process in the container (default KILL; -r: and below). A container\n"
	 "with children runs nothing itself: without -r it is refused.\n"},
	{"pause", cmd_pause, "NAME", "Freeze every process in the container and below.\n"},
	{"resume", cmd_resume, "NAME", "Thaw a paused container.\n"},
	{"list", cmd_list, "[-r] [--pids] [--json] [NAME]",
	 "List NAME (default: the top level) and its children; -r its whole subtree, indented.\n"},
	{"spec", cmd_spec, "[--json] NAME",
	 "Show what was asked for and the effective value of each limit, with the ancestor\n"
	 "that sets it.\n"},
	{"stats", cmd_stats, "[-r] [--json] [--bytes] [--fields=LIST] NAME",
	 "Usage: cpu, throttling, memory, OOM kills, io, pids, pressure (PSI). Text gives\n"
	 "sizes as 1.5M and times in seconds; --bytes gives plain bytes and nanoseconds.\n"
	 "--fields=cpu,memory,io,pids,pressure reads only those (fewer kernel files: a\n"
	 "large -r is faster); the others are left out.\n"},
	{"top", lmc_cli_top, "[-d SECS] [-n N] [--once] [--json] [--sort=COLUMN] [NAME]",
	 "A live table of every container: cpu %, memory, its effective memory limit (its\n"
	 "own or an ancestor's), pids, OOM kills; --sort=name|cpu|mem|pids|ooms. On a\n"
	 "terminal the keys n c m p o re-sort and q quits. --json prints one line per sample:\n"
	 "its timestamp_ns and its containers as 'stats --json' gives them.\n"},
	{"events", lmc_cli_events,
	 "NAME [--oom] [--memory-threshold=SIZE] [--empty] [--exit] [--started] [--evicted]\n"
	 "       [--lifecycle] [--since=SEQ] [--json]",
	 "Stream one line per event until interrupted, each starting with its time (UTC,\n"
	 "2026-11-30T01:02:03.456Z) in text; --json gives timestamp_ns. --started: tasks\n"
	 "starting; --lifecycle: created, updated, destroyed, paused, resumed; --since=SEQ\n"
	 "replays the agent's kept events after SEQ first (or says gap), then follows.\n"},
	{"which", lmc_cli_which, "[--json] PID",
	 "Print the container the process PID is in (from /proc/PID/cgroup); exit 1 when it\n"
	 "is in none.\n"},
	{"version", cmd_version, "[--json]", "Print the version.\n"},
	{"help", cmd_help, "[CMD]", "Describe the commands, or one of them.\n"},
};

static const struct cmd *find_cmd(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (strcmp(cmds[i].name, name) == 0)
			return &cmds[i];
	return NULL;
}

static void main_usage(FILE *f)
{
	fputs("usage: lmctl [--direct] [--socket=PATH] [--state-dir=DIR] [--cgroup-root=PATH] COMMAND ...\n\n"
	      "commands:\n",
	      f);
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].usage);
	fputs("\nEnvironment: LMCTL_STATE_DIR, LMCTL_CGROUP_ROOT, LMCTL_SOCKET.\n"
	      "'lmctl help CMD' or 'lmctl CMD --help' describes one command.\n",
	      f);
}

static int cmd_help(struct lmc_cli *c, int argc, char **argv)
{
	(void)c;
	if (argc < 2) {
		main_usage(stdout);
		return 0;
	}
	return print_help(argv[1]);
}

static int parse_global(int argc, char **argv, struct lmc_cli *c)
{
	static const struct option opts[] = {
		{"direct", no_argument, NULL, 'D'},
		{"socket", required_argument, NULL, 'S'},
		{"state-dir", required_argument, NULL, 's'},
		{"cgroup-root", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (opt) {
		case 'D':
			c->direct = true;
			break;
		case 'S':
			c->socket = optarg;
			c->socket_given = true;
			break;
		case 's':
			c->mopts.state_dir = optarg;
			break;
		case 'c':
			c->mopts.cgroup_root = optarg;
			break;
		case 'h':
			main_usage(stdout);
			exit(0);
		case 'V':
			exit(cmd_version(c, 0, NULL));
		default: {
			struct lmc_err err = {0};

			lmc_cli_bad_option(NULL, argv[optind - 1], opts, &err);
			exit(lmc_cli_usage_err(&err));
		}
		}
	}
	return optind;
}

int main(int argc, char **argv)
{
	struct lmc_cli c = {.mopts.lock_timeout_ms = 5000};
	const struct cmd *cmd;
	int first, r;

	/* One malloc arena: the few threads of a command (a run's start, a reading's workers)
	 * would each have glibc reserve and trim an arena of their own (a 128 MiB mmap and two
	 * munmaps at a direct run's start thread's first free), for no contention worth it. */
	mallopt(M_ARENA_MAX, 1);
	c.socket = getenv("LMCTL_SOCKET");
	if (!c.socket || !c.socket[0])
		c.socket = LMC_DEFAULT_SOCKET;
	first = parse_global(argc, argv, &c);
	if (first >= argc) {
		main_usage(stderr);
		return LMC_EXIT_USAGE;
	}
	cmd = find_cmd(argv[first]);
	if (!cmd)
		return lmc_cli_usage("unknown command '%s' (see 'lmctl help')", argv[first]);
	if (cmd->fn != cmd_help && want_help(argc - first, argv + first, cmd->fn == lmc_cli_run))
		return print_help(cmd->name);
	r = cmd->fn(&c, argc - first, argv + first);
	if (c.b)
		c.b->ops->close(c.b);
	/* Output that could not be written (a full disk, a closed pipe) is an error, not a
	 * success with half the output. */
	if ((fflush(stdout) != 0 || ferror(stdout)) && r == 0) {
		fprintf(stderr, "lmctl: %s: writing the output: %s\n", cmd->name, strerror(errno));
		r = 1;
	}
	return r;
}
