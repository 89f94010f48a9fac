#!/usr/bin/env bash
# Build (once) the systemd guest's root filesystem: Debian bookworm from Debian's archive
# with mmdebstrap (minbase, systemd as PID 1, udev, the runtime libraries lmctl and its
# tests link, python3-protobuf and protoc for test_python), written into an ext4 image.
# systemd comes from bookworm-backports (254): bookworm's 252 cannot restart a Delegate=yes
# service whose cgroup has controllers enabled below it while that subtree is populated
# (the new main process cannot join an inner cgroup: status=219/CGROUP); 254 has
# DelegateSubgroup=, which tools/agent/lmctld.service uses.
# The image is cached under VMDIR, named by a hash of the suite, the package list and the
# recipe's version (bump it when the hooks change): a second run prints the cached path at
# once. Nothing on the host is changed (mmdebstrap uses its own apt setup).
# Prints the image path. Exit 2 when the archive cannot be reached and nothing is cached.
# Usage: tests/vm/rootfs.sh VMDIR
set -euo pipefail
vmdir=$1
mirror=${LMCTL_VM_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
bpo="systemd systemd-sysv udev libsystemd0 libsystemd-shared libudev1"
# shellcheck disable=SC2086 # one word per package
pkgs=$(printf '%s/bookworm-backports,' $bpo)kmod,iproute2,procps,util-linux,e2fsprogs
pkgs=$pkgs,libcgroup2,libprotobuf-c1,libev4,libcmocka0,python3-protobuf,protobuf-compiler

recipe=2
key=$(printf '%s\n' "$suite" "$pkgs" "$recipe" | sha256sum | cut -c1-12)
img=$vmdir/rootfs-$suite-$key.img
if [ -s "$img" ]; then
	echo "$img"
	exit 0
fi
command -v mmdebstrap >/dev/null || {
	echo "rootfs: mmdebstrap is not installed (tools/install-deps.sh)" >&2
	exit 1
}
mkdir -p "$vmdir"
tree=$vmdir/rootfs-tree
rm -rf "$tree" "$img.tmp"
start=$(date +%s)
echo "rootfs: mmdebstrap $suite ($pkgs) from $mirror" >&2
# The customize hook runs on the host with the tree as $1: the guest's fixed setup. The
# per-run payload (lmctl installed, tests, the unit that runs them) comes in the initramfs.
if ! mmdebstrap --quiet --variant=minbase --include="$pkgs" \
	--dpkgopt='path-exclude=/usr/share/{doc,man,locale,info}/*' \
	--dpkgopt='path-include=/usr/share/doc/*/copyright' \
	--customize-hook='echo lmctl-vm >"$1/etc/hostname"' \
	--customize-hook='echo "/dev/vda / ext4 rw,relatime 0 1" >"$1/etc/fstab"' \
	--customize-hook='chroot "$1" passwd -d root >/dev/null' \
	--customize-hook='rm -f "$1/etc/machine-id"; touch "$1/etc/machine-id"' \
	"$suite" "$tree" "deb $mirror $suite main" "deb $mirror $suite-backports main" >&2; then
	rm -rf "$tree"
	if ! getent hosts "${mirror#*://}" >/dev/null 2>&1; then
		echo "rootfs: cannot reach ${mirror}" >&2
		exit 2
	fi
	echo "rootfs: mmdebstrap failed" >&2
	exit 1
fi
# Room for the tests' state and logs: the image is sparse, only used blocks cost disk.
mke2fs -q -t ext4 -L lmctl-vm -d "$tree" "$img.tmp" 2G >&2
rm -rf "$tree"
mv "$img.tmp" "$img"
echo "rootfs: built $img in $(($(date +%s) - start))s ($(du -h "$img" | cut -f1) used)" >&2
echo "$img"
