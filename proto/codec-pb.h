/* proto/-internal: conversions between core structs and the generated protobuf-c messages
 * of the API, for the codecs of proto/ (stats here; specs and tasks, the messages the records
 * on disk share with the wire, in core/record-pb.h). Never include this outside proto/: it
 * pulls in the generated lmctl.pb-c.h. */
#ifndef LMC_CODEC_PB_H
#define LMC_CODEC_PB_H

#include "base/spec.h"
#include "core/record-pb.h"
#include "proto/lmctl.pb-c.h"

struct lmc_pb_stats {
	Lmctl__Stats stats;
	Lmctl__Psi psi[3];
};

void lmc_codec_stats_to_pb(const struct lmc_stats *st, struct lmc_pb_stats *b);
int lmc_codec_stats_from_pb(const Lmctl__Stats *pb, struct lmc_stats *ret);

#endif
