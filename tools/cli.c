/* The CLI's connection to a backend and its one-line errors. */
#include "tools/cli.h"

#include <stdarg.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int lmc_cli_connect(struct lmc_cli *c, bool reader, struct lmc_err *err)
{
	struct lmc_manager_opts o = c->mopts;
	int r;

	if (!c->direct) {
		r = lmc_backend_agent_open(c->socket, &c->b, err);
		if (r >= 0)
			return 0;
		/* No agent listening: work alone. Anything else (a refusal) is the answer. */
		if (r != -ENOENT && r != -ECONNREFUSED)
			return r;
		lmc_err_clear(err);
	}
	o.no_lock = reader;
	return lmc_backend_direct_open(&o, &c->b, err);
}

int lmc_cli_fail(const struct lmc_err *err)
{
	fprintf(stderr, "lmctl: %s\n", lmc_err_str(err));
	return 1;
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

static int parse_signal(const char *s, int *ret)
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

/* Parses argv; positional arguments stay at argv[optind..]. */
int lmc_cli_parse_opts(int argc, char **argv, struct lmc_cli_opts *o)
{
	static const struct option opts[] = {
		{"recursive", no_argument, NULL, 'r'},
		{"force", no_argument, NULL, 'r'},
		{"json", no_argument, NULL, 'j'},
		{"pids", no_argument, NULL, 'p'},
		{"signal", required_argument, NULL, 's'},
		{"reserve-memory", required_argument, NULL, 'M'},
		{"reserve-cpus", required_argument, NULL, 'C'},
		{"interval", required_argument, NULL, 'd'},
		{"iterations", required_argument, NULL, 'n'},
		{"once", no_argument, NULL, '1'},
		{NULL, 0, NULL, 0},
	};
	int opt;

	memset(o, 0, sizeof(*o));
	o->sig = SIGKILL;
	o->interval = 1.0;
	optind = 0; /* 0: glibc re-initialises getopt (it ran already for the global options) */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "rfjps:d:n:", opts, NULL)) != -1) {
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
		case 's':
			if (parse_signal(optarg, &o->sig) < 0)
				return lmc_cli_usage("invalid signal '%s'", optarg);
			break;
		case 'M':
			o->reserve_mem = optarg;
			break;
		case 'C':
			o->reserve_cpus = optarg;
			break;
		case 'd':
			o->interval = atof(optarg);
			if (o->interval < 0.1 || o->interval > 3600)
				return lmc_cli_usage("--interval: '%s' is not 0.1..3600 seconds",
						     optarg);
			break;
		case 'n':
			o->iterations = atoi(optarg);
			if (o->iterations < 1)
				return lmc_cli_usage("--iterations: '%s' is not a positive number",
						     optarg);
			break;
		case '1':
			o->iterations = 1;
			break;
		default:
			return lmc_cli_usage("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	return 0;
}
