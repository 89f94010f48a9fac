/* Issue 11, items 7-11: a non-root owner may not escape or exhaust the limits it was given.
 * Every attack runs as a throw-away user that owns `sec-a`, through the real agent (its
 * socket, its peer credentials), and the test asserts it is refused or what the kernel
 * holds it to:
 *  7. containers: the owner cannot make more than its max_containers (64 by default);
 *  8. a device named twice in one spec ([1M, 100G]) is refused, not half-checked;
 *  9. on v1 a child without its own block throttle is held to its parent's (dd O_DIRECT);
 * 10. `enter` cannot move a process out of a container someone else owns;
 * 11. `run`/`enter` cannot take a container past its pids limit (pids.current).
 *
 * This binary doubles as a workload: `test_sec_limits sleep` sleeps until killed,
 * `test_sec_limits readdirect PATH MIB` reads MIB MiB of PATH with O_DIRECT (the VMs have no
 * dd that does). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "tests/integration/agent-harness.h"
#include "tests/lib/lmctl-run.h"
#include "tests/lib/testuser.h"
#include "tools/cli/backend.h"

#define MiB (1024ULL * 1024)
#define OUTSZ 8192

static struct lmc_test_user user;
static char owner_flag[48]; /* --owner=UID */
static char as_uid[3][32]; /* --uid=UID --gid=GID */
static char io_path[64]; /* a file the test made under /var/tmp, removed by teardown */

/* ---- fixture: one user for the program, one agent per test ---- */

static int group_setup(void **state)
{
	(void)state;
	if (!lmc_test_is_root())
		return 0;
	if (lmc_test_user_add(&user) < 0)
		return -1;
	snprintf(owner_flag, sizeof(owner_flag), "--owner=%u", (unsigned)user.uid);
	snprintf(as_uid[0], sizeof(as_uid[0]), "--uid=%u", (unsigned)user.uid);
	snprintf(as_uid[1], sizeof(as_uid[1]), "--gid=%u", (unsigned)user.gid);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	lmc_test_user_del(&user);
	return 0;
}

static int setup(void **state)
{
	static struct harness h;

	if (!lmc_test_is_root())
		skip();
	assert_int_equal(h_setup(&h), 0);
	assert_int_equal(chmod(h.sock, 0666), 0);
	/* Every lmctl below talks to this agent; were it gone, a direct fallback stays in the
	 * test's own state directory and scratch root. */
	setenv("LMCTL_SOCKET", h.sock, 1);
	setenv("LMCTL_STATE_DIR", h.state, 1);
	*state = &h;
	return 0;
}

static int teardown(void **state)
{
	if (io_path[0])
		unlink(io_path);
	io_path[0] = '\0';
	h_teardown(*state);
	return 0;
}

/* ---- running lmctl as root and as the owner ---- */

#define ROOT_OK(...)                                                                 \
	do {                                                                         \
		char _e[1024];                                                       \
		if (lmc_test_lmctl(NULL, 0, _e, sizeof(_e), __VA_ARGS__, NULL) != 0) \
			fail_msg("root: lmctl %s failed: %s", #__VA_ARGS__, _e);     \
	} while (0)

#define USER_OK(...)                                                                             \
	do {                                                                                     \
		char _e[1024];                                                                   \
		if (lmc_test_user_lmctl(&user, NULL, 0, _e, sizeof(_e), __VA_ARGS__, NULL) != 0) \
			fail_msg("owner: lmctl %s failed: %s", #__VA_ARGS__, _e);                \
	} while (0)

/* The owner's command is refused: non-zero exit, one line on stderr naming every want. */
#define USER_REFUSED(want, ...)                                                                  \
	do {                                                                                     \
		char _e[1024];                                                                   \
		int _r = lmc_test_user_lmctl(&user, NULL, 0, _e, sizeof(_e), __VA_ARGS__, NULL); \
		check_refused(#__VA_ARGS__, _r, _e, want);                                       \
	} while (0)

static void check_refused(const char *cmd, int r, const char *err, const char *const *want)
{
	print_message("owner: lmctl %s -> %d: %s", cmd, r, err);
	if (r == 0)
		fail_msg("owner: lmctl %s was accepted", cmd);
	if (!err[0] || strchr(err, '\n') != err + strlen(err) - 1)
		fail_msg("owner: lmctl %s: stderr is not one line: '%s'", cmd, err);
	for (size_t i = 0; want && want[i]; i++)
		if (!strstr(err, want[i]))
			fail_msg("owner: lmctl %s: error does not name '%s': %s", cmd, want[i],
				 err);
}

#define WANT(...) ((const char *const[]){__VA_ARGS__, NULL})

/* `run -d` as the owner (or root with --uid): the pid it prints. */
static pid_t user_run_d(const char *name)
{
	char out[256], err[1024];
	int r = lmc_test_user_lmctl(&user, out, sizeof(out), err, sizeof(err), "run", "-d",
				    "--json", name, "--", lmc_test_self_exe(), "sleep", NULL);

	if (r != 0)
		fail_msg("owner: run -d %s failed: %s", name, err);
	return (pid_t)lmc_test_json_u64(out, "pid");
}

static uint64_t kernel_u64(struct harness *h, enum lmc_ctrl c, const char *name, const char *file)
{
	uint64_t v = 0;

	if (lmc_cgfs_read_u64(h->cg, c, name, file, &v) < 0)
		fail_msg("cannot read %s of %s", file, name);
	return v;
}

static void kernel_str(struct harness *h, enum lmc_ctrl c, const char *name, const char *file,
		       char *buf, size_t size)
{
	if (lmc_cgfs_read(h->cg, c, name, file, buf, size) < 0)
		fail_msg("cannot read %s of %s", file, name);
}

static bool is_v2(struct harness *h)
{
	return lmc_cgfs_mode(h->cg) == LMC_CG_V2;
}

/* The container pid is in, in the pids hierarchy, relative to the scratch root. */
static void pid_in(struct harness *h, pid_t pid, char *buf, size_t size)
{
	char path[1024], root[1024];
	const char *p;

	assert_int_equal(lmc_test_pid_cgroup(pid, is_v2(h) ? "" : "pids", path, sizeof(path)), 0);
	snprintf(root, sizeof(root), "/%s/", h->root);
	p = strstr(path, root);
	snprintf(buf, size, "%.*s", (int)size - 1, p ? p + strlen(root) : path);
}

/* ---- 7: max containers ---- */

static void test_max_containers(void **state)
{
	struct harness *h = *state;
	char out[OUTSZ], name[64];

	ROOT_OK("create", "sec-a", owner_flag);
	/* Given to a non-root owner with nothing above bounding it: 64. The owner fills it,
	 * at any depth ... */
	for (int i = 0; i < 64; i++) {
		if (i % 2)
			snprintf(name, sizeof(name), "sec-a/c%d/n", i - 1);
		else
			snprintf(name, sizeof(name), "sec-a/c%d", i);
		USER_OK("create", name);
	}
	/* ... and not one more, at any depth. */
	USER_REFUSED(WANT("sec-a/c64", "sec-a", "64", "max containers"), "create", "sec-a/c64");
	USER_REFUSED(WANT("sec-a/c0/n/x", "64"), "create", "sec-a/c0/n/x");
	assert_int_equal(lmc_test_lmctl(out, sizeof(out), NULL, 0, "spec", "--json", "sec-a", NULL),
			 0);
	if (lmc_test_json_u64(out, "asked.max_containers") != 64 ||
	    lmc_test_json_u64(out, "effective.max_containers") != 64 ||
	    !strstr(out, "\"set_by\":{") || !strstr(out, "\"max_containers\":\"sec-a\""))
		fail_msg("spec does not show the default: %s", out);
	if (lmc_cgfs_has(h->cg, LMC_CTRL_UNIFIED))
		assert_int_equal(kernel_u64(h, LMC_CTRL_UNIFIED, "sec-a", "cgroup.max.descendants"),
				 64);
	/* Room comes back when one goes. */
	USER_OK("destroy", "sec-a/c2/n");
	USER_OK("create", "sec-a/c64");

	/* An explicit bound; a child may not ask for more than its parent allows. */
	ROOT_OK("create", "sec-b", owner_flag, "--max-containers=2");
	USER_REFUSED(WANT("sec-b/x", "max containers 5", "2", "sec-b"), "create", "sec-b/x",
		     "--max-containers=5");
	USER_OK("create", "sec-b/x");
	USER_OK("create", "sec-b/x/y");
	USER_REFUSED(WANT("sec-b/z", "2"), "create", "sec-b/z");
	/* The owner cannot raise its own bound; root cannot lower it below what it holds. */
	USER_REFUSED(NULL, "update", "sec-b", "--max-containers=100");
	{
		char err[1024];

		assert_true(lmc_test_lmctl(NULL, 0, err, sizeof(err), "update", "sec-b",
					   "--max-containers=1", NULL) != 0);
		assert_non_null(strstr(err, "below the 2 it holds"));
	}
	ROOT_OK("update", "sec-b", "--max-containers=3");
	USER_OK("create", "sec-b/z");
}

/* ---- the disk for block throttles ---- */

/* The disk to throttle: the whole disk under /var/tmp, else $LMCTL_TEST_BLOCKDEV (the VMs,
 * whose /var/tmp is in memory). *ret_file: reads go to a file on it the owner may read;
 * false: to the device itself, which only root may read. */
static int test_disk(dev_t *ret, bool *ret_file)
{
	const char *env = getenv("LMCTL_TEST_BLOCKDEV");
	char sys[384];
	struct stat st;

	*ret_file = true;
	if (stat("/var/tmp", &st) < 0 || major(st.st_dev) == 0) {
		*ret_file = false;
		if (!env || stat(env, &st) < 0 || !S_ISBLK(st.st_mode))
			return -ENODEV;
		*ret = st.st_rdev;
		return 0;
	}
	snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u/partition", major(st.st_dev),
		 minor(st.st_dev));
	if (access(sys, F_OK) == 0) {
		char link[256], *slash;
		ssize_t n;

		/* A partition: its disk is the directory above it in sysfs. */
		snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(st.st_dev),
			 minor(st.st_dev));
		n = readlink(sys, link, sizeof(link) - 1);
		if (n < 0)
			return -ENODEV;
		link[n] = '\0';
		slash = strrchr(link, '/');
		if (!slash)
			return -ENODEV;
		*slash = '\0';
		snprintf(sys, sizeof(sys), "/sys/dev/block/%s/dev", link);
		{
			FILE *f = fopen(sys, "re");
			unsigned a, b;

			if (!f || fscanf(f, "%u:%u", &a, &b) != 2) {
				if (f)
					fclose(f);
				return -ENODEV;
			}
			fclose(f);
			*ret = makedev(a, b);
			return 0;
		}
	}
	*ret = st.st_dev;
	return 0;
}

/* 4 MiB on that disk, readable by the owner (O_DIRECT reads go to the disk). */
static void io_file(char *path, size_t size)
{
	char name[] = "/var/tmp/lmctl-test-io-XXXXXX", block[1 << 16];
	int fd = mkstemp(name);

	assert_true(fd >= 0);
	snprintf(io_path, sizeof(io_path), "%s", name);
	memset(block, 'x', sizeof(block));
	for (int i = 0; i < 64; i++)
		assert_int_equal(write(fd, block, sizeof(block)), (ssize_t)sizeof(block));
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(fchmod(fd, 0644), 0);
	close(fd);
	snprintf(path, size, "%s", name);
}

static double now_s(void)
{
	return (double)h_now_us() / 1e6;
}

/* ---- 8: a device named twice ---- */

static int dup_devices_as_owner(void *ud)
{
	const dev_t *d = ud;
	struct lmc_backend *b = NULL;
	struct lmc_err err = {0};
	struct lmc_spec s;
	const char *msg;

	if (lmc_backend_agent_open(getenv("LMCTL_SOCKET"), &b, &err) < 0)
		return 1;
	lmc_spec_init(&s);
	s.blkio.n_throttles = 2;
	for (int i = 0; i < 2; i++) {
		struct lmc_throttle *t = &s.blkio.throttles[i];

		*t = (struct lmc_throttle){.major = major(*d), .minor = minor(*d)};
		snprintf(t->path, sizeof(t->path), "%u:%u", major(*d), minor(*d));
		t->read_bps = i ? 100ULL << 30 : MiB; /* [1M, 100G] under a 1M parent */
		t->write_bps = t->read_iops = t->write_iops = LMC_UNSET;
	}
	if (b->ops->create(b, "sec-a/d", &s, &err) >= 0)
		return 2;
	msg = lmc_err_str(&err);
	fprintf(stderr, "raw request refused: %s\n", msg);
	b->ops->close(b);
	return strstr(msg, "two throttle entries") && !strchr(msg, '\n') ? 0 : 3;
}

static void test_duplicate_devices(void **state)
{
	struct harness *h = *state;
	char flag[64], a[64], b[64];
	bool on_file;
	dev_t d;

	if (test_disk(&d, &on_file) < 0)
		fail_msg("no block device to throttle (set LMCTL_TEST_BLOCKDEV)");
	snprintf(flag, sizeof(flag), "--device-read-bps=%u:%u:1M", major(d), minor(d));
	ROOT_OK("create", "sec-a", owner_flag, flag);
	/* Through the wire, as the owner: refused, nothing made. */
	assert_int_equal(lmc_test_user_run(&user, dup_devices_as_owner, &d), 0);
	assert_false(lmc_test_exists_anywhere(h->cg, "sec-a/d"));
	/* Through the CLI, by number twice, and by number then by name. */
	snprintf(a, sizeof(a), "--device-read-bps=%u:%u:1M", major(d), minor(d));
	snprintf(b, sizeof(b), "--device-read-bps=%u:%u:100G", major(d), minor(d));
	USER_REFUSED(WANT("--device-read-bps", "given twice"), "create", "sec-a/d", a, b);
	assert_false(lmc_test_exists_anywhere(h->cg, "sec-a/d"));
}

/* ---- 9: v1 throttles bind children ---- */

static void expect_read_bps(struct harness *h, const char *name, dev_t d, uint64_t bps)
{
	char buf[1024], want[64];

	if (is_v2(h))
		return; /* io.max nests: a child's own file says only what it asked */
	kernel_str(h, LMC_CTRL_BLKIO, name, "blkio.throttle.read_bps_device", buf, sizeof(buf));
	snprintf(want, sizeof(want), "%u:%u %" PRIu64 "\n", major(d), minor(d), bps);
	if (!strstr(buf, want))
		fail_msg("%s: blkio.throttle.read_bps_device is '%s', lacks '%s'", name, buf, want);
}

/* 3 MiB of O_DIRECT reads of src in name: by the owner from a file it may read, else by root
 * from the device (root's process, in the owner's child container). The seconds it took. */
static double read_3mib(const char *name, const char *src, bool as_owner)
{
	char err[1024];
	double t0 = now_s(), took;
	int r = as_owner ? lmc_test_user_lmctl(&user, NULL, 0, err, sizeof(err), "run", name, "--",
					       lmc_test_self_exe(), "readdirect", src, "3", NULL)
			 : lmc_test_lmctl(NULL, 0, err, sizeof(err), "run", name, "--",
					  lmc_test_self_exe(), "readdirect", src, "3", NULL);

	took = now_s() - t0;
	if (r != 0)
		fail_msg("readdirect %s in %s: exit %d: %s", src, name, r, err);
	return took;
}

static void test_throttle_binds_children(void **state)
{
	struct harness *h = *state;
	char flag[64], own[64], file[64];
	bool on_file;
	double took;
	dev_t d;

	if (test_disk(&d, &on_file) < 0)
		fail_msg("no block device to throttle (set LMCTL_TEST_BLOCKDEV)");
	if (on_file)
		io_file(file, sizeof(file));
	else
		snprintf(file, sizeof(file), "%s", getenv("LMCTL_TEST_BLOCKDEV"));
	snprintf(flag, sizeof(flag), "--device-read-bps=%u:%u:1M", major(d), minor(d));
	ROOT_OK("create", "sec-a", owner_flag, flag);
	USER_OK("create", "sec-a/c");
	USER_OK("create", "sec-a/m");
	USER_OK("create", "sec-a/m/leaf");
	snprintf(own, sizeof(own), "--device-read-bps=%u:%u:512K", major(d), minor(d));
	USER_OK("create", "sec-a/own", own);
	/* 3 MiB of O_DIRECT reads in the child that asked for nothing: about 3 s at 1M/s
	 * (1.9 GB/s before: milliseconds). A loaded machine only makes it slower. */
	took = read_3mib("sec-a/c", file, on_file);
	if (on_file)
		unlink(file);
	print_message("3 MiB O_DIRECT in sec-a/c under sec-a's 1M/s: %.2f s\n", took);
	assert_true(took >= 2.0);
	expect_read_bps(h, "sec-a/c", d, MiB);
	expect_read_bps(h, "sec-a/m/leaf", d, MiB);
	/* An ancestor's change reaches the whole subtree; a smaller own value stays. */
	snprintf(flag, sizeof(flag), "--device-read-bps=%u:%u:2M", major(d), minor(d));
	ROOT_OK("update", "sec-a", flag);
	expect_read_bps(h, "sec-a/c", d, 2 * MiB);
	expect_read_bps(h, "sec-a/m/leaf", d, 2 * MiB);
	expect_read_bps(h, "sec-a/own", d, MiB / 2);
	snprintf(flag, sizeof(flag), "--device-read-bps=%u:%u:768K", major(d), minor(d));
	ROOT_OK("update", "sec-a", flag);
	expect_read_bps(h, "sec-a/m/leaf", d, 768 * 1024);
	expect_read_bps(h, "sec-a/own", d, MiB / 2);
	/* A child made later gets it at once. */
	USER_OK("create", "sec-a/m/late");
	expect_read_bps(h, "sec-a/m/late", d, 768 * 1024);
}

/* ---- 10: enter cannot take a process out of root's limits ---- */

/* A process of the owner's outside any container (in the test's own cgroup). */
static pid_t user_process_outside(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0) {
		if (setgroups(1, &user.gid) < 0 || setresgid(user.gid, user.gid, user.gid) < 0 ||
		    setresuid(user.uid, user.uid, user.uid) < 0)
			_exit(126);
		execl(lmc_test_self_exe(), "test_sec_limits", "sleep", (char *)NULL);
		_exit(127);
	}
	return pid;
}

static void test_enter_only_out_of_own(void **state)
{
	struct harness *h = *state;
	char out[256], err[1024], pidarg[3][16], where[512];
	pid_t job, mine, outside;

	/* Root runs the owner's job under root's limits. */
	ROOT_OK("create", "sec-r", "--memory=64M", "--pids-limit=10");
	ROOT_OK("create", "sec-r/job");
	assert_int_equal(lmc_test_lmctl(out, sizeof(out), err, sizeof(err), "run", "-d", "--json",
					as_uid[0], as_uid[1], "sec-r/job", "--",
					lmc_test_self_exe(), "sleep", NULL),
			 0);
	job = (pid_t)lmc_test_json_u64(out, "pid");
	assert_true(job > 0);
	ROOT_OK("create", "sec-a", owner_flag);
	USER_OK("create", "sec-a/n");
	USER_OK("create", "sec-a/m");
	snprintf(pidarg[0], sizeof(pidarg[0]), "%d", (int)job);
	USER_REFUSED(WANT("pid", pidarg[0], "sec-r/job"), "enter", "sec-a/n", pidarg[0]);
	pid_in(h, job, where, sizeof(where));
	assert_string_equal(where, "sec-r/job");
	/* Its own process outside lmctl's containers stays where it is too. */
	outside = user_process_outside();
	snprintf(pidarg[1], sizeof(pidarg[1]), "%d", (int)outside);
	USER_REFUSED(WANT("pid", pidarg[1]), "enter", "sec-a/n", pidarg[1]);
	pid_in(h, outside, where, sizeof(where));
	kill(outside, SIGKILL);
	waitpid(outside, NULL, 0);
	assert_null(strstr(where, "sec-a"));
	/* Out of one container it owns into another: allowed. */
	mine = user_run_d("sec-a/m");
	snprintf(pidarg[2], sizeof(pidarg[2]), "%d", (int)mine);
	USER_OK("enter", "sec-a/n", pidarg[2]);
	pid_in(h, mine, where, sizeof(where));
	assert_string_equal(where, "sec-a/n");
}

/* ---- 11: pids.max holds processes the agent starts or moves ---- */

static void test_pids_limit_on_run_and_enter(void **state)
{
	struct harness *h = *state;
	char pidarg[16];
	pid_t mover;

	ROOT_OK("create", "sec-a", owner_flag);
	USER_OK("create", "sec-a/p", "--pids-limit=2");
	user_run_d("sec-a/p");
	user_run_d("sec-a/p");
	USER_REFUSED(WANT("sec-a/p", "pids limit 2"), "run", "-d", "sec-a/p", "--",
		     lmc_test_self_exe(), "sleep");
	assert_true(kernel_u64(h, LMC_CTRL_PIDS, "sec-a/p", "pids.current") <= 2);
	/* Moving in is not checked by the kernel either. */
	USER_OK("create", "sec-a/m");
	mover = user_run_d("sec-a/m");
	snprintf(pidarg, sizeof(pidarg), "%d", (int)mover);
	USER_REFUSED(WANT("sec-a/p", "pids limit 2"), "enter", "sec-a/p", pidarg);
	assert_true(kernel_u64(h, LMC_CTRL_PIDS, "sec-a/p", "pids.current") <= 2);
	/* The namespace init counts. */
	USER_OK("create", "sec-a/q", "--pids-limit=2", "--ns=pid,mnt");
	user_run_d("sec-a/q");
	USER_REFUSED(WANT("sec-a/q", "pids limit 2"), "run", "-d", "sec-a/q", "--",
		     lmc_test_self_exe(), "sleep");
	assert_true(kernel_u64(h, LMC_CTRL_PIDS, "sec-a/q", "pids.current") <= 2);
	/* An ancestor's limit binds children that have none of their own. */
	ROOT_OK("create", "sec-b", owner_flag, "--pids-limit=3");
	USER_OK("create", "sec-b/x");
	USER_OK("create", "sec-b/y");
	user_run_d("sec-b/x");
	user_run_d("sec-b/x");
	user_run_d("sec-b/y");
	USER_REFUSED(WANT("sec-b/y", "pids limit 3", "set by sec-b"), "run", "-d", "sec-b/y", "--",
		     lmc_test_self_exe(), "sleep");
	assert_true(kernel_u64(h, LMC_CTRL_PIDS, "sec-b", "pids.current") <= 3);
}

/* Read mib MiB of path with O_DIRECT, 64 KiB at a time (from the start again at its end). */
static int work_readdirect(const char *path, const char *mib)
{
	const size_t bs = 64 << 10;
	size_t want = strtoull(mib, NULL, 10) << 20;
	int fd = open(path, O_RDONLY | O_DIRECT);
	off_t off = 0;
	void *buf;

	if (fd < 0 || posix_memalign(&buf, 4096, bs) != 0)
		return 2;
	for (size_t done = 0; done < want; done += bs) {
		ssize_t n = pread(fd, buf, bs, off);

		if (n == 0 && off > 0) {
			off = 0;
			done -= bs;
			continue;
		}
		if (n != (ssize_t)bs)
			return 3;
		off += (off_t)bs;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_max_containers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_devices, setup, teardown),
		cmocka_unit_test_setup_teardown(test_throttle_binds_children, setup, teardown),
		cmocka_unit_test_setup_teardown(test_enter_only_out_of_own, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pids_limit_on_run_and_enter, setup, teardown),
	};

	if (argc > 3 && strcmp(argv[1], "readdirect") == 0)
		return work_readdirect(argv[2], argv[3]);
	if (argc > 1 && strcmp(argv[1], "sleep") == 0) {
		for (;;)
			pause();
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
