/* What the CLI's command files share: the connection to a backend and error printing. */
#ifndef LMC_CLI_H
#define LMC_CLI_H

#include <getopt.h>
#include <stdbool.h>

#include "tools/cli/backend.h"

#define LMC_EXIT_USAGE 2
/* A refusal, by the API's error code: not found; exists (with another spec); over a bound
 * (exceeds-parent, reservation-overcommit, below-usage, resource-exhausted); not allowed.
 * Every other failure is 1. */
#define LMC_EXIT_ENOENT 3
#define LMC_EXIT_EXISTS 4
#define LMC_EXIT_BOUND 5
#define LMC_EXIT_DENIED 6
/* run: lmctl itself failed before the command ran; the command could not be executed; it
 * was not found (as docker and shells). */
#define LMC_EXIT_RUN_FAILED 125
#define LMC_EXIT_NOT_EXECUTABLE 126
#define LMC_EXIT_NOT_FOUND 127

struct lmc_cli {
	struct lmc_manager_opts mopts;
	const char *socket;
	bool socket_given; /* --socket: no fallback to direct mode when it does not answer */
	bool direct;
	struct lmc_backend *b;
};

/* The agent if it answers, else the library. Readers in direct mode take no lock. */
int lmc_cli_connect(struct lmc_cli *c, bool reader, struct lmc_err *err);
/* Print "lmctl: <message>" (API field names as flags) and return its exit status. */
int lmc_cli_fail(const struct lmc_err *err);
int lmc_cli_exit_code(const struct lmc_err *err);
/* Print "lmctl: <formatted>" and return the usage exit status. */
int lmc_cli_usage(const char *fmt, ...) _printf_(1, 2);
/* Print the error as a usage error ("lmctl: <message>") and return the usage exit status. */
int lmc_cli_usage_err(const struct lmc_err *err);
/* Set err to "CMD: unknown option 'ARG'" with a "did you mean --X?" when one of opts is
 * close, or a hint when ARG is a global option given after the command. Returns -EINVAL. */
int lmc_cli_bad_option(const char *cmd, const char *arg, const struct option *opts,
		       struct lmc_err *err);

/* The options the small commands share (list, spec, stats, kill, destroy, init, top). */
struct lmc_cli_opts {
	bool recursive, json, pids, bytes;
	int sig; /* -s, default SIGKILL */
	const char *reserve_mem, *reserve_cpus;
	double interval; /* top -d, seconds */
	int iterations; /* top -n / --once; 0: forever */
	const char *sort; /* top --sort=COLUMN */
	unsigned fields; /* stats --fields=cpu,memory,io,pids,pressure (LMC_STATF_*; 0: all) */
};
/* Parse argv[1..]; positional arguments are left at argv[optind..]. Returns 0 or the usage
 * exit status (the error printed). */
int lmc_cli_parse_opts(int argc, char **argv, struct lmc_cli_opts *o);
/* The options of lmc_cli_parse_opts, for lmc_cli_bad_option. */
extern const struct option lmc_cli_common_options[];

/* A user or group name to its id (tools/cli/cli-ids.c); 0 or -ENOENT. */
int lmc_cli_user_id(const char *name, uint32_t *ret);
int lmc_cli_group_id(const char *name, uint32_t *ret);
/* The static lmctl: glibc's user and group lookups to its built-in "files" (no NSS module
 * dlopen'd, which can crash a static process). Call before the library looks a user up. */
void lmc_cli_nss_files(void);

/* Commands living in their own files. */
int lmc_cli_run(struct lmc_cli *c, int argc, char **argv);
int lmc_cli_events(struct lmc_cli *c, int argc, char **argv);
int lmc_cli_top(struct lmc_cli *c, int argc, char **argv);
int lmc_cli_which(struct lmc_cli *c, int argc, char **argv);
/* tools/cli/cli-task.c: ps, wait, logs, task rm|kill|show. */
int lmc_cli_ps(struct lmc_cli *c, int argc, char **argv);
int lmc_cli_wait(struct lmc_cli *c, int argc, char **argv);
int lmc_cli_logs(struct lmc_cli *c, int argc, char **argv);
int lmc_cli_task(struct lmc_cli *c, int argc, char **argv);
/* A signal by name (KILL, SIGTERM, ...) or number: 0 or -EINVAL. */
int lmc_cli_parse_signal(const char *s, int *ret);

#endif
