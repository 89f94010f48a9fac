/* What the CLI's command files share: the connection to a backend and error printing. */
#ifndef LMC_CLI_H
#define LMC_CLI_H

#include <stdbool.h>

#include "tools/backend.h"

#define LMC_EXIT_USAGE 2

struct lmc_cli {
	struct lmc_manager_opts mopts;
	const char *socket;
	bool direct;
	struct lmc_backend *b;
};

/* The agent if it answers, else the library. Readers in direct mode take no lock. */
int lmc_cli_connect(struct lmc_cli *c, bool reader, struct lmc_err *err);
/* Print "lmctl: <message>" and return the exit status 1. */
int lmc_cli_fail(const struct lmc_err *err);
/* Print "lmctl: <formatted>" and return the usage exit status. */
int lmc_cli_usage(const char *fmt, ...) _printf_(1, 2);

/* The options the small commands share (list, spec, stats, kill, destroy, init, top). */
struct lmc_cli_opts {
	bool recursive, json, pids;
	int sig; /* -s, default SIGKILL */
	const char *reserve_mem, *reserve_cpus;
	double interval; /* top -d, seconds */
	int iterations; /* top -n / --once; 0: forever */
};
/* Parse argv[1..]; positional arguments are left at argv[optind..]. Returns 0 or the usage
 * exit status (the error printed). */
int lmc_cli_parse_opts(int argc, char **argv, struct lmc_cli_opts *o);

/* A user or group name to its id (tools/cli-ids.c); 0 or -ENOENT. */
int lmc_cli_user_id(const char *name, uint32_t *ret);
int lmc_cli_group_id(const char *name, uint32_t *ret);

/* Commands living in their own files. */
int lmc_cli_run(struct lmc_cli *c, int argc, char **argv);
int lmc_cli_events(struct lmc_cli *c, int argc, char **argv);
int lmc_cli_top(struct lmc_cli *c, int argc, char **argv);

#endif
