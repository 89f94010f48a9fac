#!/usr/bin/env bash
# Run the suite in each VM flavor one after the other (tests/vm/run-vm.sh), whatever the
# earlier ones gave, then repeat every flavor's result line and fail if any failed.
# Usage: BUILD=build tests/vm/run-all.sh check|maybe FLAVOR...
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mode=$1
shift
results=()
status=0
for f in "$@"; do
	out=$(mktemp)
	"$here/run-vm.sh" "$mode" "$f" | tee "$out"
	rc=${PIPESTATUS[0]}
	line=$(grep -a "^vm-$f: \(PASSED\|FAILED\|SKIPPED\)" "$out" | tail -n 1)
	rm -f "$out"
	results+=("${line:-vm-$f: FAILED: no result line (exit $rc)}")
	[ "$rc" -eq 0 ] || status=1
done
echo
echo "=== VM results"
printf '%s\n' "${results[@]}"
exit $status
