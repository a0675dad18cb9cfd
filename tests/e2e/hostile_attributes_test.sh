#!/usr/bin/env bash
# End-to-end test of hostile attribute values and shape-deciding inputs, one group of models per
# family (window, block, stride/step, pad, axis, size, repeat): the cases of issue 9 (mutated
# libonnx-testdata node models) and their relatives on every op with such an argument, built with
# onnx.helper. Each `sinter run` must exit 1 within a few seconds with one line on stderr,
# "sinter: error: ...", naming the node and the attribute or input (or, for a size that fits
# int64 but not the memory limit, the bytes needed). A few extreme but valid values must run.
# usage: tests/e2e/hostile_attributes_test.sh SINTER_BINARY SCRATCH_DIR
set -uo pipefail
sinter=$1
scratch=$2
testdata=${SINTER_TESTDATA:-/usr/share/libonnx-testdata/data/node}

# numpy and onnx come from Debian's python3-numpy and python3-onnx, which a pyenv python3 on
# PATH may not see.
python=
for p in "${PYTHON:-}" /usr/bin/python3 python3; do
  if [[ -n $p ]] && "$p" -c 'import numpy, onnx' 2>/dev/null; then python=$p && break; fi
done
[[ -n $python ]] || { echo "hostile_attributes_test: needs python3 with numpy and onnx" >&2; exit 1; }
[[ -d $testdata ]] || { echo "hostile_attributes_test: missing $testdata (libonnx-testdata)" >&2; exit 1; }

rm -rf "$scratch" && mkdir -p "$scratch" || exit 1
cd "$scratch" || exit 1

# Writes the models, their random inputs and cases.tsv: family, case, expected exit code, the
# fragments stderr must hold (";" between fragments, "||" between alternatives of one), and the
# arguments of `sinter run`.
"$python" - "$testdata" <<'PY' || exit 1
import sys
import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

testdata = sys.argv[1]
rng = np.random.default_rng(0)
I64_MIN, I64_MAX = -(2**63), 2**63 - 1
cases = []


def add(family, name, fragments, args, code=1):
    # "-" for no fragments: read would merge two tabs in a row.
    cases.append(f"{family}\t{name}\t{code}\t{';'.join(fragments) or '-'}\t{' '.join(args)}")


def npy(name, shape, dtype=np.float32):
    np.save(name, rng.standard_normal(shape).astype(dtype))
    return name


def mutated(family, name, test, attrs, fragments, extra=()):
    """A node-test model with attributes changed: {name: int, list, or {index: int}}."""
    model = onnx.load(f"{testdata}/{test}/model.onnx")
    node = model.graph.node[0]
    for key, change in attrs.items():
        attr = next((a for a in node.attribute if a.name == key), None)
        if attr is None:
            node.attribute.append(helper.make_attribute(key, change))
        elif isinstance(change, dict):
            for i, v in change.items():
                attr.ints[i] = v
        elif isinstance(change, list):
            attr.ints[:] = change
        else:
            attr.i = change
    onnx.save(model, f"{name}.onnx")
    inputs = []
    for i, vi in enumerate(model.graph.input):
        shape = [d.dim_value for d in vi.type.tensor_type.shape.dim]
        inputs += ["-i", npy(f"{name}_in{i}.npy", shape)]
    add(family, name, [f"{node.op_type} node '"] + fragments, [f"{name}.onnx"] + inputs + list(extra))


def built(family, name, op, inputs, fragments, attrs=None, inits=(), x_shape=(2, 3, 4), opset=13,
          outputs=1, extra=(), code=1, names_node=True):
    """A one-node model named 'hostile' over x and constant initializers [(name, array)]."""
    initializers = [numpy_helper.from_array(np.asarray(v), n) for n, v in inits]
    outs = ["y"] + [f"y{i}" for i in range(1, outputs)]
    node = helper.make_node(op, inputs, outs, name="hostile", **(attrs or {}))
    graph = helper.make_graph(
        [node], name, [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))],
        [helper.make_tensor_value_info(o, TensorProto.UNDEFINED, None) for o in outs],
        initializer=initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    onnx.save(model, f"{name}.onnx")
    x = npy(f"{name}_x.npy", x_shape)
    node_fragment = [f"{op} node 'hostile'"] if code == 1 and names_node else []
    add(family, name, node_fragment + fragments, [f"{name}.onnx", "-i", x] + list(extra), code)


def i64(*v):
    return np.array(v, np.int64)


# window: the issue's pooling and convolution cases, then their relatives.
for test in ["test_maxpool_2d_same_upper", "test_maxpool_2d_same_lower"]:
    mutated("window", f"{test[5:]}_kernel_2e62", test, {"kernel_shape": {0: 2**62}},
            ["'kernel_shape"])
mutated("window", "averagepool_precomputed_same_upper_kernel_2e62_stride_2e32",
        "test_averagepool_2d_precomputed_same_upper",
        {"kernel_shape": {0: 2**62}, "strides": {1: 2**32}}, ["'kernel_shape"])
# Refused by the pads check or by the memory limit, never after minutes of allocation.
mutated("window", "conv_asymmetric_padding_pad_2e31", "test_conv_with_strides_and_asymmetric_padding",
        {"pads": {0: 2**31 - 1}}, ["'pads'||memory limit"], ["--max-memory", "1G"])
mutated("window", "conv_strides_0", "test_conv_with_strides_padding", {"strides": {0: 0}},
        ["'strides"])
mutated("window", "conv_strides_min", "test_conv_with_strides_padding", {"strides": {1: I64_MIN}},
        ["'strides"])
mutated("window", "conv_kernel_shape_2e62", "test_conv_with_strides_padding",
        {"kernel_shape": {0: 2**62}}, ["kernel_shape"])
mutated("window", "maxpool_pads_negative", "test_maxpool_2d_default", {"pads": [-1, 0, 0, 0]},
        ["'pads"])
built("window", "conv_dilations_2e62", "Conv", ["x", "w"], ["'dilations"],
      {"dilations": [2**62, 1]}, [("w", np.ones((1, 1, 3, 3), np.float32))], (1, 1, 7, 5))
built("window", "maxpool_pads_min", "MaxPool", ["x"], ["'pads"],
      {"kernel_shape": [2, 2], "pads": [I64_MIN, 0, 0, 0]}, x_shape=(1, 1, 4, 4))
built("window", "averagepool_strides_2e32", "AveragePool", ["x"], ["'strides"],
      {"kernel_shape": [2, 2], "strides": [1, 2**32 + 1]}, x_shape=(1, 1, 4, 4))

# block: the issue's DepthToSpace cases, then SpaceToDepth and small bad sizes.
for test in ["test_depthtospace_example", "test_depthtospace_dcr_mode", "test_depthtospace_crd_mode"]:
    for power in [32, 40, 62]:
        mutated("block", f"{test[5:]}_blocksize_2e{power}", test, {"blocksize": 2**power},
                ["'blocksize'"])
for value in [0, -1, I64_MIN]:
    mutated("block", f"depthtospace_blocksize_{value}", "test_depthtospace_example",
            {"blocksize": value}, ["'blocksize'"])
for value in [3, 2**62]:
    mutated("block", f"spacetodepth_blocksize_{value}", "test_spacetodepth_example",
            {"blocksize": value}, ["'blocksize'"])

# stride/step: Slice steps (an input from opset 10, axes an attribute before).
def slice_case(name, starts, ends, axes, steps, fragments, code=1):
    built("step", name, "Slice", ["x", "s", "e", "a", "t"], fragments,
          inits=[("s", i64(*starts)), ("e", i64(*ends)), ("a", i64(*axes)), ("t", i64(*steps))],
          x_shape=(4, 6), code=code)

slice_case("slice_step_0", [0], [4], [0], [0], ["input 'steps'[0] is 0"])
slice_case("slice_axes_min", [0], [4], [I64_MIN], [1], ["input 'axes'[0] = -9223372036854775808"])
slice_case("slice_axes_repeated", [0, 0], [4, 4], [1, -1], [1, 1], ["input 'axes' lists axis 1 twice"])
built("step", "slice_opset9_axes_5", "Slice", ["x"], ["attribute 'axes'[0] = 5"],
      {"starts": [0], "ends": [1], "axes": [5]}, x_shape=(4, 6), opset=9)
# Valid: a step of INT64_MIN or INT64_MAX is taken at most once.
slice_case("slice_step_min_runs", [3], [I64_MIN], [0], [I64_MIN], [], code=0)
slice_case("slice_step_max_runs", [0, 1], [I64_MAX, I64_MAX], [0, 1], [I64_MAX, I64_MAX], [], code=0)

# pad: Pad's pads (an input from opset 11, an attribute before).
for name, pads, fragment in [
        ("pad_min", [0, I64_MIN, 0, 0], "input 'pads'[1] = -9223372036854775808"),
        ("pad_max_twice", [0, I64_MAX, 0, I64_MAX], "input 'pads'"),
        ("pad_2e61", [0, 2**61, 0, 0], "input 'pads'"),
        ("pad_crop_below_zero", [0, -3, 0, -3], "input 'pads' (-3, -3) crop dim 1"),
        ("pad_three_entries", [1, 1, 1], "input 'pads' has 3 entries")]:
    built("pad", name, "Pad", ["x", "p"], [fragment], inits=[("p", i64(*pads))], x_shape=(2, 4))
built("pad", "pad_opset2_attribute", "Pad", ["x"], ["attribute 'pads'[0] = -5"],
      {"pads": [-5, 0, 0, 0]}, x_shape=(2, 4), opset=10)

# axis: every op with an axis or axes argument.
for name, op, attrs, fragment in [
        ("concat_axis_2e62", "Concat", {"axis": 2**62}, "attribute 'axis' = 4611686018427387904"),
        ("softmax_axis_min", "Softmax", {"axis": I64_MIN}, "attribute 'axis' = -9223372036854775808"),
        ("logsoftmax_axis_3", "LogSoftmax", {"axis": 3}, "attribute 'axis' = 3"),
        ("flatten_axis_2e32", "Flatten", {"axis": 2**32}, "attribute 'axis' = 4294967296"),
        ("split_axis_min", "Split", {"axis": I64_MIN}, "attribute 'axis' = -9223372036854775808"),
        ("argmax_axis_2e40", "ArgMax", {"axis": 2**40}, "attribute 'axis' = 1099511627776"),
        ("argmin_axis_neg4", "ArgMin", {"axis": -4}, "attribute 'axis' = -4"),
        ("reducemean_axes_twice", "ReduceMean", {"axes": [1, -2]}, "attribute 'axes' lists axis 1 twice"),
        ("transpose_perm_repeated", "Transpose", {"perm": [0, 0, 1]},
         "attribute 'perm' = [0,0,1] is not a permutation of 0..2")]:
    built("axis", name, op, ["x"], [fragment], attrs)
built("axis", "gather_axis_5", "Gather", ["x", "i"], ["attribute 'axis' = 5"], {"axis": 5},
      [("i", i64(0))])
built("axis", "squeeze_axes_5", "Squeeze", ["x", "a"], ["input 'axes'[0] = 5"],
      inits=[("a", i64(5))], x_shape=(1, 3))
built("axis", "unsqueeze_axes_2e62", "Unsqueeze", ["x", "a"],
      ["input 'axes'[0] = 4611686018427387904"], inits=[("a", i64(2**62))])
built("axis", "reducesum_axes_7", "ReduceSum", ["x", "a"], ["input 'axes'[0] = 7"],
      inits=[("a", i64(7))])
built("axis", "topk_axis_neg9", "TopK", ["x", "k"], ["attribute 'axis' = -9"], {"axis": -9},
      [("k", i64(1))], outputs=2)
built("axis", "quantizelinear_axis_2e62", "QuantizeLinear", ["x", "s", "z"],
      ["attribute 'axis' = 4611686018427387904"], {"axis": 2**62},
      [("s", np.ones(3, np.float32)), ("z", np.zeros(3, np.uint8))])
built("axis", "layernorm_axis_9", "LayerNormalization", ["x", "s"], ["attribute 'axis' = 9"],
      {"axis": 9}, [("s", np.ones(4, np.float32))], opset=17)

# size: Reshape/Expand/ConstantOfShape/Range/TopK/Split sizes.
built("size", "reshape_2e62_squared", "Reshape", ["x", "s"], ["input 'shape'", "2^63 bytes"],
      inits=[("s", i64(2**62, 2**62))])
built("size", "reshape_negative", "Reshape", ["x", "s"], ["input 'shape' = [-5,6] holds -5"],
      inits=[("s", i64(-5, 6))])
built("size", "expand_2e62_squared", "Expand", ["x", "s"], ["input 'shape'", "2^63 bytes"],
      inits=[("s", i64(2**62, 2**62))], x_shape=(1, 1))
built("size", "expand_negative", "Expand", ["x", "s"], ["input 'shape'[0] = -1 is negative"],
      inits=[("s", i64(-1, 3, 4))])
built("size", "constantofshape_2e40_squared", "ConstantOfShape", ["s"],
      ["input 'input'", "2^63 bytes"], inits=[("s", i64(2**40, 2**40))])
built("size", "constantofshape_min", "ConstantOfShape", ["s"],
      ["input 'input'[0] = -9223372036854775808 is negative"], inits=[("s", i64(I64_MIN))])
# Fits int64, not the memory limit: refused before allocating, naming the value and its size.
built("size", "constantofshape_4tib", "ConstantOfShape", ["s"],
      ["memory limit", "value 'y'", "4.00 TiB (4398046511104 bytes)"],
      inits=[("s", i64(2**20, 2**20))], extra=["--max-memory", "1G"], names_node=False)
for name, start, limit, delta, fragment in [
        ("range_float_1e30", 0.0, 1e30, 1.0, "more than 2^63 elements"),
        ("range_float_nan_delta", 0.0, 1.0, float("nan"), "must be finite"),
        ("range_float_inf_limit", 0.0, float("inf"), 1.0, "must be finite")]:
    built("size", name, "Range", ["a", "b", "c"], ["inputs 'start'", fragment],
          inits=[("a", np.float32(start)), ("b", np.float32(limit)), ("c", np.float32(delta))])
built("size", "range_int64_2e62", "Range", ["a", "b", "c"],
      ["inputs 'start', 'limit' and 'delta'", "2^63 bytes"],
      inits=[("a", np.int64(0)), ("b", np.int64(2**62)), ("c", np.int64(1))])
built("size", "range_int64_full", "Range", ["a", "b", "c"], ["more than 2^63 elements"],
      inits=[("a", np.int64(I64_MIN)), ("b", np.int64(I64_MAX)), ("c", np.int64(1))])
built("size", "topk_k_2e62", "TopK", ["x", "k"], ["input 'K' = 4611686018427387904"],
      inits=[("k", i64(2**62))], outputs=2)
built("size", "topk_k_negative", "TopK", ["x", "k"], ["input 'K' = -1 is negative"],
      inits=[("k", i64(-1))], outputs=2)
built("size", "split_sizes_2e62", "Split", ["x", "s"], ["input 'split'"],
      {"axis": 0}, [("s", i64(2**62, 2**62, 2**62))], outputs=3)

# repeat: Tile.
built("repeat", "tile_2e62", "Tile", ["x", "r"], ["input 'repeats'"],
      inits=[("r", i64(1, 2**62, 1))])
built("repeat", "tile_negative", "Tile", ["x", "r"], ["input 'repeats'[0] = -3 is negative"],
      inits=[("r", i64(-3, 1, 1))])
built("repeat", "tile_16gib", "Tile", ["x", "r"],
      ["memory limit", "value 'y'", "(17179869184 bytes)"], inits=[("r", i64(2**16, 2**16))],
      x_shape=(1, 1), extra=["--max-memory", "1G"], names_node=False)

with open("cases.tsv", "w") as f:
    f.write("\n".join(cases) + "\n")
PY

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

count=0
while IFS=$'\t' read -r family name code fragments args; do
  count=$((count + 1))
  start=$(date +%s%N)
  # shellcheck disable=SC2086  # args are file names and flags without spaces
  timeout 20 "$sinter" run $args >"$name.out" 2>"$name.err"
  rc=$?
  ms=$((($(date +%s%N) - start) / 1000000))
  what="$family/$name"
  [[ $rc -eq $code ]] || { fail "$what: exit $rc, expected $code ($(head -c 300 "$name.err"))"; continue; }
  ((ms < 5000)) || fail "$what: took $ms ms"
  [[ $code -eq 0 ]] && continue
  [[ $(wc -l <"$name.err") -eq 1 ]] || fail "$what: stderr is not one line: $(cat "$name.err")"
  [[ $(head -c 15 "$name.err") == "sinter: error: " ]] || fail "$what: stderr: $(cat "$name.err")"
  IFS=';' read -ra wanted <<<"$fragments"
  for fragment in "${wanted[@]}"; do
    patterns=()
    while [[ $fragment == *"||"* ]]; do
      patterns+=(-e "${fragment%%||*}")
      fragment=${fragment#*||}
    done
    patterns+=(-e "$fragment")
    grep -qF "${patterns[@]}" "$name.err" || fail "$what: stderr lacks '$fragment': $(cat "$name.err")"
  done
done <cases.tsv

if ((failures > 0)); then
  echo "hostile_attributes_test: $failures failure(s) in $count cases" >&2
  exit 1
fi
echo "hostile_attributes_test: all $count cases passed"
