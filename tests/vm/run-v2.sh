#!/usr/bin/env bash
# Run the integration suite (or the benchmarks) on a pure cgroup v2 kernel: Debian's kernel
# under qemu (software emulation), an initramfs with busybox, the project's programs and
# tests/vm/init.sh as /init. Prints the serial console as it goes; exits with the guest
# suite's status from its "LMCTL-V2-RESULT" line (no line: failure).
# Usage: BUILD=build tests/vm/run-v2.sh check|maybe|bench
# Env: LMCTL_VM_TIMEOUT (s for the whole guest, default 900), LMCTL_VM_IDLE (s without
#      console output, default 180; the guest prints a heartbeat each minute),
#      LMCTL_VM_TEST_TIMEOUT (s per test program in the guest, default 300),
#      LMCTL_VM_PYTHON (auto|1|0: python3, protobuf and protoc in the guest).
# The guest sees LMCTL_BIN, LMCTLD_BIN, BUILD=/build, LMCTL_V2_VM=1 and
# LMCTL_TEST_BLOCKDEV=/dev/vda (a 256 MiB virtio disk for io.max tests).
set -uo pipefail
mode=${1:-check}
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${BUILD:-build}" 2>/dev/null && pwd) || {
	echo "check-v2: no build directory ${BUILD:-build}" >&2
	exit 1
}
vmdir=$build/vm
timeout_s=${LMCTL_VM_TIMEOUT:-900}
idle_s=${LMCTL_VM_IDLE:-180}
name=check-v2
[ "$mode" = bench ] && name=bench-v2

case $mode in
check | bench) ;;
maybe)
	if ! command -v qemu-system-x86_64 >/dev/null; then
		echo "check-v2: skipped: qemu-system-x86_64 is not installed"
		exit 0
	fi
	;;
*)
	echo "usage: $0 check|maybe|bench" >&2
	exit 2
	;;
esac
command -v qemu-system-x86_64 >/dev/null || {
	echo "$name: qemu-system-x86_64 is not installed (tools/install-deps.sh)" >&2
	exit 1
}
mkdir -p "$vmdir"

kout=$("$here/kernel.sh" "$vmdir")
krc=$?
if [ $krc -ne 0 ]; then
	if [ "$mode" = maybe ]; then
		echo "check-v2: skipped: no kernel to boot (no linux-image package from apt)"
		exit 0
	fi
	echo "$name: cannot get a kernel to boot" >&2
	exit 1
fi
vmlinuz=$(sed -n 1p <<<"$kout")
moddir=$(sed -n 2p <<<"$kout")
[ "$mode" = maybe ] && mode=check

initrd=$vmdir/initramfs-$mode.cpio.gz
"$here/mkinitramfs.sh" "$mode" "$build" "$moddir" "$initrd" || {
	echo "$name: cannot build the initramfs" >&2
	exit 1
}
# A small sparse scratch disk: the guest's /dev/vda, for io.max on a real block device.
disk=$vmdir/scratch.img
rm -f "$disk"
truncate -s 256M "$disk"

log=$vmdir/console-$mode.log
: >"$log"
start=$(date +%s)
qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp 2 -m 2048 \
	-nodefaults -display none -monitor none -no-reboot \
	-serial "file:$log" \
	-kernel "$vmlinuz" -initrd "$initrd" \
	-drive "file=$disk,format=raw,if=virtio,cache=unsafe" \
	-append "console=ttyS0 panic=-1 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1 quiet" \
	</dev/null &
qpid=$!
tail -n +1 -f --pid=$qpid "$log" &
tpid=$!
# An interrupted run takes its guest and console reader with it (our own pids only).
trap 'kill -KILL $qpid $tpid 2>/dev/null' EXIT
trap 'exit 130' INT TERM

# Watch the guest: a hard deadline, and an earlier one when the console goes quiet.
why=
last_size=0
last_change=$start
while kill -0 $qpid 2>/dev/null; do
	sleep 1
	now=$(date +%s)
	size=$(stat -c %s "$log" 2>/dev/null || echo 0)
	if [ "$size" != "$last_size" ]; then
		last_size=$size
		last_change=$now
	fi
	if [ $((now - start)) -ge "$timeout_s" ]; then
		why="guest still running after ${timeout_s}s"
	elif [ $((now - last_change)) -ge "$idle_s" ]; then
		why="no console output for ${idle_s}s"
	fi
	if [ -n "$why" ]; then
		kill -KILL $qpid 2>/dev/null
		break
	fi
done
wait $qpid 2>/dev/null
wait $tpid 2>/dev/null
secs=$(($(date +%s) - start))

marker=$(tr -d '\r' <"$log" | grep -a '^LMCTL-V2-RESULT ' | tail -n 1)
echo
if [ -n "$why" ]; then
	echo "$name: FAILED: $why; guest killed (console: $log)"
	exit 1
fi
if [ -z "$marker" ]; then
	echo "$name: FAILED: the guest ended after ${secs}s without a result line (console: $log)"
	exit 1
fi
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<"$marker"; }
rc=$(field rc)
tests=$(field tests)
failed=$(field failed)
echo "$name: guest ran $tests programs in ${secs}s, $failed failed (rc=$rc)"
echo "$name: $((tests - failed)) passed, $failed failed"
[ "$rc" = 0 ] && exit 0
exit 1
