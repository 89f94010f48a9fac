/* Small utilities every layer shares, written once: the monotonic clock, whole-file reads,
 * mkdir -p, a bounded string copy. */
#ifndef LMC_UTIL_H
#define LMC_UTIL_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CLOCK_MONOTONIC in milliseconds (deadlines and bounded waits). */
int64_t lmc_util_now_ms(void);
/* The same in nanoseconds (latencies). */
uint64_t lmc_util_now_ns(void);

/* Read fd from its current offset to its end into buf, NUL-terminated: at most size - 1
 * bytes (what does not fit is not read). Returns the length, or -errno. one_shot: the file
 * is a kernel file of one record (a cgroupfs value or stat file), which the kernel hands
 * over whole in one read when it is under a page; a short read of such a file is its end,
 * and the read that would only find EOF is saved (a tenth of a stats read). Not for files
 * of many records (cgroup.procs) nor pipes. */
int lmc_util_read(int fd, char *buf, size_t size, bool one_shot);
/* The same into a malloc'd NUL-terminated buffer that grows to fit (*ret, freed by the
 * caller); -EFBIG when the file holds more than max bytes. Returns the length, or -errno. */
int lmc_util_read_all(int fd, size_t max, bool one_shot, char **ret);
/* A small regular file under dirfd (a record of a state directory) in one open and, when it
 * fits in buf (size bytes), one read: a restart reads thousands of them. d_type is readdir's:
 * DT_REG spares the fstat (the directory is its lock holder's own), another type than
 * DT_UNKNOWN is refused. A file that fills buf is read whole into *ret_big (malloc'd, freed by
 * the caller; else NULL). -EBADMSG: not a regular file, or more than max bytes. Returns the
 * length and *ret (buf or *ret_big), or -errno. */
/* A directory stream of dirfd's directory from its start, on a descriptor of its own (dirfd
 * stays the caller's). 0 or -errno. */
int lmc_util_opendir_at(int dirfd, DIR **ret);
int lmc_util_read_file_at(int dirfd, const char *file, unsigned char d_type, size_t max, char *buf,
			  size_t size, char **ret_big, const char **ret);

/* FNV-1a, 64 bits, of a string: hash tables' buckets, and the store's hashed file names
 * (which must never change: records on disk are found by it). */
uint64_t lmc_util_hash(const char *s);

/* Make dir and every missing directory above it (mode for each); 0 or -errno. */
int lmc_util_mkdir_p(const char *dir, unsigned mode);

/* Copy src (NULL is "") into dst of size bytes; -EBADMSG if it does not fit (a decoded
 * string longer than its field), dst untouched then. */
int lmc_util_copy_str(char *dst, size_t size, const char *src);

#endif
