/* What a client can rely on (issue 13): the capabilities reply, the refusal of requests
 * carrying fields this agent does not know, and the answer to a retried create. */
#include <stdio.h>
#include <string.h>

#include "proto/api-internal.h"
#include "proto/codec.h"

static const char *const features[] = {
	"events.seq",
	"events.replay",
	"events.lifecycle",
	"errors.codes",
	"create.idempotent",
	"request.id.unique",
	"update.clear",
	"update.atomic",
	"stats.time",
	"stats.skip_vanished",
	"request.unknown_fields_refused",
	"capabilities",
};

int lmc_api_reply_caps(uint64_t id, const struct lmc_machine_info *mi,
		       const struct lmc_api_peer *peer, uint8_t **ret_buf, size_t *ret_len)
{
	static const enum lmc_ctrl usable[] = {LMC_CTRL_CPU,  LMC_CTRL_MEMORY, LMC_CTRL_BLKIO,
					       LMC_CTRL_PIDS, LMC_CTRL_CPUSET, LMC_CTRL_FREEZER};
	Lmctl__CapabilitiesReply rep = LMCTL__CAPABILITIES_REPLY__INIT;
	char *ctrls[ARRAY_SIZE(usable)];

	rep.api_version = LMC_API_VERSION;
	rep.agent_version = (char *)LMC_API_VERSION_STRING;
	rep.mode = (Lmctl__CgroupMode)mi->mode;
	for (size_t i = 0; i < ARRAY_SIZE(usable); i++)
		if (mi->paths[usable[i]][0] && !mi->why[usable[i]][0])
			ctrls[rep.n_controllers++] = (char *)lmc_ctrl_name(usable[i]);
	rep.controllers = ctrls;
	rep.n_features = ARRAY_SIZE(features);
	rep.features = (char **)features;
	rep.event_history = peer->event_history;
	rep.event_seq = peer->event_seq;
	return lmc_api_reply_payload(id, LMCTL__RESPONSE__PAYLOAD_CAPABILITIES, &rep, ret_buf,
				     ret_len);
}

/* A field this agent does not know, anywhere in m: its path ("create.spec") in ret. */
static bool unknown_in(const ProtobufCMessage *m, char *path, size_t size)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	size_t len = strlen(path);

	if (m->n_unknown_fields) {
		snprintf(path + len, size - len, "%sfield %u", len ? "." : "",
			 m->unknown_fields[0].tag);
		return true;
	}
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *base = (const char *)m;
		size_t n = 1;
		void *const *items;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(base + f->quantifier_offset) != f->id)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			n = *(const size_t *)(base + f->quantifier_offset);
			items = *(void *const *)(base + f->offset);
		} else {
			items = (void *const *)(base + f->offset);
		}
		for (size_t j = 0; j < n; j++) {
			if (!items || !items[j])
				continue;
			snprintf(path + len, size - len, "%s%s", len ? "." : "", f->name);
			if (unknown_in(items[j], path, size))
				return true;
			path[len] = '\0';
		}
	}
	return false;
}

int lmc_api_check_unknown(const Lmctl__Request *rq, struct lmc_err *err)
{
	char path[256] = "";

	if (!unknown_in(&rq->base, path, sizeof(path)))
		return 0;
	/* An operation of a newer API: say so as before (status -EOPNOTSUPP). */
	if (rq->op_case == LMCTL__REQUEST__OP__NOT_SET && rq->base.n_unknown_fields) {
		lmc_err_set(err, -EOPNOTSUPP, "unknown operation (field %u)",
			    rq->base.unknown_fields[0].tag);
		return lmc_err_facts(err, LMC_EC_INVALID_ARGUMENT, NULL, NULL, LMC_ERR_NOVAL,
				     LMC_ERR_NOVAL, NULL);
	}
	lmc_err_set(err, -EINVAL,
		    "request: %s is not known to this agent (API version %d); nothing was done",
		    path, LMC_API_VERSION);
	return lmc_err_facts(err, LMC_EC_INVALID_ARGUMENT, NULL, path, LMC_ERR_NOVAL, LMC_ERR_NOVAL,
			     NULL);
}

int lmc_api_create_existing(struct lmc_manager *m, uint64_t id, const char *name,
			    const struct lmc_spec *asked, uint8_t **ret_buf, size_t *ret_len,
			    struct lmc_err *err)
{
	Lmctl__CreateReply rep = LMCTL__CREATE_REPLY__INIT;
	struct lmc_spec have;

	if (lmc_mgr_spec(m, name, &have, NULL, NULL) < 0 || !lmc_codec_spec_same(asked, &have)) {
		lmc_err_reset(err, -EEXIST,
			      "%s: already exists with a different spec (an identical create "
			      "succeeds)",
			      lmc_name_display(name));
		return lmc_err_facts(err, LMC_EC_ALREADY_EXISTS, name, NULL, LMC_ERR_NOVAL,
				     LMC_ERR_NOVAL, NULL);
	}
	rep.existed = true;
	return lmc_api_reply_payload(id, LMCTL__RESPONSE__PAYLOAD_CREATE, &rep, ret_buf, ret_len);
}
