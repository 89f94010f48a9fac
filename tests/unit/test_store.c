/* The spec store: put/get/del/load round trips, file naming, what an interrupted write
 * leaves and what load makes of it, and the state-directory lock between processes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/name.h"
#include "core/store.h"
#include "tests/lib/store-find.h"

struct fixture {
	char dir[64];
	char sub[96]; /* <dir>/state: created by the store itself */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/lmctl-store-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->sub, sizeof(f->sub), "%s/state", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	if (system(cmd) != 0)
		return -1;
	free(f);
	return 0;
}

static struct lmc_store *open_store(const char *dir, bool lock)
{
	struct lmc_store_opts o = {.dir = dir, .lock = lock, .durable = false};
	struct lmc_store *s = NULL;
	struct lmc_err err = {0};

	assert_int_equal(lmc_store_open(&o, &s, &err), 0);
	return s;
}

static void make_record(struct lmc_record *r, const char *name, uint64_t i)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", name);
	lmc_spec_init(&r->spec);
	r->spec.memory.limit = (i + 1) << 20;
	r->spec.pids.limit = i;
	r->state = (enum lmc_rec_state)(i % 4); /* every state, UPDATING included */
	r->init_pid = (int32_t)i;
}

static bool file_exists(const char *dir, const char *file)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/containers/%s", dir, file);
	return access(p, F_OK) == 0;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(((const struct lmc_record *)a)->name, ((const struct lmc_record *)b)->name);
}

static void name_of(char *buf, size_t size, int i)
{
	/* 100 top-level containers with 9 children each */
	if (i % 10 == 0)
		snprintf(buf, size, "job%03d", i / 10);
	else
		snprintf(buf, size, "job%03d/task-%d", i / 10, i % 10);
}

static void test_round_trip_1000(void **state)
{
	struct fixture *f = *state;
	struct lmc_store *s = open_store(f->sub, true);
	struct lmc_record *recs = NULL, r, want;
	size_t n = 0, bad = 99;
	char name[64];
	struct stat st;

	assert_int_equal(stat(f->sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	for (int i = 0; i < 1000; i++) {
		name_of(name, sizeof(name), i);
		make_record(&r, name, (uint64_t)i);
		assert_int_equal(lmc_store_put(s, &r, NULL), 0);
	}
	assert_true(file_exists(f->sub, "job004+task-2.rec"));
	for (int i = 0; i < 1000; i += 37) {
		name_of(name, sizeof(name), i);
		make_record(&want, name, (uint64_t)i);
		assert_int_equal(lmc_test_store_find(s, name, &r), 0);
		assert_memory_equal(&r, &want, sizeof(want));
	}
	/* replace one: the newest write wins */
	make_record(&want, "job007", 5000);
	assert_int_equal(lmc_store_put(s, &want, NULL), 0);
	assert_int_equal(lmc_test_store_find(s, "job007", &r), 0);
	assert_memory_equal(&r, &want, sizeof(want));
	/* delete every odd one (and one that never existed) */
	for (int i = 1; i < 1000; i += 2) {
		name_of(name, sizeof(name), i);
		assert_int_equal(lmc_store_del(s, name, NULL), 0);
	}
	assert_int_equal(lmc_store_del(s, "never/there", NULL), 0);
	assert_int_equal(lmc_test_store_find(s, "job000/task-1", &r), -ENOENT);
	lmc_store_free(s);

	/* a fresh open sees exactly the 500 left */
	s = open_store(f->sub, true);
	assert_int_equal(lmc_store_load(s, &recs, &n, NULL, &bad), 0);
	assert_int_equal(n, 500);
	assert_int_equal(bad, 0);
	qsort(recs, n, sizeof(*recs), cmp_name);
	for (size_t k = 0; k < n; k++) {
		int i = (int)k * 2;

		name_of(name, sizeof(name), i);
		make_record(&want, name, i == 70 ? 5000 : (uint64_t)i);
		assert_memory_equal(&recs[k], &want, sizeof(want));
	}
	free(recs);
	lmc_store_free(s);
}

static void test_root_and_long_names(void **state)
{
	struct fixture *f = *state;
	struct lmc_store_opts o = {.dir = f->sub, .lock = false, .durable = true};
	struct lmc_store *s = NULL;
	struct lmc_record r, got, *recs = NULL;
	char a[LMC_NAME_MAX + 1], b[LMC_NAME_MAX + 1];
	size_t n = 0, bad = 0;

	assert_int_equal(lmc_store_open(&o, &s, NULL), 0);
	make_record(&r, "", 1);
	assert_int_equal(lmc_store_put(s, &r, NULL), 0);
	assert_true(file_exists(f->sub, "@machine.rec"));
	assert_int_equal(lmc_test_store_find(s, "", &got), 0);
	assert_string_equal(got.name, "");

	/* two 255-character names that differ only at the end: two files, two records */
	for (size_t i = 0; i < LMC_NAME_MAX; i++)
		a[i] = i % 60 == 59 ? '/' : 'x';
	a[LMC_NAME_MAX] = '\0';
	memcpy(b, a, sizeof(a));
	b[LMC_NAME_MAX - 1] = 'y';
	assert_true(lmc_name_is_valid(a) && lmc_name_is_valid(b));
	make_record(&r, a, 2);
	assert_int_equal(lmc_store_put(s, &r, NULL), 0);
	make_record(&r, b, 3);
	assert_int_equal(lmc_store_put(s, &r, NULL), 0);
	assert_int_equal(lmc_test_store_find(s, a, &got), 0);
	assert_true(got.spec.pids.limit == 2);
	assert_int_equal(lmc_test_store_find(s, b, &got), 0);
	assert_true(got.spec.pids.limit == 3);
	assert_int_equal(lmc_store_load(s, &recs, &n, NULL, &bad), 0);
	assert_int_equal(n, 3);
	assert_int_equal(bad, 0);
	free(recs);

	/* a name that is not one is refused with a message */
	struct lmc_err err = {0};

	make_record(&r, "a//b", 0);
	assert_int_equal(lmc_store_put(s, &r, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "a//b"));
	lmc_store_free(s);
}

static void write_file(const char *dir, const char *file, const void *data, size_t len)
{
	char p[600];
	int fd;

	snprintf(p, sizeof(p), "%s/containers/%s", dir, file);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static void unlink_rec(const char *dir, const char *file)
{
	char p[600];

	snprintf(p, sizeof(p), "%s/containers/%s", dir, file);
	assert_int_equal(unlink(p), 0);
}

/* A writer killed between creating its temporary file and the rename leaves the temp file
 * and the old record: load keeps the record, removes the leftover, counts nothing bad. */
static void test_interrupted_write_cleaned(void **state)
{
	struct fixture *f = *state;
	struct lmc_store *s = open_store(f->sub, true);
	struct lmc_record r, *recs = NULL;
	size_t n = 0, bad = 0;
	char tmp[64];

	make_record(&r, "jobA", 1);
	assert_int_equal(lmc_store_put(s, &r, NULL), 0);
	snprintf(tmp, sizeof(tmp), ".tmp.%ld.0", (long)getpid() + 1000000);
	write_file(f->sub, tmp, "\x0a\x04jo", 4);
	write_file(f->sub, ".tmp.1.3", "", 0);
	/* and damage the store the ways a disk or a person can */
	write_file(f->sub, "garbage.rec", "\xff\xff\xff\xff\xff", 5);
	write_file(f->sub, "empty+x.rec", "", 0); /* decodes as the root: misplaced */
	write_file(f->sub, "README", "not a record", 12);
	assert_int_equal(lmc_store_load(s, &recs, &n, NULL, &bad), 0);
	assert_int_equal(n, 1);
	assert_string_equal(recs[0].name, "jobA");
	assert_int_equal(bad, 2);
	assert_false(file_exists(f->sub, tmp));
	assert_false(file_exists(f->sub, ".tmp.1.3"));
	assert_true(file_exists(f->sub, "jobA.rec"));
	free(recs);
	lmc_store_free(s);
}

/* Wait (bounded) for one byte from a pipe. */
static void wait_byte(int fd)
{
	char c;

	assert_int_equal(read(fd, &c, 1), 1);
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Child: try the lock with timeout_ms; exit 0 if the refusal names `holder` (expect_fail)
 * or the lock was taken (!expect_fail). */
static int child_try_lock(const char *dir, int timeout_ms, bool expect_fail, long holder)
{
	struct lmc_store_opts o = {.dir = dir, .lock = true, .lock_timeout_ms = timeout_ms};
	struct lmc_store *s = NULL;
	struct lmc_err err = {0};
	char want[160];
	int64_t t0 = mono_ms();
	int r = lmc_store_open(&o, &s, &err);

	if (!expect_fail) {
		lmc_store_free(s);
		return r == 0 ? 0 : 1;
	}
	snprintf(want, sizeof(want), "state directory %s is locked by pid %ld", dir, holder);
	if (r != -EWOULDBLOCK || strcmp(err.msg, want) != 0)
		return 2;
	/* it waited (about) as long as it was told to */
	return mono_ms() - t0 >= timeout_ms - 5 ? 0 : 3;
}

static void wait_child(pid_t pid, int want)
{
	int status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), want);
}

static pid_t fork_checked(void)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	return pid;
}

/* A child holding the lock until told to let go: it writes 'L' once locked, then waits
 * for a byte on release_fd. The test process itself holds no copy of the lock's file
 * description (a fork shares it, and flock belongs to the description). */
static pid_t spawn_holder(const char *dir, int *ret_release_fd)
{
	int locked[2], release[2];
	pid_t pid;

	assert_int_equal(pipe(locked), 0);
	assert_int_equal(pipe(release), 0);
	pid = fork_checked();
	if (pid == 0) {
		struct lmc_store_opts o = {.dir = dir, .lock = true};
		struct lmc_store *s = NULL;
		char c;

		close(locked[0]);
		close(release[1]);
		if (lmc_store_open(&o, &s, NULL) < 0 || write(locked[1], "L", 1) != 1 ||
		    read(release[0], &c, 1) != 1)
			_exit(1);
		lmc_store_free(s);
		_exit(0);
	}
	close(locked[1]);
	close(release[0]);
	wait_byte(locked[0]);
	close(locked[0]);
	*ret_release_fd = release[1];
	return pid;
}

static void test_lock_between_processes(void **state)
{
	struct fixture *f = *state;
	int release, ready[2];
	pid_t holder, pid;

	holder = spawn_holder(f->sub, &release);
	/* refused at once, then after a bounded wait, naming the holder */
	for (int t = 0; t <= 200; t += 200) {
		pid = fork_checked();
		if (pid == 0)
			_exit(child_try_lock(f->sub, t, true, (long)holder));
		wait_child(pid, 0);
	}
	/* a waiter gets the lock once the holder lets go */
	assert_int_equal(pipe(ready), 0);
	pid = fork_checked();
	if (pid == 0) {
		close(ready[0]);
		if (write(ready[1], "w", 1) != 1)
			_exit(4);
		_exit(child_try_lock(f->sub, 10000, false, 0));
	}
	close(ready[1]);
	wait_byte(ready[0]);
	close(ready[0]);
	assert_int_equal(write(release, "r", 1), 1);
	close(release);
	wait_child(holder, 0);
	wait_child(pid, 0);

	/* nobody holds it now: this process takes it at once */
	lmc_store_free(open_store(f->sub, true));
}

/* ---- a state directory safe from other users (issue 11, item 12) ---- */

static int try_open(const char *dir, struct lmc_err *err)
{
	struct lmc_store_opts o = {.dir = dir, .lock = true, .durable = false};
	struct lmc_store *s = NULL;
	int r;

	lmc_err_clear(err);
	r = lmc_store_open(&o, &s, err);
	lmc_store_free(s);
	return r;
}

static void mkdir_mode(const char *base, const char *sub, mode_t mode, char *ret, size_t size)
{
	snprintf(ret, size, "%s/%s", base, sub);
	assert_int_equal(mkdir(ret, 0700), 0);
	assert_int_equal(chmod(ret, mode), 0); /* whatever the umask */
}

static void assert_refused(const char *dir, int code, const char *what)
{
	struct lmc_err err = {0};

	assert_int_equal(try_open(dir, &err), code);
	if (!strstr(err.msg, what))
		fail_msg("refusal of %s says '%s', not '%s'", dir, err.msg, what);
}

/* Writable by others, below a directory others may write (not sticky), not a directory:
 * refused with the path and the reason; below a sticky one, through dots, doubled slashes
 * and a link root made: accepted. */
static void test_unsafe_dirs(void **state)
{
	struct fixture *f = *state;
	struct lmc_err err = {0};
	char d[160], sub[224], file[160];

	mkdir_mode(f->dir, "open", 0777, d, sizeof(d));
	assert_refused(d, -EPERM, "is writable by others (mode 0777)");
	assert_int_equal(chmod(d, 0770), 0);
	assert_refused(d, -EPERM, "is writable by its group (mode 0770)");
	/* nothing was created in a refused directory */
	snprintf(sub, sizeof(sub), "%s/lock", d);
	assert_int_equal(access(sub, F_OK), -1);

	mkdir_mode(f->dir, "anc", 0777, d, sizeof(d));
	snprintf(sub, sizeof(sub), "%s/state", d);
	assert_refused(sub, -EPERM, "anc is writable by others (mode 0777)");
	/* sticky, as /tmp: no one else can rename or remove what is ours in it */
	assert_int_equal(chmod(d, 01777), 0);
	assert_int_equal(try_open(sub, &err), 0);
	snprintf(sub, sizeof(sub), "%s//anc/../anc/./state/", f->dir);
	assert_int_equal(try_open(sub, &err), 0);
	/* a link to it, made by root in root's directory */
	snprintf(sub, sizeof(sub), "%s/state", d);
	snprintf(file, sizeof(file), "%s/link", f->dir);
	assert_int_equal(symlink(sub, file), 0);
	assert_int_equal(try_open(file, &err), 0);

	snprintf(file, sizeof(file), "%s/plain", f->dir);
	close(open(file, O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	assert_refused(file, -ENOTDIR, "is not a directory");
	snprintf(sub, sizeof(sub), "%s/below", file);
	assert_refused(sub, -ENOTDIR, "is not a directory");
}

/* Owned by another user: the directory, a directory above it, a link in a sticky directory. */
static void test_foreign_owner(void **state)
{
	struct fixture *f = *state;
	struct lmc_err err = {0};
	char d[160], sub[224], link[240];

	if (geteuid() != 0)
		skip();
	mkdir_mode(f->dir, "theirs", 0700, d, sizeof(d));
	assert_int_equal(chown(d, 65534, 65534), 0);
	assert_refused(d, -EPERM, "theirs is owned by uid 65534, not by root");
	snprintf(sub, sizeof(sub), "%s/state", d);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_refused(sub, -EPERM, "theirs is owned by uid 65534, not by root");

	mkdir_mode(f->dir, "mine", 0700, d, sizeof(d));
	mkdir_mode(f->dir, "sticky", 01777, sub, sizeof(sub));
	snprintf(link, sizeof(link), "%s/l", sub);
	assert_int_equal(symlink(d, link), 0);
	assert_int_equal(try_open(link, &err), 0);
	assert_int_equal(lchown(link, 65534, 65534), 0);
	assert_refused(link, -EPERM,
		       "is a symbolic link of uid 65534 in a directory others may write");
}

/* `lock` is never opened through a link nor as anything but a plain file: the file the link
 * points at keeps its content. */
static void test_lock_not_followed(void **state)
{
	struct fixture *f = *state;
	char victim[128], lock[128], buf[32] = "";
	int fd;

	snprintf(victim, sizeof(victim), "%s/victim", f->dir);
	fd = open(victim, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	assert_int_equal(write(fd, "precious\n", 9), 9);
	close(fd);
	lmc_store_free(open_store(f->sub, false));
	snprintf(lock, sizeof(lock), "%s/lock", f->sub);
	assert_int_equal(symlink(victim, lock), 0);
	assert_refused(f->sub, -ELOOP, "cannot open lock");
	fd = open(victim, O_RDONLY | O_CLOEXEC);
	assert_int_equal(read(fd, buf, sizeof(buf)), 9);
	close(fd);
	assert_string_equal(buf, "precious\n");

	assert_int_equal(unlink(lock), 0);
	assert_int_equal(mkfifo(lock, 0600), 0);
	assert_refused(f->sub, -EPERM, "lock is not a plain file");
}

/* ---- unreadable records (issue 11, item 14) ---- */

static const struct lmc_store_bad *find_bad(const struct lmc_store_bad *b, size_t n,
					    const char *file)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(b[i].file, file) == 0)
			return &b[i];
	fail_msg("%s is not listed as bad", file);
	return NULL;
}

/* Listed with the container its file name gives; moved aside to *.corrupt by the lock holder
 * only, after which a load meets them no more. */
static void test_corrupt_listed_and_moved_aside(void **state)
{
	struct fixture *f = *state;
	struct lmc_store *s = open_store(f->sub, false);
	struct lmc_record r, *recs = NULL;
	struct lmc_store_bad *bad = NULL;
	const struct lmc_store_bad *b;
	size_t n = 0, nbad = 0;

	make_record(&r, "jobA", 1);
	assert_int_equal(lmc_store_put(s, &r, NULL), 0);
	make_record(&r, "jobA/x", 2);
	assert_int_equal(lmc_store_put(s, &r, NULL), 0);
	write_file(f->sub, "jobA+x.rec", "\x0a", 1); /* truncated */
	write_file(f->sub, "long~0123456789abcdef.rec", "\xff\xff", 2);

	/* a reader lists them and moves nothing */
	assert_int_equal(lmc_store_load(s, &recs, &n, &bad, &nbad), 0);
	assert_int_equal(n, 1);
	assert_int_equal(nbad, 2);
	b = find_bad(bad, nbad, "jobA+x.rec");
	assert_string_equal(b->name, "jobA/x");
	assert_string_equal(b->aside, "");
	b = find_bad(bad, nbad, "long~0123456789abcdef.rec");
	assert_string_equal(b->name, "");
	assert_true(file_exists(f->sub, "jobA+x.rec"));
	free(recs);
	free(bad);
	lmc_store_free(s);

	s = open_store(f->sub, true);
	assert_int_equal(lmc_store_load(s, &recs, &n, &bad, &nbad), 0);
	assert_int_equal(nbad, 2);
	b = find_bad(bad, nbad, "jobA+x.rec");
	assert_string_equal(b->aside, "jobA+x.rec.corrupt");
	assert_false(file_exists(f->sub, "jobA+x.rec"));
	assert_true(file_exists(f->sub, "jobA+x.rec.corrupt"));
	assert_true(file_exists(f->sub, "long~0123456789abcdef.rec.corrupt"));
	free(recs);
	free(bad);
	assert_int_equal(lmc_store_load(s, &recs, &n, &bad, &nbad), 0);
	assert_int_equal(n, 1);
	assert_int_equal(nbad, 0);
	free(recs);
	free(bad);
	lmc_store_free(s);
}

/* The default state directory holds the agent's socket too: made 0755 so owners reach the
 * socket, while the records stay where only root reads them. */
static void test_shared_dir_mode(void **state)
{
	struct fixture *f = *state;
	struct lmc_store_opts o = {.dir = f->sub, .lock = true, .dir_mode = 0755};
	struct lmc_store *s = NULL;
	struct lmc_record r;
	struct stat st;
	char p[600];
	mode_t old = umask(022);

	assert_int_equal(lmc_store_open(&o, &s, NULL), 0);
	umask(old);
	make_record(&r, "jobA", 1);
	assert_int_equal(lmc_store_put(s, &r, NULL), 0);
	assert_int_equal(stat(f->sub, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0755);
	snprintf(p, sizeof(p), "%s/containers", f->sub);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	snprintf(p, sizeof(p), "%s/containers/jobA.rec", f->sub);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	lmc_store_free(s);
}

/* One record by name (what a run in direct mode reads instead of every record), and
 * whether any record lies below a name, from file names alone. */
static void test_get_by_name_and_below(void **state)
{
	struct fixture *f = *state;
	struct lmc_store *s = open_store(f->sub, true);
	struct lmc_record r, got;
	char longname[LMC_NAME_MAX + 1];

	make_record(&r, "job", 4); /* READY */
	assert_int_equal(lmc_store_put(s, &r, NULL), 0);
	make_record(&r, "job/a", 5);
	assert_int_equal(lmc_store_put(s, &r, NULL), 0);
	make_record(&r, "jobb", 8);
	assert_int_equal(lmc_store_put(s, &r, NULL), 0);

	assert_int_equal(lmc_store_get(s, "job/a", &got), 0);
	assert_string_equal(got.name, "job/a");
	assert_true(got.spec.pids.limit == 5);
	assert_int_equal(got.state, LMC_REC_CREATING); /* 5 % 4: states come back as stored */
	assert_int_equal(lmc_store_get(s, "job/b", &got), -ENOENT);
	assert_int_equal(lmc_store_get(s, "", &got), -ENOENT); /* no root record yet */
	assert_int_equal(lmc_store_get(s, "a//b", &got), -EINVAL);
	/* a file holding another name's record, or not a record at all */
	write_file(f->sub, "job+c.rec", "\x0a\x03job", 5);
	assert_int_equal(lmc_store_get(s, "job/c", &got), -EBADMSG);
	write_file(f->sub, "job+d.rec", "\xff\xff\xff", 3);
	assert_int_equal(lmc_store_get(s, "job/d", &got), -EBADMSG);
	unlink_rec(f->sub, "job+c.rec");
	unlink_rec(f->sub, "job+d.rec");

	/* a long name is stored by its hash and found through it */
	for (size_t i = 0; i < LMC_NAME_MAX; i++)
		longname[i] = i % 60 == 59 ? '/' : 'x';
	longname[LMC_NAME_MAX] = '\0';
	make_record(&r, longname, 4);
	assert_int_equal(lmc_store_put(s, &r, NULL), 0);
	assert_int_equal(lmc_store_get(s, longname, &got), 0); /* found through its hash */
	assert_int_equal(lmc_store_del(s, longname, NULL), 0);
	assert_int_equal(lmc_store_get(s, longname, &got), -ENOENT);
	lmc_store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_1000, setup, teardown),
		cmocka_unit_test_setup_teardown(test_root_and_long_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupted_write_cleaned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_between_processes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unsafe_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_foreign_owner, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_listed_and_moved_aside, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_shared_dir_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_by_name_and_below, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
