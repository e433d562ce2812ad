export function tinyModel(
  preset: 'tiny-qwen2' | 'tiny-internlm2' | 'tiny-qwen3' | 'tiny-internlm3',
  options?: {
    seed?: number;
    dtype?: 'fp32' | 'fp16';
    layout?: 'internvl' | 'hf';
    inPlaceAttentionMinBytes?: number;
  },
): Promise<{ checkpoint: string; model: string }>;
export function presetTokenizer(preset: string): {
  json: Record<string, unknown>;
  config: Record<string, unknown>;
};
export function internlm2Tokenizer(): { json: Record<string, unknown>; config: Record<string, unknown> };
export function partSourceOf(
  model: string,
  part: 'vision_encoder' | 'projector' | 'embed_tokens' | 'decoder_model_merged',
  dtype?: 'fp32' | 'fp16' | 'q8' | 'q4',
): { model: string; externalData: { path: string; data: string }[] };
export function benchModel(
  dtype: 'fp32' | 'fp16' | 'q8' | 'q4',
  options?: { log?: (line: string) => void; preset?: 'internvl2_5-1b' | 'internvl3_5-1b' },
): Promise<{ checkpoint: string; model: string }>;
