#!/bin/bash
# shellcheck disable=SC2016,SC1091 # single quotes expand in the inner shell; a guest file
# Runs inside the systemd guest as lmctl-vm.service (tests/vm/mkinitramfs-systemd.sh puts it
# there), once the system is up: prints the kernel, the cgroup mode and controllers; starts
# the installed lmctld with `systemctl enable --now`; checks lmctl from a login-like shell
# through that agent, that `systemctl stop` leaves containers running and `start` and
# `restart` find them again; then runs the integration suite (or the benchmarks) from a
# session-like scope that also holds another process. Ends with the marker line
# tests/vm/run-vm.sh parses and powers off.
set -u
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TMPDIR=/tmp
MODE=check
TEST_TIMEOUT=300
INSTALLED_BY=unknown
. /etc/lmctl-vm.conf
checks=0
cfail=0
CG=/sys/fs/cgroup

ok() {
	checks=$((checks + 1))
	echo "guest-check: ok: $1"
}
bad() {
	checks=$((checks + 1))
	cfail=$((cfail + 1))
	echo "guest-check: FAIL: $1"
}
finish() {
	echo "LMCTL-VM-RESULT rc=$1 tests=$2 failed=$3"
	sync
	systemctl poweroff --force --force
	exit "$1"
}
# Run a command in a new scope below user.slice that also holds a sleep: what a login
# shell's session-N.scope looks like to the kernel (a busy, non-delegated domain cgroup).
in_session() {
	systemd-run --quiet --scope --slice=user.slice --collect -- \
		bash -c 'sleep 1000000 & s=$!; "$@"; rc=$?; kill $s; exit $rc' session "$@"
}
agent_pid() { systemctl show -p MainPID --value lmctld; }
svc_cgroup() { echo "$CG$(systemctl show -p ControlGroup --value lmctld)"; }
show_agent() {
	local p d
	p=$(agent_pid)
	echo "lmctld: $(systemctl is-active lmctld), main pid $p, cgroup $(cat "/proc/$p/cgroup" 2>/dev/null)"
	d=$(svc_cgroup)
	[ -d "$d" ] || return 0
	find "$d" -name cgroup.procs | while read -r f; do
		echo "  ${f%/cgroup.procs}: procs=[$(tr '\n' ' ' <"$f")]" \
			"subtree_control=[$(cat "${f%/cgroup.procs}/cgroup.subtree_control")]"
	done | head -20
}
journal_tail() { journalctl -b -u lmctld --no-pager -n "${1:-15}" | sed 's/^/  journal: /'; }

echo "=== guest: kernel $(uname -r), $(systemctl --version | head -n 1), PID 1 $(cat /proc/1/comm)"
echo "cgroup mode: $(stat -fc %T $CG) on $CG ($(grep " $CG " /proc/mounts))"
echo "root cgroup.controllers: $(cat $CG/cgroup.controllers)"
echo "root cgroup.subtree_control: $(cat $CG/cgroup.subtree_control)"
echo "user.slice cgroup.controllers: $(cat $CG/user.slice/cgroup.controllers 2>/dev/null)"
echo "cpus: $(nproc), $(grep MemTotal /proc/meminfo), lmctl installed by: $INSTALLED_BY"
echo "unit: $(systemctl cat lmctld 2>/dev/null | grep -E '^(ExecStart|Delegate|KillMode)' | tr '\n' ' ')"

# ---- the agent under systemd ----
if systemctl enable --now lmctld; then ok "systemctl enable --now lmctld"; else bad "systemctl enable --now lmctld"; fi
show_agent
for _ in $(seq 100); do [ -S /run/lmctl/lmctld.sock ] && break; sleep 0.1; done
if in_session bash -c 'echo "shell cgroup: $(cat /proc/self/cgroup)"; lmctl init'; then
	ok "lmctl init through the agent from a session scope"
else
	bad "lmctl init through the agent from a session scope"
fi
show_agent
if in_session lmctl create vmjob --memory=256M --cpus=1 --pids-limit=64; then
	ok "lmctl create vmjob --memory=256M --cpus=1 --pids-limit=64 (agent)"
else
	bad "lmctl create vmjob --memory=256M --cpus=1 --pids-limit=64 (agent)"
fi
in_session lmctl run -d vmjob -- sleep 1000000
jpid=$(in_session lmctl list --pids vmjob 2>/dev/null | grep -oE '\b[0-9]{2,}\b' | tail -n 1)
jcg=
if [ -n "$jpid" ] && [ -d "/proc/$jpid" ]; then
	jcg=$CG$(sed -n 's/^0:://p' "/proc/$jpid/cgroup")
	ok "lmctl run -d vmjob: pid $jpid in $jcg"
	want="memory.max=268435456 pids.max=64 cpu.max=100000 100000"
	got="memory.max=$(cat "$jcg/memory.max" 2>&1) pids.max=$(cat "$jcg/pids.max" 2>&1) cpu.max=$(cat "$jcg/cpu.max" 2>&1)"
	if [ "$got" = "$want" ]; then ok "limits in the kernel: $got"; else bad "limits in the kernel: $got (want $want)"; fi
else
	bad "lmctl run -d vmjob: no process (list --pids: $(in_session lmctl list --pids vmjob 2>&1 | tr '\n' ' '))"
fi
st=$(in_session lmctl stats vmjob 2>&1)
echo "$st" | sed 's/^/  stats: /' | head -12
if echo "$st" | grep -qE "^ *cpu.usage(_ns)? +[0-9]"; then ok "lmctl stats vmjob has cpu usage"; else bad "lmctl stats vmjob has no cpu usage"; fi

systemctl stop lmctld
if [ -n "$jpid" ] && kill -0 "$jpid" 2>/dev/null; then
	ok "systemctl stop lmctld: vmjob's process $jpid still runs"
else
	bad "systemctl stop lmctld: vmjob's process ${jpid:-?} is gone"
fi
show_agent
if systemctl start lmctld && sleep 1 && [ "$(systemctl is-active lmctld)" = active ]; then
	ok "systemctl start lmctld after stop"
else
	bad "systemctl start lmctld after stop: $(systemctl is-active lmctld)"
	journal_tail
fi
show_agent
if in_session lmctl list | grep -q vmjob; then ok "the restarted agent lists vmjob"; else bad "the restarted agent does not list vmjob"; fi
if systemctl restart lmctld && sleep 1 && [ "$(systemctl is-active lmctld)" = active ]; then
	ok "systemctl restart lmctld"
else
	bad "systemctl restart lmctld: $(systemctl is-active lmctld)"
	journal_tail
fi
if [ -n "$jpid" ] && kill -0 "$jpid" 2>/dev/null && [ "$CG$(sed -n 's/^0:://p' "/proc/$jpid/cgroup")" = "$jcg" ]; then
	ok "vmjob's process $jpid still in $jcg"
else
	bad "vmjob's process ${jpid:-?} not in ${jcg:-?} any more"
fi
if in_session lmctl destroy --force vmjob; then ok "lmctl destroy --force vmjob (agent)"; else bad "lmctl destroy --force vmjob (agent)"; fi
if [ -n "$jpid" ] && kill -0 "$jpid" 2>/dev/null; then bad "process $jpid survives destroy --force"; fi
journal_tail 10

# ---- the suite (or the benchmarks) from a session scope ----
export LMCTL_BIN=/usr/local/bin/lmctl LMCTLD_BIN=/usr/local/sbin/lmctld BUILD=/build \
	LMCTL_SRCDIR=/src LMCTL_V2_VM=1 LMCTL_TEST_BLOCKDEV=/dev/vdb LMCTL_EVICT_REPS=3
cd /src || finish 1 0 1
( # A heartbeat keeps the host's no-output watchdog for a hung guest, not a slow test.
	while sleep 60; do echo "guest: still running"; done
) &
hb=$!
if [ "$MODE" = bench ]; then
	echo "=== bench-v2: the lifecycle table (systemd guest, emulated: compare its ratios)"
	in_session bash -c 'echo "bench cgroup: $(cat /proc/self/cgroup)"; /build/bench/bench_lifecycle '"${BENCH_ITERS:-100}"' 25'
	rc=$?
	kill $hb
	finish $((rc != 0 || cfail != 0)) $((checks + 1)) $((cfail + (rc != 0)))
fi

in_session bash -c '
	echo "test process cgroup: $(cat /proc/self/cgroup) (holds: $(tr "\n" " " <'$CG'$(sed -n "s/^0:://p" /proc/self/cgroup)/cgroup.procs))"
	pass=0 failed=0 names=
	for t in /build/tests/integration/test_*; do
		[ -x "$t" ] || continue
		echo "=== integration-vm: ${t##*/}"
		timeout -s KILL '"$TEST_TIMEOUT"' "$t" </dev/null
		rc=$?
		if [ $rc -eq 0 ]; then pass=$((pass + 1)); else
			[ $rc -eq 137 ] && echo "integration-vm: ${t##*/} killed (timeout?)"
			failed=$((failed + 1)); names="$names ${t##*/}"
		fi
	done
	echo "integration-vm: $pass passed, $failed failed"
	[ $failed -eq 0 ] || echo "integration-vm: failing programs:$names"
	echo "$pass $failed" >/run/lmctl-vm-tally'
kill $hb
read -r pass failed </run/lmctl-vm-tally || { pass=0; failed=1; }
echo "guest-checks: $((checks - cfail)) passed, $cfail failed"
finish $((failed != 0 || cfail != 0)) $((pass + failed + checks)) $((failed + cfail))
