import { Tokenizer } from '@huggingface/tokenizers';
import {
  InvalidArgumentError,
  LLM_FAMILIES,
  type LlmFamily,
  ModelLoadError,
  usesSentencePiece,
} from '@ivl/core';

/** A tokenizer with InternVL's conventions (BOS per family, reply post-processing). */
export interface IvlTokenizer {
  readonly family: LlmFamily;
  /** Token ids of `text`; InternLM2 gets its `<s>` prepended, Qwen nothing (as the official tokenizers). */
  encode(text: string): number[];
  /** Text of `ids`, special tokens skipped by default. */
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
  /** The reply as `chat()` returns it: cut at the first `<|im_end|>`, special tokens skipped, trimmed. */
  decodeReply(ids: readonly number[]): string;
  /** Id of a token string, or undefined. */
  tokenId(token: string): number | undefined;
  /** Streams text token by token without ever emitting half a character. */
  createStreamDecoder(): StreamDecoder;
  readonly bosTokenId: number | undefined;
}

/** Incremental decoding for streaming. */
export interface StreamDecoder {
  /** Adds one token; returns the text that became final. */
  push(id: number): string;
  /** Whatever is still held back (an incomplete character at the very end). */
  flush(): string;
}

/** Options of {@link createTokenizer}. */
export interface TokenizerOptions {
  /** `internlm2`/`internlm3` prepend BOS; `internlm2` applies HF's `clean_up_tokenization` on decode (its slow tokenizer always does). */
  readonly family: LlmFamily;
}

// HF's clean_up_tokenization, which InternLM2Tokenizer.convert_tokens_to_string always applies.
function cleanUpTokenization(text: string): string {
  return text
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

const REPLACEMENT_CHARACTER = '\uFFFD';
// Kept in decoded answers (see `decode` in createTokenizer).
const GROUNDING_TAGS = ['<ref>', '</ref>', '<box>', '</box>', '<quad>', '</quad>'];

/**
 * Wraps a `tokenizer.json` (and optional `tokenizer_config.json`) for an InternVL model.
 * Works anywhere (Node, browsers); `@ivl/prompt/node` reads them from a model directory.
 *
 * @throws {ModelLoadError} when the JSON is not a tokenizer
 */
export function createTokenizer(
  tokenizerJson: unknown,
  tokenizerConfig: Record<string, unknown> | undefined,
  options: TokenizerOptions,
): IvlTokenizer {
  if (!LLM_FAMILIES.includes(options.family)) {
    throw new InvalidArgumentError({
      argument: 'family',
      message: `Unknown LLM family "${options.family}". Available: ${LLM_FAMILIES.join(', ')}.`,
    });
  }
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(tokenizerJson as object, tokenizerConfig ?? {});
  } catch (error) {
    throw new ModelLoadError({
      path: 'tokenizer.json',
      message: `tokenizer.json could not be loaded: ${error instanceof Error ? error.message : String(error)}. Expected a Hugging Face tokenizers file.`,
      cause: error,
    });
  }
  const family = options.family;
  const imEndId = tokenizer.token_to_id('<|im_end|>');
  const sentencePiece = usesSentencePiece(family);
  const bosTokenId = sentencePiece ? tokenizer.token_to_id('<s>') : undefined;
  if (sentencePiece && bosTokenId === undefined) {
    throw new ModelLoadError({
      path: 'tokenizer.json',
      message: `An ${family === 'internlm2' ? 'InternLM2' : 'InternLM3'} tokenizer must define <s> (BOS); this one does not.`,
    });
  }

  const decodeRun = (ids: readonly number[], skipSpecialTokens: boolean) => {
    if (ids.length === 0) return '';
    const text = tokenizer.decode([...ids], {
      skip_special_tokens: skipSpecialTokens,
      clean_up_tokenization_spaces: false,
    });
    // InternLM3Tokenizer derives from LlamaTokenizer, which cleans up only when its config asks (it does not).
    return family === 'internlm2' ? cleanUpTokenization(text) : text;
  };
  // InternVL's grounding tags are added tokens but not among the tokenizer's special tokens that
  // `skip_special_tokens` drops in the official decode, so answers keep `<ref>…</ref><box>…</box>`.
  const kept = new Map<number, string>();
  for (const tag of GROUNDING_TAGS) {
    const id = tokenizer.token_to_id(tag);
    if (id !== undefined && id !== null) kept.set(id, tag);
  }
  const decode = (ids: readonly number[], { skipSpecialTokens = true } = {}) => {
    if (!skipSpecialTokens || !ids.some((id) => kept.has(id))) return decodeRun(ids, skipSpecialTokens);
    let text = '';
    let run: number[] = [];
    for (const id of ids) {
      const tag = kept.get(id);
      if (tag === undefined) {
        run.push(id);
        continue;
      }
      text += decodeRun(run, true) + tag;
      run = [];
    }
    return text + decodeRun(run, true);
  };

  return {
    family,
    bosTokenId,
    encode(text) {
      const ids = tokenizer.encode(text, { add_special_tokens: false }).ids;
      return bosTokenId === undefined ? ids : [bosTokenId, ...ids];
    },
    decode,
    decodeReply(ids) {
      // chat() stops at <|im_end|>, so its output never continues past it; cut there by id, since
      // skipping special tokens would otherwise erase the marker the official split looks for.
      const end = imEndId === undefined ? -1 : ids.indexOf(imEndId);
      return decode(end === -1 ? ids : ids.slice(0, end)).trim();
    },
    tokenId(token) {
      return tokenizer.token_to_id(token);
    },
    createStreamDecoder() {
      // Decode a short window of tokens and emit only what follows the already-emitted part:
      // byte-level BPE and byte fallback can split a character across tokens.
      const ids: number[] = [];
      let prefixOffset = 0;
      let readOffset = 0;
      return {
        push(id) {
          ids.push(id);
          const prefixText = decode(ids.slice(prefixOffset, readOffset));
          const fullText = decode(ids.slice(prefixOffset));
          if (fullText.length > prefixText.length && !fullText.endsWith(REPLACEMENT_CHARACTER)) {
            prefixOffset = readOffset;
            readOffset = ids.length;
            return fullText.slice(prefixText.length);
          }
          return '';
        },
        flush() {
          const prefixText = decode(ids.slice(prefixOffset, readOffset));
          const fullText = decode(ids.slice(prefixOffset));
          prefixOffset = readOffset = ids.length;
          return fullText.slice(prefixText.length);
        },
      };
    },
  };
}
