#!/usr/bin/env bash
# Exports the five benchmark networks into DIR (default models/), skipping those already there.
set -euo pipefail
dir=${1:-models}
shift || true
models=${*:-resnet18 resnet50 mobilenet_v2 vgg16 squeezenet1_1}
/usr/bin/python3 "$(dirname "$0")/export_models.py" "$dir" $models
