#!/usr/bin/env bash
# A bounded libFuzzer run of one target over its seed corpus; exits non-zero on any finding.
# usage: run_fuzz.sh FUZZ_BINARY SECONDS
set -euo pipefail
bin=$1 seconds=${2:-60}
dir=$(dirname "$bin")
corpus=$(mktemp -d)
trap 'rm -rf "$corpus"' EXIT
# Findings (crash-*, leak-*) land in the build dir so they survive the run.
"$bin" -max_total_time="$seconds" -rss_limit_mb=4096 -print_final_stats=1 \
  -artifact_prefix="$dir/" "$corpus" "$dir/onnx_seed_corpus" 2>&1 | tail -n 15
