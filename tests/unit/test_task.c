/* The task table (core/task.c): found by container and id among thousands, the per-container
 * cap (the oldest ended record goes; all running: refused), delete and destroy, and the same
 * answers after the table is read again from its files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/err.h"
#include "core/task.h"

static char dir[64];
static int dirfd_ = -1;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/lmctl-task-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return dirfd_ < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	close(dirfd_);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* A task of container with id, started at started_ns (its record stored), ended unless
 * running. */
static void add_at(struct lmc_tasks *ts, const char *container, const char *id, bool running,
		   uint64_t started_ns)
{
	static const char *const argv[] = {"/bin/true", NULL};
	struct lmc_task t = {.exit_code = -1, .pidfd = -1, .pid = 4242, .started_ns = started_ns};
	struct lmc_err err = {0};
	struct lmc_task *p;

	snprintf(t.container, sizeof(t.container), "%s", container);
	snprintf(t.id, sizeof(t.id), "%s", id);
	t.argv = calloc(2, sizeof(char *));
	assert_non_null(t.argv);
	t.argv[0] = strdup(argv[0]);
	assert_int_equal(lmc_tasks_add(ts, &t, &err), 0);
	p = lmc_tasks_find(ts, container, id);
	assert_non_null(p);
	assert_int_equal(lmc_tasks_started(ts, p), 0);
	if (!running)
		lmc_tasks_ended(ts, p, 0, UINT64_MAX, NULL);
}

static void add(struct lmc_tasks *ts, const char *container, const char *id, bool running)
{
	add_at(ts, container, id, running, 0);
}

static size_t count(struct lmc_tasks *ts, const char *container)
{
	struct lmc_task *l;
	size_t n;

	assert_int_equal(lmc_tasks_list(ts, container, false, &l, &n), 0);
	lmc_tasks_list_free(l, n);
	return n;
}

static void test_find_among_thousands(void **state)
{
	struct lmc_tasks *ts;
	char c[32], id[32];

	(void)state;
	assert_int_equal(lmc_tasks_open(dirfd_, &ts, NULL), 0);
	for (int i = 0; i < 3000; i++) {
		snprintf(c, sizeof(c), "job/c%d", i % 7);
		snprintf(id, sizeof(id), "t%d", i);
		add(ts, c, id, false);
	}
	for (int i = 0; i < 3000; i++) {
		struct lmc_task *t;

		snprintf(c, sizeof(c), "job/c%d", i % 7);
		snprintf(id, sizeof(id), "t%d", i);
		t = lmc_tasks_find(ts, c, id);
		assert_non_null(t);
		assert_string_equal(t->container, c);
		assert_string_equal(t->id, id);
		assert_int_equal(t->state, LMC_TASK_EXITED);
		/* the same id in another container is another task, or none */
		snprintf(c, sizeof(c), "job/c%d", (i + 1) % 7);
		assert_null(lmc_tasks_find(ts, c, id));
	}
	lmc_tasks_new_id(ts, "job/c0", id);
	assert_null(lmc_tasks_find(ts, "job/c0", id));
	assert_int_equal(lmc_tasks_delete(ts, "job/c3", "t3"), 0);
	assert_null(lmc_tasks_find(ts, "job/c3", "t3"));
	assert_int_equal(lmc_tasks_delete(ts, "job/c3", "t3"), -ENOENT);
	lmc_tasks_drop_container(ts, "job/c5");
	assert_null(lmc_tasks_find(ts, "job/c5", "t5"));
	assert_int_equal(count(ts, "job/c5"), 0);
	lmc_tasks_free(ts);

	/* read again from the files: the same answers */
	assert_int_equal(lmc_tasks_open(dirfd_, &ts, NULL), 0);
	assert_non_null(lmc_tasks_find(ts, "job/c0", "t0"));
	assert_non_null(lmc_tasks_find(ts, "job/c6", "t2995"));
	assert_null(lmc_tasks_find(ts, "job/c3", "t3"));
	assert_null(lmc_tasks_find(ts, "job/c5", "t5"));
	assert_int_equal(count(ts, "job/c1"), 429); /* i % 7 == 1 for i < 3000 */
	lmc_tasks_drop_container(ts, "job");
	lmc_tasks_free(ts);
}

static void test_cap(void **state)
{
	struct lmc_tasks *ts;
	struct lmc_task t = {.exit_code = -1, .pidfd = -1};
	struct lmc_err err = {0};
	char id[32];

	(void)state;
	assert_int_equal(lmc_tasks_open(dirfd_, &ts, NULL), 0);
	add(ts, "a", "running0", true);
	for (int i = 0; i < LMC_TASKS_PER_CONTAINER - 1; i++) {
		snprintf(id, sizeof(id), "t%d", i);
		add(ts, "a", id, false);
	}
	add(ts, "b", "other", false);
	assert_int_equal(count(ts, "a"), LMC_TASKS_PER_CONTAINER);
	/* one more: the oldest ended one goes (t0), never the running one before it */
	add(ts, "a", "new1", false);
	assert_int_equal(count(ts, "a"), LMC_TASKS_PER_CONTAINER);
	assert_null(lmc_tasks_find(ts, "a", "t0"));
	assert_non_null(lmc_tasks_find(ts, "a", "running0"));
	assert_non_null(lmc_tasks_find(ts, "a", "t1"));
	assert_non_null(lmc_tasks_find(ts, "b", "other"));
	lmc_tasks_drop_container(ts, "a");

	/* every one running: the next is refused, nothing removed */
	for (int i = 0; i < LMC_TASKS_PER_CONTAINER; i++) {
		snprintf(id, sizeof(id), "r%d", i);
		add(ts, "a", id, true);
	}
	snprintf(t.container, sizeof(t.container), "a");
	snprintf(t.id, sizeof(t.id), "one-too-many");
	assert_int_equal(lmc_tasks_add(ts, &t, &err), -EAGAIN);
	assert_int_equal(count(ts, "a"), LMC_TASKS_PER_CONTAINER);
	assert_non_null(lmc_tasks_find(ts, "a", "r0"));
	lmc_tasks_drop_container(ts, "");
	assert_int_equal(count(ts, "b"), 0);
	lmc_tasks_free(ts);
}

/* The cap's oldest ended record is the container's, in start order, also after the table is
 * read again (in the directory's order, then sorted) and after a delete in the middle; the
 * records of a container started in between are not touched. */
static void test_cap_order_after_reload(void **state)
{
	struct lmc_tasks *ts;
	char id[32];
	uint64_t at = 1000;

	(void)state;
	assert_int_equal(lmc_tasks_open(dirfd_, &ts, NULL), 0);
	add_at(ts, "a", "run", true, at++);
	for (int i = 0; i < LMC_TASKS_PER_CONTAINER - 1; i++) {
		snprintf(id, sizeof(id), "t%d", i);
		add_at(ts, "a", id, false, at++);
		snprintf(id, sizeof(id), "u%d", i);
		add_at(ts, "b", id, false, at++);
	}
	assert_int_equal(lmc_tasks_delete(ts, "a", "t0"), 0);
	add_at(ts, "a", "new0", false, at++); /* below the cap again: nothing goes */
	assert_non_null(lmc_tasks_find(ts, "a", "t1"));
	lmc_tasks_free(ts);

	assert_int_equal(lmc_tasks_open(dirfd_, &ts, NULL), 0);
	assert_int_equal(count(ts, "a"), LMC_TASKS_PER_CONTAINER);
	add_at(ts, "a", "new1", false, at++);
	assert_null(lmc_tasks_find(ts, "a", "t1"));
	assert_non_null(lmc_tasks_find(ts, "a", "t2"));
	add_at(ts, "a", "new2", false, at++);
	assert_null(lmc_tasks_find(ts, "a", "t2"));
	assert_non_null(lmc_tasks_find(ts, "a", "t3"));
	assert_non_null(lmc_tasks_find(ts, "a", "run"));
	assert_non_null(lmc_tasks_find(ts, "a", "new0"));
	assert_int_equal(count(ts, "a"), LMC_TASKS_PER_CONTAINER);
	assert_int_equal(count(ts, "b"), LMC_TASKS_PER_CONTAINER - 1);
	lmc_tasks_drop_container(ts, "");
	lmc_tasks_free(ts);
}

/* A table read for one container (a run in direct mode): that container's records only,
 * with its cap and ids as in the whole table. */
static void test_open_for_one_container(void **state)
{
	struct lmc_tasks *ts;
	char id[32];

	(void)state;
	assert_int_equal(lmc_tasks_open(dirfd_, &ts, NULL), 0);
	for (int i = 0; i < 50; i++) {
		snprintf(id, sizeof(id), "t%d", i);
		add(ts, "job/a", id, false);
		add(ts, "job/b", id, false);
	}
	add(ts, "job/a/x", "t0", false); /* a name the container's is the start of */
	lmc_tasks_free(ts);

	assert_int_equal(lmc_tasks_open_for(dirfd_, "job/a", &ts, NULL), 0);
	assert_int_equal(count(ts, "job/a"), 50);
	assert_non_null(lmc_tasks_find(ts, "job/a", "t49"));
	assert_null(lmc_tasks_find(ts, "job/b", "t0"));
	assert_null(lmc_tasks_find(ts, "job/a/x", "t0"));
	lmc_tasks_new_id(ts, "job/a", id);
	assert_null(lmc_tasks_find(ts, "job/a", id));
	add(ts, "job/a", id, false);
	lmc_tasks_free(ts);

	/* what it wrote is there for the whole table */
	assert_int_equal(lmc_tasks_open(dirfd_, &ts, NULL), 0);
	assert_int_equal(count(ts, "job/a"), 51);
	assert_int_equal(count(ts, "job/b"), 50);
	lmc_tasks_drop_container(ts, "");
	lmc_tasks_free(ts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_find_among_thousands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cap_order_after_reload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_for_one_container, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
