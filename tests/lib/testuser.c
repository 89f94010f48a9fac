/* Throw-away users for security tests (see testuser.h). */
#include "tests/lib/testuser.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <shadow.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/lmctl-run.h"

#define LOCK_RETRY_MS 10000
#define USERADD "/usr/sbin/useradd"
#define SUB_FIRST 100000u
#define SUB_COUNT 65536u

/* useradd/userdel as a child; they exit 10 (or 1) while another one holds /etc/passwd's
 * lock, which parallel test programs do: retry for a bounded time. */
static int run_tool(const char *const *argv)
{
	struct timespec ts = {0, 20 * 1000 * 1000};

	for (int waited = 0;; waited += 20) {
		pid_t pid = fork();
		int st;

		if (pid < 0)
			return -errno;
		if (pid == 0) {
			freopen("/dev/null", "w", stdout);
			execv(argv[0], (char **)argv);
			_exit(127);
		}
		if (waitpid(pid, &st, 0) != pid)
			return -errno;
		if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
			return 0;
		if (!WIFEXITED(st) || WEXITSTATUS(st) == 127 || waited >= LOCK_RETRY_MS)
			return -EIO;
		nanosleep(&ts, NULL);
	}
}

/* ---- without shadow's tools (the busybox VMs): the same files, under lckpwdf() ---- */

static int append_line(const char *file, const char *line)
{
	FILE *f = fopen(file, "ae");

	if (!f)
		return -errno;
	fputs(line, f);
	return fclose(f) == 0 ? 0 : -errno;
}

/* Drop every line starting with "name:", rewriting the file in place (held under lckpwdf). */
static void drop_lines(const char *file, const char *name)
{
	char line[1024], *kept = NULL;
	size_t n = strlen(name), size = 0;
	FILE *in = fopen(file, "re"), *mem = open_memstream(&kept, &size), *out;

	if (in && mem)
		while (fgets(line, sizeof(line), in))
			if (strncmp(line, name, n) != 0 || line[n] != ':')
				fputs(line, mem);
	if (in)
		fclose(in);
	if (!mem)
		return;
	fclose(mem);
	out = in ? fopen(file, "we") : NULL;
	if (out) {
		fwrite(kept, 1, size, out);
		fclose(out);
	}
	free(kept);
}

/* The first subordinate id after every range the file gives. */
static unsigned long sub_next(const char *file)
{
	unsigned long next = SUB_FIRST, start, count;
	char line[256];
	FILE *f = fopen(file, "re");

	while (f && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		if (p && sscanf(p + 1, "%lu:%lu", &start, &count) == 2 && start + count > next)
			next = start + count;
	}
	if (f)
		fclose(f);
	return next;
}

static int add_by_hand(struct lmc_test_user *u)
{
	char line[256];
	uid_t id = 2000;
	int r;

	if (lckpwdf() < 0)
		return -errno;
	while (getpwuid(id) || getgrgid(id))
		id++;
	snprintf(line, sizeof(line), "%s:x:%u:%u::/:/usr/sbin/nologin\n", u->name, id, id);
	r = append_line("/etc/passwd", line);
	snprintf(line, sizeof(line), "%s:x:%u:\n", u->name, id);
	if (r >= 0)
		r = append_line("/etc/group", line);
	snprintf(line, sizeof(line), "%s:%lu:%u\n", u->name, sub_next("/etc/subuid"), SUB_COUNT);
	if (r >= 0)
		r = append_line("/etc/subuid", line);
	snprintf(line, sizeof(line), "%s:%lu:%u\n", u->name, sub_next("/etc/subgid"), SUB_COUNT);
	if (r >= 0)
		r = append_line("/etc/subgid", line);
	ulckpwdf();
	return r;
}

static void del_by_hand(const char *name)
{
	static const char *const files[] = {"/etc/passwd", "/etc/group", "/etc/subuid",
					    "/etc/subgid"};

	if (lckpwdf() < 0)
		return;
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		drop_lines(files[i], name);
	ulckpwdf();
}

int lmc_test_user_add(struct lmc_test_user *ret)
{
	static unsigned counter;
	struct lmc_test_user u = {0};
	struct passwd *pw;
	int r;

	snprintf(u.name, sizeof(u.name), "lmctl-t%d-%u", (int)getpid(), counter++);
	if (access(USERADD, X_OK) == 0) {
		const char *argv[] = {USERADD, "-M", "-U", "-d", "/", "-s", "/usr/sbin/nologin",
				      u.name,  NULL};

		r = run_tool(argv);
	} else {
		r = add_by_hand(&u);
	}
	if (r < 0)
		return r;
	pw = getpwnam(u.name);
	if (!pw) {
		lmc_test_user_del(&u);
		return -ENOENT;
	}
	u.uid = pw->pw_uid;
	u.gid = pw->pw_gid;
	*ret = u;
	return 0;
}

void lmc_test_user_del(struct lmc_test_user *u)
{
	const char *argv[] = {"/usr/sbin/userdel", u->name, NULL};

	if (!u->name[0] || strncmp(u->name, "lmctl-t", 7) != 0)
		return;
	if (access(argv[0], X_OK) != 0)
		del_by_hand(u->name);
	else if (run_tool(argv) < 0)
		fprintf(stderr, "warning: userdel %s failed\n", u->name);
	memset(u, 0, sizeof(*u));
}

static int drop_to(const struct lmc_test_user *u)
{
	if (setgroups(1, &u->gid) < 0 || setresgid(u->gid, u->gid, u->gid) < 0 ||
	    setresuid(u->uid, u->uid, u->uid) < 0)
		return -errno;
	setenv("HOME", "/", 1);
	setenv("USER", u->name, 1);
	setenv("LOGNAME", u->name, 1);
	return 0;
}

int lmc_test_user_run(const struct lmc_test_user *u, int (*fn)(void *ud), void *ud)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (drop_to(u) < 0)
			_exit(126);
		_exit(fn(ud) & 0xff);
	}
	if (waitpid(pid, &st, 0) != pid)
		return -errno;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int lmc_test_user_lmctl(const struct lmc_test_user *u, char *out, size_t outsz, char *err,
			size_t errsz, ...)
{
	va_list ap;
	int r;

	va_start(ap, errsz);
	r = lmc_test_lmctl_va(u->uid, u->gid, out, outsz, err, errsz, ap);
	va_end(ap);
	return r;
}
