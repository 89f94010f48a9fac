/* Files in a temporary directory for the unit tests (tests/lib/tmpdir.h). */
#include "tests/lib/tmpdir.h"

#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

int lmc_test_mkdir_p(const char *base, const char *rel)
{
	char p[PATH_MAX];
	size_t n = strlen(base) + 1;

	if ((size_t)snprintf(p, sizeof(p), "%s/%s", base, rel) >= sizeof(p))
		return -ENAMETOOLONG;
	for (char *s = p + n;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) < 0 && errno != EEXIST)
			return -errno;
		*s = c;
		if (!c)
			return 0;
	}
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void lmc_test_rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}
