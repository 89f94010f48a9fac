#!/usr/bin/env bash
# Install every Debian package lmctl needs to build, test and benchmark. Idempotent and
# non-interactive; run as root (CI does).
set -euo pipefail

pkgs=(
	build-essential pkg-config clang clang-format cppcheck
	libcgroup-dev cgroup-tools
	libprotobuf-c-dev protobuf-c-compiler protobuf-compiler python3-protobuf
	libev-dev libcmocka-dev
	iproute2 procps util-linux
	# the suite in VMs (tests/vm): qemu, the busybox initramfs, module decompression, and the
	# systemd guest's root filesystem (mmdebstrap, an ext4 image, a qcow2 layer over it)
	qemu-system-x86 qemu-utils busybox-static cpio xz-utils mmdebstrap e2fsprogs
	# make check-install renders the man pages
	man-db groff-base
	# test_cli2 drives `lmctl top` in a terminal
	tmux
	# test_json validates every --json output against docs/lmctl.schema.json
	python3-jsonschema
	# test_metrics scrapes the agent with a real Prometheus; make lint runs promtool
	prometheus
)

missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#pkgs[@]} packages present"
	exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
