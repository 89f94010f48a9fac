/* tests/lib/store-find.h */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/lib/store-find.h"

int lmc_test_store_find(struct lmc_store *s, const char *name, struct lmc_record *ret)
{
	struct lmc_record *recs = NULL;
	size_t n = 0;
	int r = lmc_store_load(s, &recs, &n, NULL, NULL);

	if (r < 0)
		return r;
	r = -ENOENT;
	for (size_t i = 0; i < n && r == -ENOENT; i++)
		if (strcmp(recs[i].name, name) == 0) {
			*ret = recs[i];
			r = 0;
		}
	free(recs);
	return r;
}
