/* Small cleanup and utility macros shared by every module (systemd style, kept minimal). */
#ifndef LMC_MACRO_H
#define LMC_MACRO_H

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifndef container_of
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#endif

static inline void lmc_freep(void *p)
{
	free(*(void **)p);
}

static inline void lmc_closep(int *fd)
{
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}

#define _cleanup_free_ _cleanup_(lmc_freep)
#define _cleanup_close_ _cleanup_(lmc_closep)

/* Hand ownership out of a _cleanup_ variable. */
#define TAKE_PTR(p)                      \
	({                               \
		__typeof__(p) _tp = (p); \
		(p) = NULL;              \
		_tp;                     \
	})
#define TAKE_FD(fd)             \
	({                      \
		int _tf = (fd); \
		(fd) = -EBADF;  \
		_tf;            \
	})

/* -errno of the last failed libc call, never 0. */
static inline int lmc_negerrno(void)
{
	return errno > 0 ? -errno : -EIO;
}

#endif
