export interface TokenizerFiles {
  json: Record<string, unknown>;
  config: Record<string, unknown>;
}
export const INTERNVL_QWEN2_SPECIAL_TOKENS: [string, number][];
export function internvlQwen2Tokenizer(): TokenizerFiles;
export function sentencePieceBpeTokenizer(): TokenizerFiles;
export const INTERNVL_INTERNLM2_SPECIAL_TOKENS: [string, number][];
export function internlm2Tokenizer(): TokenizerFiles;
export const INTERNVL_QWEN3_SPECIAL_TOKENS: [string, number][];
export function internvlQwen3Tokenizer(): TokenizerFiles;
