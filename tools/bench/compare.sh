#!/usr/bin/env bash
# make bench-compare: our PretrainBench and the PyTorch yardstick on the very
# same steps, alternated for ROUNDS rounds (this VM's speed drifts by ~15%
# between runs, so alternating cancels a slow drift); prints every round and
# the median ratio.
# Usage: tools/bench/compare.sh BIN_DIR PYTHON DUMP ROUNDS [PretrainBench args...]
set -euo pipefail
bin=$1 python=$2 dump=$3 rounds=$4
shift 4
mkdir -p "$(dirname "$dump")"
results=()
for round in $(seq 1 "$rounds"); do
    echo "== round $round of $rounds: ours"
    "$bin/PretrainBench" "$@" --dump "$dump"
    echo "== round $round of $rounds: pytorch"
    out=$("$python" "$(dirname "$0")/torch_pretrain.py" "$dump")
    echo "$out" | grep -v '^RESULT '
    results+=("$(echo "$out" | grep '^RESULT ')")
done
printf '%s\n' "${results[@]}" | awk '
    { for (i = 2; i <= NF; i++) { split($i, kv, "="); v[NR, kv[1]] = kv[2] } }
    END {
        n = NR
        for (r = 1; r <= n; r++) {
            ratio[r] = v[r, "ours"] / v[r, "pytorch"]
            printf "round %d: ours %.1f images/s, pytorch %.1f images/s, ratio %.2fx; peak memory ours %s MiB, pytorch %s MiB; largest relative loss difference %s\n",
                r, v[r, "ours"], v[r, "pytorch"], ratio[r], v[r, "ours_rss_mib"], v[r, "pytorch_rss_mib"], v[r, "max_rel_loss_diff"]
        }
        # median of the per-round ratios
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (ratio[j] < ratio[i]) { t = ratio[i]; ratio[i] = ratio[j]; ratio[j] = t }
        med = n % 2 ? ratio[(n + 1) / 2] : (ratio[n / 2] + ratio[n / 2 + 1]) / 2
        printf "bench-compare: ours / pytorch images/s, median of %d rounds: %.2fx\n", n, med
    }'
