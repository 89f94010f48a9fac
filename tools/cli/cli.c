/* The CLI's connection to a backend and its one-line errors. */
#include "tools/cli/cli.h"

#include <stdarg.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Whether an agent answers on path (it then holds its state directory's lock). */
static bool agent_answers(const char *path)
{
	struct lmc_backend *b = NULL;
	struct lmc_err err = {0};

	if (lmc_backend_agent_open(path, &b, &err) < 0)
		return false;
	b->ops->close(b);
	return true;
}

/* Direct mode: a writer finding the agent up fails at once (the agent keeps the lock for
 * its whole life) and says so, rather than waiting for a lock that never comes free. */
static int connect_direct(struct lmc_cli *c, bool reader, struct lmc_err *err)
{
	struct lmc_manager_opts o = c->mopts;
	bool agent = c->direct && !reader && agent_answers(c->socket);
	char msg[sizeof(err->msg)];
	int r;

	o.no_lock = reader;
	if (agent)
		o.lock_timeout_ms = 0;
	r = lmc_backend_direct_open(&o, &c->b, err);
	if (r == -EWOULDBLOCK && agent) {
		snprintf(msg, sizeof(msg), "%s", lmc_err_str(err));
		lmc_err_reset(err, r,
			      "%s: the agent (lmctld on %s) holds it while it runs; run the "
			      "command without --direct to go through the agent, or stop lmctld",
			      msg, c->socket);
		err->kind = LMC_EC_BUSY;
	}
	return r;
}

int lmc_cli_connect(struct lmc_cli *c, bool reader, struct lmc_err *err)
{
	int r;

	if (!c->direct) {
		r = lmc_backend_agent_open(c->socket, &c->b, err);
		if (r >= 0)
			return 0;
		/* No agent listening on the default socket: work alone. A socket named with
		 * --socket must answer; anything else (a refusal) is the answer. */
		if (c->socket_given && (r == -ENOENT || r == -ECONNREFUSED)) {
			lmc_err_reset(
				err, r,
				"--socket: no agent answers on %s: %s (leave out --socket, or "
				"use --direct, to work without it)",
				c->socket, strerror(-r));
			err->kind = LMC_EC_UNAVAILABLE;
			return r;
		}
		if (r != -ENOENT && r != -ECONNREFUSED)
			return r;
		lmc_err_clear(err);
	}
	return connect_direct(c, reader, err);
}

/* The API names fields by their Spec path; the CLI says the flag a user types. */
static const char *const api_flags[][2] = {
	{"cpu.reservation_m", "--cpu-reservation"},
	{"cpu.limit_m", "--cpus"},
	{"cpu.shares", "--cpu-shares"},
	{"cpu.period_us", "--cpu-period"},
	{"cpu.burst_us", "--cpu-burst"},
	{"cpu.cpus", "--cpuset-cpus"},
	{"cpu.mems", "--cpuset-mems"},
	{"cpu.latency", "--latency"},
	{"memory.reservation", "--memory-reservation"},
	{"memory.swap", "--memory-swap"},
	{"memory.high", "--memory-high"},
	{"memory.limit", "--memory"},
	{"memory.oom_group", "--oom-group"},
	{"memory.eviction_priority", "--priority"},
	{"blkio.throttles.read_bps", "--device-read-bps"},
	{"blkio.throttles.write_bps", "--device-write-bps"},
	{"blkio.throttles.read_iops", "--device-read-iops"},
	{"blkio.throttles.write_iops", "--device-write-iops"},
	{"blkio.weight", "--blkio-weight"},
	{"namespaces.uts", "--ns=uts"},
	{"namespaces.user", "--ns=user"},
	{"namespaces.hostname", "--hostname"},
	{"namespaces.uid_map", "--uid-map"},
	{"namespaces.gid_map", "--gid-map"},
	{"pids.limit", "--pids-limit"},
	{"max_containers", "--max-containers"},
	{"(force to lower", "(--force to lower"},
};

static bool word_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	       ch == '_' || ch == '.';
}

/* msg with each API field name (a whole word) replaced by its flag. */
static void to_cli_words(const char *msg, char *out, size_t size)
{
	size_t o = 0;

	for (const char *p = msg; *p && o + 1 < size;) {
		size_t i, len = 0;

		for (i = 0; i < ARRAY_SIZE(api_flags); i++) {
			len = strlen(api_flags[i][0]);
			if (strncmp(p, api_flags[i][0], len) == 0 && !word_char(p[len]) &&
			    (p == msg || !word_char(p[-1])))
				break;
		}
		if (i < ARRAY_SIZE(api_flags)) {
			o += (size_t)snprintf(out + o, size - o, "%s", api_flags[i][1]);
			o = o < size ? o : size - 1;
			p += len;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
}

int lmc_cli_exit_code(const struct lmc_err *err)
{
	switch (lmc_err_kind(err)) {
	case LMC_EC_NOT_FOUND:
		return LMC_EXIT_ENOENT;
	case LMC_EC_ALREADY_EXISTS:
		return LMC_EXIT_EXISTS;
	case LMC_EC_EXCEEDS_PARENT:
	case LMC_EC_RESERVATION_OVERCOMMIT:
	case LMC_EC_BELOW_USAGE:
	case LMC_EC_RESOURCE_EXHAUSTED:
		return LMC_EXIT_BOUND;
	case LMC_EC_PERMISSION_DENIED:
		return LMC_EXIT_DENIED;
	default:
		return 1;
	}
}

int lmc_cli_fail(const struct lmc_err *err)
{
	char msg[LMC_ERR_MSG_MAX * 2];

	to_cli_words(lmc_err_str(err), msg, sizeof(msg));
	fprintf(stderr, "lmctl: %s\n", msg);
	return lmc_cli_exit_code(err);
}

int lmc_cli_usage_err(const struct lmc_err *err)
{
	fprintf(stderr, "lmctl: %s\n", lmc_err_str(err));
	return LMC_EXIT_USAGE;
}

/* Levenshtein distance of a and b[0..bn), bounded to short option names. */
static size_t edit_distance(const char *a, const char *b, size_t bn)
{
	size_t an = strlen(a), row[64], prev, tmp;

	if (an >= ARRAY_SIZE(row) || bn >= ARRAY_SIZE(row))
		return SIZE_MAX;
	for (size_t j = 0; j <= bn; j++)
		row[j] = j;
	for (size_t i = 1; i <= an; i++) {
		prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= bn; j++) {
			size_t best = prev + (a[i - 1] != b[j - 1]);

			tmp = row[j];
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			prev = tmp;
			row[j] = best;
		}
	}
	return row[bn];
}

static const char *const global_options[] = {"direct", "socket", "state-dir", "cgroup-root"};

/* The closest of opts to name[0..n), if close enough to be a typo. */
static const char *closest_option(const struct option *opts, const char *name, size_t n)
{
	const char *best = NULL;
	size_t best_d = SIZE_MAX;

	for (size_t i = 0; opts && opts[i].name && n > 1; i++) {
		size_t d = edit_distance(opts[i].name, name, n);

		if (d < best_d) {
			best_d = d;
			best = opts[i].name;
		}
	}
	return best && best_d <= (n > 5 ? 2u : 1u) ? best : NULL;
}

int lmc_cli_bad_option(const char *cmd, const char *arg, const struct option *opts,
		       struct lmc_err *err)
{
	const char *name = arg, *best, *sep = cmd ? ": " : "";
	size_t n;

	while (*name == '-')
		name++;
	n = strcspn(name, "=");
	for (size_t i = 0; cmd && strncmp(arg, "--", 2) == 0 && i < ARRAY_SIZE(global_options); i++)
		if (strlen(global_options[i]) == n && strncmp(global_options[i], name, n) == 0)
			return lmc_err_set(err, -EINVAL,
					   "%s: '%s' is a global option: give it before the "
					   "command (lmctl %s %s ...)",
					   cmd, arg, arg, cmd);
	best = closest_option(opts, name, n);
	if (best && strlen(best) == n && !strchr(arg, '='))
		return lmc_err_set(err, -EINVAL, "%s%s'%s' needs a value (--%s=VALUE)",
				   cmd ? cmd : "", sep, arg, best);
	if (best && (strlen(best) != n || strncmp(best, name, n) != 0))
		return lmc_err_set(err, -EINVAL, "%s%sunknown option '%s' (did you mean --%s?)",
				   cmd ? cmd : "", sep, arg, best);
	return lmc_err_set(err, -EINVAL, "%s%sunknown option '%s' (see 'lmctl help%s%s')",
			   cmd ? cmd : "", sep, arg, cmd ? " " : "", cmd ? cmd : "");
}

int lmc_cli_usage(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("lmctl: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	return LMC_EXIT_USAGE;
}

int lmc_cli_parse_signal(const char *s, int *ret)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {{"KILL", SIGKILL}, {"TERM", SIGTERM}, {"INT", SIGINT},
		    {"HUP", SIGHUP},   {"QUIT", SIGQUIT}, {"USR1", SIGUSR1},
		    {"USR2", SIGUSR2}, {"STOP", SIGSTOP}, {"CONT", SIGCONT}};
	char *end;
	long v;

	if (strncmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		if (strcasecmp(s, sigs[i].name) == 0)
			return *ret = sigs[i].sig, 0;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > SIGRTMAX)
		return -EINVAL;
	*ret = (int)v;
	return 0;
}

const struct option lmc_cli_common_options[] = {
	{"recursive", no_argument, NULL, 'r'},
	{"force", no_argument, NULL, 'r'},
	{"json", no_argument, NULL, 'j'},
	{"pids", no_argument, NULL, 'p'},
	{"bytes", no_argument, NULL, 'b'},
	{"signal", required_argument, NULL, 's'},
	{"reserve-memory", required_argument, NULL, 'M'},
	{"reserve-cpus", required_argument, NULL, 'C'},
	{"interval", required_argument, NULL, 'd'},
	{"iterations", required_argument, NULL, 'n'},
	{"sort", required_argument, NULL, 'S'},
	{"once", no_argument, NULL, '1'},
	{"fields", required_argument, NULL, 'F'},
	{NULL, 0, NULL, 0},
};

/* "cpu,memory" -> LMC_STATF_CPU | LMC_STATF_MEMORY; -EINVAL on an unknown or empty word. */
static int parse_fields(const char *s, unsigned *ret)
{
	static const struct {
		const char *word;
		unsigned bit;
	} words[] = {{"cpu", LMC_STATF_CPU},
		     {"memory", LMC_STATF_MEMORY},
		     {"io", LMC_STATF_IO},
		     {"pids", LMC_STATF_PIDS},
		     {"pressure", LMC_STATF_PRESSURE}};
	unsigned mask = 0;

	do {
		size_t len = strcspn(s, ","), i;

		for (i = 0; i < ARRAY_SIZE(words); i++)
			if (strlen(words[i].word) == len && strncmp(s, words[i].word, len) == 0)
				break;
		if (i == ARRAY_SIZE(words))
			return -EINVAL;
		mask |= words[i].bit;
		s += len;
	} while (*s++ == ',');
	*ret = mask;
	return 0;
}

/* The common options that take a value and check it: 0, or the usage exit status (the error
 * printed); 1 when opt is not one of them. */
static int value_opt(int opt, const char *arg, struct lmc_cli_opts *o)
{
	switch (opt) {
	case 's':
		if (lmc_cli_parse_signal(arg, &o->sig) < 0)
			return lmc_cli_usage("invalid signal '%s'", arg);
		return 0;
	case 'd':
		o->interval = atof(arg);
		if (o->interval < 0.1 || o->interval > 3600)
			return lmc_cli_usage("--interval: '%s' is not 0.1..3600 seconds", arg);
		return 0;
	case 'n':
		o->iterations = atoi(arg);
		if (o->iterations < 1)
			return lmc_cli_usage("--iterations: '%s' is not a positive number", arg);
		return 0;
	case 'F':
		if (parse_fields(arg, &o->fields) < 0)
			return lmc_cli_usage("--fields: '%s' is not a list of cpu, memory, io, "
					     "pids, pressure",
					     arg);
		return 0;
	}
	return 1;
}

/* Parses argv; positional arguments stay at argv[optind..]. */
int lmc_cli_parse_opts(int argc, char **argv, struct lmc_cli_opts *o)
{
	int opt, r;

	memset(o, 0, sizeof(*o));
	o->sig = SIGKILL;
	o->interval = 1.0;
	optind = 0; /* 0: glibc re-initialises getopt (it ran already for the global options) */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "rfjps:d:n:", lmc_cli_common_options, NULL)) != -1) {
		switch (opt) {
		case 'r':
		case 'f':
			o->recursive = true;
			break;
		case 'j':
			o->json = true;
			break;
		case 'p':
			o->pids = true;
			break;
		case 'b':
			o->bytes = true;
			break;
		case 'S':
			o->sort = optarg;
			break;
		case 'M':
			o->reserve_mem = optarg;
			break;
		case 'C':
			o->reserve_cpus = optarg;
			break;
		case '1':
			o->iterations = 1;
			break;
		default: {
			struct lmc_err err = {0};

			if ((r = value_opt(opt, optarg, o)) != 1) {
				if (r)
					return r;
				break;
			}
			lmc_cli_bad_option(argv[0], argv[optind - 1], lmc_cli_common_options, &err);
			return lmc_cli_usage_err(&err);
		}
		}
	}
	return 0;
}
