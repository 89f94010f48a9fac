/* The CLI's connection to a backend and its one-line errors. */
#include "tools/cli.h"

#include <stdarg.h>
#include <stdio.h>

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
