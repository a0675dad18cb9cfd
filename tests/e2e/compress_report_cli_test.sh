#!/usr/bin/env bash
# End-to-end test of `sinter compress-report` on a briefly trained lenet5, its magnitude-pruned
# copy and that copy quantized to int4: the report's accuracies agree with `sinter eval`, the
# pruned model is counted in CSR at 32 bits and the quantized one at 4 bits with its scales, the
# CSV, JSON and PNG are written, and bad input fails with one line, exit 1, and no report file.
# usage: tests/e2e/compress_report_cli_test.sh SINTER_BINARY SCRATCH_DIR
set -uo pipefail
sinter=$1
scratch=$2
here=$(cd "$(dirname "$0")" && pwd)
test_name=compress_report_cli_test
source "$here/fmnist_e2e_common.sh"
slice=(--test-limit 500 --threads 1)

"$sinter" train --model lenet5 --epochs 1 --train-limit 2000 --test-limit 500 --threads 2 --seed 1 \
  -o lenet.onnx --quiet >/dev/null 2>err.txt || { echo "FAIL: train: $(cat err.txt)" >&2; exit 1; }
"$sinter" prune lenet.onnx --scheme unstructured --sparsity 0.8 --method magnitude --retrain-epochs 0 \
  --train-limit 2000 "${slice[@]}" -o pruned.onnx --quiet >/dev/null 2>err.txt ||
  { echo "FAIL: prune: $(cat err.txt)" >&2; exit 1; }
"$sinter" quantize pruned.onnx --bits 4 --granularity channel --calibrate fashion-mnist:200 \
  "${slice[@]}" -o pruned.q4.onnx >/dev/null 2>err.txt ||
  { echo "FAIL: quantize: $(cat err.txt)" >&2; exit 1; }
reference_accuracy=$(json_field "$("$sinter" eval lenet.onnx --limit 500 --json 2>/dev/null)" test_accuracy)

# 1. The report with timing, as JSON.
out=$("$sinter" compress-report lenet.onnx pruned.onnx pruned.q4.onnx "${slice[@]}" --time --reps 3 \
  --batch 32 -o report --json 2>progress.txt)
[[ $? -eq 0 ]] || fail "compress-report: $(cat progress.txt)"
grep -q '\[3/3\] pruned.q4: timing at batch 32' progress.txt || fail "no per-model progress: $(cat progress.txt)"
tail -1 <<<"$out" >line.json
for f in report.csv report.json report.png; do [[ -s $f ]] || fail "$f was not written"; done
[[ $(head -c 4 report.png | tail -c 3) == PNG ]] || fail "report.png is not a PNG"
[[ $(wc -l <report.csv) -eq 4 ]] || fail "report.csv should hold a header and 3 rows: $(cat report.csv)"
head -1 report.csv | grep -q '^name,file,compression,test_accuracy,' || fail "report.csv header: $(head -1 report.csv)"
REFERENCE_ACCURACY=$reference_accuracy python3 - <<'PY' || fail "report figures: $(cat line.json)"
import csv, json, os
line = json.load(open("line.json"))
saved = json.load(open("report.json"))
assert line["models"] == saved["models"], "the JSON line and report.json differ"
ref, pruned, q4 = line["models"]
assert [m["name"] for m in line["models"]] == ["lenet", "pruned", "pruned.q4"]
assert line["reference"] == "lenet" and line["test_samples"] == 500 and line["batch"] == 32
assert abs(ref["test_accuracy"] - float(os.environ["REFERENCE_ACCURACY"])) < 1e-9, "eval disagrees"
assert ref["compression"] == "dense" and ref["storage_format"] == "dense"
assert ref["stored_bytes"] == ref["dense_bytes"] == 4 * ref["weights"] and ref["byte_compression"] == 1
assert pruned["compression"] == "unstructured 80.0% magnitude", pruned["compression"]
assert pruned["storage_format"] == "csr" and pruned["value_bits"] == 32
assert pruned["weights"] == ref["weights"] and pruned["nonzero_weights"] < 0.25 * ref["weights"]
assert abs(pruned["weight_compression"] - ref["nonzero_weights"] / pruned["nonzero_weights"]) < 1e-9
assert abs(pruned["byte_compression"] - ref["dense_bytes"] / pruned["stored_bytes"]) < 1e-9
assert 2.5 < pruned["byte_compression"] < 5, pruned["byte_compression"]
assert q4["compression"].startswith("unstructured 80.0% magnitude + int4 symmetric per channel")
assert q4["storage_format"] == "csr" and q4["value_bits"] == 4 and q4["param_bytes"] > 0
# 4-bit values take an eighth of the float ones; the indices stay: well beyond the pruned model.
assert q4["nonzero_weights"] <= pruned["nonzero_weights"]
assert q4["byte_compression"] > 2 * pruned["byte_compression"], q4["byte_compression"]
for m in line["models"]:
    assert abs(m["accuracy_delta_pp"] - 100 * (m["test_accuracy"] - ref["test_accuracy"])) < 1e-9
    assert m["ms_per_image_batch_1"] > 0 and m["ms_per_image_batch_b"] > 0
rows = list(csv.DictReader(open("report.csv")))
assert [r["name"] for r in rows] == ["lenet", "pruned", "pruned.q4"]
assert int(rows[2]["stored_bytes"]) == q4["stored_bytes"] and rows[2]["value_bits"] == "4"
PY
echo "report: $(python3 -c 'import json; print([(m["name"], m["test_accuracy"], m["stored_bytes"]) for m in json.load(open("report.json"))["models"]])')"

# 2. A plan file among the models: evaluated and timed as compiled, at its batch.
"$sinter" compile pruned.onnx -o pruned.splan --no-tuning-db --quiet >/dev/null 2>err.txt ||
  fail "compile: $(cat err.txt)"
"$sinter" compress-report lenet.onnx pruned.onnx pruned.splan "${slice[@]}" --time --reps 3 \
  -o planreport --json >plan_line.json 2>progress.txt || fail "compress-report with a plan: $(cat progress.txt)"
grep -q '\[3/3\] pruned.splan: timing the plan at its batch, 1' progress.txt ||
  fail "no plan timing progress: $(cat progress.txt)"
python3 - <<'PY' || fail "plan row: $(cat plan_line.json)"
import json, os
ref, pruned, plan = json.loads(open("plan_line.json").read().splitlines()[-1])["models"]
assert plan["name"] == plan["file"] == "pruned.splan"
assert plan["plan_batch"] == 1 and pruned["plan_batch"] is None
# Its bytes are the file's; its weights live in the kernels' forms and are not counted.
assert plan["storage_format"] == "plan" and plan["stored_bytes"] == os.path.getsize("pruned.splan")
assert plan["weights"] is None and plan["nonzero_weights"] is None
# The same weights on the same kernels; only the batch the ONNX model is evaluated at differs.
assert abs(plan["test_accuracy"] - pruned["test_accuracy"]) <= 0.002, (plan, pruned)
assert plan["ms_per_image_batch_1"] > 0 and plan["ms_per_image_batch_b"] is None
PY

# 3. The table, without timing.
"$sinter" compress-report lenet.onnx pruned.q4.onnx "${slice[@]}" -o table --quiet >table.txt 2>err.txt ||
  fail "compress-report (table): $(cat err.txt)"
grep -q 'pruned.q4 .* csr 4-bit' table.txt || fail "the table lacks the quantized row: $(cat table.txt)"
[[ -s table.csv && -s table.json ]] || fail "the table run wrote no CSV/JSON"

# 4. Bad input: one line, exit 1, no bad.* file; a stray option is a usage error.
python3 - <<'PY'
import struct
def npy(path, dtype, shape, item):  # zeros in .npy format 1.0
    header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (dtype, shape)
    header += " " * (63 - (len(header) + 10) % 64) + "\n"
    count = 1
    for d in shape:
        count *= d
    open(path, "wb").write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode() + bytes(count * item))
npy("img32.npy", "<f4", (4, 1, 32, 32), 4)
npy("labels.npy", "<i8", (4,), 8)
PY
expect_error "missing model" "nothere.onnx" "$sinter" compress-report lenet.onnx nothere.onnx "${slice[@]}" -o bad
expect_error "no model" "at least one model" "$sinter" compress-report "${slice[@]}" -o bad
expect_error "input shape" "does not fit the images" \
  "$sinter" compress-report lenet.onnx pruned.onnx --data npy:img32.npy,labels.npy -o bad
expect_error "missing output directory" "does not exist" \
  "$sinter" compress-report lenet.onnx "${slice[@]}" -o nodir/bad
[[ ! -e nodir ]] || fail "a missing output directory was created"
echo garbage >junk.onnx
expect_error "not ONNX" "junk.onnx" "$sinter" compress-report lenet.onnx junk.onnx "${slice[@]}" -o bad
"$sinter" compress-report lenet.onnx --no-such-option >/dev/null 2>&1
[[ $? -eq 2 ]] || fail "an unknown option should exit 2"
[[ $("$sinter" compress-report --help) == *--time* ]] || fail "--help does not describe --time"

finish
