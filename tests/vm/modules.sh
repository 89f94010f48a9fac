#!/usr/bin/env bash
# Copy kernel modules and their dependencies into the guest tree, decompressed (busybox
# insmod reads only plain .ko), and print their guest paths in load order (dependencies
# first). Dependencies come from modules.dep when the package ships one, else from each
# module's own .modinfo "depends=" (what depmod derives modules.dep from). Modules built
# into the kernel (modules.builtin) are skipped.
# Usage: tests/vm/modules.sh MODDIR ROOT NAME...
set -euo pipefail
moddir=$1
root=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

declare -A path=() seen=()
while IFS= read -r f; do
	n=${f##*/}
	n=${n%%.ko*}
	path[${n//-/_}]=$f
done < <(find "$moddir" -name '*.ko*' -type f)

builtin() {
	[ -f "$moddir/modules.builtin" ] &&
		sed 's|.*/||; s|\.ko.*||; s|-|_|g' "$moddir/modules.builtin" | grep -qx "$1"
}

# Write the plain .ko for module $1 to $2.
plain() {
	case $1 in
	*.ko) cp "$1" "$2" ;;
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.zst) zstd -q -dc "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*)
		echo "modules: unknown compression: $1" >&2
		return 1
		;;
	esac
}

deps_of() {
	local n=$1 rel
	if [ -s "$moddir/modules.dep" ]; then
		rel=${path[$n]#"$moddir"/}
		awk -v m="$rel:" '$1 == m { for (i = 2; i <= NF; i++) print $i }' \
			"$moddir/modules.dep" | sed 's|.*/||; s|\.ko.*||; s|-|_|g'
	else
		objcopy -O binary --only-section=.modinfo "$tmp/$n.ko" /dev/stdout |
			tr '\0' '\n' | sed -n 's/^depends=//p' | tr ',' '\n' | sed '/^$/d; s/-/_/g'
	fi
}

visit() {
	local n=${1//-/_} d
	[ -z "${seen[$n]:-}" ] || return 0
	seen[$n]=1
	if [ -z "${path[$n]:-}" ]; then
		builtin "$n" && return 0
		echo "modules: $n is neither built in nor a module of $moddir" >&2
		return 1
	fi
	plain "${path[$n]}" "$tmp/$n.ko"
	for d in $(deps_of "$n"); do
		visit "$d"
	done
	mkdir -p "$root/lib/modules"
	cp "$tmp/$n.ko" "$root/lib/modules/$n.ko"
	echo "/lib/modules/$n.ko"
}

for m in "$@"; do
	visit "$m"
done
