"""Times PyTorch training steps on Fashion-MNIST for sinter's zoo models, built layer for layer
like src/train/model_zoo.cc, so that `sinter train` can be compared with it on the same step.
Prints progress on stderr and one JSON object as the last stdout line.
usage: /usr/bin/python3 bench/train_pytorch.py --model lenet5 --threads 1 --steps 100"""
import argparse
import gzip
import json
import os
import statistics
import sys
import time
from collections import OrderedDict

import numpy as np
import torch
from torch import nn

# Debian's dataset-fashion-mnist package, as kFashionMnistDir in src/data/fashion_mnist.h.
FASHION_MNIST_DIR = "/usr/share/datasets/fashion-mnist"
# Training-set pixel statistics after scaling to [0, 1], as kFashionMnistMean / kFashionMnistStd.
MEAN, STD = 0.28604, 0.35302
NUM_CLASSES = 10

# Trainable parameter counts of sinter's zoo models; equal counts show the layers match.
EXPECTED_PARAMETERS = {"mlp": 235146, "lenet5": 61706, "vgg-small": 870826, "resnet20": 272186}


def mlp():
    return nn.Sequential(OrderedDict([
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(784, 256)), ("relu1", nn.ReLU()),
        ("fc2", nn.Linear(256, 128)), ("relu2", nn.ReLU()),
        ("fc3", nn.Linear(128, NUM_CLASSES))]))


def lenet5():
    return nn.Sequential(OrderedDict([
        ("conv1", nn.Conv2d(1, 6, 5, padding=2)), ("relu1", nn.ReLU()), ("pool1", nn.MaxPool2d(2)),
        ("conv2", nn.Conv2d(6, 16, 5)), ("relu2", nn.ReLU()), ("pool2", nn.MaxPool2d(2)),
        ("flatten", nn.Flatten()),
        ("fc1", nn.Linear(16 * 5 * 5, 120)), ("relu3", nn.ReLU()),
        ("fc2", nn.Linear(120, 84)), ("relu4", nn.ReLU()),
        ("fc3", nn.Linear(84, NUM_CLASSES))]))


def vgg_small():
    layers = []
    for i, (cin, cout) in enumerate([(1, 32), (32, 32), (32, 64), (64, 64)], start=1):
        # No conv bias: the BatchNorm after it has one.
        layers += [(f"conv{i}", nn.Conv2d(cin, cout, 3, padding=1, bias=False)),
                   (f"bn{i}", nn.BatchNorm2d(cout)), (f"relu{i}", nn.ReLU())]
        if i % 2 == 0:
            layers.append((f"pool{i // 2}", nn.MaxPool2d(2)))
    layers += [("flatten", nn.Flatten()),
               ("fc1", nn.Linear(64 * 7 * 7, 256)), ("relu5", nn.ReLU()),
               ("dropout", nn.Dropout(0.5)),
               ("fc2", nn.Linear(256, NUM_CLASSES))]
    return nn.Sequential(OrderedDict(layers))


class BasicBlock(nn.Module):
    """torchvision's BasicBlock, with the projection shortcut as downsample.0 / downsample.1."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                            nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (x if self.downsample is None else self.downsample(x)))


class ResNet20(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        cin = 16
        for stage, width in enumerate([16, 32, 64], start=1):
            blocks = []
            for block in range(3):
                blocks.append(BasicBlock(cin, width, 2 if stage > 1 and block == 0 else 1))
                cin = width
            setattr(self, f"layer{stage}", nn.Sequential(*blocks))
        self.fc = nn.Linear(64, NUM_CLASSES)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(x, 1), 1))


MODELS = {"mlp": mlp, "lenet5": lenet5, "vgg-small": vgg_small, "resnet20": ResNet20}


def read_idx(path, dims):
    with gzip.open(path, "rb") as f:
        data = f.read()
    # Magic: two zero bytes, 0x08 for unsigned bytes, then the number of dimensions.
    if data[:4] != bytes([0, 0, 8, dims]):
        sys.exit(f"{path}: not an IDX file of unsigned bytes with {dims} dimensions")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims))
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def load_fashion_mnist(directory):
    images = read_idx(os.path.join(directory, "train-images-idx3-ubyte.gz"), 3)
    labels = read_idx(os.path.join(directory, "train-labels-idx1-ubyte.gz"), 1)
    x = (torch.from_numpy(images.astype(np.float32) / 255.0) - MEAN) / STD
    return x.unsqueeze(1).contiguous(), torch.from_numpy(labels.astype(np.int64))


def batches(images, labels, batch, seed):
    """Endless seeded shuffled batches; the last, smaller batch of an epoch is kept, as sinter's
    DataLoader does by default."""
    generator = torch.Generator().manual_seed(seed)
    while True:
        order = torch.randperm(len(labels), generator=generator)
        for start in range(0, len(order), batch):
            idx = order[start:start + batch]
            yield images.index_select(0, idx), labels.index_select(0, idx)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", choices=sorted(MODELS), default="lenet5")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=100, help="timed steps")
    p.add_argument("--warmup", type=int, default=5, help="untimed steps before the timed ones")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--data", default=FASHION_MNIST_DIR)
    a = p.parse_args()
    if a.batch < 1 or a.threads < 1 or a.steps < 1 or a.warmup < 0:
        p.error("--batch, --threads and --steps must be positive, --warmup not negative")

    # Interop threads must be fixed before any parallel work starts; one pool of --threads only.
    torch.set_num_interop_threads(1)
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)

    model = MODELS[a.model]()
    count = sum(t.numel() for t in model.parameters())
    if count != EXPECTED_PARAMETERS[a.model]:
        sys.exit(f"{a.model}: {count} parameters, sinter's zoo has {EXPECTED_PARAMETERS[a.model]}")
    model.train()
    if a.optimizer == "sgd":
        opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9,
                              weight_decay=a.weight_decay)
    else:
        opt = torch.optim.Adam(model.parameters(), lr=a.lr, weight_decay=a.weight_decay)
    loss_fn = nn.CrossEntropyLoss()

    images, labels = load_fashion_mnist(a.data)
    data = batches(images, labels, a.batch, a.seed)

    def step():
        x, y = next(data)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return len(y), loss.item()

    for _ in range(a.warmup):
        step()
    times, seen = [], 0
    start = time.perf_counter()
    for i in range(a.steps):
        t0 = time.perf_counter()
        n, loss = step()
        times.append(time.perf_counter() - t0)
        seen += n
        if (i + 1) % 10 == 0:
            print(f"step {i + 1}/{a.steps} loss {loss:.4f}", file=sys.stderr, flush=True)
    wall = time.perf_counter() - start

    print(json.dumps({"engine": "pytorch", "model": a.model, "batch": a.batch,
                      "threads": a.threads, "steps": a.steps,
                      "images_per_s": round(seen / wall, 2),
                      "step_ms_median": round(statistics.median(times) * 1e3, 3),
                      "final_loss": round(loss, 5)}))


if __name__ == "__main__":
    main()
