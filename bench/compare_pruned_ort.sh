#!/usr/bin/env bash
# Pruned models on sinter's sparse kernels against the dense model on sinter and on ONNX Runtime
# 1.30, in one run: every (engine, model) takes turns within a round, ROUNDS rounds, the best
# median kept; prints a markdown table of medians and speed-ups over both dense runs, and writes
# OUT/compare_pruned_ort_DENSE.jsonl.
# usage: bench/compare_pruned_ort.sh SINTER_BINARY DENSE_MODEL PRUNED_MODEL...
#   OUT (bench/results), REPS (10), ROUNDS (3), THREADS ("1 2"), DIMS (1,3,224,224)
set -euo pipefail
(($# >= 3)) || { echo "usage: $0 SINTER_BINARY DENSE_MODEL PRUNED_MODEL..." >&2; exit 2; }
sinter=$1 dense=$2
shift 2
pruned=("$@")
out=${OUT:-bench/results} reps=${REPS:-10} rounds=${ROUNDS:-3}
export DIMS=${DIMS:-1,3,224,224}
mkdir -p "$out"
jsonl=$out/compare_pruned_ort_$(basename "$dense" .onnx).jsonl
: >"$jsonl"
ort_time=${ORT_TIME:-/work/shared/bench/ort_time.js}
for threads in ${THREADS:-1 2}; do
  for ((r = 0; r < rounds; r++)); do
    o=$(node "$ort_time" "$dense" "$threads" 1 "$reps")
    echo "{\"engine\":\"ort\",\"model\":\"$(basename "$dense")\",\"threads\":$threads,\"run\":$o}" >>"$jsonl"
    for m in "$dense" "${pruned[@]}"; do
      s=$("$sinter" bench "$m" --threads "$threads" --reps "$reps" --warmup 2 --json 2>/dev/null |
        tail -n 1)
      echo "{\"engine\":\"sinter\",\"model\":\"$(basename "$m")\",\"threads\":$threads,\"run\":$s}" >>"$jsonl"
    done
  done
done
/usr/bin/python3 - "$jsonl" "$(basename "$dense")" <<'PY'
import json, sys
best = {}
for line in open(sys.argv[1]):
    j = json.loads(line)
    key = (j["engine"], j["model"], j["threads"])
    ms = j["run"]["median_ms"]
    best[key] = min(best.get(key, ms), ms)
dense = sys.argv[2]
print("| model | threads | sinter ms | sinter dense | ORT dense | vs sinter dense | vs ORT dense |")
print("|---|---|---|---|---|---|---|")
for (engine, model, threads), ms in sorted(best.items(), key=lambda kv: (kv[0][2], kv[0][1])):
    if engine != "sinter":
        continue
    sd, od = best[("sinter", dense, threads)], best[("ort", dense, threads)]
    print(f"| {model} | {threads} | {ms:.1f} | {sd:.1f} | {od:.1f} | {sd / ms:.2f}x | {od / ms:.2f}x |")
PY
