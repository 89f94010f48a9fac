#!/bin/bash
# The agent benchmark (issue 6): bench_lifecycle's raw-syscall floor alone (BENCH_ONLY=0), whose
# row bench_agent prints beside its own figures, then bench_agent (lmctld against the direct
# library path, same run). Called from bench/run.sh with BUILD set; needs root. Knobs:
#   BENCH_AGENT_ITERS (lifecycle iterations per variant, default 300), BENCH_AGENT_TREE
#   (containers in the big tree, default 10000), BENCH_AGENT_SECONDS (per throughput cell, 1.5).
# Whatever happens (failure, Ctrl-C, TERM), the running program and the agent it started are
# stopped, and every scratch cgroup (lmctl-test-bench-<pid>-*) and directory it made is removed,
# processes first.
set -u

BUILD=${BUILD:-build}
ITERS=${BENCH_AGENT_ITERS:-300}
TREE=${BENCH_AGENT_TREE:-10000}
SECONDS_PER_CELL=${BENCH_AGENT_SECONDS:-1.5}
CG=/sys/fs/cgroup
child=
floor=
status=0

# The agent bench_agent started (its pid file), if it is still that agent.
stop_agent() {
	local pid=$1 f apid
	f=/dev/shm/lmctl-test-bench-$pid/agent.pid
	[ -r "$f" ] || return 0
	apid=$(cat "$f")
	[ -n "$apid" ] || return 0
	tr '\0' ' ' <"/proc/$apid/cmdline" 2>/dev/null | grep -q "lmctl-test-bench-$pid/" || return 0
	kill -TERM "$apid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$apid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$apid" 2>/dev/null
}

# Scratch roots of one benchmark process below this shell's own cgroup in each hierarchy; the
# cgroup2 tree first: cgroup.kill empties the whole subtree before anything is removed.
sweep() {
	local pid=$1 ctrls path mnt dir
	stop_agent "$pid"
	while IFS=: read -r _ ctrls path; do
		case $ctrls in
		"") mnt=unified ;;
		name=*) continue ;;
		*) mnt=${ctrls%%,*} ;;
		esac
		[ -d "$CG/$mnt" ] || continue
		for dir in "$CG/$mnt${path%/}/lmctl-test-bench-$pid-"*; do
			[ -d "$dir" ] || continue
			if [ -e "$dir/cgroup.kill" ]; then
				echo 1 >"$dir/cgroup.kill" 2>/dev/null
				for _ in $(seq 200); do
					grep -q 'populated 0' "$dir/cgroup.events" 2>/dev/null && break
					sleep 0.01
				done
			fi
			find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	done < <(sort -t: -k1,1n /proc/self/cgroup)
	rm -rf /dev/shm/lmctl-test-bench-"$pid" /dev/shm/lmctl-test-bench-"$pid"-* \
		/var/tmp/lmctl-test-bench-"$pid"-*
}

stop_child() {
	local _
	[ -n "$child" ] || return 0
	if kill -0 "$child" 2>/dev/null; then
		# bench_agent cleans up through the agent (the big tree takes seconds): wait for it.
		kill -TERM "$child" 2>/dev/null
		for _ in $(seq 600); do
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
	[ -z "$floor" ] || rm -f "$floor"
}
trap on_exit EXIT
trap 'echo "bench: interrupted" >&2; exit 130' INT TERM HUP

# One program in the background, so a signal reaches the trap at once.
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

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: the agent benchmark needs root (real cgroups): skipped"
	exit 0
fi
floor=$(mktemp /tmp/lmctl-bench-floor.XXXXXX) || exit 1
BENCH_ONLY=0 run "$BUILD/bench/bench_lifecycle" "$ITERS" 25 >"$floor"
run "$BUILD/bench/bench_agent" -n "$ITERS" -t "$TREE" -s "$SECONDS_PER_CELL" -f "$floor" \
	-a "$BUILD/lmctld"
exit "$status"
