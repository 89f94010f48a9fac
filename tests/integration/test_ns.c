/* Integration tests for nsutil (root, real kernel): spawn with exit status, errors and
 * placement; the per-leaf init and runs that join its namespaces, checked through /proc.
 * One scratch cgroup2 cgroup lmctl-test-ns-<pid> under our own; every pid we start is killed
 * and reaped, and the cgroup removed, in the group teardown.
 *
 * Run with "--helper NAME" the binary is its own probe inside a namespace (see helper_main). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nsutil/ns.h"

#define WAIT_MS 10000
#define MAX_TRACKED 64
#define ALL_NS                                                                            \
	(LMC_NS_PID | LMC_NS_MNT | LMC_NS_UTS | LMC_NS_IPC | LMC_NS_NET | LMC_NS_CGROUP | \
	 LMC_NS_USER)

static char g_exe[PATH_MAX];
static char g_cg_path[PATH_MAX + 64]; /* absolute path of the scratch cgroup */
static char g_cg_rel[PATH_MAX]; /* as /proc/self/cgroup spells it: "0::<rel>" */
static int g_cg_fd = -1;
static pid_t g_tracked[MAX_TRACKED];
static int g_ntracked;
/* The shared init of the namespace tests: every namespace, in the scratch cgroup. */
static pid_t g_init = -1;
static int g_init_pidfd = -1;

/* ---- helpers run inside namespaces ---- */

static int helper_main(const char *what)
{
	if (strcmp(what, "lo") == 0) {
		struct ifreq ifr = {.ifr_name = "lo"};
		int fd = socket(AF_INET, SOCK_DGRAM, 0);

		if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
			return 2;
		printf("lo %s\n", (ifr.ifr_flags & IFF_UP) ? "up" : "down");
		return 0;
	}
	if (strcmp(what, "proc") == 0) {
		DIR *d = opendir("/proc");
		struct dirent *e;

		if (!d)
			return 2;
		printf("self %d\n", (int)getpid());
		while ((e = readdir(d)))
			if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
				printf("%s\n", e->d_name);
		closedir(d);
		return 0;
	}
	return 3;
}

/* ---- test plumbing ---- */

static void track(pid_t pid)
{
	assert_true(g_ntracked < MAX_TRACKED);
	g_tracked[g_ntracked++] = pid;
}

static struct lmc_ns_spawn_opts opts_for(const char *const *argv)
{
	struct lmc_ns_spawn_opts o = {
		.argv = argv,
		.stdio = {-1, -1, -1},
		.cgroup_fd = -1,
		.join_pidfd = -1,
	};
	return o;
}

static struct lmc_ns_spawn_opts opts_join(const char *const *argv)
{
	struct lmc_ns_spawn_opts o = opts_for(argv);

	o.join_pidfd = g_init_pidfd;
	o.join_mask = ALL_NS;
	o.cgroup_fd = g_cg_fd;
	return o;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read fd to EOF within WAIT_MS. */
static void read_all(int fd, char *out, size_t size)
{
	int64_t deadline = now_ms() + WAIT_MS;
	size_t len = 0;

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - now_ms();
		ssize_t n;

		assert_true(left > 0);
		assert_true(poll(&p, 1, (int)left) >= 0);
		n = read(fd, out + len, size - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		assert_true(len < size - 1);
	}
	out[len] = '\0';
}

/* Spawn with stdout on a pipe, collect it, wait: the exit status as a shell shows it. */
static int run_capture(struct lmc_ns_spawn_opts *o, char *out, size_t size)
{
	struct lmc_err err = {0};
	int p[2], pidfd = -1, status = -1;
	pid_t pid = -1;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	o->stdio[1] = p[1];
	if (lmc_ns_spawn(o, &pid, &pidfd, &err) < 0)
		fail_msg("spawn %s: %s", o->argv[0], lmc_err_str(&err));
	track(pid);
	close(p[1]);
	read_all(p[0], out, size);
	close(p[0]);
	assert_true(lmc_ns_wait(pid, pidfd, WAIT_MS, &status) >= 0);
	close(pidfd);
	return status;
}

static void read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	n = read(fd, buf, size - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
}

/* pid's children, as the kernel lists them (ours: spawn must leave none behind on failure). */
static void children_of(pid_t pid, char *buf, size_t size)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/children", (int)pid, (int)pid);
	read_file(path, buf, size);
}

static char proc_state(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	read_file(path, buf, sizeof(buf));
	p = strrchr(buf, ')');
	assert_non_null(p);
	return p[2];
}

/* Which namespace of that kind pid is in: the inode of /proc/PID/ns/<ns>. */
static uint64_t inode_of(pid_t pid, enum lmc_ns ns)
{
	static const char *const files[] = {"pid", "mnt", "uts", "ipc", "net", "user", "cgroup"};
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, files[__builtin_ctz(ns)]);
	assert_int_equal(stat(path, &st), 0);
	return (uint64_t)st.st_ino;
}

/* ---- group set-up: scratch cgroup and the shared init ---- */

/* The cgroup2 tree: /sys/fs/cgroup/unified in hybrid mode, /sys/fs/cgroup on v2 (the VM). */
static const char *cgroup2_mount(void)
{
	struct statfs fs;

	if (statfs("/sys/fs/cgroup/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
		return "/sys/fs/cgroup/unified";
	return "/sys/fs/cgroup";
}

static int scratch_cgroup_make(void)
{
	char buf[4096], *line, *own = NULL;

	read_file("/proc/self/cgroup", buf, sizeof(buf));
	for (line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		if (strncmp(line, "0::", 3) == 0)
			own = line + 3;
	if (!own)
		return -1;
	snprintf(g_cg_rel, sizeof(g_cg_rel), "%s/lmctl-test-ns-%d", strcmp(own, "/") ? own : "",
		 (int)getpid());
	snprintf(g_cg_path, sizeof(g_cg_path), "%s%s", cgroup2_mount(), g_cg_rel);
	if (mkdir(g_cg_path, 0755) < 0)
		return -1;
	g_cg_fd = open(g_cg_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return g_cg_fd < 0 ? -1 : 0;
}

static int group_setup(void **state)
{
	(void)state;
	ssize_t n = readlink("/proc/self/exe", g_exe, sizeof(g_exe) - 1);

	if (n <= 0 || getuid() != 0)
		return -1;
	g_exe[n] = '\0';
	return scratch_cgroup_make();
}

static void kill_tracked(void)
{
	for (int i = 0; i < g_ntracked; i++) {
		siginfo_t si;

		/* Only our own children: a pid already reaped is skipped by waitid. */
		if (waitid(P_PID, (id_t)g_tracked[i], &si, WEXITED | WNOHANG | WNOWAIT) == 0) {
			kill(g_tracked[i], SIGKILL);
			waitpid(g_tracked[i], NULL, 0);
		}
	}
	g_ntracked = 0;
}

static void scratch_cgroup_remove(void)
{
	char path[sizeof(g_cg_path) + 16];
	int64_t deadline = now_ms() + WAIT_MS;
	int fd;

	if (g_cg_fd < 0)
		return;
	snprintf(path, sizeof(path), "%s/cgroup.kill", g_cg_path);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		(void)!write(fd, "1", 1);
		close(fd);
	}
	close(g_cg_fd);
	g_cg_fd = -1;
	while (rmdir(g_cg_path) < 0 && errno == EBUSY && now_ms() < deadline) {
		struct timespec ts = {.tv_nsec = 5000000};

		nanosleep(&ts, NULL);
	}
}

static int group_teardown(void **state)
{
	(void)state;
	kill_tracked();
	if (g_init_pidfd >= 0)
		close(g_init_pidfd);
	scratch_cgroup_remove();
	return access(g_cg_path, F_OK) == 0 ? -1 : 0;
}

/* ---- plain spawns ---- */

static void test_exit_status(void **state)
{
	(void)state;
	const char *exit7[] = {"sh", "-c", "exit 7", NULL};
	const char *term[] = {"sh", "-c", "kill -TERM $$", NULL};
	const char *echo[] = {"echo", "hello", NULL};
	struct lmc_ns_spawn_opts o;
	char out[256];

	o = opts_for(exit7);
	assert_int_equal(run_capture(&o, out, sizeof(out)), 7);
	o = opts_for(term);
	assert_int_equal(run_capture(&o, out, sizeof(out)), 128 + SIGTERM);
	o = opts_for(echo);
	assert_int_equal(run_capture(&o, out, sizeof(out)), 0);
	assert_string_equal(out, "hello\n");
}

static void test_wait_timeout(void **state)
{
	(void)state;
	const char *argv[] = {"cat", NULL};
	struct lmc_ns_spawn_opts o = opts_for(argv);
	struct lmc_err err = {0};
	int p[2], pidfd = -1, status = -1;
	pid_t pid;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	o.stdio[0] = p[0];
	assert_int_equal(lmc_ns_spawn(&o, &pid, &pidfd, &err), 0);
	track(pid);
	close(p[0]);
	/* cat waits on its stdin: still running after 50 ms. */
	assert_int_equal(lmc_ns_wait(pid, pidfd, 50, &status), -ETIMEDOUT);
	close(p[1]);
	assert_int_equal(lmc_ns_wait(pid, pidfd, WAIT_MS, &status), 0);
	assert_int_equal(status, 0);
	close(pidfd);
}

static void test_missing_command(void **state)
{
	(void)state;
	const char *missing[] = {"lmctl-no-such-cmd", NULL};
	const char *abs[] = {"/nonexistent/lmctl-cmd", NULL};
	char noexec[64], want[128], before[4096], after[4096];
	const char *notexec[] = {noexec, NULL};
	struct lmc_ns_spawn_opts o;
	struct lmc_err err = {0};
	pid_t pid = -42;

	children_of(getpid(), before, sizeof(before));
	o = opts_for(missing);
	assert_int_equal(lmc_ns_spawn(&o, &pid, NULL, &err), -ENOENT);
	assert_string_equal(err.msg, "run: lmctl-no-such-cmd: No such file or directory");
	/* An absolute path is tried by the child's exec and reported back the same way. */
	lmc_err_clear(&err);
	o = opts_for(abs);
	assert_int_equal(lmc_ns_spawn(&o, &pid, NULL, &err), -ENOENT);
	assert_string_equal(err.msg, "run: /nonexistent/lmctl-cmd: No such file or directory");
	/* A file without execute permission. */
	snprintf(noexec, sizeof(noexec), "/tmp/lmctl-test-ns-noexec-%d", (int)getpid());
	close(open(noexec, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
	lmc_err_clear(&err);
	o = opts_for(notexec);
	assert_int_equal(lmc_ns_spawn(&o, &pid, NULL, &err), -EACCES);
	unlink(noexec);
	snprintf(want, sizeof(want), "run: %s: Permission denied", noexec);
	assert_string_equal(err.msg, want);
	assert_int_equal(pid, -42);
	children_of(getpid(), after, sizeof(after));
	assert_string_equal(before, after);
}

static void test_cwd_env_ids(void **state)
{
	(void)state;
	const char *argv[] = {"sh", "-c", "pwd; echo $K; id -u; id -g; id -G", NULL};
	const char *env[] = {"K=V", "PATH=/usr/bin:/bin", NULL};
	const char *badcwd[] = {"true", NULL};
	const char *stat[] = {"cat", "/proc/self/stat", NULL};
	int spid = 0, sid = -1;
	struct lmc_ns_spawn_opts o = opts_for(argv);
	char out[2048], before[4096], after[4096];
	struct lmc_err err = {0};
	pid_t pid;

	o.cwd = "/tmp";
	o.env = env;
	o.set_ids = true;
	o.uid = 1000;
	o.gid = 1001;
	assert_int_equal(run_capture(&o, out, sizeof(out)), 0);
	assert_string_equal(out, "/tmp\nV\n1000\n1001\n1001\n");

	/* A detached run leads its own session. */
	o = opts_for(stat);
	o.new_session = true;
	assert_int_equal(run_capture(&o, out, sizeof(out)), 0);
	assert_non_null(strrchr(out, ')'));
	assert_int_equal(sscanf(out, "%d", &spid), 1);
	assert_int_equal(sscanf(strrchr(out, ')') + 2, "%*c %*d %*d %d", &sid), 1);
	assert_int_equal(sid, spid);

	children_of(getpid(), before, sizeof(before));
	o = opts_for(badcwd);
	o.cwd = "/nonexistent-dir";
	assert_int_equal(lmc_ns_spawn(&o, &pid, NULL, &err), -ENOENT);
	assert_string_equal(err.msg,
			    "run: true: cwd '/nonexistent-dir': No such file or directory");
	children_of(getpid(), after, sizeof(after));
	assert_string_equal(before, after);
}

struct attach_probe {
	pid_t pid;
	char comm[64];
	int ret;
};

/* Records what the held child is when the parent places it: not yet the command. */
static int attach_record(pid_t pid, void *userdata, struct lmc_err *err)
{
	struct attach_probe *a = userdata;
	char path[64];

	a->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	read_file(path, a->comm, sizeof(a->comm));
	if (a->ret < 0)
		return lmc_err_set(err, a->ret, "attach: pid %d: refused for the test", (int)pid);
	return 0;
}

static void test_attach_hold(void **state)
{
	(void)state;
	char marker[64], cmd[128], out[64], before[4096], after[4096], mycomm[64];
	const char *argv[] = {"sh", "-c", cmd, NULL};
	struct attach_probe a = {0};
	struct lmc_ns_spawn_opts o = opts_for(argv);
	struct lmc_err err = {0};
	pid_t pid = -42;

	snprintf(marker, sizeof(marker), "/tmp/lmctl-test-ns-ran-%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "echo x > %s", marker);
	unlink(marker);
	read_file("/proc/self/comm", mycomm, sizeof(mycomm));
	o.attach = attach_record;
	o.userdata = &a;
	assert_int_equal(run_capture(&o, out, sizeof(out)), 0);
	assert_true(a.pid > 0);
	assert_string_equal(a.comm, mycomm); /* still our copy, not sh */
	assert_int_equal(access(marker, F_OK), 0);
	unlink(marker);

	/* A failed placement: the child is killed before it runs anything. */
	children_of(getpid(), before, sizeof(before));
	a.ret = -EACCES;
	o.stdio[1] = -1;
	assert_int_equal(lmc_ns_spawn(&o, &pid, NULL, &err), -EACCES);
	assert_non_null(strstr(err.msg, "refused for the test"));
	assert_int_equal(pid, -42);
	assert_int_equal(access(marker, F_OK), -1);
	children_of(getpid(), after, sizeof(after));
	assert_string_equal(before, after);
}

static void test_clone_into_cgroup(void **state)
{
	(void)state;
	const char *argv[] = {"cat", "/proc/self/cgroup", NULL};
	struct lmc_ns_spawn_opts o = opts_for(argv);
	char out[4096], want[PATH_MAX + 8];

	o.cgroup_fd = g_cg_fd;
	/* A leading newline so that the v2 file's one line matches too. */
	out[0] = '\n';
	assert_int_equal(run_capture(&o, out + 1, sizeof(out) - 1), 0);
	snprintf(want, sizeof(want), "\n0::%s\n", g_cg_rel);
	if (!strstr(out, want))
		fail_msg("cgroup2 line %s not in:\n%s", want, out);
}

/* ---- the init and runs that join it ---- */

static void test_init_start(void **state)
{
	(void)state;
	struct lmc_spec_ns ns = {.mask = ALL_NS, .n_uid_map = 1, .n_gid_map = 1};
	struct lmc_ns_init_opts io = {.ns = &ns, .cgroup_fd = g_cg_fd};
	struct lmc_err err = {0};
	uint64_t start = 0, again = 0, key = 0, mine = 0;
	char buf[2048];
	unsigned a, b, c;
	int fd = -1;

	ns.uid_map[0] = ns.gid_map[0] = (struct lmc_idmap){0, 100000, 65536};
	snprintf(ns.hostname, sizeof(ns.hostname), "lmctl-ns-test");
	if (lmc_ns_init(&io, &g_init, &g_init_pidfd, &err) < 0)
		fail_msg("init: %s", lmc_err_str(&err));
	track(g_init);
	/* It keeps running after the call returned; known again by pid and start time only. */
	assert_true(g_init_pidfd >= 0);
	assert_true(lmc_ns_pidfd_alive(g_init_pidfd));
	assert_int_equal(lmc_ns_proc_start(g_init, &start), 0);
	assert_int_equal(lmc_ns_proc_nskey(g_init, &key), 0);
	assert_int_equal(lmc_ns_pidfd_adopt(g_init, start, key, &fd), 0);
	assert_true(lmc_ns_pidfd_alive(fd));
	close(fd);
	assert_int_equal(lmc_ns_pidfd_adopt(g_init, start + 1, key, &fd), -ESRCH);
	assert_int_equal(lmc_ns_pidfd_adopt(g_init, 0, key, &fd), -ESRCH);
	/* Same pid and start time, other namespaces (ours): a look-alike within a tick. */
	assert_int_equal(lmc_ns_proc_nskey(getpid(), &mine), 0);
	assert_int_equal(lmc_ns_pidfd_adopt(g_init, start, mine, &fd), -ESRCH);
	assert_int_equal(lmc_ns_proc_start(getpid(), &again), 0);
	assert_true(again <= start);
	snprintf(buf, sizeof(buf), "/proc/%d/uid_map", (int)g_init);
	read_file(buf, buf, sizeof(buf));
	assert_int_equal(sscanf(buf, "%u %u %u", &a, &b, &c), 3);
	assert_true(a == 0 && b == 100000 && c == 65536);
	/* The init became root inside: uid 100000 seen from here. */
	snprintf(buf, sizeof(buf), "/proc/%d/status", (int)g_init);
	read_file(buf, buf, sizeof(buf));
	assert_non_null(strstr(buf, "\nUid:\t100000\t100000\t100000\t100000\n"));
	snprintf(buf, sizeof(buf), "/proc/%d/gid_map", (int)g_init);
	read_file(buf, buf, sizeof(buf));
	assert_int_equal(sscanf(buf, "%u %u %u", &a, &b, &c), 3);
	assert_true(a == 0 && b == 100000 && c == 65536);
}

static void test_join_inodes(void **state)
{
	(void)state;
	static const enum lmc_ns all[] = {LMC_NS_PID, LMC_NS_MNT,  LMC_NS_UTS,	 LMC_NS_IPC,
					  LMC_NS_NET, LMC_NS_USER, LMC_NS_CGROUP};
	const char *argv[] = {"cat", NULL};
	struct lmc_err err = {0};
	int p[2][2], pidfd[2], status;
	pid_t pid[2];

	assert_true(g_init > 0);
	for (int i = 0; i < 2; i++) {
		struct lmc_ns_spawn_opts o = opts_join(argv);

		assert_int_equal(pipe2(p[i], O_CLOEXEC), 0);
		o.stdio[0] = p[i][0];
		if (lmc_ns_spawn(&o, &pid[i], &pidfd[i], &err) < 0)
			fail_msg("spawn: %s", lmc_err_str(&err));
		track(pid[i]);
		close(p[i][0]);
	}
	for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
		uint64_t init = inode_of(g_init, all[k]);

		assert_int_equal(inode_of(pid[0], all[k]), init);
		assert_int_equal(inode_of(pid[1], all[k]), init);
		assert_int_not_equal(inode_of(getpid(), all[k]), init);
	}
	for (int i = 0; i < 2; i++) {
		close(p[i][1]);
		assert_int_equal(lmc_ns_wait(pid[i], pidfd[i], WAIT_MS, &status), 0);
		close(pidfd[i]);
	}
}

static void test_join_views(void **state)
{
	(void)state;
	const char *host[] = {"cat", "/proc/sys/kernel/hostname", NULL};
	const char *pid[] = {"sh", "-c", "echo $$; pwd; id -u", NULL};
	const char *cg[] = {"cat", "/proc/self/cgroup", NULL};
	struct lmc_ns_spawn_opts o;
	char out[4096], *line;
	int mypid = 0;

	assert_true(g_init > 0);
	o = opts_join(host);
	assert_int_equal(run_capture(&o, out, sizeof(out)), 0);
	assert_string_equal(out, "lmctl-ns-test\n");

	/* A small pid of the namespace, "/" as cwd, root inside the user namespace. */
	o = opts_join(pid);
	assert_int_equal(run_capture(&o, out, sizeof(out)), 0);
	assert_int_equal(sscanf(out, "%d\n/\n0\n", &mypid), 1);
	assert_true(mypid > 1 && mypid < 100);
	assert_non_null(strstr(out, "\n/\n0\n"));

	/* Placed before the cgroup namespace was made: every hierarchy reads "/". */
	o = opts_join(cg);
	assert_int_equal(run_capture(&o, out, sizeof(out)), 0);
	for (line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		size_t n = strlen(line);

		if (n < 2 || strcmp(line + n - 2, ":/") != 0)
			fail_msg("cgroup view not '/': %s", line);
	}
}

static void test_join_proc_and_net(void **state)
{
	(void)state;
	const char *proc[] = {g_exe, "--helper", "proc", NULL};
	const char *lo[] = {g_exe, "--helper", "lo", NULL};
	const char *dev[] = {"cat", "/proc/net/dev", NULL};
	struct lmc_ns_spawn_opts o;
	char out[4096], *line;
	int self = 0, n = 0, ifaces = 0;

	assert_true(g_init > 0);
	/* Private /proc: the init (1) and the probe itself, nothing of the host. */
	o = opts_join(proc);
	assert_int_equal(run_capture(&o, out, sizeof(out)), 0);
	for (line = strtok(out, "\n"); line; line = strtok(NULL, "\n"), n++) {
		if (sscanf(line, "self %d", &self) == 1)
			continue;
		if (atoi(line) != 1 && atoi(line) != self)
			fail_msg("/proc shows pid %s besides 1 and %d", line, self);
	}
	assert_int_equal(n, 3);

	o = opts_join(dev);
	assert_int_equal(run_capture(&o, out, sizeof(out)), 0);
	for (line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
		if (!strchr(line, ':'))
			continue;
		ifaces++;
		assert_non_null(strstr(line, "lo:"));
	}
	assert_int_equal(ifaces, 1);
	o = opts_join(lo);
	assert_int_equal(run_capture(&o, out, sizeof(out)), 0);
	assert_string_equal(out, "lo up\n");
}

static void test_join_bad_uid(void **state)
{
	(void)state;
	const char *argv[] = {"true", NULL};
	struct lmc_ns_spawn_opts o = opts_join(argv);
	char before[4096], after[4096];
	struct lmc_err err = {0};
	pid_t pid = -42;

	assert_true(g_init > 0);
	children_of(getpid(), before, sizeof(before));
	/* 70000 is not mapped in the init's user namespace (0..65535). */
	o.set_ids = true;
	o.uid = 70000;
	o.gid = 0;
	assert_int_equal(lmc_ns_spawn(&o, &pid, NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "run: true: uid 70000: Invalid argument");
	assert_int_equal(pid, -42);
	children_of(getpid(), after, sizeof(after));
	assert_string_equal(before, after);
}

/* Wait (bounded) until pid has no children left; false if one stays, zombie or not. */
static bool children_gone(pid_t pid)
{
	int64_t deadline = now_ms() + WAIT_MS;
	char buf[4096];

	for (;;) {
		struct timespec ts = {.tv_nsec = 2000000};

		children_of(pid, buf, sizeof(buf));
		if (buf[0] == '\0')
			return true;
		if (now_ms() > deadline)
			return false;
		nanosleep(&ts, NULL);
	}
}

static void test_orphan_reaped(void **state)
{
	(void)state;
	/* sh leaves a cat behind on our pipe (fd 9, so the async list keeps it) and exits. */
	const char *argv[] = {"sh", "-c", "exec 9<&0; cat <&9 >/dev/null & exit 0", NULL};
	struct lmc_ns_spawn_opts o = opts_join(argv);
	struct lmc_err err = {0};
	char kids[4096];
	int p[2], pidfd, status, orphan, orphan_fd;
	pid_t pid;

	assert_true(g_init > 0);
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	o.stdio[0] = p[0];
	if (lmc_ns_spawn(&o, &pid, &pidfd, &err) < 0)
		fail_msg("spawn: %s", lmc_err_str(&err));
	track(pid);
	close(p[0]);
	assert_int_equal(lmc_ns_wait(pid, pidfd, WAIT_MS, &status), 0);
	close(pidfd);
	/* The orphan now belongs to the init. */
	children_of(g_init, kids, sizeof(kids));
	assert_int_equal(sscanf(kids, "%d", &orphan), 1);
	assert_true(proc_state(orphan) != 'Z');
	orphan_fd = lmc_ns_pidfd_open(orphan);
	assert_true(orphan_fd >= 0);
	close(p[1]);
	{
		struct pollfd pf = {.fd = orphan_fd, .events = POLLIN};

		assert_int_equal(poll(&pf, 1, WAIT_MS), 1); /* it exited */
	}
	close(orphan_fd);
	if (!children_gone(g_init)) {
		children_of(g_init, kids, sizeof(kids));
		fail_msg("init left child %s (state %c)", kids, proc_state(atoi(kids)));
	}
}

/* SIGTERM to the init reaches the namespace's processes; the init then exits. */
static void test_init_term(void **state)
{
	(void)state;
	const char *argv[] = {"sleep", "100", NULL};
	struct lmc_spec_ns ns = {.mask = LMC_NS_PID | LMC_NS_MNT};
	struct lmc_ns_init_opts io = {.ns = &ns, .cgroup_fd = -1};
	struct lmc_ns_spawn_opts o = opts_for(argv);
	struct lmc_err err = {0};
	int init_fd, pidfd, status = -1;
	pid_t init, pid;

	if (lmc_ns_init(&io, &init, &init_fd, &err) < 0)
		fail_msg("init: %s", lmc_err_str(&err));
	track(init);
	assert_true(init_fd >= 0);
	o.join_pidfd = init_fd;
	o.join_mask = ns.mask;
	if (lmc_ns_spawn(&o, &pid, &pidfd, &err) < 0)
		fail_msg("spawn: %s", lmc_err_str(&err));
	track(pid);
	assert_true(lmc_ns_pidfd_alive(init_fd));
	/* Another leaf's namespaces are its own. */
	if (g_init > 0) {
		assert_int_not_equal(inode_of(pid, LMC_NS_PID), inode_of(g_init, LMC_NS_PID));
		assert_int_not_equal(inode_of(pid, LMC_NS_MNT), inode_of(g_init, LMC_NS_MNT));
	}
	assert_int_equal(kill(init, SIGTERM), 0);
	assert_int_equal(lmc_ns_wait(pid, pidfd, WAIT_MS, &status), 128 + SIGTERM);
	assert_int_equal(lmc_ns_wait(init, init_fd, WAIT_MS, &status), 0);
	assert_false(lmc_ns_pidfd_alive(init_fd));
	close(pidfd);
	/* Joining a leaf whose init is gone fails with a clear error and starts nothing. */
	assert_int_equal(lmc_ns_spawn(&o, &pid, NULL, &err), -ESRCH);
	assert_string_equal(err.msg, "run: sleep: the container's init is gone");
	close(init_fd);
}

static void test_init_errors(void **state)
{
	(void)state;
	struct lmc_spec_ns ns = {.mask = LMC_NS_USER | LMC_NS_PID, .n_uid_map = 2};
	struct lmc_ns_init_opts io = {.ns = &ns, .cgroup_fd = -1};
	struct attach_probe a = {.ret = -EPERM};
	char before[4096], after[4096];
	struct lmc_err err = {0};
	pid_t init = -42;

	children_of(getpid(), before, sizeof(before));
	/* Overlapping ranges: the kernel refuses the map. */
	ns.uid_map[0] = (struct lmc_idmap){0, 100000, 10};
	ns.uid_map[1] = (struct lmc_idmap){5, 200000, 10};
	assert_int_equal(lmc_ns_init(&io, &init, NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "init: uid_map 0:100000:10,5:200000:10: Invalid argument");
	lmc_err_clear(&err);
	/* No map: no host range is chosen here (that is the manager's to assign). */
	ns.n_uid_map = 0;
	assert_int_equal(lmc_ns_init(&io, &init, NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "init: no uid_map given for the user namespace");
	lmc_err_clear(&err);
	io.attach = attach_record;
	io.userdata = &a;
	assert_int_equal(lmc_ns_init(&io, &init, NULL, &err), -EPERM);
	assert_non_null(strstr(err.msg, "refused for the test"));
	assert_int_equal(init, -42);
	children_of(getpid(), after, sizeof(after));
	assert_string_equal(before, after);
}

int main(int argc, char **argv)
{
	struct statfs fs;

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_status),	cmocka_unit_test(test_wait_timeout),
		cmocka_unit_test(test_missing_command), cmocka_unit_test(test_cwd_env_ids),
		cmocka_unit_test(test_attach_hold),	cmocka_unit_test(test_clone_into_cgroup),
		cmocka_unit_test(test_init_start),	cmocka_unit_test(test_join_inodes),
		cmocka_unit_test(test_join_views),	cmocka_unit_test(test_join_proc_and_net),
		cmocka_unit_test(test_join_bad_uid),	cmocka_unit_test(test_orphan_reaped),
		cmocka_unit_test(test_init_term),	cmocka_unit_test(test_init_errors),
	};

	if (argc == 3 && strcmp(argv[1], "--helper") == 0)
		return helper_main(argv[2]);
	/* These tests place processes with the cgroup2 tree (CLONE_INTO_CGROUP); a host with
	 * every controller on v1 and no cgroup2 mount has none (lmctl's own runs there are
	 * covered by test_procs and test_cli). */
	if (statfs(cgroup2_mount(), &fs) < 0 || fs.f_type != CGROUP2_SUPER_MAGIC) {
		printf("test_ns: skipped: no cgroup2 tree (cgroup v1 only)\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
