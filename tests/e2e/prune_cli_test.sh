#!/usr/bin/env bash
# End-to-end test of `sinter prune` on slices of Fashion-MNIST: a briefly trained lenet5 pruned
# with every scheme and method, a vgg-small pruned to patterns with connectivity; each output is
# read back straight from its protobuf bytes to check the zeros, the pattern set in the metadata
# and the JSON figures; ONNX Runtime runs a pruned model to sinter's predictions; bad input fails
# with one line, exit 1 (2 for usage), and no output file.
# usage: tests/e2e/prune_cli_test.sh SINTER_BINARY SCRATCH_DIR
set -uo pipefail
sinter=$1
scratch=$2
here=$(cd "$(dirname "$0")" && pwd)
test_name=prune_cli_test
source "$here/fmnist_e2e_common.sh"
# check PYTHON_CONDITION FILE.onnx JSON_LINE: the condition sees `w` (weights: shape, nonzeros,
# kernels), `meta` (metadata) and `j` (the command's JSON line).
check() {
  [[ -f $2 ]] && python3 "$here/onnx_weights.py" "$2" >weights.json || { fail "cannot read $2"; return; }
  JSON_LINE=$3 python3 - "$1" <<'PY' || fail "$2: $1"
import json, os, sys
d = json.load(open("weights.json"))
w, meta, j = d["weights"], d["metadata"], json.loads(os.environ["JSON_LINE"])
def sparsity(names):  # the pruned fraction of these weights, from the file's zeros
    total = sum(len_of(w[n]) for n in names)
    return 1 - sum(w[n]["nonzeros"] for n in names) / total
def len_of(t):
    n = 1
    for d in t["shape"]:
        n *= d
    return n
pruned = meta["sinter.prune.weights"].split(",")
ok = eval(sys.argv[1])
if not ok:
    print(f"  pruned {pruned}: sparsity {sparsity(pruned):.4f}; json {j}", file=sys.stderr)
sys.exit(0 if ok else 1)
PY
}

slice=(--train-limit 1280 --test-limit 500 --threads 2 --seed 3)

# 1. A dense lenet5 to prune.
"$sinter" train --model lenet5 --epochs 2 --train-limit 2560 --test-limit 500 --threads 2 --seed 3 \
  -o lenet.onnx --quiet >/dev/null 2>err.txt || fail "training lenet5 failed: $(cat err.txt)"

# 2. Every scheme, each with one method; the JSON line's figures and the file's zeros agree.
prune() {  # prune NAME ARGS...: prunes lenet.onnx into NAME.onnx, one retraining epoch; sets $out
  local name=$1
  shift
  out=$("$sinter" prune lenet.onnx "$@" "${slice[@]}" --retrain-epochs 1 -o "$name.onnx" --json \
    2>err.txt)
  [[ $? -eq 0 && -s $name.onnx ]] || fail "prune $name: $(cat err.txt)"
  out=$(tail -1 <<<"$out")
  echo "$name: $(json_field "$out" dense_test_accuracy) -> $(json_field "$out" test_accuracy)," \
    "sparsity $(json_field "$out" prunable_sparsity) of the pruned layers"
  awk -v a="$(json_field "$out" test_accuracy)" 'BEGIN { exit !(a > 0.5) }' ||
    fail "$name: test accuracy $(json_field "$out" test_accuracy)"
}
lenet_targets='pruned == ["conv2.weight", "fc1.weight", "fc2.weight"]'
json_agrees='abs(j["prunable_sparsity"] - sparsity(pruned)) < 1e-9 and j["nonzeros"] == sum(t["nonzeros"] for t in w.values()) and j["total_weights"] == sum(len_of(t) for t in w.values())'

prune unstructured --scheme unstructured --sparsity 0.8 --method admm --admm-epochs 1
check "$lenet_targets and abs(sparsity(pruned) - 0.8) < 1e-3 and $json_agrees and meta['sinter.prune.scheme'] == 'unstructured' and j['storage_bytes']['csr'] < j['storage_bytes']['dense']" unstructured.onnx "$out"
check "w['conv1.weight']['nonzeros'] == 150 and w['fc3.weight']['nonzeros'] == 840" unstructured.onnx "$out"

prune filter --scheme filter --sparsity 0.5 --method magnitude
check "$lenet_targets and abs(sparsity(pruned) - 0.5) < 1e-3 and $json_agrees and 'compact' in j['storage_bytes']" filter.onnx "$out"
# Whole filters: conv2 keeps 8 of its 16 [6, 5, 5] filters.
python3 "$here/onnx_weights.py" filter.onnx | grep -q '"conv2.weight": {"shape": \[16, 6, 5, 5\], "nonzeros": 1200}' ||
  fail "filter pruning did not keep 8 whole conv2 filters"

prune channel --scheme channel --sparsity 0.5 --method gradual --admm-epochs 1
check "$lenet_targets and abs(sparsity(pruned) - 0.5) < 1e-3 and $json_agrees and meta['sinter.prune.method'] == 'gradual'" channel.onnx "$out"

prune balanced --scheme balanced:20 --sparsity 0.75 --method admm --admm-epochs 1
check "$lenet_targets and abs(sparsity(pruned) - 0.75) < 1e-3 and $json_agrees and meta['sinter.prune.scheme'] == 'balanced:20'" balanced.onnx "$out"

# Whole blocks of 4 outputs: the layers whose outputs are not a multiple of 4 end in smaller
# blocks, so the weights' sparsity is near the blocks'.
prune block --scheme block:4 --sparsity 0.75 --method magnitude
check "$lenet_targets and abs(sparsity(pruned) - 0.75) < 0.02 and $json_agrees and meta['sinter.prune.scheme'] == 'block:4'" block.onnx "$out"

prune nm --scheme nm:2:4 --method magnitude
check "$lenet_targets and abs(sparsity(pruned) - 0.5) < 2e-3 and $json_agrees" nm.onnx "$out"

# Joint pruning and 4-bit quantization, every layer at its own rate: the survivors already lie on
# their per-channel 4-bit grids, so quantizing the weights (activations float) changes nothing.
prune joint --scheme unstructured --sparsity 0.8 --bits 4 --method admm --admm-epochs 1 \
  --layer-sparsity conv1.weight=0.3,fc3.weight=0.5
check "len(pruned) == 5 and meta['sinter.prune.bits'] == '4' and json.loads(meta['sinter.prune.layer_sparsity']) == {'conv1.weight': 0.3, 'fc3.weight': 0.5} and abs(w['fc1.weight']['nonzeros'] / 48000 - 0.2) < 1e-3 and abs(w['conv1.weight']['nonzeros'] / 150 - 0.7) < 0.02" joint.onnx "$out"
joint_acc=$(json_field "$out" test_accuracy)
q=$("$sinter" quantize joint.onnx --bits 4 --granularity channel --activations none --test-limit 500 \
  --json 2>err.txt -o joint.q4.onnx | tail -1) || fail "quantize joint.onnx: $(cat err.txt)"
[[ $(json_field "$q" test_accuracy) == "$joint_acc" ]] ||
  fail "4-bit quantization of the jointly pruned model changed its accuracy: $joint_acc -> $(json_field "$q" test_accuracy)"

# 3. vgg-small to 8 patterns with connectivity 2: at most 4 taps per kernel, every kernel on a
# pattern of the recorded set, at most half of the kernels left, the rest of the model dense.
"$sinter" train --model vgg-small --epochs 1 --train-limit 1280 --test-limit 500 --threads 2 --seed 3 \
  -o vgg.onnx --quiet >/dev/null 2>err.txt || fail "training vgg-small failed: $(cat err.txt)"
out=$("$sinter" prune vgg.onnx --scheme pattern --patterns 8 --connectivity 2 --method admm \
  --train-limit 640 --test-limit 500 --threads 2 --seed 3 --admm-epochs 1 --retrain-epochs 1 \
  -o pattern.onnx --json 2>err.txt)
[[ $? -eq 0 ]] || fail "pattern pruning failed: $(cat err.txt)"
out=$(tail -1 <<<"$out")
echo "pattern: $(json_field "$out" dense_test_accuracy) -> $(json_field "$out" test_accuracy), storage $(sed -n 's/.*"storage_bytes":\({[^}]*}\).*/\1/p' <<<"$out")"
check 'pruned == ["conv2.weight", "conv3.weight", "conv4.weight"] and len(json.loads(meta["sinter.prune.patterns"])) == 8 and json.loads(meta["sinter.prune.patterns"]) == j["pattern_set"] and meta["sinter.prune.connectivity"] == "2" and all(all(k == 0 or (bin(k).count("1") <= 4 and any(k & ~p == 0 for p in j["pattern_set"])) for k in w[n]["kernels"]) and sum(k != 0 for k in w[n]["kernels"]) <= len(w[n]["kernels"]) // 2 for n in pruned) and w["conv1.weight"]["nonzeros"] == 288 and j["storage_bytes"]["pattern"] < j["storage_bytes"]["csr"]' pattern.onnx "$out"
# The pruned convs run on the pattern kernel, or on the dense ones with --dense-kernels.
"$sinter" info pattern.onnx >info.txt 2>err.txt && [[ $(grep -c conv2d_pattern info.txt) -eq 3 ]] ||
  fail "info: the pruned convs are not on conv2d_pattern: $(cat info.txt err.txt)"
"$sinter" info pattern.onnx --dense-kernels >info.txt 2>err.txt && ! grep -q conv2d_pattern info.txt ||
  fail "info --dense-kernels: $(cat info.txt err.txt)"

# 4. ONNX Runtime runs a pruned model to the same predictions as sinter.
ensure_ort
"$sinter" eval unstructured.onnx --limit 500 --predictions pred.csv --json >/dev/null 2>err.txt ||
  fail "eval of the pruned model failed: $(cat err.txt)"
node "$here/ort_predictions.js" "$ort" unstructured.onnx pred.csv "$fmnist" 500 >ort.json 2>err.txt ||
  fail "ONNX Runtime disagrees on the pruned model: $(cat ort.json err.txt)"

# 5. Bad input: one line on stderr, exit 1, no output file.
# expect_prune_error NAME EXPECTED_TEXT PRUNE_ARGS...: a prune of the data slice that must fail.
expect_prune_error() {
  local what=$1 text=$2
  shift 2
  expect_error "$what" "$text" "$sinter" prune "$@" "${slice[@]}" --quiet -o bad.onnx
}
expect_prune_error "nothing prunable" "nothing to prune" lenet.onnx --scheme pattern
expect_prune_error "sparsity 1" "sparsity must be in [0, 1)" lenet.onnx --sparsity 1
expect_prune_error "negative sparsity" "got -0.5" lenet.onnx --sparsity -0.5
expect_prune_error "57 patterns" "pattern count must be between 1 and 56" vgg.onnx --scheme pattern --patterns 57
expect_prune_error "0 patterns" "got 0" vgg.onnx --scheme pattern --patterns 0
expect_prune_error "unknown scheme" "unknown pruning scheme 'dense'" lenet.onnx --scheme dense --sparsity 0.5
expect_prune_error "bad N:M" "1 <= N <= M" lenet.onnx --scheme nm:4:2
expect_prune_error "no sparsity" "needs --sparsity" lenet.onnx --scheme filter
expect_prune_error "gradual N:M" "fixes its own" lenet.onnx --scheme nm:2:4 --method gradual
expect_prune_error "missing model" "no_such.onnx" no_such.onnx --sparsity 0.5
expect_prune_error "3-bit survivors" "--bits must be 4 or 8" lenet.onnx --sparsity 0.5 --bits 3
expect_prune_error "layer sparsity without a number" "is not WEIGHT=SPARSITY" lenet.onnx --sparsity 0.5 \
  --layer-sparsity fc1.weight=
expect_prune_error "layer sparsity of no layer" "no prunable Conv/Gemm weight" lenet.onnx --sparsity 0.5 \
  --layer-sparsity fc9.weight=0.5
# A failure after training has begun leaves no file either.
expect_prune_error "non-finite loss" "training step" lenet.onnx --sparsity 0.5 --lr 1e30
"$sinter" prune lenet.onnx --sparsity 0.5 >/dev/null 2>&1
[[ $? -eq 2 ]] || fail "a missing -o should be a usage error (exit 2)"
[[ $("$sinter" prune --help) == *--connectivity* ]] || fail "prune --help lacks --connectivity"

finish
