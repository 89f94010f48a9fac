/* The persistent spec store: <dir>/containers/<encoded name>.rec, one protobuf record per
 * container, replaced atomically (temporary file, rename; with durable, fsync of the file
 * before and of the directory after),
 * and <dir>/lock, an flock whose file holds the holder's pid so a refusal can name it. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "base/name.h"
#include "base/safedir.h"
#include "base/util.h"
#include "core/store.h"

#define CONTAINERS_DIR "containers"
#define LOCK_FILE "lock"
#define REC_SUFFIX ".rec"
#define ROOT_FILE "@machine" REC_SUFFIX
#define TMP_PREFIX ".tmp."
#define CORRUPT_SUFFIX ".corrupt"
/* Records are a few KiB; anything far bigger is not one of ours. */
#define REC_SIZE_MAX (1u << 20)
/* Names too long for a file name keep this much of their encoding plus a hash. */
#define HASHED_PREFIX 200

struct lmc_store {
	char *dir;
	int dirfd, cdirfd, lockfd;
	bool durable;
	bool locked; /* lockfd holds the flock (and its file our pid) */
	unsigned tmp_seq;
	unsigned dir_mode;
};

/* The file holding name's record. '/' becomes '+' (never in a name, so the mapping is
 * one-to-one); a name whose file name would pass NAME_MAX keeps a prefix and gains a hash
 * after '~' (also never in a name), and its record's own name settles any doubt. */
static int rec_filename(const char *name, char *buf, size_t size)
{
	size_t len, n;

	if (lmc_name_is_root(name))
		return snprintf(buf, size, "%s", ROOT_FILE) < (int)size ? 0 : -ENAMETOOLONG;
	if (!lmc_name_is_valid(name))
		return -EINVAL;
	len = strlen(name);
	n = len + strlen(REC_SUFFIX) <= NAME_MAX ? len : HASHED_PREFIX;
	if (size <= NAME_MAX)
		return -ENAMETOOLONG;
	for (size_t i = 0; i < n; i++)
		buf[i] = name[i] == '/' ? '+' : name[i];
	if (n == len)
		snprintf(buf + n, size - n, "%s", REC_SUFFIX);
	else
		snprintf(buf + n, size - n, "~%016llx%s", (unsigned long long)lmc_util_hash(name),
			 REC_SUFFIX);
	return 0;
}

/* The pid written by the current holder, 0 if unknown. */
static long lock_holder(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* flock with a bounded wait: retry every few ms until timeout_ms has passed. */
static int lock_wait(int fd, int timeout_ms)
{
	int64_t deadline = lmc_util_now_ms() + (timeout_ms > 0 ? timeout_ms : 0);

	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return lmc_negerrno();
		int64_t left = deadline - lmc_util_now_ms();

		if (left <= 0)
			return -EWOULDBLOCK;
		struct timespec ts = {0, (left < 10 ? left : 10) * 1000000L};

		nanosleep(&ts, NULL);
	}
}

static int take_lock(struct lmc_store *s, int timeout_ms, struct lmc_err *err)
{
	char pid[32];
	int r, len;

	struct stat st;

	/* Never through a link, never anything but our own plain file: a root process opening
	 * "lock" must not truncate whatever someone made it point at. */
	s->lockfd = openat(s->dirfd, LOCK_FILE,
			   O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (s->lockfd < 0)
		return lmc_err_set(err, lmc_negerrno(), "state directory %s: cannot open %s: %m",
				   s->dir, LOCK_FILE);
	if (fstat(s->lockfd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
		return lmc_err_set(err, -EPERM,
				   "state directory %s: %s is not a plain file of this user",
				   s->dir, LOCK_FILE);
	r = lock_wait(s->lockfd, timeout_ms);
	if (r == -EWOULDBLOCK) {
		long holder = lock_holder(s->lockfd);

		if (holder > 0)
			return lmc_err_set(err, r, "state directory %s is locked by pid %ld",
					   s->dir, holder);
		return lmc_err_set(err, r, "state directory %s is locked by another process",
				   s->dir);
	}
	if (r < 0)
		return lmc_err_set(err, r, "state directory %s: cannot lock: %s", s->dir,
				   strerror(-r));
	s->locked = true;
	len = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(s->lockfd, 0) < 0 || pwrite(s->lockfd, pid, len, 0) != len)
		return lmc_err_set(err, lmc_negerrno(), "state directory %s: cannot write %s: %m",
				   s->dir, LOCK_FILE);
	return 0;
}

static int open_dirs(struct lmc_store *s, struct lmc_err *err)
{
	char path[PATH_MAX];

	s->dirfd = lmc_safedir_open("state directory", s->dir, s->dir_mode, err);
	if (s->dirfd < 0)
		return s->dirfd;
	if (mkdirat(s->dirfd, CONTAINERS_DIR, 0700) < 0 && errno != EEXIST)
		return lmc_err_set(err, lmc_negerrno(), "state directory %s: cannot create %s: %m",
				   s->dir, CONTAINERS_DIR);
	s->cdirfd =
		openat(s->dirfd, CONTAINERS_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s->cdirfd < 0)
		return lmc_err_set(err, lmc_negerrno(), "state directory %s: cannot open %s: %m",
				   s->dir, CONTAINERS_DIR);
	snprintf(path, sizeof(path), "%s/%s", s->dir, CONTAINERS_DIR);
	return lmc_safedir_check("state directory", path, s->cdirfd, err);
}

int lmc_store_open(const struct lmc_store_opts *opts, struct lmc_store **ret, struct lmc_err *err)
{
	struct lmc_store *s;
	int r;

	if (!opts->dir || !*opts->dir)
		return lmc_err_set(err, -EINVAL, "state directory: empty path");
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->dirfd = s->cdirfd = s->lockfd = -EBADF;
	s->durable = opts->durable;
	s->dir_mode = opts->dir_mode ? opts->dir_mode : 0700;
	s->dir = strdup(opts->dir);
	if (!s->dir) {
		r = -ENOMEM;
		goto out_free;
	}
	r = open_dirs(s, err);
	if (r >= 0 && opts->lock)
		r = take_lock(s, opts->lock_timeout_ms, err);
	if (r < 0)
		goto out_free;
	*ret = s;
	return 0;
out_free:
	lmc_store_free(s);
	return r;
}

void lmc_store_free(struct lmc_store *s)
{
	if (!s)
		return;
	/* leave no stale pid for the next refusal to name; a failure is harmless, the next
	 * holder rewrites it */
	if (s->locked && ftruncate(s->lockfd, 0) < 0) {
		/* ignored */
	}
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->cdirfd >= 0)
		close(s->cdirfd);
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->dir);
	free(s);
}

const char *lmc_store_dir(const struct lmc_store *s)
{
	return s->dir;
}

/* Write buf to a fresh temporary file in the containers directory and rename it over
 * file: a reader sees the old record or the new one, never a mix. */
static int replace_file_at(struct lmc_store *s, int dirfd, const char *file, const uint8_t *buf,
			   size_t len, bool durable)
{
	char tmp[64];
	int fd, r;

	snprintf(tmp, sizeof(tmp), TMP_PREFIX "%ld.%u", (long)getpid(), s->tmp_seq++);
	/* O_EXCL: a fresh file of ours, never one left (or linked) there before; a leftover of
	 * a dead writer with our pid goes first. */
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST && unlinkat(dirfd, tmp, 0) == 0)
		fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return lmc_negerrno();
	r = lmc_safedir_write_all(fd, buf, len);
	if (r >= 0 && durable && fsync(fd) < 0)
		r = lmc_negerrno();
	if (close(fd) < 0 && r >= 0)
		r = lmc_negerrno();
	if (r >= 0 && renameat(dirfd, tmp, dirfd, file) < 0)
		r = lmc_negerrno();
	if (r < 0) {
		unlinkat(dirfd, tmp, 0);
		return r;
	}
	if (durable && fsync(dirfd) < 0)
		return lmc_negerrno();
	return 0;
}

static int replace_file(struct lmc_store *s, const char *file, const uint8_t *buf, size_t len,
			bool durable)
{
	return replace_file_at(s, s->cdirfd, file, buf, len, durable);
}

int lmc_store_meta_get(struct lmc_store *s, const char *key, char *buf, size_t size)
{
	int fd = openat(s->dirfd, key, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return lmc_negerrno();
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return lmc_negerrno();
	if ((size_t)n >= size - 1)
		return -EFBIG;
	buf[n] = '\0';
	return (int)n;
}

int lmc_store_meta_put(struct lmc_store *s, const char *key, const char *val)
{
	return replace_file_at(s, s->dirfd, key, (const uint8_t *)val, strlen(val), s->durable);
}

int lmc_store_put(struct lmc_store *s, const struct lmc_record *rec, struct lmc_err *err)
{
	_cleanup_free_ uint8_t *buf = NULL;
	char file[NAME_MAX + 1];
	size_t len;
	int r;

	r = rec_filename(rec->name, file, sizeof(file));
	if (r < 0)
		return lmc_err_set(err, r, "state directory %s: invalid container name '%.*s'",
				   s->dir, LMC_NAME_MAX, rec->name);
	r = lmc_record_encode(rec, &buf, &len);
	if (r < 0)
		return lmc_err_set(err, r, "%s: cannot encode record: %s",
				   lmc_name_display(rec->name), strerror(-r));
	/* With durable, only what must outlive a power cut is synced: a READY record. CREATING and
	 * DESTROYING records are write-ahead notes for a crash of the process (the page cache
	 * survives that); after a power cut the kernel's cgroups are gone anyway, and an
	 * intent lost with them changes nothing. Measured: 12 fsyncs -> 5 per lifecycle. */
	r = replace_file(s, file, buf, len, s->durable && rec->state == LMC_REC_READY);
	if (r < 0)
		return lmc_err_set(err, r, "state directory %s: cannot save %s: %s", s->dir,
				   lmc_name_display(rec->name), strerror(-r));
	return 0;
}

int lmc_store_del(struct lmc_store *s, const char *name, struct lmc_err *err)
{
	int r = lmc_store_del_nosync(s, name, err);

	return r < 0 ? r : lmc_store_sync(s, err);
}

int lmc_store_sync(struct lmc_store *s, struct lmc_err *err)
{
	if (s->durable && fsync(s->cdirfd) < 0)
		return lmc_err_set(err, lmc_negerrno(), "state directory %s: fsync: %m", s->dir);
	return 0;
}

int lmc_store_del_nosync(struct lmc_store *s, const char *name, struct lmc_err *err)
{
	char file[NAME_MAX + 1];
	int r;

	r = rec_filename(name, file, sizeof(file));
	if (r < 0)
		return lmc_err_set(err, r, "state directory %s: invalid container name '%s'",
				   s->dir, name);
	if (unlinkat(s->cdirfd, file, 0) < 0) {
		if (errno == ENOENT)
			return 0;
		return lmc_err_set(err, lmc_negerrno(), "state directory %s: cannot remove %s: %m",
				   s->dir, lmc_name_display(name));
	}
	return 0;
}

/* Read and decode one record file: one open and one read (d_type from readdir). */
static int read_record(struct lmc_store *s, const char *file, unsigned char d_type,
		       struct lmc_record *ret)
{
	char buf[8192];
	_cleanup_free_ char *big = NULL;
	const char *p;
	int n = lmc_util_read_file_at(s->cdirfd, file, d_type, REC_SIZE_MAX, buf, sizeof(buf), &big,
				      &p);

	if (n < 0)
		return n;
	return lmc_record_decode((const uint8_t *)p, (size_t)n, ret);
}

/* A temporary file no live writer owns: all of them if we hold the lock, else those whose
 * writer has died. */
static bool tmp_is_stale(struct lmc_store *s, const char *file)
{
	long pid = strtol(file + strlen(TMP_PREFIX), NULL, 10);

	if (s->locked || pid <= 0)
		return true;
	return kill((pid_t)pid, 0) < 0 && errno == ESRCH;
}

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Decode one directory entry; *ok only if it is a record stored where its name belongs. */
static int load_one(struct lmc_store *s, const char *file, unsigned char d_type,
		    struct lmc_record *rec, bool *ok)
{
	char want[NAME_MAX + 1];
	int r;

	*ok = false;
	r = read_record(s, file, d_type, rec);
	if (r == -ENOMEM)
		return r;
	if (r < 0)
		return 0;
	/* a record under another name's file is a copy or a corruption: not trusted */
	if (rec_filename(rec->name, want, sizeof(want)) < 0 || strcmp(want, file) != 0)
		return 0;
	*ok = true;
	return 0;
}

static int grow(void *arr, size_t elem, size_t *cap, size_t n)
{
	void **p = arr, *q;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	q = realloc(*p, c * elem);
	if (!q)
		return -ENOMEM;
	*p = q;
	*cap = c;
	return 0;
}

/* The container a record file is named for; "" when the name cannot tell (the root's file,
 * a hashed long name, not a name at all). */
static void file_to_name(const char *file, char *buf, size_t size)
{
	size_t len = strlen(file) - strlen(REC_SUFFIX);

	buf[0] = '\0';
	if (strchr(file, '~') || !has_suffix(file, REC_SUFFIX) || len >= size ||
	    strcmp(file, ROOT_FILE) == 0)
		return;
	for (size_t i = 0; i < len; i++)
		buf[i] = file[i] == '+' ? '/' : file[i];
	buf[len] = '\0';
	if (!lmc_name_is_valid(buf))
		buf[0] = '\0';
}

/* A record load cannot use: listed, and (by the lock holder) moved aside to <file>.corrupt,
 * where the next load does not meet it again and a person can look at it. */
static void set_bad(struct lmc_store *s, const char *file, struct lmc_store_bad *b)
{
	size_t keep = NAME_MAX - strlen(CORRUPT_SUFFIX);

	memset(b, 0, sizeof(*b));
	snprintf(b->file, sizeof(b->file), "%s", file);
	file_to_name(file, b->name, sizeof(b->name));
	if (!s->locked)
		return;
	snprintf(b->aside, sizeof(b->aside), "%.*s%s", (int)keep, file, CORRUPT_SUFFIX);
	if (renameat(s->cdirfd, file, s->cdirfd, b->aside) < 0)
		b->aside[0] = '\0';
}

static void closedirp(DIR **d)
{
	if (*d)
		closedir(*d);
}

int lmc_store_get(struct lmc_store *s, const char *name, struct lmc_record *ret)
{
	char file[NAME_MAX + 1];
	bool ok;
	int r = rec_filename(name, file, sizeof(file));

	if (r < 0)
		return r;
	r = load_one(s, file, DT_UNKNOWN, ret, &ok);
	if (r < 0)
		return r;
	if (!ok) /* missing, or not that name's */
		return faccessat(s->cdirfd, file, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT
			       ? -ENOENT
			       : -EBADMSG;
	return 0;
}

int lmc_store_load(struct lmc_store *s, struct lmc_record **ret, size_t *ret_n,
		   struct lmc_store_bad **ret_bad, size_t *ret_nbad)
{
	_cleanup_(closedirp) DIR *d = NULL;
	_cleanup_free_ struct lmc_record *recs = NULL;
	_cleanup_free_ struct lmc_store_bad *bad = NULL;
	size_t n = 0, cap = 0, nbad = 0, bcap = 0;
	struct dirent *de;
	int r;

	r = lmc_util_opendir_at(s->cdirfd, &d);
	if (r < 0)
		return r;
	while ((de = readdir(d))) {
		bool ok;

		if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) == 0) {
			if (tmp_is_stale(s, de->d_name))
				unlinkat(s->cdirfd, de->d_name, 0);
			continue;
		}
		if (de->d_name[0] == '.' || !has_suffix(de->d_name, REC_SUFFIX))
			continue;
		r = grow(&recs, sizeof(*recs), &cap, n);
		if (r >= 0)
			r = load_one(s, de->d_name, de->d_type, &recs[n], &ok);
		if (r >= 0 && !ok)
			r = grow(&bad, sizeof(*bad), &bcap, nbad);
		if (r < 0)
			return r;
		if (ok)
			n++;
		else
			set_bad(s, de->d_name, &bad[nbad++]);
	}
	*ret = TAKE_PTR(recs);
	*ret_n = n;
	if (ret_nbad)
		*ret_nbad = nbad;
	if (ret_bad)
		*ret_bad = TAKE_PTR(bad);
	return 0;
}
