/* The agent's event journal: every event gets the next number of one agent-wide counter, the
 * last `cap` events stay in a ring for replay, and each is appended to a file under the state
 * directory before it is sent, so a subscriber that comes back (even after the agent was
 * killed and restarted) gets exactly the events it missed, or is told they are gone. */
#ifndef LMC_EVLOG_H
#define LMC_EVLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/events.h"

#define LMC_EVLOG_CAP_DEFAULT 100000
#define LMC_EVLOG_FILE "events.log"

struct lmc_evlog;

/* Open (creating) dir/events.log and load what it holds: the ring gets its last cap events,
 * the counter its highest seq. A torn record at the end (a crash mid-append) is cut off. */
int lmc_evlog_open(const char *dir, size_t cap, struct lmc_evlog **ret, struct lmc_err *err);
void lmc_evlog_free(struct lmc_evlog *l);

/* Number ev (sets seq, and timestamp_ns if 0), keep it and append it to the file. A failed
 * write is returned but the event is kept and numbered all the same. */
int lmc_evlog_append(struct lmc_evlog *l, struct lmc_evrec *ev);

/* The highest seq given so far (0: none) and the lowest one still kept (0: none kept). */
uint64_t lmc_evlog_last(const struct lmc_evlog *l);
uint64_t lmc_evlog_first(const struct lmc_evlog *l);

/* Call fn for each kept event with seq > since, oldest first; stops at fn's first negative
 * return and returns it. */
typedef int (*lmc_evlog_fn)(const struct lmc_evrec *ev, void *userdata);
int lmc_evlog_replay(const struct lmc_evlog *l, uint64_t since, lmc_evlog_fn fn, void *userdata);

#endif
