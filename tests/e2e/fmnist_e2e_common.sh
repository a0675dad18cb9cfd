# What the Fashion-MNIST end-to-end tests share; sourced by train_cli_test.sh, prune_cli_test.sh
# and quantize_cli_test.sh after they set `test_name`, `sinter` and `scratch`. Leaves the caller in a
# fresh scratch directory with `fmnist` pointing at Debian's dataset-fashion-mnist files.
fmnist=/usr/share/datasets/fashion-mnist
[[ -f $fmnist/t10k-images-idx3-ubyte.gz ]] || { echo "$test_name: needs dataset-fashion-mnist" >&2; exit 1; }
rm -rf "$scratch" && mkdir -p "$scratch" || exit 1
cd "$scratch" || exit 1

failures=0
fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}
# json_field JSON_TEXT KEY: the value of a top-level number (or literal) field.
json_field() { sed -n 's/.*"'"$2"'":\([^,}]*\).*/\1/p' <<<"$1" | tail -1; }

# expect_error NAME EXPECTED_TEXT COMMAND...: exit 1, one line on stderr containing the text, and
# no bad.* file left behind.
expect_error() {
  local what=$1 text=$2
  shift 2
  rm -f bad.*
  "$@" >/dev/null 2>err.txt
  local rc=$?
  [[ $rc -eq 1 ]] || fail "$what: exit $rc, expected 1"
  [[ $(wc -l <err.txt) -eq 1 ]] || fail "$what: stderr is not one line: $(cat err.txt)"
  [[ $(cat err.txt) == *"$text"* ]] || fail "$what: stderr lacks '$text': $(cat err.txt)"
  [[ -z $(ls bad.* 2>/dev/null) ]] || fail "$what: left $(ls bad.*)"
}

# Sets `ort` to ONNX Runtime 1.30's node module, installing it from npm on first use.
ensure_ort() {
  ort=${SINTER_PEERS:-$HOME/.cache/sinter-peers}/node_modules/onnxruntime-node
  if [[ ! -f $ort/package.json ]]; then
    (mkdir -p "$(dirname "$(dirname "$ort")")" && cd "$(dirname "$(dirname "$ort")")" &&
      { [[ -f package.json ]] || npm init -y >/dev/null; } &&
      npm install --ignore-scripts --no-audit --no-fund onnxruntime-node@1.30.0 >/dev/null 2>&1) ||
      fail "could not install onnxruntime-node from npm"
  fi
}

# Exits with the test's verdict.
finish() {
  if [[ $failures -gt 0 ]]; then
    echo "$test_name: $failures failure(s)" >&2
    exit 1
  fi
  echo "$test_name: all checks passed"
  exit 0
}
