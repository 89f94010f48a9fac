/* Scratch cgroup subtrees for tests and small waiting helpers (see scratch.h). */
#include "tests/lib/scratch.h"

#include <dirent.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define SCRATCH_PREFIX "lmctl-test-"
#define SCRATCH_KILL_MS 5000

static unsigned scratch_counter;

static void sleep_1ms(void)
{
	struct timespec ts = {0, 1000 * 1000};

	nanosleep(&ts, NULL);
}

static long long mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int lmc_test_scratch_root_name(char *buf, size_t size)
{
	int n = snprintf(buf, size, SCRATCH_PREFIX "%d-%u", (int)getpid(), ++scratch_counter);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int lmc_test_scratch_open_named(const char *root, bool create, struct lmc_cgfs **ret)
{
	struct lmc_cgfs_opts o = {.root = root, .create_root = create};

	/* Never let a test helper loose on anything but a scratch subtree. */
	if (strncmp(root, SCRATCH_PREFIX, strlen(SCRATCH_PREFIX)) != 0 || strchr(root, '/'))
		return -EPERM;
	return lmc_cgfs_open(&o, ret, NULL);
}

int lmc_test_scratch_open(struct lmc_cgfs **ret, char *ret_root, size_t size)
{
	char root[64];
	int r = lmc_test_scratch_root_name(root, sizeof(root));

	if (r < 0)
		return r;
	r = lmc_test_scratch_open_named(root, true, ret);
	if (r >= 0 && ret_root && snprintf(ret_root, size, "%s", root) >= (int)size)
		r = -ENAMETOOLONG;
	return r;
}

int lmc_test_scratch_setenv(const char *root)
{
	return setenv("LMCTL_CGROUP_ROOT", root, 1) < 0 ? -errno : 0;
}

static void rmdir_bounded(int dirfd, const char *name)
{
	long long deadline = mono_ms() + 1000;

	while (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno == EBUSY && mono_ms() < deadline)
		sleep_1ms();
}

/* Remove every directory below dirfd, deepest first. */
static void rm_below(int dirfd, int depth)
{
	int dfd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	struct dirent *de;

	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return;
	}
	while ((de = readdir(d))) {
		int sub;

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || depth > 64)
			continue;
		sub = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (sub >= 0) {
			rm_below(sub, depth + 1);
			close(sub);
		}
		rmdir_bounded(dirfd, de->d_name);
	}
	closedir(d);
}

void lmc_test_scratch_close(struct lmc_cgfs *cg)
{
	if (!cg)
		return;
	/* Processes first (frozen ones included), or the directories cannot go. */
	lmc_cgfs_kill(cg, "", SCRATCH_KILL_MS, NULL);
	lmc_cgfs_freeze(cg, "", false, NULL);
	for (int c = 0; c < LMC_CTRL__MAX; c++) {
		int fd = lmc_cgfs_has(cg, c) ? lmc_cgfs_open_dir(cg, c, "") : -1;

		if (fd >= 0) {
			rm_below(fd, 0);
			close(fd);
		}
	}
	lmc_cgfs_remove(cg, "", NULL);
	lmc_cgfs_free(cg);
}

int lmc_test_wait_until(bool (*cond)(void *), void *ud, int timeout_ms)
{
	long long deadline = mono_ms() + timeout_ms;

	while (!cond(ud)) {
		if (mono_ms() >= deadline)
			return -ETIMEDOUT;
		sleep_1ms();
	}
	return 0;
}

static bool line_has_ctrl(char *ctrls, const char *ctrl)
{
	char *tok, *save = NULL;

	if (!ctrl[0])
		return ctrls[0] == '\0';
	for (tok = strtok_r(ctrls, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		if (strcmp(tok, ctrl) == 0)
			return true;
	return false;
}

int lmc_test_pid_cgroup(pid_t pid, const char *ctrl, char *buf, size_t size)
{
	char path[64], line[4096];
	FILE *f;
	int r = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (r == -ENOENT && fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':'), *p;

		if (!c || !(p = strchr(++c, ':')))
			continue;
		*p++ = '\0';
		p[strcspn(p, "\n")] = '\0';
		if (line_has_ctrl(c, ctrl))
			r = snprintf(buf, size, "%s", p) < (int)size ? 0 : -ENAMETOOLONG;
	}
	fclose(f);
	return r;
}

bool lmc_test_is_root(void)
{
	return geteuid() == 0;
}

int lmc_test_pin_one_cpu(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (!CPU_ISSET(c, &set))
			continue;
		CPU_ZERO(&set);
		CPU_SET(c, &set);
		return sched_setaffinity(0, sizeof(set), &set) < 0 ? -errno : 0;
	}
	return -ESRCH;
}

/* A /proc/PID/cgroup line of a hierarchy lmctl manages: the cgroup2 one ("0::") or a v1
 * one naming cpu, cpuacct, cpuset, memory, blkio, pids or freezer. */
bool lmc_test_managed_cgroup_line(const char *line)
{
	static const char *const ctrls[] = {"cpu",   "cpuacct", "cpuset", "memory",
					    "blkio", "pids",	"freezer"};
	char list[256];
	const char *c = strchr(line, ':');
	size_t n;

	if (strncmp(line, "0::", 3) == 0)
		return true;
	if (!c || !strchr(c + 1, ':'))
		return false;
	n = (size_t)(strchr(c + 1, ':') - (c + 1));
	snprintf(list, sizeof(list), ",%.*s,", (int)n, c + 1);
	for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
		char want[32];

		snprintf(want, sizeof(want), ",%s,", ctrls[i]);
		if (strstr(list, want))
			return true;
	}
	return false;
}
