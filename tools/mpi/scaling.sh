#!/usr/bin/env bash
# Pretrain throughput of the MPI build on this host: 1 process with 1 thread,
# N ranks with 1 thread each, and 1 process with N threads, STEPS steps of
# PIPELINE each (median ms per step after the first 3). Prints images/s and
# the scaling efficiency of N ranks against N times one rank.
# Usage: tools/mpi/scaling.sh [N] (after make build-mpi and make prepare)
set -euo pipefail
n=${1:-2}
steps=${STEPS:-20}
pipeline=${PIPELINE:-pipelines/default.yaml}
bin=${MPI_BIN:-.build-mpi/release}
mpirun=(${MPIRUN:-mpirun} --mca btl self,vader --mca btl_vader_single_copy_mechanism none)
[ "$(id -u)" = 0 ] && mpirun+=(--allow-run-as-root)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/a" && cp -r "${ARTIFACTS:-artifacts}/prepare" "$tmp/a/"

# Median images/s of a run's steps after the first 3 (log.csv column 10).
rate() {
  awk -F, 'NR > 4 { print $10 }' "$1"/pretrain/.work-*/log.csv | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
grep -h "gradient allreduce" "$tmp"/*.err || true
}
run() {  # name, then the command
  local dir=$tmp/$1; shift
  mkdir -p "$dir" && cp -r "$tmp/a/prepare" "$dir/"
  "$@" --config "$pipeline" --artifacts "$dir" --stop-after "$steps" >/dev/null 2>"$dir.err" || { cat "$dir.err"; exit 1; }
  rate "$dir"
}
one=$(IJEPA_THREADS=1 OMP_NUM_THREADS=1 run one "$bin/Pretrain")
ranks=$(IJEPA_THREADS=1 OMP_NUM_THREADS=1 run ranks "${mpirun[@]}" -x IJEPA_THREADS -x OMP_NUM_THREADS -np "$n" "$bin/Pretrain")
threads=$(IJEPA_THREADS=$n OMP_NUM_THREADS=$n run threads "$bin/Pretrain")
awk -v one="$one" -v r="$ranks" -v t="$threads" -v n="$n" 'BEGIN {
  printf "1 process, 1 thread:     %7.1f images/s\n", one
  printf "%d ranks, 1 thread each:  %7.1f images/s\n", n, r
  printf "1 process, %d threads:    %7.1f images/s\n", n, t
  printf "scaling efficiency of %d ranks: %.0f%% (%.2fx one rank; %.2fx the %d-thread process)\n", n, 100 * r / (n * one), r / one, r / t, n
}'
grep -h "gradient allreduce" "$tmp"/*.err || true
