#!/usr/bin/env bash
# Parameter server against Stanza (and data-parallel all-reduce), 4 ranks on emulated links: each
# strategy trains the same model from the same seed for the same epochs. Per run: the bytes a
# worker sends a step, the bytes the busiest link carries a step, the final test accuracy, the
# emulated time to the target test accuracy (at the first epoch that reaches it) and in all, and
# the wall time. Writes OUT/dist_strategies.csv, .jsonl, the runs' per-epoch logs
# (OUT/dist_strategies_logs/) and a plot of test accuracy against emulated time (.png).
# usage: bench/dist_strategies.sh BUILD_DIR OUT_DIR
#        (env: MODEL, EPOCHS, LINK, STRATEGIES, BATCH, TARGET)
set -euo pipefail
if (($# < 2)); then
  echo "usage: $0 BUILD_DIR OUT_DIR   (env: MODEL, EPOCHS, LINK, STRATEGIES, BATCH, TARGET)" >&2
  exit 2
fi
build=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
model=${MODEL:-vgg-small} epochs=${EPOCHS:-3} link=${LINK:-1gbe} batch=${BATCH:-64}
target=${TARGET:-0.90}
strategies=${STRATEGIES:-ps:1 stanza:1 allreduce}
sinter=$(realpath "$build/sinter")
[[ -x $sinter ]] || { echo "dist_strategies.sh: no sinter binary in $build" >&2; exit 1; }
mkdir -p "$out/dist_strategies_logs"
out=$(realpath "$out")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')

# Emulated seconds at the first epoch of LOG whose test accuracy reaches the target ("" if none).
time_to_target() {
  awk -F, -v t="$target" 'NR == 1 { for (i = 1; i <= NF; ++i) c[$i] = i; next }
    $c["test_accuracy"] >= t { print $c["emulated_seconds"]; exit }' "$1"
}

echo "model,link,dist,bytes_per_step,busiest_link_bytes_per_step,test_accuracy,time_to_target_s,emulated_s,wall_s,cpu" \
  >"$out/dist_strategies.csv"
: >"$out/dist_strategies.jsonl"
for dist in $strategies; do
  name=${dist//:/_}
  log="$out/dist_strategies_logs/$name.csv"
  line=$(cd "$tmp" && "$here/../tests/dist/run_ranks.sh" 4 "$sinter" train --model "$model" \
    --data fashion-mnist --epochs "$epochs" --batch "$batch" --dist "$dist" --link "$link" \
    --threads 1 --seed 1 --json --quiet -o m.onnx --log "$log" 2>"$tmp/err" | tail -1) ||
    { echo "$dist failed: $(tail -3 "$tmp/err")" >&2; exit 1; }
  field() { sed -n 's/.*"'"$1"'":\([^,}]*\).*/\1/p' <<<"$line"; }
  bytes=$(field bytes_per_step) busiest=$(field busiest_link_bytes_per_step)
  acc=$(field test_accuracy) emu=$(field emulated_seconds) wall=$(field emulation_wall_seconds)
  reached=$(time_to_target "$log")
  echo "$model,$link,$dist,$bytes,$busiest,$acc,$reached,$emu,$wall,$cpu" >>"$out/dist_strategies.csv"
  echo "{\"model\":\"$model\",\"link\":\"$link\",\"dist\":\"$dist\",\"bytes_per_step\":$bytes,\"busiest_link_bytes_per_step\":$busiest,\"test_accuracy\":$acc,\"time_to_target_s\":${reached:-null},\"target\":$target,\"emulated_s\":$emu,\"wall_s\":$wall,\"cpu\":\"$cpu\"}" \
    >>"$out/dist_strategies.jsonl"
  echo "$dist: $bytes bytes a step from a worker, $busiest on the busiest link, test accuracy $acc, $target reached at ${reached:-never} s, emulated $emu s, wall $wall s" >&2
done
if command -v gnuplot >/dev/null; then
  {
    echo "set terminal pngcairo size 900,480 font ',10'"
    echo "set output '$out/dist_strategies.png'"
    echo "set datafile separator ','"
    echo "set title 'Test accuracy against emulated time: $model, 4 ranks, $link'"
    echo "set xlabel 'emulated seconds'; set ylabel 'test accuracy'; set grid; set key bottom right"
    printf "plot "
    sep=""
    for dist in $strategies; do
      printf "%s'%s' using 12:7 every ::1 with linespoints title '%s'" "$sep" \
        "$out/dist_strategies_logs/${dist//:/_}.csv" "$dist"
      sep=", "
    done
    echo
  } | gnuplot
fi
echo "wrote $out/dist_strategies.csv, .jsonl, .png" >&2
