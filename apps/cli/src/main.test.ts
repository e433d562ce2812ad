import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSyntheticCheckpoint } from '@ivl/convert';
import { internvlQwen2Tokenizer } from '@ivl/synthetic-tokenizers';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.js';

const sample = fileURLToPath(new URL('../assets/sample.jpg', import.meta.url));
const workDir = mkdtempSync(join(tmpdir(), 'ivl-cli-'));
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

async function run(...args: string[]) {
  const lines: string[] = [];
  let written = '';
  const errors: string[] = [];
  const code = await main(['node', 'ivl', ...args], (line) => lines.push(line), {
    line: (text) => lines.push(written + text),
    write: (text) => {
      written += text;
    },
    error: (text) => errors.push(text),
    errorWrite: (text) => errors.push(text),
  });
  return { code, output: lines.join('\n'), errors: errors.join('\n') };
}

describe('ivl tiles', () => {
  it('should print the grid of the bundled 1280×720 sample and draw the tiling', async () => {
    const out = join(workDir, 'tiles.png');
    const { code, output } = await run('tiles', sample, '--out', out);
    expect(code).toBe(0);
    expect(output).toContain('grid         4 columns × 2 rows (maxTiles 12)');
    expect(output).toContain('pixel_values [9, 3, 448, 448] float32');
    expect(output).toContain('image tokens 2304');
    const picture = await sharp(out).metadata();
    expect([picture.width, picture.height]).toEqual([1792 + 32 + 448, 896]);
  });

  it('should honour --max-tiles', async () => {
    const { output } = await run('tiles', sample, '--max-tiles', '6');
    expect(output).toContain('grid         2 columns × 1 rows (maxTiles 6)');
  });

  it('should print one JSON document with --json', async () => {
    const { code, output } = await run('tiles', sample, '--json');
    expect(code).toBe(0);
    const document = JSON.parse(output);
    expect(document).toMatchObject({
      image: sample,
      width: 1280,
      height: 720,
      grid: { columns: 4, rows: 2 },
      resized: { width: 1792, height: 896 },
      thumbnail: true,
      numTiles: 9,
      pixelValues: { dims: [9, 3, 448, 448], dtype: 'float32' },
      imageTokens: 2304,
      picture: null,
    });
    expect(document.tiles).toHaveLength(8);
    expect(document.tiles[7]).toEqual({ x: 1344, y: 448, width: 448, height: 448 });
  });

  it('should fail with a typed message for a missing image, and exit 2 for a bad option or usage', async () => {
    const missing = await run('tiles', join(workDir, 'missing.jpg'));
    expect(missing.code).toBe(1);
    const bad = await run('tiles', sample, '--max-tiles', '0');
    expect(bad.code).toBe(2);
    expect((await run('tiles')).code).toBe(2);
    expect((await run('tiles', sample, '--no-such-option')).code).toBe(2);
    expect((await run('--version')).code).toBe(0);
    expect(existsSync(join(workDir, 'missing.jpg'))).toBe(false);
  });
});

describe('ivl convert', () => {
  // One checkpoint for the conversions below (they only read it).
  const checkpoint = join(workDir, 'tiny-hf');
  beforeAll(async () => {
    await writeSyntheticCheckpoint(checkpoint, 'tiny-qwen2', {
      seed: 2,
      tokenizer: internvlQwen2Tokenizer(),
    });
  });

  it('should convert a checkpoint and print a summary of the files written', async () => {
    const out = join(workDir, 'tiny-ivl');
    const { code, output } = await run('convert', checkpoint, out, '--dtype', 'fp16');
    expect(code).toBe(0);
    expect(output).toMatch(/converted .* in \d+\.\d s/);
    expect(output).toContain('qwen2 LLM (2 layers, hidden 64), InternViT-300M, fp16');
    expect(output).toContain('onnx/decoder_model_merged_fp16.onnx');
    expect(output).toMatch(/total +\d+\.\d MB in \d+ files/);
    const again = await run('convert', checkpoint, out);
    expect(again.code).toBe(1);
    expect((await run('convert', checkpoint, out, '--force')).code).toBe(0);
  });

  it('should convert to int8 and answer about an image with those weights', async () => {
    const out = join(workDir, 'tiny-ivl-int8');
    const converted = await run('convert', checkpoint, out, '--dtype', 'int8');
    expect(converted.code).toBe(0);
    expect(converted.output).toContain('onnx/decoder_model_merged_int8.onnx');
    const chat = await run(
      'chat',
      '-m',
      out,
      '-i',
      sample,
      '--max-new-tokens',
      '3',
      '--json',
      'What is this?',
    );
    expect(chat.code, chat.errors).toBe(0);
    const answer = JSON.parse(chat.output);
    expect(answer.usage).toMatchObject({ imageTokens: 2304, generatedTokens: 3 });
    expect(answer.finishReason).toBe('max-tokens');
  });

  it('should refuse an unknown dtype', async () => {
    expect((await run('convert', workDir, join(workDir, 'x'), '--dtype', 'int3')).code).not.toBe(0);
  });
});

describe('ivl demo', () => {
  it('should make a synthetic model from a clean state and chat about the sample image, saying the weights are random', async () => {
    const cache = join(workDir, 'demo-cache');
    const { code, output, errors } = await run('demo', '--cache', cache, '--max-new-tokens', '6');
    expect(code).toBe(0);
    expect(errors).toMatch(/making a small synthetic InternVL2\.5 checkpoint/);
    expect(output).toContain('NOTE: this demo model has RANDOM weights');
    expect(output).toContain('OpenGVLab/InternVL2_5-1B');
    expect(output).toMatch(/question: Describe the image\./);
    expect(errors).toMatch(/\[encoded 1 image\(s\), 0 video\(s\): 9 new tiles/);
    expect(errors).toMatch(
      /\[2356 prompt tokens \(2304 image, 0 reused\), \d+ generated; prefill \d+ ms, decode [\d.]+ tokens\/s; (max-tokens|eos)\]/,
    );
    const again = await run('demo', '--cache', cache, '--max-new-tokens', '2');
    expect(again.errors).not.toMatch(/making a small synthetic/);
  });
});

describe('ivl chat', () => {
  it('should answer a question about an image and vote with --votes', async () => {
    const cache = join(workDir, 'demo-cache');
    const model = join(cache, 'tiny-qwen2-ivl');
    const single = await run(
      'chat',
      '-m',
      model,
      '-i',
      sample,
      '--max-tiles',
      '1',
      '--max-new-tokens',
      '4',
      'What is this?',
    );
    expect(single.code).toBe(0);
    expect(single.errors).toMatch(/\[encoded 1 image\(s\), 0 video\(s\): 1 new tiles/);
    const json = await run(
      'chat',
      '-m',
      model,
      '-i',
      sample,
      '--max-tiles',
      '1',
      '--max-new-tokens',
      '4',
      '--json',
      'What is this?',
    );
    expect(json.code).toBe(0);
    const document = JSON.parse(json.output);
    // The same greedy answer as the streamed one, as data.
    expect(document.text).toBe(single.output.trim());
    expect(document).toMatchObject({
      question: 'What is this?',
      finishReason: 'max-tokens',
      usage: { generatedTokens: 4, imageTokens: 256 },
      grounding: [],
    });
    expect(document.timings.prefillMs).toBeGreaterThan(0);
    const voted = await run(
      'chat',
      '-m',
      model,
      '--votes',
      '3',
      '--temperature',
      '1',
      '--seed',
      '3',
      '--max-new-tokens',
      '4',
      '--cot',
      'Pick one:\nA. x\nB. y',
    );
    expect(voted.code).toBe(0);
    expect(voted.output).toMatch(/--- sample 3: answer/);
    expect(voted.output).toMatch(/--- vote: /);
  });

  it('should report a missing model plainly', async () => {
    const { code, errors } = await run('chat', '-m', join(workDir, 'no-model'), 'hi');
    expect(code).toBe(1);
    void errors;
  });
});
