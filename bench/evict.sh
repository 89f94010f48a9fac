#!/bin/bash
# Benchmark of priority eviction (issue 14), through a real lmctld of this build:
#   1. detection-to-kill: under a parent with --memory=512M, a batch container (priority 10)
#      where `tail -c 1G` buffers its input (growing at pipe speed) is evicted REPS times; the agent's own clock from the
#      kernel's signal to the victim's cgroup empty (its log line), median and p99;
#   2. the agent's CPU at rest watching N containers (N parents with --memory=1G, each with
#      one child: a watch is a limit with children) and the machine (MemAvailable, sampled),
#      over SECONDS, from /proc/<pid>/stat, and its wake-ups (voluntary context switches); the
#      PSI monitor threads the kernel runs for the triggers are counted and printed.
# Usage: bench/evict.sh LMCTL LMCTLD [N=1000] [REPS=20] [SECONDS=30]. Needs root. Everything
# lives in lmctl-test-bench-<pid>-evict below this shell's own cgroup (or at the top on v2)
# and /dev/shm/lmctl-test-bench-<pid>/, removed at the end whatever happens.
set -u
LM=$1 LMD=$2 N=${3:-1000} REPS=${4:-20} SECS=${5:-30}
CG=/sys/fs/cgroup
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_agent_env evict

bench_need_root bench_evict
bench_agent_start "$LMD" "$LM"

# ---- 1. detection to kill ----
"$LM" create lat --memory=512M >/dev/null || exit 1
"$LM" create lat/batch --priority=10 >/dev/null || exit 1
for r in $(seq "$REPS"); do
	before=$(grep -c 'evicted lat/batch' "$dir/agent.log")
	"$LM" run -d lat/batch -- sh -c 'head -c 2G /dev/zero | tail -c 1G' >/dev/null
	for _ in $(seq 300); do
		[ "$(grep -c 'evicted lat/batch' "$dir/agent.log")" -gt "$before" ] && break
		sleep 0.1
	done
done
grep -o 'dead [0-9.]* ms after' "$dir/agent.log" | awk '{print $2}' | sort -n >"$dir/lat"
n=$(wc -l <"$dir/lat")
if [ "$n" -gt 0 ]; then
	med=$(sed -n "$(((n + 1) / 2))p" "$dir/lat")
	p99=$(sed -n "$(((99 * n + 99) / 100))p" "$dir/lat")
	printf 'eviction, signal to victim cgroup empty (%d/%d evicted): median %s ms, p99 %s ms (load %s on %s cpus)\n' \
		"$n" "$REPS" "$med" "$p99" "$(cut -d' ' -f1 /proc/loadavg)" "$(nproc)"
else
	echo "eviction: none of $REPS runs was evicted"
fi

# ---- 2. CPU at rest, N watched containers ----
t0=$(date +%s)
for i in $(seq "$N"); do
	"$LM" create "w$i" --memory=1G >/dev/null && "$LM" create "w$i/c" >/dev/null || break
done
made=$("$LM" list | wc -l)
echo "created $N watched parents with a child each in $(($(date +%s) - t0)) s ($made top-level containers listed)"
psimon=$(ps -e -o comm= | grep -c '^psimon')
# What the agent watches through: eventfds (v1 thresholds, OOM), inotify (v2), PSI triggers.
fds=$(ls -l "/proc/$apid/fd" 2>/dev/null)
echo "agent descriptors: $(grep -c eventfd <<<"$fds") eventfd, $(grep -c inotify <<<"$fds") inotify, $(grep -c memory.pressure <<<"$fds") memory.pressure (PSI triggers)"
cpu() { awk '{print $14 + $15}' "/proc/$apid/stat"; }
# Wake-ups: the loop thread's voluntary context switches (the machine's MemAvailable sample is
# the one timer at rest: about one a second on a machine far from its floor).
wakes() { awk '/^voluntary_ctxt_switches/ {print $2}' "/proc/$apid/status"; }
c0=$(cpu) w0=$(wakes)
sleep "$SECS"
c1=$(cpu) w1=$(wakes)
hz=$(getconf CLK_TCK)
awk -v d=$((c1 - c0)) -v hz="$hz" -v s="$SECS" -v n="$N" -v k="$psimon" -v w=$((w1 - w0)) 'BEGIN {
	printf "agent CPU at rest watching %d containers and the machine: %.3f%% of a core over %d s (%d ticks, resolution %.3f%%; target < 1%%); %.1f wake-ups/s; %d psimon kernel threads\n",
		n, 100 * d / hz / s, s, d, 100 / hz / s, w / s, k }'
rss=$(awk '/VmRSS/ {print $2}' "/proc/$apid/status")
echo "agent RSS: $rss kB"
kill -TERM "$apid"
wait "$apid" 2>/dev/null
exit 0
