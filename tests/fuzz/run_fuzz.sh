#!/usr/bin/env bash
# A bounded libFuzzer run of one target: first every past finding in tests/fuzz/regressions is
# replayed, then the target fuzzes from the seed corpus (every libonnx-testdata model, made at
# build time) and the regressions. Exits non-zero on any finding, which lands in the build dir as
# crash-*, timeout-*, leak-* or oom-*: move it to tests/fuzz/regressions once fixed.
# The seed is fixed (FUZZ_SEED, default 1) so a CI run is reproducible; exploratory runs pass other
# seeds and a FUZZ_CORPUS directory that keeps what they find between runs.
# SEEDS (default the build's seed_corpus), REGRESSIONS (default tests/fuzz/regressions) and
# FUZZ_MAX_LEN (default 262144) serve targets with inputs of their own, such as plan files.
# usage: run_fuzz.sh FUZZ_BINARY SECONDS
set -euo pipefail
bin=$1 seconds=${2:-60}
dir=$(dirname "$bin")
regressions=${REGRESSIONS:-$(cd "$(dirname "$0")" && pwd)/regressions}
seeds=${SEEDS:-$dir/seed_corpus}
corpus=${FUZZ_CORPUS:-}
if [[ -z $corpus ]]; then
  corpus=$(mktemp -d)
  trap 'rm -rf "$corpus"' EXIT
fi
mkdir -p "$corpus"
options=(-rss_limit_mb=4096 -timeout=25 -max_len=${FUZZ_MAX_LEN:-262144} -len_control=0 -print_funcs=0
  -artifact_prefix="$dir/")

shopt -s nullglob
past=("$regressions"/*)
if ((${#past[@]})); then
  echo "$(basename "$bin"): replaying ${#past[@]} past findings"
  "$bin" "${options[@]}" "${past[@]}" > "$dir/replay.log" 2>&1 || {
    tail -n 40 "$dir/replay.log"
    exit 1
  }
fi
"$bin" "${options[@]}" -max_total_time="$seconds" -seed="${FUZZ_SEED:-1}" -print_final_stats=1 \
  "$corpus" "$seeds" "$regressions" 2>&1 | tail -n 15
