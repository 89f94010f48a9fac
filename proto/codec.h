/* Conversions between core structs and the protobuf wire format (proto/lmctl.proto).
 * The only header outside proto/ may include; generated types stay inside proto/. */
#ifndef LMC_CODEC_H
#define LMC_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/spec.h"
#include "core/task.h"

/* What the store keeps per container. */
enum lmc_rec_state {
	LMC_REC_READY = 0,
	LMC_REC_CREATING = 1, /* write-ahead: the create was not acknowledged */
	LMC_REC_DESTROYING = 2, /* write-ahead: the destroy was begun */
	LMC_REC_UPDATING = 3, /* write-ahead: the update's spec, maybe not all applied yet */
};

struct lmc_record {
	char name[256];
	struct lmc_spec spec;
	enum lmc_rec_state state;
	int32_t init_pid; /* the leaf's namespace init, 0 none */
	uint64_t init_start; /* its start time (/proc/<pid>/stat field 22), to detect reuse */
};

/* Encode to a malloc'd buffer. */
int lmc_codec_record_encode(const struct lmc_record *rec, uint8_t **ret_buf, size_t *ret_len);
/* Decode; -EBADMSG on malformed input (never crashes on any bytes). */
int lmc_codec_record_decode(const uint8_t *buf, size_t len, struct lmc_record *ret);

int lmc_codec_spec_encode(const struct lmc_spec *spec, uint8_t **ret_buf, size_t *ret_len);
/* A create asking for asked finds have: the same spec (the max containers a non-root owner
 * gets by default taken into account)? Decides whether a retried create succeeds. */
bool lmc_codec_spec_same(const struct lmc_spec *asked, const struct lmc_spec *have);
/* UpdateRequest.clear: set the field at path (a Spec path) to LMC_CLEAR; -EINVAL if it is
 * not one that clears or is also set. cleared: the paths of s's LMC_CLEAR fields. */
#define LMC_CODEC_CLEARABLE_MAX 16
int lmc_codec_spec_clear(struct lmc_spec *s, const char *path, const char *name,
			 struct lmc_err *err);
size_t lmc_codec_spec_cleared(const struct lmc_spec *s, const char **ret, size_t max);
int lmc_codec_spec_decode(const uint8_t *buf, size_t len, struct lmc_spec *ret);
int lmc_codec_stats_encode(const struct lmc_stats *st, uint8_t **ret_buf, size_t *ret_len);
int lmc_codec_stats_decode(const uint8_t *buf, size_t len, struct lmc_stats *ret);

/* A task record (core/task.h); decode allocates argv (lmc_task_done frees it). */
int lmc_codec_task_encode(const struct lmc_task *t, uint8_t **ret_buf, size_t *ret_len);
int lmc_codec_task_decode(const uint8_t *buf, size_t len, struct lmc_task *ret);

#endif
