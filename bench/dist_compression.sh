#!/usr/bin/env bash
# Gradient compression against dense all-reduce, 4 ranks on emulated links: each compressor
# trains the same model from the same seed for the same epochs; per run the bytes a rank sends a
# step, the final test accuracy, and the emulated and wall time. Writes OUT/dist_compression.csv,
# .jsonl, the runs' per-epoch logs (OUT/dist_compression_logs/) and a plot of test accuracy
# against emulated time (.png).
# usage: bench/dist_compression.sh BUILD_DIR OUT_DIR   (env: MODEL, EPOCHS, LINK, SPECS, BATCH)
set -euo pipefail
if (($# < 2)); then
  echo "usage: $0 BUILD_DIR OUT_DIR   (env: MODEL, EPOCHS, LINK, SPECS, BATCH)" >&2
  exit 2
fi
build=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
model=${MODEL:-lenet5} epochs=${EPOCHS:-3} link=${LINK:-1gbe} batch=${BATCH:-32}
specs=${SPECS:-dense topk:0.01 dgc:0.001 sidco:0.01 powersgd:2 randomk:0.01 qsgd:16 sign accordion:topk}
sinter=$(realpath "$build/sinter")
[[ -x $sinter ]] || { echo "dist_compression.sh: no sinter binary in $build" >&2; exit 1; }
mkdir -p "$out/dist_compression_logs"
out=$(realpath "$out")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')

echo "model,link,compression,bytes_per_step,dense_over_bytes,test_accuracy,emulated_s,wall_s,cpu" \
  >"$out/dist_compression.csv"
: >"$out/dist_compression.jsonl"
dense_bytes=""
for spec in $specs; do
  flag=()
  [[ $spec != dense ]] && flag=(--compress "$spec")
  name=${spec//:/_}
  line=$(cd "$tmp" && "$here/../tests/dist/run_ranks.sh" 4 "$sinter" train --model "$model" \
    --data fashion-mnist --epochs "$epochs" --batch "$batch" --dist allreduce --link "$link" \
    --threads 1 --seed 1 "${flag[@]}" --json --quiet -o m.onnx \
    --log "$out/dist_compression_logs/$name.csv" 2>"$tmp/err" | tail -1) ||
    { echo "$spec failed: $(tail -3 "$tmp/err")" >&2; exit 1; }
  field() { sed -n 's/.*"'"$1"'":\([^,}]*\).*/\1/p' <<<"$line"; }
  bytes=$(field bytes_per_step)
  [[ $spec == dense ]] && dense_bytes=$bytes
  ratio=$(awk -v d="${dense_bytes:-0}" -v b="$bytes" 'BEGIN { printf "%.1f", ((b > 0 && d > 0) ? d / b : 0) }')
  acc=$(field test_accuracy) emu=$(field emulated_seconds) wall=$(field emulation_wall_seconds)
  echo "$model,$link,$spec,$bytes,$ratio,$acc,$emu,$wall,$cpu" >>"$out/dist_compression.csv"
  echo "{\"model\":\"$model\",\"link\":\"$link\",\"compression\":\"$spec\",\"bytes_per_step\":$bytes,\"test_accuracy\":$acc,\"emulated_s\":$emu,\"wall_s\":$wall,\"cpu\":\"$cpu\"}" \
    >>"$out/dist_compression.jsonl"
  echo "$spec: $bytes bytes a step (${ratio}x fewer), test accuracy $acc, emulated $emu s, wall $wall s" >&2
done
if command -v gnuplot >/dev/null; then
  {
    echo "set terminal pngcairo size 900,480 font ',10'"
    echo "set output '$out/dist_compression.png'"
    echo "set datafile separator ','"
    echo "set title 'Test accuracy against emulated time: $model, 4 ranks, $link'"
    echo "set xlabel 'emulated seconds'; set ylabel 'test accuracy'; set grid; set key bottom right"
    printf "plot "
    sep=""
    for spec in $specs; do
      printf "%s'%s' using 12:7 every ::1 with linespoints title '%s'" "$sep" \
        "$out/dist_compression_logs/${spec//:/_}.csv" "$spec"
      sep=", "
    done
    echo
  } | gnuplot
fi
echo "wrote $out/dist_compression.csv, .jsonl, .png" >&2
