#!/usr/bin/env bash
# Inter-operator scheduling against running every node in order, and against ONNX Runtime 1.30, in
# one run: each model is compiled into plans with --schedule sequential, greedy and ios, and as
# `sinter compile` chooses by itself (auto: IOS where its timing shows it faster), and the plans and
# ORT are timed taking turns, ROUNDS rounds of REPS runs each; each one's median of its round medians
# is kept. Prints a Markdown table (with the CPU and ISA tier) and writes OUT/compare_ios.jsonl.
# usage: bench/compare_ios.sh SINTER_BINARY MODEL_DIR [MODEL...]
#   models: googlenet inception_v3 squeezenet1_1 densenet121 by default (exported if missing);
#   THREADS (2), ROUNDS (5), REPS (20), OUT (bench/results)
set -euo pipefail
(($# >= 2)) || { echo "usage: $0 SINTER_BINARY MODEL_DIR [MODEL...]" >&2; exit 2; }
sinter=$1 dir=$2
shift 2
models=${*:-googlenet inception_v3 squeezenet1_1 densenet121}
threads=${THREADS:-2} rounds=${ROUNDS:-5} reps=${REPS:-20} out=${OUT:-bench/results}
here=$(cd "$(dirname "$0")" && pwd)
peers_bench=${PEERS_BENCH:-$here/../../shared/bench}
kinds="sequential greedy ios auto"
"$here/export_models.sh" "$dir" $models >/dev/null
bash "$peers_bench/setup-peers.sh" >/dev/null
mkdir -p "$out"
jsonl=$out/compare_ios.jsonl
: >"$jsonl"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for m in $models; do
  for kind in $kinds; do
    "$sinter" compile "$dir/$m.onnx" -o "$work/$m.$kind.splan" --threads "$threads" \
      --schedule "$kind" --no-tuning-db --json 2>/dev/null | tail -n 1 >"$work/$m.$kind.json"
  done
  # ORT is given the model's own input size (Inception-v3 takes 299x299).
  dims=$("$sinter" info "$dir/$m.onnx" --json 2>/dev/null |
    /usr/bin/python3 -c 'import json, sys; print(",".join(map(str, json.load(sys.stdin)["inputs"][0]["bound_shape"])))')
  for ((r = 0; r < rounds; r++)); do
    for kind in $kinds; do
      s=$("$sinter" bench "$work/$m.$kind.splan" --reps "$reps" --warmup 3 --json 2>/dev/null |
        tail -n 1)
      echo "{\"model\":\"$m\",\"kind\":\"$kind\",\"round\":$r,\"run\":$s,\"compile\":$(cat "$work/$m.$kind.json")}" >>"$jsonl"
    done
    o=$(DIMS=$dims node "$peers_bench/ort_time.js" "$dir/$m.onnx" "$threads" 1 "$reps" | tail -n 1)
    echo "{\"model\":\"$m\",\"kind\":\"ort\",\"round\":$r,\"run\":$o}" >>"$jsonl"
  done
done
/usr/bin/python3 - "$jsonl" "$threads" <<'PY'
import json, statistics, sys
rounds, compiled, cpu, isa = {}, {}, "", ""
for line in open(sys.argv[1]):
    j = json.loads(line)
    rounds.setdefault((j["model"], j["kind"]), []).append(j["run"]["median_ms"])
    if j["kind"] != "ort":
        compiled[(j["model"], j["kind"])] = j["compile"]
        cpu, isa = j["run"]["cpu"], j["run"]["isa"]
ms = {k: statistics.median(v) for k, v in rounds.items()}
print(f"CPU: {cpu}, ISA tier {isa}, {sys.argv[2]} threads, batch 1; median of round medians, ms")
print()
print("| model | sequential | greedy | IOS | auto | ORT 1.30 | greedy speed-up | IOS speed-up | auto / ORT | auto chose |")
print("|---|---|---|---|---|---|---|---|---|---|")
for model in dict.fromkeys(m for m, _ in ms):
    s, g, i, a, o = (ms[(model, k)] for k in ("sequential", "greedy", "ios", "auto", "ort"))
    c = compiled[(model, "auto")]
    t = c.get("schedule_trial")
    chose = c["schedule_summary"].split(";")[0]
    if t:
        chose += f" (timed {t['sequential_ms'] / t['scheduled_ms']:.2f}x, {'kept' if t['kept'] else 'not kept'})"
    print(f"| {model} | {s:.2f} | {g:.2f} | {i:.2f} | {a:.2f} | {o:.2f} | {s / g:.2f}x | {s / i:.2f}x | {a / o:.2f}x | {chose} |")
print()
for model in dict.fromkeys(m for m, _ in ms):
    for kind in ("greedy", "ios"):
        print(f"{model} {kind}: {compiled[(model, kind)]['schedule_summary']}")
PY
