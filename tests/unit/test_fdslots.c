/* The reserved descriptor slots a vfork'd run shares the fd table through (nsutil/fdslots.c):
 * the block goes past a descriptor already in the way and never touches it, a slot's numbers
 * take the fds given and go back to /dev/null when it is put, eight slots at most are out
 * at once (the ninth start copies the table instead), and all are given back when the
 * process runs out of descriptors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nsutil/fdslots.h"

#define SLOTS 8

static bool same_file(int a, int b)
{
	struct stat x, y;

	return fstat(a, &x) == 0 && fstat(b, &y) == 0 && x.st_dev == y.st_dev &&
	       x.st_ino == y.st_ino;
}

static void test_slots(void **state)
{
	int in_way, p[2], null, slots[SLOTS], first, fds[3], next;
	struct stat st;

	(void)state;
	/* A descriptor a parent left at 9, before the reservation (lmctld reserves first). */
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	in_way = dup2(p[0], 9);
	assert_int_equal(in_way, 9);
	assert_int_equal(lmc_ns_vspawn_reserve(), 0);
	assert_true(same_file(9, p[0])); /* untouched */
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(null >= 0);

	for (int i = 0; i < SLOTS; i++) {
		slots[i] = lmc_ns_slot_take();
		assert_true(slots[i] >= 0);
		first = lmc_ns_slot_first(slots[i]);
		/* the block lies wholly past 9, every number held on /dev/null */
		assert_true(first > 9);
		for (int k = 0; k < LMC_NS_SLOT_FDS; k++)
			assert_true(same_file(first + k, null));
	}
	assert_int_equal(lmc_ns_slot_take(), -1); /* all out */

	/* Filling: the -1s are left, the others replaced by the slot's numbers in order. */
	first = lmc_ns_slot_first(slots[3]);
	fds[0] = p[1];
	fds[1] = -1;
	fds[2] = p[0];
	next = lmc_ns_slot_fill(first, fds, 3);
	assert_int_equal(next, first + 2);
	assert_int_equal(fds[0], first);
	assert_int_equal(fds[1], -1);
	assert_int_equal(fds[2], first + 1);
	assert_true(same_file(first, p[1]) && same_file(first + 1, p[0]));
	assert_int_equal(fcntl(first, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	/* Put back: /dev/null again, the pipe no longer held there, the slot free again. */
	lmc_ns_slot_put(slots[3], first, next);
	assert_true(same_file(first, null) && same_file(first + 1, null));
	assert_int_equal(lmc_ns_slot_take(), slots[3]);
	for (int i = 0; i < SLOTS; i++)
		lmc_ns_slot_put(slots[i], lmc_ns_slot_first(slots[i]), lmc_ns_slot_first(slots[i]));
	assert_int_equal(fstat(9, &st), 0);

	/* Out of descriptors: given back, the free slots' numbers at once, a busy one's when
	 * it is put; none taken again. */
	slots[0] = lmc_ns_slot_take();
	assert_true(slots[0] >= 0);
	assert_int_equal(lmc_ns_vspawn_release(), (SLOTS - 1) * LMC_NS_SLOT_FDS);
	assert_int_equal(lmc_ns_vspawn_release(), 0);
	assert_int_equal(lmc_ns_slot_take(), -1);
	first = lmc_ns_slot_first(slots[0] == 0 ? 1 : 0);
	assert_int_equal(fcntl(first, F_GETFD), -1);
	first = lmc_ns_slot_first(slots[0]);
	assert_true(same_file(first, null)); /* still its own */
	lmc_ns_slot_put(slots[0], first, first);
	assert_int_equal(fcntl(first, F_GETFD), -1);
	assert_int_equal(fcntl(first + LMC_NS_SLOT_FDS - 1, F_GETFD), -1);
	assert_int_equal(lmc_ns_slot_take(), -1);
	close(null);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slots),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
