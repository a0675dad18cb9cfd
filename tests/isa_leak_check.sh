#!/usr/bin/env bash
# Checks that no AVX or AVX-512 instruction reaches code that every CPU runs. Kernel files
# compiled for one tier (*_avx2.cc, *_avx512.cc) also emit shared inline functions (std::
# templates, header helpers); the linker keeps one copy of each, and if it keeps the tier's copy
# and baseline code calls it, a CPU without the tier crashes in code that never asked for it.
# (CMakeLists.txt links the tier files last so that a baseline copy wins where one exists.)
# A leak here is a function that holds VEX or EVEX instructions (mnemonics starting with 'v', or
# k mask registers), is neither local to its file (an unnamed namespace, a compiler clone) nor
# named for its tier, and is called from a function with no such instructions.
# usage: isa_leak_check.sh BINARY...
set -euo pipefail
status=0
for bin in "$@"; do
  leaks=$(objdump -d --no-show-raw-insn -C "$bin" | awk '
    /^[0-9a-f]+ <.*>:$/ {
      fn = substr($0, index($0, "<") + 1); fn = substr(fn, 1, length(fn) - 2); next
    }
    fn == "" { next }
    {
      split($0, cols, "\t")
      if (cols[2] ~ /^v/ || $0 ~ /%k[0-7]/) avx[fn] = 1
      if (cols[2] ~ /^(call|jmp)/ && match(cols[2], /<.*>$/)) {
        target = substr(cols[2], RSTART + 1, RLENGTH - 2)
        if (target !~ /\+0x[0-9a-f]+$/ && target != fn) edge[fn SUBSEP target] = 1
      }
    }
    END {
      for (e in edge) {
        split(e, p, SUBSEP)
        if ((p[1] in avx) || !(p[2] in avx) || done[p[2]]) continue
        if (tolower(p[2]) ~ /avx2|avx512|avx_|fma|f16c|anonymous namespace|\[clone \./) continue
        done[p[2]] = 1
        print p[2] "  <- called by baseline code in  " p[1]
      }
    }')
  if [[ -n $leaks ]]; then
    echo "isa_leak_check: $bin: tier instructions reachable from baseline code:" >&2
    echo "$leaks" | head -20 >&2
    status=1
  else
    echo "isa_leak_check: $bin: no AVX/AVX-512 code reachable from baseline code"
  fi
done
exit $status
