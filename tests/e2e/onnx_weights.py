#!/usr/bin/env python3
"""Reads an ONNX file's float32 initializers and metadata straight from the protobuf wire format
(no onnx package needed) and prints one JSON object:
  {"metadata": {key: value}, "weights": {name: {"shape": [...], "nonzeros": n, "kernels": [...]}}}
"kernels" is given for [out, in, 3, 3] weights: each kernel's 9-bit mask of nonzero taps (bit
3 * row + col). Only raw_data tensors are read (what sinter writes); others are skipped.
usage: onnx_weights.py MODEL.onnx"""
import json
import struct
import sys
from array import array


def fields(buf):
    """Yields (field number, wire type, value) of one protobuf message."""
    i = 0
    while i < len(buf):
        key, i = varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 2:
            length, i = varint(buf, i)
            value, i = buf[i:i + length], i + length
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        yield number, wire, value


def varint(buf, i):
    shift = result = 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return result, i


def tensor(buf):
    dims, name, dtype, raw = [], "", 0, None
    for number, wire, value in fields(buf):
        if number == 1:  # dims: packed or one varint each
            if wire == 2:
                j = 0
                while j < len(value):
                    d, j = varint(value, j)
                    dims.append(d)
            else:
                dims.append(value)
        elif number == 2:
            dtype = value
        elif number == 8:
            name = value.decode()
        elif number == 9:
            raw = value
    return name, dims, dtype, raw


def main(path):
    model = open(path, "rb").read()
    metadata, weights = {}, {}
    for number, _, value in fields(model):
        if number == 14:  # metadata_props
            entry = {n: v.decode() for n, _, v in fields(value)}
            metadata[entry.get(1, "")] = entry.get(2, "")
        elif number == 7:  # graph
            for g_number, _, g_value in fields(value):
                if g_number != 5:  # initializer
                    continue
                name, dims, dtype, raw = tensor(g_value)
                if dtype != 1 or raw is None:  # float32 in raw_data only
                    continue
                values = array("f")
                values.frombytes(raw)
                if sys.byteorder != "little":
                    values.byteswap()
                w = {"shape": dims, "nonzeros": sum(1 for v in values if v != 0.0)}
                if len(dims) == 4 and dims[2:] == [3, 3]:
                    w["kernels"] = [
                        sum(1 << t for t in range(9) if values[k * 9 + t] != 0.0)
                        for k in range(dims[0] * dims[1])]
                weights[name] = w
    print(json.dumps({"metadata": metadata, "weights": weights}))


if __name__ == "__main__":
    main(sys.argv[1])
