/* Fault points for the crash-recovery tests. With LMCTL_TEST_CRASH_AT=<where> in its
 * environment the process SIGKILLs itself at the point of that name, as kill -9 or a power
 * cut would stop it there; without it (always, in use) a point is one getenv. Compiled into
 * the real binaries because the integration tests drive those; only whoever sets the
 * process's environment can use it, and that one could kill it anyway.
 * Points: "update-after-record" (lmc_mgr_update: the new spec stored, the kernel not yet
 * written); "exit-after-event" (the agent: a task's EXIT event journaled and sent, its
 * record not yet written). */
#ifndef LMC_CRASHPOINT_H
#define LMC_CRASHPOINT_H

#include <signal.h>
#include <stdlib.h>
#include <string.h>

static inline void lmc_crash_point(const char *where)
{
	const char *at = getenv("LMCTL_TEST_CRASH_AT");

	if (at && strcmp(at, where) == 0)
		raise(SIGKILL);
}

#endif
