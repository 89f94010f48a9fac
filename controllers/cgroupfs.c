/* The kernel boundary, part 1: mode detection, mount discovery and the per-hierarchy root
 * dirfds. The mounts are read once, at open (no libcgroup: it re-reads /proc/mounts on every
 * call, which made a lifecycle through it about 2x slower than raw openat/read/write on
 * dirfds opened once), and every later operation uses the cached dirfds. */
#include "controllers/cgroupfs-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What each maps to on v2: cpuacct is part of cpu, blkio is io, the freezer is the core
 * cgroup.freeze (NULL: always there). */
static const char *const v2_names[LMC_CTRL__MAX] = {
	[LMC_CTRL_CPU] = "cpu",	      [LMC_CTRL_CPUACCT] = "cpu", [LMC_CTRL_CPUSET] = "cpuset",
	[LMC_CTRL_MEMORY] = "memory", [LMC_CTRL_BLKIO] = "io",	  [LMC_CTRL_PIDS] = "pids",
	[LMC_CTRL_FREEZER] = NULL,    [LMC_CTRL_UNIFIED] = NULL,
};

const char *lmc_cgfs_v2_name(enum lmc_ctrl c)
{
	return c < LMC_CTRL__MAX ? v2_names[c] : NULL;
}

const char *lmc_cgfs_ctrl_kernel_name(const struct lmc_cgfs *cg, enum lmc_ctrl c)
{
	if (cg->mode == LMC_CG_V2 && c < LMC_CTRL__MAX && v2_names[c])
		return v2_names[c];
	return lmc_ctrl_name(c);
}

const char *lmc_cgfs_why(const struct lmc_cgfs *cg, enum lmc_ctrl c)
{
	if (lmc_cgfs_has(cg, c) || c >= LMC_CTRL__MAX)
		return NULL;
	return cg->why[c][0] ? cg->why[c] : "no mounted hierarchy offers it";
}

char *lmc_cgfs_recorded_root(const struct lmc_cgfs_opts *o, const char *mount)
{
	size_t mlen = strlen(mount);

	for (const char *l = o->recorded; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : "") {
		size_t n = strcspn(l, "\n");

		if (n > mlen + 1 && strncmp(l, mount, mlen) == 0 && l[mlen] == '\t' &&
		    l[mlen + 1] == '/')
			return strndup(l + mlen + 1, n - mlen - 1);
	}
	return NULL;
}

int lmc_cgfs_roots_text(const struct lmc_cgfs *cg, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < cg->n_hier; i++) {
		int n = snprintf(buf + len, size - len, "%s\t/%s\n", cg->hier[i].mount,
				 cg->hier[i].root);

		if (n < 0 || (size_t)n >= size - len)
			return -ENAMETOOLONG;
		len += (size_t)n;
	}
	return (int)len;
}

const char *lmc_cgfs_placement(const struct lmc_cgfs *cg)
{
	return cg->placement;
}

enum lmc_cg_mode lmc_cgfs_mode(const struct lmc_cgfs *cg)
{
	return cg->mode;
}

bool lmc_cgfs_has(const struct lmc_cgfs *cg, enum lmc_ctrl c)
{
	return cg && c < LMC_CTRL__MAX && cg->ctrl_hier[c] >= 0;
}

int lmc_cgfs_hier_of(const struct lmc_cgfs *cg, enum lmc_ctrl c)
{
	if (!lmc_cgfs_has(cg, c))
		return -EOPNOTSUPP;
	return cg->ctrl_hier[c];
}

int lmc_cgfs_track_hier(const struct lmc_cgfs *cg)
{
	if (cg->unified >= 0)
		return cg->unified;
	if (cg->ctrl_hier[LMC_CTRL_FREEZER] >= 0)
		return cg->ctrl_hier[LMC_CTRL_FREEZER];
	return cg->n_hier > 0 ? 0 : -EOPNOTSUPP;
}

int lmc_cgfs_relpath(const char *name, const char *file, char *buf, size_t size)
{
	int n;

	if (!lmc_name_is_relpath(name))
		return -EINVAL;
	if (!name[0])
		n = snprintf(buf, size, "%s", file ? file : ".");
	else if (file)
		n = snprintf(buf, size, "%s/%s", name, file);
	else
		n = snprintf(buf, size, "%s", name);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

int lmc_cgfs_cgroup_path(const struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, char *buf,
			 size_t size)
{
	int h = lmc_cgfs_hier_of(cg, c);
	const struct lmc_cgfs_hier *hi;
	int n;

	if (h < 0)
		return h;
	if (!lmc_name_is_relpath(name))
		return -EINVAL;
	hi = &cg->hier[h];
	n = snprintf(buf, size, "/%s%s%s", hi->root, hi->root[0] && name[0] ? "/" : "", name);
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

int lmc_cgfs_path(const struct lmc_cgfs *cg, enum lmc_ctrl c, const char *name, char *buf,
		  size_t size)
{
	char rel[PATH_MAX];
	int r = lmc_cgfs_cgroup_path(cg, c, name, rel, sizeof(rel)), n;

	if (r < 0)
		return r;
	/* the hierarchy's own root is its mount point, without a trailing "/" */
	n = snprintf(buf, size, "%s%s", cg->hier[lmc_cgfs_hier_of(cg, c)].mount, rel[1] ? rel : "");
	if (n < 0 || (size_t)n >= size)
		return -ENAMETOOLONG;
	return 0;
}

/* Add (or find) the hierarchy mounted at mount and make it serve c. */
static int hier_add(struct lmc_cgfs *cg, const char *mount, bool v2, enum lmc_ctrl c)
{
	struct lmc_cgfs_hier *h;
	size_t i;

	for (i = 0; i < cg->n_hier; i++)
		if (strcmp(cg->hier[i].mount, mount) == 0)
			break;
	h = &cg->hier[i];
	if (i == cg->n_hier) {
		if (i >= ARRAY_SIZE(cg->hier))
			return -E2BIG;
		h->mount = strdup(mount);
		if (!h->mount)
			return -ENOMEM;
		h->v2 = v2;
		cg->n_hier++;
	}
	h->ctrls |= 1u << c;
	if (c == LMC_CTRL_CPUSET && !v2)
		h->cpuset_v1 = true;
	if (c == LMC_CTRL_UNIFIED)
		cg->unified = (int)i;
	cg->ctrl_hier[c] = (int)i;
	if (strlen(h->label) + strlen(lmc_ctrl_name(c)) + 2 < sizeof(h->label) && !v2)
		snprintf(h->label + strlen(h->label), sizeof(h->label) - strlen(h->label), "%s%s",
			 h->label[0] ? "," : "", lmc_ctrl_name(c));
	else if (v2)
		snprintf(h->label, sizeof(h->label), "unified");
	return 0;
}

/* Whether the comma-separated mount options opts name the option word. */
static bool has_option(const char *opts, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = opts; p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL)
		if (strncmp(p, word, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
	return false;
}

/* The mounts, from one read of /proc/self/mounts: each v1 controller is served by the first
 * "cgroup" mount naming it among its options (as libcgroup's cgroup_init maps them), the
 * cgroup2 tree is the first "cgroup2" mount. Not cgroup_init itself: it clears a 2.4 MiB
 * table on every call, ~600 page faults that cost a short lmctl command more than all the
 * rest of its work. Hierarchies are added in controller order, whatever the mount order (the
 * roots a state directory records are compared as text). */
static int detect_mounts(struct lmc_cgfs *cg, char *unified, size_t usize)
{
	char *v1[LMC_CTRL_UNIFIED] = {NULL};
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent me;
	char buf[4096];
	int r = 0;

	unified[0] = '\0';
	if (!f)
		return lmc_negerrno();
	while (r >= 0 && getmntent_r(f, &me, buf, sizeof(buf))) {
		if (strcmp(me.mnt_type, "cgroup2") == 0 && !unified[0] &&
		    strlen(me.mnt_dir) < usize)
			snprintf(unified, usize, "%s", me.mnt_dir);
		for (int c = 0; strcmp(me.mnt_type, "cgroup") == 0 && c < LMC_CTRL_UNIFIED; c++)
			if (!v1[c] && has_option(me.mnt_opts, lmc_ctrl_name(c)) &&
			    !(v1[c] = strdup(me.mnt_dir)))
				r = -ENOMEM;
	}
	endmntent(f);
	cg->mode = unified[0] ? LMC_CG_V2 : LMC_CG_V1;
	for (int c = 0; c < LMC_CTRL_UNIFIED; c++) {
		if (v1[c] && r >= 0) {
			cg->mode = unified[0] ? LMC_CG_HYBRID : LMC_CG_V1;
			r = hier_add(cg, v1[c], false, c);
		}
		free(v1[c]);
	}
	return r >= 0 && !cg->n_hier && !unified[0] ? -ENOENT : r;
}

/* /proc/self/cgroup, read once per open (8 hierarchies asked for it 8 times). */
static __thread char *self_cgroup;

static char *self_cgroup_text(void)
{
	_cleanup_close_ int fd = -EBADF;
	char *buf;
	ssize_t n;

	if (self_cgroup)
		return strdup(self_cgroup);
	fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
	buf = fd >= 0 ? malloc(16384) : NULL;
	if (!buf)
		return NULL;
	n = read(fd, buf, 16383);
	if (n < 0) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* Own cgroup in a hierarchy from /proc/self/cgroup: v1 lines by controller name (the
 * second field may list several, "cpu,cpuacct"), cgroup2 by "0::". */
int lmc_cgfs_own_cgroup(const struct lmc_cgfs_hier *h, char **ret)
{
	_cleanup_free_ char *text = self_cgroup_text();
	char *line, *next, *save = NULL;
	int r = -ENOENT;

	if (!text)
		return lmc_negerrno();
	for (line = text; r == -ENOENT && line && *line; line = next) {
		char *ctrls = strchr(line, ':'), *path, *tok;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!ctrls || !(path = strchr(++ctrls, ':')))
			continue;
		*path++ = '\0';
		if (strncmp(path, "/", 1) == 0)
			path++;
		if (h->v2) {
			if (!ctrls[0] && !(*ret = strdup(path)))
				r = -ENOMEM;
			else if (!ctrls[0])
				r = 0;
			continue;
		}
		for (tok = strtok_r(ctrls, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			for (int c = 0; c < LMC_CTRL_UNIFIED; c++) {
				if (!(h->ctrls & (1u << c)) || strcmp(tok, lmc_ctrl_name(c)) != 0)
					continue;
				*ret = strdup(path);
				r = *ret ? 0 : -ENOMEM;
				break;
			}
			if (r != -ENOENT)
				break;
		}
	}
	return r;
}

static int setup_fake(struct lmc_cgfs *cg, const char *fsroot, enum lmc_cg_mode mode)
{
	char path[PATH_MAX];
	int r;

	cg->fake = true;
	cg->mode = mode;
	if (mode == LMC_CG_V2)
		return hier_add(cg, fsroot, true, LMC_CTRL_UNIFIED);
	for (int c = 0; c < LMC_CTRL__MAX; c++) {
		if (c == LMC_CTRL_UNIFIED && mode == LMC_CG_V1)
			continue;
		snprintf(path, sizeof(path), "%s/%s", fsroot, lmc_ctrl_name(c));
		/* A bare temp dir is a valid fake: every controller is "mounted". */
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return lmc_negerrno();
		r = hier_add(cg, path, c == LMC_CTRL_UNIFIED, c);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Root relative to the mount per lmc_cgfs_opts.root. */
int lmc_cgfs_resolve_root(const char *own, const char *opt, char **ret)
{
	const char *rel = opt ? opt : "lmctl";
	char *s;

	if (opt && opt[0] == '/') {
		while (*opt == '/')
			opt++;
		s = strdup(opt);
	} else if (asprintf(&s, "%s%s%s", own, own[0] ? "/" : "", rel) < 0) {
		s = NULL;
	}
	if (!s)
		return -ENOMEM;
	for (size_t n = strlen(s); n > 0 && s[n - 1] == '/'; n--)
		s[n - 1] = '\0';
	if (s[0] && !lmc_name_is_relpath(s)) {
		free(s);
		return -EINVAL;
	}
	*ret = s;
	return 0;
}

/* A process already moved into its agent leaf (see cgroupfs-tree.c) still belongs to the
 * delegated cgroup above it: resolve roots from there, not from inside the leaf. */
void lmc_cgfs_strip_agent_leaf(char *own)
{
	size_t n = strlen(own), l = strlen("lmctl.agent");

	if (n >= l && strcmp(own + n - l, "lmctl.agent") == 0 && (n == l || own[n - l - 1] == '/'))
		own[n == l ? 0 : n - l - 1] = '\0';
}

static int open_hier(struct lmc_cgfs *cg, struct lmc_cgfs_hier *h, const struct lmc_cgfs_opts *o,
		     struct lmc_err *err)
{
	_cleanup_free_ char *rec = NULL;
	int r;

	if (h->root) /* placed already (v2) */
		return lmc_cgfs_root_prepare(cg, h, o->create_root, err);
	if (cg->fake)
		h->own = strdup("");
	else if ((r = lmc_cgfs_own_cgroup(h, &h->own)) < 0)
		return lmc_err_set(err, r, "%s: own cgroup not in /proc/self/cgroup", h->label);
	if (!h->own)
		return -ENOMEM;
	if (h->v2)
		lmc_cgfs_strip_agent_leaf(h->own);
	if (!o->root)
		rec = lmc_cgfs_recorded_root(o, h->mount);
	r = lmc_cgfs_resolve_root(h->own, rec ? rec : o->root, &h->root);
	if (r < 0)
		return lmc_err_set(err, r, "cgroup root '%s': invalid path", o->root);
	return lmc_cgfs_root_prepare(cg, h, o->create_root, err);
}

int lmc_cgfs_mount_fd(struct lmc_cgfs_hier *h)
{
	if (h->mount_fd < 0)
		h->mount_fd = open(h->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return h->mount_fd >= 0 ? h->mount_fd : lmc_negerrno();
}

static void cgfs_init(struct lmc_cgfs *cg)
{
	memset(cg, 0, sizeof(*cg));
	cg->unified = -1;
	for (int c = 0; c < LMC_CTRL__MAX; c++)
		cg->ctrl_hier[c] = -1;
	for (size_t i = 0; i < ARRAY_SIZE(cg->hier); i++)
		cg->hier[i].mount_fd = cg->hier[i].root_fd = -EBADF, cg->hier[i].made_from = -1;
}

static int detect(struct lmc_cgfs *cg, const struct lmc_cgfs_opts *o, struct lmc_err *err)
{
	char unified[PATH_MAX];
	int r;

	if (o->fake_fsroot)
		r = setup_fake(cg, o->fake_fsroot, o->fake_mode);
	else if ((r = detect_mounts(cg, unified, sizeof(unified))) == 0 && unified[0])
		r = hier_add(cg, unified, true, LMC_CTRL_UNIFIED);
	if (r < 0)
		return lmc_err_set(err, r, "cgroup mounts: %s", strerror(-r));
	if (cg->mode != LMC_CG_V2)
		return 0;
	return lmc_cgfs_v2_place(cg, o, err);
}

int lmc_cgfs_open(const struct lmc_cgfs_opts *opts, struct lmc_cgfs **ret, struct lmc_err *err)
{
	struct lmc_cgfs *cg = malloc(sizeof(*cg));
	int r;

	if (!cg)
		return -ENOMEM;
	cgfs_init(cg);
	if (!opts->fake_fsroot)
		self_cgroup = self_cgroup_text();
	r = detect(cg, opts, err);
	if (r >= 0 && lmc_cgfs_dcache_new(cg) < 0)
		r = lmc_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; r >= 0 && i < cg->n_hier; i++) {
		r = open_hier(cg, &cg->hier[i], opts, err);
	}
	free(self_cgroup);
	self_cgroup = NULL;
	if (r < 0) {
		for (size_t i = 0; i < cg->n_hier; i++)
			lmc_cgfs_root_unmake(&cg->hier[i]);
		lmc_cgfs_free(cg);
		return r;
	}
	*ret = cg;
	return 0;
}

void lmc_cgfs_free(struct lmc_cgfs *cg)
{
	if (!cg)
		return;
	lmc_cgfs_dcache_free(cg);
	for (size_t i = 0; i < cg->n_hier; i++) {
		struct lmc_cgfs_hier *h = &cg->hier[i];

		if (h->root_fd >= 0)
			close(h->root_fd);
		if (h->mount_fd >= 0)
			close(h->mount_fd);
		free(h->mount);
		free(h->own);
		free(h->root);
	}
	free(cg);
}
