/* The kernel boundary, part 5: which container a process is in, per hierarchy, from its
 * /proc/<pid>/cgroup (for deciding who may move it, and what a move adds to a limit). */
#include "controllers/cgroupfs-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/name.h"

/* Is tok one of the comma-separated names in list (list's length len)? */
static bool list_has(const char *list, size_t len, const char *tok, size_t toklen)
{
	for (const char *p = list, *end = list + len; p < end;) {
		const char *c = memchr(p, ',', (size_t)(end - p));
		size_t n = c ? (size_t)(c - p) : (size_t)(end - p);

		if (n == toklen && memcmp(p, tok, n) == 0)
			return true;
		p += n + 1;
	}
	return false;
}

/* The path (after the second ':') of h's line in a /proc/<pid>/cgroup text, or NULL. */
static const char *hier_line(const struct lmc_cgfs_hier *h, const char *buf, size_t *ret_len)
{
	size_t first = strcspn(h->label, ",");

	for (const char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *c1 = strchr(l, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		size_t eol = strcspn(l, "\n");

		if (!c2 || c2 > l + eol)
			continue;
		if (h->v2 ? (c1 - l == 1 && l[0] == '0' && c2 == c1 + 1)
			  : list_has(c1 + 1, (size_t)(c2 - c1 - 1), h->label, first)) {
			*ret_len = (size_t)(l + eol - (c2 + 1));
			return c2 + 1;
		}
	}
	return NULL;
}

/* "/<root>/a/b" -> "a/b"; "/<root>" -> ""; anything else is outside lmctl's root. */
static const char *below_root(const struct lmc_cgfs_hier *h, const char *path, size_t len,
			      char *buf, size_t size)
{
	size_t rl = strlen(h->root);

	if (len < 1 || path[0] != '/' || len - 1 < rl || memcmp(path + 1, h->root, rl) != 0)
		return NULL;
	path += 1 + rl;
	len -= 1 + rl;
	if (rl && len && *path != '/')
		return NULL; /* a sibling whose name only starts like the root */
	if (len && *path == '/') {
		path++;
		len--;
	}
	if (len >= size)
		return NULL;
	memcpy(buf, path, len);
	buf[len] = '\0';
	return buf;
}

int lmc_cgfs_pid_places(struct lmc_cgfs *cg, pid_t pid,
			int (*fn)(enum lmc_ctrl c, const char *name, void *ud), void *ud)
{
	char proc[64], name[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	int r;

	snprintf(proc, sizeof(proc), "/proc/%d/cgroup", (int)pid);
	r = lmc_cgfs_read_all_at(AT_FDCWD, proc, &buf);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	for (size_t i = 0; i < cg->n_hier; i++) {
		const struct lmc_cgfs_hier *h = &cg->hier[i];
		enum lmc_ctrl c = LMC_CTRL_UNIFIED;
		size_t len = 0;
		const char *p = hier_line(h, buf, &len);

		for (int k = 0; k < LMC_CTRL__MAX; k++)
			if (cg->ctrl_hier[k] == (int)i) {
				c = k;
				break;
			}
		r = fn(c, p ? below_root(h, p, len, name, sizeof(name)) : NULL, ud);
		if (r < 0)
			return r;
	}
	return 0;
}

int lmc_cgfs_pid_under(struct lmc_cgfs *cg, pid_t pid, const char *name, bool *ret)
{
	char proc[64], at[PATH_MAX];
	_cleanup_free_ char *buf = NULL;
	const char *p, *below;
	size_t len = 0;
	int h = lmc_cgfs_track_hier(cg), r;

	*ret = true;
	if (cg->fake || h < 0)
		return 0; /* a fake root's cgroups are no process's: nothing to tell */
	snprintf(proc, sizeof(proc), "/proc/%d/cgroup", (int)pid);
	r = lmc_cgfs_read_all_at(AT_FDCWD, proc, &buf);
	if (r < 0)
		return r == -ENOENT ? -ESRCH : r;
	p = hier_line(&cg->hier[h], buf, &len);
	below = p ? below_root(&cg->hier[h], p, len, at, sizeof(at)) : NULL;
	*ret = below && (strcmp(below, name) == 0 || lmc_name_is_under(below, name));
	return 0;
}
