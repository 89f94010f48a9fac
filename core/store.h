/* The persistent spec store: one protobuf record per container under the state directory,
 * written to a temporary file and renamed (fsynced only when asked: runtime state lives on
 * tmpfs by default); an flock on the directory so two lmctl processes (or lmctl and lmctld)
 * never interleave. */
#ifndef LMC_STORE_H
#define LMC_STORE_H

#include <stdbool.h>
#include <limits.h>
#include <stddef.h>

#include "base/err.h"
#include "base/name.h"
#include "core/record.h"

struct lmc_store;

/* Open the state directory, creating what is missing (mode 0700). Refused (-EPERM, -ENOTDIR)
 * unless it and every directory above it is safe from other users (base/safedir.h); every
 * file in it is opened relative to it and never through a symbolic link. lock: take the
 * exclusive lock, waiting up to lock_timeout_ms (0: fail at once with -EWOULDBLOCK, message
 * names the holder pid if known). durable: fsync READY records and the directory, for a state
 * directory on disk that should survive a power cut (the default, /run/lmctl on tmpfs, dies
 * with the cgroups it describes, and a rename is all a process crash needs). dir_mode: the
 * mode of directories it creates (0: 0700). */
struct lmc_store_opts {
	const char *dir;
	bool lock;
	int lock_timeout_ms;
	bool durable;
	unsigned dir_mode;
};
int lmc_store_open(const struct lmc_store_opts *opts, struct lmc_store **ret, struct lmc_err *err);
void lmc_store_free(struct lmc_store *s); /* releases the lock */
const char *lmc_store_dir(const struct lmc_store *s);

/* Atomically write rec (keyed by rec->name; "" is the machine root record): a reader, or the
 * next start after a kill -9, sees the old record or the new one. With durable, a READY
 * record is also on disk when this returns (file and directory fsynced); CREATING and
 * DESTROYING records are written ahead for crash recovery of the process and never synced. */
int lmc_store_put(struct lmc_store *s, const struct lmc_record *rec, struct lmc_err *err);
/* Remove name's record (missing is not an error), durably if the store is. */
int lmc_store_del(struct lmc_store *s, const char *name, struct lmc_err *err);
/* The same without the directory fsync, for removing a subtree: lmc_store_sync once after. */
int lmc_store_del_nosync(struct lmc_store *s, const char *name, struct lmc_err *err);
int lmc_store_sync(struct lmc_store *s, struct lmc_err *err);
/* Small facts about the whole state (the cgroup roots it manages), a file each in the state
 * directory, replaced atomically. get: length, -ENOENT when absent, -EFBIG over size-1. */
int lmc_store_meta_get(struct lmc_store *s, const char *key, char *buf, size_t size);
int lmc_store_meta_put(struct lmc_store *s, const char *key, const char *val);
/* A record file load could not use (does not decode, or holds another name's record). */
struct lmc_store_bad {
	char file[NAME_MAX + 1];
	char aside[NAME_MAX + 1]; /* what it was renamed to (lock holder only), "" if not */
	char name[LMC_NAME_MAX + 1]; /* the container its file name gives, "" if it cannot tell */
};
/* Every record, in no particular order (malloc'd array). Leftover temporary files are
 * removed. Files that fail to decode are not returned but listed in *ret_bad (malloc'd; both
 * may be NULL) and, by the lock holder, moved aside to <file>.corrupt: never silently
 * dropped, never met again by the next load. */
int lmc_store_load(struct lmc_store *s, struct lmc_record **ret, size_t *ret_n,
		   struct lmc_store_bad **ret_bad, size_t *ret_nbad);
/* One record, read by its name ("" the root's): -ENOENT if it has no file, -EBADMSG if its
 * file does not decode or holds another name's record. Nothing is moved or removed. */
int lmc_store_get(struct lmc_store *s, const char *name, struct lmc_record *ret);

#endif
