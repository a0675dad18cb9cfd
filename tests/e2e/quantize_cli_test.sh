#!/usr/bin/env bash
# End-to-end test of `sinter quantize` on a briefly trained lenet5: int8 per-channel QDQ loses
# little accuracy and shrinks the weights about 4x; ONNX Runtime runs the QDQ files to sinter's
# predictions (all but rare samples exactly with its graph optimizations off, within a few
# activation steps with its int8 kernels on); int4 per-channel, per-vector and two-level per-vector
# after quantization-aware fine-tuning are reported, the last also run by ONNX Runtime; bad
# input fails with exit 1, one line, and no output file.
# usage: tests/e2e/quantize_cli_test.sh SINTER_BINARY SCRATCH_DIR
set -uo pipefail
sinter=$1
scratch=$2
here=$(cd "$(dirname "$0")" && pwd)
test_name=quantize_cli_test
source "$here/fmnist_e2e_common.sh"
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

"$sinter" train --model lenet5 --epochs 1 --train-limit 6400 --test-limit 1000 --threads 2 --seed 1 \
  -o lenet.onnx --quiet >/dev/null 2>err.txt || { echo "FAIL: train: $(cat err.txt)" >&2; exit 1; }
calibrate=(--calibrate fashion-mnist:500 --test-limit 1000 --threads 2)

# 1. int8 per channel, uint8 activations: small accuracy loss, about 4x fewer bytes.
out=$("$sinter" quantize lenet.onnx --granularity channel --bits 8 "${calibrate[@]}" -o q8.onnx --json 2>err.txt)
[[ $? -eq 0 && -s q8.onnx ]] || fail "int8 per-channel quantize: $(cat err.txt)"
j=$(tail -1 <<<"$out")
float_acc=$(json_field "$j" float_test_accuracy)
q8_acc=$(json_field "$j" test_accuracy)
echo "int8 per channel: float $float_acc -> $q8_acc, $(json_field "$j" float_model_bytes) -> $(json_field "$j" quantized_model_bytes) bytes"
at_least "$q8_acc" "$(awk -v f="$float_acc" 'BEGIN { print f - 0.005 }')" ||
  fail "int8 per-channel accuracy $q8_acc is more than 0.5 pp below the float $float_acc"
at_least "$(json_field "$j" compression)" 3.5 || fail "int8 compression $(json_field "$j" compression) < 3.5x"
# The 5 layers' inputs, and the values between layers that stay 8-bit (layer outputs).
[[ $(json_field "$j" weights_quantized) -eq 5 && $(json_field "$j" activations_quantized) -ge 8 ]] ||
  fail "expected 5 weights and at least 8 activations quantized: $j"
"$sinter" quantize lenet.onnx --granularity channel --bits 8 "${calibrate[@]}" -o q8_text.onnx 2>err.txt |
  grep -q "accuracy:  float" || fail "quantize without --json prints no accuracy line: $(cat err.txt)"

# 2. ONNX Runtime on the QDQ models against `sinter eval --predictions`.
ensure_ort
ort_check() {  # ort_check MODEL OPTIMIZATION MAX_SAMPLES_DIFFERING
  # With ORT's optimizations off, sinter runs the file's float ops too; on, both run integers.
  local float_layers=()
  [[ $2 == disabled ]] && float_layers=(--float-layers)
  "$sinter" eval "$1" --limit 1000 --predictions "$1.csv" --json "${float_layers[@]}" >/dev/null 2>err.txt ||
    fail "eval of $1: $(cat err.txt)"
  node "$here/ort_predictions.js" "$ort" "$1" "$1.csv" "$fmnist" 1000 0.25 0.99 "$2" >ort.json 2>err.txt ||
    fail "ONNX Runtime ($2) disagrees on $1 beyond logit tolerance 0.25 or 99% agreement: $(cat ort.json err.txt)"
  echo "ort vs sinter, $1: $(cat ort.json)"
  local differing
  differing=$(json_field "$(cat ort.json)" samples_differing)
  [[ -n $differing && $differing -le $3 ]] ||
    fail "ONNX Runtime ($2) on $1: $differing samples have a logit off by more than 1e-4"
}
# Both engines compute the same fake-quantized network, but a conv sum a last bit apart can
# round an activation to the neighbouring step when it lies on a rounding boundary; a logit then
# moves by about a step times a weight, and a near tie can change its prediction. With ORT's
# optimizations off (DequantizeLinear and float ops as written) that is rare: at most 1% of the
# samples may show it (sinter then runs the same float ops: --float-layers). On, both engines run
# integer kernels, whose requantizations round differently more often; only the tolerance and
# the agreement are checked.
ort_check q8.onnx disabled 10
ort_check q8.onnx all 1000

# 3. int4 weights per channel and per vector of 16 (ragged reductions padded): both reported.
for g in channel vector:16; do
  out=$("$sinter" quantize lenet.onnx --granularity $g --bits 4 --method mse "${calibrate[@]}" -o "q4_${g%%:*}.onnx" --json 2>err.txt)
  [[ $? -eq 0 ]] || fail "int4 $g quantize: $(cat err.txt)"
  j=$(tail -1 <<<"$out")
  echo "int4 per $g: float $(json_field "$j" float_test_accuracy) -> $(json_field "$j" test_accuracy), $(json_field "$j" quantized_model_bytes) bytes"
  at_least "$(json_field "$j" test_accuracy)" "$(awk -v f="$float_acc" 'BEGIN { print f - 0.05 }')" ||
    fail "int4 $g accuracy $(json_field "$j" test_accuracy) is far below the float $float_acc"
done
ort_check q4_vector.onnx disabled 10
ort_check q4_vector.onnx all 1000

# 3b. The same at opset 21: int4 values packed two a byte and blocked DequantizeLinear scales.
# The file is smaller, sinter reads the same network (identical predictions), and ORT runs it.
"$sinter" quantize lenet.onnx --granularity vector:16 --bits 4 --method mse --opset 21 "${calibrate[@]}" \
  -o q4_blocked.onnx --quiet >/dev/null 2>err.txt || fail "int4 vector:16 --opset 21 quantize: $(cat err.txt)"
(($(stat -c %s q4_blocked.onnx) < $(stat -c %s q4_vector.onnx))) ||
  fail "the opset-21 int4 file ($(stat -c %s q4_blocked.onnx) bytes) is not smaller than the opset-13 one"
"$sinter" eval q4_vector.onnx --limit 1000 --predictions p13.csv >/dev/null 2>err.txt &&
  "$sinter" eval q4_blocked.onnx --limit 1000 --predictions p21.csv >/dev/null 2>>err.txt ||
  fail "eval of the int4 files: $(cat err.txt)"
cmp -s <(cut -d, -f1-2 p13.csv) <(cut -d, -f1-2 p21.csv) ||
  fail "opset-21 and opset-13 int4 files predict differently"
ort_check q4_blocked.onnx disabled 10
ort_check q4_blocked.onnx all 1000

# 4. Two-level vector scales (4-bit factors times a float per channel, VS-Quant) after one epoch
# of quantization-aware fine-tuning: reported against plain post-training quantization, and run
# by ONNX Runtime too (its DequantizeLinear, Cast and Mul).
out=$("$sinter" quantize lenet.onnx --granularity vector:16 --scale-bits 4 --bits 4 --qat 1 \
  --train-limit 3200 "${calibrate[@]}" -o q4_two_level.onnx --json 2>err.txt)
[[ $? -eq 0 ]] || fail "int4 two-level quantize with --qat: $(cat err.txt)"
j=$(tail -1 <<<"$out")
echo "int4 two-level per vector:16: post-training $(json_field "$j" post_training_test_accuracy) -> after QAT $(json_field "$j" test_accuracy), $(json_field "$j" quantized_model_bytes) bytes"
[[ -n $(json_field "$j" post_training_test_accuracy) ]] || fail "--qat reports no post_training_test_accuracy: $j"
at_least "$(json_field "$j" test_accuracy)" "$(awk -v f="$float_acc" 'BEGIN { print f - 0.05 }')" ||
  fail "int4 two-level accuracy $(json_field "$j" test_accuracy) is far below the float $float_acc"
ort_check q4_two_level.onnx disabled 10
ort_check q4_two_level.onnx all 1000

# 5. Bad input: one line on stderr, exit 1, no output file.
expect_error "bits 3" "--bits must be 4 or 8" "$sinter" quantize lenet.onnx --bits 3 "${calibrate[@]}" -o bad.onnx
expect_error "already quantized" "already quantized" "$sinter" quantize q8.onnx "${calibrate[@]}" -o bad.onnx
/usr/bin/python3 - <<'PY' || fail "could not write the .npy calibration data"
import numpy as np
np.save("small_images.npy", np.zeros((64, 1, 12, 12), np.float32))
np.save("small_labels.npy", np.zeros(64, np.int64))
PY
expect_error "calibration images of the wrong shape" "do not fit the model input" \
  "$sinter" quantize lenet.onnx --calibrate npy:small_images.npy,small_labels.npy:32 --data fashion-mnist \
  --test-limit 100 -o bad.onnx
expect_error "scale bits per channel" "--scale-bits applies to --granularity vector" \
  "$sinter" quantize lenet.onnx --scale-bits 4 -o bad.onnx
expect_error "unknown granularity" "--granularity" "$sinter" quantize lenet.onnx --granularity row -o bad.onnx
expect_error "percentile out of range" "percentile:40" "$sinter" quantize lenet.onnx --method percentile:40 -o bad.onnx

finish
