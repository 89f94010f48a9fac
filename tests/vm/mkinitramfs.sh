#!/usr/bin/env bash
# Build the guest's initramfs (cpio newc, gzip): busybox-static with its applets as links,
# bash, the project's tools, test and bench programs with the shared libraries ldd finds,
# the kernel modules the guest needs (decompressed, dependencies first), /init and its
# config. The guest mirrors the host: /build holds $BUILD's programs, /src the repo's
# test and bench scripts.
# Usage: tests/vm/mkinitramfs.sh MODE BUILD MODDIR OUT [FLAVOR]
#        (MODE: check | bench; FLAVOR: v2 | v1 | machine, see init.sh)
set -euo pipefail
mode=$1
build=$2
moddir=$3
out=$4
flavor=${5:-v2}
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
root=${out%.cpio.gz}-root # one tree per image: runs of two flavors may overlap
# Modules: the virtio disks (io.max needs a real block device; /tmp is an ext4 disk, as on a
# Debian host, so that page cache there is reclaimable) and veth for network tests.
modules=${LMCTL_VM_MODULES:-virtio_pci virtio_blk crc32c_generic ext4 veth}

rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root,build,src,lib/modules}

is_elf() { [ "$(head -c 4 "$1" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; }

# Copy one host file to the same path in the guest, following symlinks.
put() {
	mkdir -p "$root$(dirname "$2")"
	cp -L "$1" "$root$2"
}

# Copy the shared objects ldd lists for an ELF file (the loader included).
put_libs() {
	local lib
	is_elf "$1" || return 0
	for lib in $(ldd "$1" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }
			$1 ~ /^\// { print $1 }'); do
		[ -e "$root$lib" ] || put "$lib" "$lib"
	done
}

# Copy a program and its shared objects.
put_prog() {
	put "$1" "$2"
	chmod 0755 "$root$2"
	put_libs "$1"
}

# Debian's python3 with its standard library (no tests, caches or GUI), python3-protobuf and
# protoc, for tests that drive the agent from Python.
put_python() {
	local py f
	py=$(readlink -f /usr/bin/python3)
	put_prog "$py" "$py"
	ln -sf "${py##*/}" "$root/usr/bin/python3"
	tar -C / -cf - --exclude=test --exclude=tests --exclude=__pycache__ --exclude=idlelib \
		--exclude=tkinter --exclude=ensurepip --exclude=lib2to3 --exclude='config-*' \
		"usr/lib/${py##*/}" usr/lib/python3/dist-packages/google | tar -C "$root" -xf -
	while IFS= read -r f; do
		put_libs "$f"
	done < <(find "$root/usr/lib/${py##*/}" "$root/usr/lib/python3/dist-packages" -name '*.so')
	command -v protoc >/dev/null && put_prog "$(command -v protoc)" /usr/bin/protoc
	# protoc's well-known types (google/protobuf/*.proto), if a .proto imports them.
	[ -d /usr/include/google/protobuf ] &&
		put_tree /usr/include/google/protobuf
	return 0
}

put_tree() {
	mkdir -p "$root$(dirname "$1")"
	cp -r "$1" "$root$1"
}

# busybox first, so that real programs copied later replace its links.
bb=$(command -v busybox)
if ! is_elf "$bb" || ldd "$bb" >/dev/null 2>&1; then
	echo "mkinitramfs: $bb is not static (install busybox-static)" >&2
	exit 1
fi
cp "$bb" "$root/bin/busybox"
for a in $("$bb" --list-full); do
	[ -e "$root/$a" ] || [ -L "$root/$a" ] || ln -s /bin/busybox "$root/$a"
done
rm -f "$root/bin/bash"
put_prog "$(command -v bash)" /bin/bash

# The project's programs under /build, as on the host, with the tools on PATH too.
for t in lmctl lmctld; do
	if [ -x "$build/$t" ]; then
		put_prog "$build/$t" "/build/$t"
		ln -sf "/build/$t" "$root/bin/$t"
	fi
done
ntests=0
for t in "$build"/tests/integration/test_*; do
	[ -f "$t" ] && [ -x "$t" ] || continue
	# LMCTL_VM_TESTS="test_a test_b" runs only those programs (a quicker loop by hand).
	case " ${LMCTL_VM_TESTS:-${t##*/}} " in *" ${t##*/} "*) ;; *) continue ;; esac
	put_prog "$t" "/build/tests/integration/${t##*/}"
	ntests=$((ntests + 1))
done
nbench=0
if [ "$mode" = bench ]; then
	for t in "$build"/bench/*; do
		[ -f "$t" ] && [ -x "$t" ] || continue
		put_prog "$t" "/build/bench/${t##*/}"
		nbench=$((nbench + 1))
	done
fi
# Python only when a test needs it (a .py beside the tests, or a program naming python3):
# it triples the image. LMCTL_VM_PYTHON=1 forces it, 0 leaves it out.
want_py=${LMCTL_VM_PYTHON:-auto}
if [ "$want_py" = auto ]; then
	want_py=0
	if compgen -G "$repo/tests/integration/*.py" >/dev/null ||
		grep -qla python3 "$root"/build/tests/integration/* 2>/dev/null; then
		want_py=1
	fi
fi
[ "$want_py" = 1 ] && [ -x /usr/bin/python3 ] && put_python

# Scripts and fixtures the programs may open relative to the repo root.
# (README.md: test_python runs the node-agent loop it shows)
for d in tests bench proto python docs README.md; do
	[ -e "$repo/$d" ] && cp -r "$repo/$d" "$root/src/"
done
# proto/lmctl.proto imports the records core/ keeps (core/record.proto)
mkdir -p "$root/src/core" && cp "$repo/core/record.proto" "$root/src/core/"

"$here/modules.sh" "$moddir" "$root" $modules >"$root/etc/modules.order"

cp "$here/init.sh" "$root/init"
chmod 0755 "$root/init"
cat >"$root/etc/lmctl-vm.conf" <<EOF
MODE=$mode
FLAVOR=$flavor
TEST_TIMEOUT=${LMCTL_VM_TEST_TIMEOUT:-300}
EOF
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' \
	>"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"

(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
echo "mkinitramfs: $out ($(du -h "$out" | cut -f1)): $ntests integration tests," \
	"$nbench bench programs, python: $want_py, modules: $(tr '\n' ' ' <"$root/etc/modules.order")"
