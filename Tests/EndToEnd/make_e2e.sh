#!/usr/bin/env bash
# The Makefile end to end on the smoke pipeline, in a temporary artifact
# folder: `make all` writes the report, a second run does no stage work, a
# probe setting reruns only probe and report, and `make -j 2 sweep` runs two
# variants that share one prepare artifact, a sweep over seeds reports
# intervals and records its runs, `make verify` finds every
# artifact intact, `make runs` lists the runs and `make gc-list` names the
# unreached folders. Needs the
# release build.
set -euo pipefail
cd "$(dirname "$0")/../.."
# The outer make's flags (FORCE=1, SET=..., -j) must not leak into these runs.
unset MAKEFLAGS MFLAGS MAKELEVEL
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
common=(--no-print-directory PIPELINE=pipelines/smoke.yaml ARTIFACTS="$tmp/artifacts")

run() {  # run LOG make-args...: fails showing the log
    local log=$1; shift
    if ! make "${common[@]}" "$@" >"$log" 2>&1; then cat "$log"; echo "make_e2e: make $* failed"; exit 1; fi
}
expect() {  # expect LOG COUNT PATTERN
    local n; n=$(grep -cE "$3" "$1" || true)
    if [ "$n" != "$2" ]; then cat "$1"; echo "make_e2e: expected $2 lines matching '$3' in $1, got $n"; exit 1; fi
}

run "$tmp/first.log" all
expect "$tmp/first.log" 1 '^report: [^ ]+/report\.md$'
report=$(sed -nE 's|^report: ([^ ]+/report\.md)$|\1|p' "$tmp/first.log")
for f in report.md results.csv loss.svg collapse.svg schedules.svg masks.png; do
    [ -s "$(dirname "$report")/$f" ] || { echo "make_e2e: $f missing next to $report"; exit 1; }
done
expect "$tmp/first.log" 0 'up to date'

run "$tmp/second.log" all
expect "$tmp/second.log" 4 '^(prepare|pretrain|probe|report): up to date'

run "$tmp/probe.log" all SET="--set probe.knn_k=5"
expect "$tmp/probe.log" 2 '^(prepare|pretrain): up to date'
expect "$tmp/probe.log" 0 '^(probe|report): up to date'
expect "$tmp/probe.log" 1 '^probe: wrote'

# FORCE=1 forces the stage named and nothing upstream; FORCE=all every stage.
dry=$(make "${common[@]}" -n probe FORCE=1)
[ "$(grep -c -- '--force' <<< "$dry")" = 1 ] && grep -qE 'release/Probe .*--force' <<< "$dry" \
  || { echo "$dry"; echo "make_e2e: make -n probe FORCE=1 must pass --force to Probe alone"; exit 1; }
[ "$(make "${common[@]}" -n probe FORCE=all | grep -c -- '--force')" = 3 ] || { echo "make_e2e: FORCE=all must force every stage"; exit 1; }
for b in Prepare Pretrain Probe Report Store PretrainBench NumericsBench; do
    .build/release/$b --version | grep -qE '^[0-9]+\.[0-9]+\.[0-9]+ \(commit [0-9a-f]+' || { echo "make_e2e: $b --version"; exit 1; }
done
run "$tmp/sweep.log" -j 2 sweep SWEEP=pipelines/sweeps/smoke-target-scale.yaml THREADS=1
expect "$tmp/sweep.log" 1 '^report: [^ ]+/report\.md$'
prepares=$(find "$tmp/artifacts/prepare" -mindepth 1 -maxdepth 1 -not -name '.*' -type d | wc -l)
[ "$prepares" = 1 ] || { echo "make_e2e: $prepares prepare artifacts, expected 1 shared"; exit 1; }
rows=$(($(wc -l < "$(sed -nE 's|^report: ([^ ]+/report\.md)$|\1|p' "$tmp/sweep.log" | xargs dirname)/results.csv") - 1))
[ "$rows" = 2 ] || { echo "make_e2e: sweep results.csv has $rows rows, expected 2"; exit 1; }
# Replicates: 2 variants x 2 seeds, the baselines once per seed, a report
# with intervals and paired differences, aggregate rows in results.csv, and
# the runs recorded in a registry.
count_baselines() { find "$tmp/artifacts/probe-random" -mindepth 1 -maxdepth 1 -not -name '.*' -type d | wc -l; }
before=$(count_baselines)
run "$tmp/seeds.log" -j 2 sweep SWEEP=pipelines/sweeps/smoke-seeds.yaml THREADS=1
seeds_dir=$(sed -nE 's|^report: ([^ ]+/report\.md)$|\1|p' "$tmp/seeds.log" | xargs dirname)
grep -q '| 0 (ref) |' "$seeds_dir/report.md" || { cat "$seeds_dir/report.md"; echo "make_e2e: no reference row in the replicated report"; exit 1; }
grep -q ' ± ' "$seeds_dir/report.md" || { echo "make_e2e: the replicated report has no intervals"; exit 1; }
[ "$(grep -c '^run,' "$seeds_dir/results.csv")" = 4 ] || { echo "make_e2e: expected 4 per-seed rows"; exit 1; }
grep -q '^diff_mean,1,' "$seeds_dir/results.csv" || { echo "make_e2e: no paired-difference rows"; exit 1; }
# Seed 0's baseline is the smoke run's; seed 1 adds one, shared by both variants.
[ "$(count_baselines)" = $((before + 1)) ] || { echo "make_e2e: $(count_baselines) initial-weight baselines after the seeded sweep, expected $((before + 1)): one per seed, not per variant"; exit 1; }
run "$tmp/record.log" record-sweep SWEEP=pipelines/sweeps/smoke-seeds.yaml REGISTRY="$tmp/registry.csv"
[ "$(($(wc -l < "$tmp/registry.csv") - 1))" = 4 ] || { cat "$tmp/record.log"; echo "make_e2e: expected 4 registry rows"; exit 1; }
run "$tmp/replicates.log" all SEEDS="0 1"
grep -q 'Over 2 seeds (seeds 0, 1)' "$(sed -nE 's|^report: ([^ ]+/report\.md)$|\1|p' "$tmp/replicates.log")" \
  || { echo "make_e2e: make all SEEDS=\"0 1\" did not report over both seeds"; exit 1; }
# Store maintenance: the smoke pipeline's artifacts re-hash clean.
run "$tmp/verify.log" verify
expect "$tmp/verify.log" 0 '^DAMAGED'
expect "$tmp/verify.log" 0 '^missing'
# make runs lists every completed run with the values it changed; the
# knn_k=5 run (no file asks for it) is live for gc-list, by its recorded
# command, while a folder nothing made is listed.
run "$tmp/runs.log" runs
for want in 'probe.knn_k=5' 'smoke-target-scale.yaml variant 1' 'smoke-seeds.yaml variant 1' "(the file's values)"; do
    grep -qF -- "$want" "$tmp/runs.log" || { cat "$tmp/runs.log"; echo "make_e2e: make runs lacks '$want'"; exit 1; }
done
a=$(awk '/probe.knn_k=5/ {print $1; exit}' "$tmp/runs.log"); b=$(awk "/the file's values/ {print \$1; exit}" "$tmp/runs.log")
run "$tmp/diff.log" runs-diff A="$a" B="$b"
grep -q '^probe.knn_k: 5 -> ' "$tmp/diff.log" || { cat "$tmp/diff.log"; echo "make_e2e: runs-diff does not show knn_k"; exit 1; }
mkdir -p "$tmp/artifacts/pretrain/0000000000000000"
run "$tmp/gc.log" gc-list
grep -q "^$tmp/artifacts/probe/$a\$" "$tmp/gc.log" && { cat "$tmp/gc.log"; echo "make_e2e: gc-list lists the knn_k=5 run, which its command still makes"; exit 1; }
grep -q "^$tmp/artifacts/pretrain/0000000000000000\$" "$tmp/gc.log" || { cat "$tmp/gc.log"; echo "make_e2e: gc-list misses a folder nothing reaches"; exit 1; }
echo "make_e2e: all, rerun, probe change, 2-variant sweep, seeded sweep and replicates, record, runs, verify and gc-list behave (artifacts in a temporary folder)"
