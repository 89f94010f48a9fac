/* The lmctld process a benchmark starts (bench_agent, bench_lifecycle's CLI row with the
 * agent): its own socket, state directory and cgroup root, its log and pid file in the
 * benchmark's run directory /dev/shm/lmctl-test-bench-<pid>/ (bench/lib.sh stops the agent it
 * names there if the benchmark itself dies). The agent gets SIGTERM if the benchmark dies
 * (PR_SET_PDEATHSIG). */
#ifndef LMC_BENCH_AGENT_PROC_H
#define LMC_BENCH_AGENT_PROC_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nsutil/ns.h"

struct bench_agent {
	const char *run_dir, *sock, *state, *root; /* set by the caller */
	pid_t pid;
};

static inline bool bench_agent_answers(const char *sock)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

static inline void bench_agent_child(const struct bench_agent *a, const char *bin, pid_t parent)
{
	char log[160];
	int fd;

	snprintf(log, sizeof(log), "%s/agent.log", a->run_dir);
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	/* Dies with us; its own process group, so a Ctrl-C reaches only us and we clean up
	 * through it. */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
	setpgid(0, 0);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	execl(bin, "lmctld", "--socket", a->sock, "--state-dir", a->state, "--cgroup-root", a->root,
	      "--idle-timeout=3600", (char *)NULL);
	_exit(127);
}

/* Start lmctld; 0 once its socket answers (polled: a socket offers no event for it). */
static inline int bench_agent_start(struct bench_agent *a, const char *bin,
				    volatile sig_atomic_t *stop)
{
	pid_t parent = getpid(), pid = fork();
	char f[160];
	FILE *pf;

	if (pid < 0)
		return -errno;
	if (pid == 0)
		bench_agent_child(a, bin, parent);
	a->pid = pid;
	snprintf(f, sizeof(f), "%s/agent.pid", a->run_dir);
	pf = fopen(f, "we");
	if (pf) {
		fprintf(pf, "%d\n", (int)pid);
		fclose(pf);
	}
	for (int i = 0; i < 20000 && !*stop; i++) {
		if (bench_agent_answers(a->sock))
			return 0;
		if (waitpid(pid, NULL, WNOHANG) == pid) {
			a->pid = 0;
			return -ECHILD;
		}
		usleep(1000);
	}
	return -ETIMEDOUT;
}

static inline void bench_agent_stop(struct bench_agent *a)
{
	int st;

	if (a->pid <= 0)
		return;
	kill(a->pid, SIGTERM);
	if (lmc_ns_wait(a->pid, -1, 10000, &st) < 0) {
		kill(a->pid, SIGKILL);
		waitpid(a->pid, NULL, 0);
	}
	a->pid = 0;
}

#endif
