/* The state store against a hostile user and against crashes (issue 11, items 12-14), through
 * the real agent and the real lmctl: a state directory another user owns or could have
 * changed is refused and a planted `lock` link truncates nothing; an update killed between
 * its record and its kernel write is finished by the next start, which says so in its log;
 * an unreadable record is logged, kept aside, and its container (and the children below it)
 * stays managed, down to a destroy -r. Each test starts its own agent and, where it needs
 * one, its own throw-away user. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/integration/agent-fixture.h"
#include "tests/lib/lmctl-run.h"
#include "tests/lib/testuser.h"
#include "tools/cli/backend.h"

#define MiB (1024ULL * 1024)

struct fixture {
	struct harness h;
	struct lmc_test_user u;
	char victim[160]; /* a root-owned file an attacker wants truncated */
};

static int setup(void **state)
{
	static struct fixture f;

	if (!lmc_test_is_root())
		skip();
	memset(&f, 0, sizeof(f));
	assert_int_equal(h_setup(&f.h), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	h_teardown(&f->h);
	lmc_test_user_del(&f->u);
	return 0;
}

static void create(struct lmc_backend *b, const char *name, uint64_t mem, uint64_t pids)
{
	struct lmc_err err = {0};
	struct lmc_spec s;

	lmc_spec_init(&s);
	s.memory.limit = mem;
	s.pids.limit = pids;
	if (b->ops->create(b, name, &s, &err) < 0)
		fail_msg("create %s: %s", name, lmc_err_str(&err));
}

static bool log_has(const struct harness *h, const char *what)
{
	char buf[16384];
	int fd = open(h->log, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return strstr(buf, what) != NULL;
}

static void assert_log(const struct harness *h, const char *what)
{
	char cmd[256];

	if (log_has(h, what))
		return;
	snprintf(cmd, sizeof(cmd), "cat '%s' >&2", h->log);
	if (system(cmd) != 0)
		fprintf(stderr, "no agent log\n");
	fail_msg("the agent's log does not say '%s'", what);
}

static void write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void assert_text(const char *path, const char *want)
{
	char buf[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (strcmp(buf, want) != 0)
		fail_msg("%s holds '%s', not '%s'", path, buf, want);
}

struct watch {
	struct harness *h;
	int status;
	bool gone;
};

static bool up_or_gone(void *ud)
{
	struct watch *w = ud;

	if (waitpid(w->h->agent, &w->status, WNOHANG) == w->h->agent) {
		w->gone = true;
		return true;
	}
	return h_answers(w->h);
}

/* Start lmctld on another state directory; true if it refused (exited non-zero), false if
 * it came up and answered (then it is stopped again). */
static bool agent_refuses(struct harness *h, const char *state)
{
	const char *bin = getenv("LMCTLD_BIN");
	struct watch w = {.h = h};
	pid_t pid;

	assert_int_equal(h->agent, 0); /* one agent on the socket at a time */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int fd = open(h->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);

		if (fd >= 0)
			dup2(fd, 2);
		execl(bin ? bin : "build/lmctld", "lmctld", "--socket", h->sock, "--state-dir",
		      state, (char *)NULL);
		_exit(127);
	}
	h->agent = pid;
	assert_int_equal(lmc_test_wait_until(up_or_gone, &w, 10000), 0);
	if (!w.gone) {
		h_stop_agent(h, SIGTERM);
		return false;
	}
	h->agent = 0;
	return WIFEXITED(w.status) && WEXITSTATUS(w.status) != 0;
}

/* lmctl in direct mode on the given state directory; its exit status, stderr in err. */
static int direct(const char *state, char *err, size_t errsz, const char *arg)
{
	int r;

	setenv("LMCTL_STATE_DIR", state, 1);
	r = lmc_test_lmctl(NULL, 0, err, errsz, "--direct", arg, NULL);
	unsetenv("LMCTL_STATE_DIR");
	return r;
}

/* ---- 12: the state directory ---- */

struct plant {
	const char *state, *victim;
};

/* As the user: point `lock` at root's file. */
static int plant_lock_link(void *ud)
{
	const struct plant *p = ud;
	char lock[256];

	snprintf(lock, sizeof(lock), "%s/lock", p->state);
	return symlink(p->victim, lock) == 0 ? 0 : 1;
}

/* A state directory the user owns, with `lock` linked to a root-owned file: the agent and
 * direct lmctl both refuse it, naming the owner, and the file keeps its content. */
static void test_user_owned_state_dir(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	char dir[160], err[1024], want[64];
	struct plant p = {.state = dir, .victim = f->victim};
	bool refused;

	h_stop_agent(h, SIGTERM);
	assert_int_equal(lmc_test_user_add(&f->u), 0);
	snprintf(dir, sizeof(dir), "%s/userstate", h->dir);
	snprintf(f->victim, sizeof(f->victim), "%s/victim", h->dir);
	write_text(f->victim, "precious\n");
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(chown(dir, f->u.uid, f->u.gid), 0);
	assert_int_equal(lmc_test_user_run(&f->u, plant_lock_link, &p), 0);

	/* the root-owned file first: that is what the attack was after */
	refused = agent_refuses(h, dir);
	assert_text(f->victim, "precious\n");
	assert_true(refused);
	snprintf(want, sizeof(want), "is owned by uid %u, not by root", (unsigned)f->u.uid);
	assert_log(h, want);

	/* a writing command takes the lock; so does init */
	assert_int_not_equal(direct(dir, err, sizeof(err), "init"), 0);
	assert_text(f->victim, "precious\n");
	assert_non_null(strstr(err, want));
}

/* Directories above the state directory: one the user owns (it could rename the state
 * directory away and put its own in its place) or one its group may write is refused; a
 * root-owned one below sticky /tmp (the harness's own) is fine, as every other test shows. */
static void test_unsafe_ancestors(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	char up[160], st[192], err[1024], want[256];

	h_stop_agent(h, SIGTERM);
	assert_int_equal(lmc_test_user_add(&f->u), 0);
	snprintf(up, sizeof(up), "%s/users", h->dir);
	snprintf(st, sizeof(st), "%s/state", up);
	assert_int_equal(mkdir(up, 0755), 0);
	assert_int_equal(mkdir(st, 0700), 0);
	assert_int_equal(chown(up, f->u.uid, f->u.gid), 0);
	assert_true(agent_refuses(h, st));
	snprintf(want, sizeof(want), "%s is owned by uid %u", up, (unsigned)f->u.uid);
	assert_log(h, want);
	assert_int_not_equal(direct(st, err, sizeof(err), "list"), 0);
	assert_non_null(strstr(err, want));

	/* root's, but writable by the user's group */
	assert_int_equal(chown(up, 0, f->u.gid), 0);
	assert_int_equal(chmod(up, 0775), 0);
	assert_true(agent_refuses(h, st));
	assert_log(h, "is writable by its group (mode 0775)");

	/* the state directory itself writable by others */
	assert_int_equal(chmod(up, 0755), 0);
	assert_int_equal(chmod(st, 0777), 0);
	assert_true(agent_refuses(h, st));
	assert_log(h, "is writable by others (mode 0777)");

	/* made safe again: accepted */
	assert_int_equal(chmod(st, 0700), 0);
	assert_false(agent_refuses(h, st));
}

/* ---- 13: a crash in the middle of an update ---- */

static uint64_t kernel_pids_max(const struct harness *h, const char *name)
{
	uint64_t v = 0;

	assert_int_equal(lmc_cgfs_read_u64(h->cg, LMC_CTRL_PIDS, name, "pids.max", &v), 0);
	return v;
}

static uint64_t stored_pids(const struct harness *h, const char *name)
{
	struct lmc_backend *b = h_open_be(h);
	struct lmc_err err = {0};
	struct lmc_effective e;
	struct lmc_spec s;

	if (b->ops->spec(b, name, &s, &e, &err) < 0)
		fail_msg("spec %s: %s", name, lmc_err_str(&err));
	b->ops->close(b);
	return s.pids.limit;
}

/* The state the finding left (a kernel written before its record, then kill -9): the stored
 * pids limit 45, the kernel's 11. The next start puts the stored spec back and says so. */
static void test_kernel_differs_from_record(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	struct lmc_backend *b = h_open_be(h);

	create(b, "upd", 64 * MiB, 45);
	b->ops->close(b);
	h_stop_agent(h, SIGKILL);
	assert_int_equal(lmc_cgfs_write(h->cg, LMC_CTRL_PIDS, "upd", "pids.max", "11"), 0);
	assert_int_equal(h_start_agent(h), 0);
	assert_int_equal(kernel_pids_max(h, "upd"), 45);
	assert_int_equal(stored_pids(h, "upd"), 45);
	assert_log(h, "reconcile: upd: the kernel did not hold the stored spec (pids.max is 11, "
		      "the spec says 45): re-applied");
}

/* An update killed between its record and its kernel writes, through the agent and through
 * direct lmctl (LMCTL_TEST_CRASH_AT, base/crashpoint.h): after the restart the kernel holds
 * what the store holds, the fields that are not read back (cpuset) included, and the log
 * says what was re-applied. */
static void test_update_killed_midway(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	struct lmc_backend *b = h_open_be(h);
	struct lmc_err err = {0};
	struct lmc_spec upd;
	char e[1024], cpus[64];
	int status;

	create(b, "upd", 64 * MiB, 45);
	b->ops->close(b);
	assert_int_equal(h_restart_crash_at(h, "update-after-record"), 0);
	b = h_open_be(h);
	lmc_spec_init(&upd);
	upd.pids.limit = 11;
	snprintf(upd.cpu.cpus, sizeof(upd.cpu.cpus), "0"); /* a field not read back */
	assert_true(b->ops->update(b, "upd", &upd, false, &err) < 0);
	b->ops->close(b);
	assert_int_equal(waitpid(h->agent, &status, 0), h->agent);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	h->agent = 0;
	assert_int_equal(kernel_pids_max(h, "upd"), 45); /* it died before the kernel write */
	assert_int_equal(h_start_agent(h), 0);
	assert_int_equal(stored_pids(h, "upd"), 11);
	assert_int_equal(kernel_pids_max(h, "upd"), 11);
	assert_true(lmc_cgfs_read(h->cg, LMC_CTRL_CPUSET, "upd", "cpuset.cpus", cpus,
				  sizeof(cpus)) > 0);
	assert_string_equal(cpus, "0\n");
	assert_log(h, "reconcile: upd: an update was interrupted (pids.max is 45, the spec says "
		      "11): its stored spec re-applied");

	/* the same through direct lmctl, the agent stopped */
	h_stop_agent(h, SIGTERM);
	setenv("LMCTL_TEST_CRASH_AT", "update-after-record", 1);
	setenv("LMCTL_STATE_DIR", h->state, 1);
	assert_int_equal(lmc_test_lmctl(NULL, 0, e, sizeof(e), "--direct", "update", "upd",
					"--pids-limit=7", NULL),
			 128 + SIGKILL);
	unsetenv("LMCTL_STATE_DIR");
	unsetenv("LMCTL_TEST_CRASH_AT");
	assert_int_equal(kernel_pids_max(h, "upd"), 11);
	assert_int_equal(h_start_agent(h), 0);
	assert_int_equal(stored_pids(h, "upd"), 7);
	assert_int_equal(kernel_pids_max(h, "upd"), 7);
	assert_log(h, "reconcile: upd: an update was interrupted (pids.max is 11, the spec says "
		      "7): its stored spec re-applied");
}

/* ---- 14: an unreadable record ---- */

static void damage(const struct harness *h, const char *file, const char *bytes, size_t len)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/containers/%s", h->state, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bytes, len), (ssize_t)len);
	close(fd);
}

static bool state_file_exists(const struct harness *h, const char *file)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/containers/%s", h->state, file);
	return access(path, F_OK) == 0;
}

static bool listed(struct lmc_backend *b, const char *name)
{
	struct lmc_list_entry *l = NULL;
	struct lmc_err err = {0};
	bool found = false;
	size_t n = 0;

	assert_int_equal(b->ops->list(b, "", true, false, &l, &n, &err), 0);
	for (size_t i = 0; i < n; i++)
		found |= strcmp(l[i].name, name) == 0;
	lmc_list_free(l, n);
	return found;
}

/* A parent's record truncated and a leaf's overwritten with garbage: both are logged and
 * kept aside, both containers stay listed with the limits the kernel holds, the parent's
 * child with its own record is still there, and destroy -r of the parent removes it all. */
static void test_corrupt_records(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	struct lmc_backend *b = h_open_be(h);
	struct lmc_err err = {0};
	struct lmc_effective e;
	struct lmc_spec s;

	create(b, "par", 64 * MiB, 20);
	create(b, "par/kid", 32 * MiB, 10);
	lmc_spec_init(&s);
	s.owner = 4321; /* what only its record knows */
	assert_int_equal(b->ops->update(b, "par/kid", &s, false, &err), 0);
	create(b, "par/kid/gk", 16 * MiB, 5);
	create(b, "leaf", 48 * MiB, 30);
	b->ops->close(b);
	h_stop_agent(h, SIGKILL);
	damage(h, "par.rec", "\x0a", 1); /* a name field cut short */
	damage(h, "par+kid+gk.rec", "\x0a", 1);
	damage(h, "leaf.rec", "\xff\xff\xff\xff", 4);
	assert_int_equal(h_start_agent(h), 0);

	assert_log(h, "reconcile: par: record unreadable (kept as par.rec.corrupt): adopted "
		      "from cgroupfs with the limits the kernel holds (memory 64M, cpus none, "
		      "pids 20)");
	assert_log(h, "reconcile: leaf: record unreadable (kept as leaf.rec.corrupt): adopted");
	assert_true(state_file_exists(h, "par.rec.corrupt"));
	assert_true(state_file_exists(h, "leaf.rec.corrupt"));
	b = h_open_be(h);
	assert_true(listed(b, "par"));
	assert_true(listed(b, "par/kid"));
	assert_true(listed(b, "leaf"));
	assert_int_equal(b->ops->spec(b, "par", &s, &e, &err), 0);
	assert_true(s.memory.limit == 64 * MiB && s.pids.limit == 20);
	/* par/kid's own record is used, not the kernel's limits: its owner is kept */
	assert_int_equal(b->ops->spec(b, "par/kid", &s, &e, &err), 0);
	assert_true(s.memory.limit == 32 * MiB && s.pids.limit == 10);
	assert_int_equal(s.owner, 4321);
	assert_true(listed(b, "par/kid/gk"));
	assert_log(h, "reconcile: par/kid/gk: record unreadable (kept as par+kid+gk.rec.corrupt)");

	if (b->ops->destroy(b, "par", true, &err) < 0)
		fail_msg("destroy -r par: %s", lmc_err_str(&err));
	if (b->ops->destroy(b, "leaf", true, &err) < 0)
		fail_msg("destroy -r leaf: %s", lmc_err_str(&err));
	assert_false(lmc_cgfs_exists(h->cg, "par/kid/gk"));
	assert_false(lmc_cgfs_exists(h->cg, "par/kid"));
	assert_false(lmc_cgfs_exists(h->cg, "par"));
	assert_false(lmc_cgfs_exists(h->cg, "leaf"));
	assert_false(state_file_exists(h, "par.rec"));
	assert_false(state_file_exists(h, "par+kid.rec"));
	b->ops->close(b);

	/* the next start meets no bad record again */
	h_stop_agent(h, SIGTERM);
	assert_int_equal(h_start_agent(h), 0);
	b = h_open_be(h);
	assert_false(listed(b, "par"));
	b->ops->close(b);
}

/* Direct lmctl: a reader warns and changes nothing; a writer recovers (moves the record
 * aside, adopts the container) and says so, and the destroy -r goes through. */
static void test_corrupt_record_direct(void **state)
{
	struct fixture *f = *state;
	struct harness *h = &f->h;
	char e[2048];

	h_stop_agent(h, SIGTERM);
	setenv("LMCTL_STATE_DIR", h->state, 1);
	LMCTL_OK("--direct", "create", "solo", "--memory=32M");
	damage(h, "solo.rec", "\x0a", 1);
	assert_int_equal(lmc_test_lmctl(NULL, 0, e, sizeof(e), "--direct", "list", NULL), 0);
	if (!strstr(e, "lmctl: warning: solo: record unreadable (solo.rec): left out"))
		fail_msg("list said '%s'", e);
	assert_true(state_file_exists(h, "solo.rec"));
	assert_int_equal(lmc_test_lmctl(NULL, 0, e, sizeof(e), "--direct", "destroy", "-r", "solo",
					NULL),
			 0);
	unsetenv("LMCTL_STATE_DIR");
	if (!strstr(e, "lmctl: warning: solo: record unreadable (kept as solo.rec.corrupt): "
		       "adopted from cgroupfs with the limits the kernel holds (memory 32M"))
		fail_msg("destroy said '%s'", e);
	assert_false(lmc_cgfs_exists(h->cg, "solo"));
	assert_true(state_file_exists(h, "solo.rec.corrupt"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_user_owned_state_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsafe_ancestors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kernel_differs_from_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_update_killed_midway, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_records, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_record_direct, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
