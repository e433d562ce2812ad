import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gguf } from '@huggingface/gguf';
import { openCheckpoint } from '@ivl/convert';
import { tinyModel } from '@ivl/test-models';
import { afterAll, describe, expect, it } from 'vitest';
import { writeLlmGguf } from './checkpoint-to-gguf.js';
import { dequantize, GGML_TYPE } from './ggml-quantize.js';

const root = mkdtempSync(join(tmpdir(), 'ivl-gguf-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

// Read back by Hugging Face's GGUF parser (@huggingface/gguf), not by our own code.
describe('writeLlmGguf', () => {
  it('should write the Qwen2 LLM of a checkpoint as a qwen2 GGUF that an independent parser reads', async () => {
    const { checkpoint } = await tinyModel('tiny-qwen2');
    const path = join(root, 'tiny-q8.gguf');
    await writeLlmGguf(checkpoint, path, 'q8');
    const parsed = await gguf(path, { allowLocalFile: true });
    const { tensorInfos, tensorDataOffset } = parsed;
    // The parser's types list known architectures' keys; read them as plain records.
    const metadata = parsed.metadata as unknown as Record<string, unknown>;
    const spec = (await openCheckpoint(checkpoint)).spec.llm;
    expect(metadata.version).toBe(3);
    expect(metadata['general.architecture']).toBe('qwen2');
    expect(metadata['qwen2.block_count']).toBe(spec.layers);
    expect(metadata['qwen2.attention.head_count_kv']).toBe(spec.kvHeads);
    expect(metadata['qwen2.rope.freq_base']).toBe(spec.ropeTheta);
    const tokens = metadata['tokenizer.ggml.tokens'] as string[];
    expect(tokens.length).toBe(spec.vocabSize);
    expect(tokens[151645]).toBe('<|im_end|>');
    expect(metadata['tokenizer.ggml.eos_token_id']).toBe(151645);
    // 1 embedding + 12 per layer + output norm + output head.
    expect(tensorInfos.length).toBe(3 + 12 * spec.layers);
    const byName = new Map(tensorInfos.map((info) => [info.name, info]));
    const q = byName.get('blk.1.attn_q.weight')!;
    expect(q.shape.map(Number)).toEqual([spec.hidden, spec.heads * spec.headDim]);
    expect(q.dtype).toBe(GGML_TYPE.Q8_0);
    expect(byName.get('blk.1.attn_q.bias')!.dtype).toBe(GGML_TYPE.F32);
    // Offsets aligned, the file as long as its last tensor.
    for (const info of tensorInfos) expect(Number(info.offset) % 32).toBe(0);
    const last = tensorInfos.at(-1)!;
    expect(statSync(path).size).toBeGreaterThanOrEqual(Number(tensorDataOffset) + Number(last.offset));
    // The bytes of one matrix are our quantization of the checkpoint's values.
    const file = readFileSync(path);
    const width = spec.hidden;
    const rows = spec.heads * spec.headDim;
    const start = Number(tensorDataOffset) + Number(q.offset);
    const stored = dequantize('Q8_0', file.subarray(start, start + rows * (width / 32) * 34), rows * width);
    const source = await (await openCheckpoint(checkpoint)).read(
      'language_model.model.layers.1.self_attn.q_proj.weight',
    );
    const amax = source.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    for (let i = 0; i < source.length; i++)
      expect(Math.abs(stored[i]! - source[i]!)).toBeLessThan(amax / 127);
  });

  it('should keep the output head at 8 bits in a q4 file, and write F32 untouched', async () => {
    const { checkpoint } = await tinyModel('tiny-qwen2');
    const q4 = join(root, 'tiny-q4.gguf');
    await writeLlmGguf(checkpoint, q4, 'q4');
    const infos = new Map((await gguf(q4, { allowLocalFile: true })).tensorInfos.map((i) => [i.name, i]));
    expect(infos.get('blk.0.ffn_up.weight')!.dtype).toBe(GGML_TYPE.Q4_0);
    expect(infos.get('output.weight')!.dtype).toBe(GGML_TYPE.Q8_0);
    const f32 = join(root, 'tiny-f32.gguf');
    await writeLlmGguf(checkpoint, f32, 'fp32');
    const parsed = await gguf(f32, { allowLocalFile: true });
    expect((parsed.metadata as unknown as Record<string, unknown>)['general.file_type']).toBe(0);
    expect(parsed.tensorInfos.every((info) => info.dtype === GGML_TYPE.F32)).toBe(true);
  });

  it('should write a Qwen3 LLM (InternVL3.5) as a qwen3 GGUF: q/k norms, head size, no biases, a tied head', async () => {
    const { checkpoint } = await tinyModel('tiny-qwen3');
    const path = join(root, 'tiny-qwen3-q4.gguf');
    await writeLlmGguf(checkpoint, path, 'q4');
    const parsed = await gguf(path, { allowLocalFile: true });
    const metadata = parsed.metadata as unknown as Record<string, unknown>;
    const spec = (await openCheckpoint(checkpoint)).spec.llm;
    expect(metadata['general.architecture']).toBe('qwen3');
    expect(metadata['qwen3.attention.key_length']).toBe(32);
    expect(metadata['qwen3.embedding_length']).toBe(64);
    // 1 embedding (the tied head, at 8 bits) + 11 per layer + output norm; no biases, no output.weight.
    expect(parsed.tensorInfos.length).toBe(2 + 11 * spec.layers);
    const byName = new Map(parsed.tensorInfos.map((info) => [info.name, info]));
    expect(byName.has('output.weight')).toBe(false);
    expect(byName.has('blk.0.attn_q.bias')).toBe(false);
    expect(byName.get('blk.0.attn_q_norm.weight')!.shape.map(Number)).toEqual([32]);
    expect(byName.get('token_embd.weight')!.dtype).toBe(GGML_TYPE.Q8_0);
    expect(byName.get('blk.0.attn_q.weight')!.dtype).toBe(GGML_TYPE.Q4_0);
  });
});
