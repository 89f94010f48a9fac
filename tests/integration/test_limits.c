/* Parent-bounded limits (issue 4) end to end: the lmctl binary (direct mode) on real cgroups.
 * Every kind of refusal leaves the cgroup files and the stored specs byte-for-byte as they
 * were; an accepted overcommit of hard limits is held to the parent by the kernel; init
 * reports the machine less the reserve; spec shows asked and effective values.
 *
 * This binary doubles as the workload: `test_limits alloc ANON_MB [CACHE_MB FILE]` touches
 * ANON_MB of anonymous memory, optionally leaves CACHE_MB of clean page cache, then waits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "controllers/cgroupfs.h"
#include "base/name.h"
#include "base/spec.h"
#include "tests/lib/lmctl-run.h"

/* The kernel's ceiling for kernel.pid_max on 64-bit (include/linux/threads.h). */
#define PID_MAX_LIMIT (4ULL * 1024 * 1024)
#include "tests/lib/scratch.h"

#define MiB (1ULL << 20)

/* ---- workload (runs inside a container) ---- */

static int work_alloc(int argc, char **argv)
{
	size_t anon = strtoull(argv[2], NULL, 10) * MiB;
	size_t cache = argc > 4 ? strtoull(argv[3], NULL, 10) * MiB : 0;
	char ready[4096];
	char *p = mmap(NULL, anon, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return 3;
	memset(p, 1, anon);
	if (cache) {
		/* Written and synced: clean page cache, charged here, that reclaim may drop. */
		int fd = open(argv[4], O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd < 0)
			return 4;
		for (size_t done = 0; done < cache; done += MiB)
			if (write(fd, p, MiB) != (ssize_t)MiB)
				return 5;
		if (fdatasync(fd) < 0)
			return 6;
		close(fd);
		/* FILE.ready: everything is charged, nothing more will be. */
		snprintf(ready, sizeof(ready), "%s.ready", argv[4]);
		fd = open(ready, O_WRONLY | O_CREAT, 0600);
		if (fd < 0)
			return 7;
		close(fd);
	}
	for (;;)
		pause();
	return 0;
}

/* ---- reading lmctl's output ---- */

static uint64_t stat_of(const char *name, const char *key)
{
	char out[8192];

	assert_int_equal(lmc_test_lmctl(out, sizeof(out), NULL, 0, "stats", "--json", name, NULL),
			 0);
	return lmc_test_json_u64(out, key);
}

/* ---- snapshots: cgroup files and stored specs, byte for byte ---- */

static char *slurp(const char *path, size_t *len)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r = 0;

	if (fd < 0)
		return NULL;
	while (n < sizeof(buf) && (r = read(fd, buf + n, sizeof(buf) - n)) > 0)
		n += r;
	close(fd);
	*len = n;
	return r < 0 ? NULL : buf;
}

/* PSI averages decay by themselves; these files are writable only to register triggers. */
static bool volatile_file(const char *name)
{
	size_t n = strlen(name);

	return n > 9 && strcmp(name + n - 9, ".pressure") == 0 &&
	       strcmp(name, "cgroup.pressure") != 0;
}

static void snap_file(FILE *o, const char *path, bool rec_only)
{
	size_t len = 0;
	const char *data;

	if (rec_only && !strstr(path, ".rec"))
		return;
	data = slurp(path, &len);
	fprintf(o, "== %s\n", path);
	if (!data)
		fprintf(o, "<unreadable: %d>", errno);
	/* Escaped, so the snapshot is one C string (records are binary). */
	for (size_t i = 0; data && i < len; i++) {
		unsigned char c = data[i];

		if ((c >= 0x20 && c < 0x7f && c != '\\') || c == '\n')
			fputc(c, o);
		else
			fprintf(o, "\\x%02x", c);
	}
	fputc('\n', o);
}

/* Every writable regular file below dir (every directory, recursively, sorted), or with
 * rec_only every entry's name and the bytes of each *.rec. */
static void snap_dir(FILE *o, const char *dir, bool rec_only)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);

	if (n < 0) {
		fprintf(o, "== %s <no directory: %d>\n", dir, errno);
		return;
	}
	for (int i = 0; i < n; i++) {
		const char *e = ents[i]->d_name;
		char path[2048];
		struct stat st;

		if (strcmp(e, ".") != 0 && strcmp(e, "..") != 0) {
			snprintf(path, sizeof(path), "%s/%s", dir, e);
			if (lstat(path, &st) < 0)
				fprintf(o, "== %s <gone>\n", path);
			else if (S_ISDIR(st.st_mode))
				snap_dir(o, path, rec_only);
			else if (rec_only)
				fprintf(o, "entry %s\n", path);
			if (S_ISREG(st.st_mode) && (rec_only || (st.st_mode & S_IWUSR)) &&
			    !volatile_file(e))
				snap_file(o, path, rec_only);
		}
		free(ents[i]);
	}
	free(ents);
}

/* The whole scratch root in every hierarchy (so every container involved, its ancestors
 * and its children), then the store. malloc'd. */
static char *snapshot(struct lmc_test_env *f)
{
	char *buf = NULL, path[1024];
	size_t len = 0;
	FILE *o = open_memstream(&buf, &len);

	assert_non_null(o);
	for (int c = 0; c < LMC_CTRL__MAX; c++) {
		if (!lmc_cgfs_has(f->cg, c))
			continue;
		assert_int_equal(lmc_cgfs_path(f->cg, c, "", path, sizeof(path)), 0);
		snap_dir(o, path, false);
	}
	snprintf(path, sizeof(path), "%s/containers", f->state);
	snap_dir(o, path, true);
	fclose(o);
	return buf;
}

/* Fail naming the first file whose bytes differ. */
static void assert_same_snapshot(const char *what, const char *a, const char *b)
{
	const char *file = "(start)", *pa = a, *pb = b;

	if (strcmp(a, b) == 0)
		return;
	while (*pa && *pa == *pb) {
		if (strncmp(pa, "== ", 3) == 0)
			file = pa;
		pa = strchr(pa, '\n') ? strchr(pa, '\n') + 1 : pa + strlen(pa);
		pb = strchr(pb, '\n') ? strchr(pb, '\n') + 1 : pb + strlen(pb);
		if (strncmp(pa, pb, strcspn(pa, "\n") + 1) != 0)
			break;
	}
	fail_msg("after '%s' the state changed; first difference in %.200s\nbefore: %.200s\n"
		 "after:  %.200s",
		 what, file, pa, pb);
}

/* The snapshot sees what it must: the container's memory limit file with the kernel's value
 * and its stored record (so a refusal that wrote either would be caught). */
static void assert_snapshot_covers(struct lmc_test_env *f, const char *name, uint64_t mem_limit)
{
	char *snap = snapshot(f), path[1024], want[1200], rec[LMC_NAME_MAX + 8];

	assert_int_equal(lmc_cgfs_path(f->cg, LMC_CTRL_MEMORY, name, path, sizeof(path)), 0);
	snprintf(want, sizeof(want), "== %s/%s\n%" PRIu64 "\n", path,
		 lmc_cgfs_mode(f->cg) == LMC_CG_V2 ? "memory.max" : "memory.limit_in_bytes",
		 mem_limit);
	if (!strstr(snap, want))
		fail_msg("snapshot lacks '%s'", want);
	snprintf(rec, sizeof(rec), "/%s.rec\n", name);
	for (char *p = strchr(rec, '/') + 1; *p; p++)
		if (*p == '/')
			*p = '+';
	if (!strstr(snap, rec))
		fail_msg("snapshot lacks the record %s", rec);
	free(snap);
}

/* ---- refusals ---- */

struct refusal {
	const char *argv[6];
	const char *want[8]; /* substrings of the one-line error */
};

/* Run one refused command: non-zero exit, one line on stderr with every wanted substring,
 * and nothing changed in any cgroup file or stored record. */
static void check_refusal(struct lmc_test_env *f, const struct refusal *t)
{
	char *before = snapshot(f), *after, err[2048], cmd[256] = "";
	const char *const *a = t->argv;
	int r;

	for (int i = 0; a[i]; i++)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "%s ", a[i]);
	r = lmc_test_lmctl(NULL, 0, err, sizeof(err), a[0], a[1], a[2], a[3], a[4], a[5], NULL);
	print_message("%s-> %d: %s", cmd, r, err);
	if (r == 0)
		fail_msg("'%s' was accepted", cmd);
	if (!err[0] || strchr(err, '\n') != err + strlen(err) - 1)
		fail_msg("'%s': stderr is not one line: '%s'", cmd, err);
	for (int i = 0; t->want[i]; i++)
		if (!strstr(err, t->want[i]))
			fail_msg("'%s': error does not name '%s': %s", cmd, t->want[i], err);
	after = snapshot(f);
	assert_same_snapshot(cmd, before, after);
	free(before);
	free(after);
}

/* ---- fixture ---- */

/* The root's capacity as lmctl reports it (after any init). */
static void capacity(uint64_t *mem, uint64_t *cpu_m, uint64_t *pids)
{
	char out[4096];

	assert_int_equal(lmc_test_lmctl(out, sizeof(out), NULL, 0, "init", "--json", NULL), 0);
	*mem = lmc_test_json_u64(out, "capacity.memory.limit_bytes");
	*cpu_m = lmc_test_json_u64(out, "capacity.cpu.limit_millicores");
	*pids = lmc_test_json_u64(out, "capacity.pids.limit");
}

/* ---- tests ---- */

/* The tree the refusals below run against: limits and reservations to collide with. */
static void refusal_tree(const char *half_cpu)
{
	LMCTL_OK("create", "a", "--memory=256M", "--cpus=1", "--pids-limit=100");
	LMCTL_OK("create", "a/b", "--memory=128M");
	LMCTL_OK("create", "p", "--memory=512M", "--memory-reservation=128M");
	LMCTL_OK("create", "p/c1", "--memory=200M", "--memory-reservation=64M");
	LMCTL_OK("create", "r", "--memory=256M");
	LMCTL_OK("create", "r/x", "--memory-reservation=100M");
	LMCTL_OK("create", "r/y", "--memory-reservation=120M");
	LMCTL_OK("create", "cr", "--cpu-reservation", half_cpu);
}

static void test_refusals_change_nothing(void **state)
{
	struct lmc_test_env *f = *state;
	char over_mem[32], cap_mem[32], over_cpu[32], cap_cpu[32], half_cpu[32], rest_cpu[32];
	char asked_mem[32];
	uint64_t mem, cpu_m, pids;

	capacity(&mem, &cpu_m, &pids);
	snprintf(over_mem, sizeof(over_mem), "--memory=%" PRIu64, mem + 4096);
	lmc_format_size(mem + 4096, asked_mem, sizeof(asked_mem));
	lmc_format_size(mem, cap_mem, sizeof(cap_mem));
	lmc_format_cpus(cpu_m + 100, over_cpu + 7, sizeof(over_cpu) - 7);
	memcpy(over_cpu, "--cpus=", 7);
	lmc_format_cpus(cpu_m, cap_cpu, sizeof(cap_cpu));
	lmc_format_cpus(cpu_m / 2, half_cpu, sizeof(half_cpu));
	lmc_format_cpus(cpu_m - cpu_m / 2 + 100, rest_cpu, sizeof(rest_cpu));
	refusal_tree(half_cpu);
	{
		const struct refusal t[] = {
			/* hard limits over the parent's effective one, at create and update */
			{{"create", "a/n", "--memory=300M"},
			 {"a/n", "memory", "300M", "256M", "set by a"}},
			{{"create", "a/b/n", "--memory=129M"},
			 {"a/b/n", "memory", "129M", "128M", "set by a/b"}},
			{{"update", "a/b", "--memory=300M"},
			 {"a/b", "memory", "300M", "256M", "set by a"}},
			{{"update", "a/b", "--cpus=1.5"}, {"a/b", "cpu", "1.5", "1", "set by a"}},
			{{"create", "a/b/n", "--pids-limit=101"},
			 {"a/b/n", "pids", "101", "100", "set by a"}},
			/* reservations overcommitted; reservation above own limit */
			{{"create", "p/c2", "--memory-reservation=65M"},
			 {"p/c2", "reservation", "65M", "128M", "p's"}},
			{{"create", "p/c3", "--memory=32M", "--memory-reservation=64M"},
			 {"p/c3", "reservation", "64M", "32M"}},
			{{"update", "p/c1", "--memory-reservation=201M"},
			 {"p/c1", "reservation", "201M", "200M"}},
			/* lowering a parent below a child's limit / children's reservations */
			{{"update", "p", "--memory=150M"}, {"p", "memory", "150M", "200M", "p/c1"}},
			{{"update", "r", "--memory=200M"},
			 {"r", "memory", "200M", "220M", "r/x", "r/y"}},
			{{"update", "p", "--memory-reservation=63M"},
			 {"p", "reservation", "63M", "64M", "p/c1"}},
			/* the machine root's capacity */
			{{"create", "big", over_mem},
			 {"big", "memory", asked_mem, cap_mem, "machine"}},
			{{"update", "cr", over_mem},
			 {"cr", "memory", asked_mem, cap_mem, "machine"}},
			{{"create", "big", over_cpu},
			 {"big", "cpu", over_cpu + 7, cap_cpu, "machine"}},
			{{"create", "big", "--cpu-reservation", rest_cpu},
			 {"big", "reservation", rest_cpu, half_cpu, cap_cpu, "machine"}},
		};

		assert_snapshot_covers(f, "a/b", 128 * MiB);
		for (size_t i = 0; i < ARRAY_SIZE(t); i++)
			check_refusal(f, &t[i]);
	}
}

struct usage_wait {
	const char *name, *ready;
	uint64_t bytes;
};

static bool usage_reached(void *ud)
{
	struct usage_wait *w = ud;

	return access(w->ready, F_OK) == 0 && stat_of(w->name, "memory.usage_bytes") >= w->bytes;
}

static void test_memory_below_usage_needs_force(void **state)
{
	struct lmc_test_env *f = *state;
	char file[128], ready[140];
	struct usage_wait w = {"w", ready, 64 * MiB};
	const struct refusal t = {{"update", "w", "--memory=32M"},
				  {"w", "memory", "32M", "current usage"}};
	const char *lim_file = lmc_cgfs_mode(f->cg) == LMC_CG_V2 ? "memory.max"
								 : "memory.limit_in_bytes";
	char *before, *after;
	uint64_t v;

	snprintf(file, sizeof(file), "%s/cache", f->state);
	snprintf(ready, sizeof(ready), "%s/cache.ready", f->state);
	LMCTL_OK("create", "w", "--memory=256M");
	/* 16M of anonymous memory and 48M of clean page cache: over 64M in use, of which
	 * reclaim can give back enough to fit under 32M when forced. */
	LMCTL_OK("run", "-d", "w", "--", lmc_test_self_exe(), "alloc", "16", "48", file);
	assert_int_equal(lmc_test_wait_until(usage_reached, &w, 20000), 0);
	check_refusal(f, &t);
	/* With --force it is accepted: the kernel reclaims to fit, and both the kernel and
	 * the stored spec change. */
	before = snapshot(f);
	LMCTL_OK("update", "w", "--memory=32M", "--force");
	after = snapshot(f);
	assert_string_not_equal(before, after);
	free(before);
	free(after);
	assert_int_equal(lmc_cgfs_read_u64(f->cg, LMC_CTRL_MEMORY, "w", lim_file, &v), 0);
	assert_int_equal(v, 32 * MiB);
	assert_int_equal(stat_of("w", "memory.limit_bytes"), 32 * MiB);
	/* The kernel enforced it: it reclaimed the cache to fit, or, where the cache cannot be
	 * reclaimed (the v2 VM's /tmp is in memory, and shmem stays charged), it OOM-killed. */
	assert_true(stat_of("w", "memory.usage_bytes") <= 32 * MiB ||
		    stat_of("w", "memory.oom_kills") > 0);
}

/* ---- overcommit: the kernel holds siblings to their parent ---- */

struct mem_wait {
	const char *name;
	uint64_t bytes;
};

static bool usage_at_least(void *ud)
{
	struct mem_wait *w = ud;

	return stat_of(w->name, "memory.usage_bytes") >= w->bytes;
}

static uint64_t oom_kills(const char *name)
{
	uint64_t v = stat_of(name, "memory.oom_kills");

	return v == LMC_UNSET ? 0 : v;
}

/* Until the kernel OOM-kills in p's subtree; the parent's usage is held at every sample. */
static bool oom_in_parent(void *ud)
{
	uint64_t usage = stat_of("p", "memory.usage_bytes"), limit = *(uint64_t *)ud;

	if (usage > limit)
		fail_msg("p uses %" PRIu64 " over its limit %" PRIu64, usage, limit);
	return oom_kills("p/c1") + oom_kills("p/c2") >= 1;
}

static void test_overcommit_held_to_parent(void **state)
{
	uint64_t n = 256 * MiB, child = 154 * MiB; /* 0.6N each: 1.2N together */
	struct mem_wait w = {NULL, 140 * MiB};

	(void)state;
	LMCTL_OK("create", "p", "--memory=256M");
	LMCTL_OK("create", "p/c1", "--memory=154M");
	LMCTL_OK("create", "p/c2", "--memory=154M"); /* the overcommit is accepted */
	/* Either child alone reaches its 140M: the parent's room is all its own. */
	for (int i = 0; i < 2; i++) {
		w.name = i ? "p/c2" : "p/c1";
		LMCTL_OK("run", "-d", w.name, "--", lmc_test_self_exe(), "alloc", "140");
		if (lmc_test_wait_until(usage_at_least, &w, 20000) < 0)
			fail_msg("%s alone did not reach 140M", w.name);
		assert_int_equal(oom_kills(w.name), 0);
		if (i == 0)
			LMCTL_OK("kill", "p/c1");
	}
	/* c2 holds 140M; c1 asks for 140M more, past the 116M left in p: the kernel kills
	 * within p, and p never holds more than N. */
	LMCTL_OK("run", "-d", "p/c1", "--", lmc_test_self_exe(), "alloc", "140");
	assert_int_equal(lmc_test_wait_until(oom_in_parent, &n, 20000), 0);
	print_message("OOM kills: p/c1 %" PRIu64 ", p/c2 %" PRIu64 ", p %" PRIu64
		      "; peaks: p %" PRIu64 "M\n",
		      oom_kills("p/c1"), oom_kills("p/c2"), oom_kills("p"),
		      stat_of("p", "memory.peak_bytes") >> 20);
	assert_true(stat_of("p", "memory.peak_bytes") <= n);
	assert_true(stat_of("p/c1", "memory.peak_bytes") <= child);
	assert_true(stat_of("p/c2", "memory.peak_bytes") <= child);
	assert_int_equal(stat_of("p", "memory.limit_bytes"), n);
}

/* ---- init: the machine less the reserve bounds the top level ---- */

static uint64_t read_proc_u64(const char *path, const char *key)
{
	char buf[8192], *p;
	size_t len = 0;
	const char *d = slurp(path, &len);

	assert_non_null(d);
	memcpy(buf, d, len < sizeof(buf) - 1 ? len : sizeof(buf) - 1);
	buf[len < sizeof(buf) - 1 ? len : sizeof(buf) - 1] = '\0';
	p = key ? strstr(buf, key) : buf;
	assert_non_null(p);
	return strtoull(p + (key ? strlen(key) : 0), NULL, 10);
}

static const char *line_of(const char *text, const char *start, char *buf, size_t size)
{
	const char *p = strstr(text, start);

	if (!p)
		fail_msg("no '%s' line in: %s", start, text);
	snprintf(buf, size, "%.*s", (int)strcspn(p, "\n"), p);
	return buf;
}

/* Text shows the machine's memory for people: 1024-based, one decimal ("memory 23.5G,"). */
static void human_memory(uint64_t bytes, char *buf, size_t size)
{
	double human = (double)bytes;
	const char *unit = "KMGTPE";

	for (human /= 1024; human >= 1024 && unit[1]; unit++)
		human /= 1024;
	snprintf(buf, size, "memory %.1f%c,", human, *unit);
}

static void test_init_reports_capacity(void **state)
{
	struct lmc_test_env *f = *state;
	uint64_t mem = read_proc_u64("/proc/meminfo", "MemTotal:") << 10;
	uint64_t cpus = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t pid_max = read_proc_u64("/proc/sys/kernel/pid_max", NULL);
	uint64_t cap_mem = mem - (1ULL << 30), cap_cpu = cpus * 1000 - 500;
	char out[4096], line[256], s_mem[32], s_human[40], s_cpu[32], s_pids[32], over[3][48],
		asked[32];

	human_memory(cap_mem, s_human, sizeof(s_human));
	lmc_format_size(cap_mem, s_mem, sizeof(s_mem));
	lmc_format_cpus(cap_cpu, s_cpu, sizeof(s_cpu));
	snprintf(s_pids, sizeof(s_pids), "%" PRIu64, pid_max);
	assert_int_equal(lmc_test_lmctl(out, sizeof(out), NULL, 0, "init", "--reserve-memory=1G",
					"--reserve-cpus=0.5", NULL),
			 0);
	print_message("%s", out);
	line_of(out, "reserve:", line, sizeof(line));
	assert_non_null(strstr(line, "memory 1.0G,"));
	assert_non_null(strstr(line, "0.5"));
	line_of(out, "capacity:", line, sizeof(line));
	assert_non_null(strstr(line, s_human));
	assert_non_null(strstr(line, s_cpu));
	assert_non_null(strstr(line, s_pids));
	/* The reserve is kept: a later init without flags reports the same. */
	assert_int_equal(lmc_test_lmctl(out, sizeof(out), NULL, 0, "init", "--json", NULL), 0);
	assert_int_equal(lmc_test_json_u64(out, "machine.memory_bytes"), mem);
	assert_int_equal(lmc_test_json_u64(out, "machine.cpus"), cpus);
	assert_int_equal(lmc_test_json_u64(out, "machine.pid_max"), pid_max);
	assert_int_equal(lmc_test_json_u64(out, "reserve.memory_bytes"), 1ULL << 30);
	assert_int_equal(lmc_test_json_u64(out, "reserve.cpu_millicores"), 500);
	assert_int_equal(lmc_test_json_u64(out, "capacity.memory.limit_bytes"), cap_mem);
	assert_int_equal(lmc_test_json_u64(out, "capacity.cpu.limit_millicores"), cap_cpu);
	assert_int_equal(lmc_test_json_u64(out, "capacity.pids.limit"), pid_max);
	/* Equal to the capacity is allowed; one byte, 0.1 cpu or one pid over is not. */
	snprintf(over[0], sizeof(over[0]), "--memory=%" PRIu64, cap_mem);
	LMCTL_OK("create", "edge", over[0]);
	snprintf(over[0], sizeof(over[0]), "--memory=%" PRIu64, cap_mem + 1);
	lmc_format_size(cap_mem + 1, asked, sizeof(asked));
	memcpy(over[1], "--cpus=", 7);
	lmc_format_cpus(cap_cpu + 100, over[1] + 7, sizeof(over[1]) - 7);
	snprintf(over[2], sizeof(over[2]), "--pids-limit=%" PRIu64, pid_max + 1);
	{
		const struct refusal t[] = {
			{{"create", "big", over[0]}, {"big", "memory", asked, s_mem, "machine"}},
			{{"create", "big", over[1]}, {"big", "cpu", over[1] + 7, s_cpu, "machine"}},
			{{"create", "big", over[2]},
			 {"big", "pids", over[2] + 13, s_pids, "machine"}},
		};

		/* Where pid_max is already the kernel's ceiling (4194304, systemd's default), one
		 * pid over is refused by the flag's own range, before any container is named. */
		size_t n = pid_max >= PID_MAX_LIMIT ? ARRAY_SIZE(t) - 1 : ARRAY_SIZE(t);

		for (size_t i = 0; i < n; i++)
			check_refusal(f, &t[i]);
	}
}

/* ---- spec: asked and effective, with the ancestor that sets it ---- */

struct field {
	uint64_t asked, eff;
	char by[LMC_NAME_MAX + 8]; /* "" for null */
};

/* res: a dotted path below asked/effective/set_by ("memory.limit_bytes"). */
static void spec_field(const char *name, const char *res, struct field *ret)
{
	char out[8192], path[96];
	const char *b;

	assert_int_equal(lmc_test_lmctl(out, sizeof(out), NULL, 0, "spec", "--json", name, NULL),
			 0);
	snprintf(path, sizeof(path), "asked.%s", res);
	ret->asked = lmc_test_json_u64(out, path);
	snprintf(path, sizeof(path), "effective.%s", res);
	ret->eff = lmc_test_json_u64(out, path);
	snprintf(path, sizeof(path), "set_by.%s", res);
	b = lmc_test_json_find(out, path);
	snprintf(ret->by, sizeof(ret->by), "%.*s", b && *b == '"' ? (int)strcspn(b + 1, "\"") : 0,
		 b ? b + 1 : "");
}

static void expect_field(const char *name, const char *res, uint64_t asked, uint64_t eff,
			 const char *by)
{
	struct field got;

	spec_field(name, res, &got);
	if (got.asked != asked || got.eff != eff || strcmp(got.by, by) != 0)
		fail_msg("%s %s: asked %" PRIu64 " effective %" PRIu64 " set by '%s'; want %" PRIu64
			 " %" PRIu64 " '%s'",
			 name, res, got.asked, got.eff, got.by, asked, eff, by);
}

static void test_spec_asked_and_effective(void **state)
{
	struct lmc_test_env *f = *state;
	uint64_t cap_mem, cap_cpu, cap_pids, v;

	capacity(&cap_mem, &cap_cpu, &cap_pids);
	LMCTL_OK("create", "t", "--memory=256M", "--pids-limit=100");
	LMCTL_OK("create", "t/mid", "--cpus=1");
	LMCTL_OK("create", "t/mid/leaf", "--memory=128M");
	expect_field("t/mid/leaf", "memory.limit_bytes", 128 * MiB, 128 * MiB, "t/mid/leaf");
	expect_field("t/mid/leaf", "cpu.limit_millicores", LMC_UNSET, 1000, "t/mid");
	expect_field("t/mid/leaf", "pids.limit", LMC_UNSET, 100, "t");
	expect_field("t/mid/leaf", "memory.reservation_bytes", LMC_UNSET, LMC_UNSET, "");
	expect_field("t/mid", "memory.limit_bytes", LMC_UNSET, 256 * MiB, "t");
	expect_field("t/mid", "cpu.limit_millicores", 1000, 1000, "t/mid");
	expect_field("t/mid", "pids.limit", LMC_UNSET, 100, "t");
	expect_field("t", "memory.limit_bytes", 256 * MiB, 256 * MiB, "t");
	expect_field("t", "cpu.limit_millicores", LMC_UNSET, cap_cpu, "/"); /* the machine root */
	/* The middle's unset memory limit inherits: nothing was written for it. */
	if (lmc_cgfs_mode(f->cg) != LMC_CG_V2) {
		assert_int_equal(lmc_cgfs_read_u64(f->cg, LMC_CTRL_MEMORY, "t/mid",
						   "memory.limit_in_bytes", &v),
				 0);
		assert_true(v > cap_mem);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refusals_change_nothing, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_memory_below_usage_needs_force,
						lmc_test_env_setup, lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_overcommit_held_to_parent, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_init_reports_capacity, lmc_test_env_setup,
						lmc_test_env_teardown),
		cmocka_unit_test_setup_teardown(test_spec_asked_and_effective, lmc_test_env_setup,
						lmc_test_env_teardown),
	};
	if (argc > 2 && strcmp(argv[1], "alloc") == 0)
		return work_alloc(argc, argv);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
