#!/usr/bin/env bash
# Whole-model correctness: each network of bench/export_models.py, exported with PyTorch's output
# beside it, must give the same output in sinter: max abs error <= 1e-5 * max |output| (measured
# errors are 1e-8 to 3e-6 of it), with 1 and 2 threads and with the optimizer off as a
# cross-check.
# usage: model_zoo_test.sh SINTER_BINARY MODEL_DIR NAME...
set -euo pipefail
sinter=$1 dir=$2
shift 2
"$(dirname "$0")/../../bench/export_models.sh" "$dir" "$@" >/dev/null
status=0
for name in "$@"; do
  for opts in "--threads 1" "--threads 2" "--threads 1 --no-optimize"; do
    out=$(mktemp --suffix=.npy)
    "$sinter" run "$dir/$name.onnx" -i "$dir/$name.input.npy" -o "$out" $opts >/dev/null
    if /usr/bin/python3 - "$dir/$name.output.npy" "$out" "$name ($opts)" <<'PY'
import sys, numpy as np
want, got, what = np.load(sys.argv[1]), np.load(sys.argv[2]), sys.argv[3]
err = float(np.abs(want - got).max()) if want.shape == got.shape else float("inf")
scale = float(np.abs(want).max())
ok = err <= 1e-5 * scale
print(f"{'PASS' if ok else 'FAIL'} {what}: max abs error {err:.3g}, max |output| {scale:.3g}, "
      f"relative {err / scale:.3g} (bound 1e-5)")
sys.exit(0 if ok else 1)
PY
    then :; else status=1; fi
    rm -f "$out"
  done
done
exit $status
