#!/usr/bin/env bash
# What tuning gains over the heuristics, per model, in one run: each model is tuned into a fresh
# database (BUDGET seconds), compiled twice (heuristics only, and from the database), and both
# plans are timed taking turns, ROUNDS rounds, the best median kept. Prints a markdown table and
# writes OUT/compare_tuned.jsonl.
# usage: bench/compare_tuned.sh SINTER_BINARY MODEL...
#   OUT (bench/results), BUDGET (120), REPS (10), ROUNDS (3), THREADS (1)
set -euo pipefail
(($# >= 2)) || { echo "usage: $0 SINTER_BINARY MODEL..." >&2; exit 2; }
sinter=$1
shift
out=${OUT:-bench/results} budget=${BUDGET:-120} reps=${REPS:-10} rounds=${ROUNDS:-3}
threads=${THREADS:-1}
mkdir -p "$out"
jsonl=$out/compare_tuned.jsonl
: >"$jsonl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for m in "$@"; do
  name=$(basename "$m" .onnx)
  db=$work/$name.tuning.json
  t=$("$sinter" tune "$m" --budget "$budget" --threads "$threads" --tuning-db "$db" --json 2>/dev/null |
    tail -n 1)
  "$sinter" compile "$m" -o "$work/$name.heuristic.splan" --threads "$threads" --no-tuning-db \
    --quiet >/dev/null 2>&1
  "$sinter" compile "$m" -o "$work/$name.tuned.splan" --threads "$threads" --tuning-db "$db" \
    --quiet >/dev/null 2>&1
  for ((r = 0; r < rounds; r++)); do
    for kind in heuristic tuned; do
      s=$("$sinter" bench "$work/$name.$kind.splan" --reps "$reps" --warmup 2 --json 2>/dev/null |
        tail -n 1)
      echo "{\"model\":\"$name\",\"kind\":\"$kind\",\"round\":$r,\"tune\":$t,\"run\":$s}" >>"$jsonl"
    done
  done
  rm -f "$work"/*.splan
done
/usr/bin/python3 - "$jsonl" <<'PY'
import json, sys
best, tune = {}, {}
for line in open(sys.argv[1]):
    j = json.loads(line)
    key = (j["model"], j["kind"])
    best[key] = min(best.get(key, 1e30), j["run"]["median_ms"])
    tune[j["model"]] = j["tune"]
print("| model | tuned layers | changed | tuning s | heuristics ms | tuned ms | gain |")
print("|---|---|---|---|---|---|---|")
for model, t in tune.items():
    h, u = best[(model, "heuristic")], best[(model, "tuned")]
    print(f"| {model} | {len(t['layers'])} | {t['layers_changed']} | {t['seconds']:.0f} | {h:.2f} | {u:.2f} | {h / u:.2f}x |")
PY
