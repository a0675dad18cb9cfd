#!/usr/bin/env bash
# End-to-end test of `sinter compile` and plan files: a small conv net (Winograd, GEMM and fully
# connected layers) compiled to a plan that run, bench and info load; run gives the bytes that
# running the ONNX file gives; an Inception-style block compiled with inter-operator schedules
# that the plan keeps, giving the sequential bytes; truncated, damaged or foreign plans,
# compile-time flags given to a plan and unwritable outputs fail with exit 1 and one line,
# leaving nothing behind.
# usage: tests/e2e/compile_cli_test.sh SINTER_BINARY SCRATCH_DIR
set -uo pipefail
sinter=$1
scratch=$2
python=
for p in "${PYTHON:-}" /usr/bin/python3 python3; do
  if [[ -n $p ]] && "$p" -c 'import numpy, onnx' 2>/dev/null; then python=$p && break; fi
done
[[ -n $python ]] || { echo "compile_cli_test: needs python3 with numpy and onnx" >&2; exit 1; }
rm -rf "$scratch" && mkdir -p "$scratch" && cd "$scratch" || exit 1
export SINTER_TUNING_DB=$scratch/tuning.json  # the user's own database stays untouched
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
expect_ok() {
  local name=$1
  shift
  "$@" >"$name.out" 2>"$name.err" || fail "$name: exit $? ($(cat "$name.err"))"
}
expect_error() {
  local name=$1 code=$2 pattern=$3
  shift 3
  "$@" >"$name.out" 2>"$name.err"
  local rc=$?
  [[ $rc == "$code" ]] || fail "$name: exit $rc, expected $code"
  [[ $(wc -l <"$name.err") == 1 ]] || fail "$name: stderr is not one line: $(cat "$name.err")"
  grep -q "^sinter: error: .*$pattern" "$name.err" || fail "$name: stderr: $(cat "$name.err")"
  echo "ok  $name: $(cat "$name.err")"
}

"$python" - <<'PY' || exit 1
import numpy as np, onnx
from onnx import helper, numpy_helper, TensorProto
rng = np.random.default_rng(3)
def w(name, *shape):
    return numpy_helper.from_array(rng.uniform(-0.2, 0.2, shape).astype(np.float32), name)
nodes = [
    helper.make_node("Conv", ["x", "w0", "b0"], ["c0"], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c0"], ["r0"]),
    helper.make_node("Conv", ["r0", "w1", "b1"], ["c1"], pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c1"], ["r1"]),
    helper.make_node("GlobalAveragePool", ["r1"], ["p"]),
    helper.make_node("Flatten", ["p"], ["f"]),
    helper.make_node("Gemm", ["f", "fc", "fcb"], ["y"], transB=1),
]
graph = helper.make_graph(
    nodes, "net", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 16, 16])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])],
    [w("w0", 64, 3, 3, 3), w("b0", 64), w("w1", 64, 64, 3, 3), w("b1", 64), w("fc", 10, 64),
     w("fcb", 10)])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), "net.onnx")
np.save("x.npy", rng.uniform(-1, 1, (2, 3, 16, 16)).astype(np.float32))
np.save("x1.npy", rng.uniform(-1, 1, (1, 3, 16, 16)).astype(np.float32))
# An Inception-style block: four branches, three 1x1 convs on one input (which may merge).
convs = [("x", "a", 32, 16, 1), ("x", "b1", 32, 16, 1), ("x", "c1", 32, 8, 1),
         ("b1r", "b2", 16, 24, 3), ("c1r", "c2", 8, 8, 3)]
nodes, weights = [], []
for x, y, c, m, k in convs:
    nodes += [helper.make_node("Conv", [x, "w" + y, "b" + y], [y], pads=[k // 2] * 4),
              helper.make_node("Relu", [y], [y + "r"])]
    weights += [w("w" + y, m, c, k, k), w("b" + y, m)]
nodes += [helper.make_node("MaxPool", ["x"], ["p"], kernel_shape=[3, 3], pads=[1, 1, 1, 1]),
          helper.make_node("Concat", ["ar", "b2r", "c2r", "p"], ["y"], axis=1)]
graph = helper.make_graph(
    nodes, "block", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 32, 28, 28])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 80, 28, 28])], weights)
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), "block.onnx")
np.save("xb.npy", rng.uniform(-1, 1, (1, 32, 28, 28)).astype(np.float32))
PY

expect_ok help_compile "$sinter" compile --help
expect_ok compile "$sinter" compile net.onnx -o net.splan --batch 2 --threads 2
grep -q "^wrote net.splan" compile.out || fail "compile: $(cat compile.out)"
expect_ok compile_json "$sinter" compile net.onnx -o net_json.splan --batch 2 --json
"$python" - <<'PY' || fail "compile --json: $(cat compile_json.out)"
import json
j = json.load(open("compile_json.out"))
assert j["plan"] == "net_json.splan" and j["threads"] == 1 and j["nodes"] > 0, j
assert j["prepacked_bytes"] > 0 and j["file_bytes"] > j["graph_bytes"], j
PY

# The plan runs like the model it came from, to the byte.
expect_ok run_onnx "$sinter" run net.onnx -i x.npy -o y_onnx.npy --threads 2
expect_ok run_plan "$sinter" run net.splan -i x.npy -o y_plan.npy
cmp -s y_onnx.npy y_plan.npy || fail "run: the plan's output differs from the model's"
grep -q "loaded the plan in .* (2 threads)" run_plan.out || fail "run plan: $(cat run_plan.out)"
expect_ok info_plan "$sinter" info net.splan
grep -q "^plan: .*compiled from net.onnx" info_plan.out || fail "info plan: $(cat info_plan.out)"
expect_ok info_plan_json "$sinter" info net.splan --json
"$python" -c 'import json; j=json.load(open("info_plan_json.out")); assert j["plan"]["threads"]==2 and j["plan"]["prepacked_bytes"]>0, j["plan"]' ||
  fail "info --json: $(head -c 400 info_plan_json.out)"
expect_ok bench_plan "$sinter" bench net.splan --reps 3 --warmup 1 --json
"$python" -c 'import json; j=json.loads(open("bench_plan.out").read().splitlines()[-1]); assert j["plan_file"] and j["threads"]==2 and j["batch"]==2, j' ||
  fail "bench --json: $(cat bench_plan.out)"
expect_ok bench_plan_threads "$sinter" bench net.splan --reps 2 --threads 1 --profile

# Tuning: measured layers go into the database, and a compile takes its kernels from there.
expect_ok help_tune "$sinter" tune --help
expect_ok tune "$sinter" tune net.onnx --budget 20 --batch 2 --quiet
grep -q "^tuned [1-9][0-9]* layers" tune.out || fail "tune: $(cat tune.out)"
[[ -s tuning.json ]] || fail "tune wrote no tuning.json"
expect_ok compile_tuned "$sinter" compile net.onnx -o net_tuned.splan --batch 2 --json
"$python" -c 'import json; j=json.load(open("compile_tuned.out")); assert j["tuned_steps"] > 0, j' ||
  fail "compile with the database: $(cat compile_tuned.out)"
expect_ok compile_tune "$sinter" compile net.onnx -o net_tune.splan --batch 2 --tune 10 --quiet
grep -q "^tuned [1-9][0-9]* layers" compile_tune.out || fail "compile --tune: $(cat compile_tune.out)"
expect_ok run_tuned "$sinter" run net_tune.splan -i x.npy -o y_tuned.npy
"$python" - <<'PY' || fail "the tuned plan's output differs from the model's"
import numpy as np
a, b = np.load("y_onnx.npy"), np.load("y_tuned.npy")
assert np.allclose(a, b, rtol=1e-4, atol=1e-4), np.abs(a - b).max()
PY

# Inter-operator schedules: kept in the plan, outputs identical to running every node in order.
expect_ok run_block "$sinter" run block.onnx -i xb.npy -o yb.npy --threads 2
for how in ios greedy; do
  expect_ok "run_block_$how" "$sinter" run block.onnx -i xb.npy -o "yb_$how.npy" --threads 2 \
    --schedule "$how"
  cmp -s yb.npy "yb_$how.npy" || fail "run --schedule $how: outputs differ from sequential"
  expect_ok "compile_block_$how" "$sinter" compile block.onnx -o "block_$how.splan" --threads 2 \
    --schedule "$how"
  # Which stages run side by side depends on the times measured here.
  grep -Eq "^schedule: ($how: .* concurrent|sequential)" "compile_block_$how.out" ||
    fail "compile --schedule $how: $(cat "compile_block_$how.out")"
  expect_ok "run_block_plan_$how" "$sinter" run "block_$how.splan" -i xb.npy -o "ybp_$how.npy"
  cmp -s yb.npy "ybp_$how.npy" || fail "the $how plan's outputs differ from sequential"
  expect_ok "info_block_$how" "$sinter" info "block_$how.splan"
  grep -Eq "^schedule: *($how: |sequential)" "info_block_$how.out" ||
    fail "info: $(cat "info_block_$how.out")"
done
expect_ok compile_block_auto "$sinter" compile block.onnx -o block_auto.splan --threads 2 --json
"$python" -c 'import json; j=json.load(open("compile_block_auto.out")); assert j["schedule"] in ("ios", "sequential") and j["schedule_summary"], j' ||
  fail "compile --json: $(cat compile_block_auto.out)"
expect_ok bench_block_ios "$sinter" bench block.onnx --threads 2 --schedule ios --reps 2 --json
"$python" -c 'import json; j=json.loads(open("bench_block_ios.out").read().splitlines()[-1]); assert "schedule_summary" in j, j' ||
  fail "bench --schedule ios --json: $(cat bench_block_ios.out)"
expect_error plan_schedule_flag 1 "--schedule apply when compiling" "$sinter" bench \
  block_ios.splan --schedule greedy
"$sinter" compile block.onnx -o bad.splan --schedule fastest >/dev/null 2>&1
[[ $? == 2 ]] || fail "compile --schedule fastest: not a usage error"
[[ -e bad.splan ]] && fail "compile --schedule fastest left bad.splan behind"

# What fails, and how.
expect_error tune_zero_budget 1 "budget must be a positive" "$sinter" tune net.onnx --budget 0
expect_error compile_zero_tune 1 "tune must be a positive" "$sinter" compile net.onnx -o z.splan \
  --tune 0
[[ -e z.splan ]] && fail "compile --tune 0 left z.splan behind"
echo '{"format": 1, "entries": [{"key": 3}]}' >bad_tuning.json
expect_error compile_bad_db 1 "bad_tuning.json: not a sinter tuning database" \
  "$sinter" compile net.onnx -o b.splan --tuning-db bad_tuning.json
[[ -e b.splan ]] && fail "a bad tuning database left b.splan behind"
expect_error plan_other_shape 1 "model input .x. is float32 \\[2,3,16,16\\]" "$sinter" run net.splan -i x1.npy -o t1.npy
expect_error plan_compile_flag 1 "apply when compiling" "$sinter" run net.splan -i x.npy \
  --dense-kernels
head -c 5000 net.splan >truncated.splan
expect_error plan_truncated 1 "truncated plan file" "$sinter" run truncated.splan -i x.npy -o t2.npy
cp net.splan damaged.splan
size=$(stat -c %s damaged.splan)
printf '\xff' | dd of=damaged.splan bs=1 seek=$((size - 100)) conv=notrunc status=none
expect_error plan_damaged 1 "damaged (checksum mismatch)" "$sinter" bench damaged.splan
isa=$("$sinter" bench net.onnx --reps 1 --json 2>/dev/null | tail -n 1 |
  "$python" -c 'import json,sys; print(json.loads(sys.stdin.read())["isa"])')
if [[ $isa != portable ]]; then
  expect_error plan_other_isa 1 "compiled for the '$isa' tier" "$sinter" info net.splan --isa portable
fi
expect_error compile_unwritable 1 "cannot create a temporary file" \
  "$sinter" compile net.onnx -o no_such_dir/net.splan
[[ -e no_such_dir ]] && fail "compile_unwritable left no_such_dir behind"
expect_error compile_missing 1 "no_such.onnx" "$sinter" compile no_such.onnx -o x.splan
[[ -e x.splan ]] && fail "compile_missing left x.splan behind"
ls ./*.tmp.* >/dev/null 2>&1 && fail "temporary files left behind: $(ls ./*.tmp.*)"
for t in t1 t2; do [[ -e $t.npy ]] && fail "$t.npy written by a failed run"; done

if ((failures)); then
  echo "$failures failure(s)" >&2
  exit 1
fi
echo "compile_cli_test: all passed"
