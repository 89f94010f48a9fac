/* Parsing of the resource flags shared by `lmctl create` and `lmctl update`. */
#ifndef LMC_CLI_FLAGS_H
#define LMC_CLI_FLAGS_H

#include <stdbool.h>

#include "base/spec.h"

struct lmc_cli_spec {
	struct lmc_spec spec; /* only the flags given are set */
	const char *name; /* the one positional argument */
	bool force, json, help;
};

/* argv[0] is the command name. Options and the name may come in any order. */
int lmc_cli_parse_spec(int argc, char **argv, const char *cmd, struct lmc_cli_spec *ret,
		       struct lmc_err *err);

#endif
