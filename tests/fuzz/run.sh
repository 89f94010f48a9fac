#!/usr/bin/env bash
# Build the libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined) over every module
# and run each for a bounded time (FUZZ_SECONDS each, default 30), from the corpus kept in
# the tree (tests/fuzz/corpus/<target>, read only here) plus seed requests of every
# operation; new finds go to $FUZZ_BUILD/corpus/<target>. Exits non-zero on a crash, a leak
# or a sanitizer report.
#   fuzz_api    one request message dispatched by lmc_api_handle (dry run, root or not)
#   fuzz_frame  the agent's own reader, lmc_frame_reader_recv, over a unix socket with
#               descriptors beside the bytes, each frame dispatched (dry run): the only
#               framing path there is
# FUZZ_RUNS=N runs N inputs per target instead of a time bound (-runs); FUZZ_TARGETS picks.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${FUZZ_BUILD:-build-fuzz}
secs=${FUZZ_SECONDS:-30}
targets=${FUZZ_TARGETS:-fuzz_api fuzz_frame}
mkdir -p "$out/artifacts"
protoc-c -I. --c_out="$out" core/record.proto proto/lmctl.proto
srcs=$(ls base/*.c controllers/*.c nsutil/*.c policy/*.c core/*.c proto/*.c)
for t in $targets; do
	mkdir -p "$out/corpus/$t" "tests/fuzz/corpus/$t"
	# shellcheck disable=SC2086
	clang -std=gnu11 -g -O1 -D_GNU_SOURCE -I. -I"$out" -w \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
		-o "$out/$t" "tests/fuzz/$t.c" $srcs "$out/core/record.pb-c.c" "$out/proto/lmctl.pb-c.c" \
		-lcgroup -lprotobuf-c -lev -pthread
done
# Seeds: a request of every operation for each target (fuzz_api writes them: the message
# alone for itself, framed after fuzz_frame's second control byte, no descriptors and no
# hang-up, for fuzz_frame).
seeds="$out/seeds"
mkdir -p "$seeds/fuzz_api" "$seeds/fuzz_frame"
LMC_FUZZ_SEEDS="$seeds" "$out/fuzz_api" -runs=0 "$out/corpus/fuzz_api" >/dev/null 2>&1 || true
for t in $targets; do
	if [ -n "${FUZZ_RUNS:-}" ]; then
		bound=(-runs="$FUZZ_RUNS")
		echo "$t: running $FUZZ_RUNS inputs"
	else
		bound=(-max_total_time="$secs")
		echo "$t: running for ${secs}s"
	fi
	"$out/$t" "${bound[@]}" -max_len=8192 -print_final_stats=1 \
		-artifact_prefix="$out/artifacts/" "$out/corpus/$t" "tests/fuzz/corpus/$t" \
		"$seeds/$t" 2>&1 | tail -n 20
	[ "${PIPESTATUS[0]}" -eq 0 ] || exit 1
done
