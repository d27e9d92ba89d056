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

# RGB images at 224 px with patch 16 (a 14x14 grid of 768-value patches)
# under a virtual-memory cap (ulimit -v RGB_CAP_KIB): Prepare, a streamed
# Pretrain and Probe (raw pixels pooled to probe.pixel_dims) finish, each
# stage under the estimate it printed; a cap too small for Probe's estimate is
# a one-line error and exit 1. RGB_IMAGES random PNGs in 5 class folders, each
# class with a band of its own colour (RGB_FORMAT=jpeg: turned into JPEGs by
# ImageMagick's mogrify, for a manual run); RGB_ARGS adds settings (later
# --set wins), e.g. the defaults' data.buffer_mb=1024 at 20,000 images;
# RGB_ONLY=1 runs this part alone.
rgb_under_cap() {
  local n=${RGB_IMAGES:-600} cap=${RGB_CAP_KIB:-4000000} stage
  mkdir -p "$tmp/rgb"
  perl -MCompress::Zlib -e '
    my ($dir, $n) = @ARGV; my $w = 224;
    open(my $r, "<:raw", "/dev/urandom") or die;
    sub chunk { my ($t, $d) = @_; pack("N", length $d) . $t . $d . pack("N", crc32($t . $d)) }
    for my $i (0 .. $n - 1) {
      my $c = $i % 5; mkdir "$dir/c$c";
      read($r, my $px, $w * $w * 3);
      substr($px, 0, 48 * $w * 3) = chr(50 * $c + 20) x (48 * $w * 3);
      my $raw = join "", map { "\0" . substr($px, $_ * $w * 3, $w * 3) } 0 .. $w - 1;
      open(my $f, ">:raw", "$dir/c$c/$i.png") or die;
      print $f "\x89PNG\r\n\x1a\n", chunk("IHDR", pack("NNC5", $w, $w, 8, 2, 0, 0, 0)),
        chunk("IDAT", compress($raw, 1)), chunk("IEND", "");
    }' "$tmp/rgb" "$n"
  if [ "${RGB_FORMAT:-png}" = jpeg ]; then
    command -v mogrify >/dev/null || { echo "stream memory: RGB_FORMAT=jpeg needs ImageMagick's mogrify"; exit 1; }
    for c in "$tmp"/rgb/c*; do mogrify -format jpg -quality 90 "$c"/*.png && rm "$c"/*.png; done
  fi
  local rgb_args=(--set data.root_path="$tmp" --set data.image_folder=rgb --set prepare.format=folder --set prepare.channels=3 --set data.crop_size=224
    --set mask.patch_size=16 --set meta.embed_dim=32 --set meta.depth=1 --set meta.num_heads=2
    --set meta.pred_emb_dim=16 --set meta.pred_depth=1 --set data.batch_size=32 --set optimization.epochs=1
    --set optimization.warmup=0 --set logging.eval_every=0 --set data.buffer_mb=32 --set probe.eval_split=holdout
    --set "probe.label_fractions=[1.0]" --set "probe.l2_grid=[1e-3]" --set probe.max_iterations=30 ${RGB_ARGS:-})
  for stage in Prepare Pretrain Probe; do
    if ! (ulimit -v "$cap"; IJEPA_LOG_LEVEL=info "$bin/$stage" --config pipelines/default.yaml --artifacts "$tmp/rgb-a" \
          "${rgb_args[@]}") >"$tmp/rgb-$stage.log" 2>&1; then
      cat "$tmp/rgb-$stage.log"; echo "stream memory: RGB: $stage failed under ulimit -v $cap"; exit 1
    fi
  done
  local split_mib=$((n * 150528 >> 20))
  for stage in prepare pretrain probe; do
    local est peak
    est=$(grep -o "$stage: memory: about [0-9.]* GiB" "$tmp/rgb-${stage^}.log" | grep -o '[0-9.]* GiB' | grep -o '[0-9.]*')
    peak=$(grep -o '"peak_resident_mib" *: *[0-9.]*' "$tmp"/rgb-a/$stage/*/manifest.json | grep -o '[0-9.]*$')
    check "RGB 224 px, $n ${RGB_FORMAT:-png} images ($split_mib MiB of patches), ulimit -v $cap, $stage against its estimate ${est} GiB" \
      "$peak" "$(awk -v e="$est" 'BEGIN { printf "%d", e * 1024 }')"
  done
  # Probe's estimate above what the cap leaves: refused before any work, in one line.
  local small=${RGB_SMALL_CAP_KIB:-1800000}
  if (ulimit -v "$small"; "$bin/Probe" --config pipelines/default.yaml --artifacts "$tmp/rgb-a" "${rgb_args[@]}" --force \
      --set probe.pixel_dims=150528) >"$tmp/rgb-small.log" 2>&1; then
    echo "stream memory: FAILED: RGB: Probe ran under ulimit -v $small"; exit 1
  fi
  grep -q "^probe: error: probe needs about .*RLIMIT_AS" "$tmp/rgb-small.log" && [ "$(grep -c . "$tmp/rgb-small.log")" -le 3 ] \
    || { cat "$tmp/rgb-small.log"; echo "stream memory: FAILED: RGB: a cap too small did not give the one-line error"; exit 1; }
  echo "stream memory: RGB: under ulimit -v $small, Probe of unpooled pixels is refused in one line: $(grep -o 'probe needs about [0-9.]* GiB' "$tmp/rgb-small.log")"
}

split=$((images * 4096 >> 20))
if [ -n "${RGB_ONLY:-}" ]; then  # the RGB part alone (a manual run at 20,000 images)
  rgb_under_cap
elif [ -z "$mpi_bin" ]; then
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
  rgb_under_cap
else
  mpirun=(${MPIRUN:-mpirun} ${MPIRUN_FLAGS:-})
  [ "$(id -u)" = 0 ] && mpirun+=(--allow-run-as-root)
  mpirun+=(--mca btl self,vader --mca btl_vader_single_copy_mechanism none --bind-to none)
  IJEPA_THREADS=1 OMP_NUM_THREADS=1 quiet "${mpirun[@]}" -np 2 "$mpi_bin/Pretrain" --config pipelines/default.yaml \
    --artifacts "$tmp/b" "${set_args[@]}" --set data.buffer_mb=$buffer
  check "streamed, 2 MPI ranks (the larger peak), split $split MiB, data.buffer_mb $buffer" "$(peak "$tmp/b")" \
    $((buffer + limit))
fi
