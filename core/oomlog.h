/* Who the kernel's OOM killer killed: the victim's pid, read from the kernel log (/dev/kmsg),
 * since no cgroup file names it (memory.events and memory.oom_control only count kills).
 * The kernel logs each kill as
 *   oom-kill:constraint=...,oom_memcg=/a,task_memcg=/a/b,task=NAME,pid=PID,uid=UID
 * (rate-limited with the rest of the OOM report), then, always,
 *   Killed process PID (NAME) total-vm:...
 * Both come before the kill is counted in the cgroup, so once an OOM event has its count
 * the line of its victim is in the log. kubelet's OOM watcher (cAdvisor) reads the same. */
#ifndef LMC_OOMLOG_H
#define LMC_OOMLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/err.h"

struct lmc_oomkill {
	uint64_t seq; /* the log record's sequence number */
	pid_t pid;
	char memcg[512]; /* task_memcg, relative to its hierarchy's root; "" when not logged */
};

/* One /dev/kmsg record ("PRI,SEQ,USEC,FLAGS;TEXT\n[ KEY=VALUE\n]..."): 1 and *ret for an
 * OOM kill line, 0 for any other record, -EBADMSG for one that is not a record. */
int lmc_oomlog_parse(const char *rec, size_t len, struct lmc_oomkill *ret);

struct lmc_oomlog;
/* Open the kernel log at its end (what was logged before is not read). */
int lmc_oomlog_open(struct lmc_oomlog **ret, struct lmc_err *err);
void lmc_oomlog_free(struct lmc_oomlog *l);
/* Read what the kernel logged since the last call (never blocks), keeping the last kills. */
void lmc_oomlog_drain(struct lmc_oomlog *l);
/* The newest kill logged after *seq whose task_memcg is memcg or below it, or, for a kill
 * logged without its memcg, whose pid in_cgroup(pid, ud) says was there: its pid, and *seq
 * moves to it; 0 when there is none. */
pid_t lmc_oomlog_victim(struct lmc_oomlog *l, const char *memcg, uint64_t *seq,
			bool (*in_cgroup)(pid_t pid, void *ud), void *ud);

#endif
