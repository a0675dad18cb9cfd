// Per-node times of ONNX Runtime 1.30 on one model, to set beside `sinter bench --profile`:
//   node bench/ort_profile.js MODEL.onnx [THREADS=1] [REPS=100]   (env DIMS=1,3,224,224, PEERS=...)
// Runs with ORT's own profiler on, skips the first 10 runs, and prints one line per node in
// execution order: median microseconds, op type, node name; then the median run time.
const fs = require('fs');
const os = require('os');
const path = require('path');
const peers = process.env.PEERS || path.join(os.homedir(), '.cache/sinter-peers');
const ort = require(path.join(peers, 'node_modules/onnxruntime-node'));

const median = (xs) => xs.slice().sort((a, b) => a - b)[xs.length >> 1];

(async () => {
  const [model, threads = '1', reps = '100'] = process.argv.slice(2);
  const prefix = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ort-profile-')), 'p');
  const s = await ort.InferenceSession.create(model, {
    intraOpNumThreads: +threads, interOpNumThreads: 1, graphOptimizationLevel: 'all',
    executionMode: 'sequential', enableProfiling: true, profileFilePrefix: prefix });
  const dims = process.env.DIMS ? process.env.DIMS.split(',').map(Number) : [1, 3, 224, 224];
  const data = new Float32Array(dims.reduce((a, b) => a * b, 1)).map((_, i) => Math.sin(i) * 0.5);
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', data, dims) };
  for (let i = 0; i < +reps + 10; i++) await s.run(feeds);
  await s.endProfiling();
  const dir = path.dirname(prefix);
  const file = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.json')));
  const events = JSON.parse(fs.readFileSync(file, 'utf8'));
  const runs = events.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const start = runs[Math.min(10, runs.length - 1)].ts;
  const nodes = new Map();
  for (const e of events) {
    if (e.cat !== 'Node' || !e.name.endsWith('_kernel_time') || e.ts < start) continue;
    const name = e.name.slice(0, -'_kernel_time'.length);
    if (!nodes.has(name)) nodes.set(name, { op: e.args.op_name, times: [] });
    nodes.get(name).times.push(e.dur);
  }
  for (const [name, n] of nodes) console.log(`${median(n.times)}\t${n.op}\t${name}`);
  console.log(`run median ${median(runs.slice(10).map((r) => r.dur)) / 1000} ms`);
  fs.rmSync(dir, { recursive: true, force: true });
})().catch((e) => { console.error(String(e)); process.exit(1); });
