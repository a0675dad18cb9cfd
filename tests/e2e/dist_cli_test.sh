#!/usr/bin/env bash
# End-to-end test of `sinter train --dist allreduce|ps:S|stanza:F` as 4 MPI ranks on a slice of Fashion-MNIST:
# only rank 0 writes files and reports; the deterministic reduction repeats bit for bit; a stopped
# rank is named by the others and the run ends, a killed one ends the run, both within the
# timeout and a few seconds; bad input fails on every rank with its line.
# usage: tests/e2e/dist_cli_test.sh SINTER_BINARY SCRATCH_DIR
set -uo pipefail
sinter=$1
scratch=$2
here=$(cd "$(dirname "$0")" && pwd)
test_name=dist_cli_test
source "$here/fmnist_e2e_common.sh"
ranks() { "$here/../dist/run_ranks.sh" "$@"; }

small=(--model lenet5 --train-limit 2560 --test-limit 500 --batch 16 --seed 3 --dist allreduce)

# 1. Four ranks train; rank 0 alone writes the model, checkpoint and log, and prints one JSON line.
out=$(ranks 4 "$sinter" train "${small[@]}" --epochs 2 --reduction rank-order -o a.onnx --json \
  2>err.txt) || fail "4-rank training exited non-zero: $(cat err.txt)"
for f in a.onnx a.ckpt.onnx a.train.csv; do [[ -s $f ]] || fail "no $f"; done
[[ $(grep -c '"ranks":4' <<<"$out") -eq 1 ]] || fail "expected one JSON line with 4 ranks: $out"
acc=$(json_field "$out" test_accuracy)
awk -v a="$acc" 'BEGIN { exit !(a > 0.5) }' || fail "test accuracy $acc after 2 epochs"
bytes=$(json_field "$out" bytes_per_step)
# lenet5's 61706 parameters, 2 (P-1)/P of them a step in floats.
[[ $bytes -eq $((2 * 3 * 61706 * 4 / 4)) ]] || fail "bytes per step $bytes"

# 2. The deterministic reduction repeats bit for bit; MPI's and the ring's train as well.
ranks 4 "$sinter" train "${small[@]}" --epochs 2 --reduction rank-order -o b.onnx --quiet \
  >/dev/null 2>err.txt || fail "second rank-order run failed: $(cat err.txt)"
cmp -s a.onnx b.onnx || fail "two rank-order runs differ"
for r in mpi ring; do
  out=$(ranks 4 "$sinter" train "${small[@]}" --epochs 1 --reduction $r -o $r.onnx --json \
    2>err.txt) || fail "--reduction $r failed: $(cat err.txt)"
  acc=$(json_field "$out" test_accuracy)
  awk -v a="$acc" 'BEGIN { exit !(a > 0.4) }' || fail "--reduction $r: test accuracy $acc"
done

# 3. A parameter server: 3 workers and 1 server train; the JSON gives the bytes a worker pushes
# (lenet5's floats and a flag) and the server's link (3 workers' pushes).
out=$(ranks 4 "$sinter" train "${small[@]/allreduce/ps:1}" --epochs 1 -o ps.onnx --json 2>err.txt) ||
  fail "ps:1 training failed: $(cat err.txt)"
[[ -s ps.onnx ]] || fail "ps:1 wrote no model"
[[ $(json_field "$out" bytes_per_step) -eq $(((61706 + 1) * 4)) ]] || fail "ps:1 bytes: $out"
[[ $(json_field "$out" busiest_link_bytes_per_step) -eq $((3 * 61706 * 4)) ]] ||
  fail "ps:1 busiest link: $out"
ranks 2 "$sinter" train "${small[@]/allreduce/ps:2}" -o bad.onnx >/dev/null 2>err.txt &&
  fail "ps:2 on 2 ranks (no worker) succeeded"
[[ $(grep -c "needs at least one server and one worker" err.txt) -eq 2 ]] ||
  fail "expected the no-worker refusal on both ranks: $(cat err.txt)"

# 3b. Stanza: 3 conv workers and 1 fully connected rank. A worker sends its batch's features (16
# samples of lenet5's 400), labels and a flag, and all-reduces the convolutions' 2572 floats among
# the 3 workers (rank 0: all chunks but its own in each half of the ring, 2 x (857 + 858)); the FC
# rank's link carries the 3 workers' features. Two FC ranks train too; a layout without a conv
# worker, or with workers the FC ranks do not divide, is refused on every rank.
out=$(ranks 4 "$sinter" train "${small[@]/allreduce/stanza:1}" --epochs 1 -o st.onnx --json \
  2>err.txt) || fail "stanza:1 training failed: $(cat err.txt)"
[[ -s st.onnx ]] || fail "stanza:1 wrote no model"
message=$(((16 * 400 + 16 + 1) * 4))
[[ $(json_field "$out" bytes_per_step) -eq $((message + 2 * (857 + 858) * 4)) ]] ||
  fail "stanza:1 bytes: $out"
[[ $(json_field "$out" busiest_link_bytes_per_step) -eq $((3 * message)) ]] ||
  fail "stanza:1 busiest link: $out"
acc=$(json_field "$out" test_accuracy)
awk -v a="$acc" 'BEGIN { exit !(a > 0.4) }' || fail "stanza:1: test accuracy $acc"
ranks 4 "$sinter" train "${small[@]/allreduce/stanza:2}" --epochs 1 -o st2.onnx --quiet \
  >/dev/null 2>err.txt || fail "stanza:2 training failed: $(cat err.txt)"
for bad in 3 4; do
  ranks 4 "$sinter" train "${small[@]/allreduce/stanza:$bad}" -o bad.onnx >/dev/null 2>err.txt &&
    fail "stanza:$bad on 4 ranks succeeded"
  [[ $(grep -c "\-\-dist stanza:$bad needs" err.txt) -eq 4 ]] ||
    fail "expected the stanza:$bad refusal on every rank: $(cat err.txt)"
done

# 4. Compressed gradients: top-k 1 % sends over 20x fewer bytes a step than the dense ring and
# still learns (well above chance in 80 steps; slower than dense, as top-k is); PowerSGD too.
for c in topk:0.01 powersgd:2; do
  out=$(ranks 4 "$sinter" train "${small[@]}" --epochs 2 --compress $c -o $c.onnx --json \
    2>err.txt) || fail "--compress $c failed: $(cat err.txt)"
  bytes=$(json_field "$out" bytes_per_step)
  [[ $bytes -gt 0 && $((20 * bytes)) -lt $((2 * 3 * 61706)) ]] || fail "--compress $c: $bytes bytes a step"
  acc=$(json_field "$out" test_accuracy)
  awk -v a="$acc" 'BEGIN { exit !(a > 0.3) }' || fail "--compress $c: test accuracy $acc"
done

# 5. Emulated 1 GbE links with rank 3 twenty times slower (LeNet-5's steps are short beside the
# link's): the emulated time is reported in the JSON line and the log, and it is longer than
# without the straggler.
emulated() {
  ranks 4 "$sinter" train "${small[@]}" --epochs 1 --link 1gbe "$@" -o e.onnx --json 2>err.txt |
    tail -1
}
fast=$(json_field "$(emulated)" emulated_seconds)
slow=$(json_field "$(emulated --slow 3=20)" emulated_seconds)
awk -v f="$fast" -v s="$slow" 'BEGIN { exit !(f > 0 && s > 1.5 * f) }' ||
  fail "emulated seconds: $fast without a straggler, $slow with rank 3 twenty times slower"
[[ $(head -1 e.train.csv) == *emulated_seconds* ]] || fail "the log has no emulated_seconds column"

# 6. A rank stopped (SIGSTOP) or killed (SIGKILL) mid-run: every rank ends, non-zero, within the
# timeout and 5 s (a stopped one is named after the others' roll call).
fault() {
  local signal=$1 victim=$2 timeout=6
  ranks 4 "$sinter" train "${small[@]}" --epochs 1000 --timeout $timeout --quiet -o f.onnx \
    >/dev/null 2>fault.txt &
  local launcher=$! pid="" waited=0
  while [[ -z $pid && $waited -lt 100 ]]; do
    sleep 0.1
    waited=$((waited + 1))
    for p in $(pgrep -f "sinter train --model lenet5 --train-limit 2560"); do
      tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$victim" &&
        pid=$p
    done
  done
  [[ -n $pid ]] || { fail "$signal: found no rank $victim"; kill $launcher; return; }
  sleep 4 # into training
  local start=$SECONDS
  kill -"$signal" "$pid"
  wait $launcher
  local rc=$? took=$((SECONDS - start))
  kill -9 "$pid" 2>/dev/null
  [[ $rc -ne 0 ]] || fail "$signal of rank $victim: the run exited 0"
  [[ $took -le $((2 * timeout + 5)) ]] || fail "$signal of rank $victim: the run took $took s to end"
}
fault STOP 2
[[ $(grep -c "no answer from rank 2" fault.txt) -ge 1 ]] ||
  fail "no rank named the stopped rank 2: $(head -5 fault.txt)"
grep -q "warning: rank .*has waited 3 s" fault.txt || fail "no warning before the stopped rank's end"
fault KILL 1
grep -q "rank 1" fault.txt || fail "nothing named the killed rank 1: $(head -5 fault.txt)"

# 6b. A run stopped part way (here by --max-steps, mid-epoch 2 of 40 steps each) and resumed ends
# with the same bits as the run straight through, compressed (the checkpoint holds every rank's
# residuals; the resumed run takes the compressor from it), dense, or with the rank-order
# reduction (which the resumed run takes from the checkpoint too).
for c in topk:0.01 none rank-order; do
  flag=()
  [[ $c == topk:0.01 ]] && flag=(--compress $c)
  [[ $c == rank-order ]] && flag=(--reduction rank-order)
  ranks 4 "$sinter" train "${small[@]}" "${flag[@]}" --epochs 2 -o straight.onnx --quiet \
    >/dev/null 2>err.txt || fail "$c: the straight run failed: $(cat err.txt)"
  ranks 4 "$sinter" train "${small[@]}" "${flag[@]}" --epochs 2 --max-steps 50 -o resumed.onnx \
    --quiet >/dev/null 2>err.txt || fail "$c: the stopped run failed: $(cat err.txt)"
  ranks 4 "$sinter" train --resume resumed.ckpt.onnx --dist allreduce -o resumed.onnx --quiet \
    >/dev/null 2>err.txt || fail "$c: the resumed run failed: $(cat err.txt)"
  cmp -s straight.onnx resumed.onnx || fail "$c: the resumed run's model differs from the straight run's"
done
ranks 4 "$sinter" train --resume resumed.ckpt.onnx --dist allreduce --compress topk:0.01 \
  -o bad.onnx --quiet >/dev/null 2>err.txt && fail "resuming a dense run compressed succeeded"
[[ $(grep -c "differs from the value '' that checkpoint" err.txt) -eq 4 ]] ||
  fail "expected the compression refusal on every rank: $(cat err.txt)"

# 7. Bad input: a checkpoint of 4 ranks resumed by 2, on every rank; an unknown strategy.
ranks 4 "$sinter" train "${small[@]}" --epochs 2 --max-steps 5 -o part.onnx --quiet \
  >/dev/null 2>err.txt || fail "stopped run failed: $(cat err.txt)"
ranks 2 "$sinter" train --resume part.ckpt.onnx --dist allreduce -o bad.onnx --quiet \
  >/dev/null 2>err.txt && fail "resuming 4 ranks' checkpoint on 2 succeeded"
[[ $(grep -c "was written by a run of 4 rank(s); this run has 2" err.txt) -eq 2 ]] ||
  fail "expected the refusal on both ranks: $(cat err.txt)"
[[ -z $(ls bad.* 2>/dev/null) ]] || fail "the refused resume left $(ls bad.*)"
expect_error "unknown strategy" "--dist 'ring' is not one of none, allreduce, ps:SERVERS, stanza:FC_RANKS" \
  "$sinter" train --model lenet5 --dist ring -o bad.onnx
expect_error "bad link" "--link '2gbe' is not 1gbe, 10gbe or LATENCY_US:GBIT_PER_S" \
  "$sinter" train --model lenet5 --dist allreduce --link 2gbe --train-limit 640 -o bad.onnx
expect_error "bad slowdown" "--slow '1=0.5'" \
  "$sinter" train --model lenet5 --dist allreduce --link 1gbe --slow 1=0.5 --train-limit 640 \
  -o bad.onnx
expect_error "bad strategy" "--dist 'ps:0' is not one of none, allreduce, ps:SERVERS, stanza:FC_RANKS" \
  "$sinter" train --model lenet5 --dist ps:0 -o bad.onnx
expect_error "bad compression" "compression spec 'topk:2'" \
  "$sinter" train --model lenet5 --dist allreduce --compress topk:2 --train-limit 640 -o bad.onnx
expect_error "compression without allreduce" "--compress needs --dist allreduce" \
  "$sinter" train --model lenet5 --compress topk:0.1 -o bad.onnx
expect_error "links without ranks" "--link and --slow emulate the links between ranks: they need --dist" \
  "$sinter" train --model lenet5 --link 1gbe -o bad.onnx
ranks 2 "$sinter" train "${small[@]/allreduce/ps:1}" --clip-norm 1 -o bad.onnx >/dev/null 2>err.txt &&
  fail "ps:1 with --clip-norm succeeded"
[[ $(grep -c "clip-norm needs every gradient in one place" err.txt) -eq 2 ]] ||
  fail "expected the --clip-norm refusal on both ranks: $(cat err.txt)"
expect_error "zero timeout" "--timeout must be a positive number of seconds" "$sinter" train --model lenet5 --timeout 0 -o bad.onnx

finish
