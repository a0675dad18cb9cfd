"""Exports networks (random weights, fixed seeds) to ONNX with a fixed input and PyTorch's output
saved beside each model as .npy, so that sinter's answers can be checked and its speed compared
on the same files: torchvision's classifiers at opset 13 (ViT and ConvNeXt at 14), and at opset 14
segmentation nets, a DCGAN generator, ESPCN, an LSTM and a transformer text classifier.
usage: python3 bench/export_models.py OUTDIR NAME [NAME ...]   (e.g. resnet18 mobilenet_v2)"""
import os
import sys

import numpy as np
import torch
import torchvision


class SegmentationOutput(torch.nn.Module):
    """A torchvision segmentation net's main output ("out"), without the auxiliary head."""

    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return self.net(x)["out"]


class DcganGenerator(torch.nn.Sequential):
    """DCGAN's 64x64 generator (Radford et al.): z [N, 100, 1, 1] -> image [N, 3, 64, 64]."""

    def __init__(self, z=100, width=64):
        layers, channels = [], [z, width * 8, width * 4, width * 2, width]
        for i, (a, b) in enumerate(zip(channels, channels[1:])):
            layers += [torch.nn.ConvTranspose2d(a, b, 4, 1 if i == 0 else 2, 0 if i == 0 else 1,
                                                bias=False),
                       torch.nn.BatchNorm2d(b), torch.nn.ReLU(True)]
        layers += [torch.nn.ConvTranspose2d(width, 3, 4, 2, 1, bias=False), torch.nn.Tanh()]
        super().__init__(*layers)


class Espcn(torch.nn.Sequential):
    """ESPCN x3 (Shi et al.): two tanh convs, then a conv to 9 channels and PixelShuffle."""

    def __init__(self, scale=3):
        super().__init__(torch.nn.Conv2d(1, 64, 5, padding=2), torch.nn.Tanh(),
                         torch.nn.Conv2d(64, 32, 3, padding=1), torch.nn.Tanh(),
                         torch.nn.Conv2d(32, scale * scale, 3, padding=1),
                         torch.nn.PixelShuffle(scale))


class LstmClassifier(torch.nn.Module):
    """Embedding, a 2-layer LSTM and a linear layer on the last step: a text classifier."""

    def __init__(self, vocabulary=1000, width=64, classes=4):
        super().__init__()
        self.embed = torch.nn.Embedding(vocabulary, width)
        self.lstm = torch.nn.LSTM(width, width, num_layers=2, batch_first=True)
        self.fc = torch.nn.Linear(width, classes)

    def forward(self, tokens):
        y, _ = self.lstm(self.embed(tokens))
        return self.fc(y[:, -1])


class TransformerClassifier(torch.nn.Module):
    """Embedding plus positions, a 2-layer transformer encoder, mean over tokens, linear."""

    def __init__(self, vocabulary=1000, width=64, heads=4, length=32, classes=4):
        super().__init__()
        self.embed = torch.nn.Embedding(vocabulary, width)
        self.position = torch.nn.Parameter(torch.randn(1, length, width) * 0.02)
        layer = torch.nn.TransformerEncoderLayer(width, heads, 4 * width, dropout=0.0,
                                                 batch_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, 2)
        self.fc = torch.nn.Linear(width, classes)

    def forward(self, tokens):
        return self.fc(self.encoder(self.embed(tokens) + self.position).mean(1))


def tokens(length=32):
    return torch.randint(0, 1000, (1, length), generator=torch.Generator().manual_seed(1))


# Networks beyond torchvision's classifiers: (model, example input), exported at opset 14 as
# PyTorch 1.13 users do.
FAMILIES = {
    "fcn_resnet50": lambda: (SegmentationOutput(torchvision.models.segmentation.fcn_resnet50(
        weights=None, weights_backbone=None, aux_loss=False)), None),
    "deeplabv3_mobilenet_v3_large": lambda: (SegmentationOutput(
        torchvision.models.segmentation.deeplabv3_mobilenet_v3_large(
            weights=None, weights_backbone=None, aux_loss=False)), None),
    "dcgan_generator": lambda: (DcganGenerator(),
                                torch.randn(1, 100, 1, 1, generator=torch.Generator().manual_seed(1))),
    "espcn_x3": lambda: (Espcn(), torch.rand(1, 1, 64, 64, generator=torch.Generator().manual_seed(1))),
    "lstm_classifier": lambda: (LstmClassifier(), tokens()),
    "transformer_encoder": lambda: (TransformerClassifier(), tokens()),
}


def export(name, out):
    path = os.path.join(out, f"{name}.onnx")
    if os.path.exists(path) and os.path.exists(os.path.join(out, f"{name}.output.npy")):
        return
    torch.manual_seed(0)
    x = None
    opset = 13
    if name in FAMILIES:
        model, x = FAMILIES[name]()
        opset = 14
    else:
        # GoogLeNet and Inception-v3 without their training-only auxiliary heads; Inception-v3
        # at the 299x299 it was made for. ViT and ConvNeXt at opset 14, as their users export.
        inception = name in ("googlenet", "inception_v3")
        kwargs = {"aux_logits": False, "init_weights": True} if inception else {}
        model = getattr(torchvision.models, name)(**kwargs)
        if name in ("vit_b_16", "convnext_tiny"):
            opset = 14
        if name == "vit_b_16":  # its head starts at zero, which would make every output 0
            torch.nn.init.normal_(model.heads.head.weight, std=0.02)
    model = model.eval()
    if x is None:
        size = 299 if name == "inception_v3" else 224
        x = torch.randn(1, 3, size, size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        y = model(x)
    tmp = path + ".tmp"
    torch.onnx.export(model, x, tmp, opset_version=opset, input_names=["input"],
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
