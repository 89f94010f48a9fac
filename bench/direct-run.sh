#!/bin/bash
# `lmctl --direct run LEAF /bin/true` among many containers beside the same among two (issue
# 16: a run reads its leaf's path and its own tasks, no store scan), and the command's own
# /bin/true exec + wait as the floor, all in one run, interleaved. Usage: bench/direct-run.sh
# BUILD [N=1000] [REPS=20]. Everything lives in lmctl-test-bench-<pid>-direct* below this
# shell's cgroup and /dev/shm/lmctl-test-bench-<pid>/, removed at the end whatever happens.
set -u
BUILD=$1 N=${2:-1000} REPS=${3:-20}
CG=/sys/fs/cgroup
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
bench_agent_env direct
bench_need_root bench_direct_run "real cgroups"
unset LMCTL_SOCKET

few=$dir/few many=$dir/many
lm() { # STATE ROOT ARGS...
	local st=$1 root=$2
	shift 2
	"$BUILD/lmctl" --direct --state-dir "$st" --cgroup-root "$root" "$@"
}
lm "$few" "$LMCTL_CGROUP_ROOT-few" create b >/dev/null &&
	lm "$few" "$LMCTL_CGROUP_ROOT-few" create b/c0 >/dev/null || exit 1
lm "$many" "$LMCTL_CGROUP_ROOT" create b >/dev/null || exit 1
for i in $(seq 0 $((N - 1))); do
	lm "$many" "$LMCTL_CGROUP_ROOT" create "b/c$i" >/dev/null || exit 1
done

# milliseconds of one command, wall clock
ms() {
	local s=$EPOCHREALTIME e
	"$@" >/dev/null || return 1
	e=$EPOCHREALTIME
	echo "($e - $s) * 1000" | bc
}
median() { sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] }'; }

f_few=() f_many=() f_true=()
for _ in $(seq "$REPS"); do
	f_true+=("$(ms /bin/true)") || exit 1
	f_few+=("$(ms lm "$few" "$LMCTL_CGROUP_ROOT-few" run b/c0 /bin/true)") || exit 1
	f_many+=("$(ms lm "$many" "$LMCTL_CGROUP_ROOT" run b/c0 /bin/true)") || exit 1
done
t=$(printf '%s\n' "${f_true[@]}" | median)
a=$(printf '%s\n' "${f_few[@]}" | median)
b=$(printf '%s\n' "${f_many[@]}" | median)
ratio=$(printf "%.2f" "$(echo "scale=4; $b / $a" | bc)")
echo "lmctl --direct run LEAF /bin/true, median of $REPS (interleaved); load average $(cut -d' ' -f1-3 /proc/loadavg):"
printf '  among %5d containers   %8.2f ms\n' "$N" "$b"
printf '  among %5d containers   %8.2f ms  (baseline)\n' 2 "$a"
printf '  /bin/true alone          %8.2f ms  (floor)\n' "$t"
met=NOT
[ "$(echo "$ratio <= 1.2" | bc)" = 1 ] && met=
line=$(printf 'target: %-52s %14s  (target %s)  %s' "direct run among $N containers / among 2" \
	"${ratio}x" "<= 1.2x: no store scan" "${met:+$met }met")
echo "$line"
[ -n "${BENCH_TARGETS:-}" ] && echo "$line" >>"$BENCH_TARGETS"
exit 0
