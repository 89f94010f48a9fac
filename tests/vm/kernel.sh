#!/usr/bin/env bash
# Fetch Debian's default amd64 kernel image package and unpack it under $BUILD/vm, never
# installing it on the host. Prints two lines: the vmlinuz path and the modules directory.
# A second run reuses the cached .deb and the unpacked tree; with no apt lists (offline) the
# newest cached .deb is used. Exit 2 when no kernel can be had (run-v2.sh maybe then skips).
# Usage: tests/vm/kernel.sh VMDIR
set -euo pipefail
vmdir=$1
cache=$vmdir/cache
mkdir -p "$cache"

# The image package the meta package depends on, e.g. linux-image-6.1.0-56-amd64.
resolve() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'
}

pkg=$(resolve || true)
if [ -z "$pkg" ] && [ "$(id -u)" = 0 ]; then
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
		if (cd "$tmp" && apt-get download -q "$pkg" >&2); then
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
