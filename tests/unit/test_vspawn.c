/* A vfork'd start (nsutil/spawn.c, lmc_ns_vspawn_*) hands the command a clean slate of
 * signals although its parent, like lmctld, handles some and ignores others: the child puts
 * back only the dispositions /proc/self/status names (lmc_ns_signals_set), so a set read
 * wrongly would leave the command ignoring SIGPIPE or, worse, run one of our handlers on our
 * memory. Run under make, this process also inherits glibc's own 32 and 33 ignored (GNU
 * make 4.3 leaves them so), which glibc's sigaction cannot reset. Each start reuses its
 * thread's stack: the second start and one on another thread must see the same. And the
 * clone3 with a stack of ours that the start into a cgroup2 leaf uses (lmc_ns_clone_fn). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsutil/ns.h"

static void on_usr1(int sig)
{
	(void)sig;
}

/* The parent's dispositions as lmctld's: a handler, two ignored, a blocked one. */
static void parent_signals(void)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	sigset_t blk;

	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGUSR1, &sa, NULL), 0);
	assert_int_equal(sigaction(SIGRTMIN + 3, &sa, NULL), 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGUSR2, SIG_IGN);
	sigemptyset(&blk);
	sigaddset(&blk, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &blk, NULL);
}

#define BIT(sig) (1ULL << ((sig)-1))

static void test_signals_set(void **state)
{
	uint64_t s;

	(void)state;
	parent_signals();
	signal(SIGHUP, SIG_DFL); /* as a default one (run under nohup, it came ignored) */
	assert_int_equal(lmc_ns_signals_set(&s), 0);
	assert_true(s & BIT(SIGUSR1));
	assert_true(s & BIT(SIGRTMIN + 3));
	assert_true(s & BIT(SIGPIPE));
	assert_true(s & BIT(SIGUSR2));
	assert_false(s & BIT(SIGHUP));
	assert_false(s & BIT(SIGTERM)); /* blocked is not handled */
	signal(SIGUSR2, SIG_DFL);
	assert_int_equal(lmc_ns_signals_set(&s), 0);
	assert_false(s & BIT(SIGUSR2));
}

/* What "cat /proc/self/status" says of the started command's signals: its Sig* lines. */
static void start_cat(char *out, size_t size)
{
	static const char *const argv[] = {"cat", "/proc/self/status", NULL};
	struct lmc_ns_spawn_opts o = {.argv = argv,
				      .stdio = {-1, -1, -1},
				      .cgroup_fd = -1,
				      .join_pidfd = -1,
				      .new_session = true};
	struct lmc_ns_spawn_wait w;
	struct lmc_ns_vspawn *v;
	struct lmc_err err = {0};
	int p[2], pidfd = -1, st;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	o.stdio[1] = p[1];
	assert_int_equal(lmc_ns_vspawn_prepare(&o, NULL, 0, &w, &v, &err), 0);
	close(p[1]);
	lmc_ns_vspawn_exec(v);
	assert_int_equal(lmc_ns_spawn_await(&w, &pid, &pidfd, &err), 0);
	while (got < size - 1 && (n = read(p[0], out + got, size - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(p[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	if (pidfd >= 0)
		close(pidfd);
}

static void assert_clean(const char *status)
{
	static const char *const zero[] = {"SigBlk:\t0000000000000000\n",
					   "SigIgn:\t0000000000000000\n",
					   "SigCgt:\t0000000000000000\n"};

	for (size_t i = 0; i < sizeof(zero) / sizeof(zero[0]); i++)
		if (!strstr(status, zero[i]))
			fail_msg("the command's %.6s is not empty:\n%s", zero[i], status);
}

static void test_child_clean(void **state)
{
	char out[8192];

	(void)state;
	parent_signals();
	start_cat(out, sizeof(out));
	assert_clean(out);
	start_cat(out, sizeof(out)); /* the thread's stack again */
	assert_clean(out);
}

static void *on_thread(void *arg)
{
	start_cat(arg, 8192);
	return NULL;
}

static void test_child_clean_thread(void **state)
{
	static char out[8192];
	pthread_t t;

	(void)state;
	parent_signals();
	assert_int_equal(pthread_create(&t, NULL, on_thread, out), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_clean(out);
}

/* lmc_ns_clone_fn: the child runs fn on the given stack, sharing our memory (CLONE_VM), while
 * we wait (CLONE_VFORK); it exits with fn's value; a pidfd comes back. */
static int clone_fn_child(void *arg)
{
	int *seen = arg;

	*seen = getpid();
	return 7;
}

static void test_clone_fn(void **state)
{
	size_t size = 64 << 10;
	void *stack = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile int seen = 0;
	int pidfd = -1, st;
	pid_t pid;

	(void)state;
	if (!lmc_ns_clone_fn_possible())
		skip();
	assert_true(stack != MAP_FAILED);
	pid = lmc_ns_clone_fn(CLONE_VM | CLONE_VFORK, -1, stack, size, clone_fn_child,
			      (void *)&seen, &pidfd);
	assert_true(pid > 0);
	assert_int_equal(seen, pid); /* written in our memory before we went on */
	assert_true(pidfd >= 0);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 7);
	close(pidfd);
	/* A bad cgroup fd: -errno, nothing started. */
	assert_int_equal(lmc_ns_clone_fn(CLONE_VM | CLONE_VFORK, 999, stack, size, clone_fn_child,
					 (void *)&seen, NULL),
			 -EBADF);
	munmap(stack, size);
}

int main(void)
{
	/* As lmctld does first: the starts share the fd table through a slot. */
	if (lmc_ns_vspawn_reserve() < 0)
		fprintf(stderr, "test_vspawn: no descriptor slots: the starts copy the table\n");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_signals_set),
		cmocka_unit_test(test_child_clean),
		cmocka_unit_test(test_child_clean_thread),
		cmocka_unit_test(test_clone_fn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
