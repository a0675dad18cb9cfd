// Runs a classifier in ONNX Runtime over the first N Fashion-MNIST test images (normalized as
// sinter normalizes them) and compares with the per-sample logits `sinter eval --predictions`
// wrote. Prints one JSON line; exits 1 when fewer than MIN_AGREE of the predictions are the same
// or a logit is off by more than the tolerance. OPT is ONNX Runtime's graph optimization level:
// 'disabled' runs a QDQ model's DequantizeLinear and float ops as written, 'all' lets it fuse
// them into its own int8 kernels.
//   node ort_predictions.js ORT_MODULE_DIR MODEL.onnx PREDICTIONS.csv FMNIST_DIR N [TOL=1e-4]
//        [MIN_AGREE=1] [OPT=all]
const fs = require('fs'), path = require('path'), zlib = require('zlib');
const [ortDir, model, csv, dataDir, n, tol = '1e-4', minAgree = '1', opt = 'all'] =
  process.argv.slice(2);
const ort = require(ortDir);
const kMean = 0.2860, kStd = 0.3530;  // sinter's kFashionMnistMean / kFashionMnistStd

(async () => {
  const count = +n;
  const raw = zlib.gunzipSync(fs.readFileSync(path.join(dataDir, 't10k-images-idx3-ubyte.gz')));
  const pixels = new Float32Array(count * 784);
  // Each step rounded to float32 as sinter computes it, so both engines see the same input bits.
  const f = Math.fround, mean = f(kMean), std = f(kStd);
  for (let i = 0; i < pixels.length; i++) pixels[i] = f(f(f(raw[16 + i] / 255) - mean) / std);
  const rows = fs.readFileSync(csv, 'utf8').trim().split('\n').slice(1).map(l => l.split(',').map(Number));
  if (rows.length !== count) throw new Error(`${csv} has ${rows.length} rows, expected ${count}`);
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, graphOptimizationLevel: opt });
  let agree = 0, maxDiff = 0, differing = 0;  // differing: samples with a logit off by > 1e-4
  const batch = 100;
  for (let b = 0; b < count; b += batch) {
    const size = Math.min(batch, count - b);
    const input = new ort.Tensor('float32', pixels.subarray(b * 784, (b + size) * 784), [size, 1, 28, 28]);
    const out = (await session.run({ [session.inputNames[0]]: input }))[session.outputNames[0]];
    const k = out.dims[1];
    for (let i = 0; i < size; i++) {
      const row = rows[b + i], logits = out.data.subarray(i * k, (i + 1) * k);
      let best = 0, sampleDiff = 0;
      for (let c = 0; c < k; c++) {
        if (logits[c] > logits[best]) best = c;
        sampleDiff = Math.max(sampleDiff, Math.abs(logits[c] - row[3 + c]));
      }
      if (best === row[2]) agree++;
      if (sampleDiff > 1e-4) differing++;
      maxDiff = Math.max(maxDiff, sampleDiff);
    }
  }
  console.log(JSON.stringify({ engine: 'onnxruntime', optimization: opt, samples: count,
    same_prediction: agree, max_abs_logit_diff: maxDiff, samples_differing: differing }));
  process.exit(agree >= +minAgree * count && maxDiff <= +tol ? 0 : 1);
})().catch(e => { console.error(String(e)); process.exit(1); });
