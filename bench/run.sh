#!/bin/bash
# Runs every benchmark (issues 3, 4, 5) and prints their tables; each table holds its own
# baseline measured in the same run. Called by `make bench` with BUILD set. Knobs:
#   BENCH_ITERS (default 500), BENCH_CLI_ITERS (the slow cg* tool chain, default 100),
#   BENCH_ADMIT_SAMPLES (default 2000).
# Whatever happens (failure, Ctrl-C), the running benchmark is stopped and every scratch
# cgroup (lmctl-test-bench-<pid>-*) and state directory it made is removed, processes first.
set -u

BUILD=${BUILD:-build}
ITERS=${BENCH_ITERS:-500}
CLI_ITERS=${BENCH_CLI_ITERS:-100}
ADMIT_SAMPLES=${BENCH_ADMIT_SAMPLES:-2000}
CG=/sys/fs/cgroup
child=
status=0

# Scratch roots of one benchmark process, below this shell's own cgroup in each hierarchy
# (the benchmark inherits it). The cgroup2 tree first: cgroup.kill empties the whole subtree.
sweep() {
	local pid=$1 line ctrls path mnt dir i
	while IFS=: read -r _ ctrls path; do
		case $ctrls in
		"") mnt=unified ;;
		name=*) continue ;;
		*) mnt=${ctrls%%,*} ;;
		esac
		[ -d "$CG/$mnt" ] || continue
		for dir in "$CG/$mnt${path%/}"/lmctl-test-bench-"$pid"-*; do
			[ -d "$dir" ] || continue
			if [ -e "$dir/cgroup.kill" ]; then
				echo 1 >"$dir/cgroup.kill" 2>/dev/null
				for i in $(seq 200); do
					grep -q 'populated 0' "$dir/cgroup.events" 2>/dev/null && break
					sleep 0.01
				done
			fi
			find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	done < <(sort -t: -k1,1n /proc/self/cgroup)
	rm -rf /dev/shm/lmctl-test-bench-"$pid"-* /var/tmp/lmctl-test-bench-"$pid"-*
}

stop_child() {
	local i
	[ -n "$child" ] || return 0
	if kill -0 "$child" 2>/dev/null; then
		kill -TERM "$child" 2>/dev/null
		for i in $(seq 300); do
			kill -0 "$child" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$child" 2>/dev/null
		wait "$child" 2>/dev/null
	fi
	sweep "$child"
	child=
}

on_exit() {
	stop_child
}
trap on_exit EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM HUP

# Run one benchmark in the background so a signal reaches the trap at once.
run() {
	local rc
	"$@" &
	child=$!
	wait "$child"
	rc=$?
	sweep "$child"
	child=
	if [ "$rc" -ne 0 ]; then
		echo "bench: $(basename "$1") failed (exit $rc)" >&2
		status=1
	fi
}

echo "lmctl benchmarks: $(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
run "$BUILD/bench/bench_admit" "$ADMIT_SAMPLES"
if [ "$(id -u)" -ne 0 ]; then
	echo "bench: lifecycle and spawn need root (real cgroups): skipped"
	exit "$status"
fi
run "$BUILD/bench/bench_lifecycle" "$ITERS" "$CLI_ITERS"
run "$BUILD/bench/bench_spawn" "$ITERS"
run bench/run-agent.sh
exit "$status"
