/* Shared internals of the cgroupfs module (cgroupfs*.c only): the hierarchy table and the
 * dirfd-relative helpers. */
#ifndef LMC_CGROUPFS_INTERNAL_H
#define LMC_CGROUPFS_INTERNAL_H

#include <limits.h>

#include "base/name.h"
#include "controllers/cgroupfs.h"

/* One mounted hierarchy lmctl manages (co-mounted v1 controllers share one). */
struct lmc_cgfs_hier {
	char *mount; /* absolute mount point */
	char *own; /* this process's cgroup, relative to the mount ("" = hierarchy root) */
	char *root; /* lmctl's root, relative to the mount */
	int mount_fd;
	int root_fd;
	int made_from; /* open made the root's components after this prefix length; -1 none */
	size_t base_len; /* v2: controllers are enabled from root[0..base_len) down (the deepest
			  * cgroup that existed above the root: the one lmctl may delegate from) */
	bool v2; /* a cgroup2 hierarchy (the unified tree) */
	bool cpuset_v1; /* new directories need cpuset.cpus/mems copied from the parent */
	bool cpuset_cloned; /* ... which the kernel does itself: clone_children set on the root */
	bool cpuset_nolb; /* new cpusets get sched_load_balance 0 before their cpus (below) */
	bool cpuset_prepared; /* the two above are decided (at the first create) */
	unsigned ctrls; /* bit per enum lmc_ctrl served here */
	unsigned seen_files; /* bit per uniform file seen here (cgroupfs-io.c); atomic */
	char label[32]; /* for messages: "memory", "cpu,cpuacct", "unified" */
};

struct lmc_cgfs_dcache;

struct lmc_cgfs {
	enum lmc_cg_mode mode;
	struct lmc_cgfs_dcache *dcache; /* per-container dirfds (cgroupfs-dcache.c) */
	bool fake;
	size_t n_hier;
	struct lmc_cgfs_hier hier[LMC_CTRL__MAX];
	int ctrl_hier[LMC_CTRL__MAX]; /* index into hier, -1 when not managed */
	int unified; /* index of the cgroup2 hierarchy, -1 if none */
	char enable[96]; /* v2: "+cpu +memory ..." for cgroup.subtree_control */
	char why[LMC_CTRL__MAX][400]; /* why a controller is not usable ("" if it is) */
	char placement[320]; /* where the root went and why, for `lmctl init` */
};

/* "name/file" relative to a root dirfd; name "" is the root itself, file NULL the dir. */
int lmc_cgfs_relpath(const char *name, const char *file, char *buf, size_t size);
/* Whole-value write / NUL-terminated read relative to a dirfd. */
int lmc_cgfs_write_at(int dirfd, const char *path, const char *val, bool create);
int lmc_cgfs_read_at(int dirfd, const char *path, char *buf, size_t size);
/* Read a whole file into a malloc'd NUL-terminated buffer. */
int lmc_cgfs_read_all_at(int dirfd, const char *path, char **ret);
/* Hierarchy index serving c, or -EOPNOTSUPP. */
int lmc_cgfs_hier_of(const struct lmc_cgfs *cg, enum lmc_ctrl c);
/* The hierarchy that tracks processes: unified, else freezer, else the first. */
int lmc_cgfs_track_hier(const struct lmc_cgfs *cg);

/* Discovery helpers (cgroupfs.c) that the v2 placement (cgroupfs-v2.c) shares. */
int lmc_cgfs_own_cgroup(const struct lmc_cgfs_hier *h, char **ret);
void lmc_cgfs_strip_agent_leaf(char *own);
/* Root relative to the mount for a root option (NULL default "lmctl", "/abs", "rel") below
 * base (for relative ones). */
int lmc_cgfs_resolve_root(const char *base, const char *opt, char **ret);
const char *lmc_cgfs_v2_name(enum lmc_ctrl c);
/* The root opts->recorded names for this mount ("/abs" form, malloc'd), or NULL. */
char *lmc_cgfs_recorded_root(const struct lmc_cgfs_opts *o, const char *mount);
/* v2: choose where lmctl's root goes and which controllers it can use there (sets the
 * hierarchy's own, root, base_len and mount_fd, cg->enable, cg->why, cg->placement). */
int lmc_cgfs_v2_place(struct lmc_cgfs *cg, const struct lmc_cgfs_opts *o, struct lmc_err *err);

/* The hierarchy's mount directory, opened at the first use (v1 and hybrid: most commands
 * need only the root's fd), -errno if it cannot be. */
int lmc_cgfs_mount_fd(struct lmc_cgfs_hier *h);

/* Root creation (cgroupfs-tree.c): mkdir -p the root in hierarchy h, enabling v2
 * controllers on the way; directories made are undone on failure. */
int lmc_cgfs_root_prepare(struct lmc_cgfs *cg, struct lmc_cgfs_hier *h, bool create,
			  struct lmc_err *err);
/* Copy cpuset.cpus and cpuset.mems from the parent of path into path (v1). */
/* Undo what root_prepare made (a failed open). */
void lmc_cgfs_root_unmake(struct lmc_cgfs_hier *h);
int lmc_cgfs_cpuset_copy(int dirfd, const char *path, bool fake);

/* Per-container directory fds (cgroupfs-dcache.c). get: the fd of name's directory in
 * hierarchy h ("" is lmctl's root), held until put; -errno if it cannot be opened. forget:
 * the container's directories are gone (removed, or a create rolled back). */
struct lmc_cgfs_dent;
struct lmc_cgfs_dref {
	int fd;
	struct lmc_cgfs_dent *ent; /* NULL: the root's fd, or own */
	bool own; /* not cached (table full): put closes it */
};
int lmc_cgfs_dcache_new(struct lmc_cgfs *cg);
void lmc_cgfs_dcache_free(struct lmc_cgfs *cg);
int lmc_cgfs_dir_get(struct lmc_cgfs *cg, int h, const char *name, struct lmc_cgfs_dref *ret);
void lmc_cgfs_dir_put(struct lmc_cgfs *cg, struct lmc_cgfs_dref *ref);
void lmc_cgfs_dir_forget(struct lmc_cgfs *cg, const char *name);
/* Statistics files kept open in a container's entry (cgroupfs-io.c reads them again with
 * pread from 0), k an index into cgroupfs-io.c's list. get: the fd held until
 * lmc_cgfs_dir_put, -ENOENT if not kept. add: keep fd (the table's from then on, closed if
 * there is no room without evicting, or the entry is gone). */
#define LMC_CGFS_KEPT_MAX 16
int lmc_cgfs_kept_get(struct lmc_cgfs *cg, int h, const char *name, unsigned k,
		      struct lmc_cgfs_dref *ret);
void lmc_cgfs_kept_add(struct lmc_cgfs *cg, int h, const char *name, unsigned k, int fd);

#endif
