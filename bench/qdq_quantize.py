#!/usr/bin/python3
"""Writes a static QDQ copy of a float ONNX model in the layout ONNX Runtime's quantizer uses, so
that sinter and ONNX Runtime can be timed on the same int8 file (bench/compare_ort_int8.sh):

- weights of Conv, Gemm (transB=1) and MatMul: s8, symmetric, one scale per output channel
  (DequantizeLinear on the channel axis); biases: s32 with scale input scale x weight scale;
- activations: u8, asymmetric, one scale per tensor, from the min and max seen on calibration
  inputs (ONNX Runtime runs the float model with every intermediate value as an output);
  each value read or written by a Conv, Gemm, MatMul, Add, Concat, pooling or Flatten gets one
  QuantizeLinear -> DequantizeLinear pair; a ReLU or Clip right after a layer is quantized at its
  output only (the layer's own output stays float, as a fused activation);
- MaxPool, Flatten and Reshape keep their input's parameters, as ONNX Runtime's quantizer does.

usage: qdq_quantize.py MODEL.onnx OUT.onnx [CALIBRATION.npy ...]
Without calibration inputs, the model's MODEL.input.npy beside it is used, plus 3 seeded random
images of the same shape.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
QUANTIZED_OPS = {"Conv", "Gemm", "MatMul", "Add", "Concat", "MaxPool", "AveragePool",
                 "GlobalAveragePool", "Flatten", "Reshape", "Relu", "Clip"}
SHARES_INPUT_PARAMS = {"MaxPool", "Flatten", "Reshape"}
ACTIVATIONS = {"Relu", "Clip"}


def remove_identities(graph):
    outputs = {o.name for o in graph.output}
    rename = {}
    keep = []
    for n in graph.node:
        if n.op_type == "Identity" and n.output[0] not in outputs:
            rename[n.output[0]] = rename.get(n.input[0], n.input[0])
        else:
            keep.append(n)
    for n in keep:
        for i, x in enumerate(n.input):
            n.input[i] = rename.get(x, x)
    del graph.node[:]
    graph.node.extend(keep)


def calibration_ranges(model, inputs):
    """Runs ONNX Runtime with every float value as an output; returns name -> (min, max)."""
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    known = {o.name for o in probe.graph.output}
    for n in probe.graph.node:
        for o in n.output:
            if o and o not in known and n.op_type != "Constant":
                probe.graph.output.append(helper.make_tensor_value_info(o, TensorProto.FLOAT, None))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "probe.onnx")
        onnx.save(probe, path)
        files = []
        for i, x in enumerate(inputs):
            f = os.path.join(tmp, f"in{i}.bin")
            x.astype(np.float32).tofile(f)
            files.append(f)
        out = subprocess.run(["node", os.path.join(HERE, "ort_ranges.js"), path,
                              ",".join(map(str, inputs[0].shape))] + files,
                             check=True, capture_output=True, text=True).stdout
    return {k: tuple(v) for k, v in json.loads(out).items()}


def activation_params(lo, hi):
    lo, hi = min(lo, 0.0), max(hi, 0.0)
    scale = (hi - lo) / 255.0 if hi > lo else 1.0
    zero_point = int(np.clip(np.round(-lo / scale), 0, 255))
    return np.float32(scale), np.uint8(zero_point)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    model = onnx.load(src)
    graph = model.graph
    remove_identities(graph)
    if sys.argv[3:]:
        inputs = [np.load(f) for f in sys.argv[3:]]
    else:
        first = np.load(os.path.splitext(src)[0] + ".input.npy")
        rng = np.random.default_rng(0)
        inputs = [first] + [rng.standard_normal(first.shape).astype(np.float32) for _ in range(3)]
    ranges = calibration_ranges(model, inputs)
    ranges[graph.input[0].name] = (min(float(x.min()) for x in inputs),
                                   max(float(x.max()) for x in inputs))
    inits = {t.name: t for t in graph.initializer}
    producer = {o: n for n in graph.node for o in n.output}
    consumers = {}
    for n in graph.node:
        for x in n.input:
            consumers.setdefault(x, []).append(n)

    def fused_away(value):
        # A layer's output read only by its ReLU/Clip is quantized after the activation.
        users = consumers.get(value, [])
        p = producer.get(value)
        return (p is not None and p.op_type in {"Conv", "Gemm", "MatMul", "Add"} and len(users) == 1
                and users[0].op_type in ACTIVATIONS)

    quantize = []  # float activations that get a QDQ pair, in graph order
    seen = set()
    for n in graph.node:
        if n.op_type not in QUANTIZED_OPS:
            continue
        values = [x for x in n.input[:1 if n.op_type in {"Conv", "Gemm", "Clip"} else None]
                  if x and x not in inits]
        if n.op_type == "MatMul":
            values = [n.input[0]] + ([n.input[1]] if n.input[1] not in inits else [])
        values += [o for o in n.output if o]
        for v in values:
            if v in ranges and v not in seen and not fused_away(v):
                seen.add(v)
                quantize.append(v)

    # Parameters: MaxPool/Flatten/Reshape outputs share their input's.
    params = {}
    for v in quantize:
        p = producer.get(v)
        if p is not None and p.op_type in SHARES_INPUT_PARAMS and p.input[0] in params:
            params[v] = params[p.input[0]]
        else:
            params[v] = activation_params(*ranges[v])

    new_inits, new_nodes = [], []
    dq_name = {}
    for v in quantize:
        s, z = params[v]
        sn, zn = v + "_scale", v + "_zero_point"
        new_inits += [numpy_helper.from_array(np.array(s, np.float32), sn),
                      numpy_helper.from_array(np.array(z, np.uint8), zn)]
        new_nodes.append((v, helper.make_node("QuantizeLinear", [v, sn, zn], [v + "_q"], name=v + "_Q")))
        new_nodes.append((v, helper.make_node("DequantizeLinear", [v + "_q", sn, zn], [v + "_dq"],
                                              name=v + "_DQ")))
        dq_name[v] = v + "_dq"

    weight_scales = {}

    def weight_dq(node, index, axis):
        name = node.input[index]
        node.input[index] = name + "_dq"
        if name in weight_scales:  # an initializer read by several layers
            return weight_scales[name]
        w = numpy_helper.to_array(inits[name]).astype(np.float32)
        moved = np.moveaxis(w, axis, 0).reshape(w.shape[axis], -1)
        scale = np.maximum(np.abs(moved).max(axis=1), 1e-12) / 127.0
        shape = [1] * w.ndim
        shape[axis] = -1
        q = np.clip(np.round(w / scale.reshape(shape)), -127, 127).astype(np.int8)
        new_inits.extend([numpy_helper.from_array(q, name + "_quantized"),
                          numpy_helper.from_array(scale.astype(np.float32), name + "_scale"),
                          numpy_helper.from_array(np.zeros_like(scale, np.int8), name + "_zero_point")])
        new_nodes.append((None, helper.make_node(
            "DequantizeLinear", [name + "_quantized", name + "_scale", name + "_zero_point"],
            [name + "_dq"], name=name + "_DQ", axis=axis)))
        weight_scales[name] = scale.astype(np.float32)
        return weight_scales[name]

    for n in graph.node:
        if n.op_type not in {"Conv", "Gemm", "MatMul"} or n.input[0] not in params:
            continue
        if len(n.input) < 2 or n.input[1] not in inits:
            continue
        if n.op_type == "Gemm":
            attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
            if attrs.get("transA", 0) or not attrs.get("transB", 0):
                continue
        axis = 1 if n.op_type == "MatMul" else 0
        w_scale = weight_dq(n, 1, axis)
        if len(n.input) > 2 and n.input[2] in inits:
            b = numpy_helper.to_array(inits[n.input[2]]).astype(np.float64)
            bname = n.output[0] + "_bias"  # a bias may be shared; its scale is the layer's own
            bs = (np.float64(params[n.input[0]][0]) * w_scale).astype(np.float32)
            q = np.round(b / bs).astype(np.int32)
            new_inits.extend([numpy_helper.from_array(q, bname + "_quantized"),
                              numpy_helper.from_array(bs, bname + "_scale"),
                              numpy_helper.from_array(np.zeros_like(q), bname + "_zero_point")])
            new_nodes.append((None, helper.make_node(
                "DequantizeLinear", [bname + "_quantized", bname + "_scale", bname + "_zero_point"],
                [bname + "_dq"], name=bname + "_DQ", axis=0)))
            n.input[2] = bname + "_dq"

    # Readers of a quantized value read its DequantizeLinear (the pair itself reads the float).
    for n in graph.node:
        for i, x in enumerate(n.input):
            if x in dq_name:
                n.input[i] = dq_name[x]
    # The graph's outputs keep their names: the last pair writes them.
    for o in graph.output:
        if o.name in dq_name:
            for v, qdq in new_nodes:
                if v == o.name and qdq.op_type == "QuantizeLinear":
                    qdq.input[0] = o.name + "_float"
                if v == o.name and qdq.op_type == "DequantizeLinear":
                    qdq.output[0] = o.name
            producer[o.name].output[list(producer[o.name].output).index(o.name)] = o.name + "_float"

    # Order: each pair right after its value's producer (graph inputs and weights first).
    used = {id(q) for _, q in new_nodes}
    after = {}
    first = []
    for v, q in new_nodes:
        p = producer.get(v) if v else None
        (after.setdefault(id(p), []) if p is not None else first).append(q)
    ordered = list(first)
    for n in graph.node:
        ordered.append(n)
        ordered.extend(after.get(id(n), []))
    assert len(ordered) == len(graph.node) + len(used)
    # Weight initializers replaced by their quantized copies.
    read = {x for n in ordered for x in n.input}
    kept = [t for t in graph.initializer if t.name in read]
    del graph.initializer[:]
    graph.initializer.extend(kept + new_inits)
    del graph.node[:]
    graph.node.extend(ordered)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    print(f"{dst}: {len(quantize)} activations and "
          f"{sum(1 for _, q in new_nodes if q.name.endswith('_DQ') and not q.input[0].endswith('_q'))}"
          " weights/biases quantized", file=sys.stderr)


if __name__ == "__main__":
    main()
