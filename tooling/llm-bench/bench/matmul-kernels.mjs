// The ceiling of the quantized matmuls on this CPU: one-node ONNX models of one linear layer of the
// bench's LLM (the MLP's gate+up projection, K 896 → N 9,728), timed alone on onnxruntime-node at a
// decode step (M = 1) and a 103-token prefill (M = 103), with every kernel family onnxruntime has
// for it: MatMulNBits (4 and 8 bits, block 32, at accuracy levels 0, 1 and 4), the float32 MatMul,
// and onnxruntime's integer GEMM (int8 weights per column): DynamicQuantizeMatMul, which quantizes
// the activations per tensor, and MatMulInteger between nodes that quantize them per row (what a
// prefill path on that GEMM would take; see the README for why the converter uses neither). Random
// codes: speed only. Prints the CPU's vector features, since the kernels onnxruntime and llama.cpp pick
// depend on them (AVX2, AVX-512 VNNI, AMX).
//   node bench/matmul-kernels.mjs [threads=2]
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const threads = Number(process.argv[2] ?? 2);
const require = createRequire(import.meta.resolve('@ivl/backend-node'));
const ort = require('onnxruntime-node');
const { onnx } = createRequire(import.meta.resolve('@ivl/convert'))('onnx-proto');

const K = 896;
const N = 9728;
const BLOCK = 32;
const kBlocks = K / BLOCK;

function seeded(length, scale) {
  const values = new Float32Array(length);
  let s = 1;
  for (let i = 0; i < length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    values[i] = (s / 2 ** 32 - 0.5) * scale;
  }
  return values;
}
const bytes = (array) => new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
const codes = (length) => Uint8Array.from({ length }, (_, i) => (i * 37) & 255);
const initializer = (name, dataType, dims, rawData) => ({ name, dataType, dims, rawData });
const float32Value = (name, dims) => ({
  name,
  type: {
    tensorType: {
      elemType: 1,
      shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
    },
  },
});
const int = (name, i) => ({ name, type: 2, i });

/** A model `y = f(x)` of these nodes, x `[m, K]` float32. */
function graph(nodes, initializers) {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [
        { domain: '', version: 17 },
        { domain: 'com.microsoft', version: 1 },
      ],
      graph: {
        name: 'linear',
        node: nodes,
        initializer: initializers,
        input: [float32Value('x', ['m', K])],
        output: [float32Value('y', ['m', N])],
      },
    }),
  ).finish();
}
const oneNode = (node, initializers) =>
  graph([{ ...node, input: ['x', ...node.input], output: ['y'] }], initializers);

/**
 * Activations quantized per row to 8 bits (held as uint8 around 128, the layout onnxruntime's fast
 * u8·s8 GEMM takes), an integer MatMul with int8 weights per column, then both scales.
 */
function perRowInt8() {
  const node = (opType, input, output, attribute = []) => ({ opType, input, output, attribute });
  const scalar = (name, value) => initializer(name, 1, [], bytes(Float32Array.of(value)));
  return graph(
    [
      node('Abs', ['x'], ['abs']),
      node('ReduceMax', ['abs'], ['max'], [{ name: 'axes', type: 7, ints: [-1] }, int('keepdims', 1)]),
      node('Max', ['max', 'tiny'], ['safe_max']),
      node('Mul', ['safe_max', 'inverse_127'], ['row_scale']),
      node('Div', ['x', 'row_scale'], ['scaled']),
      node('Round', ['scaled'], ['rounded']),
      node('Add', ['rounded', 'offset'], ['shifted']),
      node('Cast', ['shifted'], ['codes'], [int('to', 2)]),
      node('MatMulInteger', ['codes', 'w', 'zero_point'], ['sums']),
      node('Cast', ['sums'], ['sums_float'], [int('to', 1)]),
      node('Mul', ['sums_float', 'row_scale'], ['by_row']),
      node('Mul', ['by_row', 'w_scale'], ['y']),
    ],
    [
      initializer('w', 3, [K, N], codes(K * N)),
      initializer('w_scale', 1, [N], bytes(seeded(N, 0.01))),
      initializer('zero_point', 2, [], Uint8Array.of(128)),
      scalar('tiny', 1e-30),
      scalar('inverse_127', 1 / 127),
      scalar('offset', 128),
    ],
  );
}

function matMulNBits(bits, level) {
  return oneNode(
    {
      opType: 'MatMulNBits',
      domain: 'com.microsoft',
      input: ['b', 'scales', 'zeros'],
      attribute: [
        int('K', K),
        int('N', N),
        int('bits', bits),
        int('block_size', BLOCK),
        int('accuracy_level', level),
      ],
    },
    [
      initializer('b', 2, [N, kBlocks, (BLOCK * bits) / 8], codes((N * K * bits) / 8)),
      initializer('scales', 1, [N * kBlocks], bytes(seeded(N * kBlocks, 0.01))),
      initializer(
        'zeros',
        2,
        [(N * kBlocks * bits) / 8],
        new Uint8Array((N * kBlocks * bits) / 8).fill(bits === 4 ? 0x88 : 128),
      ),
    ],
  );
}

const kernels = [
  ['MatMulNBits 4-bit, accuracy_level 4 (ivl q4)', matMulNBits(4, 4)],
  ['MatMulNBits 4-bit, accuracy_level 1 (fp32)', matMulNBits(4, 1)],
  ['MatMulNBits 4-bit, accuracy_level 0', matMulNBits(4, 0)],
  ['MatMulNBits 8-bit, accuracy_level 4 (ivl q8)', matMulNBits(8, 4)],
  [
    'MatMul float32 (ivl fp32)',
    oneNode({ opType: 'MatMul', input: ['w'] }, [initializer('w', 1, [K, N], bytes(seeded(K * N, 0.05)))]),
  ],
  [
    'DynamicQuantizeMatMul (activations per tensor)',
    oneNode({ opType: 'DynamicQuantizeMatMul', domain: 'com.microsoft', input: ['w', 'w_scale'] }, [
      initializer('w', 3, [K, N], codes(K * N)),
      initializer('w_scale', 1, [N], bytes(seeded(N, 0.01))),
    ]),
  ],
  ['MatMulInteger u8·s8 (activations per row, 12 nodes)', perRowInt8()],
];

const flags = (readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').split(' ');
const model = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.*)$/m)?.[1] ?? 'unknown CPU';
const features = ['avx2', 'avx_vnni', 'avx512f', 'avx512_vnni', 'amx_int8'].filter((f) => flags.includes(f));
console.log(`${model}: ${features.join(' ')}; ${threads} threads; one linear, K ${K} → N ${N}`);
for (const [name, model] of kernels) {
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  const figures = [];
  for (const m of [1, 103]) {
    const x = new ort.Tensor('float32', seeded(m * K, 2), [m, K]);
    for (let i = 0; i < 3; i++) await session.run({ x });
    const runs = m === 1 ? 200 : 20;
    const started = performance.now();
    for (let i = 0; i < runs; i++) await session.run({ x });
    const ms = (performance.now() - started) / runs;
    figures.push(
      `M=${m}: ${ms.toFixed(3).padStart(6)} ms ${((2 * m * K * N) / ms / 1e6).toFixed(0).padStart(5)} GFLOP/s`,
    );
  }
  console.log(`  ${name.padEnd(46)} ${figures.join('   ')}`);
  await session.release();
}
