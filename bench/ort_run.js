#!/usr/bin/env node
// Runs an ONNX model once with ONNX Runtime (npm's onnxruntime-node, CPU,
// one thread, so the numbers are reproducible) and writes every model output
// as OUT_DIR/<output name>.npy (float32; '/' and ':' in names become '_').
//
// usage: node bench/ort_run.js MODEL.onnx OUT_DIR NAME=IN.npy [NAME=IN.npy...] [--all-tensors]
//   NAME=IN.npy    a model input and its float32 .npy file ('<f4', C order)
//   --all-tensors  also write every intermediate node output (the model's
//                  graph is given all of them as extra outputs before loading)
// onnxruntime-node is loaded from $QCC_ORT_DIR/node_modules (default
// $HOME/.cache/qcc/ort); bench/ort_setup.sh installs it there.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');

const LE = os.endianness() === 'LE';
function fail(msg) { console.error('ort_run: ' + msg); process.exit(1); }

// --- .npy: little-endian float32, C order, format versions 1.0 and 2.0 only ---
function readNpy(file) {
  const b = fs.readFileSync(file);
  if (b.length < 10 || b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${file}: not a .npy file`);
  const major = b[6], minor = b[7];
  if (minor !== 0 || (major !== 1 && major !== 2)) throw new Error(`${file}: .npy version ${major}.${minor} not supported (1.0/2.0 only)`);
  const hlen = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + hlen;
  const header = b.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']*)'/.exec(header), fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !fortran || !shape) throw new Error(`${file}: malformed .npy header`);
  if (descr[1] !== '<f4') throw new Error(`${file}: dtype ${descr[1]} not supported (float32 '<f4' only)`);
  if (fortran[1] !== 'False') throw new Error(`${file}: Fortran order not supported (C order only)`);
  const dims = shape[1].split(',').map(s => s.trim()).filter(s => s !== '').map(s => {
    if (!/^\d+$/.test(s)) throw new Error(`${file}: bad shape entry '${s}'`);
    return Number(s);
  });
  const n = dims.reduce((a, d) => a * d, 1);
  if (b.length - start !== 4 * n) throw new Error(`${file}: ${b.length - start} data bytes, shape needs ${4 * n}`);
  const data = new Float32Array(n);  // a copy: the data in the Buffer need not be 4-byte aligned
  if (LE) new Uint8Array(data.buffer).set(b.subarray(start));
  else for (let i = 0; i < n; i++) data[i] = b.readFloatLE(start + 4 * i);
  return { dims, data };
}

function writeNpy(file, dims, data) {
  const shape = dims.length === 1 ? `(${dims[0]},)` : `(${dims.join(', ')})`;
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': ${shape}, }`;
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';  // pad to a 64-byte boundary
  if (header.length > 65535) throw new Error(`${file}: header too long`);
  const pre = Buffer.alloc(10);
  pre.write('\x93NUMPY', 0, 'latin1'); pre[6] = 1; pre[7] = 0; pre.writeUInt16LE(header.length, 8);
  let body;
  if (LE) body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  else { body = Buffer.alloc(4 * data.length); data.forEach((v, i) => body.writeFloatLE(v, 4 * i)); }
  const tmp = file + '.tmp';
  fs.writeFileSync(tmp, Buffer.concat([pre, Buffer.from(header, 'latin1'), body]));
  fs.renameSync(tmp, file);
}

// --- --all-tensors: append every node output to the graph's outputs, editing
// the protobuf bytes directly (ModelProto.graph = 7, GraphProto.node = 1,
// GraphProto.output = 12, NodeProto.output = 2, ValueInfoProto.name = 1).
// The added outputs carry no type: ONNX Runtime takes it from its inference.
function pbFields(b) {
  const out = [], p = { i: 0 };
  const varint = () => { let v = 0, m = 1, c; do { c = b[p.i++]; v += (c & 127) * m; m *= 128; } while (c & 128); return v; };
  while (p.i < b.length) {
    const t = p.i, tag = varint(), f = Math.floor(tag / 8), w = tag % 8;
    let vs = p.i;
    if (w === 0) varint(); else if (w === 1) p.i += 8; else if (w === 5) p.i += 4;
    else if (w === 2) { const n = varint(); vs = p.i; p.i += n; } else throw new Error('model: bad protobuf wire type');
    if (p.i > b.length) throw new Error('model: truncated protobuf');
    out.push({ f, w, t, s: vs, e: p.i });  // t: tag start, s..e: payload
  }
  return out;
}
function pbVarint(n) { const a = []; while (n >= 128) { a.push((n % 128) | 128); n = Math.floor(n / 128); } a.push(n); return Buffer.from(a); }
function pbBytes(f, payload) { return Buffer.concat([pbVarint(f * 8 + 2), pbVarint(payload.length), payload]); }
function strings(b, field) { return pbFields(b).filter(x => x.f === field && x.w === 2).map(x => b.toString('utf8', x.s, x.e)); }

function withAllOutputs(model) {
  const top = pbFields(model);
  const gi = top.findIndex(x => x.f === 7 && x.w === 2);
  if (gi < 0) throw new Error('model has no graph');
  const graph = model.subarray(top[gi].s, top[gi].e);
  const gf = pbFields(graph);
  const have = new Set(gf.filter(x => x.f === 12 && x.w === 2).map(x => strings(graph.subarray(x.s, x.e), 1)[0]));
  const extra = [];
  for (const x of gf.filter(x => x.f === 1 && x.w === 2)) {
    for (const name of strings(graph.subarray(x.s, x.e), 2)) {
      if (name && !have.has(name)) { have.add(name); extra.push(pbBytes(12, pbBytes(1, Buffer.from(name, 'utf8')))); }
    }
  }
  const g = top[gi];  // re-emit the model with the graph field replaced
  return Buffer.concat([model.subarray(0, g.t), pbBytes(7, Buffer.concat([graph, ...extra])), model.subarray(g.e)]);
}

async function main() {
  const args = process.argv.slice(2);
  const all = args.includes('--all-tensors');
  const pos = args.filter(a => a !== '--all-tensors');
  if (pos.length < 3) fail('usage: node bench/ort_run.js MODEL.onnx OUT_DIR NAME=IN.npy [NAME=IN.npy...] [--all-tensors]');
  const [modelPath, outDir, ...ins] = pos;
  const ortDir = process.env.QCC_ORT_DIR || path.join(os.homedir(), '.cache', 'qcc', 'ort');
  let ort;
  try { ort = require(path.join(ortDir, 'node_modules', 'onnxruntime-node')); } catch (e) {
    fail(`cannot load onnxruntime-node from ${ortDir}/node_modules (run bench/ort_setup.sh): ${e.message.split('\n')[0]}`);
  }
  const feeds = {};
  for (const a of ins) {
    const k = a.indexOf('=');
    if (k <= 0) fail(`bad input '${a}' (want NAME=IN.npy)`);
    const { dims, data } = readNpy(a.slice(k + 1));
    feeds[a.slice(0, k)] = new ort.Tensor('float32', data, dims);
  }
  let model = fs.readFileSync(modelPath);
  if (all) model = withAllOutputs(model);
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential',
  });
  const unknown = Object.keys(feeds).filter(n => !session.inputNames.includes(n));
  if (unknown.length) fail(`unknown model input(s): ${unknown.join(', ')} (model inputs: ${session.inputNames.join(', ')})`);
  const missing = session.inputNames.filter(n => !(n in feeds));
  if (missing.length) fail(`missing model input(s): ${missing.join(', ')} (model inputs: ${session.inputNames.join(', ')})`);
  const results = await session.run(feeds);
  fs.mkdirSync(outDir, { recursive: true });
  for (const name of session.outputNames) {
    const t = results[name];
    if (t.type === 'string') fail(`output ${name}: string tensors not supported`);
    const data = t.type === 'float32' ? t.data : Float32Array.from(t.data, Number);
    writeNpy(path.join(outDir, name.replace(/[/:]/g, '_') + '.npy'), t.dims, data);
  }
}

main().catch(e => fail(String(e && e.message ? e.message : e).trim().replace(/\s*\n\s*/g, ' ')));
