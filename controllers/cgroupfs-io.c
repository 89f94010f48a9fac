/* The kernel boundary, part 2: file I/O on a container's directory, openat relative to the
 * container's cached directory fd (cgroupfs-dcache.c). */
#include "controllers/cgroupfs-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/spec.h"
#include "base/util.h"

static int write_fd(int fd, const char *val)
{
	size_t len = strlen(val);
	/* One write(2): the kernel parses each write as one whole value. */
	ssize_t n = write(fd, val, len);

	if (n < 0)
		return lmc_negerrno();
	return (size_t)n == len ? 0 : -EIO;
}

/* A fake root is a plain directory: there are no kernel files to open, create makes them. */
static int wflags(bool create)
{
	return O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_TRUNC : 0);
}

int lmc_cgfs_write_at(int dirfd, const char *path, const char *val, bool create)
{
	_cleanup_close_ int fd = openat(dirfd, path, wflags(create), 0644);

	if (fd < 0)
		return lmc_negerrno();
	return write_fd(fd, val);
}

int lmc_cgfs_read_at(int dirfd, const char *path, char *buf, size_t size)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return lmc_negerrno();
	return lmc_util_read(fd, buf, size, true);
}

int lmc_cgfs_read_all_at(int dirfd, const char *path, char **ret)
{
	_cleanup_close_ int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return lmc_negerrno();
	/* cgroup.procs and /proc files: many records, read to the end */
	return lmc_util_read_all(fd, SIZE_MAX, false, ret);
}

static bool value_end(char c)
{
	return c == '\0' || c == '\n' || c == ' ' || c == '\t';
}

/* One value as the kernel writes it: a decimal number, or "max" for no limit (LMC_UNSET). */
static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	unsigned long long v;

	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, "max", 3) == 0 && value_end(s[3])) {
		*ret = LMC_UNSET;
		return 0;
	}
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || !value_end(*end))
		return -EINVAL;
	*ret = v;
	return 0;
}

int lmc_cgfs_parse_key(const char *buf, const char *key, uint64_t *ret)
{
	size_t klen = strlen(key);
	const char *p = buf;

	while (p && *p) {
		if (strncmp(p, key, klen) == 0 && (p[klen] == ' ' || p[klen] == '\t'))
			return parse_u64(p + klen + 1, ret);
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return -ENOENT;
}

/* Open file in name's directory of controller c through the kept directory fd. ENOENT
 * there is checked once by path from lmctl's root: a directory another process removed and
 * made again is a new cgroup, and the kept fd is then forgotten. file NULL: the directory. */
static int open_in(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
		   int flags)
{
	struct lmc_cgfs_dref ref;
	char path[PATH_MAX];
	int h = lmc_cgfs_hier_of(cg, c);
	int dfd, fd, r;

	if (h < 0)
		return h;
	if (file && strchr(file, '/'))
		return -EINVAL;
	dfd = lmc_cgfs_dir_get(cg, h, name, &ref);
	if (dfd < 0)
		return dfd;
	fd = openat(dfd, file ? file : ".", flags | O_CLOEXEC, 0644);
	r = fd < 0 ? lmc_negerrno() : fd;
	if (r == -ENOENT && ref.ent && lmc_cgfs_relpath(name, file, path, sizeof(path)) >= 0) {
		fd = openat(cg->hier[h].root_fd, path, flags | O_CLOEXEC, 0644);
		if (fd >= 0) {
			lmc_cgfs_dir_forget(cg, name);
			r = fd;
		}
	}
	lmc_cgfs_dir_put(cg, &ref);
	return r;
}

int lmc_cgfs_write(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
		   const char *val)
{
	_cleanup_close_ int fd = open_in(cg, c, name, file, wflags(cg->fake));

	if (fd < 0)
		return fd;
	return write_fd(fd, val);
}

int lmc_cgfs_writef(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
		    const char *fmt, ...)
{
	char val[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(val))
		return -E2BIG;
	return lmc_cgfs_write(cg, c, name, file, val);
}

/* The statistics files a reading goes round again and again (`lmctl stats`, a scrape): kept
 * open in the container's entry of the directory table once read (cgroupfs-dcache.c, within
 * its bound in fds), and read again with pread from offset 0, which makes the kernel's
 * seq_file show the file anew (kernfs: a read at offset 0 starts the iterator over; the same
 * on v1 and cgroup2 files, tests/unit/test_cgroupfs.c's test_kept_fresh and
 * tests/integration/test_stats_kept.c): one system call where openat, read and close were
 * three, and no kernfs open and release, seq_file set-up and memcg charge each time
 * (4-13 us a file against 10-40 us on this host). What it costs: an fd and the seq_file's
 * page (4 KiB of kernel memory) per file while the container lives. */
static const char *const kept_files[] = {
	"memory.usage_in_bytes",
	"memory.max_usage_in_bytes",
	"memory.failcnt",
	"memory.stat",
	"memory.oom_control",
	"memory.limit_in_bytes",
	"memory.current",
	"memory.peak",
	"memory.swap.current",
	"memory.events",
	"memory.max",
	"cpu.stat",
	"cpuacct.usage",
	"cpuacct.stat",
	"pids.current",
	"pids.max",
	"blkio.throttle.io_service_bytes_recursive",
	"blkio.throttle.io_serviced_recursive",
	"io.stat",
	"cpu.pressure",
	"memory.pressure",
	"io.pressure",
	/* a parent's sets, which each new child's cpuset copies (v1) */
	"cpuset.cpus",
	"cpuset.mems",
};

static int kept_index(const char *file)
{
	for (size_t k = 0; k < ARRAY_SIZE(kept_files); k++)
		if (strcmp(file, kept_files[k]) == 0)
			return (int)k;
	return -1;
}

/* The whole file from offset 0 into buf (NUL-terminated): as lmc_util_read, with pread. */
static int pread_whole(int fd, char *buf, size_t size)
{
	size_t len = 0;

	while (len < size - 1) {
		size_t want = size - 1 - len;
		ssize_t n = pread(fd, buf + len, want, (off_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return lmc_negerrno();
		len += (size_t)n;
		/* a seq_file's first read gives all of a file under a page */
		if (n == 0 || ((size_t)n < want && len < 4096))
			break;
	}
	buf[len] = '\0';
	return (int)len;
}

/* file through its kept fd: its length, or -ENOENT when it is not kept or that fd fails (the
 * cgroup was removed: the caller's open path finds out what happened and says so). */
static int kept_read(struct lmc_cgfs *cg, int h, const char *name, int k, char *buf, size_t size)
{
	struct lmc_cgfs_dref ref;
	int fd, n;

	if (k < 0 || h < 0 || size == 0)
		return -ENOENT;
	fd = lmc_cgfs_kept_get(cg, h, name, (unsigned)k, &ref);
	if (fd < 0)
		return -ENOENT;
	n = pread_whole(fd, buf, size);
	lmc_cgfs_dir_put(cg, &ref);
	return n < 0 ? -ENOENT : n;
}

int lmc_cgfs_read(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
		  char *buf, size_t size)
{
	int h = lmc_cgfs_hier_of(cg, c), k = kept_index(file), r;
	_cleanup_close_ int fd = -EBADF;

	r = kept_read(cg, h, name, k, buf, size);
	if (r >= 0)
		return r;
	fd = open_in(cg, c, name, file, O_RDONLY);
	if (fd < 0)
		return fd;
	r = lmc_util_read(fd, buf, size, true);
	if (r >= 0 && k >= 0)
		lmc_cgfs_kept_add(cg, h, name, (unsigned)k, TAKE_FD(fd));
	return r;
}

int lmc_cgfs_read_u64(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
		      uint64_t *ret)
{
	char buf[64];
	uint64_t v;
	int r = lmc_cgfs_read(cg, c, name, file, buf, sizeof(buf));

	if (r < 0)
		return r;
	r = parse_u64(buf, &v);
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

/* Keyed files are small; io.stat and blkio's per-device files grow with the number of disks:
 * the buffer grows until the whole file fits. */
#define STAT_FILE_MAX (4u << 20)

/* A kept file read into this much on the stack first (v1 memory.stat: ~1.5 KiB); one that
 * fills it is read whole through a new fd. */
#define KEPT_READ 8192

int lmc_cgfs_read_all(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
		      char **ret)
{
	int h = lmc_cgfs_hier_of(cg, c), k = kept_index(file), r;
	_cleanup_close_ int fd = -EBADF;
	char buf[KEPT_READ];

	r = kept_read(cg, h, name, k, buf, sizeof(buf));
	if (r >= 0 && (size_t)r < sizeof(buf) - 1) {
		*ret = malloc((size_t)r + 1);
		if (!*ret)
			return -ENOMEM;
		memcpy(*ret, buf, (size_t)r + 1);
		return r;
	}
	fd = open_in(cg, c, name, file, O_RDONLY);
	if (fd < 0)
		return fd;
	r = lmc_util_read_all(fd, STAT_FILE_MAX, true, ret);
	if (r >= 0 && (size_t)r < sizeof(buf) - 1 && k >= 0)
		lmc_cgfs_kept_add(cg, h, name, (unsigned)k, TAKE_FD(fd));
	return r;
}

int lmc_cgfs_read_key(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
		      const char *key, uint64_t *ret)
{
	_cleanup_free_ char *buf = NULL;
	uint64_t v;
	int r;

	r = lmc_cgfs_read_all(cg, c, name, file, &buf);
	if (r < 0)
		return r;
	r = lmc_cgfs_parse_key(buf, key, &v);
	if (r < 0)
		return r;
	*ret = v;
	return 0;
}

/* Files the kernel gives every cgroup of a hierarchy alike but its own root (a
 * controller's, or the core's on cgroup2), so one seen once is there in every container:
 * a create asked for the BFQ weight twice, a destroy for cgroup.kill. Absence is never
 * remembered (a module such as BFQ may load later). */
static const char *const uniform_files[] = {
	"blkio.bfq.weight", "blkio.weight",   "cgroup.kill",
	"cgroup.freeze",    "memory.reclaim", "memory.memsw.limit_in_bytes",
};

static int uniform_bit(const struct lmc_cgfs_hier *h, const char *name, const char *file)
{
	if (!name[0] && !h->root[0])
		return -1; /* the hierarchy's root has files of its own */
	for (size_t i = 0; i < ARRAY_SIZE(uniform_files); i++)
		if (strcmp(uniform_files[i], file) == 0)
			return (int)i;
	return -1;
}

bool lmc_cgfs_file_exists(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file)
{
	struct lmc_cgfs_dref ref;
	int h = lmc_cgfs_hier_of(cg, c), bit;
	bool yes;

	if (h < 0)
		return false;
	bit = uniform_bit(&cg->hier[h], name, file);
	if (bit >= 0 && (__atomic_load_n(&cg->hier[h].seen_files, __ATOMIC_RELAXED) & (1u << bit)))
		return lmc_cgfs_dir_exists(cg, c, name);
	if (lmc_cgfs_dir_get(cg, h, name, &ref) < 0)
		return false;
	yes = faccessat(ref.fd, file, F_OK, 0) == 0;
	lmc_cgfs_dir_put(cg, &ref);
	if (yes && bit >= 0)
		__atomic_fetch_or(&cg->hier[h].seen_files, 1u << bit, __ATOMIC_RELAXED);
	return yes;
}

bool lmc_cgfs_dir_exists(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name)
{
	struct lmc_cgfs_dref ref;
	int h = lmc_cgfs_hier_of(cg, c);

	if (h < 0 || lmc_cgfs_dir_get(cg, h, name, &ref) < 0)
		return false;
	lmc_cgfs_dir_put(cg, &ref);
	return true;
}

int lmc_cgfs_open_dir(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name)
{
	return open_in(cg, c, name, NULL, O_RDONLY | O_DIRECTORY);
}

int lmc_cgfs_open_file(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
		       int flags)
{
	return open_in(cg, c, name, file, flags);
}

/* ---- a v1 memory threshold registered on another thread ---- */

struct lmc_cgfs_memreg {
	int ctl, usage; /* cgroup.event_control, memory.usage_in_bytes */
	int efd; /* the caller's */
	uint64_t bytes;
};

int lmc_cgfs_memreg_prepare(struct lmc_cgfs *cg, const char *name, int efd, uint64_t bytes,
			    struct lmc_cgfs_memreg **ret)
{
	struct lmc_cgfs_memreg *m = calloc(1, sizeof(*m));
	int r;

	if (!m)
		return -ENOMEM;
	*m = (struct lmc_cgfs_memreg){.ctl = -1, .usage = -1, .efd = efd, .bytes = bytes};
	m->ctl = open_in(cg, LMC_CTRL_MEMORY, name, "cgroup.event_control", O_WRONLY);
	m->usage = m->ctl < 0
			   ? m->ctl
			   : open_in(cg, LMC_CTRL_MEMORY, name, "memory.usage_in_bytes", O_RDONLY);
	r = m->ctl < 0 ? m->ctl : m->usage < 0 ? m->usage : 0;
	if (r < 0) {
		lmc_cgfs_memreg_free(m);
		return r;
	}
	*ret = m;
	return 0;
}

int lmc_cgfs_memreg_do(struct lmc_cgfs_memreg *m, uint64_t *ret_usage)
{
	char buf[96], num[32];
	int n = snprintf(buf, sizeof(buf), "%d %d %" PRIu64, m->efd, m->usage, m->bytes);
	ssize_t k = pread(m->usage, num, sizeof(num) - 1, 0);

	num[k > 0 ? k : 0] = '\0';
	*ret_usage = strtoull(num, NULL, 10);
	return write(m->ctl, buf, (size_t)n) == n ? 0 : lmc_negerrno();
}

void lmc_cgfs_memreg_free(struct lmc_cgfs_memreg *m)
{
	if (!m)
		return;
	if (m->ctl >= 0)
		close(m->ctl);
	if (m->usage >= 0)
		close(m->usage);
	free(m);
}
