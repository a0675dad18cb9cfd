#!/usr/bin/env bash
# End-to-end test of the sinter CLI on an ONNX backend test model from Debian's
# libonnx-testdata: info, run and bench succeed and agree with the expected output; bad input
# fails with exit 1 (2 for usage) and one line on stderr, and leaves no output file behind.
# usage: tests/e2e/cli_test.sh SINTER_BINARY SCRATCH_DIR
set -uo pipefail
sinter=$1
scratch=$2
data=${SINTER_TESTDATA:-/usr/share/libonnx-testdata/data/node}/test_conv_with_strides_padding
model=$data/model.onnx

# numpy and onnx come from Debian's python3-numpy and python3-onnx, which a pyenv python3 on
# PATH may not see.
python=
for p in "${PYTHON:-}" /usr/bin/python3 python3; do
  if [[ -n $p ]] && "$p" -c 'import numpy, onnx' 2>/dev/null; then python=$p && break; fi
done
[[ -n $python ]] || { echo "cli_test: needs python3 with numpy and onnx" >&2; exit 1; }
[[ -f $model ]] || { echo "cli_test: missing $model (libonnx-testdata)" >&2; exit 1; }

rm -rf "$scratch" && mkdir -p "$scratch" || exit 1
cd "$scratch" || exit 1
failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# The test data's TensorProtos as .npy files, plus a few bad files.
"$python" - "$data/test_data_set_0" <<'PY' || exit 1
import sys, numpy as np, onnx, onnx.numpy_helper as nh
for name in ["input_0", "input_1", "output_0"]:
    t = onnx.TensorProto()
    with open(f"{sys.argv[1]}/{name}.pb", "rb") as f:
        t.ParseFromString(f.read())
    np.save(f"{name}.npy", nh.to_array(t))
np.save("wrong_shape.npy", np.zeros((1, 1, 4, 4), np.float32))
np.save("float64.npy", np.zeros((1, 1, 7, 5), np.float64))
np.save("fortran.npy", np.asfortranarray(np.zeros((1, 1, 7, 5), np.float32)[0, 0]))
nan_input = np.load("input_0.npy")
nan_input.flat[3] = np.nan
np.save("nan.npy", nan_input)
model = onnx.load(sys.argv[1] + "/../model.onnx")
model.graph.node[0].op_type = "FancyOp"
onnx.save(model, "unsupported_op.onnx")
model = onnx.load(sys.argv[1] + "/../model.onnx")
model.graph.node[0].input[1] = "no_such_weight"
onnx.save(model, "missing_initializer.onnx")
with open("input_0.npy", "rb") as f:
    data = f.read()
with open("truncated.npy", "wb") as f:
    f.write(data[:-7])
PY
head -c 100 "$model" >truncated.onnx

# expect_ok NAME CMD...: exit 0.
expect_ok() {
  local name=$1
  shift
  "$@" >"$name.out" 2>"$name.err" || fail "$name: exit $? ($(cat "$name.err"))"
}

# expect_error NAME CODE CMD...: exit CODE, one 'sinter: error:' line on stderr, empty stdout.
expect_error() {
  local name=$1 code=$2
  shift 2
  "$@" >"$name.out" 2>"$name.err"
  local rc=$?
  [[ $rc == "$code" ]] || fail "$name: exit $rc, expected $code"
  if [[ $code == 1 ]]; then
    [[ $(wc -l <"$name.err") == 1 ]] || fail "$name: stderr is not one line: $(cat "$name.err")"
    grep -q '^sinter: error: ' "$name.err" || fail "$name: stderr: $(cat "$name.err")"
  fi
  [[ -s $name.out ]] && fail "$name: wrote to stdout: $(cat "$name.out")"
  echo "ok  $name: $(head -n 1 "$name.err")"
}

# --- what works ---
for cmd in "" info run bench; do
  expect_ok "help_$cmd" "$sinter" $cmd --help
done

expect_ok info_text "$sinter" info "$model"
grep -q 'Conv' info_text.out || fail "info: no Conv in $(cat info_text.out)"
expect_ok info_json "$sinter" info "$model" --json --batch 2
"$python" -m json.tool info_json.out >/dev/null || fail "info --json does not parse"
"$python" - <<'PY' || fail "info --json content"
import json
j = json.load(open("info_json.out"))
assert [i["name"] for i in j["inputs"]] == ["x", "W"], j["inputs"]
assert j["outputs"][0]["bound_shape"] == [1, 1, 4, 3], j["outputs"]
assert j["op_histogram"] == {"Conv": 1}, j["op_histogram"]
assert j["total_flops"] > 0 and j["layers"][0]["op"] == "Conv", j["layers"]
assert "arena_bytes" in j["memory"]
PY

# Positional and named bindings give the expected output of the test data.
expect_ok run_positional "$sinter" run "$model" -i input_0.npy -i input_1.npy -o y.npy
expect_ok run_named "$sinter" run "$model" -i W=input_1.npy -i x=input_0.npy -o y=y_named.npy \
  --threads 2
expect_ok run_no_optimize "$sinter" run "$model" -i input_0.npy -i input_1.npy -o y_noopt.npy \
  --no-optimize
for y in y.npy y_named.npy y_noopt.npy; do
  "$python" - "$y" <<'PY' || fail "run: $y differs from output_0"
import sys, numpy as np
got, want = np.load(sys.argv[1]), np.load("output_0.npy")
assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape)
assert np.allclose(got, want, rtol=1e-5, atol=1e-5), np.abs(got - want).max()
PY
done
expect_ok run_summary "$sinter" run "$model" -i input_0.npy -i input_1.npy
grep -q "output 'y' float32 \[1,1,4,3\]: 12 27 24" run_summary.out ||
  fail "run summary: $(cat run_summary.out)"
expect_ok run_json "$sinter" run "$model" -i input_0.npy -i input_1.npy --json
"$python" -c 'import json,sys; j=json.load(open("run_json.out")); assert j["outputs"][0]["shape"]==[1,1,4,3]' ||
  fail "run --json: $(cat run_json.out)"

expect_ok bench_json "$sinter" bench "$model" --reps 7 --warmup 1 --threads 2 --json --profile
"$python" - <<'PY' || fail "bench --json: $(tail -n 1 bench_json.out)"
import json
j = json.loads(open("bench_json.out").read().splitlines()[-1])
for k in ["min_ms", "median_ms", "mean_ms", "reps", "threads", "batch", "gflops", "arena_bytes"]:
    assert k in j, k
assert j["reps"] == 7 and j["threads"] == 2 and j["min_ms"] <= j["median_ms"], j
assert j["profile"]["nodes"][0]["op"] == "Conv", j["profile"]
PY
expect_ok bench_text "$sinter" bench "$model" --reps 3 --profile
grep -q 'median' bench_text.out && grep -q 'Conv_0' bench_text.out ||
  fail "bench --profile: $(cat bench_text.out)"

# --- what fails, and how ---
expect_error missing_model 1 "$sinter" info no_such_model.onnx
expect_error truncated_model 1 "$sinter" run truncated.onnx -i input_0.npy -o t1.npy
expect_error truncated_model_bench 1 "$sinter" bench truncated.onnx
expect_error wrong_shape 1 "$sinter" run "$model" -i wrong_shape.npy -i input_1.npy -o t2.npy
expect_error wrong_dtype 1 "$sinter" run "$model" -i float64.npy -i input_1.npy -o t3.npy
expect_error missing_npy 1 "$sinter" run "$model" -i no_such.npy -i input_1.npy -o t4.npy
expect_error truncated_npy 1 "$sinter" run "$model" -i truncated.npy -i input_1.npy -o t5.npy
expect_error fortran_npy 1 "$sinter" run "$model" -i fortran.npy -i input_1.npy -o t6.npy
expect_error missing_input 1 "$sinter" run "$model" -i input_0.npy -o t7.npy
expect_error unknown_input 1 "$sinter" run "$model" -i nope=input_0.npy -i input_1.npy -o t8.npy
expect_error too_many_inputs 1 "$sinter" run "$model" -i input_0.npy -i input_1.npy \
  -i input_1.npy -o t9.npy
expect_error output_dir_missing 1 "$sinter" run "$model" -i input_0.npy -i input_1.npy \
  -o no_such_dir/t10.npy
expect_error nan_input 1 "$sinter" run "$model" -i nan.npy -i input_1.npy -o t11.npy
expect_error unsupported_op 1 "$sinter" run unsupported_op.onnx -i input_0.npy -i input_1.npy
expect_error missing_initializer 1 "$sinter" info missing_initializer.onnx
grep -q "unsupported operator 'FancyOp' (opset [0-9]*) at node" unsupported_op.err ||
  fail "unsupported op: $(cat unsupported_op.err)"
grep -q "no_such_weight" missing_initializer.err || fail "missing weight: $(cat missing_initializer.err)"
grep -q "nan" nan_input.err || fail "NaN input: $(cat nan_input.err)"
expect_error unknown_flag 2 "$sinter" bench "$model" --no-such-flag
expect_error bad_threads 2 "$sinter" run "$model" -i input_0.npy --threads 0
expect_error no_subcommand 2 "$sinter"
grep -q 'truncated' truncated_npy.err || fail "truncated .npy: $(cat truncated_npy.err)"
grep -q 'truncated.npy' truncated_npy.err || fail "truncated .npy error names no file"
grep -q 'shape' wrong_shape.err || fail "wrong shape: $(cat wrong_shape.err)"

for f in t1 t2 t3 t4 t5 t6 t7 t8 t9 t11; do
  [[ -e $f.npy ]] && fail "$f.npy left behind by a failed run"
done
leftovers=$(find . -name '*.tmp.*')
[[ -z $leftovers ]] || fail "temporary files left behind: $leftovers"

if ((failures)); then
  echo "cli_test: $failures failure(s)" >&2
  exit 1
fi
echo "cli_test: all passed"
