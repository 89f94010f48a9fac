/* The records core keeps on disk (core/record.proto): one per container (the store) and one
 * per task (core/task.c). Encoding and decoding only; no generated protobuf type is visible
 * here (proto/ reaches the conversions through core/record-pb.h). */
#ifndef LMC_RECORD_H
#define LMC_RECORD_H

#include <stddef.h>
#include <stdint.h>

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
	uint64_t init_ns; /* its namespaces (lmc_ns_proc_nskey): reuse within a tick; 0 none */
};

/* Encode to a malloc'd buffer; -EINVAL if a string is not terminated within its buffer, a
 * count exceeds its array or an enum is out of range. */
int lmc_record_encode(const struct lmc_record *rec, uint8_t **ret_buf, size_t *ret_len);
/* Decode; -EBADMSG on malformed input (never crashes on any bytes), ret untouched then. */
int lmc_record_decode(const uint8_t *buf, size_t len, struct lmc_record *ret);

/* A task's record; decode allocates argv (lmc_task_done frees it). */
int lmc_record_task_encode(const struct lmc_task *t, uint8_t **ret_buf, size_t *ret_len);
int lmc_record_task_decode(const uint8_t *buf, size_t len, struct lmc_task *ret);

#endif
