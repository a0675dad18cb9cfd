// Times ONNX Runtime 1.30 on one model fed the model's own input from a .npy file (float32 or
// int64, C order), so that networks whose input is not an image (token ids, a latent vector) are
// timed on what they were exported with:
//   node bench/ort_time_npy.js MODEL.onnx INPUT.npy [THREADS=1] [REPS=20]   (env PEERS=...)
// Prints one JSON line as ../shared/bench/ort_time.js does: min and median milliseconds per run
// after 3 warm-ups.
const fs = require('fs');
const os = require('os');
const path = require('path');
const peers = process.env.PEERS || path.join(os.homedir(), '.cache/sinter-peers');
const ort = require(path.join(peers, 'node_modules/onnxruntime-node'));

// The dtype, shape and data of a version 1-3 .npy file.
function readNpy(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = b[6];
  const headerLen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + headerLen;
  const header = b.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${file}: Fortran order`);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim()).map(Number);
  const bytes = b.buffer.slice(b.byteOffset + start, b.byteOffset + b.length);
  if (descr === '<f4') return { type: 'float32', shape, data: new Float32Array(bytes) };
  if (descr === '<i8') return { type: 'int64', shape, data: new BigInt64Array(bytes) };
  throw new Error(`${file}: dtype ${descr} (float32 or int64 expected)`);
}

(async () => {
  const [model, input, threads = '1', reps = '20'] = process.argv.slice(2);
  const s = await ort.InferenceSession.create(model, { intraOpNumThreads: +threads,
    interOpNumThreads: 1, graphOptimizationLevel: 'all', executionMode: 'sequential' });
  const x = readNpy(input);
  const feeds = { [s.inputNames[0]]: new ort.Tensor(x.type, x.data, x.shape) };
  for (let i = 0; i < 3; i++) await s.run(feeds);
  const t = [];
  for (let i = 0; i < +reps; i++) {
    const a = process.hrtime.bigint();
    await s.run(feeds);
    t.push(Number(process.hrtime.bigint() - a) / 1e6);
  }
  t.sort((a, b) => a - b);
  console.log(JSON.stringify({ engine: 'onnxruntime-1.30', model: path.basename(model),
    threads: +threads, batch: x.shape[0], min_ms: +t[0].toFixed(3),
    median_ms: +t[t.length >> 1].toFixed(3) }));
})().catch((e) => { console.error(String(e)); process.exit(1); });
