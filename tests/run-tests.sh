#!/usr/bin/env bash
# Run test programs, print each one's output, and a closing tally line.
# Usage: tests/run-tests.sh SUITE BIN...
set -u
suite=$1
shift
pass=0
fail=0
failed=()
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
