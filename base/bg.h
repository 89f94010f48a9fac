/* Work that only waits on the kernel, done off the caller's thread. Some system calls wait
 * for an RCU grace period before they return: closing a PSI trigger (psi_trigger_destroy)
 * and registering a v1 memory threshold (cgroup.event_control) each took 6-21 ms on this
 * idle 2-CPU host (kernel 6.18; a grace period is shorter on a busy one), and the agent did
 * them on its loop, for every watched container it created or destroyed. Here they run on
 * up to LMC_BG_THREADS threads, started on first use and kept (their grace periods overlap),
 * in the order queued per thread. fn must touch nothing the caller may free or change
 * meanwhile: it is given what it needs (fds of its own, copies). Where no thread can be
 * started (or no memory), fn runs on the caller's thread, as before. */
#ifndef LMC_BG_H
#define LMC_BG_H

#define LMC_BG_THREADS 4

void lmc_bg_run(void (*fn)(void *arg), void *arg);
/* close(fd) there (fd is the queue's from now on; < 0: nothing). */
void lmc_bg_close(int fd);
/* Wait until everything queued so far has run (tests; an agent that stops). */
void lmc_bg_flush(void);
/* Work queued or running now (tests). */
unsigned lmc_bg_pending(void);

#endif
