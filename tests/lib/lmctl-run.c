/* Driving the lmctl binary from integration tests. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "tests/lib/lmctl-run.h"

#include <dirent.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/spec.h"
#include "tests/lib/scratch.h"

const char *lmc_test_lmctl_bin(void)
{
	const char *b = getenv("LMCTL_BIN");

	return b && b[0] ? b : "build/lmctl";
}

const char *lmc_test_self_exe(void)
{
	static char self[4096];
	ssize_t n;

	if (self[0])
		return self;
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	return self;
}

int lmc_test_env_open(struct lmc_test_env **ret)
{
	struct lmc_test_env *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	r = lmc_test_scratch_open(&e->cg, e->root, sizeof(e->root));
	if (r < 0) {
		free(e);
		return r;
	}
	snprintf(e->state, sizeof(e->state), "/tmp/lmctl-test-state-XXXXXX");
	if (!mkdtemp(e->state)) {
		lmc_test_scratch_close(e->cg);
		free(e);
		return -errno;
	}
	setenv("LMCTL_STATE_DIR", e->state, 1);
	setenv("LMCTL_CGROUP_ROOT", e->root, 1);
	setenv("LMCTL_SOCKET", "/nonexistent/lmctl.sock", 1);
	*ret = e;
	return 0;
}

void lmc_test_env_close(struct lmc_test_env *e)
{
	char cmd[128];

	if (!e)
		return;
	lmc_test_scratch_close(e->cg);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", e->state);
	if (system(cmd) != 0)
		fprintf(stderr, "warning: could not remove %s\n", e->state);
	free(e);
}

int lmc_test_env_setup(void **state)
{
	struct lmc_test_env *e;

	if (!lmc_test_is_root())
		skip();
	assert_int_equal(lmc_test_env_open(&e), 0);
	*state = e;
	return 0;
}

int lmc_test_env_teardown(void **state)
{
	lmc_test_env_close(*state);
	return 0;
}

static void read_back(int fd, char *buf, size_t size)
{
	ssize_t r;

	if (buf) {
		r = pread(fd, buf, size - 1, 0);
		buf[r > 0 ? r : 0] = '\0';
	}
	close(fd);
}

int lmc_test_lmctl_as(uid_t uid, gid_t gid, char *out, size_t outsz, char *err, size_t errsz,
		      const char *const *args)
{
	const char *argv[64] = {lmc_test_lmctl_bin()};
	int fo = memfd_create("out", 0), fe = memfd_create("err", 0);
	size_t n = 1;
	pid_t pid;
	int st;

	while (n < 63 && args[n - 1]) {
		argv[n] = args[n - 1];
		n++;
	}
	argv[n] = NULL;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fo, 1);
		dup2(fe, 2);
		if (uid != (uid_t)-1 && (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
					 setresuid(uid, uid, uid) < 0))
			_exit(126);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	read_back(fo, out, outsz);
	read_back(fe, err, errsz);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int lmc_test_lmctl_va(uid_t uid, gid_t gid, char *out, size_t outsz, char *err, size_t errsz,
		      va_list ap)
{
	const char *args[64];
	size_t n = 0;

	while (n < 63 && (args[n] = va_arg(ap, const char *)))
		n++;
	args[n] = NULL;
	return lmc_test_lmctl_as(uid, gid, out, outsz, err, errsz, args);
}

int lmc_test_lmctl(char *out, size_t outsz, char *err, size_t errsz, ...)
{
	va_list ap;
	int r;

	va_start(ap, errsz);
	r = lmc_test_lmctl_va((uid_t)-1, (gid_t)-1, out, outsz, err, errsz, ap);
	va_end(ap);
	return r;
}

/* The value of member key (n bytes) of the object that starts at obj ('{'), or NULL: only
 * the object's own members, not those of objects nested in it. */
static const char *json_member(const char *obj, const char *key, size_t n)
{
	int depth = 0;

	for (const char *p = obj; *p; p++) {
		if (*p == '{' || *p == '[') {
			depth++;
		} else if (*p == '}' || *p == ']') {
			if (--depth == 0)
				return NULL;
		} else if (*p == '"') {
			const char *s = ++p;

			while (*p && *p != '"')
				p += (*p == '\\' && p[1]) ? 2 : 1;
			if (!*p)
				return NULL;
			if (depth == 1 && p[1] == ':' && (size_t)(p - s) == n &&
			    strncmp(s, key, n) == 0)
				return p + 2;
		}
	}
	return NULL;
}

const char *lmc_test_json_find(const char *json, const char *path)
{
	const char *v = strchr(json, '{');

	while (v && *path) {
		size_t n = strcspn(path, ".");

		if (*v != '{')
			return NULL;
		v = json_member(v, path, n);
		path += n + (path[n] == '.');
	}
	return v;
}

uint64_t lmc_test_json_u64(const char *json, const char *path)
{
	const char *v = lmc_test_json_find(json, path);

	if (!v || *v < '0' || *v > '9')
		return LMC_UNSET;
	return strtoull(v, NULL, 10);
}

uint64_t lmc_test_stat(const char *name, const char *key)
{
	char out[8192];

	assert_int_equal(lmc_test_lmctl(out, sizeof(out), NULL, 0, "stats", "--json", name, NULL),
			 0);
	return lmc_test_json_u64(out, key);
}

static int count_dirs(struct lmc_cgfs *cg, const char *name)
{
	int n = 0;

	for (int c = 0; c < LMC_CTRL__MAX; c++) {
		char path[1024];
		struct stat st;

		if (!lmc_cgfs_has(cg, c))
			continue;
		assert_int_equal(lmc_cgfs_path(cg, c, name, path, sizeof(path)), 0);
		if (stat(path, &st) == 0)
			n++;
	}
	return n;
}

bool lmc_test_exists_anywhere(struct lmc_cgfs *cg, const char *name)
{
	return count_dirs(cg, name) > 0;
}

bool lmc_test_exists_everywhere(struct lmc_cgfs *cg, const char *name)
{
	int managed = 0;

	for (int c = 0; c < LMC_CTRL__MAX; c++)
		managed += lmc_cgfs_has(cg, c);
	return count_dirs(cg, name) == managed;
}

size_t lmc_test_count_records(const struct lmc_test_env *e)
{
	char path[128];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/containers", e->state);
	d = opendir(path);
	if (!d)
		return 0;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && de->d_name[0] != '@' && strstr(de->d_name, ".rec"))
			n++;
	closedir(d);
	return n;
}
