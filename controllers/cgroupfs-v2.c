/* The kernel boundary, part 4: where lmctl's root goes on cgroup v2, and which controllers
 * it can use there.
 *
 * A v2 cgroup that holds processes may not enable controllers for its children (the
 * no-internal-process rule; only the hierarchy root is exempt), and on a real host lmctl
 * runs from such a cgroup: a login shell's session scope, a service. So a relative root
 * (and the default "lmctl") goes below the caller's own cgroup only when that cgroup can
 * delegate: it is the hierarchy root, or it holds no process but this one (which then moves
 * itself into a leaf, as lmctld does under systemd's Delegate=yes). Otherwise the root goes
 * to the top of the hierarchy (/sys/fs/cgroup/lmctl), as docker's cgroupfs driver uses
 * /docker: the root cgroup can always delegate, and no process lmctl did not start is ever
 * moved.
 *
 * What is usable is read along the real chain: the deepest cgroup that already exists above
 * the root (the base) offers what its parent delegated (its cgroup.controllers), and can pass
 * on what is already in its cgroup.subtree_control or what it may still enable there (it
 * holds no other process). lmctl enables from the base down, never above it. A controller
 * that is not usable is never managed, and cg->why says which cgroup withholds it. */
#include "controllers/cgroupfs-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* v2 controllers lmctl manages, in the order they are enabled. */
static const enum lmc_ctrl v2_order[] = {LMC_CTRL_CPU, LMC_CTRL_MEMORY, LMC_CTRL_BLKIO,
					 LMC_CTRL_PIDS, LMC_CTRL_CPUSET};

/* "a/b" -> "a/b/file", "" -> "file". */
static void at(const char *cgpath, const char *file, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", cgpath, cgpath[0] ? "/" : "", file);
}

/* Does the cgroup hold a process other than this one? A cgroup.procs longer than one pid
 * does; our own pid alone is not "other" (we may move ourselves). */
static bool holds_others(int mount_fd, const char *cgpath)
{
	char p[PATH_MAX], buf[64], *s, *end;
	int r;

	at(cgpath, "cgroup.procs", p, sizeof(p));
	r = lmc_cgfs_read_at(mount_fd, p, buf, sizeof(buf));
	if (r < 0)
		return false;
	if ((size_t)r >= sizeof(buf) - 1)
		return true;
	for (s = buf; *s; s = end) {
		long pid = strtol(s, &end, 10);

		if (end == s)
			break;
		if (pid != (long)getpid())
			return true;
	}
	return false;
}

/* " cpu memory " from a space-separated kernel list, for word lookups. */
static void read_words(int mount_fd, const char *cgpath, const char *file, char *buf, size_t size,
		       bool *ret_found)
{
	char p[PATH_MAX], raw[256];
	int r;

	at(cgpath, file, p, sizeof(p));
	r = lmc_cgfs_read_at(mount_fd, p, raw, sizeof(raw));
	*ret_found = r >= 0;
	if (r < 0)
		raw[0] = '\0';
	raw[strcspn(raw, "\n")] = '\0';
	snprintf(buf, size, " %s ", raw);
}

static bool has_word(const char *words, const char *w)
{
	char pat[40];

	snprintf(pat, sizeof(pat), " %s ", w);
	return strstr(words, pat) != NULL;
}

/* The deepest existing proper ancestor of root (relative to the mount): its length. */
static size_t existing_base(int mount_fd, const char *root)
{
	_cleanup_free_ char *p = strdup(root);
	struct stat st;
	char *slash;

	if (!p)
		return 0;
	while ((slash = strrchr(p, '/'))) {
		*slash = '\0';
		if (fstatat(mount_fd, p, &st, 0) == 0 && S_ISDIR(st.st_mode))
			return strlen(p);
	}
	return 0;
}

static void full(const struct lmc_cgfs_hier *h, const char *cgpath, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s", h->mount, cgpath[0] ? "/" : "", cgpath);
}

/* Which of lmctl's controllers the base can pass on; the reason for each it cannot. */
static void v2_usable(struct lmc_cgfs *cg, struct lmc_cgfs_hier *h, bool fake_all)
{
	char base[PATH_MAX], where[PATH_MAX + 64], avail[272], on[272];
	bool found, blocked;
	size_t len = 0;

	snprintf(base, sizeof(base), "%.*s", (int)h->base_len, h->root);
	full(h, base, where, sizeof(where));
	read_words(h->mount_fd, base, "cgroup.controllers", avail, sizeof(avail), &found);
	fake_all = fake_all && !found;
	read_words(h->mount_fd, base, "cgroup.subtree_control", on, sizeof(on), &found);
	blocked = base[0] && holds_others(h->mount_fd, base);
	cg->enable[0] = '\0';
	for (int c = 0; c < LMC_CTRL__MAX; c++) {
		const char *k = lmc_cgfs_v2_name(c);

		if (k && !fake_all && !has_word(avail, k)) {
			if (base[0])
				snprintf(
					cg->why[c], sizeof(cg->why[c]),
					"%.160s does not offer it: its parent has not delegated it "
					"(not in the parent's cgroup.subtree_control)",
					where);
			else
				snprintf(cg->why[c], sizeof(cg->why[c]),
					 "the kernel offers no '%s' controller", k);
			continue;
		}
		if (k && !fake_all && !has_word(on, k) && blocked) {
			snprintf(cg->why[c], sizeof(cg->why[c]),
				 "%.120s holds other processes, so it cannot enable '%s' for its "
				 "children (run lmctld under systemd with Delegate=yes, or choose "
				 "--cgroup-root=/PATH)",
				 where, k);
			continue;
		}
		h->ctrls |= 1u << c;
		cg->ctrl_hier[c] = 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(v2_order); i++)
		if (cg->ctrl_hier[v2_order[i]] >= 0)
			len += snprintf(cg->enable + len, sizeof(cg->enable) - len, "%s+%s",
					len ? " " : "", lmc_cgfs_v2_name(v2_order[i]));
}

/* The own cgroup (lmctld's agent leaf stripped: the delegated cgroup is its parent). */
static int v2_own(const struct lmc_cgfs_opts *o, struct lmc_cgfs_hier *h, struct lmc_err *err)
{
	int r;

	if (o->fake_fsroot) {
		h->own = strdup(o->fake_own ? o->fake_own : "");
		return h->own ? 0 : -ENOMEM;
	}
	r = lmc_cgfs_own_cgroup(h, &h->own);
	if (r < 0)
		return lmc_err_set(err, r, "unified: own cgroup not in /proc/self/cgroup");
	lmc_cgfs_strip_agent_leaf(h->own);
	return 0;
}

int lmc_cgfs_v2_place(struct lmc_cgfs *cg, const struct lmc_cgfs_opts *o, struct lmc_err *err)
{
	struct lmc_cgfs_hier *h = &cg->hier[0];
	_cleanup_free_ char *rec = o->root ? NULL : lmc_cgfs_recorded_root(o, h->mount);
	const char *opt = rec ? rec : o->root;
	bool absolute = opt && opt[0] == '/', busy = false;
	char where[PATH_MAX + 64];
	int r;

	h->mount_fd = open(h->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (h->mount_fd < 0)
		return lmc_err_set(err, lmc_negerrno(), "cgroup mount %s: %s", h->mount,
				   strerror(errno));
	r = v2_own(o, h, err);
	if (r < 0)
		return r;
	if (!absolute)
		busy = h->own[0] && holds_others(h->mount_fd, h->own);
	r = lmc_cgfs_resolve_root(busy ? "" : h->own, opt, &h->root);
	if (r < 0)
		return lmc_err_set(err, r, "cgroup root '%s': invalid path", opt);
	full(h, h->own, where, sizeof(where));
	if (busy)
		snprintf(cg->placement, sizeof(cg->placement),
			 "top level: the caller's cgroup %.200s holds other processes and cannot "
			 "delegate controllers",
			 where);
	else if (!absolute)
		snprintf(cg->placement, sizeof(cg->placement), "below the caller's cgroup %.200s",
			 where);
	else
		snprintf(cg->placement, sizeof(cg->placement), "%s",
			 rec ? "as the state directory recorded it" : "as given (--cgroup-root)");
	h->base_len = existing_base(h->mount_fd, h->root);
	v2_usable(cg, h, o->fake_fsroot != NULL);
	return 0;
}
