/* Specs and unit parsers: accepted values, refused values and the one-line errors users see.
 * Longer than 800 lines because it is mostly tables of inputs, one per line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "base/spec.h"

#define K 1024ULL
#define M (1024ULL * K)
#define G (1024ULL * M)
#define T (1024ULL * G)

/* err holds a one-line message containing every given piece. */
static void assert_msg(const struct lmc_err *err, const char *a, const char *b)
{
	if (!strstr(err->msg, a) || (b && !strstr(err->msg, b)))
		fail_msg("message '%s' lacks '%s' / '%s'", err->msg, a, b ? b : "");
	assert_true(err->code < 0);
	assert_null(strpbrk(err->msg, "\r\n"));
}

struct good_u64 {
	const char *s;
	uint64_t v;
};

static void test_parse_size_good(void **state)
{
	static const struct good_u64 good[] = {
		{"0", 0},
		{"1", 1},
		{"4096", 4096},
		{"1K", K},
		{"1k", K},
		{"1KB", K},
		{"1kb", K},
		{"1B", 1},
		{"512M", 512 * M},
		{"512m", 512 * M},
		{"4G", 4 * G},
		{"1T", T},
		{"1.5G", G + 512 * M},
		{"0.5K", 512},
		{".5M", 512 * K},
		{"2.0G", 2 * G},
		{"1.25k", 1280},
		{"16777215T", 16777215 * T},
		{"18446744073709551614", UINT64_MAX - 1},
	};
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		struct lmc_err err = {0};
		uint64_t v = 7;

		assert_int_equal(lmc_parse_size("--memory", good[i].s, &v, &err), 0);
		assert_int_equal(v, good[i].v);
		assert_int_equal(err.code, 0);
	}
}

static void test_parse_size_bad(void **state)
{
	static const char *const bad[] = {
		"",
		"-1",
		"-1G",
		"12Q",
		"abc",
		"1.5",
		"1.",
		"K",
		"1 G",
		" 1",
		"1GG",
		"1Gi",
		"1KiB",
		"0x10",
		"1e9",
		"+1",
		"1.5.5G",
		"1.3K",
		"1G ",
		"G1",
		"1,5G",
		"16777216T",
		"18446744073709551615",
		"18446744073709551616",
		"99999999999999999999999",
		"0.0000000000000000000001K",
	};
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct lmc_err err = {0};
		char want[128];
		uint64_t v = 7;

		assert_int_equal(lmc_parse_size("--memory", bad[i], &v, &err), -EINVAL);
		assert_int_equal(v, 7); /* untouched on failure */
		snprintf(want, sizeof(want), "'%s'", bad[i]);
		assert_msg(&err, "--memory: invalid size ", want);
	}
}

static void test_parse_size_messages(void **state)
{
	struct lmc_err err = {0};
	uint64_t v;
	(void)state;

	assert_int_equal(lmc_parse_size("--memory", "12Q", &v, &err), -EINVAL);
	assert_string_equal(err.msg, "--memory: invalid size '12Q'");
	lmc_err_clear(&err);
	assert_int_equal(lmc_parse_size("--memory", "-1", &v, &err), -EINVAL);
	assert_string_equal(err.msg, "--memory: invalid size '-1': must not be negative");
	lmc_err_clear(&err);
	assert_int_equal(lmc_parse_size("--memory", "99999999T", &v, &err), -EINVAL);
	assert_string_equal(err.msg, "--memory: invalid size '99999999T': too large");
	lmc_err_clear(&err);
	assert_int_equal(lmc_parse_size("--memory", "1.3K", &v, &err), -EINVAL);
	assert_string_equal(err.msg, "--memory: invalid size '1.3K': not a whole number");
	/* no flag: the message starts at the reason */
	lmc_err_clear(&err);
	assert_int_equal(lmc_parse_size(NULL, "x", &v, &err), -EINVAL);
	assert_string_equal(err.msg, "invalid size 'x'");
	/* no err: still refused */
	assert_int_equal(lmc_parse_size("--memory", "x", &v, NULL), -EINVAL);
}

static void test_format_size(void **state)
{
	static const struct good_u64 tab[] = {
		{"0", 0},
		{"1", 1},
		{"1000", 1000},
		{"1K", K},
		{"1536K", 1536 * K},
		{"512M", 512 * M},
		{"1536M", 1536 * M},
		{"1G", G},
		{"4G", 4 * G},
		{"1T", T},
		{"2047", 2047},
		{"1025K", 1025 * K},
	};
	char buf[32];
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(tab); i++) {
		uint64_t back;

		lmc_format_size(tab[i].v, buf, sizeof(buf));
		assert_string_equal(buf, tab[i].s);
		/* what is printed parses back to the same number */
		assert_int_equal(lmc_parse_size(NULL, buf, &back, NULL), 0);
		assert_int_equal(back, tab[i].v);
	}
}

static void test_parse_cpus(void **state)
{
	static const struct good_u64 good[] = {
		{"1", 1000},
		{"1.5", 1500},
		{"1500m", 1500},
		{"0.2", 200},
		{".5", 500},
		{"0.001", 1},
		{"1m", 1},
		{"2.000", 2000},
		{"2.50", 2500},
		{"0.25", 250},
		{"1000000", 1000000000ULL},
		{"1000000000m", 1000000000ULL},
	};
	static const char *const bad[] = {
		"",	  "abc",  "-1",	     "0",	"0m",  "0.0", "1.2.3",
		"0.0001", "1.5m", "1000001", "1e3",	"1 ",  "m",   "1M",
		"1.",	  "+1",	  "1,5",     "2 cores", "0x1", "1mm", "99999999999999999999999",
	};
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		uint64_t v = 7;

		assert_int_equal(lmc_parse_cpus("--cpus", good[i].s, &v, NULL), 0);
		assert_int_equal(v, good[i].v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct lmc_err err = {0};
		char want[128];
		uint64_t v = 7;

		assert_int_equal(lmc_parse_cpus("--cpus", bad[i], &v, &err), -EINVAL);
		assert_int_equal(v, 7);
		snprintf(want, sizeof(want), "'%s'", bad[i]);
		assert_msg(&err, "--cpus: invalid cpu count ", want);
	}
}

static void test_format_cpus(void **state)
{
	static const struct good_u64 tab[] = {
		{"1.5", 1500},	{"0.2", 200},	   {"1", 1000},
		{"0.001", 1},	{"0.25", 250},	   {"0", 0},
		{"1.01", 1010}, {"12.345", 12345}, {"1000000", 1000000000ULL},
	};
	char buf[32];
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(tab); i++) {
		lmc_format_cpus(tab[i].v, buf, sizeof(buf));
		assert_string_equal(buf, tab[i].s);
	}
}

struct str_pair {
	const char *in, *out;
};

static void test_parse_cpulist(void **state)
{
	static const struct str_pair good[] = {
		{"0", "0"},	{"0-3,5", "0-3,5"}, {"5,0-3,4", "0-5"}, {"3,1,2", "1-3"},
		{"0-1", "0-1"}, {"1,3,5", "1,3,5"}, {"2-2", "2"},	{"0-4095", "0-4095"},
		{"1,1,1", "1"}, {"0-2,1-5", "0-5"}, {"7,6,5", "5-7"},	{"4095", "4095"},
	};
	static const char *const bad[] = {
		"",	"a",	  "3-1", "0,,1",  "1-",	 "-1", ",1",  "1,",
		"4096", "0-5000", "1 ",	 "1-2-3", "0x1", " 1", "1;2", "99999999999999999999999",
	};
	char out[LMC_CPUSET_MAX], many[1200];
	size_t len = 0;
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		assert_int_equal(lmc_parse_cpulist("--cpuset-cpus", good[i].in, out, NULL), 0);
		assert_string_equal(out, good[i].out);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct lmc_err err = {0};
		char want[128];

		strcpy(out, "untouched");
		assert_int_equal(lmc_parse_cpulist("--cpuset-cpus", bad[i], out, &err), -EINVAL);
		assert_string_equal(out, "untouched");
		snprintf(want, sizeof(want), "'%s'", bad[i]);
		assert_msg(&err, "--cpuset-cpus: ", want);
	}
	/* every even cpu up to 400: no canonical form fits LMC_CPUSET_MAX */
	for (unsigned c = 0; c <= 400; c += 2)
		len += (size_t)snprintf(many + len, sizeof(many) - len, "%s%u", c ? "," : "", c);
	{
		struct lmc_err err = {0};

		assert_int_equal(lmc_parse_cpulist("--cpuset-cpus", many, out, &err), -EINVAL);
		assert_msg(&err, "--cpuset-cpus: ", "too long");
	}
}

static void test_parse_cpulist_messages(void **state)
{
	struct lmc_err err = {0};
	char out[LMC_CPUSET_MAX];
	(void)state;

	assert_int_equal(lmc_parse_cpulist("--cpuset-cpus", "3-1", out, &err), -EINVAL);
	assert_string_equal(err.msg, "--cpuset-cpus: invalid list '3-1': range 3-1 is reversed");
	lmc_err_clear(&err);
	assert_int_equal(lmc_parse_cpulist("--cpuset-mems", "0-5000", out, &err), -EINVAL);
	assert_string_equal(
		err.msg, "--cpuset-mems: invalid list '0-5000': 5000 is above the maximum id 4095");
}

static void test_parse_u64(void **state)
{
	struct lmc_err err = {0};
	uint64_t v = 7;
	(void)state;

	assert_int_equal(lmc_parse_u64("--pids-limit", "1", 1, 4194304, &v, NULL), 0);
	assert_int_equal(v, 1);
	assert_int_equal(lmc_parse_u64("--pids-limit", "4194304", 1, 4194304, &v, NULL), 0);
	assert_int_equal(v, 4194304);
	assert_int_equal(lmc_parse_u64("--pids-limit", "0", 1, 4194304, &v, &err), -EINVAL);
	assert_string_equal(err.msg, "--pids-limit: 0 is out of range 1..4194304");
	lmc_err_clear(&err);
	assert_int_equal(lmc_parse_u64("--pids-limit", "4194305", 1, 4194304, &v, &err), -EINVAL);
	assert_string_equal(err.msg, "--pids-limit: 4194305 is out of range 1..4194304");
	lmc_err_clear(&err);
	assert_int_equal(lmc_parse_u64("--pids-limit", "99999999999999999999", 1, 4194304, &v,
				       &err),
			 -EINVAL);
	assert_msg(&err, "--pids-limit: 99999999999999999999 is out of range", NULL);
	{
		static const char *const bad[] = {"", "-1", "abc", "1K", "1.5", " 1", "1 ", "+1"};

		for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
			char want[64];

			lmc_err_clear(&err);
			assert_int_equal(lmc_parse_u64("--pids-limit", bad[i], 1, 4194304, &v,
						       &err),
					 -EINVAL);
			snprintf(want, sizeof(want), "--pids-limit: invalid number '%s'", bad[i]);
			assert_string_equal(err.msg, want);
		}
	}
	assert_int_equal(v, 4194304);
}

/* The first block device under /dev, if any (the test of paths needs one). */
static bool find_block_device(char *path, size_t size, struct stat *st)
{
	DIR *d = opendir("/dev");
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		snprintf(path, size, "/dev/%s", de->d_name);
		found = stat(path, st) == 0 && S_ISBLK(st->st_mode);
	}
	closedir(d);
	return found;
}

static void test_parse_throttle_raw(void **state)
{
	struct lmc_spec blk;
	struct lmc_spec_blkio *b = &blk.blkio;
	struct lmc_err err = {0};
	(void)state;

	lmc_spec_init(&blk);
	assert_int_equal(lmc_parse_throttle("--device-read-bps", "8:0:10M", 0, b, &err), 0);
	assert_int_equal(b->n_throttles, 1);
	assert_int_equal(b->throttles[0].major, 8);
	assert_int_equal(b->throttles[0].minor, 0);
	assert_string_equal(b->throttles[0].path, "8:0");
	assert_int_equal(b->throttles[0].read_bps, 10 * M);
	assert_int_equal(b->throttles[0].write_bps, LMC_UNSET);
	assert_int_equal(b->throttles[0].read_iops, LMC_UNSET);
	/* same device, another rate: one entry */
	assert_int_equal(lmc_parse_throttle("--device-write-bps", "8:0:1G", 1, b, &err), 0);
	assert_int_equal(lmc_parse_throttle("--device-read-iops", "8:0:1K", 2, b, &err), 0);
	assert_int_equal(lmc_parse_throttle("--device-write-iops", "8:0:250", 3, b, &err), 0);
	assert_int_equal(b->n_throttles, 1);
	assert_int_equal(b->throttles[0].write_bps, G);
	assert_int_equal(b->throttles[0].read_iops, 1000); /* iops count: K = 1000 */
	assert_int_equal(b->throttles[0].write_iops, 250);
	/* the same rate of the same device again is refused, not silently replaced */
	assert_int_equal(lmc_parse_throttle("--device-read-bps", "8:0:20M", 0, b, &err), -EINVAL);
	assert_string_equal(err.msg, "--device-read-bps: device 8:0 is given twice (10M, then "
				     "20M); give each device once");
	assert_int_equal(b->throttles[0].read_bps, 10 * M);
	lmc_err_clear(&err);
	assert_int_equal(lmc_parse_throttle("--device-write-iops", "8:0:300", 3, b, &err), -EINVAL);
	assert_msg(&err, "--device-write-iops: device 8:0 is given twice (250, then 300)", NULL);
	assert_int_equal(b->throttles[0].write_iops, 250);
	lmc_err_clear(&err);
	/* another device: a second entry */
	assert_int_equal(lmc_parse_throttle("--device-read-bps", "8:16:1M", 0, b, &err), 0);
	assert_int_equal(b->n_throttles, 2);
	assert_int_equal(b->throttles[1].minor, 16);
	assert_int_equal(err.code, 0);
	assert_int_equal(lmc_parse_throttle("--device-read-bps", "8:0:1M", 4, b, &err), -EINVAL);
}

static void test_parse_throttle_bad(void **state)
{
	static const struct str_pair bad[] = {
		{"8:0", "invalid device '8'"},
		{"8:0:0", "must be greater than 0"},
		{"8:0:abc", "invalid rate 'abc'"},
		{"8:0:-1", "invalid rate '-1'"},
		{"8:0:", "invalid rate ''"},
		{"x:1M", "invalid device 'x'"},
		{":1M", "expected DEVICE:RATE"},
		{"10M", "expected DEVICE:RATE"},
		{"", "expected DEVICE:RATE"},
		{"a:b:1M", "invalid device 'a:b'"},
		{"8:x:1M", "invalid device '8:x'"},
		{"4294967296:0:1M", "invalid device '4294967296:0'"},
		{"/dev/null:10M", "/dev/null is not a block device"},
		{"/dev:10M", "/dev is not a block device"},
		{"/nonexistent-lmctl:1M", "cannot stat '/nonexistent-lmctl'"},
	};
	struct lmc_spec s;
	(void)state;

	lmc_spec_init(&s);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct lmc_err err = {0};

		assert_true(lmc_parse_throttle("--device-read-bps", bad[i].in, 0, &s.blkio, &err) <
			    0);
		assert_msg(&err, "--device-read-bps: ", bad[i].out);
		assert_int_equal(s.blkio.n_throttles, 0);
	}
	{
		struct lmc_err err = {0};

		assert_int_equal(lmc_parse_throttle("--device-read-bps", "/dev/null:10M", 0,
						    &s.blkio, &err),
				 -EINVAL);
		assert_string_equal(err.msg, "--device-read-bps: /dev/null is not a block device");
		lmc_err_clear(&err);
		assert_int_equal(lmc_parse_throttle("--device-read-iops", "8:0:1.5", 2, &s.blkio,
						    &err),
				 -EINVAL);
		assert_msg(&err, "--device-read-iops: invalid iops '1.5'", NULL);
	}
}

static void test_parse_throttle_path(void **state)
{
	char path[300], arg[320];
	struct lmc_spec s;
	struct stat st;
	(void)state;

	if (!find_block_device(path, sizeof(path), &st))
		skip();
	lmc_spec_init(&s);
	snprintf(arg, sizeof(arg), "%s:10M", path);
	assert_int_equal(lmc_parse_throttle("--device-read-bps", arg, 0, &s.blkio, NULL), 0);
	assert_int_equal(s.blkio.n_throttles, 1);
	assert_int_equal(s.blkio.throttles[0].major, major(st.st_rdev));
	assert_int_equal(s.blkio.throttles[0].minor, minor(st.st_rdev));
	assert_string_equal(s.blkio.throttles[0].path, path); /* kept as given */
	assert_int_equal(s.blkio.throttles[0].read_bps, 10 * M);
	/* the same device by number lands in the same entry */
	snprintf(arg, sizeof(arg), "%u:%u:5M", major(st.st_rdev), minor(st.st_rdev));
	assert_int_equal(lmc_parse_throttle("--device-write-bps", arg, 1, &s.blkio, NULL), 0);
	assert_int_equal(s.blkio.n_throttles, 1);
	assert_int_equal(s.blkio.throttles[0].write_bps, 5 * M);
}

static void test_parse_throttle_max(void **state)
{
	struct lmc_err err = {0};
	struct lmc_spec s;
	char arg[32];
	(void)state;

	lmc_spec_init(&s);
	for (unsigned i = 0; i < LMC_THROTTLE_MAX; i++) {
		snprintf(arg, sizeof(arg), "8:%u:1M", i);
		assert_int_equal(lmc_parse_throttle("--device-read-bps", arg, 0, &s.blkio, NULL),
				 0);
	}
	assert_int_equal(s.blkio.n_throttles, LMC_THROTTLE_MAX);
	/* an existing device still takes another rate; a new one does not fit */
	assert_int_equal(lmc_parse_throttle("--device-write-bps", "8:3:1M", 1, &s.blkio, NULL), 0);
	assert_int_equal(lmc_parse_throttle("--device-read-bps", "9:0:1M", 0, &s.blkio, &err),
			 -EINVAL);
	assert_msg(&err, "--device-read-bps: ", "at most 16 devices");
	assert_int_equal(s.blkio.n_throttles, LMC_THROTTLE_MAX);
}

static void test_parse_ns(void **state)
{
	static const enum lmc_ns all[] = {LMC_NS_PID, LMC_NS_MNT,  LMC_NS_UTS,	 LMC_NS_IPC,
					  LMC_NS_NET, LMC_NS_USER, LMC_NS_CGROUP};
	static const char *const bad[] = {"foo", "pid,foo", "pid,,mnt", "",
					  "PID", "pid ",    ",pid",	"pid,"};
	struct lmc_err err = {0};
	uint32_t mask = 0;
	(void)state;

	assert_int_equal(lmc_parse_ns("--ns", "pid,mnt,uts,ipc,net,user,cgroup", &mask, NULL), 0);
	assert_int_equal(mask, LMC_NS_ALL);
	assert_int_equal(lmc_parse_ns("--ns", "pid", &mask, NULL), 0);
	assert_int_equal(mask, LMC_NS_PID);
	assert_int_equal(lmc_parse_ns("--ns", "net,pid,net", &mask, NULL), 0);
	assert_int_equal(mask, LMC_NS_PID | LMC_NS_NET);
	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		uint32_t one = 0;

		assert_int_equal(lmc_parse_ns("--ns", lmc_ns_name(all[i]), &one, NULL), 0);
		assert_int_equal(one, all[i]);
	}
	assert_int_equal(lmc_parse_ns("--ns", "foo", &mask, &err), -EINVAL);
	assert_string_equal(err.msg, "--ns: unknown namespace 'foo'");
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		lmc_err_clear(&err);
		mask = 77;
		assert_int_equal(lmc_parse_ns("--ns", bad[i], &mask, &err), -EINVAL);
		assert_int_equal(mask, 77);
		assert_msg(&err, "--ns: unknown namespace '", NULL);
	}
	assert_string_equal(lmc_ns_name(LMC_NS_CGROUP), "cgroup");
	assert_string_equal(lmc_ns_name(LMC_NS_ALL), "unknown");
}

static void test_parse_idmap(void **state)
{
	static const struct str_pair bad[] = {
		{"0:100000", "expected INSIDE:OUTSIDE:COUNT"},
		{"0:100000:65536:1", "expected INSIDE:OUTSIDE:COUNT"},
		{"a:b:c", "expected INSIDE:OUTSIDE:COUNT"},
		{"-1:0:1", "expected INSIDE:OUTSIDE:COUNT"},
		{"", "expected INSIDE:OUTSIDE:COUNT"},
		{"0:1:1,", "expected INSIDE:OUTSIDE:COUNT"},
		{"0:0:4294967296", "expected INSIDE:OUTSIDE:COUNT"},
		{"0:100000:0", "is empty"},
		{"4294967295:0:2", "goes past id 4294967295"},
		{"0:4294967295:2", "goes past id 4294967295"},
		{"0:1:10,5:100:10", "overlap"},
		{"0:1:1,1:2:1,2:3:1,3:4:1,4:5:1,5:6:1,6:7:1,7:8:1,8:9:1", "at most 8 ranges"},
	};
	struct lmc_idmap maps[LMC_IDMAP_MAX] = {{0}};
	unsigned n = 99;
	(void)state;

	assert_int_equal(lmc_parse_idmap("--uid-map", "0:100000:65536", maps, &n, NULL), 0);
	assert_int_equal(n, 1);
	assert_int_equal(maps[0].inside, 0);
	assert_int_equal(maps[0].outside, 100000);
	assert_int_equal(maps[0].count, 65536);
	assert_int_equal(lmc_parse_idmap("--uid-map", "0:100000:1,1:200000:65535", maps, &n, NULL),
			 0);
	assert_int_equal(n, 2);
	assert_int_equal(maps[1].inside, 1);
	assert_int_equal(maps[1].outside, 200000);
	assert_int_equal(maps[1].count, 65535);
	assert_int_equal(lmc_parse_idmap("--uid-map", "4294967295:0:1", maps, &n, NULL), 0);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct lmc_err err = {0};

		n = 99;
		assert_int_equal(lmc_parse_idmap("--gid-map", bad[i].in, maps, &n, &err), -EINVAL);
		assert_int_equal(n, 99);
		assert_msg(&err, "--gid-map: ", bad[i].out);
	}
}

static void test_spec_init_and_stats_init(void **state)
{
	struct lmc_spec s;
	struct lmc_stats st;
	(void)state;

	memset(&s, 0x5a, sizeof(s));
	lmc_spec_init(&s);
	assert_int_equal(s.cpu.reservation_m, LMC_UNSET);
	assert_int_equal(s.cpu.limit_m, LMC_UNSET);
	assert_int_equal(s.cpu.shares, LMC_UNSET);
	assert_int_equal(s.max_containers, LMC_UNSET);
	assert_int_equal(s.cpu.period_us, LMC_UNSET);
	assert_string_equal(s.cpu.cpus, "");
	assert_string_equal(s.cpu.mems, "");
	assert_int_equal(s.cpu.latency, LMC_LATENCY_UNSET);
	assert_int_equal(s.memory.limit, LMC_UNSET);
	assert_int_equal(s.memory.reservation, LMC_UNSET);
	assert_int_equal(s.memory.high, LMC_UNSET);
	assert_int_equal(s.memory.swap, LMC_UNSET);
	assert_int_equal(s.memory.oom_group, -1);
	assert_true(s.memory.eviction_priority == INT64_MIN);
	assert_int_equal(s.blkio.weight, LMC_UNSET);
	assert_int_equal(s.blkio.n_throttles, 0);
	assert_int_equal(s.pids.limit, LMC_UNSET);
	assert_int_equal(s.ns.mask, 0);
	assert_string_equal(s.ns.hostname, "");
	assert_int_equal(s.ns.n_uid_map + s.ns.n_gid_map, 0);
	assert_int_equal(s.owner, LMC_OWNER_UNSET);
	assert_int_equal(lmc_spec_validate("jobA", &s, NULL), 0);

	memset(&st, 0, sizeof(st));
	lmc_stats_init(&st);
	assert_int_equal(st.cpu_usage_ns, LMC_UNSET);
	assert_int_equal(st.cpu_throttled_ns, LMC_UNSET);
	assert_int_equal(st.mem_usage, LMC_UNSET);
	assert_int_equal(st.mem_oom_events, LMC_UNSET);
	assert_int_equal(st.io_write_ops, LMC_UNSET);
	assert_int_equal(st.pids_current, LMC_UNSET);
	assert_int_equal(st.pids_limit, LMC_UNSET);
	assert_false(st.psi_cpu.present);
	assert_false(st.psi_memory.present);
	assert_false(st.psi_io.present);
	assert_true(st.psi_io.some_avg10 == 0.0);
}

static void test_cpu_shares(void **state)
{
	struct lmc_spec s;
	(void)state;

	lmc_spec_init(&s);
	assert_int_equal(lmc_spec_cpu_shares(&s.cpu), LMC_UNSET);
	s.cpu.reservation_m = 1000;
	assert_int_equal(lmc_spec_cpu_shares(&s.cpu), 1024);
	s.cpu.reservation_m = 1500;
	assert_int_equal(lmc_spec_cpu_shares(&s.cpu), 1536);
	s.cpu.reservation_m = 250;
	assert_int_equal(lmc_spec_cpu_shares(&s.cpu), 256);
	s.cpu.reservation_m = 1;
	assert_int_equal(lmc_spec_cpu_shares(&s.cpu), 2);
	s.cpu.reservation_m = 0;
	assert_int_equal(lmc_spec_cpu_shares(&s.cpu), 2);
	s.cpu.reservation_m = 256000;
	assert_int_equal(lmc_spec_cpu_shares(&s.cpu), 262144);
	s.cpu.reservation_m = 1000000000ULL;
	assert_int_equal(lmc_spec_cpu_shares(&s.cpu), 262144);
	/* latency-sensitive keeps the reservation's shares, batch yields */
	s.cpu.reservation_m = 2000;
	s.cpu.latency = LMC_LATENCY_SENSITIVE;
	assert_int_equal(lmc_spec_cpu_shares(&s.cpu), 2048);
	s.cpu.latency = LMC_LATENCY_BATCH;
	assert_int_equal(lmc_spec_cpu_shares(&s.cpu), 2);
	s.cpu.reservation_m = LMC_UNSET;
	assert_int_equal(lmc_spec_cpu_shares(&s.cpu), 2);
	/* explicit shares win over both */
	s.cpu.shares = 512;
	s.cpu.reservation_m = 4000;
	assert_int_equal(lmc_spec_cpu_shares(&s.cpu), 512);
}

static void test_merge_overlay(void **state)
{
	struct lmc_spec base, upd;
	struct lmc_err err = {0};
	(void)state;

	lmc_spec_init(&base);
	base.memory.limit = G;
	base.memory.reservation = 256 * M;
	base.cpu.limit_m = 2000;
	strcpy(base.cpu.cpus, "0-1");
	base.pids.limit = 64;
	base.owner = 1000;
	base.max_containers = 64;
	base.memory.oom_group = 1;
	lmc_spec_init(&upd);
	upd.memory.limit = 2 * G;
	upd.blkio.weight = 200;
	upd.memory.eviction_priority = -5;
	assert_int_equal(lmc_spec_merge(&base, &upd, &err), 0);
	assert_int_equal(err.code, 0);
	assert_int_equal(base.memory.limit, 2 * G);
	assert_int_equal(base.memory.reservation, 256 * M); /* unset in upd: kept */
	assert_int_equal(base.cpu.limit_m, 2000);
	assert_string_equal(base.cpu.cpus, "0-1");
	assert_int_equal(base.pids.limit, 64);
	assert_int_equal(base.owner, 1000);
	assert_int_equal(base.max_containers, 64);
	assert_int_equal(base.memory.oom_group, 1);
	assert_int_equal(base.blkio.weight, 200);
	assert_true(base.memory.eviction_priority == -5);
	/* every kind of field can be overlaid */
	lmc_spec_init(&upd);
	strcpy(upd.cpu.cpus, "1");
	strcpy(upd.cpu.mems, "0");
	upd.cpu.latency = LMC_LATENCY_BATCH;
	upd.cpu.shares = 100;
	upd.cpu.period_us = 50000;
	upd.cpu.reservation_m = 500;
	upd.memory.oom_group = 0;
	upd.memory.high = 3 * G / 2;
	upd.memory.swap = 4 * G;
	upd.pids.limit = 128;
	upd.owner = 0;
	upd.max_containers = 0;
	assert_int_equal(lmc_spec_merge(&base, &upd, &err), 0);
	assert_int_equal(base.max_containers, 0);
	assert_string_equal(base.cpu.cpus, "1");
	assert_string_equal(base.cpu.mems, "0");
	assert_int_equal(base.cpu.latency, LMC_LATENCY_BATCH);
	assert_int_equal(base.cpu.shares, 100);
	assert_int_equal(base.cpu.period_us, 50000);
	assert_int_equal(base.cpu.reservation_m, 500);
	assert_int_equal(base.memory.oom_group, 0);
	assert_int_equal(base.memory.high, 3 * G / 2);
	assert_int_equal(base.memory.swap, 4 * G);
	assert_int_equal(base.pids.limit, 128);
	assert_int_equal(base.owner, 0);
	assert_int_equal(base.memory.limit, 2 * G);
}

static void test_merge_throttles(void **state)
{
	struct lmc_spec base, upd, before;
	struct lmc_err err = {0};
	(void)state;

	lmc_spec_init(&base);
	lmc_spec_init(&upd);
	assert_int_equal(lmc_parse_throttle("--device-read-bps", "8:0:10M", 0, &base.blkio, NULL),
			 0);
	assert_int_equal(lmc_parse_throttle("--device-write-bps", "8:0:5M", 1, &upd.blkio, NULL),
			 0);
	assert_int_equal(lmc_parse_throttle("--device-read-iops", "8:16:100", 2, &upd.blkio, NULL),
			 0);
	assert_int_equal(lmc_spec_merge(&base, &upd, &err), 0);
	assert_int_equal(base.blkio.n_throttles, 2);
	assert_int_equal(base.blkio.throttles[0].read_bps, 10 * M); /* kept */
	assert_int_equal(base.blkio.throttles[0].write_bps, 5 * M); /* added */
	assert_int_equal(base.blkio.throttles[1].major, 8);
	assert_int_equal(base.blkio.throttles[1].minor, 16);
	assert_int_equal(base.blkio.throttles[1].read_iops, 100);
	assert_int_equal(base.blkio.throttles[1].read_bps, LMC_UNSET);
	assert_string_equal(base.blkio.throttles[1].path, "8:16"); /* display name carried over */
	/* a rate replaced on one device leaves the other device alone */
	lmc_spec_init(&upd);
	assert_int_equal(lmc_parse_throttle("--device-read-bps", "8:0:1M", 0, &upd.blkio, NULL), 0);
	assert_int_equal(lmc_spec_merge(&base, &upd, &err), 0);
	assert_int_equal(base.blkio.throttles[0].read_bps, M);
	assert_int_equal(base.blkio.throttles[1].read_iops, 100);
	/* no room for a new device: refused, spec as before */
	lmc_spec_init(&base);
	for (unsigned i = 0; i < LMC_THROTTLE_MAX; i++) {
		char arg[32];

		snprintf(arg, sizeof(arg), "8:%u:1M", i);
		assert_int_equal(lmc_parse_throttle(NULL, arg, 0, &base.blkio, NULL), 0);
	}
	lmc_spec_init(&upd);
	upd.memory.limit = G;
	assert_int_equal(lmc_parse_throttle(NULL, "9:0:1M", 0, &upd.blkio, NULL), 0);
	before = base;
	assert_true(lmc_spec_merge(&base, &upd, &err) < 0);
	assert_msg(&err, "at most 16 devices", "9:0");
	assert_memory_equal(&base, &before, sizeof(base));
}

static void test_merge_namespaces(void **state)
{
	struct lmc_spec base, upd, before;
	struct lmc_err err = {0};
	(void)state;

	lmc_spec_init(&base);
	base.ns.mask = LMC_NS_PID | LMC_NS_UTS;
	strcpy(base.ns.hostname, "box");
	lmc_spec_init(&upd);
	upd.memory.limit = G;
	/* no namespace field in the update: fine */
	assert_int_equal(lmc_spec_merge(&base, &upd, &err), 0);
	assert_int_equal(base.ns.mask, LMC_NS_PID | LMC_NS_UTS);
	/* restating the same namespaces: fine */
	upd.ns = base.ns;
	assert_int_equal(lmc_spec_merge(&base, &upd, &err), 0);
	/* any change is refused and nothing else is applied either */
	struct {
		uint32_t mask;
		const char *host;
		unsigned n_uid;
	} changes[] = {
		{LMC_NS_PID | LMC_NS_UTS | LMC_NS_NET, "box", 0},
		{LMC_NS_PID | LMC_NS_UTS, "other", 0},
		{LMC_NS_PID | LMC_NS_UTS, "box", 1},
		{LMC_NS_PID, "", 0},
	};
	for (size_t i = 0; i < ARRAY_SIZE(changes); i++) {
		lmc_spec_init(&upd);
		upd.memory.limit = 4 * G;
		upd.ns.mask = changes[i].mask;
		strcpy(upd.ns.hostname, changes[i].host);
		upd.ns.n_uid_map = changes[i].n_uid;
		upd.ns.uid_map[0] = (struct lmc_idmap){0, 100000, 65536};
		before = base;
		lmc_err_clear(&err);
		assert_int_equal(lmc_spec_merge(&base, &upd, &err), -EINVAL);
		assert_msg(&err, "namespaces", "cannot be changed");
		assert_memory_equal(&base, &before, sizeof(base));
	}
}

/* ---- validate: one table, each case one change to an otherwise empty spec ---- */

struct vcase {
	const char *what;
	void (*set)(struct lmc_spec *s);
	const char *want; /* NULL: accepted */
};

/* One validate case's change to an empty spec, as a function. */
#define V(fn, ...)                         \
	static void fn(struct lmc_spec *s) \
	{                                  \
		__VA_ARGS__;               \
	}
V(v_weight9, s->blkio.weight = 9)
V(v_weight10, s->blkio.weight = 10)
V(v_weight1000, s->blkio.weight = 1000)
V(v_weight1001, s->blkio.weight = 1001)
V(v_shares1, s->cpu.shares = 1)
V(v_shares2, s->cpu.shares = 2)
V(v_shares_max, s->cpu.shares = 262144)
V(v_shares_over, s->cpu.shares = 262145)
V(v_period999, s->cpu.period_us = 999)
V(v_period1000, s->cpu.period_us = 1000; s->cpu.limit_m = 1000)
V(v_period1m, s->cpu.period_us = 1000000)
V(v_period_over, s->cpu.period_us = 1000001)
V(v_pids0, s->pids.limit = 0)
V(v_pids1, s->pids.limit = 1)
V(v_pids_over, s->pids.limit = 4194305)
V(v_memres_over, s->memory.limit = G; s->memory.reservation = 2 * G)
V(v_memres_eq, s->memory.limit = G; s->memory.reservation = G)
V(v_memres_alone, s->memory.reservation = 2 * G)
V(v_mem_small, s->memory.limit = 2 * K)
V(v_mem_min, s->memory.limit = 4 * K)
V(v_cpures_over, s->cpu.limit_m = 1000; s->cpu.reservation_m = 2000)
V(v_cpures_eq, s->cpu.limit_m = 1500; s->cpu.reservation_m = 1500)
V(v_cpures_huge, s->cpu.reservation_m = 1000000001ULL)
V(v_cpus0, s->cpu.limit_m = 0)
V(v_cpus_huge, s->cpu.limit_m = 1000000001ULL)
V(v_cpus_quota_small, s->cpu.limit_m = 5)
V(v_cpus_quota_min, s->cpu.limit_m = 10)
V(v_cpus_quota_period, s->cpu.limit_m = 10; s->cpu.period_us = 50000)
V(v_swap_alone, s->memory.swap = 2 * G)
V(v_swap_below, s->memory.limit = 2 * G; s->memory.swap = G)
V(v_swap_eq, s->memory.limit = G; s->memory.swap = G)
V(v_swap_above, s->memory.limit = G; s->memory.swap = 2 * G)
V(v_oom_group, s->memory.oom_group = 2)
V(v_host_no_uts, strcpy(s->ns.hostname, "box"))
V(v_host_uts, strcpy(s->ns.hostname, "box"); s->ns.mask = LMC_NS_UTS)
V(v_host_bad, strcpy(s->ns.hostname, "a b"); s->ns.mask = LMC_NS_UTS)
V(v_uidmap_no_user, s->ns.n_uid_map = 1; s->ns.uid_map[0] = (struct lmc_idmap){0, 1000, 1})
V(v_gidmap_no_user, s->ns.n_gid_map = 1; s->ns.gid_map[0] = (struct lmc_idmap){0, 1000, 1})
V(v_uidmap_user, s->ns.n_uid_map = 1; s->ns.uid_map[0] = (struct lmc_idmap){0, 1000, 1};
  s->ns.mask = LMC_NS_USER)
V(v_uidmap_overflow, s->ns.n_uid_map = 1; s->ns.uid_map[0] = (struct lmc_idmap){0, 4294967295u, 2};
  s->ns.mask = LMC_NS_USER)
V(v_ns_bits, s->ns.mask = 1u << 20)
V(v_cpuset_bad, strcpy(s->cpu.cpus, "3-1"))
V(v_cpuset_good, strcpy(s->cpu.cpus, "0-1"); strcpy(s->cpu.mems, "0"))
V(v_mems_bad, strcpy(s->cpu.mems, "x"))
V(v_cpuset_unterminated, memset(s->cpu.cpus, '1', sizeof(s->cpu.cpus)))
V(v_throttle_zero, s->blkio.n_throttles = 1;
  s->blkio.throttles[0] = (struct lmc_throttle){.major = 8,
						.read_bps = LMC_UNSET,
						.write_bps = 0,
						.read_iops = LMC_UNSET,
						.write_iops = LMC_UNSET})
V(v_throttle_count, s->blkio.n_throttles = LMC_THROTTLE_MAX + 1)
V(v_throttle_dup, s->blkio.n_throttles = 2;
  s->blkio.throttles[0] = (struct lmc_throttle){8, 0, "8:0", M, LMC_UNSET, LMC_UNSET, LMC_UNSET};
  s->blkio.throttles[1] = s->blkio.throttles[0]; s->blkio.throttles[1].read_bps = 100 * G)
V(v_maxc0, s->max_containers = 0)
V(v_maxc_max, s->max_containers = 1048576)
V(v_maxc_over, s->max_containers = 1048577)
V(v_latency_bad, s->cpu.latency = (enum lmc_latency)7)
#undef V

static const struct vcase vcases[] = {
	{"blkio weight 9", v_weight9, "jobA/sub1: blkio.weight 9 is out of range 10..1000"},
	{"blkio weight 10", v_weight10, NULL},
	{"blkio weight 1000", v_weight1000, NULL},
	{"blkio weight 1001", v_weight1001, "jobA/sub1: blkio.weight 1001 is out of range"},
	{"shares 1", v_shares1, "jobA/sub1: cpu.shares 1 is out of range 2..262144"},
	{"shares 2", v_shares2, NULL},
	{"shares max", v_shares_max, NULL},
	{"shares over", v_shares_over, "cpu.shares 262145"},
	{"period 999", v_period999, "jobA/sub1: cpu.period_us 999 is out of range"},
	{"period 1000", v_period1000, NULL},
	{"period 1s", v_period1m, NULL},
	{"period over", v_period_over, "cpu.period_us 1000001"},
	{"pids 0", v_pids0, "jobA/sub1: pids.limit 0 is out of range 1..4194304"},
	{"pids 1", v_pids1, NULL},
	{"pids over", v_pids_over, "pids.limit 4194305"},
	{"mem reservation over", v_memres_over,
	 "jobA/sub1: memory.reservation 2G exceeds memory.limit 1G"},
	{"mem reservation equal", v_memres_eq, NULL},
	{"mem reservation alone", v_memres_alone, NULL},
	{"memory below minimum", v_mem_small, "jobA/sub1: memory.limit 2K is below the minimum 4K"},
	{"memory at minimum", v_mem_min, NULL},
	{"cpu reservation over", v_cpures_over,
	 "jobA/sub1: cpu.reservation_m 2 exceeds cpu.limit_m 1"},
	{"cpu reservation equal", v_cpures_eq, NULL},
	{"cpu reservation huge", v_cpures_huge, "cpu.reservation_m"},
	{"cpus 0", v_cpus0, "jobA/sub1: cpu.limit_m"},
	{"cpus huge", v_cpus_huge, "jobA/sub1: cpu.limit_m"},
	{"quota below 1ms", v_cpus_quota_small,
	 "jobA/sub1: cpu.limit_m 0.005 is below the minimum 0.01 for a 100000 us period"},
	{"quota at 1ms", v_cpus_quota_min, NULL},
	{"quota below 1ms, short period", v_cpus_quota_period, "minimum 0.02 for a 50000 us"},
	{"swap alone", v_swap_alone, "jobA/sub1: memory.swap 2G requires memory.limit"},
	{"swap below memory", v_swap_below, "jobA/sub1: memory.swap 1G"},
	{"swap equal", v_swap_eq, NULL},
	{"swap above", v_swap_above, NULL},
	{"oom group 2", v_oom_group, "memory.oom_group 2"},
	{"hostname without uts", v_host_no_uts,
	 "jobA/sub1: namespaces.hostname box requires the uts namespace"},
	{"hostname with uts", v_host_uts, NULL},
	{"bad hostname", v_host_bad, "namespaces.hostname 'a b' is not a valid hostname"},
	{"uid map without user", v_uidmap_no_user,
	 "jobA/sub1: namespaces.uid_map requires the user"},
	{"gid map without user", v_gidmap_no_user,
	 "jobA/sub1: namespaces.gid_map requires the user"},
	{"uid map with user", v_uidmap_user, NULL},
	{"uid map overflow", v_uidmap_overflow,
	 "jobA/sub1: namespaces.uid_map: range 0:4294967295:2"},
	{"unknown ns bits", v_ns_bits, "namespaces"},
	{"bad cpuset", v_cpuset_bad, "jobA/sub1: cpu.cpus: invalid list '3-1'"},
	{"good cpuset", v_cpuset_good, NULL},
	{"bad mems", v_mems_bad, "jobA/sub1: cpu.mems: invalid list 'x'"},
	{"unterminated cpuset", v_cpuset_unterminated, "cpu.cpus"},
	{"zero throttle", v_throttle_zero, "jobA/sub1: blkio.throttles.write_bps: rate for 8:0"},
	{"too many throttles", v_throttle_count, "at most 16"},
	{"a device twice", v_throttle_dup,
	 "jobA/sub1: device 8:0 has two throttle entries; give each device once"},
	{"max containers 0", v_maxc0, NULL},
	{"max containers at most", v_maxc_max, NULL},
	{"max containers over", v_maxc_over,
	 "jobA/sub1: max_containers 1048577 is out of range 0..1048576"},
	{"bad latency", v_latency_bad, "cpu.latency"},
};

static void test_validate_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(vcases); i++) {
		struct lmc_err err = {0};
		struct lmc_spec s;
		int r;

		lmc_spec_init(&s);
		vcases[i].set(&s);
		r = lmc_spec_validate("jobA/sub1", &s, &err);
		if (!vcases[i].want) {
			if (r != 0)
				fail_msg("%s: refused: %s", vcases[i].what, err.msg);
			continue;
		}
		if (r != -EINVAL)
			fail_msg("%s: accepted (r=%d)", vcases[i].what, r);
		assert_msg(&err, vcases[i].want, NULL);
	}
}

static void test_validate_root_name(void **state)
{
	struct lmc_err err = {0};
	struct lmc_spec s;
	(void)state;

	lmc_spec_init(&s);
	s.pids.limit = 0;
	assert_int_equal(lmc_spec_validate("", &s, &err), -EINVAL);
	assert_string_equal(err.msg, "/: pids.limit 0 is out of range 1..4194304");
	assert_int_equal(lmc_spec_validate("", &s, NULL), -EINVAL);
}

/* The malformed values of issue 3: each error names the flag and the value, on one line. */
static void test_issue3_values(void **state)
{
	struct lmc_err err = {0};
	uint64_t v;
	(void)state;

	assert_int_equal(lmc_parse_size("--memory", "-1", &v, &err), -EINVAL);
	assert_msg(&err, "--memory", "'-1'");
	lmc_err_clear(&err);
	assert_int_equal(lmc_parse_size("--memory", "12Q", &v, &err), -EINVAL);
	assert_string_equal(err.msg, "--memory: invalid size '12Q'");
	lmc_err_clear(&err);
	assert_int_equal(lmc_parse_cpus("--cpus", "abc", &v, &err), -EINVAL);
	assert_string_equal(err.msg, "--cpus: invalid cpu count 'abc'");
	lmc_err_clear(&err);
	assert_int_equal(lmc_parse_u64("--pids-limit", "0", 1, 4194304, &v, &err), -EINVAL);
	assert_string_equal(err.msg, "--pids-limit: 0 is out of range 1..4194304");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_size_good),
		cmocka_unit_test(test_parse_size_bad),
		cmocka_unit_test(test_parse_size_messages),
		cmocka_unit_test(test_format_size),
		cmocka_unit_test(test_parse_cpus),
		cmocka_unit_test(test_format_cpus),
		cmocka_unit_test(test_parse_cpulist),
		cmocka_unit_test(test_parse_cpulist_messages),
		cmocka_unit_test(test_parse_u64),
		cmocka_unit_test(test_parse_throttle_raw),
		cmocka_unit_test(test_parse_throttle_bad),
		cmocka_unit_test(test_parse_throttle_path),
		cmocka_unit_test(test_parse_throttle_max),
		cmocka_unit_test(test_parse_ns),
		cmocka_unit_test(test_parse_idmap),
		cmocka_unit_test(test_spec_init_and_stats_init),
		cmocka_unit_test(test_cpu_shares),
		cmocka_unit_test(test_merge_overlay),
		cmocka_unit_test(test_merge_throttles),
		cmocka_unit_test(test_merge_namespaces),
		cmocka_unit_test(test_validate_table),
		cmocka_unit_test(test_validate_root_name),
		cmocka_unit_test(test_issue3_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
