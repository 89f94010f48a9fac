#!/usr/bin/env bash
# Run the integration suite (or the benchmarks) in a VM under qemu (software emulation).
# Flavors:
#   v2       Debian 12's kernel (6.1), busybox initramfs (tests/vm/init.sh), pure cgroup v2,
#            the suite run from a busy non-root cgroup (session.scope holding a sleep).
#   v1       the same kernel and initramfs, every controller on its own v1 hierarchy and
#            no cgroup2 mount; the suite again from session.scope in every hierarchy.
#   systemd  the newest kernel Debian's archive offers (bookworm-backports), a Debian root
#            filesystem built once with mmdebstrap (tests/vm/rootfs.sh, cached under
#            $BUILD/vm), systemd as PID 1, lmctl installed with `make install`, lmctld
#            started from the installed unit (tests/vm/guest-systemd.sh runs there).
#   machine  the v2 guest with little memory (768 MiB) running one program,
#            test_evict_machine (LMCTL_EVICT_MACHINE=1): top-level containers without limits
#            driven to the machine's edge, the agent's machine-level eviction against the
#            kernel's global OOM killer. No hand checks, no python.
# Prints the serial console as it goes and ends with one result line,
# "vm-FLAVOR: PASSED|FAILED|SKIPPED: ...". Exit status: 0 passed (or skipped in maybe
# mode: no qemu, or no kernel can be fetched), 1 failed.
# Usage: BUILD=build tests/vm/run-vm.sh check|maybe|bench FLAVOR
# Env: LMCTL_VM_TIMEOUT (s for the whole guest, default 900), LMCTL_VM_IDLE (s without
#      console output, default 180; the guest prints a heartbeat each minute),
#      LMCTL_VM_TEST_TIMEOUT (s per test program in the guest, default 300),
#      LMCTL_VM_PYTHON (auto|1|0: python3, protobuf and protoc in the busybox guest),
#      LMCTL_VM_CPUS, LMCTL_VM_MEM (MiB) (default 2 and 2048; machine: 768),
#      LMCTL_VM_ACCEL (qemu's -accel, default tcg,thread=single: see below),
#      LMCTL_VM_TESTS ("test_a test_b": only those integration programs; machine:
#      test_evict_machine).
# The guest sees LMCTL_BIN, LMCTLD_BIN, BUILD=/build, LMCTL_V2_VM=1 and
# LMCTL_TEST_BLOCKDEV (/dev/vda; /dev/vdb in systemd: a 256 MiB virtio disk for io.max tests).
set -uo pipefail

# One function, read whole before it runs: editing this file cannot disturb a running guest.
main() {
	mode=${1:-check}
	flavor=${2:-v2}
	here=$(cd "$(dirname "$0")" && pwd)
	name=vm-$flavor
	[ "$mode" = bench ] && name=bench-$flavor
	build=$(cd "${BUILD:-build}" 2>/dev/null && pwd) || {
		echo "$name: FAILED: no build directory ${BUILD:-build}"
		exit 1
	}
	vmdir=$build/vm
	timeout_s=${LMCTL_VM_TIMEOUT:-900}
	idle_s=${LMCTL_VM_IDLE:-180}
	maybe=0

	case $mode in
	check | bench) ;;
	maybe)
		maybe=1
		mode=check
		;;
	*)
		echo "usage: $0 check|maybe|bench v2|v1|systemd|machine" >&2
		exit 2
		;;
	esac
	mem=${LMCTL_VM_MEM:-2048}
	case $flavor in
	v2 | v1 | systemd) ;;
	machine)
		mem=${LMCTL_VM_MEM:-768}
		export LMCTL_VM_TESTS=${LMCTL_VM_TESTS:-test_evict_machine}
		export LMCTL_VM_PYTHON=${LMCTL_VM_PYTHON:-0}
		;;
	*)
		echo "usage: $0 check|maybe|bench v2|v1|systemd|machine" >&2
		exit 2
		;;
	esac

	# A VM that cannot be booted for want of something fetched skips in maybe mode (with the
	# reason); anything else is a failure.
	skip_or_fail() {
		if [ $maybe = 1 ]; then
			echo "$name: SKIPPED: $1"
			exit 0
		fi
		echo "$name: FAILED: $1"
		exit 1
	}
	command -v qemu-system-x86_64 >/dev/null ||
		skip_or_fail "qemu-system-x86_64 is not installed (tools/install-deps.sh)"
	mkdir -p "$vmdir"

	ksuite=host
	[ "$flavor" = systemd ] && ksuite=${LMCTL_VM_KERNEL_SUITE:-bookworm-backports}
	kout=$("$here/kernel.sh" "$vmdir" "$ksuite")
	case $? in
	0) ;;
	2) skip_or_fail "no kernel to boot (no linux-image package from the $ksuite archive)" ;;
	*)
		echo "$name: FAILED: cannot get a kernel to boot"
		exit 1
		;;
	esac
	vmlinuz=$(sed -n 1p <<<"$kout")
	moddir=$(sed -n 2p <<<"$kout")

	# A disk error reaches the guest as one (werror/rerror=report) instead of pausing it,
	# qemu's default for a full host disk, which would look like a hung guest.
	dopts=cache=unsafe,werror=report,rerror=report
	disk=$vmdir/scratch-$flavor.img
	rm -f "$disk"
	truncate -s 256M "$disk"
	drives=()
	initrd=$vmdir/initramfs-$flavor-$mode.cpio.gz
	# no_timer_check: under emulation on a loaded host the kernel's IO-APIC timer check can
	# miss its ticks and panic at boot ("IO-APIC + timer doesn't work!", seen with 6.12).
	# sysrq_always_enabled: a guest that goes quiet gets its blocked tasks, memory, CPUs and
	# every task's state dumped on the console (through the monitor below) before it is killed.
	# nokaslr: the CPUs' instruction pointers in that dump fall where the guest's kallsyms,
	# read at boot, says.
	append="console=ttyS0 panic=-1 quiet no_timer_check sysrq_always_enabled nokaslr"
	case $flavor in
	v2 | machine) append="$append cgroup_no_v1=all" ;;
	v1) ;;
	systemd)
		img=$("$here/rootfs.sh" "$vmdir")
		case $? in
		0) ;;
		2) skip_or_fail "no root filesystem (Debian's archive cannot be reached)" ;;
		*)
			echo "$name: FAILED: cannot build the root filesystem"
			exit 1
			;;
		esac
		# Each run boots a fresh copy-on-write layer over the cached image.
		overlay=$vmdir/rootfs-$mode.qcow2
		rm -f "$overlay"
		qemu-img create -q -f qcow2 -F raw -b "$img" "$overlay" || {
			echo "$name: FAILED: qemu-img cannot make $overlay"
			exit 1
		}
		drives+=(-drive "file=$overlay,format=qcow2,if=virtio,$dopts")
		# No login prompt on the console (nobody logs in; it would wait on udev for ttyS0).
		append="$append systemd.firstboot=off systemd.show_status=error"
		append="$append systemd.mask=serial-getty@ttyS0.service"
		append="$append systemd.unified_cgroup_hierarchy=1"
		;;
	esac
	drives+=(-drive "file=$disk,format=raw,if=virtio,$dopts")
	if [ "$flavor" != systemd ]; then
		# The busybox guests' /tmp (/dev/vdb): ext4, made here, as a Debian host has it.
		tmpdisk=$vmdir/tmp-$flavor.img
		rm -f "$tmpdisk"
		truncate -s 1G "$tmpdisk"
		mke2fs -q -F -t ext4 "$tmpdisk" || {
			echo "$name: FAILED: mke2fs cannot make $tmpdisk"
			exit 1
		}
		drives+=(-drive "file=$tmpdisk,format=raw,if=virtio,$dopts")
	fi

	if [ "$flavor" = systemd ]; then
		"$here/mkinitramfs-systemd.sh" "$mode" "$build" "$moddir" "$initrd"
	else
		"$here/mkinitramfs.sh" "$mode" "$build" "$moddir" "$initrd" "$flavor"
	fi || {
		echo "$name: FAILED: cannot build the initramfs"
		exit 1
	}

	log=$vmdir/console-$flavor-$mode.log
	: >"$log"
	# The monitor: a pair of fifos (qemu opens both read-write, so neither open blocks); what
	# it answers is drained to a file.
	mon=$vmdir/monitor-$flavor-$mode
	rm -f "$mon.in" "$mon.out"
	mkfifo "$mon.in" "$mon.out" || {
		echo "$name: FAILED: cannot make the monitor fifos $mon.in, $mon.out"
		exit 1
	}
	start=$(date +%s)
	# One host thread runs every vCPU in turn (thread=single), not one thread each. With a
	# thread each (qemu 7.2's default), a guest kernel patching its own text (a static key
	# flipped: the cfs bandwidth key when the only cpu quota comes or goes, the v1 freezer's
	# when the only freezing cgroup does) wedged the guest: every vCPU looping through int3
	# at the patched site (dequeue_entity, __refrigerator), SysRq unanswered. A v1 guest
	# flipping the cfs key with both CPUs busy wedged within 1,000 flips in 2 runs of 2;
	# single-threaded it flipped 9,000 times in 300 s without a stall.
	qemu-system-x86_64 -machine q35 -accel "${LMCTL_VM_ACCEL:-tcg,thread=single}" \
		-cpu max -smp "${LMCTL_VM_CPUS:-2}" \
		-m "$mem" -nodefaults -display none -monitor "pipe:$mon" -no-reboot \
		-serial "file:$log" -kernel "$vmlinuz" -initrd "$initrd" "${drives[@]}" \
		-append "$append" </dev/null &
	qpid=$!
	cat <>"$mon.out" >"$mon.log" &
	mpid=$!
	tail -n +1 -f --pid=$qpid "$log" &
	tpid=$!
	# An interrupted run takes its guest, console and monitor readers with it (our own pids).
	trap 'kill -KILL $qpid $tpid $mpid 2>/dev/null' EXIT
	trap 'exit 130' INT TERM

	# A guest about to be killed for silence shows why first: the kernel's view of blocked
	# tasks (w), memory (m), each CPU (l) and every task with its state (t), all at the console
	# log level (9), through magic SysRq keys on its keyboard. A guest wedged below the kernel
	# prints nothing more.
	sysrq_dump() {
		local k
		echo "$name: $why: SysRq 9 w m l t on the guest's console"
		echo "info status" >"$mon.in"
		# Where each vCPU is, three times a second apart: spinning, halted or stuck.
		for k in 1 2 3; do
			echo "info registers -a" >"$mon.in"
			sleep 1
		done
		for k in 9 w m l t; do
			echo "sendkey alt-sysrq-$k" >"$mon.in"
			sleep 3
		done
		sleep 5
	}
	# The vCPUs' instruction pointers in the monitor's "info registers" answers, each named
	# by the nearest code symbol of the guest's /proc/kallsyms below it (or "user space").
	vcpu_places() {
		local m=$1 map=$2
		tr -d '\r' <"$m" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' |
			sed -n 's/^.*\(CPU#[0-9]*\).*$/\1/p; s/^RIP=\([0-9a-f]*\) .*HLT=\([01]\).*$/RIP \1 \2/p' |
			awk -v map="$map" '
			# 16 hex digits both sides: comparing the strings compares the numbers.
			BEGIN { while ((getline l < map) > 0) {
					split(l, f, " ")
					if (f[2] ~ /^[tTwW]$/) { a[n] = f[1]; s[n++] = f[3] } } }
			/^CPU#/ { cpu = $1; next }
			/^RIP/ { best = "user space"; bv = ""
				if ($2 >= "ffff800000000000")
					for (i = 0; i < n; i++)
						if (a[i] <= $2 && a[i] > bv) { bv = a[i]; best = s[i] }
				printf "vcpu %s at %s (rip %s%s)\n", cpu, best, $2, $3 == "1" ? ", halted" : "" }'
	}
	# Watch the guest: a hard deadline, and an earlier one when the console goes quiet. Quiet
	# first earns a poke: one kernel message (SysRq h). An emulated 8250 can miss the
	# interrupt that moves its transmit on (vm-superio and firecracker fixed such bugs),
	# which leaves every writer to the console blocked in the tty layer while the kernel's
	# own messages, written by polling, still go out and restart it. Output that resumes
	# within a heartbeat of the poke (the guest prints one each minute) was such a stall and
	# is counted in the result line; none, and the guest is dumped and killed.
	why=
	stalls=0
	poked=0
	last_size=0
	last_change=$start
	while kill -0 $qpid 2>/dev/null; do
		sleep 1
		now=$(date +%s)
		size=$(stat -c %s "$log" 2>/dev/null || echo 0)
		if [ "$size" != "$last_size" ]; then
			[ $poked -eq 1 ] && stalls=$((stalls + 1)) &&
				echo "$name: the console resumed after the poke"
			poked=0
			last_size=$size
			last_change=$now
		fi
		if [ $((now - start)) -ge "$timeout_s" ]; then
			why="guest still running after ${timeout_s}s"
		elif [ $poked -eq 0 ] && [ $((now - last_change)) -ge "$idle_s" ]; then
			echo "$name: no console output for ${idle_s}s: a poke (SysRq h)"
			echo "sendkey alt-sysrq-h" >"$mon.in"
			sleep 5
			poked=1
			last_size=$(stat -c %s "$log" 2>/dev/null || echo 0)
			last_change=$(date +%s)
		elif [ $poked -eq 1 ] && [ $((now - last_change)) -ge 75 ]; then
			why="no console output for ${idle_s}s, nor for 75s after a poke"
		fi
		if [ -n "$why" ]; then
			dump_from=$(stat -c %s "$log" 2>/dev/null || echo 0)
			sysrq_dump
			kill -KILL $qpid 2>/dev/null
			# The guest's symbols (tests/vm/init.sh put them on its /tmp disk).
			syms=$vmdir/kallsyms-$flavor-$mode
			rm -f "$syms"
			[ -n "${tmpdisk:-}" ] && command -v debugfs >/dev/null &&
				debugfs -R "dump /.kallsyms $syms" "$tmpdisk" >/dev/null 2>&1
			break
		fi
	done
	wait $qpid 2>/dev/null
	wait $tpid 2>/dev/null
	kill $mpid 2>/dev/null
	wait $mpid 2>/dev/null
	rm -f "$mon.in" "$mon.out"
	secs=$(($(date +%s) - start))
	rm -f "${overlay:-}" "${tmpdisk:-}" "$disk"

	marker=$(tr -d '\r' <"$log" | grep -a '^LMCTL-VM-RESULT ' | tail -n 1)
	echo
	if [ -n "$why" ]; then
		# The dump's gist, where the last lines of a run are all one may see: every task
		# not sleeping (R running, D blocked, T stopped, ...), and the free memory.
		tail -c +"$((dump_from + 1))" "$log" | tr -d '\r' |
			sed -n 's/^.*task:\([^ ]*\) *state:\([^SI]\).*$/\1 \2/p' |
			sort | uniq -c | sort -rn | head -n 8 | sed "s/^ */$name: not sleeping: /"
		tail -c +"$((dump_from + 1))" "$log" | tr -d '\r' | grep -a -m 1 ' free:[0-9]' |
			sed "s/^/$name: memory: /"
		tr -d '\r' <"$mon.log" | grep -a '^VM status' | tail -n 1 | sed "s/^/$name: qemu: /"
		vcpu_places "$mon.log" "$syms" | sed "s/^/$name: /"
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
	kver=$(basename "$vmlinuz")
	if [ "$rc" = 0 ]; then
		stalled=
		[ $stalls -gt 0 ] && stalled=", the console stalled $stalls time(s) and resumed after a poke"
		echo "$name: PASSED: ${kver#vmlinuz-}, $tests programs/checks passed in ${secs}s$stalled (console: $log)"
		exit 0
	fi
	echo "$name: FAILED: ${kver#vmlinuz-}, $failed of $tests programs/checks failed in ${secs}s (console: $log)"
	tr -d '\r' <"$log" | grep -a '^integration-vm: failing programs:\|^guest-check: FAIL' | sed "s/^/$name: /"
	exit 1
}
main "$@"
exit $?
