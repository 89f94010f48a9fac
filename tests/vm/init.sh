#!/bin/sh
# The busybox guest's /init: mount the kernel filesystems and the cgroup hierarchies, load
# the modules, run the integration suite (or the benchmarks), print a tally and a marker
# line that tests/vm/run-vm.sh parses, then power off.
# FLAVOR v2: pure cgroup v2 (cgroup2 on /sys/fs/cgroup, no v1 controller).
# FLAVOR v1: every controller on its own v1 hierarchy (as systemd lays them out), no cgroup2.
# FLAVOR machine: v2, in a guest with little memory, one program (test_evict_machine) with
# LMCTL_EVICT_MACHINE=1 and no hand checks.
# Either way the suite runs from a non-root cgroup, session.scope, that also holds another
# process (a sleep), as a login shell's cgroup does: on v2 a busy "domain" cgroup, which the
# no-internal-process rule forbids to enable controllers below. Controllers are
# deliberately not enabled in any subtree_control here: lmctl must do that itself.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TMPDIR=/tmp
MODE=check
FLAVOR=v2
TEST_TIMEOUT=300
. /etc/lmctl-vm.conf

finish() {
	[ -n "${busy:-}" ] && kill "$busy" 2>/dev/null
	echo "LMCTL-VM-RESULT rc=$1 tests=$2 failed=$3"
	sync
	poweroff -f
	sleep 5
	echo "init: poweroff failed" # panic=-1 and -no-reboot end qemu when init exits
	exit 1
}

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
# v1: one hierarchy per controller, the pairs systemd mounts together with its links.
mount_v1() {
	local c d
	mount -t tmpfs -o mode=0755 cgroup /sys/fs/cgroup || return 1
	for c in $(awk 'NR > 1 && $4 == 1 { print $1 }' /proc/cgroups); do
		case $c in
		cpu | cpuacct) d=cpu,cpuacct ;;
		net_cls | net_prio) d=net_cls,net_prio ;;
		*) d=$c ;;
		esac
		[ -d "/sys/fs/cgroup/$d" ] && continue
		mkdir -p "/sys/fs/cgroup/$d"
		mount -t cgroup -o "$d" cgroup "/sys/fs/cgroup/$d" || return 1
		case $d in *,*)
			ln -s "$d" "/sys/fs/cgroup/${d%,*}"
			ln -s "$d" "/sys/fs/cgroup/${d#*,}"
			;;
		esac
	done
}

# The session: session.scope in every hierarchy with a sleep in it; the caller follows.
make_session() {
	local h
	for h in $1; do
		mkdir -p "$h/session.scope" || return 1
		# A v1 cpuset cgroup takes no process before it has cpus and mems.
		if [ -f "$h/cpuset.cpus" ]; then
			cat "$h/cpuset.cpus" >"$h/session.scope/cpuset.cpus" || return 1
			cat "$h/cpuset.mems" >"$h/session.scope/cpuset.mems" || return 1
		fi
	done
	sleep 1000000 &
	busy=$!
	for h in $1; do
		echo "$busy" >"$h/session.scope/cgroup.procs" || return 1
		echo $$ >"$h/session.scope/cgroup.procs" || return 1
	done
}

echo "kernel: $(uname -r) ($(cat /proc/cmdline))"
case $FLAVOR in
v1)
	if ! mount_v1; then
		echo "init: cannot mount the v1 hierarchies"
		finish 1 0 0
	fi
	hier=$(awk '$3 == "cgroup" { print $2 }' /proc/mounts)
	echo "cgroup mode: v1 only ($(echo $hier | wc -w) hierarchies, no cgroup2 mount)"
	grep -E ' cgroup2? ' /proc/mounts | sed 's/^/mount: /'
	;;
*)
	if ! mount -t cgroup2 -o nsdelegate cgroup2 /sys/fs/cgroup; then
		echo "init: cannot mount cgroup2 on /sys/fs/cgroup"
		finish 1 0 0
	fi
	hier=/sys/fs/cgroup
	echo "cgroup mode: v2 only ($(grep ' /sys/fs/cgroup ' /proc/mounts))"
	echo "cgroup.controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
	echo "cgroup.subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
	;;
esac
echo "controllers the kernel has (/proc/cgroups):" $(awk 'NR > 1 && $4 == 1 { print $1 }' /proc/cgroups)
echo "cpus: $(nproc), $(grep MemTotal /proc/meminfo)"
if [ "$MODE" = check ]; then
	if ! make_session "$hier"; then
		echo "init: cannot make the session cgroup"
		finish 1 0 0
	fi
	echo "test process's cgroup (/proc/self/cgroup):" $(cat /proc/self/cgroup)
	first=$(echo $hier | cut -d' ' -f1)
	echo "session.scope holds: $(tr '\n' ' ' <"$first/session.scope/cgroup.procs")"
fi

hostname "lmctl-$FLAVOR"
ip link set lo up
for m in $(cat /etc/modules.order); do
	insmod "$m" || echo "init: insmod $m failed"
done
# The scratch disk appears once virtio_blk has probed it: wait for it, bounded.
i=0
while { [ ! -b /dev/vda ] || [ ! -b /dev/vdb ]; } && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
# /tmp on a disk file system, as on a Debian host: page cache of files there can be
# reclaimed (on the initramfs it could not, which a memory limit below usage would see).
if [ -b /dev/vdb ] && mount -t ext4 -o rw /dev/vdb /tmp; then
	chmod 1777 /tmp
	echo "tmp: $(grep ' /tmp ' /proc/mounts)"
	# The kernel's code symbols, for the host to name where the vCPUs of a hung guest are
	# (tests/vm/run-vm.sh reads this file from the disk image; Debian's System.map is a
	# stub).
	grep ' [tTwW] ' /proc/kallsyms >/tmp/.kallsyms 2>/dev/null
	sync
else
	echo "init: /tmp stays on the initramfs (no ext4 /dev/vdb)"
fi
if [ -b /dev/vda ]; then
	echo "disk: /dev/vda $(cat /sys/block/vda/dev) $(($(cat /sys/block/vda/size) / 2048)) MiB"
	export LMCTL_TEST_BLOCKDEV=/dev/vda
else
	echo "init: no /dev/vda: io.max tests have no disk"
fi

export LMCTL_BIN=/bin/lmctl LMCTLD_BIN=/bin/lmctld BUILD=/build LMCTL_V2_VM=1 LMCTL_EVICT_REPS=3
[ "$FLAVOR" = machine ] && export LMCTL_EVICT_MACHINE=1
cd /src || finish 1 0 0

if [ "$MODE" = bench ]; then
	echo "=== bench-vm (emulated: compare only with other bench-vm runs)"
	if [ -x /src/bench/run.sh ]; then
		/src/bench/run.sh
		rc=$?
		finish $rc 1 $((rc != 0))
	fi
	n=0
	failed=0
	for b in /build/bench/*; do
		[ -x "$b" ] || continue
		echo "=== bench-vm: ${b##*/}"
		n=$((n + 1))
		"$b" || failed=$((failed + 1))
	done
	echo "bench-vm: $((n - failed)) passed, $failed failed"
	finish $((failed != 0)) $n $failed
fi

# lmctl by hand, as a user would, before the suite: create, run, pause (the kernel's
# freezer says frozen), resume, stats, an empty event on kill, destroy. Counted as one
# program in the tally.
# The kernel's word on a process's cgroup being frozen: cgroup.events (v2), freezer.state (v1).
frozen() {
	local p
	p=$(sed -n 's/^0:://p' "/proc/$1/cgroup")
	if [ -n "$p" ]; then
		echo "cgroup.events: $(grep frozen "/sys/fs/cgroup$p/cgroup.events")"
	else
		p=$(sed -n 's/^[0-9]*:freezer://p' "/proc/$1/cgroup")
		echo "freezer.state $(cat "/sys/fs/cgroup/freezer$p/freezer.state")"
	fi
}

hand_checks() {
	local st=/tmp/vm-hand-state pid fz ev bad=0
	export LMCTL_STATE_DIR=$st LMCTL_SOCKET=/nonexistent LMCTL_CGROUP_ROOT=lmctl-test-vm-hand
	say() { echo "hand-check: $*"; }
	no() {
		say "FAIL: $*"
		bad=1
	}
	lmctl create vmc --memory=64M --pids-limit=32 >/dev/null || no "create"
	lmctl run -d --json vmc -- sleep 100000 >/tmp/vm-hand.pid || no "run -d"
	pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' /tmp/vm-hand.pid)
	[ -n "$pid" ] && [ -d "/proc/$pid" ] && say "ok: run -d: pid $pid in $(tr '\n' ' ' <"/proc/$pid/cgroup")"
	lmctl pause vmc || no "pause"
	fz=$(frozen "$pid")
	case $fz in *"frozen 1"* | *FROZEN*) say "ok: paused: $fz" ;; *) no "paused, yet: $fz" ;; esac
	lmctl resume vmc || no "resume"
	fz=$(frozen "$pid")
	case $fz in *"frozen 0"* | *THAWED*) say "ok: resumed: $fz" ;; *) no "resumed, yet: $fz" ;; esac
	if lmctl stats vmc >/tmp/vm-hand.stats 2>&1 && grep -qE 'memory.usage +[0-9]' /tmp/vm-hand.stats &&
		grep -qE 'cpu.usage(_ns)? +[0-9]' /tmp/vm-hand.stats; then
		say "ok: stats: $(grep -E 'cpu.usage|memory.usage ' /tmp/vm-hand.stats | tr -s ' \n' ' ')"
	else
		no "stats: $(tr '\n' ' ' </tmp/vm-hand.stats)"
	fi
	lmctl events vmc --empty >/tmp/vm-hand.events 2>&1 &
	ev=$!
	sleep 1
	lmctl kill vmc || no "kill"
	for _ in $(seq 100); do grep -q . /tmp/vm-hand.events && break; sleep 0.1; done
	kill $ev 2>/dev/null
	wait $ev 2>/dev/null
	if grep -Eq "^[0-9T:.Z-]+ vmc empty" /tmp/vm-hand.events; then say "ok: events --empty: $(head -n 1 /tmp/vm-hand.events)"; else
		no "events --empty printed '$(tr '\n' ' ' </tmp/vm-hand.events)' within 10 s of kill"
	fi
	[ -d "/proc/$pid" ] && no "process $pid survives kill"
	lmctl destroy --force vmc || no "destroy"
	unset LMCTL_STATE_DIR LMCTL_SOCKET LMCTL_CGROUP_ROOT
	return $bad
}

pass=0
failed=0
names=
if [ "$FLAVOR" = machine ]; then
	echo "hand-check: none in the machine flavor"
elif hand_checks; then pass=1; else
	failed=1
	names=" hand-checks"
fi
for t in /build/tests/integration/test_*; do
	[ -x "$t" ] || continue
	# What the guest has left before each program: a slow leak shows across the run.
	echo "=== integration-vm: ${t##*/} ($(awk '/^MemAvailable/ { print int($2 / 1024) }' /proc/meminfo) MiB available," \
		"$(awk '$1 == "memory" { print $3 }' /proc/cgroups) memory cgroups)"
	# A heartbeat keeps the host's no-output watchdog for a hung guest, not a slow test.
	(
		s=0
		while sleep 60; do
			s=$((s + 60))
			echo "integration-vm: ${t##*/} still running (${s}s)"
		done
	) &
	hb=$!
	timeout -s KILL "$TEST_TIMEOUT" "$t" </dev/null
	rc=$?
	kill $hb 2>/dev/null
	wait $hb 2>/dev/null
	if [ $rc -eq 0 ]; then
		pass=$((pass + 1))
	else
		[ $rc -eq 137 ] && echo "integration-vm: ${t##*/} killed (timeout ${TEST_TIMEOUT}s?)"
		failed=$((failed + 1))
		names="$names ${t##*/}"
	fi
done
echo "integration-vm: $pass passed, $failed failed"
[ $failed -eq 0 ] || echo "integration-vm: failing programs:$names"
finish $((failed != 0)) $((pass + failed)) $failed
