#!/usr/bin/env bash
# Times a dense model and pruned versions of it with sinter's sparse kernels on and off
# (--dense-kernels), at batch 1 and 64, in one run on one machine, and writes CSV, JSON lines
# and a plot of each one's speed-up over the dense model measured in the same run, named after
# the dense model: OUT/compare_pruned_DENSE.{csv,jsonl,png}.
# This machine shares its host: a neighbour's burst can slow one run. So every (model, kernels,
# batch) is measured in ROUNDS rounds (default 3), all of them taking turns within a round, and
# the best round median is kept.
# usage: bench/compare_pruned_inference.sh SINTER_BINARY DENSE_MODEL PRUNED_MODEL...
#   OUT (bench/results), REPS (30), ROUNDS (3), BATCHES ("1 64"), THREADS (1)
set -euo pipefail
if (($# < 3)); then
  echo "usage: $0 SINTER_BINARY DENSE_MODEL PRUNED_MODEL..." >&2
  exit 2
fi
sinter=$1
shift
models=("$@")
here=$(cd "$(dirname "$0")" && pwd)
out=${OUT:-bench/results} reps=${REPS:-30} rounds=${ROUNDS:-3}
batches=${BATCHES:-1 64} threads=${THREADS:-1}
mkdir -p "$out"
stem=$out/compare_pruned_$(basename "${models[0]}" .onnx)
csv=$stem.csv jsonl=$stem.jsonl
: >"$jsonl"
for b in $batches; do
  for ((r = 0; r < rounds; r++)); do
    for m in "${models[@]}"; do
      for kernels in sparse dense; do
        flag=()
        [[ $kernels == dense ]] && flag=(--dense-kernels)
        s=$("$sinter" bench "$m" --batch "$b" --threads "$threads" --reps "$reps" --warmup 3 \
          --json "${flag[@]}" 2>/dev/null | tail -n 1)
        echo "{\"model\":\"$(basename "$m" .onnx)\",\"batch\":$b,\"kernels\":\"$kernels\",\"round\":$r,\"sinter\":$s}" >>"$jsonl"
      done
    done
  done
done
/usr/bin/python3 - "$jsonl" "$csv" "$(basename "${models[0]}" .onnx)" <<'PY'
import json, sys
jsonl, csv, dense = sys.argv[1:4]
best = {}
for line in open(jsonl):
    run = json.loads(line)
    key = (run["model"], run["batch"], run["kernels"])
    if key not in best or run["sinter"]["median_ms"] < best[key]["median_ms"]:
        best[key] = run["sinter"]
with open(csv, "w") as f:
    f.write("model,batch,kernels,median_ms,min_ms,speedup_vs_dense_model,speedup_vs_dense_kernels\n")
    print("| model | batch | kernels | median ms | vs dense model | vs its dense kernels |")
    print("|---|---|---|---|---|---|")
    for (m, b, k), s in best.items():
        base = best[(dense, b, "dense")]["median_ms"]
        own = best[(m, b, "dense")]["median_ms"]
        vs_dense, vs_own = base / s["median_ms"], own / s["median_ms"]
        f.write(f"{m},{b},{k},{s['median_ms']},{s['min_ms']},{vs_dense:.3f},{vs_own:.3f}\n")
        print(f"| {m} | {b} | {k} | {s['median_ms']:.3f} | {vs_dense:.2f}x | {vs_own:.2f}x |")
PY
if command -v gnuplot >/dev/null; then
  gnuplot -e "csv='$csv'; out='$stem.png'" "$here/plot_compare_pruned.gp"
  echo "wrote $csv, $jsonl and $stem.png" >&2
else
  echo "wrote $csv and $jsonl (install gnuplot-nox for the plot)" >&2
fi
