import { InvalidArgumentError } from '@ivl/core';
import type { GrammarVocabulary } from './grammar-constraint.js';

/**
 * The vocabulary a grammar engine needs, read from a `tokenizer.json`: every token's stored text by
 * id (model vocabulary and added tokens), and whether it is byte-level BPE (Qwen) or SentencePiece
 * with byte fallback (InternLM2).
 *
 * @param options.vocabSize - rows of the model's logits (151674 for InternVL2.5's Qwen models)
 * @throws {InvalidArgumentError} for a tokenizer.json without a model vocabulary
 */
export function vocabularyFromTokenizerJson(
  tokenizerJson: Record<string, unknown>,
  options: { readonly vocabSize: number; readonly stopTokenIds: readonly number[] },
): GrammarVocabulary {
  const model = tokenizerJson.model as
    | { vocab?: Record<string, number>; byte_fallback?: boolean }
    | undefined;
  if (!model?.vocab || typeof model.vocab !== 'object') {
    throw new InvalidArgumentError({
      argument: 'tokenizerJson',
      message: 'The tokenizer.json has no model.vocab; constrained decoding needs a BPE vocabulary.',
    });
  }
  const tokens = new Array<string>(options.vocabSize).fill('');
  for (const [token, id] of Object.entries(model.vocab)) if (id < options.vocabSize) tokens[id] = token;
  for (const added of (tokenizerJson.added_tokens ?? []) as { id: number; content: string }[])
    if (added.id < options.vocabSize) tokens[added.id] = added.content;
  const decoder = JSON.stringify(tokenizerJson.decoder ?? '');
  const vocabType = decoder.includes('ByteLevel')
    ? 'byte_level'
    : model.byte_fallback
      ? 'byte_fallback'
      : 'raw';
  return { tokens, vocabType, vocabSize: options.vocabSize, stopTokenIds: options.stopTokenIds };
}
