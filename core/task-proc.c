/* Tasks' processes and logs (core/task.h): knowing a task's process again after a restart
 * by pid and start time, its status when the agent is not its parent, and the logs of
 * detached tasks. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/macro.h"
#include "core/task.h"

/* The kernel's pidfd information (6.13+; the exit status since 6.15): the first 64 bytes,
 * which every kernel with the ioctl takes. Debian 12's headers predate it. */
struct task_pidfd_info {
	uint64_t mask;
	uint64_t cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	int32_t exit_code;
};
#define TASK_PIDFD_GET_INFO _IOWR(0xFF, 11, struct task_pidfd_info)
#define TASK_PIDFD_INFO_EXIT (1ull << 3)

struct proc_stat {
	char state;
	uint64_t start; /* field 22 */
	int exit_code; /* field 52: the wait status of a zombie */
};

/* /proc/<pid>/stat past the command (which may hold spaces and parentheses). */
static int read_stat(pid_t pid, struct proc_stat *ret)
{
	char path[64], buf[1024], *p, *save = NULL;
	_cleanup_close_ int fd = -EBADF;
	ssize_t n;
	int field = 3;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return -ESRCH;
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p)
		return -EIO;
	*ret = (struct proc_stat){.exit_code = -1};
	for (char *tok = strtok_r(p + 1, " \n", &save); tok; tok = strtok_r(NULL, " \n", &save)) {
		if (field == 3)
			ret->state = tok[0];
		else if (field == 22)
			ret->start = strtoull(tok, NULL, 10);
		else if (field == 52)
			ret->exit_code = atoi(tok);
		field++;
	}
	return ret->start ? 0 : -EIO;
}

static int zombie_status(const struct lmc_task *t, int *ret_wstatus)
{
	struct proc_stat st;

	if (read_stat(t->pid, &st) < 0 || st.start != t->pid_start)
		return -ESRCH;
	if (st.state != 'Z' && st.state != 'X')
		return -EBUSY; /* still running */
	if (st.exit_code < 0)
		return -ENODATA;
	*ret_wstatus = st.exit_code;
	return 0;
}

static int pidfd_exit(int pidfd, int *ret_wstatus)
{
	struct task_pidfd_info info = {.mask = TASK_PIDFD_INFO_EXIT};

	if (pidfd < 0 || ioctl(pidfd, TASK_PIDFD_GET_INFO, &info) < 0)
		return -ENODATA;
	if (!(info.mask & TASK_PIDFD_INFO_EXIT))
		return -ENODATA;
	*ret_wstatus = info.exit_code;
	return 0;
}

int lmc_task_exit_status(const struct lmc_task *t, int *ret_wstatus)
{
	/* Reaped by its new parent: the kernel kept the status for the pidfd we held. Not
	 * reaped yet: the zombie still shows it. */
	if (pidfd_exit(t->pidfd, ret_wstatus) == 0)
		return 0;
	return zombie_status(t, ret_wstatus) == 0 ? 0 : -ENODATA;
}

int lmc_task_probe(struct lmc_task *t, int *ret_wstatus)
{
	_cleanup_close_ int fd = -EBADF;
	struct proc_stat st;

	if (t->pid <= 0 || !t->pid_start)
		return -ESRCH;
	/* The pidfd first: if the pid still shows the recorded start time after it was
	 * opened, the pidfd is for that process and no later one. */
	fd = (int)syscall(SYS_pidfd_open, t->pid, 0);
	if (fd < 0 || read_stat(t->pid, &st) < 0 || st.start != t->pid_start)
		return -ESRCH;
	if (st.state == 'Z' || st.state == 'X') {
		if (st.exit_code < 0)
			return -ESRCH;
		*ret_wstatus = st.exit_code;
		return 1;
	}
	if (t->pidfd >= 0)
		close(t->pidfd);
	t->pidfd = TAKE_FD(fd);
	return 0;
}
