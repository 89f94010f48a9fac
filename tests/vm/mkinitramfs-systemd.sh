#!/usr/bin/env bash
# Build the systemd guest's initramfs: busybox-static, the modules that reach the root disk
# (virtio, ext4 and the crc32c it asks for) and veth, and a payload that tests/vm/init-systemd.sh copies into the root
# filesystem before it hands over to systemd: lmctl installed by `make install`
# (DESTDIR=payload, PREFIX=/usr/local), the test and bench programs under /build, the
# repo's scripts under /src, and the unit that runs tests/vm/guest-systemd.sh once booted.
# The programs' shared libraries come from Debian packages in the root filesystem.
# Usage: tests/vm/mkinitramfs-systemd.sh MODE BUILD MODDIR OUT     (MODE: check | bench)
set -euo pipefail
mode=$1
build=$2
moddir=$3
out=$4
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
root=${out%.cpio.gz}-root
pay=$root/payload
modules="virtio_pci virtio_blk crc32c_generic ext4 veth"

rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,newroot,etc,lib/modules} "$pay"
bb=$(command -v busybox)
if ldd "$bb" >/dev/null 2>&1; then
	echo "mkinitramfs: $bb is not static (install busybox-static)" >&2
	exit 1
fi
cp "$bb" "$root/bin/busybox"
for a in $("$bb" --list-full); do
	[ -e "$root/$a" ] || ln -s /bin/busybox "$root/$a"
done

# The project as a user installs it. The build directory must be the one `make` uses.
if make -C "$repo" -n install >/dev/null 2>&1; then
	make -C "$repo" --no-print-directory -s BUILD="$build" DESTDIR="$pay" PREFIX=/usr/local \
		install >&2
	how="make install"
else
	# Stand-in until `make install` exists: the same files by hand.
	install -D -m 0755 "$build/lmctl" "$pay/usr/local/bin/lmctl"
	install -D -m 0755 "$build/lmctld" "$pay/usr/local/sbin/lmctld"
	mkdir -p "$pay/usr/local/lib/systemd/system"
	sed 's|@SBINDIR@|/usr/local/sbin|g; s|/usr/local/sbin/lmctld|/usr/local/sbin/lmctld|' \
		"$repo/tools/agent/lmctld.service" >"$pay/usr/local/lib/systemd/system/lmctld.service"
	how="stand-in install (no make install target)"
fi
[ -f "$pay/usr/local/lib/systemd/system/lmctld.service" ] || {
	echo "mkinitramfs: the install put no lmctld.service in /usr/local/lib/systemd/system" >&2
	exit 1
}
mkdir -p "$pay/build/tests/integration" "$pay/src" "$pay/usr/local/lib/lmctl-vm" \
	"$pay/etc/systemd/system/multi-user.target.wants"
ntests=0
for t in "$build"/tests/integration/test_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	# LMCTL_VM_TESTS="test_a test_b" runs only those programs (a quicker loop by hand).
	case " ${LMCTL_VM_TESTS:-${t##*/}} " in *" ${t##*/} "*) ;; *) continue ;; esac
	cp "$t" "$pay/build/tests/integration/"
	ntests=$((ntests + 1))
done
if [ "$mode" = bench ]; then
	mkdir -p "$pay/build/bench"
	for t in "$build"/bench/*; do
		[ -f "$t" ] && [ -x "$t" ] && cp "$t" "$pay/build/bench/"
	done
fi
# (README.md: test_python runs the node-agent loop it shows)
for d in tests bench proto python docs README.md; do
	[ -e "$repo/$d" ] && cp -r "$repo/$d" "$pay/src/"
done
# proto/lmctl.proto imports the records core/ keeps (core/record.proto)
mkdir -p "$pay/src/core" && cp "$repo/core/record.proto" "$pay/src/core/"
cp "$here/guest-systemd.sh" "$pay/usr/local/lib/lmctl-vm/guest.sh"
chmod 0755 "$pay/usr/local/lib/lmctl-vm/guest.sh"
cat >"$pay/etc/lmctl-vm.conf" <<CONF
MODE=$mode
BENCH_ITERS=${BENCH_ITERS:-100}
TEST_TIMEOUT=${LMCTL_VM_TEST_TIMEOUT:-300}
INSTALLED_BY="$how"
CONF
cat >"$pay/etc/systemd/system/lmctl-vm.service" <<'UNIT'
[Unit]
Description=lmctl VM checks and integration suite
After=multi-user.target
[Service]
Type=oneshot
ExecStart=/usr/local/lib/lmctl-vm/guest.sh
StandardOutput=tty
StandardError=tty
TTYPath=/dev/console
TimeoutStartSec=infinity
[Install]
WantedBy=multi-user.target
UNIT
ln -s ../lmctl-vm.service "$pay/etc/systemd/system/multi-user.target.wants/lmctl-vm.service"

"$here/modules.sh" "$moddir" "$root" $modules >"$root/etc/modules.order"
cp "$here/init-systemd.sh" "$root/init"
chmod 0755 "$root/init"

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out ($(du -h "$out" | cut -f1)): $how, $ntests integration tests," \
	"modules: $(tr '\n' ' ' <"$root/etc/modules.order")" >&2
