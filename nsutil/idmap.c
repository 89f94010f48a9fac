/* Which host ids a user namespace may map: the subordinate ranges of /etc/subuid and
 * /etc/subgid (what newuidmap(1) and newgidmap(1) grant a user), and the pool from which
 * root's containers get a range of their own. Only reads files; never writes a map. */
#include "nsutil/ns.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SUBID_LINE_MAX 512

struct id_range {
	uint64_t start, end; /* [start, end) */
};

struct range_set {
	struct id_range *v;
	size_t n, cap;
};

static int set_add(struct range_set *s, uint64_t start, uint64_t count)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct id_range *v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = (struct id_range){start, start + count};
	return 0;
}

/* One "owner:start:count" line; false for comments, blank and malformed lines (which
 * newuidmap ignores as well). */
static bool subid_line(char *line, char **owner, uint64_t *start, uint64_t *count)
{
	char *a, *b, *end;

	line[strcspn(line, "\n")] = '\0';
	a = strchr(line, ':');
	b = a ? strchr(a + 1, ':') : NULL;
	if (!a || !b || a == line || line[0] == '#')
		return false;
	*a = *b = '\0';
	*owner = line;
	*start = strtoull(a + 1, &end, 10);
	if (*end || end == a + 1 || a[1] == '-' || *start > UINT32_MAX)
		return false;
	*count = strtoull(b + 1, &end, 10);
	if (*end || end == b + 1 || b[1] == '-' || *count == 0 || *start + *count > 1ULL << 32)
		return false;
	return true;
}

/* The ranges of path given to user (by name, or by its uid in decimal as newuidmap also
 * accepts), or every range when user is NULL. A missing file gives none. */
static int subid_read(const char *path, const char *user, uint32_t id, struct range_set *s)
{
	char line[SUBID_LINE_MAX], num[16], *owner;
	uint64_t start, count;
	FILE *f = fopen(path, "re");
	int r = 0;

	if (!f)
		return errno == ENOENT ? 0 : lmc_negerrno();
	snprintf(num, sizeof(num), "%u", id);
	while (r >= 0 && fgets(line, sizeof(line), f)) {
		if (!subid_line(line, &owner, &start, &count))
			continue;
		if (!user || strcmp(owner, user) == 0 || strcmp(owner, num) == 0)
			r = set_add(s, start, count);
	}
	if (r >= 0 && ferror(f))
		r = -EIO;
	fclose(f);
	return r;
}

static const char *files_path(const struct lmc_ns_subid_files *f, bool gid)
{
	if (gid)
		return f && f->subgid ? f->subgid : "/etc/subgid";
	return f && f->subuid ? f->subuid : "/etc/subuid";
}

/* Every range of maps lies within the caller's own id or one of its subordinate ranges
 * (each within one range, as newuidmap checks). */
static int maps_within(const char *flag, const struct lmc_idmap *maps, unsigned n, uint32_t own,
		       const struct range_set *s, struct lmc_err *err)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t lo = maps[i].outside, hi = lo + maps[i].count;
		bool ok = lo == own && hi == lo + 1;

		for (size_t k = 0; !ok && k < s->n; k++)
			ok = lo >= s->v[k].start && hi <= s->v[k].end;
		if (!ok)
			return lmc_err_set(err, -EPERM,
					   "%s %u:%u:%u: host ids %u-%llu are neither %s %u nor in "
					   "its %s ranges",
					   flag, maps[i].inside, maps[i].outside, maps[i].count,
					   maps[i].outside, (unsigned long long)hi - 1,
					   flag[2] == 'u' ? "uid" : "gid", own,
					   flag[2] == 'u' ? "/etc/subuid" : "/etc/subgid");
	}
	return 0;
}

int lmc_ns_idmaps_allowed(uid_t uid, const char *user, gid_t gid, const struct lmc_spec_ns *ns,
			  const struct lmc_ns_subid_files *files, struct lmc_err *err)
{
	struct range_set su = {0}, sg = {0};
	int r;

	/* Lines name the user or give its uid in decimal (both files: newgidmap does too). */
	r = subid_read(files_path(files, false), user ? user : "", uid, &su);
	if (r >= 0)
		r = subid_read(files_path(files, true), user ? user : "", uid, &sg);
	if (r < 0)
		lmc_err_set(err, r, "cannot read the subordinate id files: %s", strerror(-r));
	if (r >= 0)
		r = maps_within("--uid-map", ns->uid_map, ns->n_uid_map, uid, &su, err);
	if (r >= 0)
		r = maps_within("--gid-map", ns->gid_map, ns->n_gid_map, gid, &sg, err);
	free(su.v);
	free(sg.v);
	return r;
}

static int range_cmp(const void *a, const void *b)
{
	const struct id_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The lowest slot of the pool that meets no taken range: one sweep over them sorted. */
static int pool_sweep(struct range_set *taken, uint32_t *ret)
{
	uint64_t cand = LMC_NS_POOL_BASE,
		 top = cand + (uint64_t)LMC_NS_POOL_SLOT * LMC_NS_POOL_SLOTS;

	if (taken->n)
		qsort(taken->v, taken->n, sizeof(taken->v[0]), range_cmp);
	for (size_t i = 0; i < taken->n && cand < top; i++) {
		const struct id_range *t = &taken->v[i];

		if (t->end <= cand)
			continue;
		if (t->start >= cand + LMC_NS_POOL_SLOT)
			break;
		/* Overlaps: the next slot boundary at or above its end. */
		cand = LMC_NS_POOL_BASE + (t->end - LMC_NS_POOL_BASE + LMC_NS_POOL_SLOT - 1) /
						  LMC_NS_POOL_SLOT * LMC_NS_POOL_SLOT;
	}
	if (cand + LMC_NS_POOL_SLOT > top)
		return -ENOSPC;
	*ret = (uint32_t)cand;
	return 0;
}

int lmc_ns_idmap_pool_pick(const struct lmc_idmap *used, size_t n_used,
			   const struct lmc_ns_subid_files *files, uint32_t *ret)
{
	struct range_set taken = {0};
	int r = 0;

	/* Ranges handed to users can be mapped by them: never give them to a container. */
	r = subid_read(files_path(files, false), NULL, 0, &taken);
	if (r >= 0)
		r = subid_read(files_path(files, true), NULL, 0, &taken);
	for (size_t i = 0; r >= 0 && i < n_used; i++)
		r = set_add(&taken, used[i].outside, used[i].count);
	if (r >= 0)
		r = pool_sweep(&taken, ret);
	free(taken.v);
	return r;
}
