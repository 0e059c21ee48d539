#!/usr/bin/env node
// bench/peers/ort_bench.js: ONNX Runtime's side of bench/peers.sh, one
// round. For every case of SPEC.json it loads each contender's model (f32
// Conv, QLinearConv, QDQ) into sessions with intra_op_num_threads 1 and 2,
// then, per thread count, calls session.run once per contender per
// repetition, in a rotating order, as peers.c does for qcc and oneDNN.
// Each call is timed with process.cpuUsage() (the process's CPU time: with
// one intra-op thread ORT computes on the calling thread; node's own
// threads add a little) and process.hrtime (wall). The time includes
// onnxruntime-node's binding (feeds in, output tensors out), which is what
// a user of it pays.
//
// usage: node ort_bench.js SPEC.json --round R --runs N --warmup W [--threads 1,2]
// SPEC.json: [{"case": C, "contenders": [{"name": N, "model": M.onnx,
//              "input": NAME, "data": X.npy}]}]   (X: '<f4' or '|u1', C order)
// prints lines: T round case contender threads cpu_ns wall_ns
//               I ort_version VERSION
// onnxruntime-node comes from $QCC_ORT_DIR/node_modules (bench/ort_setup.sh).
'use strict';
const fs = require('fs');
const path = require('path');

function fail(msg) { console.error('ort_bench: ' + msg); process.exit(1); }

function readNpy(file) {
  const b = fs.readFileSync(file);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY' || b[6] !== 1) fail(`${file}: not a version 1 .npy`);
  const hlen = b.readUInt16LE(8), start = 10 + hlen, header = b.toString('latin1', 10, start);
  const descr = /'descr':\s*'([^']*)'/.exec(header)[1];
  const dims = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').map(s => s.trim()).filter(s => s).map(Number);
  if (/True/.test(/'fortran_order':\s*(True|False)/.exec(header)[1])) fail(`${file}: Fortran order`);
  const raw = b.subarray(start);
  if (descr === '<f4') {
    const data = new Float32Array(raw.length / 4);
    new Uint8Array(data.buffer).set(raw);
    return { type: 'float32', dims, data };
  }
  if (descr === '|u1') return { type: 'uint8', dims, data: Uint8Array.from(raw) };
  fail(`${file}: dtype ${descr} (want <f4 or |u1)`);
}

const sleepBuf = new Int32Array(new SharedArrayBuffer(4));
function settle(threads) {
  // as peers.c: let the last session's spinning intra-op threads go to sleep
  if (threads > 1) Atomics.wait(sleepBuf, 0, 0, 2);
}

async function main() {
  const args = process.argv.slice(2);
  const opt = (k, d) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : d; };
  const spec = JSON.parse(fs.readFileSync(args[0], 'utf8'));
  const round = Number(opt('--round', 1)), runs = Number(opt('--runs', 20)), warmup = Number(opt('--warmup', 5));
  const threads = opt('--threads', '1,2').split(',').map(Number);
  const dir = process.env.QCC_ORT_DIR;
  if (!dir) fail('QCC_ORT_DIR is not set');
  const ort = require(path.join(dir, 'node_modules', 'onnxruntime-node'));
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'node_modules', 'onnxruntime-node', 'package.json'), 'utf8'));
  console.log(`I\tort_version\t${pkg.version}`);
  const out = [];
  for (const th of threads) {
    for (const cs of spec) {
      const cons = [];
      for (const c of cs.contenders) {
        const x = readNpy(c.data);
        const session = await ort.InferenceSession.create(c.model, {
          intraOpNumThreads: th, interOpNumThreads: 1, executionMode: 'sequential',
          graphOptimizationLevel: 'all',
        });
        cons.push({ name: c.name, session, feeds: { [c.input]: new ort.Tensor(x.type, x.data, x.dims) } });
      }
      for (let r = -warmup; r < runs; r++) {
        for (let k = 0; k < cons.length; k++) {
          const c = cons[(k + r + warmup) % cons.length];
          // as peers.c: 2 threads get the pause, one call timed apart (C),
          // then the timed call (T) in steady state
          const kinds = th > 1 ? ['C', 'T'] : ['T'];
          if (th > 1) settle(th);
          for (const kind of kinds) {
            const c0 = process.cpuUsage(), w0 = process.hrtime.bigint();
            await c.session.run(c.feeds);
            const w1 = process.hrtime.bigint(), c1 = process.cpuUsage(c0);
            if (r >= 0) out.push(`${kind}\t${round}\t${cs.case}\t${c.name}\t${th}\t${(c1.user + c1.system) * 1000}\t${w1 - w0}`);
          }
        }
      }
      for (const c of cons) await c.session.release();
      console.log(out.join('\n'));
      out.length = 0;
    }
  }
}

main().catch(e => fail(String(e && e.message ? e.message : e)));
