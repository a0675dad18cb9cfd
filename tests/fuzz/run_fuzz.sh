#!/usr/bin/env bash
# A bounded libFuzzer run of one target over its seed corpus and past findings; exits non-zero on
# any finding. The seed is fixed (FUZZ_SEED, default 1) so a CI run is reproducible; longer
# exploratory runs pass other seeds.
# usage: run_fuzz.sh FUZZ_BINARY SECONDS
set -euo pipefail
bin=$1 seconds=${2:-60}
dir=$(dirname "$bin")
regressions=$(dirname "$0")/regressions
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
# Findings (crash-*, leak-*) land in the build dir so they survive the run.
"$bin" -max_total_time="$seconds" -seed="${FUZZ_SEED:-1}" -rss_limit_mb=4096 -print_final_stats=1 \
  -artifact_prefix="$dir/" "$corpus" "$dir/onnx_seed_corpus" "$regressions" 2>&1 | tail -n 15
