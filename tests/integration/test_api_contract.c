/* What a client program relies on, through the real agent (issue 13): structured errors (code,
 * facts, API field names in messages; the CLI's flag names and exit codes), a retried create
 * that succeeds and a conflicting one with its own code, unknown fields refused at any depth,
 * duplicate request ids refused, the capabilities reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "proto/api.h"
#include "proto/frame.h"
#include "tests/integration/agent-fixture.h"
#include "tests/lib/lmctl-run.h"

#define MiB (1024ULL * 1024)

/* Send raw bytes as one frame and read the Response. */
static void raw(int fd, const uint8_t *buf, size_t len, struct lmc_api_resp *resp)
{
	uint8_t *in;
	size_t inlen, nfds = 0;

	assert_int_equal(lmc_frame_send(fd, buf, len, NULL, 0), 0);
	assert_int_equal(lmc_frame_recv(fd, &in, &inlen, NULL, &nfds, 10000), 0);
	assert_int_equal(lmc_api_resp_decode(in, inlen, resp), 0);
	free(in);
}

static void req(int fd, struct lmc_api_req *rq, struct lmc_api_resp *resp)
{
	uint8_t *buf;
	size_t len;

	assert_int_equal(lmc_api_req_encode(rq, &buf, &len), 0);
	raw(fd, buf, len, resp);
	free(buf);
}

static int create(int fd, const char *name, uint64_t mem, uint64_t resv, struct lmc_api_resp *resp)
{
	struct lmc_spec s;
	struct lmc_api_req rq = {.op = LMC_API_OP_CREATE, .id = 1, .name = name, .spec = &s};

	lmc_spec_init(&s);
	s.memory.limit = mem;
	s.memory.reservation = resv;
	req(fd, &rq, resp);
	return resp->status;
}

static bool exists(int fd, const char *name)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_SPEC, .id = 9, .name = name};
	struct lmc_api_resp resp;
	bool ok;

	req(fd, &rq, &resp);
	ok = resp.status == 0;
	lmc_api_resp_done(&resp);
	return ok;
}

static void test_error_codes(void **state)
{
	struct harness *h = *state;
	struct lmc_api_resp r;
	char out[2048], err[2048];
	int fd = h_connect(h);

	assert_true(fd >= 0);
	assert_int_equal(create(fd, "p", 1024 * MiB, LMC_UNSET, &r), 0);
	/* A child over its parent: EXCEEDS_PARENT with the facts. */
	assert_int_equal(create(fd, "p/c", 2048 * MiB, LMC_UNSET, &r), -ERANGE);
	assert_int_equal(r.err.kind, LMC_EC_EXCEEDS_PARENT);
	assert_true(r.err.has_detail);
	assert_string_equal(r.err.d.container, "p/c");
	assert_string_equal(r.err.d.resource, "memory.limit");
	assert_int_equal(r.err.d.asked, 2048 * MiB);
	assert_int_equal(r.err.d.bound, 1024 * MiB);
	assert_string_equal(r.err.d.bounded_by, "p");
	/* Reservations over the parent: their own code, the bound what is left. */
	assert_int_equal(create(fd, "p/r1", LMC_UNSET, 600 * MiB, &r), 0);
	assert_int_equal(create(fd, "p/r2", LMC_UNSET, 600 * MiB, &r), -ERANGE);
	assert_int_equal(r.err.kind, LMC_EC_RESERVATION_OVERCOMMIT);
	assert_string_equal(r.err.d.resource, "memory.reservation");
	assert_int_equal(r.err.d.bound, 424 * MiB);
	assert_string_equal(r.err.d.bounded_by, "p");
	/* Validation names API fields, never flags. */
	assert_int_equal(create(fd, "p/v", 100 * MiB, 200 * MiB, &r), -EINVAL);
	assert_int_equal(r.err.kind, LMC_EC_INVALID_ARGUMENT);
	assert_non_null(strstr(r.msg, "memory.reservation 200M exceeds memory.limit 100M"));
	assert_null(strstr(r.msg, "--"));
	/* Not found. */
	assert_false(exists(fd, "nosuch"));
	close(fd);

	/* The CLI says its flags, and its exit status tells the refusals apart. */
	assert_int_equal(lmc_test_lmctl(out, sizeof(out), err, sizeof(err), "create", "p/v",
					"--memory=100M", "--memory-reservation=200M", NULL),
			 1);
	assert_non_null(strstr(err, "--memory-reservation 200M exceeds --memory 100M"));
	assert_int_equal(lmc_test_lmctl(out, sizeof(out), err, sizeof(err), "create", "p/c",
					"--memory=2G", NULL),
			 5);
	assert_int_equal(lmc_test_lmctl(out, sizeof(out), err, sizeof(err), "spec", "nosuch", NULL),
			 3);
	assert_int_equal(lmc_test_lmctl(out, sizeof(out), err, sizeof(err), "create", "p/r1",
					"--memory=64M", NULL),
			 4);
}

static void test_create_retry(void **state)
{
	struct harness *h = *state;
	struct lmc_api_req rq = {.op = LMC_API_OP_SPEC, .id = 3, .name = "x"};
	struct lmc_api_resp r;
	int fd = h_connect(h);

	assert_true(fd >= 0);
	assert_int_equal(create(fd, "x", 64 * MiB, LMC_UNSET, &r), 0);
	assert_false(r.existed);
	/* The same create again: success, and it says so. */
	assert_int_equal(create(fd, "x", 64 * MiB, LMC_UNSET, &r), 0);
	assert_int_equal(r.payload, LMC_API_PAY_CREATE);
	assert_true(r.existed);
	/* Another spec: ALREADY_EXISTS, nothing changed. */
	assert_int_equal(create(fd, "x", 128 * MiB, LMC_UNSET, &r), -EEXIST);
	assert_int_equal(r.err.kind, LMC_EC_ALREADY_EXISTS);
	req(fd, &rq, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.spec.memory.limit, 64 * MiB);
	close(fd);
}

/* protobuf varint */
static size_t varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	do {
		p[n] = (uint8_t)(v & 0x7f) | (v > 0x7f ? 0x80 : 0);
		v >>= 7;
		n++;
	} while (v);
	return n;
}

/* Request{id, create{name, spec{memory{limit, <field 99>}}}}, the unknown field at a depth. */
static size_t create_raw(uint8_t *out, const char *name, int depth, uint64_t limit)
{
	uint8_t mem[32], spec[48], cr[96];
	size_t m = 0, s = 0, c = 0, o = 0, nl = strlen(name);

	mem[m++] = 0x08;
	m += varint(mem + m, limit);
	if (depth == 3)
		m += varint(mem + m, 99 << 3), mem[m++] = 1;
	spec[s++] = 0x12, spec[s++] = (uint8_t)m;
	memcpy(spec + s, mem, m), s += m;
	if (depth == 2)
		s += varint(spec + s, 99 << 3), spec[s++] = 1;
	cr[c++] = 0x0a, cr[c++] = (uint8_t)nl;
	memcpy(cr + c, name, nl), c += nl;
	cr[c++] = 0x12, cr[c++] = (uint8_t)s;
	memcpy(cr + c, spec, s), c += s;
	out[o++] = 0x08, out[o++] = 0x2a; /* id 42 */
	out[o++] = 0x52, out[o++] = (uint8_t)c;
	memcpy(out + o, cr, c), o += c;
	if (depth == 0)
		o += varint(out + o, 99 << 3), out[o++] = 1;
	return o;
}

static void test_unknown_fields(void **state)
{
	struct harness *h = *state;
	struct lmc_api_resp r;
	uint8_t buf[256];
	char name[16];
	int fd = h_connect(h);

	assert_true(fd >= 0);
	for (int depth = 0; depth <= 3; depth++) {
		size_t len;

		if (depth == 1)
			continue;
		snprintf(name, sizeof(name), "u%d", depth);
		len = create_raw(buf, name, depth, 64 * MiB);
		raw(fd, buf, len, &r);
		assert_int_equal(r.id, 42);
		assert_int_equal(r.status, -EINVAL);
		assert_int_equal(r.err.kind, LMC_EC_INVALID_ARGUMENT);
		assert_non_null(strstr(r.msg, "field 99"));
		lmc_api_resp_done(&r);
		assert_false(exists(fd, name)); /* nothing was done */
	}
	/* The same bytes without the unknown field are a good create. */
	raw(fd, buf, create_raw(buf, "u9", 9, 64 * MiB), &r);
	assert_int_equal(r.status, 0);
	assert_true(exists(fd, "u9"));
	close(fd);
}

static int update(int fd, const char *name, const struct lmc_spec *s, bool force,
		  struct lmc_api_resp *resp)
{
	struct lmc_api_req rq = {
		.op = LMC_API_OP_UPDATE, .id = 2, .name = name, .spec = s, .force = force};

	req(fd, &rq, resp);
	return resp->status;
}

static void spec_of(int fd, const char *name, struct lmc_spec *ret)
{
	struct lmc_api_req rq = {.op = LMC_API_OP_SPEC, .id = 3, .name = name};
	struct lmc_api_resp r;

	req(fd, &rq, &r);
	assert_int_equal(r.status, 0);
	*ret = r.spec;
	lmc_api_resp_done(&r);
}

/* Clearing is explicit (UpdateRequest.clear); a value no kernel file holds is refused. */
static void test_update_clear(void **state)
{
	struct harness *h = *state;
	struct lmc_api_resp r;
	struct lmc_spec s;
	uint8_t buf[256];
	int fd = h_connect(h);

	assert_true(fd >= 0);
	assert_int_equal(create(fd, "uc", 64 * MiB, LMC_UNSET, &r), 0);
	lmc_spec_init(&s);
	s.memory.limit = LMC_CLEAR; /* the encoder sends it as clear: ["memory.limit"] */
	s.pids.limit = 100;
	assert_int_equal(update(fd, "uc", &s, false, &r), 0);
	spec_of(fd, "uc", &s);
	assert_true(s.memory.limit == LMC_UNSET);
	assert_int_equal(s.pids.limit, 100);
	/* 2^64-1 and 2^64-2 are lmctl's own markers: refused, never taken as "no limit". */
	for (uint64_t v = UINT64_MAX - 1; v != 0; v++) {
		raw(fd, buf, create_raw(buf, "big", 9, v), &r);
		assert_int_equal(r.status, -EINVAL);
		assert_int_equal(r.err.kind, LMC_EC_INVALID_ARGUMENT);
		assert_non_null(strstr(r.msg, "cannot be represented"));
		assert_string_equal(r.err.d.resource, "memory.limit");
		assert_false(exists(fd, "big"));
	}
	close(fd);
}

static bool holds_32m(void *ud)
{
	struct harness *h = ud;
	uint64_t v = 0;

	return lmc_cgfs_read_u64(h->cg, LMC_CTRL_MEMORY, "aon", "memory.usage_in_bytes", &v) >= 0 &&
	       v >= 30 * MiB;
}

/* An update is applied whole or not at all: on v1 a memory limit under what cannot be
 * reclaimed (no swap) fails in the kernel after the cpu limit was written; the cpu limit is
 * put back and the spec is the old one. */
static void test_update_all_or_nothing(void **state)
{
	struct harness *h = *state;
	struct lmc_api_resp r;
	struct lmc_spec s;
	char out[64], err[512], quota[32] = "";
	int fd = h_connect(h);

	if (lmc_cgfs_mode(h->cg) == LMC_CG_V2 || !lmc_cgfs_has(h->cg, LMC_CTRL_CPU))
		skip(); /* v2 OOM-kills instead of refusing the limit */
	assert_true(fd >= 0);
	assert_int_equal(create(fd, "aon", 256 * MiB, LMC_UNSET, &r), 0);
	assert_int_equal(lmc_test_lmctl(out, sizeof(out), err, sizeof(err), "run", "-d", "aon",
					"--", "/bin/sh", "-c",
					"x=$(head -c 33554432 /dev/zero | tr '\\0' a); sleep 120",
					NULL),
			 0);
	/* 20 s on a host; an emulated VM (LMCTL_V2_VM) under a loaded host took longer */
	assert_int_equal(lmc_test_wait_until(holds_32m, h, getenv("LMCTL_V2_VM") ? 120000 : 20000),
			 0);
	lmc_spec_init(&s);
	s.cpu.limit_m = 500;
	s.memory.limit = 8 * MiB;
	if (update(fd, "aon", &s, true, &r) == 0)
		skip(); /* the kernel reclaimed it after all (swap): nothing to roll back */
	assert_int_equal(r.status, -EBUSY);
	spec_of(fd, "aon", &s);
	assert_true(s.cpu.limit_m == LMC_UNSET);
	assert_int_equal(s.memory.limit, 256 * MiB);
	assert_true(lmc_cgfs_read(h->cg, LMC_CTRL_CPU, "aon", "cpu.cfs_quota_us", quota,
				  sizeof(quota)) >= 0);
	assert_int_equal(atoll(quota), -1);
	assert_int_equal(lmc_test_lmctl(out, sizeof(out), err, sizeof(err), "destroy", "-r", "aon",
					NULL),
			 0);
	close(fd);
}

static void test_duplicate_id(void **state)
{
	struct harness *h = *state;
	struct lmc_api_req sub = {.op = LMC_API_OP_SUBSCRIBE, .id = 5, .name = ""};
	struct lmc_api_req list = {.op = LMC_API_OP_LIST, .id = 5, .name = ""};
	struct lmc_api_resp r;
	int fd = h_connect(h);

	assert_true(fd >= 0);
	sub.sub = (struct lmc_api_sub){.lifecycle = true, .threshold = LMC_UNSET};
	req(fd, &sub, &r);
	assert_int_equal(r.status, 0);
	req(fd, &list, &r); /* id 5 is the live subscription's */
	assert_int_equal(r.id, 5);
	assert_int_equal(r.status, -EBUSY);
	assert_int_equal(r.err.kind, LMC_EC_BUSY);
	list.id = 6;
	req(fd, &list, &r);
	assert_int_equal(r.status, 0);
	lmc_api_resp_done(&r);
	close(fd);
}

static void test_capabilities(void **state)
{
	struct harness *h = *state;
	struct lmc_api_req rq = {.op = LMC_API_OP_CAPABILITIES, .id = 8};
	struct lmc_api_resp r;
	int fd = h_connect(h);

	assert_true(fd >= 0);
	assert_int_equal(create(fd, "cap", 64 * MiB, LMC_UNSET, &r), 0);
	req(fd, &rq, &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.payload, LMC_API_PAY_CAPABILITIES);
	assert_int_equal(r.caps.api_version, LMC_API_VERSION);
	assert_string_equal(r.caps.agent_version, LMC_API_VERSION_STRING);
	assert_non_null(strstr(r.caps.features, "events.replay"));
	assert_non_null(strstr(r.caps.features, "request.unknown_fields_refused"));
	assert_non_null(strstr(r.caps.controllers, "memory"));
	assert_int_equal(r.caps.event_history, 100000);
	assert_true(r.caps.event_seq >= 1); /* the create was an event */
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_error_codes, h_fixture_setup_env,
						h_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_create_retry, h_fixture_setup_env,
						h_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_unknown_fields, h_fixture_setup_env,
						h_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_id, h_fixture_setup_env,
						h_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_update_clear, h_fixture_setup_env,
						h_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_update_all_or_nothing, h_fixture_setup_env,
						h_fixture_teardown),
		cmocka_unit_test_setup_teardown(test_capabilities, h_fixture_setup_env,
						h_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
