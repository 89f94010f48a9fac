/* What a vfork'd child borrows from the thread that starts it (nsutil/fdslots.c): slots of
 * reserved low descriptor numbers, for a child that shares this process's fd table and
 * keeps only one slot of it, and the stack it runs on (nsutil/spawn.c). */
#ifndef LMCTL_NSUTIL_FDSLOTS_H
#define LMCTL_NSUTIL_FDSLOTS_H

#include <stdbool.h>
#include <stddef.h>

#include "nsutil/ns.h"

/* A slot holds a child's placing fds, stdio and report channel. */
#define LMC_NS_SLOT_FDS (LMC_NS_PLACE_MAX + 3 + 1)

/* A free slot, now the caller's; -1 if none (none reserved, all busy). */
int lmc_ns_slot_take(void);
/* Its first number. */
int lmc_ns_slot_first(int slot);
/* Duplicates of fds[] (the -1s left) at numbers from at on, which replace them in fds[];
 * the next number, or -1. */
int lmc_ns_slot_fill(int at, int *fds, size_t n);
/* Numbers [lo, hi) of the slot back to /dev/null (dropping what they held), the slot free. */
void lmc_ns_slot_put(int slot, int lo, int hi);

/* The stack a vfork'd child runs on: this thread's, kept for its next start, or NULL;
 * *owned: none could be kept (the caller unmaps it after the clone). */
#define LMC_NS_VSTACK_SIZE (256u << 10)
void *lmc_ns_vstack_get(bool *owned);

#endif
