/* User and group names to ids, for --owner, --uid and --gid.
 *
 * lmctl is linked statically (compiled with LMC_STATIC; docs/design.md, "The command line's
 * start-up"), and static glibc cannot load NSS modules safely: getpwnam/getgrnam dlopen those
 * of the glibc the program was linked against, which another host does not have, and even on
 * this one a module that pulls in the shared libc (systemd's) crashes the process. So lookups
 * go to /etc/passwd and /etc/group only (glibc's own "files" service, also for
 * core/manager-ids.c's lookups), and a name not found there is asked of
 * getent(1), a dynamic program with every NSS module of the host (LDAP, sssd, systemd-userdb):
 * one process more, only for such names. glibc's lookups are set to "files" only before a
 * direct-mode run that takes the user's groups (core/manager-ids.c), not at start-up: setting
 * them reads /etc/nsswitch.conf, which no other command needs. */
#include "tools/cli/cli.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#ifdef LMC_STATIC
#include <fcntl.h>
#include <inttypes.h>
#include <nss.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

void lmc_cli_nss_files(void)
{
	static bool done;

	if (!done) {
		__nss_configure_lookup("passwd", "files");
		__nss_configure_lookup("group", "files");
		done = true;
	}
}

static void fclose_p(FILE **f)
{
	if (*f)
		fclose(*f);
}

/* The id (third field) of `getent DB NAME`'s one line "name:x:ID:...", or -ENOENT. */
static int getent_id(const char *db, const char *name, uint32_t *ret)
{
	char *const argv[] = {"getent", (char *)db, "--", (char *)name, NULL};
	posix_spawn_file_actions_t fa;
	char line[1024], *id;
	int p[2], st, r = -ENOENT;
	ssize_t n = 0, k;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -ENOENT;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], 1);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, "getent", &fa, NULL, argv, environ) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	while (pid > 0 && n < (ssize_t)sizeof(line) - 1 &&
	       (k = read(p[0], line + n, sizeof(line) - 1 - (size_t)n)) > 0)
		n += k;
	close(p[0]);
	if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -ENOENT;
	line[n] = '\0';
	id = strchr(line, ':');
	id = id ? strchr(id + 1, ':') : NULL;
	if (id && sscanf(id + 1, "%" SCNu32 ":", ret) == 1)
		r = 0;
	return r;
}

int lmc_cli_user_id(const char *name, uint32_t *ret)
{
	_cleanup_(fclose_p) FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;

	while (f && (pw = fgetpwent(f)))
		if (strcmp(pw->pw_name, name) == 0)
			return *ret = pw->pw_uid, 0;
	return getent_id("passwd", name, ret);
}

int lmc_cli_group_id(const char *name, uint32_t *ret)
{
	_cleanup_(fclose_p) FILE *f = fopen("/etc/group", "re");
	struct group *g;

	while (f && (g = fgetgrent(f)))
		if (strcmp(g->gr_name, name) == 0)
			return *ret = g->gr_gid, 0;
	return getent_id("group", name, ret);
}
#else
void lmc_cli_nss_files(void)
{
}

int lmc_cli_user_id(const char *name, uint32_t *ret)
{
	struct passwd *pw = getpwnam(name);

	if (!pw)
		return -ENOENT;
	*ret = pw->pw_uid;
	return 0;
}

int lmc_cli_group_id(const char *name, uint32_t *ret)
{
	struct group *g = getgrnam(name);

	if (!g)
		return -ENOENT;
	*ret = g->gr_gid;
	return 0;
}
#endif
