/* Slots of low descriptor numbers, for a child that shares the agent's fd table. A vfork'd child
 * gets a copy of every descriptor, and its exec closes them all again (close-on-exec):
 * with the agent's 10,000 (the directories and statistics files it keeps open,
 * controllers/cgroupfs-dcache.c) that was 1.5 ms of each run's reply after a restart, and
 * as much again before its exit (perf: dnotify_flush, filp_flush, locks_remove_posix and
 * fput in the child's exec; a run's reply 2.5-2.8 ms against 1.0-1.2 ms with 1,000
 * descriptors). So the worker puts what the child needs (its placing fds, stdio, the
 * report channel) into a slot of reserved low numbers, clones with CLONE_FILES, and the
 * child's close_range(CLOSE_RANGE_UNSHARE) from the slot's end up makes a table of the
 * numbers below it only (the kernel copies no more: 0.2 ms less, the same as with no
 * descriptors, in a test with 10,000 open). The slots hold /dev/null while free, so
 * nothing else takes their numbers. Reserved by lmc_ns_vspawn_reserve (the agent, before
 * it opens anything); none reserved, or all busy: the copy, as before. */
#include "nsutil/fdslots.h"

#include <errno.h>
#include <pthread.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/util.h"

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/asan_interface.h>
#endif

#define SLOTS 8

static int slot_base = -1; /* the first reserved descriptor; -1 none */
static int slot_null = -1; /* /dev/null, what a free slot's numbers hold */
static _Atomic unsigned slot_busy;
static _Atomic bool slot_gone; /* given back (lmc_ns_vspawn_release): none taken again */
/* A process allowed fewer descriptors than this reserves none (8 slots would be much of
 * what it may hold). */
#define NOFILE_MIN 4096

int lmc_ns_vspawn_reserve(void)
{
	int fd, base;

	struct rlimit rl;

	if (slot_base >= 0)
		return 0;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max < NOFILE_MIN)
		return -EMFILE;
	/* The kernel must unshare the table (5.9): probed on nothing (the table is ours). */
	if (syscall(SYS_close_range, ~0U, ~0U, CLOSE_RANGE_UNSHARE) < 0)
		return lmc_negerrno();
	/* A closed 0..2 is filled (with /dev/null, left so): the slots lie above them. */
	while ((base = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0 && base < 3)
		;
	if (base < 0)
		return lmc_negerrno();
	for (int i = 1; i < SLOTS * LMC_NS_SLOT_FDS; i++) {
		fd = fcntl(base, F_DUPFD_CLOEXEC, base + i);
		if (fd < 0) {
			syscall(SYS_close_range, (unsigned)base, (unsigned)(base + i - 1), 0);
			return lmc_negerrno();
		}
		if (fd != base + i) { /* one inherited in the way: the block starts after it */
			syscall(SYS_close_range, (unsigned)base, (unsigned)(base + i - 1), 0);
			base = fd;
			i = 0;
		}
	}
	slot_null = fcntl(base, F_DUPFD_CLOEXEC, 0);
	if (slot_null < 0) {
		syscall(SYS_close_range, (unsigned)base,
			(unsigned)(base + SLOTS * LMC_NS_SLOT_FDS - 1), 0);
		return lmc_negerrno();
	}
	slot_base = base;
	return 0;
}

int lmc_ns_slot_take(void)
{
	unsigned cur = slot_busy;

	if (slot_base < 0 || slot_gone)
		return -1;
	for (int i = 0; i < SLOTS; i++)
		if (!(cur & (1u << i))) {
			if (atomic_compare_exchange_strong(&slot_busy, &cur, cur | (1u << i)))
				return i;
			i = -1; /* cur is fresh: look again */
		}
	return -1;
}

int lmc_ns_slot_first(int slot)
{
	return slot_base + slot * LMC_NS_SLOT_FDS;
}

int lmc_ns_slot_fill(int at, int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		if (dup3(fds[i], at, O_CLOEXEC) < 0)
			return -1;
		fds[i] = at++;
	}
	return at;
}

static void slot_close(int s)
{
	int lo = lmc_ns_slot_first(s);

	syscall(SYS_close_range, (unsigned)lo, (unsigned)(lo + LMC_NS_SLOT_FDS - 1), 0);
}

void lmc_ns_slot_put(int s, int lo, int hi)
{
	if (slot_gone) { /* given back meanwhile: its numbers go, it stays taken */
		slot_close(s);
		return;
	}
	for (int fd = lo; fd < hi; fd++)
		dup3(slot_null, fd, O_CLOEXEC);
	atomic_fetch_and(&slot_busy, ~(1u << s));
}

int lmc_ns_vspawn_release(void)
{
	int freed = 0;

	if (slot_base < 0 || atomic_exchange(&slot_gone, true))
		return 0;
	/* Each free slot is taken for good and closed; a busy one closes at its put. */
	for (int s = 0; s < SLOTS; s++)
		if (!(atomic_fetch_or(&slot_busy, 1u << s) & (1u << s))) {
			slot_close(s);
			freed += LMC_NS_SLOT_FDS;
		}
	return freed;
}

/* The child's stack, one per thread that clones and kept for its next clone: a mapping made
 * and unmapped for each start cost an unmap's TLB shootdown across every CPU the agent's
 * threads ran on (interprocessor interrupts, dear on this paravirtualized VM). */
static pthread_key_t vstack_key;
static pthread_once_t vstack_once = PTHREAD_ONCE_INIT;
static bool vstack_keyed;

static void vstack_unmap(void *stack)
{
	munmap(stack, LMC_NS_VSTACK_SIZE);
}

static void vstack_key_init(void)
{
	vstack_keyed = pthread_key_create(&vstack_key, vstack_unmap) == 0;
}

void *lmc_ns_vstack_get(bool *owned)
{
	void *stack;

	pthread_once(&vstack_once, vstack_key_init);
	*owned = false;
	stack = vstack_keyed ? pthread_getspecific(vstack_key) : NULL;
	if (stack) {
#ifdef __SANITIZE_ADDRESS__
		/* the last child's frames never returned: their redzones are still marked */
		ASAN_UNPOISON_MEMORY_REGION(stack, LMC_NS_VSTACK_SIZE);
#endif
		return stack;
	}
	stack = mmap(NULL, LMC_NS_VSTACK_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (stack == MAP_FAILED)
		return NULL;
	if (!vstack_keyed || pthread_setspecific(vstack_key, stack) != 0)
		*owned = true;
	return stack;
}
