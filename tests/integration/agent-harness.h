/* Test harness for the agent tests: start lmctld (LMCTLD_BIN, default build/lmctld) on a
 * temporary socket and state directory over a scratch cgroup root, wait until it answers,
 * stop it, tear everything down. Header-only: the integration programs that use it are
 * separate binaries. */
#ifndef LMC_TEST_AGENT_HARNESS_H
#define LMC_TEST_AGENT_HARNESS_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/scratch.h"

struct harness {
	struct lmc_cgfs *cg; /* the scratch root, for checking the kernel's side */
	char root[64]; /* its relative name (LMCTL_CGROUP_ROOT) */
	char dir[64]; /* temporary directory: state/, lmctld.sock, agent.log */
	char state[128];
	char sock[96];
	char log[128];
	pid_t agent;
	const char *extra[3]; /* more lmctld options for the next (re)start, NULL-ended */
};

static inline long long h_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline int h_connect(const struct harness *h)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", h->sock);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	return fd;
}

static inline bool h_answers(void *ud)
{
	const struct harness *h = ud;
	int fd = h_connect(h);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

static inline bool h_agent_gone(void *ud)
{
	struct harness *h = ud;

	return waitpid(h->agent, NULL, WNOHANG) == h->agent;
}

/* Start (or restart) the agent; 0 once its socket answers. */
static inline int h_start_agent(struct harness *h)
{
	const char *bin = getenv("LMCTLD_BIN");
	pid_t pid;

	if (!bin)
		bin = "build/lmctld";
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd >= 0)
			dup2(fd, 2);
		execl(bin, "lmctld", "--socket", h->sock, "--state-dir", h->state,
		      "--idle-timeout=1", h->extra[0], h->extra[1], (char *)NULL);
		_exit(127);
	}
	h->agent = pid;
	return lmc_test_wait_until(h_answers, h, 10000);
}

static inline void h_stop_agent(struct harness *h, int sig)
{
	if (h->agent <= 0)
		return;
	kill(h->agent, sig);
	if (lmc_test_wait_until(h_agent_gone, h, 10000) < 0) {
		kill(h->agent, SIGKILL);
		waitpid(h->agent, NULL, 0);
	}
	h->agent = 0;
}

/* Restart the agent with the crash point `where` armed (base/crashpoint.h): it SIGKILLs
 * itself there, as kill -9 would stop it. */
static inline int h_restart_crash_at(struct harness *h, const char *where)
{
	int r;

	h_stop_agent(h, SIGTERM);
	setenv("LMCTL_TEST_CRASH_AT", where, 1);
	r = h_start_agent(h);
	unsetenv("LMCTL_TEST_CRASH_AT");
	return r;
}

/* Scratch root, temporary directory, agent. */
static inline int h_setup(struct harness *h)
{
	int r;

	memset(h, 0, sizeof(*h));
	snprintf(h->dir, sizeof(h->dir), "/tmp/lmctl-agent-test-XXXXXX");
	if (!mkdtemp(h->dir))
		return -errno;
	chmod(h->dir, 0755); /* the non-root client must reach the socket */
	snprintf(h->state, sizeof(h->state), "%s/state", h->dir);
	snprintf(h->sock, sizeof(h->sock), "%s/lmctld.sock", h->dir);
	snprintf(h->log, sizeof(h->log), "%s/agent.log", h->dir);
	r = lmc_test_scratch_open(&h->cg, h->root, sizeof(h->root));
	if (r < 0)
		return r;
	r = lmc_test_scratch_setenv(h->root);
	if (r < 0)
		return r;
	return h_start_agent(h);
}

static inline void h_rm_rf(const char *path)
{
	char cmd[256];

	/* Only our own mkdtemp directory. */
	if (strncmp(path, "/tmp/lmctl-agent-test-", 22) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", path);
}

static inline void h_teardown(struct harness *h)
{
	h_stop_agent(h, SIGTERM);
	lmc_test_scratch_close(h->cg);
	h->cg = NULL;
	if (getenv("LMCTL_TEST_KEEP_LOG")) {
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "cat '%s' >&2", h->log);
		if (system(cmd) != 0)
			fprintf(stderr, "no agent log\n");
	}
	h_rm_rf(h->dir);
}

#endif
