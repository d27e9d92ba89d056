#!/usr/bin/env bash
# Mutation fuzzing of the PNG, JPEG and IDX (plain and gzip) decoders under
# AddressSanitizer: thousands of mutated inputs, each must decode or fail
# with an error; a memory error aborts the run (non-zero exit), a case over
# 10 s is a hang. The build goes to its own folder (.build-asan) so it never
# mixes with the normal builds.
set -euo pipefail
cd "$(dirname "$0")/../.."
cases=${FUZZ_CASES:-3000}
# (ld.gold warns once per sanitizer symbol it cannot export: noise.)
swift build --sanitize=address --scratch-path .build-asan --product FuzzDecoders 2>&1 \
    | grep -vE '^\[[0-9]+/[0-9]+\]|Cannot export local symbol' || true
bin=$(swift build --sanitize=address --scratch-path .build-asan --show-bin-path)/FuzzDecoders
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# halt_on_error: the first memory error ends the run with its report.
ASAN_OPTIONS=halt_on_error=1:detect_leaks=0:allocator_may_return_null=1 \
    timeout 900 "$bin" --cases "$cases" --work-dir "$work"
