/* Who a leaf's processes are: the host ids of its user namespace (root's default a range of
 * its own from the pool; which maps an owner may ask for is the agent's to decide,
 * proto/auth.c), the init that holds its namespaces (known by a pidfd, and by pid and start
 * time across restarts, never by name), and the user database: a uid's name, the groups a
 * run gets. */
#include "core/manager-internal.h"

#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "nsutil/ns.h"

#define PWBUF_SIZE 16384

/* ---- the init ---- */

pid_t lmc_mgr_init_pid(const struct lmc_node *n)
{
	const struct lmc_node_rt *rt = n->user;

	return rt ? rt->init.pid : 0;
}

const struct lmc_init_id *lmc_mgr_init_id(const struct lmc_node *n)
{
	const struct lmc_node_rt *rt = n->user;

	return rt && rt->init.pid ? &rt->init : NULL;
}

int lmc_mgr_set_init(struct lmc_node *n, const struct lmc_init_id *id, int pidfd)
{
	struct lmc_node_rt *rt = n->user;
	bool some = id && id->pid > 0;

	if (!rt && some) {
		rt = calloc(1, sizeof(*rt));
		if (!rt) {
			if (pidfd >= 0)
				close(pidfd);
			return -ENOMEM;
		}
		rt->init_pidfd = -1;
		n->user = rt;
	}
	if (!rt) {
		if (pidfd >= 0)
			close(pidfd);
		return 0;
	}
	if (rt->init_pidfd >= 0)
		close(rt->init_pidfd);
	rt->init = some ? *id : (struct lmc_init_id){0};
	rt->init_pidfd = some ? pidfd : -1;
	if (!some && pidfd >= 0)
		close(pidfd);
	return 0;
}

int lmc_mgr_init_fd(struct lmc_node *n)
{
	struct lmc_node_rt *rt = n->user;
	int fd;

	if (!rt || !rt->init.pid)
		return -ESRCH;
	/* Known from the store only (another process started it, or before a restart): the
	 * pid counts only while it is still the process that started at the recorded time. */
	if (rt->init_pidfd < 0 &&
	    lmc_ns_pidfd_adopt(rt->init.pid, rt->init.start, rt->init.ns, &fd) >= 0)
		rt->init_pidfd = fd;
	if (lmc_ns_pidfd_alive(rt->init_pidfd))
		return rt->init_pidfd;
	lmc_mgr_set_init(n, NULL, -1);
	return -ESRCH;
}

void lmc_mgr_rt_free(struct lmc_node *n)
{
	struct lmc_node_rt *rt = n->user;

	if (!rt)
		return;
	if (rt->init_pidfd >= 0)
		close(rt->init_pidfd);
	free(rt);
	n->user = NULL;
}

/* ---- user namespace maps ---- */

/* The host ranges every container's maps use. */
static int used_ranges(struct lmc_manager *m, struct lmc_idmap **ret, size_t *ret_n)
{
	struct lmc_node *top = lmc_tree_root(m->tree);
	struct lmc_idmap *v;
	size_t n = 0, k = 0;

	for (struct lmc_node *x = top; x; x = lmc_tree_next(top, x))
		n += x->spec.ns.n_uid_map + x->spec.ns.n_gid_map;
	v = calloc(n ? n : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (struct lmc_node *x = top; x; x = lmc_tree_next(top, x)) {
		const struct lmc_spec_ns *ns = &x->spec.ns;

		for (unsigned i = 0; i < ns->n_uid_map && k < n; i++)
			v[k++] = ns->uid_map[i];
		for (unsigned i = 0; i < ns->n_gid_map && k < n; i++)
			v[k++] = ns->gid_map[i];
	}
	*ret = v;
	*ret_n = k;
	return 0;
}

int lmc_mgr_idmaps_assign(struct lmc_manager *m, const char *name, struct lmc_spec *spec,
			  struct lmc_err *err)
{
	struct lmc_spec_ns *ns = &spec->ns;
	_cleanup_free_ struct lmc_idmap *used = NULL;
	size_t n = 0;
	uint32_t base;
	int r;

	if (!(ns->mask & LMC_NS_USER) || (ns->n_uid_map && ns->n_gid_map))
		return 0;
	r = used_ranges(m, &used, &n);
	if (r < 0)
		return lmc_err_set(err, r, "out of memory");
	r = lmc_ns_idmap_pool_pick(used, n, NULL, &base);
	if (r == -ENOSPC)
		return lmc_err_set(err, r,
				   "%s: no free host id range for its user namespace (pool of %u "
				   "ranges from %u full)",
				   lmc_name_display(name), LMC_NS_POOL_SLOTS, LMC_NS_POOL_BASE);
	if (r < 0)
		return lmc_err_set(err, r, "%s: cannot pick host ids for its user namespace: %s",
				   lmc_name_display(name), strerror(-r));
	/* Inside 0..65535 -> a slot of the host's ids no other container or user has. */
	if (!ns->n_uid_map) {
		ns->uid_map[0] = (struct lmc_idmap){0, base, LMC_NS_POOL_SLOT};
		ns->n_uid_map = 1;
	}
	if (!ns->n_gid_map) {
		ns->gid_map[0] = (struct lmc_idmap){0, base, LMC_NS_POOL_SLOT};
		ns->n_gid_map = 1;
	}
	return 0;
}

/* getpwuid_r (0), else /etc/passwd read here (1): a static build's NSS has no modules to
 * load. */
static int user_entry(uid_t uid, struct passwd *pw, char *buf, size_t size)
{
	struct passwd *pwp = NULL;
	FILE *f;

	if (getpwuid_r(uid, pw, buf, size, &pwp) == 0 && pwp)
		return 0;
	f = fopen("/etc/passwd", "re");
	if (!f)
		return -ENOENT;
	while (fgetpwent_r(f, pw, buf, size, &pwp) == 0)
		if (pw->pw_uid == uid) {
			fclose(f);
			return 1;
		}
	fclose(f);
	return -ENOENT;
}

int lmc_mgr_user_name(uid_t uid, char *buf, size_t size)
{
	_cleanup_free_ char *pwbuf = malloc(PWBUF_SIZE);
	struct passwd pw;
	int r;

	if (!pwbuf)
		return -ENOMEM;
	r = user_entry(uid, &pw, pwbuf, PWBUF_SIZE);
	if (r < 0)
		return r;
	snprintf(buf, size, "%s", pw.pw_name);
	return 0;
}

/* ---- groups of a run ---- */

/* getgrouplist, grown until the list fits. */
static int nss_groups(const char *user, gid_t primary, gid_t **groups, int *ret_n)
{
	int n = 16;

	for (;;) {
		gid_t *g = realloc(*groups, (size_t)n * sizeof(*g));
		int want = n;

		if (!g)
			return -ENOMEM;
		*groups = g;
		if (getgrouplist(user, primary, g, &want) >= 0) {
			*ret_n = want;
			return 0;
		}
		if (want <= n || want > NGROUPS_MAX)
			return -E2BIG;
		n = want;
	}
}

static bool group_has(const struct group *gr, const char *user)
{
	for (char **m = gr->gr_mem; m && *m; m++)
		if (strcmp(*m, user) == 0)
			return true;
	return false;
}

/* The primary group, then every /etc/group entry naming the user (with user_entry's file
 * fallback: no NSS module to ask either). */
static int file_groups(const char *user, gid_t primary, gid_t **groups, int *ret_n)
{
	_cleanup_free_ char *buf = malloc(PWBUF_SIZE);
	struct group gr, *grp;
	int n = 1, cap = 16;
	gid_t *g = malloc((size_t)cap * sizeof(*g));
	FILE *f;

	*groups = g;
	if (!g || !buf)
		return -ENOMEM;
	g[0] = primary;
	f = fopen("/etc/group", "re");
	while (f && n < NGROUPS_MAX && fgetgrent_r(f, &gr, buf, PWBUF_SIZE, &grp) == 0) {
		if (gr.gr_gid == primary || !group_has(&gr, user))
			continue;
		if (n == cap && !(g = realloc(*groups, (size_t)(cap *= 2) * sizeof(*g))))
			break;
		*groups = g;
		g[n++] = gr.gr_gid;
	}
	if (f)
		fclose(f);
	*ret_n = n;
	return g ? 0 : -ENOMEM;
}

int lmc_mgr_run_groups(const struct lmc_run_opts *o, gid_t *ret_gid, gid_t **ret_groups,
		       size_t *ret_n, struct lmc_err *err)
{
	_cleanup_free_ char *buf = malloc(PWBUF_SIZE);
	_cleanup_free_ gid_t *groups = NULL;
	struct passwd pw;
	int r, n = 0;

	if (!buf)
		return lmc_err_set(err, -ENOMEM, "out of memory");
	/* No entry: refused rather than guessed. gid 0 would make the command a member of
	 * root's group, and any other fixed choice (nogroup) shares files with strangers. */
	r = user_entry(o->uid, &pw, buf, PWBUF_SIZE);
	if (r < 0)
		return lmc_err_set(err, -EINVAL,
				   "run: uid %u has no entry in the user database: name its group "
				   "with --gid",
				   (unsigned)o->uid);
	r = r == 1 ? file_groups(pw.pw_name, pw.pw_gid, &groups, &n)
		   : nss_groups(pw.pw_name, pw.pw_gid, &groups, &n);
	if (r < 0)
		return lmc_err_set(err, r, "run: user %s: its groups: %s", pw.pw_name,
				   strerror(-r));
	*ret_gid = pw.pw_gid;
	*ret_groups = TAKE_PTR(groups);
	*ret_n = (size_t)n;
	return 0;
}
