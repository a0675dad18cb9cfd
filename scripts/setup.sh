#!/usr/bin/env bash
# Installs the Debian packages sinter needs to build, test and demo. Idempotent; runs as root or
# through sudo. Set SINTER_SKIP_APT=1 to skip (e.g. on a machine that already has everything).
set -euo pipefail
PACKAGES=(
  build-essential cmake ninja-build ccache clang libclang-rt-dev  # toolchain (clang: libFuzzer)
  libonnx-dev libprotobuf-dev protobuf-compiler                   # ONNX import/export
  libonnx-testdata                                                # ONNX backend conformance tests
  libgtest-dev googletest libbenchmark-dev                        # tests and microbenchmarks
  libcli11-dev nlohmann-json3-dev                                 # CLI; JSON also in compression records
  python3-numpy python3-onnx python3-torch python3-torchvision    # reference outputs in tests only
  gnuplot-nox                                                     # plots
  zlib1g-dev dataset-fashion-mnist                                # training data (gzipped IDX)
  libxxhash-dev                                                   # plan file checksums
  libopenmpi-dev openmpi-bin                                      # distributed training
  procps                                 # pgrep: the distributed test stops and kills a rank
  nodejs                           # ONNX Runtime from npm: exported models checked against it
)
[ "${SINTER_SKIP_APT:-0}" = 1 ] && exit 0
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Debian's nodejs comes without npm; other builds of nodejs (NodeSource) bundle it and conflict
# with Debian's npm package.
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "setup: all packages present"
