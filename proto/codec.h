/* The API's spec comparisons and clears (proto/lmctl.proto's CreateRequest and
 * UpdateRequest.clear). The only codec header outside proto/ may include; generated types
 * stay inside proto/ (proto/codec-pb.h). The records on disk are core's (core/record.h). */
#ifndef LMC_CODEC_H
#define LMC_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/spec.h"

/* A create asking for asked finds have: the same spec (the max containers a non-root owner
 * gets by default taken into account)? Decides whether a retried create succeeds. */
bool lmc_codec_spec_same(const struct lmc_spec *asked, const struct lmc_spec *have);
/* UpdateRequest.clear: set the field at path (a Spec path) to LMC_CLEAR; -EINVAL if it is
 * not one that clears or is also set. cleared: the paths of s's LMC_CLEAR fields. */
#define LMC_CODEC_CLEARABLE_MAX 16
int lmc_codec_spec_clear(struct lmc_spec *s, const char *path, const char *name,
			 struct lmc_err *err);
size_t lmc_codec_spec_cleared(const struct lmc_spec *s, const char **ret, size_t max);

#endif
