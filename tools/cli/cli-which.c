/* lmctl which PID: the container a process is in (lmctfy's `detect`), from its
 * /proc/PID/cgroup against lmctl's root in each hierarchy, the same through the agent and
 * directly (both give the root's paths and the container list). */
#include "tools/cli/cli.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tools/cli/json.h"

/* The cgroup path of pid below root_fs (a hierarchy's lmctl root as a file system path,
 * "/sys/fs/cgroup/memory/x/lmctl"): root_fs ends with the root's own cgroup path, so the
 * longest tail of it that starts cg ("/x/lmctl/jobA") gives the part below it ("jobA"),
 * "" for the root itself; NULL when cg is not below it. */
static const char *below_root(const char *root_fs, const char *cg)
{
	for (const char *tail = root_fs; tail; tail = strchr(tail + 1, '/')) {
		size_t n = strlen(tail);

		if (n > 1 && strncmp(cg, tail, n) == 0 && (cg[n] == '/' || cg[n] == '\0'))
			return cg[n] ? cg + n + 1 : "";
	}
	return NULL;
}

/* From /proc/PID/cgroup, pid's path below lmctl's root in any hierarchy lmctl manages. */
static int pid_below_root(pid_t pid, const struct lmc_machine_info *info, char *ret, size_t size,
			  struct lmc_err *err)
{
	char path[64], line[1024];
	FILE *f;
	int r = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return lmc_err_set(err, errno == ENOENT ? -ESRCH : lmc_negerrno(),
				   "which: pid %d: %s", (int)pid,
				   errno == ENOENT ? "no such process" : strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		char *cg = strchr(line, ':');

		cg = cg ? strchr(cg + 1, ':') : NULL;
		if (!cg)
			continue;
		cg++;
		cg[strcspn(cg, "\n")] = '\0';
		for (int c = 0; c < LMC_CTRL__MAX; c++) {
			const char *below = info->paths[c][0] ? below_root(info->paths[c], cg)
							      : NULL;

			if (below && r < 0) {
				snprintf(ret, size, "%s", below);
				r = 0;
			}
		}
	}
	fclose(f);
	if (r < 0)
		return lmc_err_set(err, r, "which: pid %d is in no lmctl container", (int)pid);
	return 0;
}

/* The deepest container that is rel or holds it (a workload's own sub-cgroups belong to
 * the container they are in). */
static int container_of_path(struct lmc_cli *c, pid_t pid, const char *rel, char *ret, size_t size,
			     struct lmc_err *err)
{
	struct lmc_list_entry *l = NULL;
	size_t n = 0, best = 0;
	int r = c->b->ops->list(c->b, "/", true, false, &l, &n, err);

	if (r < 0)
		return r;
	ret[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		size_t k = strlen(l[i].name);

		if (k > best && strncmp(rel, l[i].name, k) == 0 &&
		    (rel[k] == '/' || rel[k] == '\0')) {
			best = k;
			snprintf(ret, size, "%s", l[i].name);
		}
	}
	lmc_list_free(l, n);
	if (!best)
		return lmc_err_set(err, -ENOENT, "which: pid %d is in no lmctl container",
				   (int)pid);
	return 0;
}

int lmc_cli_which(struct lmc_cli *c, int argc, char **argv)
{
	struct lmc_cli_opts o;
	struct lmc_err err = {0};
	_cleanup_free_ struct lmc_machine_info *info = calloc(1, sizeof(*info));
	char rel[LMC_NAME_MAX + 64], name[LMC_NAME_MAX + 1];
	uint64_t pid;
	int r;

	if ((r = lmc_cli_parse_opts(argc, argv, &o)))
		return r;
	if (optind != argc - 1)
		return lmc_cli_usage("%s: expected exactly one pid", "which");
	if (lmc_parse_u64("which", argv[optind], 1, INT32_MAX, &pid, &err) < 0)
		return lmc_cli_usage_err(&err);
	if (!info)
		return lmc_cli_fail(&(struct lmc_err){.code = -ENOMEM, .msg = "out of memory"});
	if (lmc_cli_connect(c, true, &err) < 0 || c->b->ops->info(c->b, info, &err) < 0 ||
	    pid_below_root((pid_t)pid, info, rel, sizeof(rel), &err) < 0 ||
	    container_of_path(c, (pid_t)pid, rel, name, sizeof(name), &err) < 0)
		return lmc_cli_fail(&err);
	if (o.json) {
		struct lmc_json j;

		lmc_json_begin(&j, stdout);
		lmc_json_u64(&j, "pid", pid);
		lmc_json_str(&j, "name", lmc_name_display(name));
		lmc_json_end(&j);
	} else {
		printf("%s\n", lmc_name_display(name));
	}
	return 0;
}
