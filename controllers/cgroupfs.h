/* The kernel boundary: the one module that reads the cgroup mounts and opens cgroupfs paths.
 *
 * A struct lmc_cgfs is the set of hierarchies lmctl manages, each with a directory fd on
 * lmctl's root in it, opened once. Containers are addressed by their canonical name
 * ("jobA/sub1", "" for the root), relative to that root in every hierarchy. */
#ifndef LMC_CGROUPFS_H
#define LMC_CGROUPFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/cgroup.h"
#include "base/err.h"

struct lmc_cgfs;

struct lmc_cgfs_opts {
	/* Where lmctl's root lives in every hierarchy:
	 *  NULL        -> own cgroup (per hierarchy, from /proc/self/cgroup) + "/lmctl";
	 *  "/abs/path" -> that path from each hierarchy's mount point;
	 *  "rel/path"  -> own cgroup (per hierarchy) + "/rel/path" (tests use lmctl-test-*). */
	const char *root;
	/* Roots a state directory recorded, "<mount>\t/<root>\n" per hierarchy (from
	 * lmc_cgfs_roots_text): used for hierarchies it names when root is NULL, so every
	 * caller of one state directory finds the same tree wherever it runs. May be NULL. */
	const char *recorded;
	/* Unit tests: a directory standing in for /sys/fs/cgroup (layout given by fake_mode:
	 * v1/hybrid -> <fake>/<controller>/..., <fake>/unified; v2 -> <fake>/...). Skips
	 * the mount table and /proc/self/cgroup (own cgroup is "/"). */
	const char *fake_fsroot;
	enum lmc_cg_mode fake_mode;
	const char *fake_own; /* the own cgroup under fake_fsroot (v2 placement tests); NULL "" */
	bool create_root; /* mkdir -p the root in every hierarchy (else it must exist) */
};

int lmc_cgfs_open(const struct lmc_cgfs_opts *opts, struct lmc_cgfs **ret, struct lmc_err *err);
void lmc_cgfs_free(struct lmc_cgfs *cg);

enum lmc_cg_mode lmc_cgfs_mode(const struct lmc_cgfs *cg);
/* Is this controller managed (mounted and usable)? */
bool lmc_cgfs_has(const struct lmc_cgfs *cg, enum lmc_ctrl c);
/* Why controller c is not usable where lmctl's root is (one line naming the cgroup that does
 * not offer it), or NULL when it is. */
const char *lmc_cgfs_why(const struct lmc_cgfs *cg, enum lmc_ctrl c);
/* Where lmctl's root went and why (v2 placement), one line; "" when there was no choice. */
const char *lmc_cgfs_placement(const struct lmc_cgfs *cg);
/* The kernel's name of controller c in this mode ("io" for blkio on v2). */
const char *lmc_cgfs_ctrl_kernel_name(const struct lmc_cgfs *cg, enum lmc_ctrl c);
/* "<mount>\t/<root>\n" per hierarchy, for lmc_cgfs_opts.recorded. */
int lmc_cgfs_roots_text(const struct lmc_cgfs *cg, char *buf, size_t size);
/* The container's cgroup for controller c as the kernel names it: from its hierarchy's root
 * ("/a/b"; "/" the hierarchy's root), as in /proc/PID/cgroup and the kernel's log. */
int lmc_cgfs_cgroup_path(const struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, char *buf,
			 size_t size);
/* Absolute path of the container's directory for controller c (for display and tests). */
int lmc_cgfs_path(const struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, char *buf,
		  size_t size);

/* Create the container's directory in every hierarchy (parent must exist). On failure
 * nothing is left behind. On v2, enables the needed controllers in the parent's
 * cgroup.subtree_control first. v1 cpuset: copies the parent's cpuset.cpus/cpuset.mems
 * in so tasks may attach. -EEXIST if it exists in any hierarchy. */
int lmc_cgfs_create(struct lmc_cgfs *cg, const char *name, struct lmc_err *err);
/* The same, where the new container's own cpus and mems are known: a v1 cpuset gets them
 * at once instead of its parent's (NULL or "": the parent's), and wrote_cpus/wrote_mems say
 * which went in as given (so the controllers need not write them again). */
struct lmc_cgfs_newset {
	const char *cpus, *mems;
	bool wrote_cpus, wrote_mems;
};
int lmc_cgfs_create_set(struct lmc_cgfs *cg, const char *name, struct lmc_cgfs_newset *set,
			struct lmc_err *err);
/* Remove the container's directory in every hierarchy where it exists (children first is
 * the caller's job). -EBUSY if processes remain. Missing directories are not an error. */
int lmc_cgfs_remove(struct lmc_cgfs *cg, const char *name, struct lmc_err *err);
/* Remove a subtree's directories, names[] ordered children before parents, the hierarchies
 * in parallel (a thread each) when there are many. *ret_done: how many of names[] are gone
 * from every hierarchy (those after it may be gone from some: missing is not an error, so a
 * retry finishes them). */
int lmc_cgfs_remove_many(struct lmc_cgfs *cg, const char *const *names, size_t n, size_t *ret_done,
			 struct lmc_err *err);
/* Does the directory exist in every managed hierarchy? */
bool lmc_cgfs_exists(struct lmc_cgfs *cg, const char *name);
/* The same by opening (and keeping) its directory fd in each hierarchy, as the reads of its
 * files that follow would: the agent's start, where no fd was kept before (a kept fd of a
 * directory removed since would still say yes). */
bool lmc_cgfs_exists_kept(struct lmc_cgfs *cg, const char *name);
/* Names of the sub-directories of name in the first managed hierarchy (the child
 * containers), each malloc'd; *ret_n entries. */
int lmc_cgfs_children(struct lmc_cgfs *cg, const char *name, char ***ret, size_t *ret_n);

/* File I/O relative to a container's directory of controller c. write: the whole value in
 * one write(2), -errno as the kernel gave it. read: NUL-terminated, at most size-1 bytes;
 * returns length. */
int lmc_cgfs_write(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
		   const char *val);
int lmc_cgfs_writef(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
		    const char *fmt, ...) _printf_(5, 6);
int lmc_cgfs_read(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
		  char *buf, size_t size);
/* Read a single unsigned number ("max" gives LMC_UNSET). */
int lmc_cgfs_read_u64(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
		      uint64_t *ret);
/* The whole file into a malloc'd NUL-terminated buffer (*ret, the caller frees it); the
 * length or -errno (-EFBIG past 4 MiB). For one-record files (values, stats, events). */
int lmc_cgfs_read_all(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
		      char **ret);
/* "key value" lines (memory.stat, cpu.stat, cgroup.events, ...; a space or a tab between
 * the two): the value of key in buf, as a single file's value is read: a number, or "max"
 * (no limit) as LMC_UNSET. -ENOENT if key is absent, -EINVAL if its value is neither. */
int lmc_cgfs_parse_key(const char *buf, const char *key, uint64_t *ret);
/* Find key in a flat keyed file (lmc_cgfs_parse_key on the file's text). */
int lmc_cgfs_read_key(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
		      const char *key, uint64_t *ret);
bool lmc_cgfs_file_exists(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file);
/* Is the container's directory of controller c there (its kept fd, else opened now)? */
bool lmc_cgfs_dir_exists(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name);
/* Pin name's entry in the directory table for this thread until unpin (one pin a thread;
 * a nested pair pins nothing more, and the outer one holds until its own unpin): its directory fds and kept files stay open meanwhile, and this
 * thread's reads of name find them without taking the table's lock (a reading of every
 * container took it 18 times a container on hybrid, and four readers waited for it more
 * than they read). */
void lmc_cgfs_pin(struct lmc_cgfs *cg, const char *name);
void lmc_cgfs_unpin(struct lmc_cgfs *cg);
/* Container directories opened so far, kept in the table or not (what the tests count). */
uint64_t lmc_cgfs_dcache_opened(struct lmc_cgfs *cg);
/* Statistics files read again through a kept fd (pread from 0) so far: what the tests count. */
uint64_t lmc_cgfs_dcache_kept_reads(struct lmc_cgfs *cg);
/* O_RDONLY|O_DIRECTORY fd of the container's directory (caller closes). */
int lmc_cgfs_open_dir(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name);
/* O_RDONLY|O_CLOEXEC fd of a file in a container's dir (caller closes); for eventfd/inotify. */
int lmc_cgfs_open_file(struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, const char *file,
		       int flags);

/* A v1 memory usage threshold (cgroup.event_control) registered on another thread: the
 * kernel waits for an RCU grace period in it. prepare opens the files on the caller's
 * thread; efd, the eventfd to register, must stay open until do has returned (the caller
 * holds a copy of its own, so the number written stays that eventfd's). do (any thread,
 * once) reads the usage just before the registration (*ret_usage: the kernel counts
 * crossings from its own reading then) and registers efd for bytes: 0 or -errno (-ENODEV
 * once the container is gone); free closes the files. */
struct lmc_cgfs_memreg;
int lmc_cgfs_memreg_prepare(struct lmc_cgfs *cg, const char *name, int efd, uint64_t bytes,
			    struct lmc_cgfs_memreg **ret);
int lmc_cgfs_memreg_do(struct lmc_cgfs_memreg *m, uint64_t *ret_usage);
void lmc_cgfs_memreg_free(struct lmc_cgfs_memreg *m);
/* Move a whole process (thread group) into the container in every hierarchy via
 * cgroup.procs. skip_unified: the caller already placed it there (CLONE_INTO_CGROUP). */
int lmc_cgfs_attach(struct lmc_cgfs *cg, const char *name, pid_t pid, bool skip_unified,
		    struct lmc_err *err);
/* For a single-threaded process to place itself (it writes "0") before it runs anything of
 * its own, the container's file in every hierarchy, open for writing (O_CLOEXEC): v1's
 * tasks (no global lock: see cgroupfs-proc.c), cgroup2's cgroup.procs, which comes first
 * (fds[0]) where there is a cgroup2 tree; the freezer's last. *ret_n fds in fds
 * (LMC_CTRL__MAX at most), closed by the caller. -EOPNOTSUPP on a fake root. */
int lmc_cgfs_procs_fds(struct lmc_cgfs *cg, const char *name, int *fds, size_t *ret_n,
		       struct lmc_err *err);
/* The cgroup2 directory fd for clone3(CLONE_INTO_CGROUP) (v2, and hybrid's cgroup2 tree),
 * or -EOPNOTSUPP in v1 mode and on a fake root. */
int lmc_cgfs_unified_fd(struct lmc_cgfs *cg, const char *name);
/* Pids in the container itself (not its children): from cgroup.procs of the process-
 * tracking hierarchy (unified if present, else freezer, else the first). malloc'd. */
int lmc_cgfs_procs(struct lmc_cgfs *cg, const char *name, pid_t **ret, size_t *ret_n);
/* Does the container or anything below it hold a process? */
int lmc_cgfs_populated(struct lmc_cgfs *cg, const char *name, bool *ret);

/* Is pid in name or below it (in the hierarchy that tracks processes)? -ESRCH: no such pid.
 * A fake root says yes (no process is in it). */
int lmc_cgfs_pid_under(struct lmc_cgfs *cg, pid_t pid, const char *name, bool *ret);
/* Where pid is: fn(c, name, ud) once per managed hierarchy (c one controller it serves),
 * name the container it is in relative to lmctl's root ("" the root itself), or NULL where
 * it lies outside lmctl's root. Stops at fn's first negative return. -ESRCH: no such pid. */
int lmc_cgfs_pid_places(struct lmc_cgfs *cg, pid_t pid,
			int (*fn)(enum lmc_ctrl c, const char *name, void *ud), void *ud);

/* Kill every process in the container and below: cgroup.kill where it exists; else freeze,
 * SIGKILL every pid, thaw. Waits (bounded, timeout_ms) until it is empty; -ETIMEDOUT. */
int lmc_cgfs_kill(struct lmc_cgfs *cg, const char *name, int timeout_ms, struct lmc_err *err);
/* Send sig to every process in the container and below (recursive walk of procs). */
int lmc_cgfs_signal(struct lmc_cgfs *cg, const char *name, int sig, struct lmc_err *err);
/* Freeze (true) or thaw the subtree: cgroup.freeze in cgroup2, else freezer.state. Waits
 * (bounded) until frozen. */
int lmc_cgfs_freeze(struct lmc_cgfs *cg, const char *name, bool freeze, struct lmc_err *err);
/* The same, not waiting for a freeze when wait is false: lmc_cgfs_freeze_wait (bounded, any
 * thread) then waits for it, off an event loop. */
int lmc_cgfs_freeze_start(struct lmc_cgfs *cg, const char *name, bool freeze, bool wait,
			  struct lmc_err *err);
int lmc_cgfs_freeze_wait(struct lmc_cgfs *cg, const char *name, struct lmc_err *err);
int lmc_cgfs_frozen(struct lmc_cgfs *cg, const char *name, bool *ret);

/* Pressure: parse "<res>.pressure" ("cpu", "memory", "io") of the cgroup2 tree into the
 * values of base/spec.h's struct lmc_psi. -ENOENT where the kernel has none. */
struct lmc_psi;
int lmc_cgfs_read_psi(struct lmc_cgfs *cg, const char *name, const char *res, struct lmc_psi *ret);

/* Machine facts for the root's capacity. */
int lmc_cgfs_machine(uint64_t *ret_mem_bytes, unsigned *ret_cpus, uint64_t *ret_pid_max);

#endif
