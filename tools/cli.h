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

/* Commands living in their own files. */
int lmc_cli_run(struct lmc_cli *c, int argc, char **argv);
int lmc_cli_events(struct lmc_cli *c, int argc, char **argv);
int lmc_cli_top(struct lmc_cli *c, int argc, char **argv);

#endif
