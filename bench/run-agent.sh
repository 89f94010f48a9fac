#!/bin/bash
# The agent benchmarks (issues 6, 11, 13, 14, 15): bench_lifecycle's raw-syscall floor alone (BENCH_ONLY=0),
# whose row bench_agent prints beside its own figures, then bench_agent (lmctld against the
# direct library path, same run), then bench_dos (root's list p99 while a non-root uid attacks
# the agent). Called from bench/run.sh with BUILD set; needs root. Knobs:
#   BENCH_AGENT_ITERS (lifecycle iterations per variant, default 300), BENCH_AGENT_TREE
#   (containers in the big tree, default 10000), BENCH_AGENT_SECONDS (per throughput cell, 1.5),
#   BENCH_DOS_LISTS (root's lists per attack in bench_dos, issue 11, default 500); a fifth of
#   BENCH_EVICT_N and BENCH_EVICT_REPS (bench/evict.sh, issue 14: watched containers for the
#   agent's CPU at rest, default 1000; evictions timed, default 20); BENCH_METRICS_N
#   (containers scraped by bench/metrics.sh, issue 15, default 1000); BENCH_EVENTS_N and
#   BENCH_EVENTS_E (bench/events.sh, issue 13: containers beside 10,000 task records at the
#   agent's restart, default 1000; events replayed, default 100000); a fifth of
#   the iterations and lists and a twentieth of the tree in the emulated v2 VM (LMCTL_V2_VM=1:
#   its console must not stay silent for minutes while the tree is built).
# Whatever happens (failure, Ctrl-C, TERM), the running program and the agent it started are
# stopped, and every scratch cgroup (lmctl-test-bench-<pid>-*) and directory it made is removed,
# processes first.
set -u

BUILD=${BUILD:-build}
scale=1 tree_scale=1
[ "${LMCTL_V2_VM:-0}" = 1 ] && scale=5 tree_scale=20
ITERS=${BENCH_AGENT_ITERS:-$((300 / scale))}
TREE=${BENCH_AGENT_TREE:-$((10000 / tree_scale))}
SECONDS_PER_CELL=${BENCH_AGENT_SECONDS:-1.5}
DOS_LISTS=${BENCH_DOS_LISTS:-$((500 / scale))}
EVICT_N=${BENCH_EVICT_N:-$((1000 / tree_scale))}
EVICT_REPS=${BENCH_EVICT_REPS:-$((20 / scale))}
METRICS_N=${BENCH_METRICS_N:-$((1000 / tree_scale))}
EVENTS_N=${BENCH_EVENTS_N:-$((1000 / tree_scale))}
EVENTS_E=${BENCH_EVENTS_E:-$((100000 / scale))}
CG=/sys/fs/cgroup
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
# bench_agent cleans up through the agent (its big tree takes seconds): wait longer.
BENCH_STOP_WAIT=600
floor=

on_exit() {
	bench_stop_child
	[ -z "$floor" ] || rm -f "$floor"
}
trap on_exit EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM HUP

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: the agent benchmark needs root (real cgroups): skipped"
	exit 0
fi
floor=$(mktemp /tmp/lmctl-bench-floor.XXXXXX) || exit 1
BENCH_ONLY=0 bench_run "$BUILD/bench/bench_lifecycle" "$ITERS" 25 >"$floor"
bench_run "$BUILD/bench/bench_agent" -n "$ITERS" -t "$TREE" -s "$SECONDS_PER_CELL" -f "$floor" \
	-a "$BUILD/lmctld"
bench_run "$BUILD/bench/bench_dos" -n "$DOS_LISTS" -a "$BUILD/lmctld"
bench_run bench/evict.sh "$BUILD/lmctl" "$BUILD/lmctld" "$EVICT_N" "$EVICT_REPS" 30
bench_run bench/metrics.sh "$BUILD/lmctl" "$BUILD/lmctld" "$METRICS_N" 20
bench_run bench/events.sh "$BUILD" "$EVENTS_N" "$EVENTS_E" 5
exit "$status"
