#!/bin/sh
# The guest's /init: mount the kernel filesystems and cgroup2, load the modules, run the
# integration suite (or the benchmarks), print a tally and a marker line that
# tests/vm/run-v2.sh parses, then power off. Controllers are deliberately not enabled in
# any subtree_control here: lmctl must do that itself.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TMPDIR=/tmp
MODE=check
TEST_TIMEOUT=300
. /etc/lmctl-vm.conf

finish() {
	echo "LMCTL-V2-RESULT rc=$1 tests=$2 failed=$3"
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
if ! mount -t cgroup2 cgroup2 /sys/fs/cgroup; then
	echo "init: cannot mount cgroup2 on /sys/fs/cgroup"
	finish 1 0 0
fi

echo "kernel: $(uname -r)"
echo "cgroup2: $(grep ' /sys/fs/cgroup ' /proc/mounts)"
echo "cgroup.controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
echo "cgroup.subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
echo "cpus: $(nproc), $(grep MemTotal /proc/meminfo)"

hostname lmctl-v2
ip link set lo up
for m in $(cat /etc/modules.order); do
	insmod "$m" || echo "init: insmod $m failed"
done
# The scratch disk appears once virtio_blk has probed it: wait for it, bounded.
i=0
while [ ! -b /dev/vda ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ -b /dev/vda ]; then
	echo "disk: /dev/vda $(cat /sys/block/vda/dev) $(($(cat /sys/block/vda/size) / 2048)) MiB"
	export LMCTL_TEST_BLOCKDEV=/dev/vda
else
	echo "init: no /dev/vda: io.max tests have no disk"
fi

export LMCTL_BIN=/bin/lmctl LMCTLD_BIN=/bin/lmctld BUILD=/build LMCTL_V2_VM=1
cd /src || finish 1 0 0

if [ "$MODE" = bench ]; then
	echo "=== bench-v2 (emulated: compare only with other bench-v2 runs)"
	if [ -x /src/bench/run.sh ]; then
		/src/bench/run.sh
		rc=$?
		finish $rc 1 $((rc != 0))
	fi
	n=0
	failed=0
	for b in /build/bench/*; do
		[ -x "$b" ] || continue
		echo "=== bench-v2: ${b##*/}"
		n=$((n + 1))
		"$b" || failed=$((failed + 1))
	done
	echo "bench-v2: $((n - failed)) passed, $failed failed"
	finish $((failed != 0)) $n $failed
fi

pass=0
failed=0
names=
for t in /build/tests/integration/test_*; do
	[ -x "$t" ] || continue
	echo "=== integration-v2: ${t##*/}"
	# A heartbeat keeps the host's no-output watchdog for a hung guest, not a slow test.
	(
		s=0
		while sleep 60; do
			s=$((s + 60))
			echo "integration-v2: ${t##*/} still running (${s}s)"
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
		[ $rc -eq 137 ] && echo "integration-v2: ${t##*/} killed (timeout ${TEST_TIMEOUT}s?)"
		failed=$((failed + 1))
		names="$names ${t##*/}"
	fi
done
echo "integration-v2: $pass passed, $failed failed"
[ $failed -eq 0 ] || echo "integration-v2: failing programs:$names"
finish $((failed != 0)) $((pass + failed)) $failed
