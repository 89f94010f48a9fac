#!/bin/bash
# Benchmark of the event journal (issue 13): the agent's restart to serving with N containers
# and a full journal, beside the same with nothing (the same run's baseline), and the replay of
# E events to a reconnecting subscriber (bench/events.py; the journal is seeded with E events
# by bench_evlog, as the agent writes them), and a task's start to its EXIT event beside the
# kernel's floor for it (bench_exit_floor, in a leaf of its own). Usage: bench/events.sh BUILD [N=1000]
# [E=100000] [REPS=5]. Needs root and /usr/bin/python3 with python3-protobuf. Everything lives
# in lmctl-test-bench-<pid>-events below this shell's own cgroup and
# /dev/shm/lmctl-test-bench-<pid>/, removed at the end whatever happens.
set -u
BUILD=$1 N=${2:-1000} E=${3:-100000} REPS=${4:-5}
CG=/sys/fs/cgroup
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_agent_env events

if [ "$(id -u)" -ne 0 ] || ! /usr/bin/python3 -c 'import google.protobuf' 2>/dev/null; then
	echo "bench_events: needs root and python3-protobuf: skipped"
	exit 0
fi
mkdir -p "$dir" || exit 1
src=$(cd "$(dirname "$0")/.." && pwd)
# the kernel's floor for a task's start to its exit, in a leaf of its own (swept with ours)
export LMCTL_BENCH_FLOOR=$BUILD/bench/bench_exit_floor
export LMCTL_BENCH_FLOOR_ROOT=lmctl-test-bench-$$-exitfloor
export LMCTL_BENCH_EXIT_AGENT=$BUILD/bench/bench_exit_agent
PYTHONPATH=$src/python LMCTL_PY_CACHE=$dir/py /usr/bin/python3 "$src/bench/events.py" \
	"$BUILD/lmctld" "$dir/lmctld.sock" "$dir/state" "$dir/empty" "$N" "$E" "$REPS" \
	"$dir/agent.pid" "$BUILD/bench/bench_evlog" "$dir/state" "$E"
