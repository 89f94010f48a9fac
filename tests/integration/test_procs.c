/* Processes and namespaces in leaf containers, through the lmctl binary: namespaces shared by
 * every run in a leaf, hostname, pid 1, private /proc, lo only, uid maps, cgroup view; pause
 * and resume; kill reaching forked and nested processes; orphans reaped by the leaf's init;
 * bad input leaving nothing running. This binary is also the workload (argv[1]). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/spec.h"
#include "tests/lib/lmctl-run.h"
#include "tests/lib/scratch.h"

static const char *const ns_names[] = {"pid", "mnt", "uts", "ipc", "net", "cgroup", "user"};

/* ---- workloads ---- */

/* Print "<ns>:<inode>" for each namespace, then facts seen from inside. */
static int work_nsinfo(void)
{
	char buf[4096], host[128] = "";
	int fd;
	ssize_t n;

	for (size_t i = 0; i < ARRAY_SIZE(ns_names); i++) {
		char path[64];
		struct stat st;

		snprintf(path, sizeof(path), "/proc/self/ns/%s", ns_names[i]);
		printf("%s:%llu\n", ns_names[i],
		       stat(path, &st) == 0 ? (unsigned long long)st.st_ino : 0ULL);
	}
	gethostname(host, sizeof(host) - 1);
	printf("hostname:%s\nmypid:%d\n", host, getpid());
	fd = open("/proc/self/cgroup", O_RDONLY);
	n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : 0;
	buf[n > 0 ? n : 0] = '\0';
	/* The cgroup2 line ("0::/...") is what a cgroup namespace re-roots. */
	for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n"))
		if (strncmp(l, "0::", 3) == 0)
			printf("cgroup2:%s\n", l + 3);
	return 0;
}

static int work_spin(void)
{
	for (volatile unsigned long i = 0;; i++)
		;
	return 0;
}

/* Fork a child that forks a grandchild and exits at once: the grandchild is orphaned
 * inside the container and exits a little later, to be reaped by the leaf's init. */
static int work_orphan(void)
{
	pid_t p = fork();

	if (p == 0) {
		if (fork() == 0) {
			usleep(100 * 1000);
			_exit(0);
		}
		_exit(0);
	}
	return 0;
}

/* ---- helpers ---- */

static unsigned long long field(const char *out, const char *key)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), "%s:", key);
	for (p = out; (p = strstr(p, pat)); p++)
		if (p == out || p[-1] == '\n')
			return strtoull(p + strlen(pat), NULL, 10);
	fail_msg("no %s in '%s'", key, out);
	return 0;
}

static const char *sfield(const char *out, const char *key, char *buf, size_t size)
{
	char pat[32];
	const char *p;

	snprintf(pat, sizeof(pat), "\n%s:", key);
	p = strstr(out, pat);
	assert_non_null(p);
	p += strlen(pat);
	snprintf(buf, size, "%.*s", (int)strcspn(p, "\n"), p);
	return buf;
}

static void nsinfo(const char *leaf, char *out, size_t size)
{
	char err[1024];
	int r = lmc_test_lmctl(out, size, err, sizeof(err), "run", leaf, "--", lmc_test_self_exe(),
			       "nsinfo", NULL);

	if (r != 0)
		fail_msg("run in %s: %d %s", leaf, r, err);
}

/* The same facts for a process on the host. */
static void host_nsinfo(char *out, size_t size)
{
	char cmd[4200];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "'%s' nsinfo", lmc_test_self_exe());
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	assert_int_equal(pclose(f), 0);
}

/* ---- tests ---- */

static void test_namespaces_shared_per_leaf(void **state)
{
	char a[2048], b[2048], c[2048], host[2048], buf[128];
	const char *joined[] = {"pid", "mnt", "uts", "ipc", "net", "cgroup"};

	(void)state;
	LMCTL_OK("create", "job", "--memory=256M");
	LMCTL_OK("create", "job/web", "--ns=pid,mnt,uts,ipc,net,cgroup", "--hostname=web");
	LMCTL_OK("create", "job/db", "--ns=pid,mnt,uts,ipc,net,cgroup");
	nsinfo("job/web", a, sizeof(a));
	nsinfo("job/web", b, sizeof(b));
	nsinfo("job/db", c, sizeof(c));
	host_nsinfo(host, sizeof(host));
	for (size_t i = 0; i < ARRAY_SIZE(joined); i++) {
		assert_int_equal(field(a, joined[i]), field(b, joined[i]));
		assert_int_not_equal(field(a, joined[i]), field(host, joined[i]));
		assert_int_not_equal(field(a, joined[i]), field(c, joined[i]));
	}
	assert_string_equal(sfield(a, "hostname", buf, sizeof(buf)), "web");
	assert_string_equal(sfield(c, "hostname", buf, sizeof(buf)), "db"); /* default: basename */
	/* pid 1 is the leaf's init; a run is a small pid under it. */
	assert_true(field(a, "mypid") > 1 && field(a, "mypid") < 100);
	/* The cgroup namespace was entered after placement: the container is "/" (in the
	 * cgroup2 tree; v1 alone has none, and the line is absent). */
	if (strstr(a, "\ncgroup2:") || access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 ||
	    access("/sys/fs/cgroup/unified/cgroup.controllers", F_OK) == 0)
		assert_string_equal(sfield(a, "cgroup2", buf, sizeof(buf)), "/");
}

/* Run a shell line in leaf; its stdout in out. */
static void sh(const char *leaf, const char *line, char *out, size_t size)
{
	char err[1024];
	int r = lmc_test_lmctl(out, size, err, sizeof(err), "run", leaf, "--", "/bin/sh", "-c",
			       line, NULL);

	if (r != 0)
		fail_msg("'%s' in %s: %d %s", line, leaf, r, err);
}

static void test_private_proc_and_lo_only(void **state)
{
	char out[4096];

	(void)state;
	LMCTL_OK("create", "n", "--ns=pid,mnt,uts,ipc,net");
	/* Only the init and this shell's own processes are visible. */
	sh("n", "ls /proc | grep -c '^[0-9]'", out, sizeof(out));
	assert_true(atoi(out) >= 2 && atoi(out) <= 4);
	sh("n", "cat /proc/1/comm", out, sizeof(out));
	assert_string_equal(out, "lmctl-init\n");
	/* A fresh image of its own, not a copy of whoever started it: its command line is the
	 * one it was re-executed with. */
	sh("n", "tr '\\0' ' ' < /proc/1/cmdline", out, sizeof(out));
	assert_true(strncmp(out, "lmctl-init 1 ", 13) == 0);
	/* Interfaces: the header lines and lo, nothing else; lo is up. */
	sh("n", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '", out, sizeof(out));
	assert_string_equal(out, "lo\n");
	sh("n",
	   "cat /sys/class/net/lo/operstate 2>/dev/null || echo unknown; cat /sys/class/net/lo/flags",
	   out, sizeof(out));
	assert_true(strtoul(strchr(out, '\n') + 1, NULL, 16) & 1); /* IFF_UP */
}

static void test_user_namespace_map(void **state)
{
	char out[1024];

	(void)state;
	LMCTL_OK("create", "u", "--ns=user,pid,mnt,uts", "--uid-map=0:200000:65536",
		 "--gid-map=0:200000:65536");
	sh("u", "cat /proc/self/uid_map; id -u", out, sizeof(out));
	/* "0 200000 65536" with the kernel's column padding, then uid 0 inside. */
	{
		unsigned long in, outside, count;
		int uid;

		assert_int_equal(sscanf(out, "%lu %lu %lu %d", &in, &outside, &count, &uid), 4);
		assert_int_equal(in, 0);
		assert_int_equal(outside, 200000);
		assert_int_equal(count, 65536);
		assert_int_equal(uid, 0);
	}
}

static void test_orphan_reaped_by_init(void **state)
{
	char out[1024];

	(void)state;
	LMCTL_OK("create", "o", "--ns=pid,mnt");
	LMCTL_OK("run", "o", "--", lmc_test_self_exe(), "orphan");
	/* The grandchild exits 100 ms later; the init must reap it: no zombie in the
	 * container, waited for with a bound. */
	for (int i = 0; i < 100; i++) {
		sh("o", "cat /proc/[0-9]*/stat 2>/dev/null | awk '$3 == \"Z\"' | wc -l", out,
		   sizeof(out));
		if (atoi(out) == 0 && i > 2)
			break;
		usleep(20 * 1000);
	}
	assert_int_equal(atoi(out), 0);
}

struct usage_wait {
	const char *name;
	uint64_t above;
};

static bool usage_above(void *ud)
{
	struct usage_wait *w = ud;

	return lmc_test_stat(w->name, "cpu.usage_ns") > w->above;
}

static void test_pause_stops_cpu(void **state)
{
	struct usage_wait w = {"p/leaf", 0};
	uint64_t a, b;

	(void)state;
	LMCTL_OK("create", "p");
	LMCTL_OK("create", "p/leaf");
	LMCTL_OK("run", "-d", "p/leaf", "--", lmc_test_self_exe(), "spin");
	usleep(100 * 1000);
	LMCTL_OK("pause", "p");
	a = lmc_test_stat("p/leaf", "cpu.usage_ns");
	usleep(300 * 1000);
	b = lmc_test_stat("p/leaf", "cpu.usage_ns");
	assert_true(b - a < 5 * 1000 * 1000); /* frozen: < 5 ms in 300 ms */
	LMCTL_OK("resume", "p");
	/* Running again: another 50 ms of CPU, however busy the machine is. */
	w.above = b + 50 * 1000 * 1000;
	assert_int_equal(lmc_test_wait_until(usage_above, &w, 10000), 0);
}

static bool pids_zero(void *name)
{
	return lmc_test_stat(name, "pids.current") == 0;
}

/* No process left in the container: its pid count reaches 0 within 5 s. */
static bool gone(const char *name)
{
	return lmc_test_wait_until(pids_zero, (void *)name, 5000) == 0;
}

static bool three_pids(void *name)
{
	return lmc_test_stat(name, "pids.current") >= 3;
}

static void test_kill_reaches_everything(void **state)
{
	(void)state;
	LMCTL_OK("create", "k");
	LMCTL_OK("create", "k/a");
	LMCTL_OK("create", "k/b", "--ns=pid,mnt");
	LMCTL_OK("run", "-d", "k/a", "--", "/bin/sh", "-c", "sleep 100 & sleep 100 & wait");
	LMCTL_OK("run", "-d", "k/b", "--", "/bin/sh", "-c", "sleep 100 & wait");
	/* run -d answers once the shell is exec'd: its two sleeps come a moment later. */
	assert_int_equal(lmc_test_wait_until(three_pids, (void *)"k/a", 5000), 0);
	LMCTL_OK("kill", "-r", "k");
	/* Gone from the cgroups at once; pids.current drops when whoever inherited them
	 * (the host's init for detached runs) has reaped the zombies. */
	assert_true(gone("k/a"));
	assert_true(gone("k/b"));
	/* A TERM reaches a forked shell family too. */
	LMCTL_OK("run", "-d", "k/a", "--", "/bin/sh", "-c", "sleep 100 & wait");
	LMCTL_OK("kill", "-s", "TERM", "k/a");
	assert_true(gone("k/a"));
}

static void test_list_pids_and_enter(void **state)
{
	char out[2048], pidbuf[32];
	pid_t pid;

	(void)state;
	LMCTL_OK("create", "e");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	snprintf(pidbuf, sizeof(pidbuf), "%d", pid);
	LMCTL_OK("enter", "e", pidbuf);
	assert_int_equal(lmc_test_lmctl(out, sizeof(out), NULL, 0, "list", "--pids", "e", NULL), 0);
	assert_non_null(strstr(out, pidbuf));
	LMCTL_OK("destroy", "-r", "e");
	/* destroy -r killed it: it is our child, so it is a zombie or gone. */
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

static void test_bad_process_input(void **state)
{
	static const char *const bad[][6] = {
		{"run", "parent", "--", "/bin/true"}, /* not a leaf */
		{"run", "parent/leaf", "--", "/nonexistent/cmd"}, /* missing command */
		{"run", "--uid=nosuchuser", "parent/leaf", "--", "/bin/true"},
		{"create", "parent/x", "--ns=pid,bogus"}, /* bad namespace name */
		{"run", "nosuch", "--", "/bin/true"},
		{"enter", "parent/leaf", "999999999"},
	};
	char err[1024];

	(void)state;
	LMCTL_OK("create", "parent");
	LMCTL_OK("create", "parent/leaf");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = lmc_test_lmctl(NULL, 0, err, sizeof(err), bad[i][0], bad[i][1], bad[i][2],
				       bad[i][3], bad[i][4], bad[i][5], NULL);

		if (r == 0 || !err[0] || strchr(err, '\n') != err + strlen(err) - 1)
			fail_msg("'%s %s %s' gave %d '%s'", bad[i][0], bad[i][1], bad[i][2], r,
				 err);
	}
	/* Nothing was left running. */
	assert_int_equal(lmc_test_stat("parent/leaf", "pids.current"), 0);
	assert_int_equal(lmc_test_stat("parent", "pids.current"), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_namespaces_shared_per_leaf, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_private_proc_and_lo_only, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_user_namespace_map, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_orphan_reaped_by_init, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_pause_stops_cpu, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_kill_reaches_everything, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_list_pids_and_enter, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_bad_process_input, lmc_test_env_setup,
						lmc_test_env_teardown),
	};

	if (argc > 1) {
		if (strcmp(argv[1], "nsinfo") == 0)
			return work_nsinfo();
		if (strcmp(argv[1], "spin") == 0)
			return work_spin();
		if (strcmp(argv[1], "orphan") == 0)
			return work_orphan();
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
