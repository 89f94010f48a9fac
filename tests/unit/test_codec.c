/* The codecs through the paths lmctl uses: the store's and the task table's records
 * (core/record.h; a spec travels inside a record), stats in a StatsReply (proto/api.h).
 * Exact round trips (set, unset, maximum sizes), refusal of out-of-bounds input, and decoding
 * of damaged or random bytes without a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/name.h"
#include "core/record.h"
#include "proto/api.h"

/* Every field set, every array and string at its maximum, values all distinct. */
static void full_spec(struct lmc_spec *s)
{
	lmc_spec_init(s);
	s->cpu.reservation_m = 1500;
	s->cpu.limit_m = 2500;
	s->cpu.shares = 262144;
	s->cpu.period_us = 50000;
	memset(s->cpu.cpus, '7', LMC_CPUSET_MAX - 1);
	memcpy(s->cpu.mems, "0-1,3", 6);
	s->cpu.latency = LMC_LATENCY_BATCH;
	s->memory.limit = 4ull << 30;
	s->memory.reservation = 256ull << 20;
	s->memory.high = 3ull << 30;
	s->memory.swap = LMC_UNSET - 2; /* the largest value: - 1 is LMC_CLEAR, never encoded */
	s->memory.oom_group = 1;
	s->memory.eviction_priority = -42;
	s->blkio.weight = 1000;
	s->blkio.n_throttles = LMC_THROTTLE_MAX;
	for (unsigned i = 0; i < LMC_THROTTLE_MAX; i++) {
		struct lmc_throttle *t = &s->blkio.throttles[i];

		t->major = 8 + i;
		t->minor = UINT32_MAX - i;
		memset(t->path, 'a' + (int)i, LMC_DEVPATH_MAX - 1);
		t->read_bps = 1000 + i;
		t->write_bps = i == 3 ? LMC_UNSET : 2000 + i;
		t->read_iops = 0;
		t->write_iops = 4000 + i;
	}
	s->pids.limit = 512;
	s->ns.mask = LMC_NS_ALL;
	memset(s->ns.hostname, 'h', LMC_HOSTNAME_MAX);
	s->ns.n_uid_map = s->ns.n_gid_map = LMC_IDMAP_MAX;
	for (unsigned i = 0; i < LMC_IDMAP_MAX; i++) {
		s->ns.uid_map[i] = (struct lmc_idmap){i, 100000 + i * 65536, 65536};
		s->ns.gid_map[i] = (struct lmc_idmap){i * 2, UINT32_MAX - i, 1};
	}
	s->owner = 1000;
	s->max_containers = 1048576;
}

static void full_record(struct lmc_record *r)
{
	memset(r, 0, sizeof(*r));
	/* the longest valid name: 255 characters */
	for (size_t i = 0; i < LMC_NAME_MAX; i++)
		r->name[i] = i % 64 == 63 ? '/' : 'n';
	assert_true(lmc_name_is_valid(r->name));
	full_spec(&r->spec);
	r->state = LMC_REC_DESTROYING;
	r->init_pid = 4194304;
	r->init_start = UINT64_MAX - 1;
	r->init_ns = UINT64_MAX - 2;
}

static void roundtrip_record(const struct lmc_record *in)
{
	struct lmc_record out;
	uint8_t *buf = NULL;
	size_t len = 0;

	assert_int_equal(lmc_record_encode(in, &buf, &len), 0);
	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(lmc_record_decode(buf, len, &out), 0);
	assert_string_equal(out.name, in->name);
	assert_memory_equal(&out.spec, &in->spec, sizeof(in->spec));
	assert_memory_equal(&out, in, sizeof(*in));
	free(buf);
}

/* A spec's round trip as the store makes it: inside a record. */
static int spec_roundtrip(const struct lmc_spec *in, struct lmc_spec *out)
{
	struct lmc_record r, got;
	uint8_t *buf;
	size_t len;
	int ret;

	memset(&r, 0, sizeof(r));
	r.spec = *in;
	ret = lmc_record_encode(&r, &buf, &len);
	if (ret < 0)
		return ret;
	ret = lmc_record_decode(buf, len, &got);
	free(buf);
	if (ret == 0)
		*out = got.spec;
	return ret;
}

/* Stats as the agent sends them and lmctl reads them: one entry of a StatsReply. */
static void stats_roundtrip(const struct lmc_stats *in, struct lmc_stats *out)
{
	struct lmc_stats_entry e;
	struct lmc_api_resp resp;
	uint8_t *buf;
	size_t len;

	memset(&e, 0, sizeof(e));
	strcpy(e.name, "a");
	e.stats = *in;
	assert_int_equal(lmc_api_reply_stats(7, &e, 1, &buf, &len), 0);
	assert_int_equal(lmc_api_resp_decode(buf, len, &resp), 0);
	free(buf);
	assert_int_equal(resp.payload, LMC_API_PAY_STATS);
	assert_int_equal(resp.n, 1);
	*out = resp.stats[0].stats;
	lmc_api_resp_done(&resp);
}

static void test_record_all_fields(void **state)
{
	struct lmc_record r;
	(void)state;

	full_record(&r);
	roundtrip_record(&r);
}

static void test_record_unset(void **state)
{
	struct lmc_record r, out;
	uint8_t *buf;
	size_t len;
	(void)state;

	memset(&r, 0, sizeof(r));
	lmc_spec_init(&r.spec);
	roundtrip_record(&r);

	/* what a reader of the decoded record sees: nothing asked for */
	assert_int_equal(lmc_record_encode(&r, &buf, &len), 0);
	assert_int_equal(lmc_record_decode(buf, len, &out), 0);
	free(buf);
	assert_string_equal(out.name, "");
	assert_true(out.spec.memory.limit == LMC_UNSET);
	assert_true(out.spec.cpu.limit_m == LMC_UNSET);
	assert_int_equal(out.spec.memory.oom_group, -1);
	assert_true(out.spec.memory.eviction_priority == INT64_MIN);
	assert_int_equal(out.spec.owner, LMC_OWNER_UNSET);
	assert_int_equal(out.spec.blkio.n_throttles, 0);
}

/* Each optional field alone: its presence survives while every other stays unset, and a
 * zero value is kept apart from "unset". */
static void test_spec_one_field_at_a_time(void **state)
{
	struct lmc_spec full, one;
	uint64_t *fields_full[] = {
		&full.cpu.reservation_m, &full.cpu.limit_m,    &full.cpu.shares,
		&full.cpu.period_us,	 &full.memory.limit,   &full.memory.reservation,
		&full.memory.high,	 &full.memory.swap,    &full.blkio.weight,
		&full.pids.limit,	 &full.max_containers,
	};
	(void)state;

	full_spec(&full);
	for (size_t i = 0; i < ARRAY_SIZE(fields_full); i++) {
		size_t off = (size_t)((char *)fields_full[i] - (char *)&full);

		for (int zero = 0; zero < 2; zero++) {
			struct lmc_spec out;
			uint64_t v = zero ? 0 : *fields_full[i];

			memset(&one, 0, sizeof(one));
			lmc_spec_init(&one);
			memcpy((char *)&one + off, &v, sizeof(v));
			assert_int_equal(spec_roundtrip(&one, &out), 0);
			assert_memory_equal(&out, &one, sizeof(one));
		}
	}
}

static void test_spec_small_fields(void **state)
{
	struct lmc_spec s, out;
	(void)state;

	for (int og = -1; og <= 1; og++) {
		memset(&s, 0, sizeof(s));
		lmc_spec_init(&s);
		s.memory.oom_group = og;
		s.memory.eviction_priority = og == 0 ? 0 : INT64_MAX;
		s.owner = og == 1 ? 0 : LMC_OWNER_UNSET;
		s.cpu.latency = (enum lmc_latency)(og + 1);
		s.ns.mask = og == 0 ? LMC_NS_PID | LMC_NS_NET : 0;
		assert_int_equal(spec_roundtrip(&s, &out), 0);
		assert_memory_equal(&out, &s, sizeof(s));
	}
}

/* Field by field: a compound literal would leave the padding after `present` undefined. */
static void set_psi(struct lmc_psi *p, double some, double full, uint64_t total)
{
	p->present = true;
	p->some_avg10 = some;
	p->some_avg60 = some / 2;
	p->some_avg300 = some / 3;
	p->some_total_us = total;
	p->full_avg10 = full;
	p->full_avg60 = full * 2;
	p->full_avg300 = 0;
	p->full_total_us = total / 7;
}

static void test_stats_roundtrip(void **state)
{
	struct lmc_stats st, out;
	uint64_t *p;
	(void)state;

	/* all unset, no pressure */
	lmc_stats_init(&st);
	stats_roundtrip(&st, &out);
	assert_memory_equal(&out, &st, sizeof(st));
	assert_false(out.psi_io.present);
	assert_true(out.mem_usage == LMC_UNSET);

	/* every counter set to a distinct value (0 included), pressure on two resources */
	lmc_stats_init(&st);
	p = &st.cpu_usage_ns;
	for (uint64_t i = 0; &p[i] <= &st.pids_limit; i++)
		p[i] = i * 1000003;
	set_psi(&st.psi_cpu, 0.5, 99.99, 123456789);
	set_psi(&st.psi_io, 100, 1e-9, LMC_UNSET);
	stats_roundtrip(&st, &out);
	assert_memory_equal(&out, &st, sizeof(st));
	assert_true(out.cpu_usage_ns == 0);
	assert_false(out.psi_memory.present);
}

static void test_encode_refuses_out_of_bounds(void **state)
{
	struct lmc_record r;
	uint8_t *buf = NULL;
	size_t len;
	(void)state;

	full_record(&r);
	r.spec.blkio.n_throttles = LMC_THROTTLE_MAX + 1;
	assert_int_equal(lmc_record_encode(&r, &buf, &len), -EINVAL);
	full_record(&r);
	r.spec.ns.n_gid_map = LMC_IDMAP_MAX + 1;
	assert_int_equal(lmc_record_encode(&r, &buf, &len), -EINVAL);
	full_record(&r);
	memset(r.spec.cpu.cpus, '1', sizeof(r.spec.cpu.cpus)); /* not terminated */
	assert_int_equal(lmc_record_encode(&r, &buf, &len), -EINVAL);
	full_record(&r);
	memset(r.name, 'a', sizeof(r.name));
	assert_int_equal(lmc_record_encode(&r, &buf, &len), -EINVAL);
	full_record(&r);
	r.spec.memory.oom_group = 2;
	assert_int_equal(lmc_record_encode(&r, &buf, &len), -EINVAL);
	assert_null(buf);
}

/* ---- hand-built wire bytes (tests see no generated code) ---- */

struct wbuf {
	uint8_t b[8192];
	size_t n;
};

static void put_varint(struct wbuf *w, uint64_t v)
{
	do {
		w->b[w->n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
}

/* field with wire type 2 (length-delimited) */
static void put_bytes(struct wbuf *w, unsigned field, const void *p, size_t len)
{
	put_varint(w, field << 3 | 2);
	put_varint(w, len);
	memcpy(w->b + w->n, p, len);
	w->n += len;
}

static void put_uint(struct wbuf *w, unsigned field, uint64_t v)
{
	put_varint(w, field << 3);
	put_varint(w, v);
}

/* A record whose spec is `spec` (already encoded Spec bytes). */
static int decode_with_spec(const struct wbuf *spec, struct lmc_record *out)
{
	struct wbuf rec = {.n = 0};

	put_bytes(&rec, 1, "jobA", 4);
	put_bytes(&rec, 2, spec->b, spec->n);
	return lmc_record_decode(rec.b, rec.n, out);
}

static void test_decode_refuses_out_of_bounds(void **state)
{
	struct lmc_record out;
	struct wbuf w, sub;
	char big[300];
	(void)state;

	memset(big, 'x', sizeof(big));
	/* name of 255 fits, 256 does not */
	w.n = 0;
	put_bytes(&w, 1, big, 255);
	assert_int_equal(lmc_record_decode(w.b, w.n, &out), 0);
	assert_int_equal(strlen(out.name), 255);
	w.n = 0;
	put_bytes(&w, 1, big, 256);
	assert_int_equal(lmc_record_decode(w.b, w.n, &out), -EBADMSG);

	/* 17 throttles */
	sub.n = 0;
	for (int i = 0; i < LMC_THROTTLE_MAX + 1; i++)
		put_bytes(&sub, 2, "", 0);
	w.n = 0;
	put_bytes(&w, 3, sub.b, sub.n);
	assert_int_equal(decode_with_spec(&w, &out), -EBADMSG);
}

/* One entry per device: [8:0 1M, 8:0 100G] would be checked at 1M and applied at 100G. */
static void test_decode_refuses_duplicate_devices(void **state)
{
	struct lmc_spec s, out;
	struct lmc_record rec;
	struct wbuf w, sub, thr;
	(void)state;

	memset(&s, 0, sizeof(s));
	lmc_spec_init(&s);
	s.blkio.n_throttles = 2;
	for (int i = 0; i < 2; i++)
		s.blkio.throttles[i] = (struct lmc_throttle){
			8,	   0,	      "8:0",	i ? 100ULL << 30 : 1ULL << 20,
			LMC_UNSET, LMC_UNSET, LMC_UNSET};
	memset(&out, 0xa5, sizeof(out));
	assert_int_equal(spec_roundtrip(&s, &out), -EBADMSG);
	/* Another minor is another device. */
	s.blkio.throttles[1].minor = 16;
	assert_int_equal(spec_roundtrip(&s, &out), 0);
	assert_int_equal(out.blkio.n_throttles, 2);
	/* Hand-built: the same device, third entry, in a stored record. */
	sub.n = 0;
	for (int i = 0; i < 3; i++) {
		thr.n = 0;
		put_uint(&thr, 1, 8);
		put_uint(&thr, 2, i == 1 ? 1 : 0);
		put_bytes(&sub, 2, thr.b, thr.n);
	}
	w.n = 0;
	put_bytes(&w, 3, sub.b, sub.n);
	assert_int_equal(decode_with_spec(&w, &rec), -EBADMSG);
}

static void test_decode_refuses_bad_ns_and_enums(void **state)
{
	struct lmc_record out;
	struct wbuf w, sub;
	char big[300];
	(void)state;

	memset(big, 'x', sizeof(big));
	/* 9 uid maps; hostname of 65 */
	sub.n = 0;
	for (int i = 0; i < LMC_IDMAP_MAX + 1; i++)
		put_bytes(&sub, 9, "", 0);
	w.n = 0;
	put_bytes(&w, 5, sub.b, sub.n);
	assert_int_equal(decode_with_spec(&w, &out), -EBADMSG);
	sub.n = 0;
	put_bytes(&sub, 8, big, LMC_HOSTNAME_MAX + 1);
	w.n = 0;
	put_bytes(&w, 5, sub.b, sub.n);
	assert_int_equal(decode_with_spec(&w, &out), -EBADMSG);
	sub.n = 0;
	put_bytes(&sub, 8, big, LMC_HOSTNAME_MAX);
	w.n = 0;
	put_bytes(&w, 5, sub.b, sub.n);
	assert_int_equal(decode_with_spec(&w, &out), 0);

	/* throttle path of 108; unknown latency; unknown record state */
	sub.n = 0;
	put_bytes(&sub, 3, big, LMC_DEVPATH_MAX);
	w.n = 0;
	put_bytes(&w, 2, sub.b, sub.n);
	sub = w;
	w.n = 0;
	put_bytes(&w, 3, sub.b, sub.n);
	assert_int_equal(decode_with_spec(&w, &out), -EBADMSG);
	sub.n = 0;
	put_uint(&sub, 7, 3);
	w.n = 0;
	put_bytes(&w, 1, sub.b, sub.n);
	assert_int_equal(decode_with_spec(&w, &out), -EBADMSG);
	w.n = 0;
	put_uint(&w, 3, 4);
	assert_int_equal(lmc_record_decode(w.b, w.n, &out), -EBADMSG);
}

/* A decode that succeeds must give a struct every reader can trust. */
static void check_sane(const struct lmc_record *r)
{
	const struct lmc_spec *s = &r->spec;

	assert_true(strnlen(r->name, sizeof(r->name)) < sizeof(r->name));
	assert_true(strnlen(s->cpu.cpus, sizeof(s->cpu.cpus)) < sizeof(s->cpu.cpus));
	assert_true(strnlen(s->cpu.mems, sizeof(s->cpu.mems)) < sizeof(s->cpu.mems));
	assert_true(strnlen(s->ns.hostname, sizeof(s->ns.hostname)) < sizeof(s->ns.hostname));
	assert_true(s->blkio.n_throttles <= LMC_THROTTLE_MAX);
	for (unsigned i = 0; i < s->blkio.n_throttles; i++)
		assert_true(strnlen(s->blkio.throttles[i].path, LMC_DEVPATH_MAX) < LMC_DEVPATH_MAX);
	assert_true(s->ns.n_uid_map <= LMC_IDMAP_MAX && s->ns.n_gid_map <= LMC_IDMAP_MAX);
	assert_true(s->ns.mask <= LMC_NS_ALL);
	assert_true(s->cpu.latency <= LMC_LATENCY_BATCH);
	assert_true(s->memory.oom_group >= -1 && s->memory.oom_group <= 1);
	assert_true(r->state <= LMC_REC_UPDATING);
}

static void decode_any(const uint8_t *buf, size_t len)
{
	struct lmc_record r;
	struct lmc_task t;
	struct lmc_api_resp resp;
	int ret;

	ret = lmc_record_decode(buf, len, &r);
	assert_true(ret == 0 || ret == -EBADMSG);
	if (ret == 0)
		check_sane(&r);
	ret = lmc_record_task_decode(buf, len, &t);
	assert_true(ret == 0 || ret == -EBADMSG);
	if (ret == 0)
		lmc_task_done(&t);
	ret = lmc_api_resp_decode(buf, len, &resp);
	assert_true(ret == 0 || ret == -EBADMSG);
	if (ret == 0)
		lmc_api_resp_done(&resp);
}

/* Each decode gets a heap copy of exactly len bytes, so ASan sees any over-read. */
static void decode_copy(const uint8_t *src, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);

	assert_non_null(copy);
	memcpy(copy, src, len);
	decode_any(copy, len);
	free(copy);
}

static void test_decode_truncated(void **state)
{
	struct lmc_record r;
	uint8_t *buf;
	size_t len;
	int bad = 0;
	(void)state;

	full_record(&r);
	assert_int_equal(lmc_record_encode(&r, &buf, &len), 0);
	for (size_t n = 0; n < len; n++) {
		struct lmc_record out;

		decode_copy(buf, n);
		bad += lmc_record_decode(buf, n, &out) == -EBADMSG;
	}
	/* most prefixes cut a field in half */
	assert_true(bad > (int)len / 2);
	free(buf);
}

static void test_decode_bit_flips(void **state)
{
	struct lmc_record r;
	uint8_t *buf;
	size_t len;
	(void)state;

	full_record(&r);
	assert_int_equal(lmc_record_encode(&r, &buf, &len), 0);
	for (size_t bit = 0; bit < len * 8; bit++) {
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		decode_copy(buf, len);
		buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	}
	free(buf);
}

static void test_decode_random(void **state)
{
	struct lmc_record r;
	uint8_t *enc, rnd[512];
	size_t len;
	(void)state;

	srandom(12345);
	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)random() % sizeof(rnd);

		for (size_t j = 0; j < n; j++)
			rnd[j] = (uint8_t)random();
		decode_copy(rnd, n);
	}
	/* random overwrites of a valid record reach deeper into the parser */
	full_record(&r);
	assert_int_equal(lmc_record_encode(&r, &enc, &len), 0);
	for (int i = 0; i < 3000; i++) {
		uint8_t *m = malloc(len);

		memcpy(m, enc, len);
		for (int k = 0; k < 4; k++)
			m[(size_t)random() % len] = (uint8_t)random();
		decode_copy(m, len);
		free(m);
	}
	free(enc);
}

/* ---- the format on disk: bytes written by an older lmctl read back unchanged ---- */

/* A record with every kind of field: each optional number set (one to 0, others unset
 * beside set ones), strings, both lists, every namespace, each enum off its default. */
static void pinned_record(struct lmc_record *r)
{
	struct lmc_spec *s = &r->spec;

	memset(r, 0, sizeof(*r));
	lmc_spec_init(s);
	strcpy(r->name, "jobA/sub1");
	s->cpu.reservation_m = 1500;
	s->cpu.limit_m = 2500;
	s->cpu.shares = 1024;
	s->cpu.period_us = 50000;
	s->cpu.burst_us = 10000;
	strcpy(s->cpu.cpus, "0-3,5");
	strcpy(s->cpu.mems, "0");
	s->cpu.latency = LMC_LATENCY_BATCH;
	s->memory.limit = 4ull << 30;
	s->memory.reservation = 256ull << 20;
	s->memory.high = 3ull << 30;
	s->memory.swap = 8ull << 30;
	s->memory.oom_group = 1;
	s->memory.eviction_priority = -42;
	s->blkio.weight = 500;
	s->blkio.n_throttles = 2;
	s->blkio.throttles[0] = (struct lmc_throttle){8, 0, "/dev/sda", 1 << 20, LMC_UNSET, 0, 300};
	s->blkio.throttles[1] =
		(struct lmc_throttle){253, 16, "253:16", LMC_UNSET, 2 << 20, LMC_UNSET, LMC_UNSET};
	s->pids.limit = 0;
	s->ns.mask = LMC_NS_ALL;
	strcpy(s->ns.hostname, "box");
	s->ns.n_uid_map = 1;
	s->ns.uid_map[0] = (struct lmc_idmap){0, 100000, 65536};
	s->ns.n_gid_map = 2;
	s->ns.gid_map[0] = (struct lmc_idmap){0, 100000, 65536};
	s->ns.gid_map[1] = (struct lmc_idmap){65536, 1000, 1};
	s->owner = 1000;
	s->max_containers = 64;
	r->state = LMC_REC_UPDATING;
	r->init_pid = 4242;
	r->init_start = 123456789;
}

static char *pinned_argv[] = {"sh", "-c", "echo hi", NULL};

static void pinned_task(struct lmc_task *t)
{
	memset(t, 0, sizeof(*t));
	strcpy(t->container, "jobA/sub1");
	strcpy(t->id, "t7");
	t->argv = pinned_argv;
	t->pid = 777;
	t->pid_start = 99;
	t->state = LMC_TASK_EVICTED;
	t->exit_code = -1;
	t->signal = 9;
	t->started_ns = 1700000000000000000ull;
	t->finished_ns = 1700000000500000000ull;
	t->oom_kills = 2;
	strcpy(t->reason, "under=jobA priority=-1");
	t->log = true;
	t->uid = 1000;
	t->pidfd = -1;
}

/* lmc_codec_record_encode(pinned_record) and lmc_codec_task_encode(pinned_task) of commit
 * 63effb9, when the records lived in proto/lmctl.proto (before core/record.proto). */
static const uint8_t old_record[] = {
	0x0a, 0x09, 0x6a, 0x6f, 0x62, 0x41, 0x2f, 0x73, 0x75, 0x62, 0x31, 0x12, 0xa9, 0x01, 0x0a,
	0x1c, 0x08, 0xdc, 0x0b, 0x10, 0xc4, 0x13, 0x18, 0x80, 0x08, 0x20, 0xd0, 0x86, 0x03, 0x2a,
	0x05, 0x30, 0x2d, 0x33, 0x2c, 0x35, 0x32, 0x01, 0x30, 0x38, 0x02, 0x40, 0x90, 0x4e, 0x12,
	0x1c, 0x08, 0x80, 0x80, 0x80, 0x80, 0x10, 0x10, 0x80, 0x80, 0x80, 0x80, 0x01, 0x18, 0x80,
	0x80, 0x80, 0x80, 0x0c, 0x20, 0x80, 0x80, 0x80, 0x80, 0x20, 0x28, 0x01, 0x30, 0x53, 0x1a,
	0x2e, 0x08, 0xf4, 0x03, 0x12, 0x15, 0x08, 0x08, 0x1a, 0x08, 0x2f, 0x64, 0x65, 0x76, 0x2f,
	0x73, 0x64, 0x61, 0x20, 0x80, 0x80, 0x40, 0x30, 0x00, 0x38, 0xac, 0x02, 0x12, 0x12, 0x08,
	0xfd, 0x01, 0x10, 0x10, 0x1a, 0x06, 0x32, 0x35, 0x33, 0x3a, 0x31, 0x36, 0x28, 0x80, 0x80,
	0x80, 0x01, 0x22, 0x02, 0x08, 0x00, 0x2a, 0x32, 0x08, 0x01, 0x10, 0x01, 0x18, 0x01, 0x20,
	0x01, 0x28, 0x01, 0x30, 0x01, 0x38, 0x01, 0x42, 0x03, 0x62, 0x6f, 0x78, 0x4a, 0x08, 0x10,
	0xa0, 0x8d, 0x06, 0x18, 0x80, 0x80, 0x04, 0x52, 0x08, 0x10, 0xa0, 0x8d, 0x06, 0x18, 0x80,
	0x80, 0x04, 0x52, 0x09, 0x08, 0x80, 0x80, 0x04, 0x10, 0xe8, 0x07, 0x18, 0x01, 0x30, 0xe8,
	0x07, 0x38, 0x40, 0x18, 0x03, 0x20, 0x92, 0x21, 0x28, 0x95, 0x9a, 0xef, 0x3a,
};
static const uint8_t old_task[] = {
	0x0a, 0x09, 0x6a, 0x6f, 0x62, 0x41, 0x2f, 0x73, 0x75, 0x62, 0x31, 0x12, 0x02, 0x74, 0x37,
	0x1a, 0x02, 0x73, 0x68, 0x1a, 0x02, 0x2d, 0x63, 0x1a, 0x07, 0x65, 0x63, 0x68, 0x6f, 0x20,
	0x68, 0x69, 0x20, 0x89, 0x06, 0x28, 0x63, 0x30, 0x04, 0x38, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0x01, 0x40, 0x09, 0x48, 0x80, 0x80, 0xa8, 0xb1, 0xe3, 0x9f, 0xe7,
	0xcb, 0x17, 0x50, 0x80, 0xca, 0xdd, 0x9f, 0xe5, 0x9f, 0xe7, 0xcb, 0x17, 0x58, 0x02, 0x62,
	0x16, 0x75, 0x6e, 0x64, 0x65, 0x72, 0x3d, 0x6a, 0x6f, 0x62, 0x41, 0x20, 0x70, 0x72, 0x69,
	0x6f, 0x72, 0x69, 0x74, 0x79, 0x3d, 0x2d, 0x31, 0x68, 0x01, 0x70, 0xe8, 0x07,
};

static void test_old_bytes(void **state)
{
	struct lmc_record want, got;
	struct lmc_task tw, tg;
	uint8_t *buf;
	size_t len;
	(void)state;

	pinned_record(&want);
	memset(&got, 0xa5, sizeof(got));
	assert_int_equal(lmc_record_decode(old_record, sizeof(old_record), &got), 0);
	assert_memory_equal(&got, &want, sizeof(want));
	assert_int_equal(lmc_record_encode(&want, &buf, &len), 0);
	assert_int_equal(len, sizeof(old_record));
	assert_memory_equal(buf, old_record, len);
	free(buf);

	pinned_task(&tw);
	assert_int_equal(lmc_record_task_decode(old_task, sizeof(old_task), &tg), 0);
	assert_string_equal(tg.container, tw.container);
	assert_string_equal(tg.id, tw.id);
	for (size_t i = 0; i < ARRAY_SIZE(pinned_argv); i++)
		assert_true(tg.argv[i] == pinned_argv[i] ||
			    strcmp(tg.argv[i], pinned_argv[i]) == 0);
	assert_int_equal(tg.pid, tw.pid);
	assert_true(tg.pid_start == tw.pid_start && tg.oom_kills == tw.oom_kills);
	assert_int_equal(tg.state, tw.state);
	assert_int_equal(tg.exit_code, tw.exit_code);
	assert_int_equal(tg.signal, tw.signal);
	assert_true(tg.started_ns == tw.started_ns && tg.finished_ns == tw.finished_ns);
	assert_string_equal(tg.reason, tw.reason);
	assert_true(tg.log && tg.uid == tw.uid);
	lmc_task_done(&tg);
	assert_int_equal(lmc_record_task_encode(&tw, &buf, &len), 0);
	assert_int_equal(len, sizeof(old_task));
	assert_memory_equal(buf, old_task, len);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record_all_fields),
		cmocka_unit_test(test_record_unset),
		cmocka_unit_test(test_spec_one_field_at_a_time),
		cmocka_unit_test(test_spec_small_fields),
		cmocka_unit_test(test_stats_roundtrip),
		cmocka_unit_test(test_encode_refuses_out_of_bounds),
		cmocka_unit_test(test_decode_refuses_out_of_bounds),
		cmocka_unit_test(test_decode_refuses_duplicate_devices),
		cmocka_unit_test(test_decode_refuses_bad_ns_and_enums),
		cmocka_unit_test(test_decode_truncated),
		cmocka_unit_test(test_decode_bit_flips),
		cmocka_unit_test(test_decode_random),
		cmocka_unit_test(test_old_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
