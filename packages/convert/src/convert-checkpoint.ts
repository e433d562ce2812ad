import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  AbortedError,
  CheckpointError,
  float32ArrayToFloat16,
  InvalidArgumentError,
  type LlmFamily,
  MODEL_DTYPES,
  MODEL_FORMAT_VERSION,
  type ModelDtype,
  type ModelManifest,
  type ModelPart,
  type ModelPartFiles,
  usesSentencePiece,
} from '@ivl/core';
import { openCheckpoint } from './checkpoint/read-checkpoint.js';
import { buildDecoderGraph } from './graphs/decoder-graph.js';
import { buildEmbedTokensGraph, buildProjectorGraph } from './graphs/projector-graph.js';
import { buildVisionEncoderGraph } from './graphs/vision-encoder-graph.js';
import { GraphBuilder } from './onnx/graph-builder.js';
import { createWeightSink } from './onnx/weight-sink.js';
import { checkOutputDirectory, removeStaleTemporaries, temporaryName } from './output-directory.js';
import { buildTokenizerJson } from './tokenizer/build-tokenizer-json.js';

/** Options of {@link convertCheckpoint}. */
export interface ConvertOptions {
  /**
   * Weight storage: `fp32`; `fp16` (fp32 compute); `q8` / `q4`: linear layers as ORT `MatMulNBits`
   * with block-wise (32) 8- or 4-bit weights and fp32 activations, everything else fp32; `int8`:
   * linear layers with 8-bit weights per output channel and activations quantized to 8 bits per
   * token at run time, through onnxruntime's integer GEMM (the LLM's output head and the token
   * embedding table as in `q8`). @default 'fp32'
   */
  readonly dtype?: ModelDtype;
  /** Replace an existing output directory. @default false */
  readonly overwrite?: boolean;
  /** Progress: a stage name and fraction in [0, 1] of the whole conversion. */
  readonly onProgress?: (event: { readonly stage: string; readonly fraction: number }) => void;
  readonly signal?: AbortSignal;
  /**
   * The decoder graph's runs of one sequence (prefills and one-token steps) over a KV-cache buffer
   * of at least this many bytes (all layers' float32 keys and values, spare rows included) attend
   * over the buffer in place; smaller ones run onnxruntime's `GroupQueryAttention`, whose copy of
   * the buffer costs less there.
   * Tuning only: both compute the same attention. @default 33554432 (32 MiB)
   */
  readonly inPlaceAttentionMinBytes?: number;
}

/** What a conversion wrote. */
export interface ConvertResult {
  readonly directory: string;
  readonly manifest: ModelManifest;
  readonly files: readonly { readonly path: string; readonly bytes: number }[];
  readonly elapsedMs: number;
}

const INTERNVL_TOKENS = {
  imgStart: '<img>',
  imgEnd: '</img>',
  imgContext: '<IMG_CONTEXT>',
  imEnd: '<|im_end|>',
} as const;
const COPIED_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
];

function tokenIds(tokenizer: Record<string, unknown>, path: string, family: LlmFamily) {
  const ids: Record<string, number> = {};
  const list = tokenizer.added_tokens;
  if (!Array.isArray(list)) {
    throw new CheckpointError({
      path,
      message: `${path} has no added_tokens list; a tokenizer.json of an InternVL checkpoint lists <img>, </img> and <IMG_CONTEXT> there.`,
    });
  }
  const added = new Map<string, number>(
    (list as { content?: unknown; id?: unknown }[])
      .filter((t) => typeof t?.content === 'string' && typeof t.id === 'number')
      .map((t) => [t.content as string, t.id as number]),
  );
  for (const [key, content] of Object.entries(INTERNVL_TOKENS)) {
    const id = added.get(content);
    if (id === undefined) {
      throw new CheckpointError({
        path,
        message: `${path}: the tokenizer has no ${content} token; InternVL checkpoints add <img>, </img> and <IMG_CONTEXT>.`,
      });
    }
    ids[key] = id;
  }
  const result = ids as Record<keyof typeof INTERNVL_TOKENS, number> & { bos?: number };
  if (usesSentencePiece(family)) {
    // InternLM tokenizers prepend <s>; its id is the tokenizer's (1 in InternLM2 and InternLM3).
    const vocab = (tokenizer.model as { vocab?: unknown } | undefined)?.vocab;
    const bos =
      added.get('<s>') ??
      (Array.isArray(vocab)
        ? vocab.findIndex((entry) => Array.isArray(entry) && entry[0] === '<s>')
        : (vocab as Record<string, number> | undefined)?.['<s>']);
    if (bos === undefined || bos < 0) {
      throw new CheckpointError({
        path,
        message: `${path}: the tokenizer has no <s> token; InternLM tokenizers begin every prompt with it.`,
      });
    }
    result.bos = bos;
  }
  return result;
}

/**
 * Converts a Hugging Face InternVL 2.5, 3 or 3.5 checkpoint directory (original or `-hf` layout) into an ivl model directory
 * (DESIGN.md §3): `onnx/vision_encoder`, `projector`, `embed_tokens`, `decoder_model_merged`
 * (+ `.onnx_data` external weights, each file ≤ 2 GB), `ivl.json`, config and tokenizer files.
 * Tensors are read one at a time and written straight to disk. Everything is written to a
 * temporary directory that is renamed into place only when complete; temporary folders that
 * killed conversions into the same place left behind are removed first.
 *
 * @throws {CheckpointError} for malformed checkpoints (naming the file and tensor)
 * @throws {InvalidArgumentError} before any work, for an output that is, holds or lies inside the
 *   checkpoint, or an existing folder that is not an earlier output
 * @throws {AbortedError} when `signal` aborts
 */
export async function convertCheckpoint(
  checkpointDirectory: string,
  outputDirectory: string,
  options: ConvertOptions = {},
): Promise<ConvertResult> {
  const started = performance.now();
  const { dtype = 'fp32', overwrite = false, onProgress, signal, inPlaceAttentionMinBytes } = options;
  const throwIfAborted = () => {
    if (signal?.aborted)
      throw new AbortedError({ message: 'The conversion was aborted.', cause: signal.reason });
  };
  throwIfAborted();
  if (!MODEL_DTYPES.includes(dtype)) {
    throw new InvalidArgumentError({
      argument: 'dtype',
      message: `Expected one of ${MODEL_DTYPES.join(', ')}, got ${String(dtype)}.`,
    });
  }
  if (
    inPlaceAttentionMinBytes !== undefined &&
    !(Number.isFinite(inPlaceAttentionMinBytes) && inPlaceAttentionMinBytes >= 0)
  ) {
    throw new InvalidArgumentError({
      argument: 'inPlaceAttentionMinBytes',
      message: `Expected a number of bytes ≥ 0, got ${String(inPlaceAttentionMinBytes)}; leave it out for the default (32 MiB).`,
    });
  }
  const outputExists = await checkOutputDirectory(checkpointDirectory, outputDirectory, overwrite);
  const checkpoint = await openCheckpoint(checkpointDirectory);
  const { spec } = checkpoint;
  const tokenizer = await buildTokenizerJson(checkpointDirectory);
  const tokens = tokenIds(tokenizer, join(checkpointDirectory, 'tokenizer.json'), spec.llm.family);

  await mkdir(dirname(outputDirectory), { recursive: true });
  await removeStaleTemporaries(dirname(outputDirectory), basename(outputDirectory));
  const temporary = temporaryName(outputDirectory);
  await mkdir(join(temporary, 'onnx'), { recursive: true });
  const suffix = dtype === 'fp32' ? '' : `_${dtype}`;
  const quantization =
    dtype === 'q4'
      ? { bits: 4 as const, blockSize: 32 }
      : dtype === 'q8'
        ? { bits: 8 as const, blockSize: 32 }
        : dtype === 'int8'
          ? { bits: 8 as const, blockSize: 32, integerGemm: true }
          : undefined;
  const totalWork = spec.vision.layers + spec.llm.layers + 4;
  let done = 0;
  const progress = (stage: string) => onProgress?.({ stage, fraction: Math.min(1, done / totalWork) });
  let manifest: ModelManifest;
  const read = async (name: string) => {
    throwIfAborted();
    return checkpoint.read(name);
  };
  try {
    const parts: [ModelPart, (g: GraphBuilder) => Promise<void>][] = [
      [
        'vision_encoder',
        (g) =>
          buildVisionEncoderGraph(g, spec, read, () => {
            done++;
            progress('vision_encoder');
          }),
      ],
      ['projector', (g) => buildProjectorGraph(g, spec, read)],
      ['embed_tokens', (g) => buildEmbedTokensGraph(g, spec, read)],
      [
        'decoder_model_merged',
        (g) =>
          buildDecoderGraph(g, spec, read, {
            inPlaceAttentionMinBytes,
            onLayer: () => {
              done++;
              progress('decoder_model_merged');
            },
          }),
      ],
    ];
    const partFiles: Partial<Record<ModelPart, ModelPartFiles>> = {};
    for (const [part, build] of parts) {
      progress(part);
      const sink = createWeightSink(join(temporary, 'onnx'), `${part}${suffix}`, float32ArrayToFloat16);
      try {
        const builder = new GraphBuilder(part, sink, dtype === 'fp16' ? 'float16' : 'float32', quantization);
        await build(builder);
        const graph = builder.build();
        const name = `${part}${suffix}.onnx`;
        await writeFile(join(temporary, 'onnx', name), graph);
        sink.close();
        partFiles[part] = {
          onnx: {
            path: `onnx/${name}`,
            bytes: graph.byteLength,
            sha256: createHash('sha256').update(graph).digest('hex'),
          },
          externalData: sink.digests().map((file) => ({
            path: `onnx/${file.name}`,
            bytes: file.bytes,
            sha256: file.sha256,
          })),
        };
      } finally {
        sink.close();
      }
      done++;
    }
    await writeFile(join(temporary, 'tokenizer.json'), JSON.stringify(tokenizer));
    for (const file of COPIED_FILES) {
      await copyFile(join(checkpointDirectory, file), join(temporary, file)).catch(() => undefined);
    }
    manifest = {
      formatVersion: MODEL_FORMAT_VERSION,
      family: spec.llm.family,
      vision: spec.vision.variant,
      template: spec.template,
      tileSizePx: spec.vision.imageSize,
      numImageToken: spec.numImageToken,
      normalization: { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
      dims: {
        visionHidden: spec.vision.hidden,
        llmHidden: spec.llm.hidden,
        layers: spec.llm.layers,
        heads: spec.llm.heads,
        kvHeads: spec.llm.kvHeads,
        headDim: spec.llm.headDim,
        vocabSize: spec.llm.vocabSize,
        maxPositionEmbeddings: spec.llm.maxPositionEmbeddings,
      },
      tokens,
      files: Object.fromEntries(
        parts.map(([part]) => [part, { [dtype]: partFiles[part] }]),
      ) as ModelManifest['files'],
      ...(spec.systemMessage !== undefined && { systemMessage: spec.systemMessage }),
      // GroupQueryAttention reads the valid past rows off attention_mask (buildDecoderGraph).
      decoderPast: 'capacity',
    };
    await writeFile(join(temporary, 'ivl.json'), JSON.stringify(manifest, null, 2));
    throwIfAborted();
    if (outputExists) {
      // The earlier output moves aside first, so that a crash here leaves one complete copy.
      const previous = temporaryName(outputDirectory);
      await rename(outputDirectory, previous);
      await rename(temporary, outputDirectory);
      await rm(previous, { recursive: true, force: true });
    } else {
      await rename(temporary, outputDirectory);
    }
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    throw error;
  }
  onProgress?.({ stage: 'done', fraction: 1 });
  const files: { path: string; bytes: number }[] = [];
  for (const sub of ['', 'onnx']) {
    for (const name of await readdir(join(outputDirectory, sub))) {
      const info = await stat(join(outputDirectory, sub, name));
      if (info.isFile()) files.push({ path: join(sub, name), bytes: info.size });
    }
  }
  return { directory: outputDirectory, manifest, files, elapsedMs: performance.now() - started };
}
