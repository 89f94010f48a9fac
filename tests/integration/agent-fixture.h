/* cmocka fixtures over the agent harness, shared by the agent test programs: a fresh agent
 * for each test (root only; elsewhere the test is skipped) and a client backend to it. */
#ifndef LMC_TEST_AGENT_FIXTURE_H
#define LMC_TEST_AGENT_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tests/integration/agent-harness.h"
#include "tools/cli/backend.h"

/* One agent for the test. With env, lmctl reaches it (LMCTL_SOCKET) and, with --direct or
 * while it is down, works on the same state (LMCTL_STATE_DIR). */
static inline int h_fixture_start(void **state, bool env)
{
	static struct harness h;

	if (!lmc_test_is_root())
		skip();
	assert_int_equal(h_setup(&h), 0);
	if (env) {
		setenv("LMCTL_SOCKET", h.sock, 1);
		setenv("LMCTL_STATE_DIR", h.state, 1);
	}
	*state = &h;
	return 0;
}

static inline int h_fixture_setup(void **state)
{
	return h_fixture_start(state, false);
}

static inline int h_fixture_setup_env(void **state)
{
	return h_fixture_start(state, true);
}

static inline int h_fixture_teardown(void **state)
{
	h_teardown(*state);
	return 0;
}

/* A client of the test's agent, through the same backend the CLI uses. */
static inline struct lmc_backend *h_open_be(const struct harness *h)
{
	struct lmc_backend *b = NULL;
	struct lmc_err err = {0};

	assert_int_equal(lmc_backend_agent_open(h->sock, &b, &err), 0);
	return b;
}

#endif
