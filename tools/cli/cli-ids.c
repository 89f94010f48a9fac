/* User and group names to ids, for --owner, --uid and --gid.
 *
 * The static build (`make static`, compiled with LMC_STATIC) reads /etc/passwd and
 * /etc/group itself: static glibc's getpwnam/getgrnam dlopen the NSS modules of the glibc
 * the program was linked against, which a host without that glibc does not have (the
 * lookup then fails, or loads a module of another glibc version). Users known only to
 * LDAP, sssd or systemd-userdb must then be given as numbers. */
#include "tools/cli/cli.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#ifdef LMC_STATIC
static void fclose_p(FILE **f)
{
	if (*f)
		fclose(*f);
}

int lmc_cli_user_id(const char *name, uint32_t *ret)
{
	_cleanup_(fclose_p) FILE *f = fopen("/etc/passwd", "re");
	struct passwd *pw;

	while (f && (pw = fgetpwent(f)))
		if (strcmp(pw->pw_name, name) == 0)
			return *ret = pw->pw_uid, 0;
	return -ENOENT;
}

int lmc_cli_group_id(const char *name, uint32_t *ret)
{
	_cleanup_(fclose_p) FILE *f = fopen("/etc/group", "re");
	struct group *g;

	while (f && (g = fgetgrent(f)))
		if (strcmp(g->gr_name, name) == 0)
			return *ret = g->gr_gid, 0;
	return -ENOENT;
}
#else
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
