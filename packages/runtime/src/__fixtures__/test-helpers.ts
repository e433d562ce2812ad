import { mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { InferenceBackend, ModelSource, RunOptions, SessionOptions, TensorMap } from '@ivl/core';
import {
  loadCheckpointWeights,
  pixelShuffleReference,
  projectorForward,
  ReferenceDecoder,
  readReferenceConfig,
  visionForward,
} from '@ivl/reference';
import type { RgbImage } from '@ivl/tiling';

/**
 * The real backend, what the code under test asks of it seen on the way: each session's model
 * source and options as it is created, and each run's feeds.
 */
export function seeingBackend(
  inner: InferenceBackend,
  seen: {
    readonly createSession?: (model: ModelSource, options: SessionOptions | undefined) => void;
    readonly run?: (feeds: TensorMap, options: RunOptions | undefined) => void;
  },
): InferenceBackend {
  return {
    specificationVersion: inner.specificationVersion,
    name: inner.name,
    init: () => inner.init(),
    get capabilities() {
      return inner.capabilities;
    },
    dispose: () => inner.dispose(),
    async createSession(model, options) {
      seen.createSession?.(model, options);
      const session = await inner.createSession(model, options);
      return {
        inputNames: session.inputNames,
        outputNames: session.outputNames,
        run(feeds, runOptions) {
          seen.run?.(feeds, runOptions);
          return session.run(feeds, runOptions);
        },
        dispose: () => session.dispose(),
      };
    },
  };
}

/** A seeded noisy gradient: different seeds give different pixels of the same size. */
export function syntheticImage(width: number, height: number, seed: number): RgbImage {
  const data = new Uint8Array(width * height * 3);
  let s = seed;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = ((i % (width * 3)) * 2 + (s >>> 28)) & 255;
  }
  return { width, height, data };
}

/** A copy of a model directory under `root` (weights symlinked) with ivl.json edited. */
export function editedModel(
  root: string,
  model: string,
  name: string,
  edit: (manifest: { formatVersion: number; dims: { maxPositionEmbeddings: number } }) => void,
): string {
  const directory = join(root, name);
  mkdirSync(join(directory, 'onnx'), { recursive: true });
  for (const file of readdirSync(model))
    if (file !== 'onnx' && file !== 'ivl.json') symlinkSync(join(model, file), join(directory, file));
  for (const file of readdirSync(join(model, 'onnx')))
    symlinkSync(join(model, 'onnx', file), join(directory, 'onnx', file));
  const manifest = JSON.parse(readFileSync(join(model, 'ivl.json'), 'utf8'));
  edit(manifest);
  writeFileSync(join(directory, 'ivl.json'), JSON.stringify(manifest));
  return directory;
}

/**
 * Greedy tokens of the float64 reference forward of a checkpoint for prompt `ids` whose
 * `<IMG_CONTEXT>` positions take the reference vision + projector output of `pixelValues`
 * (1 tile), stopping at `imEnd` or after `maxNew` tokens.
 */
export function referenceGreedyTokens(
  checkpoint: string,
  ids: readonly number[],
  pixelValues: Float32Array,
  tokens: { readonly imgContext: number; readonly imEnd: number },
  maxNew: number,
): number[] {
  const reference = loadCheckpointWeights(checkpoint);
  const config = readReferenceConfig(reference.config);
  const decoder = new ReferenceDecoder(config, reference.weights);
  const embedded = decoder.embed(ids);
  if (ids.includes(tokens.imgContext)) {
    const vision = visionForward(config, reference.weights, pixelValues);
    const projected = projectorForward(
      config,
      reference.weights,
      pixelShuffleReference(vision, 32, config.vision.hidden),
    );
    let row = 0;
    ids.forEach((id, position) => {
      if (id === tokens.imgContext)
        embedded.set(
          projected.subarray(row++ * config.llm.hidden, row * config.llm.hidden),
          position * config.llm.hidden,
        );
    });
  }
  let logits = decoder.forward(
    embedded,
    ids.map((_, t) => t),
    { lastOnly: true },
  );
  const out: number[] = [];
  for (let step = 0; step < maxNew; step++) {
    let token = 0;
    for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[token]!) token = i;
    out.push(token);
    if (token === tokens.imEnd) break;
    logits = decoder.forward(decoder.embed([token]), [ids.length + step], { lastOnly: true });
  }
  return out;
}
