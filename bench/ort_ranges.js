// Runs ONNX Runtime on raw float32 inputs and prints each output's min and max as one JSON object
// (the calibration step of bench/qdq_quantize.py):
//   node ort_ranges.js MODEL.onnx DIMS(e.g. 1,3,224,224) INPUT.bin...
const fs = require('fs');
const path = require('path');
const peers = process.env.PEERS || path.join(require('os').homedir(), '.cache/sinter-peers');
const ort = require(path.join(peers, 'node_modules/onnxruntime-node'));
(async () => {
  const [model, dims, ...files] = process.argv.slice(2);
  const shape = dims.split(',').map(Number);
  const s = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled' });
  const ranges = {};
  for (const f of files) {
    const buf = fs.readFileSync(f);
    const data = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
    const out = await s.run({ [s.inputNames[0]]: new ort.Tensor('float32', data, shape) });
    for (const [name, t] of Object.entries(out)) {
      if (t.type !== 'float32') continue;
      let lo = Infinity, hi = -Infinity;
      for (const v of t.data) { if (v < lo) lo = v; if (v > hi) hi = v; }
      const r = ranges[name];
      ranges[name] = r ? [Math.min(r[0], lo), Math.max(r[1], hi)] : [lo, hi];
    }
  }
  console.log(JSON.stringify(ranges));
})().catch(e => { console.error(String(e)); process.exit(1); });
