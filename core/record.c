/* The records on disk (core/record.h) <-> core/record.proto's Record and Task messages. */
#include <string.h>

#include "base/macro.h"
#include "base/util.h"
#include "core/record-pb.h"
#include "core/record.h"

static void record_free_unpacked(Lmctl__Record **m)
{
	if (*m)
		lmctl__record__free_unpacked(*m, NULL);
}

int lmc_record_encode(const struct lmc_record *rec, uint8_t **ret_buf, size_t *ret_len)
{
	struct lmc_pb_spec b;
	Lmctl__Record m = LMCTL__RECORD__INIT;
	int r;

	r = lmc_record_spec_to_pb(&rec->spec, &b);
	if (r < 0)
		return r;
	if (strnlen(rec->name, sizeof(rec->name)) >= sizeof(rec->name) ||
	    (unsigned)rec->state > LMC_REC_UPDATING)
		return -EINVAL;
	m.name = (char *)rec->name;
	m.spec = &b.spec;
	m.state = (Lmctl__RecordState)rec->state;
	m.init_pid = rec->init_pid;
	m.init_start = rec->init_start;
	m.init_ns = rec->init_ns;
	return lmc_record_pack(&m.base, ret_buf, ret_len);
}

static int state_from_pb(Lmctl__RecordState st, enum lmc_rec_state *ret)
{
	switch (st) {
	case LMCTL__RECORD_STATE__RECORD_READY:
		*ret = LMC_REC_READY;
		return 0;
	case LMCTL__RECORD_STATE__RECORD_CREATING:
		*ret = LMC_REC_CREATING;
		return 0;
	case LMCTL__RECORD_STATE__RECORD_DESTROYING:
		*ret = LMC_REC_DESTROYING;
		return 0;
	case LMCTL__RECORD_STATE__RECORD_UPDATING:
		*ret = LMC_REC_UPDATING;
		return 0;
	default:
		return -EBADMSG;
	}
}

int lmc_record_decode(const uint8_t *buf, size_t len, struct lmc_record *ret)
{
	_cleanup_(record_free_unpacked) Lmctl__Record *m = NULL;
	struct lmc_record rec;

	m = lmctl__record__unpack(NULL, len, buf);
	if (!m)
		return -EBADMSG;
	memset(&rec, 0, sizeof(rec));
	if (lmc_util_copy_str(rec.name, sizeof(rec.name), m->name) < 0 ||
	    state_from_pb(m->state, &rec.state) < 0 ||
	    lmc_record_spec_from_pb(m->spec, &rec.spec) < 0)
		return -EBADMSG;
	rec.init_pid = m->init_pid;
	rec.init_start = m->init_start;
	rec.init_ns = m->init_ns;
	*ret = rec;
	return 0;
}

int lmc_record_task_encode(const struct lmc_task *t, uint8_t **ret_buf, size_t *ret_len)
{
	Lmctl__Task m;

	lmc_record_task_to_pb(t, &m);
	return lmc_record_pack(&m.base, ret_buf, ret_len);
}

int lmc_record_task_decode(const uint8_t *buf, size_t len, struct lmc_task *ret)
{
	Lmctl__Task *m = lmctl__task__unpack(NULL, len, buf);
	int r;

	if (!m)
		return -EBADMSG;
	r = lmc_record_task_from_pb(m, ret);
	lmctl__task__free_unpacked(m, NULL);
	return r;
}
