#!/usr/bin/env bash
# Fetch a Debian amd64 kernel image package and unpack it under $BUILD/vm, never installing
# it on the host. Prints two lines: the vmlinuz path and the modules directory.
# SUITE "host" (default) takes the host's own apt sources (Debian 12: 6.1); any other suite
# (e.g. bookworm-backports: 6.12) is reached through a private apt configuration under
# VMDIR (its own sources.list and lists directory), so the host's apt setup is untouched.
# A second run reuses the cached .deb and the unpacked tree; with no apt lists (offline) the
# newest cached .deb is used. Exit 2 when no kernel can be had (run-vm.sh maybe then skips).
# Usage: tests/vm/kernel.sh VMDIR [SUITE]
set -euo pipefail
mkdir -p "$1"
vmdir=$(cd "$1" && pwd)
suite=${2:-host}
mirror=${LMCTL_VM_MIRROR:-http://deb.debian.org/debian}
cache=$vmdir/cache
[ "$suite" = host ] || cache=$vmdir/cache-$suite
mkdir -p "$cache"

aptopts=()
if [ "$suite" != host ]; then
	mkdir -p "$cache/lists/partial" "$cache/sources.parts"
	echo "deb $mirror $suite main" >"$cache/sources.list"
	aptopts=(-o "Dir::Etc::SourceList=$cache/sources.list" -o "Dir::Etc::SourceParts=$cache/sources.parts"
		-o "Dir::State::Lists=$cache/lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
		-o APT::Get::List-Cleanup=0)
fi

# The image package the meta package depends on, e.g. linux-image-6.1.0-56-amd64.
resolve() {
	apt-cache "${aptopts[@]}" depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

pkg=
# A private suite's lists are refreshed once a day; the host's only when it has none.
if [ "$suite" != host ] && [ -z "$(find "$cache/lists" -maxdepth 1 -name '*Packages*' -mtime -1)" ]; then
	apt-get "${aptopts[@]}" update -q >&2 || true
fi
pkg=$(resolve || true)
if [ -z "$pkg" ] && [ "$suite" = host ] && [ "$(id -u)" = 0 ]; then
	# apt-cache knows nothing before the first 'apt-get update' on a fresh machine.
	apt-get update -q >&2 || true
	pkg=$(resolve || true)
fi

deb=
if [ -n "$pkg" ]; then
	deb=$(ls -1 "$cache/${pkg}_"*.deb 2>/dev/null | tail -n 1 || true)
	if [ -z "$deb" ]; then
		echo "vm: downloading $pkg" >&2
		# apt's sandbox user cannot write into a root-owned build tree: download to a
		# temporary directory it can write, then move.
		tmp=$(mktemp -d)
		chmod 0777 "$tmp"
		if (cd "$tmp" && apt-get "${aptopts[@]}" download -q "$pkg" >&2); then
			mv "$tmp"/*.deb "$cache/"
		fi
		rm -rf "$tmp"
		deb=$(ls -1 "$cache/${pkg}_"*.deb 2>/dev/null | tail -n 1 || true)
	fi
fi
if [ -z "$deb" ]; then
	deb=$(ls -1t "$cache"/linux-image-*.deb 2>/dev/null | head -n 1 || true)
fi
if [ -z "$deb" ]; then
	echo "no kernel package: 'apt-cache depends linux-image-amd64' resolved" \
		"'${pkg:-nothing}' and none is cached in $cache" >&2
	exit 2
fi

# Unpack once per .deb; the stamp names the .deb the tree came from.
kroot=$vmdir/kroot
[ "$suite" = host ] || kroot=$vmdir/kroot-$suite
stamp=$kroot/.from
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$(basename "$deb")" ]; then
	echo "vm: unpacking $(basename "$deb")" >&2
	rm -rf "$kroot"
	mkdir -p "$kroot"
	dpkg -x "$deb" "$kroot"
	basename "$deb" >"$stamp"
fi

vmlinuz=$(ls -1 "$kroot"/boot/vmlinuz-* 2>/dev/null | head -n 1 || true)
if [ -z "$vmlinuz" ]; then
	echo "no vmlinuz in $deb" >&2
	exit 2
fi
ver=${vmlinuz##*/vmlinuz-}
moddir=$kroot/lib/modules/$ver
[ -d "$moddir" ] || moddir=$kroot/usr/lib/modules/$ver
echo "$vmlinuz"
echo "$moddir"
