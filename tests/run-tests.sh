#!/usr/bin/env bash
# Run test programs, print each one's output, and a closing tally line.
# Usage: tests/run-tests.sh SUITE BIN...
set -u
suite=$1
shift
pass=0
fail=0
failed=()
# Integration runs say where they run: kernel, cgroup mode, controllers, own cgroup.
if [ "$suite" = integration ]; then
	cg=/sys/fs/cgroup
	case $(stat -fc %T $cg 2>/dev/null) in
	cgroup2fs) mode="v2 (cgroup2 on $cg)" ;;
	tmpfs) mode="v1$([ -f $cg/unified/cgroup.procs ] && echo " + cgroup2 on $cg/unified (hybrid)")" ;;
	*) mode=unknown ;;
	esac
	echo "$suite: kernel $(uname -r), $(nproc) cpus, cgroup mode $mode"
	echo "$suite: controllers: $(awk 'NR > 1 && $4 == 1 { printf "%s ", $1 }' /proc/cgroups)" \
		"(cgroup2: $(cat $cg/cgroup.controllers $cg/unified/cgroup.controllers 2>/dev/null))"
	echo "$suite: test process cgroup: $(tr '\n' ' ' </proc/self/cgroup)"
fi
for t in "$@"; do
	echo "=== $suite: $(basename "$t")"
	if "$t"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		failed+=("$(basename "$t")")
	fi
done
echo "$suite: $pass passed, $fail failed"
if [ "$fail" -ne 0 ]; then
	echo "$suite: failing programs: ${failed[*]}"
	exit 1
fi
