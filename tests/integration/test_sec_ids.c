/* Security tests (issue 11, items 1, 2, 15, 16): a non-root owner, a throw-away user, drives
 * the real agent and tries to become root or learn what root can see: id maps onto host
 * root, an impostor namespace init, look-ups done as root for its run, a run as a uid left
 * with gid 0. Each attack must be refused or contained. Root only; the user, the agent, the
 * scratch cgroups and every process started here are removed whatever the outcome. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/store.h"
#include "nsutil/ns.h"
#include "tests/integration/agent-harness.h"
#include "tests/lib/lmctl-run.h"
#include "tests/lib/store-find.h"
#include "tests/lib/testuser.h"

#define OUT_MAX 4096
#define WAIT_MS 10000

static struct harness g_h;
static struct lmc_test_user g_u;
static char g_uid[16], g_gid[16];
static int g_impostor_fd = -1; /* pidfd of the impostor init, killed in teardown */
static char g_group[32]; /* a supplementary group of the user's, deleted in teardown */
static int g_reused_fd = -1; /* pidfd of the impostor at a reused pid (our child) */

/* ---- plumbing ---- */

/* lmctl as root / as the owner, through the agent; out and err get its output. */
#define ROOT(out, err, ...) lmc_test_lmctl(out, OUT_MAX, err, OUT_MAX, __VA_ARGS__, NULL)
#define OWNER(out, err, ...) \
	lmc_test_user_lmctl(&g_u, out, OUT_MAX, err, OUT_MAX, __VA_ARGS__, NULL)
#define ROOT_OK(...)                                                              \
	do {                                                                      \
		char _o[OUT_MAX], _e[OUT_MAX];                                    \
		if (ROOT(_o, _e, __VA_ARGS__) != 0)                               \
			fail_msg("lmctl %s (root) failed: %s", #__VA_ARGS__, _e); \
	} while (0)
#define OWNER_OK(...)                                                              \
	do {                                                                       \
		char _o[OUT_MAX], _e[OUT_MAX];                                     \
		if (OWNER(_o, _e, __VA_ARGS__) != 0)                               \
			fail_msg("lmctl %s (owner) failed: %s", #__VA_ARGS__, _e); \
	} while (0)

static int start_agent(void)
{
	int r = h_start_agent(&g_h);

	/* The owner talks to it too. */
	if (r >= 0 && chmod(g_h.sock, 0666) < 0)
		r = -errno;
	return r;
}

static int group_setup(void **state)
{
	(void)state;
	if (geteuid() != 0) {
		fprintf(stderr, "test_sec_ids: needs root, skipped\n");
		return -1;
	}
	if (lmc_test_user_add(&g_u) < 0)
		return -1;
	snprintf(g_uid, sizeof(g_uid), "%u", (unsigned)g_u.uid);
	snprintf(g_gid, sizeof(g_gid), "%u", (unsigned)g_u.gid);
	if (h_setup(&g_h) < 0 || chmod(g_h.sock, 0666) < 0)
		return -1;
	/* lmctl finds this agent; were it down, root's lmctl works on this state, not /var. */
	setenv("LMCTL_SOCKET", g_h.sock, 1);
	setenv("LMCTL_STATE_DIR", g_h.state, 1);
	return 0;
}

static bool pidfd_exited(void *ud)
{
	struct pollfd p = {.fd = *(int *)ud, .events = POLLIN};

	return poll(&p, 1, 0) == 1;
}

static int group_teardown(void **state)
{
	(void)state;
	if (g_impostor_fd >= 0) {
		/* Gone before userdel, which refuses a user with processes. */
		syscall(SYS_pidfd_send_signal, g_impostor_fd, SIGKILL, NULL, 0);
		lmc_test_wait_until(pidfd_exited, &g_impostor_fd, WAIT_MS);
		close(g_impostor_fd);
	}
	/* Whatever a failed test left (the scratch root goes with the harness anyway). */
	for (const char *const *t = (const char *const[]){"o", "d", "i", "r", "l", "g", "s", NULL};
	     *t; t++)
		if (g_h.agent > 0)
			lmc_test_lmctl(NULL, 0, NULL, 0, "destroy", "-r", *t, NULL);
	if (g_reused_fd >= 0) {
		syscall(SYS_pidfd_send_signal, g_reused_fd, SIGKILL, NULL, 0);
		waitid((idtype_t)P_PIDFD, (id_t)g_reused_fd, &(siginfo_t){0}, WEXITED);
		close(g_reused_fd);
	}
	h_teardown(&g_h);
	if (g_group[0]) {
		char cmd[96];

		snprintf(cmd, sizeof(cmd), "/usr/sbin/groupdel %s", g_group);
		if (system(cmd) != 0)
			fprintf(stderr, "warning: %s failed\n", cmd);
	}
	lmc_test_user_del(&g_u);
	return 0;
}

/* The owner's first range in an /etc/subuid-style file: 0, or -ENOENT. */
static int subid_of(const char *path, const char *user, unsigned *start, unsigned *count)
{
	char line[256], want[64];
	FILE *f = fopen(path, "re");
	int r = -ENOENT;

	snprintf(want, sizeof(want), "%s:", user);
	while (f && r < 0 && fgets(line, sizeof(line), f))
		if (strncmp(line, want, strlen(want)) == 0 &&
		    sscanf(line + strlen(want), "%u:%u", start, count) == 2)
			r = 0;
	if (f)
		fclose(f);
	return r;
}

/* The reason of a one-line error: what follows its last ": ". */
static const char *reason(const char *msg)
{
	const char *p = strrchr(msg, ':');

	return p ? p + 2 : msg;
}

/* ---- 1: id maps ---- */

/* A map onto host uid/gid 0, or onto ids that are neither the owner's own nor its
 * subordinate ones, is refused; its own uid and its /etc/subuid range are not. */
static void test_owner_maps(void **state)
{
	char out[OUT_MAX], err[OUT_MAX], m[64], m2[64];
	unsigned us, uc, gs, gc;

	(void)state;
	assert_int_equal(subid_of("/etc/subuid", g_u.name, &us, &uc), 0);
	assert_int_equal(subid_of("/etc/subgid", g_u.name, &gs, &gc), 0);
	ROOT_OK("create", "o", "--owner", g_uid);
	/* The attack: uid 1500 inside -> host root. */
	snprintf(m, sizeof(m), "--uid-map=%s:0:1", g_uid);
	snprintf(m2, sizeof(m2), "--gid-map=%s:0:1", g_gid);
	assert_int_not_equal(OWNER(out, err, "create", "o/root", "--ns=user,pid,mnt", m, m2), 0);
	assert_non_null(strstr(err, "may not map --uid-map"));
	assert_non_null(strstr(err, "host ids 0-0 are neither uid"));
	ROOT_OK("list", "o");
	assert_int_not_equal(ROOT(out, err, "spec", "o/root"), 0);
	/* Own uid, host gid 0. */
	snprintf(m, sizeof(m), "--uid-map=0:%s:1", g_uid);
	assert_int_not_equal(OWNER(out, err, "create", "o/g0", "--ns=user", m, "--gid-map=0:0:1"),
			     0);
	assert_non_null(strstr(err, "may not map --gid-map 0:0:1"));
	/* One id past the subordinate range. */
	snprintf(m2, sizeof(m2), "--uid-map=0:%u:%u", us, uc + 1);
	assert_int_not_equal(OWNER(out, err, "create", "o/past", "--ns=user", m2), 0);
	assert_non_null(strstr(err, "/etc/subuid"));
	/* Allowed: its own ids, and its subordinate ranges. */
	snprintf(m2, sizeof(m2), "--gid-map=0:%s:1", g_gid);
	OWNER_OK("create", "o/own", "--ns=user,pid,mnt", m, m2);
	snprintf(m, sizeof(m), "--uid-map=0:%u:%u", us, uc);
	snprintf(m2, sizeof(m2), "--gid-map=0:%u:%u", gs, gc);
	OWNER_OK("create", "o/sub", "--ns=user,pid,mnt", m, m2);
	ROOT(out, err, "run", "o/sub", "--", "cat", "/proc/self/uid_map");
	{
		unsigned in = 1, outside = 0, count = 0;

		assert_int_equal(sscanf(out, "%u %u %u", &in, &outside, &count), 3);
		assert_true(in == 0 && outside == us && count == uc);
	}
	ROOT_OK("destroy", "-r", "o");
}

struct kmap {
	unsigned out, count;
};

/* The host range behind inside id 0 of the leaf, as the kernel has it. */
static struct kmap kernel_map(const char *name, const char *file)
{
	char out[OUT_MAX], err[OUT_MAX], path[64];
	struct kmap k = {0};
	unsigned in = 1;

	snprintf(path, sizeof(path), "/proc/self/%s", file);
	if (ROOT(out, err, "run", name, "--", "cat", path) != 0)
		fail_msg("run %s: %s", name, err);
	assert_int_equal(sscanf(out, "%u %u %u", &in, &k.out, &k.count), 3);
	assert_int_equal(in, 0);
	return k;
}

static bool overlap(struct kmap a, struct kmap b)
{
	return (uint64_t)a.out < (uint64_t)b.out + b.count &&
	       (uint64_t)b.out < (uint64_t)a.out + a.count;
}

/* No range meets any line of an /etc/subuid-style file. */
static void assert_outside_subids(const char *path, struct kmap k)
{
	char line[256];
	FILE *f = fopen(path, "re");

	while (f && fgets(line, sizeof(line), f)) {
		struct kmap s;
		char *p = strchr(line, ':');

		if (p && sscanf(p + 1, "%u:%u", &s.out, &s.count) == 2 && overlap(k, s))
			fail_msg("%u+%u meets %s line %s", k.out, k.count, path, line);
	}
	if (f)
		fclose(f);
}

/* Root's default map: each container its own host range, outside every user's subordinate
 * ranges, shown by spec, the same after an agent restart and a new init, freed on destroy. */
static void test_default_maps(void **state)
{
	static const char *const names[] = {"d/a", "d/b", "d/c"};
	struct kmap u[3], g[3];
	char out[OUT_MAX], err[OUT_MAX], want[128];

	(void)state;
	ROOT_OK("create", "d", "--owner", g_uid);
	ROOT_OK("create", "d/a", "--ns=user,pid,mnt");
	ROOT_OK("create", "d/b", "--ns=user,pid,mnt");
	OWNER_OK("create", "d/c", "--ns=user,pid,mnt");
	for (int i = 0; i < 3; i++) {
		u[i] = kernel_map(names[i], "uid_map");
		g[i] = kernel_map(names[i], "gid_map");
		assert_int_not_equal(u[i].out, 0);
		assert_int_not_equal(g[i].out, 0);
		assert_outside_subids("/etc/subuid", u[i]);
		assert_outside_subids("/etc/subgid", g[i]);
		for (int j = 0; j < i; j++)
			if (overlap(u[i], u[j]) || overlap(g[i], g[j]) || overlap(u[i], g[j]))
				fail_msg("%s and %s share host ids (%u, %u)", names[i], names[j],
					 u[i].out, u[j].out);
	}
	/* Recorded in the spec. */
	assert_int_equal(ROOT(out, err, "spec", "--json", "d/a"), 0);
	snprintf(want, sizeof(want), "\"uid_map\":[{\"inside\":0,\"outside\":%u,\"count\":%u}]",
		 u[0].out, u[0].count);
	assert_non_null(strstr(out, want));
	/* The same range after a restart of the agent, and for a new init. */
	h_stop_agent(&g_h, SIGTERM);
	assert_int_equal(start_agent(), 0);
	assert_int_equal(kernel_map("d/a", "uid_map").out, u[0].out);
	ROOT_OK("kill", "-s", "KILL", "d/a");
	assert_int_equal(kernel_map("d/a", "uid_map").out, u[0].out);
	/* Freed on destroy: the next container may have it. */
	ROOT_OK("destroy", "-r", "d/a");
	ROOT_OK("create", "d/d", "--ns=user,pid,mnt");
	assert_int_equal(kernel_map("d/d", "uid_map").out, u[0].out);
	ROOT_OK("destroy", "-r", "d");
}

/* ---- 2: the init ---- */

struct impostor {
	int report; /* write end: the impostor's host pid once it is set up */
	const char *fake_id; /* file bound over /usr/bin/id in its mount namespace */
	uid_t uid;
	gid_t gid;
};

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : write(fd, s, strlen(s));

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* Pid 1 of the owner's own user+mount+pid namespaces, named like lmctl's init, with the
 * owner's file over /usr/bin/id. */
static _Noreturn void impostor_main(const struct impostor *im, int ready)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount(im->fake_id, "/usr/bin/id", NULL, MS_BIND, NULL) < 0)
		_exit(2);
	prctl(PR_SET_NAME, "lmctl-init", 0, 0, 0);
	if (write(ready, "r", 1) != 1)
		_exit(3);
	close(ready);
	for (;;)
		pause();
}

/* As the owner: new namespaces, maps of its own ids, the impostor forked into them. */
static int impostor_start(void *ud)
{
	const struct impostor *im = ud;
	char map[64];
	int p[2];
	pid_t pid;
	char c;

	/* Dropped from root, we are not dumpable: /proc/self would stay root's. */
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0 ||
	    unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID) < 0)
		return 10;
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)im->uid);
	if (write_str("/proc/self/uid_map", map) < 0 || pipe(p) < 0)
		return 11;
	pid = fork();
	if (pid < 0)
		return 13;
	if (pid == 0) {
		close(p[0]);
		impostor_main(im, p[1]);
	}
	close(p[1]);
	if (read(p[0], &c, 1) != 1)
		return 14;
	return write(im->report, &pid, sizeof(pid)) == sizeof(pid) ? 0 : 15;
}

/* The leaf's record names another process: its pid and start time, as if the dead init's
 * pid had been recycled within the clock tick it started in. */
static void record_point_at(const char *name, pid_t pid)
{
	uint64_t start = 0;

	struct lmc_store_opts so = {.dir = g_h.state, .lock = true, .lock_timeout_ms = 5000};
	struct lmc_store *s = NULL;
	struct lmc_record rec;
	struct lmc_err err = {0};

	h_stop_agent(&g_h, SIGTERM);
	if (lmc_store_open(&so, &s, &err) < 0)
		fail_msg("store: %s", lmc_err_str(&err));
	assert_int_equal(lmc_test_store_find(s, name, &rec), 0);
	rec.init_pid = pid;
	assert_int_equal(lmc_ns_proc_start(pid, &start), 0);
	rec.init_start = start;
	assert_int_equal(lmc_store_put(s, &rec, &err), 0);
	lmc_store_free(s);
	assert_int_equal(start_agent(), 0);
}

static int ns_inode(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	n = readlink(path, buf, size - 1);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return 0;
}

/* The owner's file that prints IMPOSTOR, to be bound over /usr/bin/id. */
static void make_fake_id(char *path, size_t size)
{
	FILE *f;

	snprintf(path, size, "%s/fake-id", g_h.dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\necho IMPOSTOR\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
}

/* The only process of a leaf: its init. */
static pid_t leaf_init(const char *name)
{
	pid_t *pids = NULL, init;
	size_t n = 0;

	assert_int_equal(lmc_cgfs_procs(g_h.cg, name, &pids, &n), 0);
	assert_int_equal(n, 1);
	init = pids[0];
	free(pids);
	return init;
}

/* The owner kills its leaf's init and starts a look-alike; root's next run (even after the
 * record was made to name it, as a recycled pid would) must not join it. */
static void test_init_impostor(void **state)
{
	char out[OUT_MAX], err[OUT_MAX], fake[192], theirs[64];
	struct impostor im = {.uid = g_u.uid, .gid = g_u.gid, .fake_id = fake};
	char path[64], map[64];
	unsigned sub, count;
	int p[2], init_fd;
	pid_t init = 0, pid = 0;

	(void)state;
	ROOT_OK("create", "i", "--owner", g_uid);
	OWNER_OK("create", "i/n", "--ns=user,mnt,pid");
	init = leaf_init("i/n");
	init_fd = (int)syscall(SYS_pidfd_open, init, 0);
	assert_true(init_fd >= 0);
	/* The attack: kill the init, start the impostor. */
	OWNER_OK("kill", "-s", "KILL", "i/n");
	assert_int_equal(lmc_test_wait_until(pidfd_exited, &init_fd, WAIT_MS), 0);
	close(init_fd);
	make_fake_id(fake, sizeof(fake));
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	im.report = p[1];
	assert_int_equal(lmc_test_user_run(&g_u, impostor_start, &im), 0);
	close(p[1]);
	assert_int_equal(read(p[0], &pid, sizeof(pid)), sizeof(pid));
	close(p[0]);
	g_impostor_fd = (int)syscall(SYS_pidfd_open, pid, 0);
	assert_true(g_impostor_fd >= 0);
	/* Its gid map as newgidmap would write it: a group of the owner's /etc/subgid. */
	assert_int_equal(subid_of("/etc/subgid", g_u.name, &sub, &count), 0);
	snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)pid);
	snprintf(map, sizeof(map), "0 %u 1", sub);
	assert_int_equal(write_str(path, map), 0);
	assert_int_equal(ns_inode(pid, theirs, sizeof(theirs)), 0);
	/* Still running agent: the init is gone, a run starts a new one. */
	assert_int_equal(ROOT(out, err, "run", "i/n", "--", "id", "-u"), 0);
	assert_string_equal(out, "0\n");
	ROOT_OK("kill", "-s", "KILL", "i/n");
	/* The record names the impostor's pid and start time (the dead init's pid, recycled
	 * within a clock tick: pid and start time alone would take it for the init). */
	record_point_at("i/n", pid);
	if (ROOT(out, err, "run", "i/n", "--", "id") != 0)
		fail_msg("run after restart: %s", err);
	assert_null(strstr(out, "IMPOSTOR"));
	assert_non_null(strstr(out, "uid=0(root)"));
	assert_int_equal(ROOT(out, err, "run", "i/n", "--", "readlink", "/proc/self/ns/user"), 0);
	out[strcspn(out, "\n")] = '\0';
	assert_string_not_equal(out, theirs);
	ROOT_OK("destroy", "-r", "i");
}

/* The kernel's struct clone_args with set_tid. */
struct clone_args_tid {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

static bool pid_free(void *ud)
{
	char path[32];

	snprintf(path, sizeof(path), "/proc/%d", *(pid_t *)ud);
	return access(path, F_OK) < 0 && errno == ENOENT;
}

/* What an owner cycling pids gets, made at once: a look-alike init in its own user, mount
 * and pid namespaces (the owner's ids mapped, as newuidmap would) at exactly pid want.
 * clone3's set_tid needs root, so root makes it on the owner's behalf. */
static pid_t impostor_at(pid_t want, const struct impostor *im)
{
	pid_t tids[2] = {1, want};
	struct clone_args_tid a = {
		.flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_PIDFD,
		.pidfd = (uint64_t)(uintptr_t)&g_reused_fd,
		.exit_signal = SIGCHLD,
		.set_tid = (uint64_t)(uintptr_t)tids,
		.set_tid_size = 2,
	};
	char path[64], map[64], c;
	unsigned sub, count;
	int go[2], ready[2];
	long pid;

	assert_int_equal(pipe2(go, O_CLOEXEC), 0);
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	pid = syscall(SYS_clone3, &a, sizeof(a));
	if (pid == 0) {
		close(go[1]);
		close(ready[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		impostor_main(im, ready[1]);
	}
	if (pid < 0)
		fail_msg("clone3 at pid %d: %s", (int)want, strerror(errno));
	close(go[0]);
	close(ready[1]);
	assert_int_equal(subid_of("/etc/subgid", g_u.name, &sub, &count), 0);
	snprintf(path, sizeof(path), "/proc/%ld/uid_map", pid);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)im->uid);
	assert_int_equal(write_str(path, map), 0);
	snprintf(path, sizeof(path), "/proc/%ld/gid_map", pid);
	snprintf(map, sizeof(map), "0 %u 1", sub);
	assert_int_equal(write_str(path, map), 0);
	assert_int_equal(write(go[1], "g", 1), 1);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(go[1]);
	close(ready[0]);
	return (pid_t)pid;
}

/* With the agent running: the owner kills the init, a look-alike gets its very pid; root's
 * next run must start a new init, not join the process now at that pid. */
static void test_init_pid_reused(void **state)
{
	char out[OUT_MAX], err[OUT_MAX], fake[192], theirs[64];
	struct impostor im = {.uid = g_u.uid, .gid = g_u.gid, .fake_id = fake};
	pid_t init, pid;

	(void)state;
	ROOT_OK("create", "r", "--owner", g_uid);
	OWNER_OK("create", "r/n", "--ns=user,mnt,pid");
	init = leaf_init("r/n");
	OWNER_OK("kill", "-s", "KILL", "r/n");
	/* Reaped by the agent: its pid is free again. */
	assert_int_equal(lmc_test_wait_until(pid_free, &init, WAIT_MS), 0);
	make_fake_id(fake, sizeof(fake));
	pid = impostor_at(init, &im);
	assert_int_equal(pid, init);
	assert_int_equal(ns_inode(pid, theirs, sizeof(theirs)), 0);
	if (ROOT(out, err, "run", "r/n", "--", "id") != 0)
		fail_msg("run: %s", err);
	assert_null(strstr(out, "IMPOSTOR"));
	assert_non_null(strstr(out, "uid=0(root)"));
	assert_int_equal(ROOT(out, err, "run", "r/n", "--", "readlink", "/proc/self/ns/user"), 0);
	out[strcspn(out, "\n")] = '\0';
	assert_string_not_equal(out, theirs);
	ROOT_OK("destroy", "-r", "r");
}

/* ---- 15: look-ups as the target uid ---- */

/* Paths below a root-only directory: the owner's run learns the same about a file, a
 * missing name and a directory: nothing. */
static void test_lookups_as_target(void **state)
{
	char out[OUT_MAX], err[OUT_MAX], dir[160], cwd[3][200], why[3][64], path[200];
	static const char *const leaf[] = {"file", "nope", "sub"};
	FILE *f;

	(void)state;
	snprintf(dir, sizeof(dir), "%s/secret", g_h.dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(path, sizeof(path), "%s/file", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("#!/bin/sh\necho ran\n", f);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/sub", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	ROOT_OK("create", "l", "--owner", g_uid);
	for (int i = 0; i < 3; i++) {
		snprintf(cwd[i], sizeof(cwd[i]), "--cwd=%s/%s", dir, leaf[i]);
		assert_int_not_equal(OWNER(out, err, "run", "l", cwd[i], "--", "true"), 0);
		snprintf(why[i], sizeof(why[i]), "%.60s", reason(err));
	}
	assert_string_equal(why[0], "Permission denied\n");
	assert_string_equal(why[1], why[0]);
	assert_string_equal(why[2], why[0]);
	/* The PATH search: an executable there, and a name that is not. */
	snprintf(path, sizeof(path), "--env=PATH=%s", dir);
	assert_int_not_equal(OWNER(out, err, "run", "l", path, "--cwd=/", "--", "file"), 0);
	snprintf(why[0], sizeof(why[0]), "%.60s", reason(err));
	assert_int_not_equal(OWNER(out, err, "run", "l", path, "--cwd=/", "--", "nope"), 0);
	assert_string_equal(reason(err), why[0]);
	/* Root itself still finds both. */
	assert_int_equal(ROOT(out, err, "run", "l", path, "--cwd=/", "--", "file"), 0);
	assert_string_equal(out, "ran\n");
	ROOT_OK("destroy", "-r", "l");
}

/* ---- 16: groups of a run as a uid ---- */

static bool uid_unknown(uid_t uid)
{
	return getpwuid(uid) == NULL;
}

/* root runs a job as the owner's uid without naming a group: the job gets the owner's
 * groups, not root's, and cannot write a file only root's group may. */
static void test_uid_without_gid(void **state)
{
	char out[OUT_MAX], err[OUT_MAX], want[64], file[192], sh[256], uid[16];
	uid_t stranger = 3999999;
	int fd;

	(void)state;
	ROOT_OK("create", "g", "--owner", g_uid);
	assert_int_equal(ROOT(out, err, "run", "g", "--uid", g_uid, "--", "id", "-g"), 0);
	snprintf(want, sizeof(want), "%s\n", g_gid);
	assert_string_equal(out, want);
	assert_int_equal(ROOT(out, err, "run", "g", "--uid", g_u.name, "--", "id", "-G"), 0);
	assert_string_equal(out, want);
	/* What gid 0 would have let it do. */
	snprintf(file, sizeof(file), "%s/root-group", g_h.dir);
	fd = open(file, O_CREAT | O_WRONLY | O_CLOEXEC, 0660);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(file, 0660), 0);
	snprintf(sh, sizeof(sh), "echo owned >> %s", file);
	assert_int_not_equal(ROOT(out, err, "run", "g", "--uid", g_uid, "--", "sh", "-c", sh), 0);
	/* A uid the user database does not know: refused, not run with root's group. */
	while (!uid_unknown(stranger))
		stranger++;
	snprintf(uid, sizeof(uid), "%u", (unsigned)stranger);
	assert_int_not_equal(ROOT(out, err, "run", "g", "--uid", uid, "--", "id", "-g"), 0);
	assert_non_null(strstr(err, "has no entry in the user database"));
	/* Named, the group is what was asked. */
	assert_int_equal(ROOT(out, err, "run", "g", "--uid", uid, "--gid", g_gid, "--", "id", "-G"),
			 0);
	assert_string_equal(out, want);
	ROOT_OK("destroy", "-r", "g");
}

/* Supplementary groups come from the user database too (where shadow's tools exist to add
 * one: the busybox VMs have none). */
static void test_uid_supplementary(void **state)
{
	char out[OUT_MAX], err[OUT_MAX], cmd[160], want[64];
	struct group *gr;

	(void)state;
	if (access("/usr/sbin/groupadd", X_OK) < 0 || access("/usr/sbin/usermod", X_OK) < 0) {
		fprintf(stderr, "no groupadd/usermod: supplementary groups not checked\n");
		return;
	}
	snprintf(g_group, sizeof(g_group), "lmctl-tg%d", (int)getpid());
	snprintf(cmd, sizeof(cmd), "/usr/sbin/groupadd %s && /usr/sbin/usermod -aG %s %s", g_group,
		 g_group, g_u.name);
	assert_int_equal(system(cmd), 0);
	gr = getgrnam(g_group);
	assert_non_null(gr);
	snprintf(want, sizeof(want), "%s %u\n", g_gid, (unsigned)gr->gr_gid);
	ROOT_OK("create", "s");
	assert_int_equal(ROOT(out, err, "run", "s", "--uid", g_uid, "--", "id", "-G"), 0);
	assert_string_equal(out, want);
	ROOT_OK("destroy", "-r", "s");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_owner_maps),	  cmocka_unit_test(test_default_maps),
		cmocka_unit_test(test_init_impostor),	  cmocka_unit_test(test_init_pid_reused),
		cmocka_unit_test(test_lookups_as_target), cmocka_unit_test(test_uid_without_gid),
		cmocka_unit_test(test_uid_supplementary),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
