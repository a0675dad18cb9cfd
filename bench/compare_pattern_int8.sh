#!/usr/bin/env bash
# Pattern pruning with and without int8, in one run: the dense float model on ONNX Runtime 1.30,
# the pattern-pruned float model on sinter, its QDQ quantization on sinter (pattern kernels, then
# --dense-kernels) and on ONNX Runtime. Every run takes turns within a round, ROUNDS rounds, the
# best median kept; prints a markdown table and writes OUT/compare_pattern_int8_DENSE.jsonl.
# usage: bench/compare_pattern_int8.sh SINTER_BINARY DENSE_MODEL PATTERN_MODEL PATTERN_Q8_MODEL
#   OUT (bench/results), REPS (10), ROUNDS (3), THREADS ("1 2"), DIMS (1,3,224,224)
set -euo pipefail
(($# == 4)) || { echo "usage: $0 SINTER_BINARY DENSE_MODEL PATTERN_MODEL PATTERN_Q8_MODEL" >&2; exit 2; }
sinter=$1 dense=$2 pattern=$3 q8=$4
out=${OUT:-bench/results} reps=${REPS:-10} rounds=${ROUNDS:-3}
export DIMS=${DIMS:-1,3,224,224}
mkdir -p "$out"
jsonl=$out/compare_pattern_int8_$(basename "$dense" .onnx).jsonl
: >"$jsonl"
ort_time=${ORT_TIME:-/work/shared/bench/ort_time.js}
record() {  # name threads json
  echo "{\"run_name\":\"$1\",\"threads\":$2,\"run\":$3}" >>"$jsonl"
}
sinter_run() {  # model threads flags...
  local model=$1 threads=$2
  shift 2
  "$sinter" bench "$model" --threads "$threads" --reps "$reps" --warmup 2 --json "$@" 2>/dev/null |
    tail -n 1
}
for threads in ${THREADS:-1 2}; do
  for ((r = 0; r < rounds; r++)); do
    record "ORT fp32 dense" "$threads" "$(node "$ort_time" "$dense" "$threads" 1 "$reps")"
    record "sinter fp32 pattern" "$threads" "$(sinter_run "$pattern" "$threads")"
    record "sinter int8 pattern" "$threads" "$(sinter_run "$q8" "$threads")"
    record "sinter int8 dense kernels" "$threads" "$(sinter_run "$q8" "$threads" --dense-kernels)"
    record "ORT int8 (same QDQ file)" "$threads" "$(node "$ort_time" "$q8" "$threads" 1 "$reps")"
  done
done
/usr/bin/python3 - "$jsonl" <<'PY'
import json, sys
best, order = {}, []
for line in open(sys.argv[1]):
    j = json.loads(line)
    key = (j["run_name"], j["threads"])
    if key not in best:
        order.append(key)
    ms = j["run"]["median_ms"]
    best[key] = min(best.get(key, ms), ms)
print("| run | threads | ms | vs ORT fp32 dense | vs sinter fp32 pattern |")
print("|---|---|---|---|---|")
for name, threads in order:
    ms = best[(name, threads)]
    ort, pattern = best[("ORT fp32 dense", threads)], best[("sinter fp32 pattern", threads)]
    print(f"| {name} | {threads} | {ms:.2f} | {ort / ms:.2f}x | {pattern / ms:.2f}x |")
PY
