#!/usr/bin/env bash
# Checks that no AVX or AVX-512 instruction reaches code the portable tier runs. Kernel files
# compiled for one tier (*_avx2.cc, *_avx512.cc) also instantiate shared inline functions (std::
# templates, header helpers); the linker keeps one copy of each, and if it keeps the tier's copy,
# a CPU without that tier crashes in code that never asked for it. Any function that uses VEX or
# EVEX instructions (mnemonics starting with 'v', or k mask registers) must therefore be local to
# its file (an unnamed namespace, or a compiler clone such as '[clone .constprop.0]', which is
# local too) or carry its tier in its name.
# usage: isa_leak_check.sh BINARY...
set -euo pipefail
status=0
for bin in "$@"; do
  leaks=$(objdump -d --no-show-raw-insn -C "$bin" | awk '
    /^[0-9a-f]+ <.*>:$/ { fn = $0; next }
    fn != "" && !(fn in seen) && ($2 ~ /^v/ || $0 ~ /%k[0-7]/) { seen[fn] = 1; print fn }' |
    grep -v -i -E 'avx2|avx512|avx_|fma|f16c|anonymous namespace|\[clone \.' || true)
  if [[ -n $leaks ]]; then
    echo "isa_leak_check: $bin: shared functions hold AVX/AVX-512 code:" >&2
    echo "$leaks" | head -20 >&2
    status=1
  else
    echo "isa_leak_check: $bin: no AVX/AVX-512 code outside its tier's functions"
  fi
done
exit $status
