/* lmctld: its command line. Every value is checked whole before anything starts, and a bad
 * one is refused in one line naming the option and the value (exit 2). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/agent/lmctld.h"
#include "tools/agent/metrics-text.h"

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: lmctld [--socket=PATH] [--state-dir=DIR] [--cgroup-root=PATH]\n"
		"              [--idle-timeout=SECONDS] [--conn-timeout=SECONDS]\n"
		"              [--sub-queue=BYTES] [--version] [--no-eviction]\n"
		"              [--evict-headroom=SIZE] [--evict-headroom-pct=N]\n"
		"              [--evict-psi=STALL_MS/WINDOW_MS|0] [--no-evict-reclaim]\n"
		"              [--no-evict-hold-oom] [--fsync] [--metrics=ADDR]\n"
		"              [--metrics-max-age=SECONDS] [--event-history=N]\n"
		"The lmctl node agent: serves the admin API on a unix socket (default %s).\n"
		"It runs in the foreground (a service manager supervises it).\n"
		"A request must arrive whole within --idle-timeout of its first byte (10 s); a\n"
		"connection with nothing under way is closed after --conn-timeout (300 s); a\n"
		"subscriber that leaves --sub-queue bytes unread (1 MiB) is dropped.\n"
		"The last --event-history events (100000) are kept in the state directory\n"
		"for subscribers that resume (since=SEQ), across restarts.\n"
		"Eviction by priority: a container with a memory limit and children (and the\n"
		"machine) is relieved, lowest priority first, once less than\n"
		"max(--evict-headroom-pct of its limit (5), --evict-headroom (64M)) is left, or\n"
		"when PSI reports --evict-psi full stall (200/2000 ms) near it.\n"
		"State (default /run/lmctl, tmpfs) is replaced by rename; --fsync (or LMCTL_FSYNC=1)\n"
		"also fsyncs it, for a --state-dir on disk.\n"
		"--metrics serves Prometheus metrics (GET /metrics) on a unix socket path,\n"
		"127.0.0.1:PORT or [::1]:PORT (loopback only; off by default), read ahead of\n"
		"regular scrapes: figures at most --metrics-max-age old (1 s; 0: read at each).\n"
		"LMCTL_STATE_DIR and LMCTL_CGROUP_ROOT are read when the options are absent.\n",
		LMC_DEFAULT_SOCKET);
}

static int bad(const char *opt, const char *v, const char *why)
{
	fprintf(stderr, "lmctld: --%s: '%s' %s\n", opt, v, why);
	return -EINVAL;
}

/* Seconds in [min, max]: the whole value a number (strtod alone takes "5x" as 5). */
static int seconds_arg(const char *opt, const char *v, double min, double max, double *ret)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(v, &end);
	if (!v[0] || *end || errno || !isfinite(x) || x < min || x > max) {
		char why[96];

		snprintf(why, sizeof(why), "is not a number of seconds from %g to %g", min, max);
		return bad(opt, v, why);
	}
	*ret = x;
	return 0;
}

static int count_arg(const char *opt, const char *v, uint64_t min, uint64_t max, size_t *ret)
{
	struct lmc_err err = {0};
	uint64_t x;
	char flag[64];

	snprintf(flag, sizeof(flag), "--%s", opt);
	if (lmc_parse_u64(flag, v, min, max, &x, &err) < 0) {
		fprintf(stderr, "lmctld: %s\n", lmc_err_str(&err));
		return -EINVAL;
	}
	*ret = (size_t)x;
	return 0;
}

static int evict_arg(struct lmc_evict_opts *e, int ch, const char *v)
{
	struct lmc_err err = {0};
	uint64_t x;
	unsigned s, w;
	char tail;

	switch (ch) {
	case 'E':
		e->enabled = false;
		return 0;
	case 'R':
		e->reclaim = false;
		return 0;
	case 'K':
		e->hold_oom = false;
		return 0;
	case 'H':
	case 'P':
		if ((ch == 'H' ? lmc_parse_size("--evict-headroom", v, &e->min_bytes, &err)
			       : lmc_parse_u64("--evict-headroom-pct", v, 0, 50, &x, &err)) < 0) {
			fprintf(stderr, "lmctld: %s\n", lmc_err_str(&err));
			return -EINVAL;
		}
		if (ch == 'P')
			e->pct = (unsigned)x;
		return 0;
	}
	if (strcmp(v, "0") == 0) {
		e->psi_stall_us = 0;
		return 0;
	}
	/* The kernel takes windows of 500 ms to 10 s and a stall within the window. */
	if (sscanf(v, "%u/%u%c", &s, &w, &tail) != 2 || w < 500 || w > 10000 || !s || s > w)
		return bad("evict-psi", v,
			   "is not STALL_MS/WINDOW_MS (a window of 500 to 10000 ms, a stall within "
			   "it) or 0");
	e->psi_stall_us = s * 1000;
	e->psi_window_us = w * 1000;
	return 0;
}

/* Refused at once, in one line, before anything starts: a non-loopback address would serve
 * the figures to the network without authentication. */
static int metrics_arg(struct agent *a, const char *v)
{
	struct lmc_metrics_addr ad;
	char why[256];

	if (lmc_metrics_addr_parse(v, &ad, why, sizeof(why)) < 0) {
		fprintf(stderr, "lmctld: %s\n", why);
		return -EINVAL;
	}
	a->metrics_addr = v;
	return 0;
}

static const struct option opts[] = {
	{"socket", required_argument, NULL, 's'},
	{"state-dir", required_argument, NULL, 'd'},
	{"cgroup-root", required_argument, NULL, 'r'},
	{"idle-timeout", required_argument, NULL, 'i'},
	{"conn-timeout", required_argument, NULL, 'c'},
	{"sub-queue", required_argument, NULL, 'q'},
	{"no-eviction", no_argument, NULL, 'E'},
	{"evict-headroom", required_argument, NULL, 'H'},
	{"evict-headroom-pct", required_argument, NULL, 'P'},
	{"evict-psi", required_argument, NULL, 'S'},
	{"no-evict-reclaim", no_argument, NULL, 'R'},
	{"no-evict-hold-oom", no_argument, NULL, 'K'},
	{"fsync", no_argument, NULL, 'Y'},
	{"event-history", required_argument, NULL, 'N'},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{"metrics", required_argument, NULL, 'M'},
	{"metrics-max-age", required_argument, NULL, 'A'},
	{},
};

/* One option: 0, -EINVAL (its error printed), or 1 when the agent is to exit 0 (--help). */
static int one_arg(struct agent *a, struct lmc_manager_opts *o, int ch, const char *v)
{
	switch (ch) {
	case 's':
		a->socket_path = v;
		return 0;
	case 'd':
		o->state_dir = v;
		return 0;
	case 'r':
		o->cgroup_root = v;
		return 0;
	case 'i':
		return seconds_arg("idle-timeout", v, 0.001, 86400, &a->idle_timeout);
	case 'c':
		return seconds_arg("conn-timeout", v, 0.001, 86400 * 7, &a->conn_timeout);
	case 'q':
		return count_arg("sub-queue", v, 1024, OUT_MAX / 2, &a->sub_queue_max);
	case 'A':
		return seconds_arg("metrics-max-age", v, 0, 60, &a->metrics_max_age);
	case 'N':
		return count_arg("event-history", v, 1, 10000000, &a->event_history);
	case 'Y':
		o->fsync = true;
		return 0;
	case 'M':
		return metrics_arg(a, v);
	case 'E':
	case 'H':
	case 'P':
	case 'S':
	case 'R':
	case 'K':
		return evict_arg(&a->evict_opts, ch, v);
	case 'h':
		usage(stdout);
		return 1;
	case 'V':
		printf("lmctld %s (API version %d)\n", LMC_API_VERSION_STRING, LMC_API_VERSION);
		return 1;
	}
	return -EINVAL;
}

int lmc_agent_parse_args(int argc, char **argv, struct agent *a, struct lmc_manager_opts *o)
{
	int ch, r;

	opterr = 0; /* our own one line, below */
	while ((ch = getopt_long(argc, argv, "s:d:r:i:c:q:hEH:P:S:RKYN:", opts, NULL)) != -1) {
		if (ch == '?' || ch == ':') {
			fprintf(stderr,
				"lmctld: %s: unknown option or missing value (see --help)\n",
				argv[optind - 1]);
			return -EINVAL;
		}
		r = one_arg(a, o, ch, optarg);
		if (r != 0)
			return r;
	}
	if (optind != argc) {
		fprintf(stderr, "lmctld: '%s': unexpected argument (see --help)\n", argv[optind]);
		return -EINVAL;
	}
	return 0;
}
