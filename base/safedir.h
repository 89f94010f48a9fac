/* Opening a directory that holds root's state (the store) so that no other user can have
 * put anything in its way: every directory on the path is owned by root (or by the caller)
 * and writable by no one else, or is sticky (as /tmp is) and so lets no one else rename what
 * the caller owns in it; a symbolic link is followed only where no one else could have
 * planted it. The walk goes one component at a time from "/", each opened with O_NOFOLLOW
 * relative to the one before, so nothing can be swapped in between the check and the use. */
#ifndef LMC_SAFEDIR_H
#define LMC_SAFEDIR_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

/* Open dir (O_RDONLY|O_DIRECTORY|O_CLOEXEC), creating missing components with mode (0700, or
 * 0755 for a directory others must traverse, as the default one that holds the socket).
 * The directory itself must be owned by the caller's euid and writable by no one else.
 * Returns the fd, or -errno with err naming the offending path ("state directory %s: ..."). */
int lmc_safedir_open(const char *what, const char *dir, unsigned mode, struct lmc_err *err);
/* The same checks for a directory already open (fd), strict as for the directory itself. */
int lmc_safedir_check(const char *what, const char *path, int fd, struct lmc_err *err);
/* Write all of buf to fd (a file of the state directory), across short writes and EINTR;
 * 0 or -errno. */
int lmc_safedir_write_all(int fd, const void *buf, size_t len);

#endif
