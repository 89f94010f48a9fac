/* proto/-internal: conversions between core structs and the generated protobuf-c messages,
 * for the codecs of proto/ (records here, requests and responses alongside). Never include
 * this outside proto/: it pulls in the generated lmctl.pb-c.h. */
#ifndef LMC_CODEC_PB_H
#define LMC_CODEC_PB_H

#include "base/err.h"
#include "base/spec.h"
#include "core/task.h"
#include "proto/lmctl.pb-c.h"

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

struct lmc_pb_stats {
	Lmctl__Stats stats;
	Lmctl__Psi psi[3];
};

/* Fill b from spec. -EINVAL if a count exceeds its array or a string is not terminated
 * within its buffer. */
int lmc_codec_spec_to_pb(const struct lmc_spec *spec, struct lmc_pb_spec *b);
/* Convert an unpacked message (NULL: every field unset). -EBADMSG if a string or count
 * exceeds the struct's bounds or an enum value is unknown; ret untouched on failure. */
int lmc_codec_spec_from_pb(const Lmctl__Spec *pb, struct lmc_spec *ret);
/* The same for a spec a client sent: a refusal says why in err ("NAME: device 8:0 has two
 * throttle entries ...", else "NAME: malformed spec"), -EINVAL. */
int lmc_codec_spec_from_pb_err(const Lmctl__Spec *pb, struct lmc_spec *ret, const char *name,
			       struct lmc_err *err);
void lmc_codec_stats_to_pb(const struct lmc_stats *st, struct lmc_pb_stats *b);
int lmc_codec_stats_from_pb(const Lmctl__Stats *pb, struct lmc_stats *ret);

/* Pack any message into a malloc'd buffer. */
/* A Task message whose strings point into t (keep t alive while packing). */
int lmc_codec_task_to_pb(const struct lmc_task *t, Lmctl__Task *m);
/* -EBADMSG when a string does not fit; ret's argv malloc'd. */
int lmc_codec_task_from_pb(const Lmctl__Task *m, struct lmc_task *ret);
int lmc_codec_pack(const ProtobufCMessage *msg, uint8_t **ret_buf, size_t *ret_len);

#endif
