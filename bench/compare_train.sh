#!/usr/bin/env bash
# Times training of sinter and PyTorch 1.13 side by side, in one run on one machine: the same zoo
# models on Fashion-MNIST, the same step (batch 64, SGD momentum 0.9, lr 0.05, weight decay 5e-4,
# softmax cross-entropy), with 1 and 2 threads; writes a Markdown table, CSV, JSON lines and a plot.
# PyTorch runs bench/train_pytorch.py under Debian's /usr/bin/python3 (python3-torch).
# This machine shares its host: a neighbour's burst can slow one engine's run. So each
# (model, threads) pair is measured in ROUNDS rounds (default 3), the engines alternating, and
# each engine's best images/s is kept.
# usage: bench/compare_train.sh BUILD_DIR OUT_DIR [STEPS]
set -euo pipefail
if (($# < 2)); then
  echo "usage: $0 BUILD_DIR OUT_DIR [STEPS]   (env: MODELS, THREADS, ROUNDS)" >&2
  exit 2
fi
build=$1 out=$2 steps=${3:-100}
here=$(cd "$(dirname "$0")" && pwd)
models=${MODELS:-lenet5 vgg-small}
threads_list=${THREADS:-1 2}
rounds=${ROUNDS:-3}
batch=64 seed=1 lr=0.05 wd=5e-4
sinter=$build/sinter
if [[ ! -x $sinter ]]; then
  echo "compare_train.sh: no sinter binary at $sinter (build it first)" >&2
  exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Runs one engine and sets `result` to its last stdout line, the JSON object. Stops the script
# with the command and the tail of its output when it fails or that line has no images_per_s.
run() {
  local rc=0
  "$@" >"$tmp/stdout" 2>"$tmp/stderr" || rc=$?
  result=$(tail -n 1 "$tmp/stdout")
  if ((rc != 0)) || [[ $result != \{*'"images_per_s"'* ]]; then
    if ((rc != 0)); then
      echo "compare_train.sh: command failed with exit status $rc: $*" >&2
    else
      echo "compare_train.sh: no JSON result with images_per_s on the last stdout line of: $*" >&2
    fi
    echo "--- its stderr, last 20 lines:" >&2
    tail -n 20 "$tmp/stderr" >&2
    echo "--- its stdout, last 5 lines:" >&2
    tail -n 5 "$tmp/stdout" >&2
    exit 1
  fi
}

mkdir -p "$out"
csv=$out/compare_train.csv jsonl=$out/compare_train.jsonl
echo "model,threads,sinter_images_per_s,pytorch_images_per_s,ratio" >"$csv"
: >"$jsonl"
printf '| model | threads | sinter images/s | PyTorch images/s | sinter/PyTorch |\n|---|---|---|---|---|\n'
for m in $models; do
  for t in $threads_list; do
    # Alternate the engines so that slow drifts of the machine hit both alike.
    runs=()
    for ((r = 0; r < rounds; r++)); do
      run "$sinter" train --model "$m" --data fashion-mnist --batch "$batch" --threads "$t" \
        --max-steps "$steps" --seed "$seed" --lr "$lr" --weight-decay "$wd" --optimizer sgd \
        --schedule constant --test-limit 100 \
        --json -o "$tmp/model.onnx"
      s=$result
      run /usr/bin/python3 "$here/train_pytorch.py" --model "$m" --batch "$batch" --threads "$t" \
        --steps "$steps" --seed "$seed" --lr "$lr" --weight-decay "$wd" --optimizer sgd
      p=$result
      echo "{\"model\":\"$m\",\"threads\":$t,\"round\":$r,\"sinter\":$s,\"pytorch\":$p}" >>"$jsonl"
      runs+=("$s" "$p")
    done
    /usr/bin/python3 - "$m" "$t" "$csv" "${runs[@]}" <<'PY'
import json, sys
m, t, csv = sys.argv[1], sys.argv[2], sys.argv[3]
runs = [json.loads(x) for x in sys.argv[4:]]
s = max(r["images_per_s"] for r in runs[0::2])
p = max(r["images_per_s"] for r in runs[1::2])
with open(csv, "a") as f:
    f.write(f"{m},{t},{s:.1f},{p:.1f},{s / p:.3f}\n")
print(f"| {m} | {t} | {s:.1f} | {p:.1f} | {s / p:.2f}x |", flush=True)
PY
  done
done
if command -v gnuplot >/dev/null; then
  gnuplot -e "csv='$csv'; out='$out/compare_train.png'" "$here/plot_compare_train.gp"
  echo "wrote $csv, $jsonl and $out/compare_train.png" >&2
else
  echo "wrote $csv and $jsonl (install gnuplot-nox for the plot)" >&2
fi
