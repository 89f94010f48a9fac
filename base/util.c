/* Small utilities every layer shares (util.h): one clock, one read loop, one mkdir -p, one
 * bounded copy, instead of a private copy in each module. */
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/macro.h"

/* Under this a one-record kernel file comes whole in one read (seq_file's first buffer). */
#define SHORT_FILE 4096
#define READ_ALL_FIRST 4096

int64_t lmc_util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t lmc_util_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Read into buf from *len on until buf is full (size - 1 bytes) or the file ends (*eof). */
static int fill(int fd, char *buf, size_t size, size_t *len, bool one_shot, bool *eof)
{
	*eof = false;
	while (*len < size - 1) {
		size_t want = size - 1 - *len;
		ssize_t n = read(fd, buf + *len, want);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return lmc_negerrno();
		*len += (size_t)n;
		if (n == 0 || (one_shot && (size_t)n < want && *len < SHORT_FILE)) {
			*eof = true;
			break;
		}
	}
	buf[*len] = '\0';
	return 0;
}

int lmc_util_read(int fd, char *buf, size_t size, bool one_shot)
{
	size_t len = 0;
	bool eof;
	int r;

	if (size == 0)
		return -EINVAL;
	r = fill(fd, buf, size, &len, one_shot, &eof);
	return r < 0 ? r : (int)len;
}

int lmc_util_read_all(int fd, size_t max, bool one_shot, char **ret)
{
	/* At most max + 1 bytes are read: one more than max says the file is too big. */
	size_t limit = max < INT_MAX - 2 ? max + 2 : INT_MAX;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;
	bool eof = false;

	while (!eof) {
		size_t ncap = cap ? cap * 2 : READ_ALL_FIRST;
		char *nb;
		int r;

		if (ncap > limit)
			ncap = limit;
		nb = realloc(buf, ncap);
		if (!nb)
			return -ENOMEM;
		buf = nb;
		cap = ncap;
		r = fill(fd, buf, cap, &len, one_shot, &eof);
		if (r < 0)
			return r;
		if (len > max || (!eof && cap == limit))
			return -EFBIG;
	}
	*ret = TAKE_PTR(buf);
	return (int)len;
}

static bool regular_under(int fd, size_t max)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size <= max;
}

int lmc_util_opendir_at(int dirfd, DIR **ret)
{
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	*ret = NULL;
	if (fd < 0)
		return lmc_negerrno();
	*ret = fdopendir(fd);
	if (!*ret) {
		int r = lmc_negerrno();

		close(fd);
		return r;
	}
	return 0;
}

int lmc_util_read_file_at(int dirfd, const char *file, unsigned char d_type, size_t max, char *buf,
			  size_t size, char **ret_big, const char **ret)
{
	_cleanup_close_ int fd = -EBADF;
	ssize_t n;
	int r;

	*ret_big = NULL;
	if (d_type != DT_UNKNOWN && d_type != DT_REG)
		return -EBADMSG;
	/* O_NONBLOCK: a fifo put there must not hang the reader before it is refused */
	fd = openat(dirfd, file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return lmc_negerrno();
	if (d_type == DT_UNKNOWN && !regular_under(fd, max))
		return -EBADMSG;
	do
		n = read(fd, buf, size);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return lmc_negerrno();
	/* a regular file's read is short only at its end */
	if ((size_t)n < size) {
		*ret = buf;
		return (size_t)n > max ? -EBADMSG : (int)n;
	}
	if (!regular_under(fd, max) || lseek(fd, 0, SEEK_SET) < 0)
		return -EBADMSG;
	r = lmc_util_read_all(fd, max, false, ret_big);
	if (r == -EFBIG)
		r = -EBADMSG;
	*ret = *ret_big;
	return r;
}

uint64_t lmc_util_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 0x100000001b3ULL;
	return h;
}

int lmc_util_mkdir_p(const char *dir, unsigned mode)
{
	char buf[PATH_MAX];

	if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf))
		return -ENAMETOOLONG;
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, mode) < 0 && errno != EEXIST)
			return lmc_negerrno();
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return lmc_negerrno();
	return 0;
}

int lmc_util_copy_str(char *dst, size_t size, const char *src)
{
	size_t len;

	if (!src)
		src = "";
	len = strlen(src);
	if (len >= size)
		return -EBADMSG;
	memcpy(dst, src, len + 1);
	return 0;
}
