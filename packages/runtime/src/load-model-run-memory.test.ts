import { createNodeBackend } from '@ivl/backend-node';
import type { ModelPart, SessionOptions } from '@ivl/core';
import { tinyModel } from '@ivl/test-models';
import { describe, expect, it } from 'vitest';
import { seeingBackend } from './__fixtures__/test-helpers.js';
import { loadModel } from './load-model.js';
import { modelStoreFromDirectory } from './node/directory-store.js';

describe('loadModel session memory', () => {
  it("should have the image parts give a run's memory back and the LLM parts keep theirs", async () => {
    const { model } = await tinyModel('tiny-qwen2');
    const seen = new Map<string, SessionOptions | undefined>();
    // Each session's options, by the part's file.
    const backend = seeingBackend(createNodeBackend({ device: 'cpu' }), {
      createSession: (source, options) => {
        const file = typeof source === 'object' && !(source instanceof Uint8Array) ? source.model : source;
        seen.set(String(file), options);
      },
    });
    await backend.init();
    const loaded = await loadModel(modelStoreFromDirectory(model), backend, { dtype: 'fp32' });
    try {
      const runMemory = (part: ModelPart) =>
        [...seen].find(([file]) => new RegExp(`/${part}(_[a-z0-9]+)?\\.onnx$`).test(file))?.[1]?.runMemory ??
        'keep';
      // A vision tile's intermediates (~160 MB at InternViT-300M) would otherwise stay held while
      // the decoder runs; the decoder's and embedding's steps reuse theirs every few milliseconds.
      expect(runMemory('vision_encoder')).toBe('release');
      expect(runMemory('projector')).toBe('release');
      expect(runMemory('embed_tokens')).toBe('keep');
      expect(runMemory('decoder_model_merged')).toBe('keep');
      expect(seen.size).toBe(4);
    } finally {
      await loaded.dispose();
      await backend.dispose();
    }
  }, 300_000);
});
