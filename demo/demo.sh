#!/usr/bin/env bash
# The sinter demo: the whole life of a network, stage by stage, on data built into the machine
# (no downloads): train on Fashion-MNIST -> evaluate -> export ONNX -> benchmark -> prune
# (patterns + connectivity, ADMM) -> quantize (int8 per channel, int4 per vector; QDQ, run on
# integer kernels) -> compile the compressed model into a plan file -> compare accuracy, size and
# speed after each step -> train on 4 MPI ranks over emulated links, dense against compressed
# gradients, then import a torchvision model -> inspect -> run -> check against
# PyTorch -> benchmark.
# usage: demo/demo.sh [SINTER_BINARY] [MODEL_DIR]
#   DEMO_TRAIN_MODEL (vgg-small), DEMO_EPOCHS (2), DEMO_TRAIN_IMAGES (20000) size the training
#   and the pruning's fine-tuning (one ADMM and one retraining epoch).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sinter=${1:-$here/../build/sinter}
dir=${2:-$here/../models}
threads=$(nproc)
model=${DEMO_MODEL:-resnet18}

step() { printf '\n== %s\n' "$*"; }

train_model=${DEMO_TRAIN_MODEL:-vgg-small}
trained=$dir/demo-$train_model.onnx
mkdir -p "$dir"
step "1. train: sinter train --model $train_model on Fashion-MNIST, $threads threads (a few minutes)"
"$sinter" train --model "$train_model" --data fashion-mnist --epochs "${DEMO_EPOCHS:-2}" \
  --train-limit "${DEMO_TRAIN_IMAGES:-20000}" --batch 64 --threads "$threads" --seed 1 -o "$trained"

step "2. evaluate: sinter eval on the 10000 test images"
"$sinter" eval "$trained" --data fashion-mnist --threads "$threads"

step "3. benchmark the trained model: batch 1 and 64"
"$sinter" bench "$trained" --threads "$threads" --batch 1 --reps 50 | grep -E "time|throughput"
"$sinter" bench "$trained" --threads "$threads" --batch 64 --reps 10 | grep -E "time|throughput"

pruned=$dir/demo-$train_model.pattern.onnx
step "4. prune: 8 patterns of 4 taps per 3x3 kernel, 1 of 3.6 kernels kept (ADMM, then masked retraining)"
"$sinter" prune "$trained" --scheme pattern --patterns 8 --connectivity 3.6 --method admm \
  --admm-epochs 1 --retrain-epochs 1 --train-limit "${DEMO_TRAIN_IMAGES:-20000}" \
  --threads "$threads" --seed 1 -o "$pruned"

quantized=$dir/demo-$train_model.pattern.int8.onnx
step "5. quantize: int8 weights per channel, uint8 activations calibrated on 1000 images (QDQ)"
"$sinter" quantize "$pruned" --bits 8 --granularity channel --calibrate fashion-mnist:1000 \
  --threads "$threads" -o "$quantized" | grep -E "^(size|accuracy|wrote)"

quantized4=$dir/demo-$train_model.pattern.int4.onnx
step "6. quantize: int4 weights, a float scale per vector of 16 (VS-Quant), as ONNX opset 21 int4"
"$sinter" quantize "$pruned" --bits 4 --granularity vector:16 --opset 21 --calibrate fashion-mnist:1000 \
  --threads "$threads" -o "$quantized4" | grep -E "^(size|accuracy|wrote)"

plan=$dir/demo-$train_model.pattern.int8.splan
step "7. compile: the pruned int8 model into a plan file (kernels chosen, weights packed), then run it from the plan"
"$sinter" compile "$quantized" -o "$plan" --threads "$threads"
"$sinter" bench "$plan" --reps 50 | grep -E "load plan|time"

step "8. compare: accuracy, size (indices counted) and speed (batch 1 and 64) after each step, the plan at batch 1"
"$sinter" compress-report "$trained" "$pruned" "$quantized" "$quantized4" "$plan" --threads "$threads" \
  --time -o "$dir/demo-compress-report"
echo "plot: $dir/demo-compress-report.png"

step "9. distribute: 4 MPI ranks train lenet5 over emulated 1 GbE links, dense against PowerSGD (rank 2)"
dist_line() {
  "$here/../tests/dist/run_ranks.sh" 4 "$sinter" train --model lenet5 --data fashion-mnist \
    --epochs 2 --train-limit "${DEMO_TRAIN_IMAGES:-20000}" --batch 32 --seed 1 --dist allreduce \
    --link 1gbe --quiet --json "$@" | tail -1
}
field() { sed -n 's/.*"'"$2"'":\([^,}]*\).*/\1/p' <<<"$1"; }
dense=$(dist_line -o "$dir/demo-dist-dense.onnx")
compressed=$(dist_line --compress powersgd:2 -o "$dir/demo-dist-powersgd.onnx")
printf '  %-12s %14s %14s %12s %10s\n' run "bytes a step" "test accuracy" "emulated s" "wall s"
for run in dense compressed; do
  line=${!run}
  printf '  %-12s %14s %14s %12.2f %10.2f\n' "$run" "$(field "$line" bytes_per_step)" \
    "$(field "$line" test_accuracy)" "$(field "$line" emulated_seconds)" \
    "$(field "$line" emulation_wall_seconds)"
done
if command -v gnuplot >/dev/null; then
  gnuplot <<PLOT
set terminal pngcairo size 800,420 font ',10'
set output '$dir/demo-distributed.png'
set datafile separator ','
set title 'lenet5, 4 ranks, emulated 1 GbE: test accuracy against emulated time'
set xlabel 'emulated seconds'; set ylabel 'test accuracy'; set grid; set key bottom right
plot '$dir/demo-dist-dense.train.csv' using 12:7 every ::1 with linespoints title 'dense ring all-reduce', \
     '$dir/demo-dist-powersgd.train.csv' using 12:7 every ::1 with linespoints title 'PowerSGD rank 2'
PLOT
  echo "plot: $dir/demo-distributed.png"
fi

step "10. export torchvision $model (random weights, fixed seed) to ONNX with PyTorch's answer"
"$here/../bench/export_models.sh" "$dir" "$model"

step "11. inspect: sinter info $model.onnx"
"$sinter" info "$dir/$model.onnx" | sed -n '1,25p'  # sed reads it all; head would end the pipe early (SIGPIPE under pipefail)

step "12. run: sinter run on the saved input, $threads threads"
out=$(mktemp --suffix=.npy)
trap 'rm -f "$out"' EXIT
"$sinter" run "$dir/$model.onnx" -i "$dir/$model.input.npy" -o "$out" --threads "$threads"
/usr/bin/python3 - "$dir/$model.output.npy" "$out" <<'PY'
import sys, numpy as np
want, got = np.load(sys.argv[1]), np.load(sys.argv[2])
err = float(np.abs(want - got).max())
top = lambda a: list(np.argsort(-a[0])[:5])
print(f"max abs error vs PyTorch: {err:.2e} (max |output| {float(np.abs(want).max()):.2f}); "
      f"top-5 classes sinter {top(got)} PyTorch {top(want)}")
sys.exit(0 if err <= 1e-4 * float(np.abs(want).max()) else 1)
PY

step "13. benchmark: sinter bench, 1 and $threads threads, with the per-node profile"
"$sinter" bench "$dir/$model.onnx" --threads 1 --reps 10
"$sinter" bench "$dir/$model.onnx" --threads "$threads" --reps 10 --profile | sed -n '1,30p'
echo
echo "demo finished: see docs/PERFORMANCE.md for the comparison with ONNX Runtime"
