#!/usr/bin/env bash
# Show that `make static`'s lmctl and lmctld run on a host that has none of the libraries
# they were built with: boot Debian's kernel (tests/vm/kernel.sh) under qemu with an
# initramfs holding only busybox-static and the two static programs (no shared object at
# all: no libcgroup, protobuf-c, libev, not even glibc's loader), on cgroup v2, and there run
# version, --help, init, create with limits (read back from the kernel's files), run (also
# as a user named in /etc/passwd), the agent serving a run, and destroy.
# Prints the guest's console and a closing "check-static: N passed, M failed" line.
# Usage: BUILD=build tests/vm/static-check.sh      (after make static)
# Skips (exit 0) only when no kernel can be had; LMCTL_VM_TIMEOUT bounds the guest (300 s).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${BUILD:-build}" 2>/dev/null && pwd) || {
	echo "check-static: no build directory ${BUILD:-build}" >&2
	exit 1
}
vmdir=$build/vm
root=$vmdir/static-root
initrd=$vmdir/initramfs-static.cpio.gz
log=$vmdir/console-static.log
timeout_s=${LMCTL_VM_TIMEOUT:-300}

fail() {
	echo "check-static: FAILED: $*"
	exit 1
}

for t in lmctl lmctld; do
	[ -x "$build/static/$t" ] || fail "no $build/static/$t (make static)"
	# A static executable has no program interpreter (PT_INTERP) and no needed libraries.
	if readelf -lW "$build/static/$t" | grep -q 'INTERP' ||
		readelf -dW "$build/static/$t" | grep -q 'NEEDED'; then
		fail "$build/static/$t is dynamically linked"
	fi
done
command -v qemu-system-x86_64 >/dev/null || fail "qemu-system-x86_64 is not installed (tools/install-deps.sh)"
bb=$(command -v busybox) || fail "busybox is not installed (busybox-static)"
readelf -lW "$bb" | grep -q INTERP && fail "$bb is not static (install busybox-static)"

mkdir -p "$vmdir"
kout=$("$here/kernel.sh" "$vmdir")
krc=$?
if [ $krc -eq 2 ]; then
	echo "check-static: skipped: no kernel to boot (no linux-image package from apt, none cached)"
	exit 0
fi
[ $krc -eq 0 ] || fail "tests/vm/kernel.sh failed ($krc)"
vmlinuz=$(sed -n 1p <<<"$kout")

# ---- the image: busybox, the two static programs, /init; nothing else ----
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root,var/lib}
cp "$bb" "$root/bin/busybox"
for a in $("$bb" --list-full); do
	[ -e "$root/$a" ] || [ -L "$root/$a" ] || ln -s /bin/busybox "$root/$a"
done
cp "$build/static/lmctl" "$root/bin/lmctl"
cp "$build/static/lmctld" "$root/sbin/lmctld"
# A host's user database, so that names resolve without NSS modules.
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
	>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
cat >"$root/init" <<'EOF'
#!/bin/sh
# The guest: each step prints "static: ok|FAIL STEP"; a marker line closes the run.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t cgroup2 cgroup2 /sys/fs/cgroup
pass=0
failed=0
step() {
	name=$1
	shift
	if "$@" >/tmp/out 2>&1; then
		pass=$((pass + 1))
		echo "static: ok   $name"
	else
		failed=$((failed + 1))
		echo "static: FAIL $name"
		sed 's/^/    /' /tmp/out
	fi
}
echo "static: kernel $(uname -r); cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
echo "static: shared objects in the image: $(find / -xdev \( -name '*.so' -o -name '*.so.*' \) | wc -l)"
has() { grep -q "$1" /tmp/out; }
is() { [ "$(cat "$1")" = "$2" ]; }
step "lmctl version" sh -c 'lmctl version && lmctl version | grep -q "^lmctl [0-9]"'
step "lmctld --help" sh -c 'lmctld --help | grep -q "Usage: lmctld"'
step "lmctl init" lmctl init
step "lmctl create x --memory=64M --pids-limit=10" lmctl create x --memory=64M --pids-limit=10
# x's directory, wherever lmctl's root is.
cg=$(find /sys/fs/cgroup -type d -name x | head -n 1)
echo "static: x is ${cg:-nowhere}"
step "memory.max of x is 64M" is "$cg/memory.max" 67108864
step "pids.max of x is 10" is "$cg/pids.max" 10
step "lmctl run x -- /bin/true" lmctl run x -- /bin/true
step "lmctl run x -- /bin/false exits 1" sh -c 'lmctl run x -- /bin/false; [ $? = 1 ]'
step "lmctl run --uid=nobody --gid=nogroup (names from /etc/passwd)" \
	lmctl run x --uid=nobody --gid=nogroup -- /bin/sh -c '[ "$(id -u):$(id -g)" = 65534:65534 ]'
# The agent: started, serving one run and a list, stopped.
mkdir -p /run/lmctl
lmctld >/tmp/agent.log 2>&1 &
apid=$!
i=0
while [ ! -S /run/lmctl/lmctld.sock ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
step "lmctld listens" test -S /run/lmctl/lmctld.sock
step "lmctl run x -- /bin/true through lmctld" lmctl run x -- /bin/true
step "lmctl list -r through lmctld" sh -c 'lmctl list -r | grep -qx x'
kill -TERM $apid
wait $apid
echo "static: lmctld exited $? after SIGTERM; its log:"
sed 's/^/    /' /tmp/agent.log
step "lmctl destroy x" lmctl destroy x
step "x's cgroup is gone" test ! -e "$cg"
echo "LMCTL-STATIC-RESULT passed=$pass failed=$failed"
sync
poweroff -f
EOF
chmod 0755 "$root/init"
nso=$(find "$root" \( -name '*.so' -o -name '*.so.*' \) | wc -l)
[ "$nso" -eq 0 ] || fail "the image holds $nso shared objects"
if ! (cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$initrd.tmp"; then
	fail "cannot build the initramfs"
fi
mv "$initrd.tmp" "$initrd"
echo "check-static: image $(du -h "$initrd" | cut -f1): busybox, lmctl, lmctld; no shared objects"

# ---- boot it ----
: >"$log"
qemu-system-x86_64 -machine q35 -accel tcg -cpu max -smp 2 -m 512 \
	-nodefaults -display none -monitor none -no-reboot -serial "file:$log" \
	-kernel "$vmlinuz" -initrd "$initrd" \
	-append "console=ttyS0 panic=-1 cgroup_no_v1=all quiet" </dev/null &
qpid=$!
tail -n +1 -f --pid=$qpid "$log" &
tpid=$!
trap 'kill -KILL $qpid $tpid 2>/dev/null' EXIT
trap 'exit 130' INT TERM
start=$(date +%s)
while kill -0 $qpid 2>/dev/null; do
	if [ $(($(date +%s) - start)) -ge "$timeout_s" ]; then
		kill -KILL $qpid 2>/dev/null
		wait $qpid 2>/dev/null
		wait $tpid 2>/dev/null
		fail "guest still running after ${timeout_s}s (console: $log)"
	fi
	sleep 1
done
wait $qpid 2>/dev/null
wait $tpid 2>/dev/null

marker=$(tr -d '\r' <"$log" | grep -a '^LMCTL-STATIC-RESULT ' | tail -n 1)
[ -n "$marker" ] || fail "the guest ended without a result line (console: $log)"
passed=$(sed -n 's/.* passed=\([0-9]*\).*/\1/p' <<<"$marker")
failed=$(sed -n 's/.* failed=\([0-9]*\).*/\1/p' <<<"$marker")
echo "check-static: $passed passed, $failed failed (static lmctl and lmctld in $(($(date +%s) - start))s of a busybox-only VM)"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
