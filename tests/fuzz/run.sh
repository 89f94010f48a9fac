#!/usr/bin/env bash
# Build the libFuzzer target tests/fuzz/fuzz_api.c (clang, -fsanitize=fuzzer,address) over
# every module and run it for a bounded time (FUZZ_SECONDS, default 60) from seed requests of
# every operation. Exits non-zero on a crash, a leak or a sanitizer report.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${FUZZ_BUILD:-build-fuzz}
secs=${FUZZ_SECONDS:-60}
mkdir -p "$out/corpus" "$out/artifacts"
protoc-c --c_out="$out" proto/lmctl.proto
srcs=$(ls core/*.c controllers/*.c policy/*.c nsutil/*.c proto/*.c)
# shellcheck disable=SC2086
clang -std=gnu11 -g -O1 -D_GNU_SOURCE -I. -I"$out" -w \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-o "$out/fuzz_api" tests/fuzz/fuzz_api.c $srcs "$out/proto/lmctl.pb-c.c" \
	-lcgroup -lprotobuf-c -lev -pthread
LMC_FUZZ_SEEDS="$out/corpus" "$out/fuzz_api" -runs=0 "$out/corpus" >/dev/null 2>&1
echo "fuzz_api: running for ${secs}s"
"$out/fuzz_api" -max_total_time="$secs" -max_len=8192 -print_final_stats=1 \
	-artifact_prefix="$out/artifacts/" "$out/corpus" 2>&1 | tail -n 20
