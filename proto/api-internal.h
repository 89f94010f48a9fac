/* proto/-internal: what the API's files share (generated types included). */
#ifndef LMC_API_INTERNAL_H
#define LMC_API_INTERNAL_H

#include "proto/api.h"
#include "proto/codec-pb.h"
#include "proto/auth.h"
#include "proto/codec.h"

/* The Spec field paths of the effective values, in struct lmc_effective order. */
extern const char *const lmc_api_eff_fields[LMC_API_EFF_N];
struct lmc_eff_value *lmc_api_eff_at(struct lmc_effective *e, size_t i);

/* Event kinds to and from the wire (proto/api-reply.c: the one place they are mapped);
 * from_wire: -EBADMSG for a kind core does not have. */
Lmctl__EventKind lmc_api_kind_to_wire(enum lmc_events_kind k);
int lmc_api_kind_from_wire(Lmctl__EventKind w, enum lmc_events_kind *ret);

/* Pack resp (id, status, error already set) into a malloc'd buffer. */
int lmc_api_pack(Lmctl__Response *resp, uint8_t **ret_buf, size_t *ret_len);

/* A Response with status 0 whose payload (case c) is the message msg (its type the one the
 * case names). */
int lmc_api_reply_payload(uint64_t id, Lmctl__Response__PayloadCase c, const void *msg,
			  uint8_t **ret_buf, size_t *ret_len);
/* Payload replies: each packs a whole Response with status 0. */
int lmc_api_reply_spec(uint64_t id, const char *name, const struct lmc_spec *spec,
		       const struct lmc_effective *eff, uint8_t **ret_buf, size_t *ret_len);
int lmc_api_reply_list(uint64_t id, const struct lmc_list_entry *e, size_t n, uint8_t **ret_buf,
		       size_t *ret_len);
int lmc_api_reply_machine(uint64_t id, const struct lmc_machine_info *mi, uint8_t **ret_buf,
			  size_t *ret_len);
int lmc_api_reply_version(uint64_t id, uint8_t **ret_buf, size_t *ret_len);
int lmc_api_reply_tasks(uint64_t id, const struct lmc_task *l, size_t n, uint8_t **ret_buf,
			size_t *ret_len);

/* ---- tasks (proto/api-task.c) ---- */

/* What a task operation needs of the request's call. */
struct lmc_api_task_call {
	struct lmc_manager *m; /* NULL: decode and validate only */
	const struct lmc_auth *auth;
	struct lmc_api_result *res;
	struct lmc_err *err;
	bool dry;
};
/* TaskGet, TaskList, TaskWait, TaskDelete, TaskSignal, TaskLog. */
int lmc_api_task_dispatch(struct lmc_api_task_call *c, const Lmctl__Request *rq);
/* The client's decoding of the task payloads (Task, TaskListReply, TaskLogReply) and of a
 * RunReply's task; -EBADMSG for any other payload. */
int lmc_api_task_dec(const Lmctl__Response *m, struct lmc_api_resp *ret);
/* proto/api-caps.c */
int lmc_api_reply_caps(uint64_t id, const struct lmc_machine_info *mi,
		       const struct lmc_api_peer *peer, uint8_t **ret_buf, size_t *ret_len);
/* -EINVAL (INVALID_ARGUMENT) naming the first field rq carries that this agent does not know. */
int lmc_api_check_unknown(const Lmctl__Request *rq, struct lmc_err *err);
/* A create found name existing: a reply saying so if asked is its very spec, else -EEXIST
 * (ALREADY_EXISTS). */
int lmc_api_create_existing(struct lmc_manager *m, uint64_t id, const char *name,
			    const struct lmc_spec *asked, uint8_t **ret_buf, size_t *ret_len,
			    struct lmc_err *err);

#endif
