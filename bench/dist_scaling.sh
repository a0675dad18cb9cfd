#!/usr/bin/env bash
# Data-parallel scaling on emulated links: 4 ranks against 1, each with the same batch (weak
# scaling, as DDP), on emulated 10 GbE and 1 GbE, with and without overlapping the gradient
# reduction with the backward pass. Times are the emulated clock's (compute measured as the
# training thread's CPU time, so 4 ranks on 2 cores are timed as if each had a core): the median
# emulated step of a run (`emulated_step_ms`, without the first step, which compiles the plan),
# the least of ROUNDS runs. The one-rank baseline is measured afresh beside every 4-rank
# configuration, the two taking turns, since the machine's speed drifts between minutes.
# Scaling efficiency = one rank's step time / 4 ranks' step time, the median over the rounds.
# Writes OUT/dist_scaling.csv, .jsonl and .png (gnuplot).
# usage: bench/dist_scaling.sh BUILD_DIR OUT_DIR   (env: MODELS, BATCH, STEPS, ROUNDS)
set -euo pipefail
if (($# < 2)); then
  echo "usage: $0 BUILD_DIR OUT_DIR   (env: MODELS, BATCH, STEPS, ROUNDS)" >&2
  exit 2
fi
build=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
models=${MODELS:-lenet5 vgg-small}
batch=${BATCH:-32} steps=${STEPS:-40} rounds=${ROUNDS:-3}
sinter=$(realpath "$build/sinter")
[[ -x $sinter ]] || { echo "dist_scaling.sh: no sinter binary in $build" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')

# least A B: the smaller number ("" counts as none).
least() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }
# emulated_once RANKS ARGS...: a run's median emulated step in seconds (rank 0's JSON line).
emulated_once() {
  local ranks=$1
  shift
  local line
  line=$(cd "$tmp" && "$here/../tests/dist/run_ranks.sh" "$ranks" "$sinter" train --data fashion-mnist \
    --batch "$batch" --train-limit $((batch * ranks * (steps + 1))) --test-limit 10 --epochs 1 \
    --max-steps "$steps" --dist allreduce --threads 1 --json --quiet -o m.onnx "$@" 2>"$tmp/err" |
    tail -1) || { echo "failed: $* : $(tail -3 "$tmp/err")" >&2; exit 1; }
  sed -n 's/.*"emulated_step_ms":\([0-9.e+-]*\).*/\1/p' <<<"$line" | awk '{ printf "%.6f", $1 / 1000 }'
}

echo "model,link,overlap,ranks,step_ms,one_rank_step_ms,efficiency,cpu" >"$out/dist_scaling.csv"
: >"$out/dist_scaling.jsonl"
for model in $models; do
  for link in 10gbe 1gbe; do
    for overlap in yes no; do
      flag=()
      [[ $overlap == no ]] && flag=(--no-overlap)
      # One rank and four take turns, ROUNDS times; the efficiency is the median of each round's
      # ratio (a pair measured a minute apart), the step times the least of their runs (a
      # virtual machine's stolen time shows up as CPU time now and then).
      one="" four="" ratios=()
      for ((round = 0; round < rounds; ++round)); do
        a=$(emulated_once 1 --model "$model" --link "$link") || exit 1
        b=$(emulated_once 4 --model "$model" --link "$link" "${flag[@]}") || exit 1
        awk -v a="$a" -v b="$b" 'BEGIN { exit !(a > 0 && b > 0) }' ||
          { echo "dist_scaling.sh: no emulated step time (STEPS must be 2 or more)" >&2; exit 1; }
        one=$(least "$one" "$a")
        four=$(least "$four" "$b")
        ratios+=("$(awk -v a="$a" -v b="$b" 'BEGIN { print a / b }')")
      done
      eff=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END { printf "%.3f", v[int((NR + 1) / 2)] }')
      printf '%s,%s,%s,4,%.3f,%.3f,%s,%s\n' "$model" "$link" "$overlap" "$(awk -v f="$four" 'BEGIN{print f*1000}')" \
        "$(awk -v o="$one" 'BEGIN{print o*1000}')" "$eff" "$cpu" >>"$out/dist_scaling.csv"
      printf '{"model":"%s","link":"%s","overlap":"%s","ranks":4,"step_s":%s,"one_rank_step_s":%s,"efficiency":%s,"cpu":"%s"}\n' \
        "$model" "$link" "$overlap" "$four" "$one" "$eff" "$cpu" >>"$out/dist_scaling.jsonl"
      echo "$model $link overlap=$overlap: one rank $one s a step, four $four s: efficiency $eff" >&2
    done
  done
done
if command -v gnuplot >/dev/null; then
  gnuplot <<EOF
set terminal pngcairo size 800,420 font ',10'
set output '$out/dist_scaling.png'
set datafile separator ','
set title 'Data-parallel scaling efficiency, 4 ranks (emulated links)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:1.1]
set ylabel 'efficiency (one rank step / four ranks step)'
set key top right
plot '$out/dist_scaling.csv' every ::1 using 7:xtic(sprintf("%s %s %s", stringcolumn(1), stringcolumn(2), stringcolumn(3) eq "yes" ? "overlap" : "serial")) title 'efficiency'
EOF
fi
echo "wrote $out/dist_scaling.csv, .jsonl, .png" >&2
