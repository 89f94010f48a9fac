/* Throw-away users for security tests (see testuser.h). */
#include "tests/lib/testuser.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/lmctl-run.h"

#define LOCK_RETRY_MS 10000

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

int lmc_test_user_add(struct lmc_test_user *ret)
{
	static unsigned counter;
	struct lmc_test_user u = {0};
	struct passwd *pw;
	int r;

	snprintf(u.name, sizeof(u.name), "lmctl-t%d-%u", (int)getpid(), counter++);
	{
		const char *argv[] = {"/usr/sbin/useradd", "-M",   "-U", "-d", "/", "-s",
				      "/usr/sbin/nologin", u.name, NULL};

		r = run_tool(argv);
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
	if (run_tool(argv) < 0)
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
	const char *args[64];
	size_t n = 0;
	va_list ap;

	va_start(ap, errsz);
	while (n < 63 && (args[n] = va_arg(ap, const char *)))
		n++;
	va_end(ap);
	args[n] = NULL;
	return lmc_test_lmctl_as(u->uid, u->gid, out, outsz, err, errsz, args);
}
