#!/usr/bin/env bash
# Runs a test command with the kernels capped at one ISA tier (SINTER_ISA), or skips it (exit 77,
# which ctest reports as skipped) when that run would add nothing: the CPU lacks the tier, or the
# tier is the CPU's best, which the uncapped run already tests.
# usage: run_at_tier.sh ISA_SUPPORTED_BINARY TIER COMMAND [ARGS...]
set -euo pipefail
probe=$1 tier=$2
shift 2
rank() { case $1 in portable) echo 0 ;; avx2) echo 1 ;; avx512) echo 2 ;; *) echo "run_at_tier.sh: unknown tier '$1'" >&2; exit 2 ;; esac; }
best=$("$probe")
if (($(rank "$tier") >= $(rank "$best"))); then
  echo "skipped: this CPU's best tier is $best; the uncapped run already tests it"
  exit 77
fi
echo "kernels capped at $tier (this CPU's best: $best)"
SINTER_ISA=$tier exec "$@"
