"""Exports torchvision classification networks (random weights, fixed seeds) to ONNX at opset 13,
with a fixed input and PyTorch's output saved beside each model as .npy, so that sinter's answers
can be checked and its speed compared on the same files.
usage: python3 bench/export_models.py OUTDIR NAME [NAME ...]   (e.g. resnet18 mobilenet_v2)"""
import os
import sys

import numpy as np
import torch
import torchvision


def export(name, out):
    path = os.path.join(out, f"{name}.onnx")
    if os.path.exists(path) and os.path.exists(os.path.join(out, f"{name}.output.npy")):
        return
    torch.manual_seed(0)
    # GoogLeNet and Inception-v3 without their training-only auxiliary heads; Inception-v3 at the
    # 299x299 it was made for.
    inception = name in ("googlenet", "inception_v3")
    kwargs = {"aux_logits": False, "init_weights": True} if inception else {}
    model = getattr(torchvision.models, name)(**kwargs).eval()
    size = 299 if name == "inception_v3" else 224
    x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        y = model(x)
    tmp = path + ".tmp"
    torch.onnx.export(model, x, tmp, opset_version=13, input_names=["input"],
                      output_names=["output"], dynamic_axes={"input": {0: "N"}, "output": {0: "N"}})
    np.save(os.path.join(out, f"{name}.input.npy"), x.numpy())
    np.save(os.path.join(out, f"{name}.output.npy"), y.numpy())
    os.replace(tmp, path)
    print(f"exported {name} -> {path}", flush=True)


if __name__ == "__main__":
    os.makedirs(sys.argv[1], exist_ok=True)
    torch.set_num_threads(os.cpu_count())
    for n in sys.argv[2:]:
        export(n, sys.argv[1])
