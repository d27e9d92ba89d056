#!/usr/bin/env bash
# Pretrain streams a train split 8 times its data.buffer_mb: its peak
# resident memory (getrusage, written to the manifest as
# details.peak_resident_mib, the largest of any rank) stays under
# data.buffer_mb + LIMIT_MIB on one process, while the same split held in
# memory peaks above the split's size (so the check can fail). Probe on the
# same split (patches read a batch at a time, raw pixels limited by
# probe.pixel_limit_mb) stays under probe.pixel_limit_mb + LIMIT_MIB, where
# the split alone, loaded, would not fit. With MPI_BIN (the MPI build, make
# test-mpi) it checks 2 Pretrain ranks instead.
# LIMIT_MIB covers the runtime and libraries, the model, its optimizer and
# its activations at batch 256: measured 210 MiB beside the buffer (buffers
# of 8 and 32 MiB peaked at 218 and 241 MiB). Needs the release build; the
# data is 65536 random 64x64 grayscale images (256 MiB) as IDX files.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=${BIN:-.build/release}
mpi_bin=${MPI_BIN:-}
buffer=32
limit=${LIMIT_MIB:-240}
images=65536
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export IJEPA_LOG_LEVEL=warning

quiet() {  # quiet COMMAND...: its output only when it fails
  if ! "$@" >"$tmp/step.log" 2>&1; then cat "$tmp/step.log"; echo "stream memory: $1 failed"; exit 1; fi
}

mkdir -p "$tmp/data"
perl -e 'print pack("N4", 0x803, $ARGV[0], 64, 64)' "$images" >"$tmp/data/train-images-idx3-ubyte"
head -c $((images * 4096)) /dev/urandom >>"$tmp/data/train-images-idx3-ubyte"
perl -e 'print pack("N2", 0x801, $ARGV[0]), pack("C*", map { $_ % 10 } 0 .. $ARGV[0] - 1)' "$images" \
  >"$tmp/data/train-labels-idx1-ubyte"

set_args=(--set data.root_path="$tmp" --set data.image_folder=data --set data.crop_size=64 --set mask.patch_size=8
          --set meta.embed_dim=32 --set meta.depth=1 --set meta.num_heads=2 --set meta.pred_emb_dim=16
          --set meta.pred_depth=1 --set data.batch_size=256 --set optimization.epochs=1 --set optimization.warmup=0
          --set logging.eval_every=0 --set prepare.limit_val=0)
quiet "$bin/Prepare" --config pipelines/default.yaml --artifacts "$tmp/a" "${set_args[@]}"
for d in b; do mkdir -p "$tmp/$d" && cp -r "$tmp/a/prepare" "$tmp/$d/"; done

peak() {  # peak ARTIFACTS: details.peak_resident_mib of the one pretrain artifact there
  grep -o '"peak_resident_mib" *: *[0-9.]*' "$1"/pretrain/*/manifest.json | grep -o '[0-9.]*$'
}
check() {  # check NAME PEAK BOUND: PEAK below BOUND
  if awk -v p="$2" -v b="$3" 'BEGIN { exit !(p < b) }'; then
    echo "stream memory: $1: peak resident memory $2 MiB, under $3 MiB"
  else
    echo "stream memory: FAILED: $1: peak resident memory $2 MiB, not under $3 MiB"; exit 1
  fi
}

split=$((images * 4096 >> 20))
if [ -z "$mpi_bin" ]; then
  quiet "$bin/Pretrain" --config pipelines/default.yaml --artifacts "$tmp/a" "${set_args[@]}" --set data.buffer_mb=$buffer
  check "streamed, 1 process, split $split MiB, data.buffer_mb $buffer" "$(peak "$tmp/a")" $((buffer + limit))
  probe_args=(--set probe.eval_split=holdout --set "probe.label_fractions=[1.0]" --set "probe.l2_grid=[1e-3]"
              --set probe.max_iterations=30 --set probe.pixel_limit_mb=$buffer)
  quiet "$bin/Probe" --config pipelines/default.yaml --artifacts "$tmp/a" "${set_args[@]}" --set data.buffer_mb=$buffer \
    "${probe_args[@]}"
  probe_peak=$(grep -o '"peak_resident_mib" *: *[0-9.]*' "$tmp"/a/probe/*/manifest.json | grep -o '[0-9.]*$')
  check "probe, split $split MiB, probe.pixel_limit_mb $buffer" "$probe_peak" $((buffer + limit))
  quiet "$bin/Pretrain" --config pipelines/default.yaml --artifacts "$tmp/b" "${set_args[@]}"
  held=$(peak "$tmp/b")
  if awk -v p="$held" -v s=$split 'BEGIN { exit !(p > s) }'; then
    echo "stream memory: held in memory (data.buffer_mb 1024): peak resident memory $held MiB, above the split's $split MiB"
  else
    echo "stream memory: FAILED: the in-memory run peaked at $held MiB, not above the split's $split MiB"; exit 1
  fi
else
  mpirun=(${MPIRUN:-mpirun} ${MPIRUN_FLAGS:-})
  [ "$(id -u)" = 0 ] && mpirun+=(--allow-run-as-root)
  mpirun+=(--mca btl self,vader --mca btl_vader_single_copy_mechanism none --bind-to none)
  IJEPA_THREADS=1 OMP_NUM_THREADS=1 quiet "${mpirun[@]}" -np 2 "$mpi_bin/Pretrain" --config pipelines/default.yaml \
    --artifacts "$tmp/b" "${set_args[@]}" --set data.buffer_mb=$buffer
  check "streamed, 2 MPI ranks (the larger peak), split $split MiB, data.buffer_mb $buffer" "$(peak "$tmp/b")" \
    $((buffer + limit))
fi
