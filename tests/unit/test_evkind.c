/* Event kinds are one enum from the kernel source up to the wire: every kind core has goes
 * over the wire and comes back as itself, and every kind the wire (lmctl.proto's EventKind)
 * names is one core has. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/events.h"
#include "proto/api.h"
#include "proto/lmctl.pb-c.h"

/* What the client decodes from a Response carrying an Event of wire kind w. */
static int decode_kind(int w, struct lmc_api_resp *ret)
{
	Lmctl__Response resp = LMCTL__RESPONSE__INIT;
	Lmctl__Event ev = LMCTL__EVENT__INIT;
	uint8_t buf[256];
	size_t len;

	ev.container = "a/b";
	ev.kind = (Lmctl__EventKind)w;
	resp.id = 7;
	resp.payload_case = LMCTL__RESPONSE__PAYLOAD_EVENT;
	resp.event = &ev;
	len = lmctl__response__get_packed_size(&resp);
	assert_true(len <= sizeof(buf));
	lmctl__response__pack(&resp, buf);
	return lmc_api_resp_decode(buf, len, ret);
}

static void test_every_kind_round_trips(void **state)
{
	(void)state;
	for (int k = LMC_EVK_OOM; k <= LMC_EVK_MAX; k++) {
		struct lmc_evrec ev = {.kind = (enum lmc_events_kind)k, .seq = 3, .value = 9};
		struct lmc_api_resp resp;
		uint8_t *buf = NULL;
		size_t len = 0;

		snprintf(ev.name, sizeof(ev.name), "job/x");
		assert_int_equal(lmc_api_reply_event(5, &ev, &buf, &len), 0);
		assert_int_equal(lmc_api_resp_decode(buf, len, &resp), 0);
		assert_int_equal(resp.payload, LMC_API_PAY_EVENT);
		assert_int_equal(resp.event.kind, k);
		assert_string_equal(resp.event.name, "job/x");
		lmc_api_resp_done(&resp);
		free(buf);
	}
}

static void test_every_wire_kind_is_a_core_kind(void **state)
{
	const ProtobufCEnumDescriptor *d = &lmctl__event_kind__descriptor;

	(void)state;
	for (unsigned i = 0; i < d->n_values; i++) {
		struct lmc_api_resp resp;
		int w = d->values[i].value;

		if (w == LMCTL__EVENT_KIND__EVENT_UNSPECIFIED)
			continue;
		if (decode_kind(w, &resp) != 0)
			fail_msg("EventKind %s (%d) has no kind in core/events.h",
				 d->values[i].name, w);
		assert_int_equal(resp.event.kind, w);
		lmc_api_resp_done(&resp);
	}
	assert_int_equal(d->n_values, LMC_EVK_MAX + 1); /* and UNSPECIFIED */
}

static void test_unknown_wire_kind_refused(void **state)
{
	struct lmc_api_resp resp;

	(void)state;
	assert_int_not_equal(decode_kind(LMC_EVK_MAX + 1, &resp), 0);
	assert_int_not_equal(decode_kind(0, &resp), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_kind_round_trips),
		cmocka_unit_test(test_every_wire_kind_is_a_core_kind),
		cmocka_unit_test(test_unknown_wire_kind_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
