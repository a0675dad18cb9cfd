#!/usr/bin/env bash
# Times sinter and ONNX Runtime 1.30 side by side, in one run on one machine, on the benchmark
# networks at batch 1 with 1 and 2 threads, and writes a Markdown table, CSV and JSON lines.
# ORT comes from ../shared/bench (setup-peers.sh installs it from npm); bench/ort_time_npy.js times
# it on the input each model was exported with (an image, token ids, a latent vector).
# This machine shares its host: a neighbour's burst can slow one engine's run. So each
# (model, threads) pair is measured in ROUNDS rounds (default 3), the engines alternating, and
# each engine's best round median is kept.
# The table names the CPU and the ISA tier sinter ran at (SINTER_ISA=avx2 caps it, for the
# comparison of tiers on one machine).
# usage: bench/compare_ort.sh SINTER_BINARY MODEL_DIR [OUT_DIR] [REPS]
set -euo pipefail
sinter=$1 dir=$2 out=${3:-bench/results} reps=${4:-30}
here=$(cd "$(dirname "$0")" && pwd)
peers_bench=${PEERS_BENCH:-$here/../../shared/bench}
models=${MODELS:-resnet18 resnet50 mobilenet_v2 vgg16 squeezenet1_1}
threads_list=${THREADS:-1 2}
rounds=${ROUNDS:-3}
"$here/export_models.sh" "$dir" $models >/dev/null
bash "$peers_bench/setup-peers.sh" >/dev/null
mkdir -p "$out"
csv=$out/compare_ort.csv jsonl=$out/compare_ort.jsonl
echo "model,threads,isa,sinter_min_ms,sinter_median_ms,ort_min_ms,ort_median_ms,ratio_median,sinter_gflops" >"$csv"
: >"$jsonl"
printf '| model | threads | sinter tier | sinter median ms | ORT median ms | sinter/ORT | sinter GFLOP/s |\n|---|---|---|---|---|---|---|\n'
for m in $models; do
  for t in $threads_list; do
    # Alternate the engines so that slow drifts of the machine hit both alike.
    runs=()
    for ((r = 0; r < rounds; r++)); do
      s=$("$sinter" bench "$dir/$m.onnx" --threads "$t" --reps "$reps" --warmup 3 --json 2>/dev/null | tail -n 1)
      o=$(node "$here/ort_time_npy.js" "$dir/$m.onnx" "$dir/$m.input.npy" "$t" "$reps" | tail -n 1)
      echo "{\"model\":\"$m\",\"threads\":$t,\"round\":$r,\"sinter\":$s,\"ort\":$o}" >>"$jsonl"
      runs+=("$s" "$o")
    done
    /usr/bin/python3 - "$m" "$t" "$csv" "${runs[@]}" <<'PY'
import json, sys
m, t, csv = sys.argv[1], sys.argv[2], sys.argv[3]
runs = [json.loads(x) for x in sys.argv[4:]]
s = min(runs[0::2], key=lambda r: r["median_ms"])
o = min(runs[1::2], key=lambda r: r["median_ms"])
r = s["median_ms"] / o["median_ms"]
with open(csv, "a") as f:
    f.write(f"{m},{t},{s['isa']},{s['min_ms']},{s['median_ms']},{o['min_ms']},{o['median_ms']},{r:.3f},{s['gflops']:.1f}\n")
print(f"| {m} | {t} | {s['isa']} | {s['median_ms']:.2f} | {o['median_ms']:.2f} | {r:.2f}x | {s['gflops']:.1f} |", flush=True)
PY
  done
done
echo "CPU: $(head -n 1 "$jsonl" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["sinter"]["cpu"])')"
if command -v gnuplot >/dev/null; then
  gnuplot -e "csv='$csv'; out='$out/compare_ort.png'" "$here/plot_compare.gp"
  echo "wrote $csv, $jsonl and $out/compare_ort.png" >&2
else
  echo "wrote $csv and $jsonl (install gnuplot-nox for the plot)" >&2
fi
