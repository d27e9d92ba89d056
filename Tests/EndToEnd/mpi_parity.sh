#!/usr/bin/env bash
# Data-parallel Pretrain (the MPI build) against one process on the smoke
# pipeline, one thread per rank: 2 ranks must give the 1-process run's loss
# curve within float rounding, and a checkpoint must resume with another rank
# count (2 -> 1 and 1 -> 2) onto the same curve. Prints the largest loss
# difference last. TRANSPORT=tcp runs the ranks over TCP alone.
set -euo pipefail
mpi_bin=${MPI_BIN:-.build-mpi/release}
bin=${BIN:-.build/release}
mpirun=(${MPIRUN:-mpirun} ${MPIRUN_FLAGS:-})
[ "$(id -u)" = 0 ] && mpirun+=(--allow-run-as-root)
# TRANSPORT=sm (default): shared memory only, and no cross-memory attach
# (refused in many containers). TRANSPORT=tcp: TCP only, over loopback, the
# transport two hosts use (docs/stages.md, "Several hosts").
transport=${TRANSPORT:-sm}
case $transport in
  sm) mpirun+=(--mca btl self,vader --mca btl_vader_single_copy_mechanism none) ;;
  tcp) mpirun+=(--mca btl tcp,self --mca btl_tcp_if_include lo --mca oob_tcp_if_include lo) ;;
  *) echo "mpi parity: TRANSPORT must be sm or tcp, not $transport"; exit 2 ;;
esac
mpirun+=(--bind-to none)
tolerance=${TOLERANCE:-1e-4}
cfg=pipelines/smoke.yaml
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export IJEPA_THREADS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 IJEPA_LOG_LEVEL=warning

"$bin/Prepare" --config "$cfg" --artifacts "$tmp/one" >/dev/null
for d in two two-to-one one-to-two; do mkdir -p "$tmp/$d" && cp -r "$tmp/one/prepare" "$tmp/$d/"; done

pretrain() { "$mpi_bin/Pretrain" --config "$cfg" --artifacts "$@"; }
pretrain "$tmp/one" >/dev/null
"${mpirun[@]}" -np 2 "$mpi_bin/Pretrain" --config "$cfg" --artifacts "$tmp/two" >/dev/null
"${mpirun[@]}" -np 2 "$mpi_bin/Pretrain" --config "$cfg" --artifacts "$tmp/two-to-one" --stop-after 24 >/dev/null
pretrain "$tmp/two-to-one" --resume >/dev/null
pretrain "$tmp/one-to-two" --stop-after 24 >/dev/null
"${mpirun[@]}" -np 2 "$mpi_bin/Pretrain" --config "$cfg" --artifacts "$tmp/one-to-two" --resume >/dev/null

# The default (MPI-free) build refuses to run as several ranks: it would
# train independent copies that all write the same artifact.
if "${mpirun[@]}" -np 2 "$bin/Pretrain" --config "$cfg" --artifacts "$tmp/default-build" >"$tmp/refused.log" 2>&1; then
  echo "mpi parity: the default build ran under mpirun -np 2"; exit 1
fi
grep -q "built without MPI" "$tmp/refused.log" || { echo "mpi parity: the default build failed otherwise:"; cat "$tmp/refused.log"; exit 1; }

ref=$(echo "$tmp"/one/pretrain/*/log.csv)
worst=0
for d in two two-to-one one-to-two; do
  log=$(echo "$tmp/$d"/pretrain/*/log.csv)
  [ -f "$log" ] || { echo "mpi parity: $d: no finished artifact"; exit 1; }
  # Same key whatever the rank count: the artifact folders have the same name.
  [ "$(basename "$(dirname "$log")")" = "$(basename "$(dirname "$ref")")" ] \
    || { echo "mpi parity: $d: artifact key differs from the 1-process run"; exit 1; }
  diff=$(paste -d, "$ref" "$log" | awk -F, -v n="$(head -1 "$ref" | tr ',' '\n' | wc -l)" '
    NR > 1 { rows++; d = $3 - $(n + 3); if (d < 0) d = -d; if (d > m) { m = d; s = $2 } }
    END { if (rows == 0) { print "none"; exit } printf "%.3g %d %d\n", m, s, rows }')
  read -r d_max d_step d_rows <<<"$diff"
  [ "$d_rows" = "$(($(wc -l <"$ref") - 1))" ] && [ "$(wc -l <"$log")" = "$(wc -l <"$ref")" ] \
    || { echo "mpi parity: $d: $(wc -l <"$log") log lines, the 1-process run has $(wc -l <"$ref")"; exit 1; }
  ranks=$(grep -o '"ranks" *: *"[^"]*"' "$(dirname "$log")/manifest.json" || true)
  case $d in two) want="MPI, 2 ranks" ;; two-to-one) want="1 process" ;; *) want="MPI, 2 ranks" ;; esac
  [[ $ranks == *"$want"* ]] || { echo "mpi parity: $d: manifest says $ranks, expected $want"; exit 1; }
  echo "mpi parity ($transport): $d: largest loss difference $d_max at step $d_step over $d_rows steps"
  worst=$(awk -v a="$worst" -v b="$d_max" 'BEGIN { print (b > a) ? b : a }')
done
if awk -v w="$worst" -v t="$tolerance" 'BEGIN { exit !(w > t) }'; then
  echo "mpi parity ($transport): FAILED: a loss differs by more than $tolerance"
  exit 1
fi
echo "largest loss difference, 2 ranks ($transport) vs 1 process: $worst"
