#!/usr/bin/env bash
# Times sinter and ONNX Runtime 1.30 on int8 copies of the benchmark networks, in one run on one
# machine, batch 1, 1 and 2 threads, and writes a Markdown table, CSV and JSON lines. Each model
# is quantized once by bench/qdq_quantize.py (static QDQ in ONNX Runtime's layout: s8 weights per
# output channel, u8 activations per tensor, calibrated by ORT itself), and both engines run that
# same file. sinter's float run of the original model is timed too, for the int8 speed-up.
# Rounds alternate the engines (ROUNDS, default 3); each engine's best round median is kept.
# usage: bench/compare_ort_int8.sh SINTER_BINARY MODEL_DIR [OUT_DIR] [REPS]
set -euo pipefail
sinter=$1 dir=$2 out=${3:-bench/results} reps=${4:-30}
here=$(cd "$(dirname "$0")" && pwd)
peers_bench=${PEERS_BENCH:-$here/../../shared/bench}
models=${MODELS:-resnet18 resnet50 mobilenet_v2 vgg16 squeezenet1_1}
threads_list=${THREADS:-1 2}
rounds=${ROUNDS:-3}
"$here/export_models.sh" "$dir" $models >/dev/null
bash "$peers_bench/setup-peers.sh" >/dev/null
for m in $models; do
  [ -f "$dir/$m.qdq.onnx" ] || /usr/bin/python3 "$here/qdq_quantize.py" "$dir/$m.onnx" "$dir/$m.qdq.onnx"
done
mkdir -p "$out"
csv=$out/compare_ort_int8.csv jsonl=$out/compare_ort_int8.jsonl
echo "model,threads,isa,sinter_int8_median_ms,ort_int8_median_ms,ratio,sinter_fp32_median_ms,int8_speedup" >"$csv"
: >"$jsonl"
printf '| model | threads | sinter tier | sinter int8 ms | ORT int8 ms | sinter/ORT | sinter fp32 ms | sinter int8 speed-up |\n|---|---|---|---|---|---|---|---|\n'
for m in $models; do
  for t in $threads_list; do
    runs=()
    for ((r = 0; r < rounds; r++)); do
      s=$("$sinter" bench "$dir/$m.qdq.onnx" --threads "$t" --reps "$reps" --warmup 3 --json 2>/dev/null | tail -n 1)
      o=$(node "$peers_bench/ort_time.js" "$dir/$m.qdq.onnx" "$t" 1 "$reps" | tail -n 1)
      f=$("$sinter" bench "$dir/$m.onnx" --threads "$t" --reps "$reps" --warmup 3 --json 2>/dev/null | tail -n 1)
      echo "{\"model\":\"$m\",\"threads\":$t,\"round\":$r,\"sinter_int8\":$s,\"ort_int8\":$o,\"sinter_fp32\":$f}" >>"$jsonl"
      runs+=("$s" "$o" "$f")
    done
    /usr/bin/python3 - "$m" "$t" "$csv" "${runs[@]}" <<'PY'
import json, sys
m, t, csv = sys.argv[1], sys.argv[2], sys.argv[3]
runs = [json.loads(x) for x in sys.argv[4:]]
best = lambda rs: min(rs, key=lambda r: r["median_ms"])
s, o, f = best(runs[0::3]), best(runs[1::3]), best(runs[2::3])
r = s["median_ms"] / o["median_ms"]
up = f["median_ms"] / s["median_ms"]
with open(csv, "a") as out:
    out.write(f"{m},{t},{s['isa']},{s['median_ms']},{o['median_ms']},{r:.3f},{f['median_ms']},{up:.2f}\n")
print(f"| {m} | {t} | {s['isa']} | {s['median_ms']:.2f} | {o['median_ms']:.2f} | {r:.2f}x | {f['median_ms']:.2f} | {up:.2f}x |", flush=True)
PY
  done
done
echo "CPU: $(head -n 1 "$jsonl" | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["sinter_int8"]["cpu"])')"
echo "wrote $csv and $jsonl" >&2
