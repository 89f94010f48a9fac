#!/bin/bash
# What bench/run.sh and bench/run-agent.sh share: run one benchmark program in the background
# (so a signal reaches the caller's trap at once), and clean up after it whatever happened:
# its agent (if it started one), then every scratch cgroup it made (lmctl-test-bench-<pid>-*
# below this shell's own cgroup in each hierarchy; the cgroup2 tree first, where cgroup.kill
# empties a whole subtree), then its state directories.
# The caller sets CG (the cgroup mount root) and uses $child and $status.

child=
status=0
# How long stop_child waits for a benchmark to clean up itself, in tenths of a second.
BENCH_STOP_WAIT=${BENCH_STOP_WAIT:-300}

# The agent a benchmark started (its pid file), if it is still that agent.
bench_stop_agent() {
	local pid=$1 f apid
	f=/dev/shm/lmctl-test-bench-$pid/agent.pid
	[ -r "$f" ] || return 0
	apid=$(cat "$f")
	[ -n "$apid" ] || return 0
	tr '\0' ' ' 2>/dev/null <"/proc/$apid/cmdline" | grep -q "lmctl-test-bench-$pid/" || return 0
	kill -TERM "$apid" 2>/dev/null
	for _ in $(seq 100); do
		kill -0 "$apid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$apid" 2>/dev/null
}

# Kill what runs below one scratch root and remove it, deepest first.
bench_sweep_dir() {
	local dir=$1
	[ -d "$dir" ] || return 0
	if [ -e "$dir/cgroup.kill" ]; then
		echo 1 >"$dir/cgroup.kill" 2>/dev/null
		for _ in $(seq 200); do
			grep -q 'populated 0' "$dir/cgroup.events" 2>/dev/null && break
			sleep 0.01
		done
	fi
	find "$dir" -depth -type d -exec rmdir {} + 2>/dev/null
}

bench_sweep() {
	local pid=$1 ctrls path mnt dir
	bench_stop_agent "$pid"
	# A pipe, not <(...): the v2 VM's /dev has no /dev/fd.
	sort -t: -k1,1n /proc/self/cgroup | while IFS=: read -r _ ctrls path; do
		case $ctrls in
		"")
			# hybrid: cgroup2 at unified/; pure v2: the mount itself
			mnt=unified
			[ -e "$CG/cgroup.subtree_control" ] && mnt=
			;;
		name=*) continue ;;
		*) mnt=${ctrls%%,*} ;;
		esac
		[ -d "$CG/$mnt" ] || continue
		for dir in "$CG${mnt:+/$mnt}${path%/}/lmctl-test-bench-$pid-"*; do
			bench_sweep_dir "$dir"
		done
	done
	# On v2 the scratch roots go to the top of the tree (bench.h: bench_base_cgroup).
	if [ -e "$CG/cgroup.subtree_control" ]; then
		for dir in "$CG/lmctl-test-bench-$pid-"*; do
			bench_sweep_dir "$dir"
		done
	fi
	rm -rf /dev/shm/lmctl-test-bench-"$pid" /dev/shm/lmctl-test-bench-"$pid"-* \
		/var/tmp/lmctl-test-bench-"$pid"-*
}

bench_stop_child() {
	[ -n "$child" ] || return 0
	if kill -0 "$child" 2>/dev/null; then
		kill -TERM "$child" 2>/dev/null
		for _ in $(seq "$BENCH_STOP_WAIT"); do
			kill -0 "$child" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$child" 2>/dev/null
		wait "$child" 2>/dev/null
	fi
	bench_sweep "$child"
	child=
}

bench_run() {
	local rc
	"$@" &
	child=$!
	wait "$child"
	rc=$?
	bench_sweep "$child"
	child=
	if [ "$rc" -ne 0 ]; then
		echo "bench: $(basename "$1") failed (exit $rc)" >&2
		status=1
	fi
}

# The start of a benchmark through a real agent (bench/metrics.sh, bench/evict.sh,
# bench/events.sh). bench_agent_env NAME: its directory ($dir, /dev/shm/lmctl-test-bench-<pid>),
# the agent's socket and state directory there, lmctl's root lmctl-test-bench-<pid>-NAME below
# this shell's cgroup (at the top of the tree on v2, where this shell's cgroup holds
# processes), and the sweep at exit, whatever happens.
bench_agent_env() {
	dir=/dev/shm/lmctl-test-bench-$$
	export LMCTL_SOCKET=$dir/lmctld.sock LMCTL_STATE_DIR=$dir/state
	export LMCTL_CGROUP_ROOT=lmctl-test-bench-$$-$1
	[ -e "$CG/cgroup.subtree_control" ] && [ "$(cat /proc/self/cgroup)" != "0::/" ] &&
		LMCTL_CGROUP_ROOT=/lmctl-test-bench-$$-$1
	trap 'bench_sweep $$' EXIT
	trap 'exit 130' INT TERM HUP
}

# bench_need_root WHO [WHY]: skip (exit 0, saying so) unless root; then make $dir.
bench_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "$1: needs root${2:+ ($2)}: skipped"
		exit 0
	fi
	mkdir -p "$dir" || exit 1
}

# bench_agent_start LMCTLD LMCTL [OPTION...]: start the agent with the options, its log in
# $dir/agent.log, its pid in $apid and $dir/agent.pid (for the sweep), and wait up to 10 s
# until it answers a list.
bench_agent_start() {
	local lmd=$1 lm=$2
	shift 2
	"$lmd" --socket "$LMCTL_SOCKET" --state-dir "$LMCTL_STATE_DIR" "$@" 2>"$dir/agent.log" &
	apid=$!
	echo "$apid" >"$dir/agent.pid"
	for _ in $(seq 100); do
		"$lm" list >/dev/null 2>&1 && break
		sleep 0.1
	done
}
