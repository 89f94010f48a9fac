/* The kernel boundary, part 3: directories. The root chain (mkdir -p, v2 controller
 * enabling, the delegated agent leaf), and per-container mkdir/rmdir in every hierarchy with
 * rollback so a failed create leaves nothing behind. */
#include "controllers/cgroupfs-internal.h"
#include "base/name.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define AGENT_LEAF "lmctl.agent"
#define RMDIR_BUSY_MS 500
#define ROOT_DEPTH_MAX 64

/* An empty parent set has nothing to give: the child keeps its (empty) default. */
static bool set_empty(const char *val)
{
	return val[0] == '\n' || val[0] == '\0';
}

static int copy_one(int dirfd, const char *parent, const char *path, const char *file, bool fake)
{
	char src[PATH_MAX], dst[PATH_MAX], val[4096];
	int r;

	snprintf(src, sizeof(src), "%s/%s", parent, file);
	snprintf(dst, sizeof(dst), "%s/%s", path, file);
	r = lmc_cgfs_read_at(dirfd, src, val, sizeof(val));
	if (r == -ENOENT && fake)
		return 0;
	if (r < 0)
		return r;
	return set_empty(val) ? 0 : lmc_cgfs_write_at(dirfd, dst, val, fake);
}

/* v1 cpuset cgroups start with empty cpus/mems and refuse tasks until both are set. */
int lmc_cgfs_cpuset_copy(int dirfd, const char *path, bool fake)
{
	char parent[PATH_MAX];
	char *slash;
	int r;

	snprintf(parent, sizeof(parent), "%s", path);
	slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	else
		snprintf(parent, sizeof(parent), ".");
	r = copy_one(dirfd, parent, path, "cpuset.cpus", fake);
	if (r >= 0)
		r = copy_one(dirfd, parent, path, "cpuset.mems", fake);
	return r;
}

/* Are all of cg->enable's "+ctrl" already in the cgroup's subtree_control? */
static bool enabled_already(int dirfd, const char *cgpath, const char *enable)
{
	char p[PATH_MAX], cur[256], want[96], *tok, *save = NULL;

	snprintf(p, sizeof(p), "%s/cgroup.subtree_control", cgpath);
	if (lmc_cgfs_read_at(dirfd, p, cur + 1, sizeof(cur) - 2) < 0)
		return false;
	cur[0] = ' ';
	cur[strcspn(cur, "\n")] = '\0';
	strcat(cur, " ");
	snprintf(want, sizeof(want), "%s", enable);
	for (tok = strtok_r(want, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
		char pat[40];

		snprintf(pat, sizeof(pat), " %s ", tok + 1);
		if (!strstr(cur, pat))
			return false;
	}
	return true;
}

static int enable_in(struct lmc_cgfs *cg, int dirfd, const char *cgpath)
{
	char p[PATH_MAX];

	if (!cg->enable[0] || enabled_already(dirfd, cgpath, cg->enable))
		return 0;
	snprintf(p, sizeof(p), "%s/cgroup.subtree_control", cgpath);
	return lmc_cgfs_write_at(dirfd, p, cg->enable, cg->fake);
}

/* The delegated model: a v2 cgroup holding processes may not enable controllers for its
 * children, so this process (and only it) moves into a leaf of its own first. */
static int move_self_to_leaf(struct lmc_cgfs_hier *h)
{
	char leaf[PATH_MAX], procs[PATH_MAX + 16], pid[32];

	snprintf(leaf, sizeof(leaf), "%s/%s", h->own, AGENT_LEAF);
	if (mkdirat(h->mount_fd, leaf, 0755) < 0 && errno != EEXIST)
		return lmc_negerrno();
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", leaf);
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	return lmc_cgfs_write_at(h->mount_fd, procs, pid, false);
}

static int enable_chain_level(struct lmc_cgfs *cg, struct lmc_cgfs_hier *h, const char *cgpath,
			      struct lmc_err *err)
{
	const char *p = cgpath[0] ? cgpath : ".";
	int r = enable_in(cg, h->mount_fd, p);

	if (r == -EBUSY && h->own[0] && strcmp(cgpath, h->own) == 0) {
		r = move_self_to_leaf(h);
		if (r < 0)
			return lmc_err_set(err, r, "%s/%s: cannot move lmctl into %s: %s", h->mount,
					   h->own, AGENT_LEAF, strerror(-r));
		r = enable_in(cg, h->mount_fd, p);
	}
	if (r < 0)
		return lmc_err_set(err, r,
				   "%s/%s: cannot enable '%s' in cgroup.subtree_control: %s%s",
				   h->mount, cgpath, cg->enable, strerror(-r),
				   r == -EBUSY ? " (it holds other processes)" : "");
	return 0;
}

static void rollback_made(struct lmc_cgfs_hier *h, char *path, const size_t *made, size_t n)
{
	while (n-- > 0) {
		path[made[n]] = '\0';
		unlinkat(h->mount_fd, path, AT_REMOVEDIR);
	}
}

/* Are v2 controllers enabled along the root's chain (pure v2; hybrid's cgroup2 tree has none)? */
static bool chain_enables(const struct lmc_cgfs *cg, const struct lmc_cgfs_hier *h)
{
	return h->v2 && cg->mode == LMC_CG_V2;
}

/* mkdir -p the root, enabling v2 controllers from the base (cgroupfs-v2.c: the deepest cgroup
 * that existed above the root) down to the root's parent, only where not already on. */
static int make_root_chain(struct lmc_cgfs *cg, struct lmc_cgfs_hier *h, struct lmc_err *err)
{
	size_t len = strlen(h->root), start = h->base_len, made[ROOT_DEPTH_MAX];
	size_t n_made = 0;
	_cleanup_free_ char *path = strdup(h->root);
	bool enable = chain_enables(cg, h);
	int r = lmc_cgfs_mount_fd(h);

	if (!path)
		return -ENOMEM;
	if (r < 0)
		return lmc_err_set(err, r, "cgroup mount %s: %s", h->mount, strerror(-r));
	for (size_t i = 1; i <= len && r >= 0; i++) {
		if (i < len && h->root[i] != '/')
			continue;
		path[i] = '\0';
		/* path is now a prefix ending at a component; its parent ends at the last '/'. */
		if (enable) {
			char *slash = strrchr(path, '/');
			size_t plen = slash ? (size_t)(slash - path) : 0;

			if (plen >= start) {
				if (slash)
					*slash = '\0';
				r = enable_chain_level(cg, h, slash ? path : "", err);
				if (slash)
					*slash = '/';
			}
		}
		if (r >= 0 && mkdirat(h->mount_fd, path, 0755) == 0) {
			if (n_made < ROOT_DEPTH_MAX)
				made[n_made++] = i;
			if (h->made_from < 0)
				h->made_from =
					(int)(strrchr(path, '/') ? strrchr(path, '/') - path : 0);
			if (h->cpuset_v1)
				r = lmc_cgfs_cpuset_copy(h->mount_fd, path, cg->fake);
		} else if (r >= 0 && errno != EEXIST) {
			r = lmc_err_set(err, lmc_negerrno(), "%s/%s: mkdir: %s", h->mount, path,
					strerror(errno));
		}
		path[i] = h->root[i];
	}
	if (r < 0) {
		snprintf(path, len + 1, "%s", h->root);
		rollback_made(h, path, made, n_made);
		h->made_from = -1;
	}
	return r;
}

void lmc_cgfs_root_unmake(struct lmc_cgfs_hier *h)
{
	_cleanup_free_ char *path = h->root ? strdup(h->root) : NULL;
	char *slash;

	if (!path || h->made_from < 0 || h->mount_fd < 0)
		return;
	if (h->root_fd >= 0)
		close(h->root_fd);
	h->root_fd = -EBADF;
	/* Deepest first, up to the first component this open made. */
	while (unlinkat(h->mount_fd, path, AT_REMOVEDIR) == 0) {
		slash = strrchr(path, '/');
		if (!slash || slash - path <= h->made_from)
			break;
		*slash = '\0';
	}
	h->made_from = -1;
}

/* A v1 cpuset whose sched_load_balance is 1 (every new one's) rebuilds the scheduler
 * domains when its cpus change and again when it goes offline after its rmdir, and each
 * rebuild walks every cpuset of the machine (update_domain_attr_tree): with 60,000 cpusets
 * removed, the kernel's offline work spent 85% of its time there, holding cgroup_mutex, and
 * took minutes (issue 16). Where the hierarchy's top cpuset balances all CPUs, the flag of
 * any other cpuset changes nothing (cgroup-v1/cpusets.rst 1.7), so lmctl's cpusets are made
 * with it off, written while their cpus are still empty (no rebuild), then given their
 * parent's cpus and mems. Otherwise, or when the top cannot be read, the kernel copies
 * cpus and mems at mkdir (clone_children: our own writes with the flag on cost a rebuild
 * each, 295 us a create with 2,000 cpusets against 92 us). Never on a hierarchy's own
 * root, which is not lmctl's. */
static void cpuset_root_prepare(struct lmc_cgfs_hier *h)
{
	char top[8] = "";
	int mfd = lmc_cgfs_mount_fd(h);

	h->cpuset_prepared = true;
	h->cpuset_nolb = mfd >= 0 &&
			 lmc_cgfs_read_at(mfd, "cpuset.sched_load_balance", top, sizeof(top)) >=
				 0 &&
			 top[0] == '1' &&
			 lmc_cgfs_write_at(h->root_fd, "cgroup.clone_children", "0", false) >= 0;
	if (!h->cpuset_nolb)
		h->cpuset_cloned =
			lmc_cgfs_write_at(h->root_fd, "cgroup.clone_children", "1", false) >= 0;
}

static void parent_of(const char *name, char *buf, size_t size)
{
	const char *slash = strrchr(name, '/');

	if (!slash)
		snprintf(buf, size, ".");
	else
		snprintf(buf, size, "%.*s", (int)(slash - name), name);
}

/* One of a new cpuset's sets: the container's own where it has one (the read of the
 * parent's and the controller's second write saved: 4 opens a create), else the parent's. */
static int fill_one(struct lmc_cgfs *cg, struct lmc_cgfs_hier *h, const char *name,
		    const char *what, const char *own, bool *wrote)
{
	char parent[PATH_MAX], p[PATH_MAX], file[32], val[4096];
	int r;

	snprintf(p, sizeof(p), "%s/cpuset.%s", name, what);
	if (own && own[0]) {
		*wrote = true;
		return lmc_cgfs_write_at(h->root_fd, p, own, cg->fake);
	}
	/* the parent's through its kept file (one pread: a parent of many is read at each
	 * child's create) */
	r = lmc_name_parent(name, parent, sizeof(parent));
	if (r < 0)
		return r;
	snprintf(file, sizeof(file), "cpuset.%s", what);
	r = lmc_cgfs_read(cg, LMC_CTRL_CPUSET, parent, file, val, sizeof(val));
	if (r == -ENOENT && cg->fake)
		return 0;
	if (r < 0)
		return r;
	return set_empty(val) ? 0 : lmc_cgfs_write_at(h->root_fd, p, val, cg->fake);
}

/* A new v1 cpuset: balancing off first (see cpuset_root_prepare), then its cpus and mems,
 * unless the kernel copied the parent's at mkdir. */
static int cpuset_fill(struct lmc_cgfs *cg, struct lmc_cgfs_hier *h, const char *name,
		       struct lmc_cgfs_newset *set)
{
	struct lmc_cgfs_newset none = {0};
	char p[PATH_MAX];
	int r;

	/* decided at the first create, not at every open: a command that makes no container
	 * reads and writes nothing for it */
	if (!h->cpuset_prepared && !cg->fake && h->root[0])
		cpuset_root_prepare(h);
	if (h->cpuset_nolb) {
		snprintf(p, sizeof(p), "%s/cpuset.sched_load_balance", name);
		r = lmc_cgfs_write_at(h->root_fd, p, "0", false);
		if (r < 0)
			return r;
	}
	if (h->cpuset_cloned)
		return 0;
	if (!set)
		set = &none;
	r = fill_one(cg, h, name, "cpus", set->cpus, &set->wrote_cpus);
	if (r >= 0)
		r = fill_one(cg, h, name, "mems", set->mems, &set->wrote_mems);
	return r;
}

/* The root's directory by its whole path where the mount is not open (v1, hybrid: one open,
 * not two and a close, for each of 8 hierarchies a command), else below the mount. */
static int open_root(struct lmc_cgfs_hier *h)
{
	char p[PATH_MAX];
	int fd;

	if (h->mount_fd >= 0)
		fd = openat(h->mount_fd, h->root[0] ? h->root : ".",
			    O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else if (snprintf(p, sizeof(p), "%s/%s", h->mount, h->root) >= (int)sizeof(p))
		return -ENAMETOOLONG;
	else
		fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd >= 0 ? fd : lmc_negerrno();
}

int lmc_cgfs_root_prepare(struct lmc_cgfs *cg, struct lmc_cgfs_hier *h, bool create,
			  struct lmc_err *err)
{
	int r;

	/* Where nothing is to be enabled on the way (v1, hybrid), the root is opened first: it
	 * is there at every open but the first, where the mkdir -p was a failed mkdir a
	 * component (11 of a command's 19 mkdirat on hybrid). */
	h->root_fd = -EBADF;
	if (create && h->root[0] && !chain_enables(cg, h))
		h->root_fd = open_root(h);
	if (create && h->root[0] && h->root_fd < 0) {
		r = make_root_chain(cg, h, err);
		if (r < 0)
			return r;
	}
	if (h->root_fd < 0)
		h->root_fd = open_root(h);
	if (h->root_fd < 0)
		return lmc_err_set(err, h->root_fd, "cgroup root %s/%s: %s%s", h->mount, h->root,
				   strerror(-h->root_fd),
				   h->root_fd == -ENOENT ? " (lmctl init creates it)" : "");
	return 0;
}

static bool has_subdirs(int dirfd, const char *path)
{
	int fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	bool found = false;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while (!found && (de = readdir(d)))
		found = de->d_type == DT_DIR && strcmp(de->d_name, ".") != 0 &&
			strcmp(de->d_name, "..") != 0;
	closedir(d);
	return found;
}

/* A fake root (unit tests) is a plain directory: the interface files written into a fake
 * cgroup are regular files, which would keep rmdir from removing it where the kernel removes
 * a cgroup with its files. As there, a cgroup with children keeps them. */
static void fake_drop_files(int dirfd, const char *path)
{
	struct dirent *de;
	DIR *d;
	int fd;

	if (has_subdirs(dirfd, path))
		return;
	fd = openat(dirfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	while ((de = readdir(d)))
		if (de->d_type == DT_REG)
			unlinkat(fd, de->d_name, 0);
	closedir(d);
}

/* rmdir of a cgroup directory, -errno. */
static int rmdir_cg(int dirfd, const char *path, bool fake)
{
	if (fake)
		fake_drop_files(dirfd, path);
	return unlinkat(dirfd, path, AT_REMOVEDIR) < 0 ? lmc_negerrno() : 0;
}

static int create_in(struct lmc_cgfs *cg, struct lmc_cgfs_hier *h, const char *name,
		     struct lmc_cgfs_newset *set, struct lmc_err *err)
{
	char parent[PATH_MAX];
	int r;

	if (h->v2 && cg->mode == LMC_CG_V2) {
		parent_of(name, parent, sizeof(parent));
		r = enable_in(cg, h->root_fd, parent);
		if (r < 0)
			return lmc_err_set(err, r, "%s: cannot enable '%s' in the parent: %s%s",
					   name, cg->enable, strerror(-r),
					   r == -EBUSY ? " (the parent holds processes)" : "");
	}
	if (mkdirat(h->root_fd, name, 0755) < 0) {
		r = lmc_negerrno();
		if (r == -EEXIST)
			return lmc_err_set(err, r, "%s: already exists (%s hierarchy)", name,
					   h->label);
		return lmc_err_set(err, r, "%s: mkdir in %s hierarchy: %s", name, h->label,
				   strerror(-r));
	}
	if (h->cpuset_v1) {
		r = cpuset_fill(cg, h, name, set);
		if (r < 0) {
			rmdir_cg(h->root_fd, name, cg->fake);
			return lmc_err_set(err, r, "%s: setting its cpuset's cpus and mems: %s",
					   name, strerror(-r));
		}
	}
	return 0;
}

int lmc_cgfs_create(struct lmc_cgfs *cg, const char *name, struct lmc_err *err)
{
	return lmc_cgfs_create_set(cg, name, NULL, err);
}

int lmc_cgfs_create_set(struct lmc_cgfs *cg, const char *name, struct lmc_cgfs_newset *set,
			struct lmc_err *err)
{
	size_t i;
	int r = 0;

	if (!name[0] || !lmc_name_is_relpath(name))
		return lmc_err_set(err, -EINVAL, "'%s': invalid container name", name);
	for (i = 0; i < cg->n_hier; i++) {
		r = create_in(cg, &cg->hier[i], name, set, err);
		if (r < 0)
			break;
	}
	if (r < 0) {
		lmc_cgfs_dir_forget(cg, name);
		while (i-- > 0)
			rmdir_cg(cg->hier[i].root_fd, name, cg->fake);
	}
	return r;
}

/* rmdir, retrying EBUSY for a bounded time while killed tasks finish exiting. */
static int rmdir_retry(int dirfd, const char *path, bool fake)
{
	struct timespec ts = {0, 1000 * 1000};

	for (int ms = 0;; ms++) {
		int r = rmdir_cg(dirfd, path, fake);

		if (r == 0 || r == -ENOENT)
			return 0;
		if (r != -EBUSY || ms >= RMDIR_BUSY_MS || has_subdirs(dirfd, path))
			return r;
		nanosleep(&ts, NULL);
	}
}

int lmc_cgfs_remove(struct lmc_cgfs *cg, const char *name, struct lmc_err *err)
{
	if (!lmc_name_is_relpath(name))
		return lmc_err_set(err, -EINVAL, "'%s': invalid container name", name);
	/* the directories go now: no write may reach a dead cgroup through a kept fd */
	lmc_cgfs_dir_forget(cg, name);
	for (size_t i = 0; i < cg->n_hier; i++) {
		struct lmc_cgfs_hier *h = &cg->hier[i];
		int r;

		if (!name[0] && !h->root[0])
			return lmc_err_set(err, -EPERM, "will not remove the hierarchy root %s",
					   h->mount);
		if (name[0])
			r = rmdir_retry(h->root_fd, name, cg->fake);
		else if ((r = lmc_cgfs_mount_fd(h)) >= 0)
			r = rmdir_retry(h->mount_fd, h->root, cg->fake);
		if (r < 0)
			return lmc_err_set(err, r, "%s: rmdir in %s hierarchy: %s%s",
					   name[0] ? name : h->root, h->label, strerror(-r),
					   r == -EBUSY ? " (processes or children remain)" : "");
	}
	/* again: a worker's lookup that raced the rmdirs may have kept the dead directory */
	lmc_cgfs_dir_forget(cg, name);
	return 0;
}

/* A subtree's directories (children before parents), one hierarchy: rmdir each in order and
 * stop at the first that fails. Hierarchies are independent, so each may go on a thread. */
struct rm_job {
	struct lmc_cgfs_hier *h;
	const char *const *names;
	size_t n, failed; /* failed: index of the first that could not go, or n */
	bool fake;
	int r;
};

static void *rm_hier(void *arg)
{
	struct rm_job *j = arg;

	j->failed = j->n;
	for (size_t i = 0; i < j->n; i++) {
		j->r = rmdir_retry(j->h->root_fd, j->names[i], j->fake);
		if (j->r < 0) {
			j->failed = i;
			break;
		}
	}
	return NULL;
}

/* Below this many directories a thread costs more than it saves (one create+destroy). */
#define RM_THREADS_MIN 8

int lmc_cgfs_remove_many(struct lmc_cgfs *cg, const char *const *names, size_t n, size_t *ret_done,
			 struct lmc_err *err)
{
	struct rm_job jobs[LMC_CTRL__MAX];
	pthread_t tids[LMC_CTRL__MAX];
	bool started[LMC_CTRL__MAX] = {false};
	size_t done = n, worst = 0;

	for (size_t i = 0; i < n; i++) {
		if (!names[i][0] || !lmc_name_is_relpath(names[i]))
			return lmc_err_set(err, -EINVAL, "'%s': invalid container name", names[i]);
		lmc_cgfs_dir_forget(cg, names[i]);
	}
	for (size_t i = 0; i < cg->n_hier; i++) {
		jobs[i] = (struct rm_job){
			.h = &cg->hier[i], .names = names, .n = n, .fake = cg->fake};
		if (n >= RM_THREADS_MIN && i > 0)
			started[i] = pthread_create(&tids[i], NULL, rm_hier, &jobs[i]) == 0;
	}
	for (size_t i = 0; i < cg->n_hier; i++)
		if (!started[i])
			rm_hier(&jobs[i]);
	for (size_t i = 0; i < cg->n_hier; i++) {
		if (started[i])
			pthread_join(tids[i], NULL);
		if (jobs[i].failed < done) {
			done = jobs[i].failed;
			worst = i;
		}
	}
	/* again: a worker's lookup that raced the rmdirs may have kept a dead directory */
	for (size_t i = 0; i < done; i++)
		lmc_cgfs_dir_forget(cg, names[i]);
	*ret_done = done;
	if (done == n)
		return 0;
	return lmc_err_set(err, jobs[worst].r, "%s: rmdir in %s hierarchy: %s%s", names[done],
			   cg->hier[worst].label, strerror(-jobs[worst].r),
			   jobs[worst].r == -EBUSY ? " (processes or children remain)" : "");
}

bool lmc_cgfs_exists(struct lmc_cgfs *cg, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (lmc_cgfs_relpath(name, NULL, path, sizeof(path)) < 0)
		return false;
	for (size_t i = 0; i < cg->n_hier; i++)
		if (fstatat(cg->hier[i].root_fd, path, &st, 0) < 0 || !S_ISDIR(st.st_mode))
			return false;
	return true;
}

bool lmc_cgfs_exists_kept(struct lmc_cgfs *cg, const char *name)
{
	for (size_t i = 0; i < cg->n_hier; i++) {
		struct lmc_cgfs_dref ref;
		int fd = lmc_cgfs_dir_get(cg, (int)i, name, &ref);

		lmc_cgfs_dir_put(cg, &ref);
		if (fd < 0)
			return false;
	}
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int lmc_cgfs_children(struct lmc_cgfs *cg, const char *name, char ***ret, size_t *ret_n)
{
	char path[PATH_MAX], **v = NULL;
	size_t n = 0;
	struct dirent *de;
	DIR *d;
	int fd, r = lmc_cgfs_relpath(name, NULL, path, sizeof(path));

	if (r < 0 || cg->n_hier == 0)
		return r < 0 ? r : -EOPNOTSUPP;
	fd = openat(cg->hier[0].root_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		r = lmc_negerrno();
		if (fd >= 0)
			close(fd);
		return r;
	}
	while ((de = readdir(d))) {
		char **nv;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		nv = realloc(v, (n + 1) * sizeof(*v));
		if (!nv || !(nv[n] = strdup(de->d_name))) {
			free_strv(nv ? nv : v, n);
			closedir(d);
			return -ENOMEM;
		}
		v = nv;
		n++;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof(*v), cmp_str);
	*ret = v;
	*ret_n = n;
	return 0;
}
