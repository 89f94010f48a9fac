#!/bin/bash
# Runs every benchmark (issues 3, 4, 5, 6, 13, 16) and prints their tables, then one summary line
# per target of issue 16 (the figure, the target, met or not); each table holds its own
# baseline measured in the same run. Called by `make bench` with BUILD set. Knobs:
#   BENCH_ITERS (default 500), BENCH_CLI_ITERS (the slow cg* tool chain, default 100),
#   BENCH_ADMIT_SAMPLES (default 2000). In the emulated v2 VM (LMCTL_V2_VM=1, make bench-v2)
#   the defaults are a fifth of these: compare its ratios, not its times.
# Whatever happens (failure, Ctrl-C), the running benchmark is stopped and every scratch
# cgroup (lmctl-test-bench-<pid>-*) and state directory it made is removed, processes first.
set -u

BUILD=${BUILD:-build}
scale=1
[ "${LMCTL_V2_VM:-0}" = 1 ] && scale=5
ITERS=${BENCH_ITERS:-$((500 / scale))}
CLI_ITERS=${BENCH_CLI_ITERS:-$((100 / scale))}
ADMIT_SAMPLES=${BENCH_ADMIT_SAMPLES:-$((2000 / scale))}
CG=/sys/fs/cgroup
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"

BENCH_TARGETS=$(mktemp /tmp/lmctl-bench-targets.XXXXXX) || exit 1
export BENCH_TARGETS
on_exit() {
	bench_stop_child
	rm -f "$BENCH_TARGETS"
}
trap on_exit EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM HUP

# The lifecycle benchmark also times the same work through the lmctl command line, without
# an agent and with one (an lmctld of its own) running.
export LMCTL_BIN=${LMCTL_BIN:-$BUILD/lmctl}
export LMCTLD_BIN=${LMCTLD_BIN:-$BUILD/lmctld}
mode="cgroup v2"
[ -d "$CG/unified" ] && mode=hybrid
echo "lmctl benchmarks: $(nproc) CPUs, kernel $(uname -r), $mode, load average $(cut -d' ' -f1-3 /proc/loadavg)"
bench_run "$BUILD/bench/bench_admit" "$ADMIT_SAMPLES"
if [ "$(id -u)" -ne 0 ]; then
	echo "bench: lifecycle and spawn need root (real cgroups): skipped"
	exit "$status"
fi
bench_run "$BUILD/bench/bench_lifecycle" "$ITERS" "$CLI_ITERS"
bench_run "$BUILD/bench/bench_spawn" "$ITERS"
bench_run "$BUILD/bench/bench_vclone" "$ITERS"
bench_run bench/run-agent.sh
bench_run bench/direct-run.sh "$BUILD" $((1000 / scale)) 20
echo
echo "Summary (issue 16 targets; load average $(cut -d' ' -f1-3 /proc/loadavg)):"
sed 's/^target: /  /' "$BENCH_TARGETS"
exit "$status"
