/* For proto/ only: the conversions between core's structs and the generated messages of
 * core/record.proto, written once here for the records on disk and used by proto/'s codecs
 * for the same messages on the wire. It pulls in the generated core/record.pb-c.h: nothing
 * above proto/ may include it (callers of core see core/record.h). */
#ifndef LMC_RECORD_PB_H
#define LMC_RECORD_PB_H

#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "base/spec.h"
#include "core/record.pb-c.h"
#include "core/task.h"

/* A Spec message and every sub-message it points to, with no allocation. Strings point
 * into the struct lmc_spec it was filled from: keep that alive while packing. */
struct lmc_pb_spec {
	Lmctl__Spec spec;
	Lmctl__CpuSpec cpu;
	Lmctl__MemorySpec memory;
	Lmctl__BlkioSpec blkio;
	Lmctl__PidsSpec pids;
	Lmctl__Namespaces ns;
	Lmctl__Throttle thr[LMC_THROTTLE_MAX];
	Lmctl__Throttle *thrp[LMC_THROTTLE_MAX];
	Lmctl__IdMap uid[LMC_IDMAP_MAX], gid[LMC_IDMAP_MAX];
	Lmctl__IdMap *uidp[LMC_IDMAP_MAX], *gidp[LMC_IDMAP_MAX];
};

/* Fill b from spec. -EINVAL if a count exceeds its array or a string is not terminated
 * within its buffer. */
int lmc_record_spec_to_pb(const struct lmc_spec *spec, struct lmc_pb_spec *b);
/* Convert an unpacked message (NULL: every field unset). -EBADMSG if a string or count
 * exceeds the struct's bounds or an enum value is unknown; ret untouched on failure. */
int lmc_record_spec_from_pb(const Lmctl__Spec *pb, struct lmc_spec *ret);
/* The same for a spec a client sent: a refusal says why in err ("NAME: device 8:0 has two
 * throttle entries ...", else "NAME: malformed spec"), -EINVAL. */
int lmc_record_spec_from_pb_err(const Lmctl__Spec *pb, struct lmc_spec *ret, const char *name,
				struct lmc_err *err);

/* A Task message whose strings point into t (keep t alive while packing). */
void lmc_record_task_to_pb(const struct lmc_task *t, Lmctl__Task *m);
/* -EBADMSG when a string does not fit; ret's argv malloc'd. */
int lmc_record_task_from_pb(const Lmctl__Task *m, struct lmc_task *ret);

/* Pack any message into a malloc'd buffer. */
int lmc_record_pack(const ProtobufCMessage *msg, uint8_t **ret_buf, size_t *ret_len);

/* An optional uint64: a single-member oneof in the message, LMC_UNSET in the struct. The
 * case value of a set member is its field number. A table of these converts a message's
 * optional numbers in one loop (Spec's here, Stats' in proto/codec.c). */
struct lmc_pb_opt {
	size_t case_off, pb_off, c_off;
	uint32_t id;
};

#define LMC_PB_OPT(pbtype, pbfield, ctype, cfield, fid)                         \
	{                                                                       \
		offsetof(pbtype, _##pbfield##_case), offsetof(pbtype, pbfield), \
			offsetof(ctype, cfield), fid                            \
	}

/* LMC_UNSET and LMC_CLEAR leave the member unset (a clear travels as UpdateRequest.clear). */
void lmc_record_opts_to_pb(void *pb, const void *c, const struct lmc_pb_opt *t, size_t n);
void lmc_record_opts_from_pb(void *c, const void *pb, const struct lmc_pb_opt *t, size_t n);

#endif
