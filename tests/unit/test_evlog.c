/* The event journal: numbering, the ring's bound, replay after a seq, reopening (the counter
 * and the kept events survive), a torn tail cut off, the file compacted, task ids kept. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/evlog.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/lmctl-evlog-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char path[128];

	(void)state;
	snprintf(path, sizeof(path), "%s/%s", dir, LMC_EVLOG_FILE);
	unlink(path);
	rmdir(dir);
	return 0;
}

static void add(struct lmc_evlog *l, const char *name, uint64_t value)
{
	struct lmc_evrec ev = {.kind = LMC_EVK_CREATED, .value = value};

	snprintf(ev.name, sizeof(ev.name), "%s", name);
	snprintf(ev.detail, sizeof(ev.detail), "d%llu", (unsigned long long)value);
	assert_int_equal(lmc_evlog_append(l, &ev), 0);
	assert_int_equal(ev.seq, lmc_evlog_last(l));
	assert_true(ev.timestamp_ns > 0);
}

struct seen {
	uint64_t seq[64];
	size_t n;
};

static int collect(const struct lmc_evrec *ev, void *ud)
{
	struct seen *s = ud;

	assert_int_equal(ev->value, ev->seq); /* add() gave value = its seq */
	assert_string_equal(ev->name, "a/b");
	s->seq[s->n++] = ev->seq;
	return 0;
}

static void test_ring_replay_reopen(void **state)
{
	struct lmc_evlog *l = NULL;
	struct lmc_err err = {0};
	struct seen s = {0};
	char path[128];
	int fd;

	(void)state;
	assert_int_equal(lmc_evlog_open(dir, 4, &l, &err), 0);
	assert_int_equal(lmc_evlog_last(l), 0);
	for (uint64_t i = 1; i <= 10; i++) /* 10 > 2 * 4: the file is compacted too */
		add(l, "a/b", i);
	assert_int_equal(lmc_evlog_first(l), 7);
	assert_int_equal(lmc_evlog_replay(l, 8, collect, &s), 0);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.seq[0], 9);
	lmc_evlog_free(l);

	/* A torn record at the end (a crash mid-append) is cut off on open. */
	snprintf(path, sizeof(path), "%s/%s", dir, LMC_EVLOG_FILE);
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x40\0\0\0junk", 8), 8);
	close(fd);
	assert_int_equal(lmc_evlog_open(dir, 4, &l, &err), 0);
	assert_int_equal(lmc_evlog_last(l), 10);
	assert_int_equal(lmc_evlog_first(l), 7);
	add(l, "a/b", 11);
	s.n = 0;
	assert_int_equal(lmc_evlog_replay(l, 0, collect, &s), 0);
	assert_int_equal(s.n, 4);
	assert_int_equal(s.seq[0], 8);
	assert_int_equal(s.seq[3], 11);
	lmc_evlog_free(l);
	assert_int_equal(lmc_evlog_open(dir, 4, &l, &err), 0);
	assert_int_equal(lmc_evlog_last(l), 11);
	lmc_evlog_free(l);
}

static int first_ev(const struct lmc_evrec *ev, void *ud)
{
	*(struct lmc_evrec *)ud = *ev;
	return -1;
}

/* A task's id, the longest a task may have, comes back from the file after a reopen, with
 * the name and detail beside it whole; an event without one has none. */
static void test_task_id_kept(void **state)
{
	struct lmc_evrec ev = {.kind = LMC_EVK_EXIT, .pid = 42, .wstatus = 3 << 8}, got;
	struct lmc_evlog *l = NULL;
	struct lmc_err err = {0};

	(void)state;
	assert_int_equal(lmc_evlog_open(dir, 8, &l, &err), 0);
	snprintf(ev.name, sizeof(ev.name), "job/leaf");
	snprintf(ev.detail, sizeof(ev.detail), "why");
	memset(ev.task_id, 't', LMC_TASK_ID_MAX);
	assert_int_equal(lmc_evlog_append(l, &ev), 0);
	add(l, "a/b", 2);
	lmc_evlog_free(l);
	assert_int_equal(lmc_evlog_open(dir, 8, &l, &err), 0);
	assert_int_equal(lmc_evlog_last(l), 2);
	assert_int_equal(lmc_evlog_replay(l, 0, first_ev, &got), -1);
	assert_string_equal(got.task_id, ev.task_id);
	assert_string_equal(got.name, "job/leaf");
	assert_string_equal(got.detail, "why");
	assert_int_equal(got.wstatus, 3 << 8);
	assert_int_equal(lmc_evlog_replay(l, 1, first_ev, &got), -1);
	assert_string_equal(got.task_id, "");
	assert_string_equal(got.detail, "d2");
	lmc_evlog_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ring_replay_reopen, setup, teardown),
		cmocka_unit_test_setup_teardown(test_task_id_kept, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
