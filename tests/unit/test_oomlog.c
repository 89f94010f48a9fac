/* The kernel log's OOM kill records (core/oomlog.c), as the kernel writes them to /dev/kmsg. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/oomlog.h"

static int parse(const char *rec, struct lmc_oomkill *k)
{
	return lmc_oomlog_parse(rec, strlen(rec), k);
}

static void test_oom_kill_line(void **state)
{
	struct lmc_oomkill k;

	(void)state;
	/* 6.1's dump_oom_victim, then its dictionary line */
	assert_int_equal(
		parse("6,4321,81140000,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),"
		      "cpuset=/,mems_allowed=0,oom_memcg=/lmctl/oc,task_memcg=/lmctl/oc/leaf,"
		      "task=tail,pid=1632,uid=0\n SUBSYSTEM=memory\n",
		      &k),
		1);
	assert_int_equal(k.seq, 4321);
	assert_int_equal(k.pid, 1632);
	assert_string_equal(k.memcg, "/lmctl/oc/leaf");
	/* the root memcg, a global OOM */
	assert_int_equal(parse("6,7,1,-;oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),"
			       "cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=x,pid=9,uid=0",
			       &k),
			 1);
	assert_string_equal(k.memcg, "/");
	assert_int_equal(k.pid, 9);
	/* a process may name itself (comm, 15 characters) with commas and "key=" text: the
	 * fields are read from the end, so its name cannot move the pid or the cgroup */
	assert_int_equal(parse("6,8,1,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),"
			       "cpuset=/,mems_allowed=0,oom_memcg=/a,task_memcg=/a/b,"
			       "task=x,pid=1,uid=0,pid=4242,uid=1000",
			       &k),
			 1);
	assert_int_equal(k.pid, 4242);
	assert_string_equal(k.memcg, "/a/b");
	assert_int_equal(parse("6,9,1,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),"
			       "cpuset=/,mems_allowed=0,oom_memcg=/a,task_memcg=/a/b,"
			       "task=,task_memcg=/x,pid=77,uid=0",
			       &k),
			 1);
	assert_int_equal(k.pid, 77);
	assert_string_equal(k.memcg, "/a/b"); /* the name's text is not taken for the cgroup */
}

static void test_killed_process_line(void **state)
{
	struct lmc_oomkill k;

	(void)state;
	assert_int_equal(parse("3,4322,81142454,-;Memory cgroup out of memory: Killed process 1632 "
			       "(sh) total-vm:29724kB, anon-rss:15448kB, file-rss:1504kB, "
			       "shmem-rss:0kB, UID:0 pgtables:88kB oom_score_adj:0\n",
			       &k),
			 1);
	assert_int_equal(k.pid, 1632);
	assert_string_equal(k.memcg, ""); /* not said: the caller asks who it was */
	assert_int_equal(parse("3,5,1,-;Out of memory: Killed process 77 (hog) total-vm:1kB", &k),
			 1);
	assert_int_equal(k.pid, 77);
}

static void test_other_records(void **state)
{
	struct lmc_oomkill k;

	(void)state;
	assert_int_equal(parse("6,1,1,-;eth0: link up\n", &k), 0);
	/* a process of that name logging is not the kernel's kill */
	assert_int_equal(parse("6,2,1,-;myapp: Killed process list refreshed\n", &k), -EBADMSG);
	assert_int_equal(parse("6,3,1,-;app said Killed process 5 (x) today\n", &k), 0);
	assert_int_equal(parse("not a record", &k), -EBADMSG);
	assert_int_equal(parse("6,4,1,-;oom-kill:constraint=CONSTRAINT_MEMCG,pid=abc", &k),
			 -EBADMSG);
	assert_int_equal(parse("6,4,1,-;oom-kill:constraint=CONSTRAINT_MEMCG", &k), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oom_kill_line),
		cmocka_unit_test(test_killed_process_line),
		cmocka_unit_test(test_other_records),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
