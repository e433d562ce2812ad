import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium, runInChromium } from '@ivl/browser-test';
import { tinyModel } from '@ivl/test-models';
import { beforeAll, describe, expect, it } from 'vitest';

interface Top {
  argmax: number;
  head: number[];
  best: number;
}
interface DeviceResult {
  error?: string;
  capabilities?: { device: string; deviceResidentOutputs: boolean };
  kvLocation?: string;
  steps?: Top[];
  forked?: Top;
  rewound?: Top;
}

const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
// WebGPU float arithmetic (fused kernels, other summation orders) vs wasm's.
const DEVICE_TOLERANCE = 1e-3;

describe.runIf(findChromium() !== undefined || process.env.CI)('@ivl/decoder in headless Chromium', () => {
  let results: Record<string, DeviceResult>;
  beforeAll(async () => {
    const { model } = await tinyModel('tiny-qwen2');
    const files: Record<string, string> = {};
    for (const part of ['embed_tokens', 'decoder_model_merged']) {
      files[`${part}.onnx`] = join(model, 'onnx', `${part}.onnx`);
      files[`${part}.onnx_data`] = join(model, 'onnx', `${part}.onnx_data`);
    }
    results = await runInChromium({
      entry: fileURLToPath(new URL('./create-decoder.browser.ts', import.meta.url)),
      files,
      directories: { 'ort/': ortDist },
      webgpu: true,
      timeoutMs: 240_000,
    });
  }, 300_000);

  it('should decode on wasm with a host KV cache, fork and rewind', () => {
    const wasm = results.wasm!;
    expect(wasm.error).toBeUndefined();
    expect(wasm.kvLocation).toBe('cpu');
    expect(wasm.forked!.argmax).toBe(wasm.steps![1]!.argmax);
    expect(wasm.rewound!.argmax).toBe(wasm.steps![1]!.argmax);
  });

  it('should keep the KV cache in GPU buffers on WebGPU and give the tokens and logits of wasm', () => {
    const webgpu = results.webgpu!;
    const wasm = results.wasm!;
    expect(webgpu.error).toBeUndefined();
    expect(webgpu.capabilities).toMatchObject({ device: 'webgpu', deviceResidentOutputs: true });
    expect(webgpu.kvLocation).toBe('gpu-buffer');
    expect(webgpu.steps!.map((s) => s.argmax)).toEqual(wasm.steps!.map((s) => s.argmax));
    for (const [i, step] of webgpu.steps!.entries()) {
      for (const [j, value] of step.head.entries()) {
        expect(Math.abs(value - wasm.steps![i]!.head[j]!)).toBeLessThanOrEqual(DEVICE_TOLERANCE);
      }
    }
    expect(webgpu.forked!.argmax).toBe(webgpu.steps![1]!.argmax);
    expect(Math.abs(webgpu.forked!.best - webgpu.steps![1]!.best)).toBeLessThanOrEqual(DEVICE_TOLERANCE);
    expect(webgpu.rewound!.argmax).toBe(webgpu.steps![1]!.argmax);
  });
});
