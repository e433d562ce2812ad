export function tinyModel(
  preset: 'tiny-qwen2' | 'tiny-internlm2',
  options?: { seed?: number; dtype?: 'fp32' | 'fp16' },
): Promise<{ checkpoint: string; model: string }>;
export function internlm2Tokenizer(): { json: Record<string, unknown>; config: Record<string, unknown> };
