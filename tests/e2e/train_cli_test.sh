#!/usr/bin/env bash
# End-to-end test of `sinter train` and `sinter eval` on a slice of Fashion-MNIST: training
# writes the model, checkpoint, CSV log and plot; eval agrees with train's own figures; a run
# stopped early and resumed ends bit-identical to an uninterrupted one; ONNX Runtime gives the
# exported model's predictions too; bad input fails with exit 1, one line, and no files.
# usage: tests/e2e/train_cli_test.sh SINTER_BINARY SCRATCH_DIR
set -uo pipefail
sinter=$1
scratch=$2
here=$(cd "$(dirname "$0")" && pwd)
test_name=train_cli_test
source "$here/fmnist_e2e_common.sh"

small=(--train-limit 1280 --test-limit 500 --batch 64 --threads 2 --seed 3)

# 1. Train two epochs; every artefact appears; eval reproduces train's test accuracy.
out=$("$sinter" train --model lenet5 --epochs 2 "${small[@]}" -o lenet.onnx --json 2>err.txt)
[[ $? -eq 0 ]] || fail "train exited non-zero: $(cat err.txt)"
for f in lenet.onnx lenet.ckpt.onnx lenet.train.csv lenet.train.png; do
  [[ -s $f ]] || fail "train did not write $f"
done
[[ $(wc -l <lenet.train.csv) -eq 3 ]] || fail "the log should hold a header and 2 epochs"
acc=$(json_field "$(tail -1 <<<"$out")" test_accuracy)
awk -v a="$acc" 'BEGIN { exit !(a > 0.5) }' || fail "test accuracy $acc after 2 epochs"
"$sinter" eval lenet.onnx --limit 500 --json --predictions pred.csv >eval.json 2>err.txt ||
  fail "eval exited non-zero: $(cat err.txt)"
eval_acc=$(json_field "$(cat eval.json)" test_accuracy)
[[ $eval_acc == "$acc" ]] || fail "eval accuracy $eval_acc differs from train's $acc"
"$sinter" eval lenet.onnx --limit 200 | grep -q "Ankle boot" || fail "eval prints no confusion matrix"

# 2. Stop after 13 steps (mid-epoch 2), resume, and compare with the uninterrupted run.
vgg=(--model vgg-small --epochs 2 --train-limit 640 --test-limit 500 --batch 64 --threads 2 --seed 3)
"$sinter" train "${vgg[@]}" -o part.onnx \
  --max-steps 13 --quiet >/dev/null 2>err.txt || fail "stopped run failed: $(cat err.txt)"
"$sinter" train --resume part.ckpt.onnx -o resumed.onnx --threads 2 --quiet >/dev/null 2>err.txt ||
  fail "resumed run failed: $(cat err.txt)"
"$sinter" train "${vgg[@]}" -o whole.onnx \
  --quiet >/dev/null 2>err.txt || fail "uninterrupted run failed: $(cat err.txt)"
cmp -s resumed.onnx whole.onnx || fail "the resumed run's model differs from the uninterrupted run's"
[[ $(wc -l <resumed.train.csv) -eq 3 ]] || fail "the resumed log should hold both epochs"
"$sinter" train --resume part.ckpt.onnx --lr 0.5 -o x.onnx >/dev/null 2>err.txt
[[ $? -eq 1 && $(cat err.txt) == *"differs from the value"* ]] || fail "--resume with another --lr: $(cat err.txt)"
"$sinter" train --resume part.ckpt.onnx --lr 0.05 --seed 3 -o same.onnx --threads 2 --quiet >/dev/null 2>err.txt ||
  fail "--resume restating the run's own --lr and --seed: $(cat err.txt)"
cmp -s same.onnx whole.onnx || fail "resuming with restated settings changed the result"

# 3. ONNX Runtime on the exported model: the same predictions and logits.
ensure_ort
"$sinter" eval whole.onnx --limit 500 --predictions whole_pred.csv --json >/dev/null 2>err.txt ||
  fail "eval of vgg-small failed: $(cat err.txt)"
for m in lenet:pred.csv whole:whole_pred.csv; do
  node "$here/ort_predictions.js" "$ort" "${m%%:*}.onnx" "${m#*:}" "$fmnist" 500 >ort.json 2>err.txt ||
    fail "ONNX Runtime disagrees on ${m%%:*}.onnx: $(cat ort.json err.txt)"
  echo "ort vs sinter, ${m%%:*}: $(cat ort.json)"
done

# 4. Data brought as .npy: uint8 images [N,H,W] and int64 labels, with a separate test split.
/usr/bin/python3 - <<'PY' || fail "could not write the .npy dataset"
import numpy as np
rng = np.random.default_rng(0)
for split, n in (("train", 256), ("test", 64)):
    labels = np.arange(n) % 4
    images = rng.integers(0, 60, (n, 12, 12)).astype(np.uint8)
    for i, c in enumerate(labels):  # class c: a bright square in quadrant c
        images[i, (c // 2) * 6:(c // 2) * 6 + 5, (c % 2) * 6:(c % 2) * 6 + 5] += 180
    np.save(f"{split}_images.npy", images)
    np.save(f"{split}_labels.npy", labels.astype(np.int64))
PY
npy=npy:train_images.npy,train_labels.npy,test_images.npy,test_labels.npy
out=$("$sinter" train --model mlp --data "$npy" --epochs 5 --batch 32 -o npy.onnx --json 2>err.txt)
[[ $? -eq 0 ]] || fail "training on .npy data failed: $(cat err.txt)"
npy_acc=$(json_field "$(tail -1 <<<"$out")" test_accuracy)
awk -v a="$npy_acc" 'BEGIN { exit !(a > 0.9) }' || fail ".npy test accuracy $npy_acc"
"$sinter" eval npy.onnx --data "$npy" --json | grep -q '"samples":64' || fail "eval on the .npy test split"

# 5. Bad input: one line on stderr, exit 1, nothing written.
expect_error "unknown model" "unknown" "$sinter" train --model resnet9000 "${small[@]}" -o bad.onnx --quiet
expect_error "missing dataset" "no_such_dir" "$sinter" train --data fashion-mnist:no_such_dir -o bad.onnx --quiet
mkdir -p corrupt && cp "$fmnist"/*.gz corrupt/ &&
  head -c 30000 "$fmnist/train-images-idx3-ubyte.gz" >corrupt/train-images-idx3-ubyte.gz
expect_error "truncated dataset" "train-images" "$sinter" train --data fashion-mnist:corrupt -o bad.onnx --quiet
expect_error "non-finite loss" "training step" "$sinter" train --model lenet5 "${small[@]}" --lr 1e30 \
  --max-steps 5 -o bad.onnx --quiet
# A full disk, as a file-size limit: the checkpoint cannot be written.
(trap '' XFSZ; ulimit -f 200; "$sinter" train --model lenet5 "${small[@]}" --max-steps 2 -o bad.onnx \
  --checkpoint bad.ckpt.onnx --quiet >/dev/null 2>err.txt; echo $? >rc.txt)
[[ $(cat rc.txt) -eq 1 && $(wc -l <err.txt) -eq 1 ]] || fail "full disk: exit $(cat rc.txt): $(cat err.txt)"
[[ -z $(ls bad.* 2>/dev/null) ]] || fail "full disk: left $(ls bad.*)"
expect_error "eval of a missing model" "no_such.onnx" "$sinter" eval no_such.onnx
"$sinter" train --epochs 0 >/dev/null 2>&1
[[ $? -eq 2 ]] || fail "--epochs 0 should be a usage error (exit 2)"
# Read whole: grep -q would stop reading early, and with pipefail the help's SIGPIPE would fail.
[[ $("$sinter" train --help) == *--resume* ]] || fail "train --help lacks --resume"

finish
