import { InvalidArgumentError } from '@ivl/core';
import { internvlQwen2Tokenizer } from '@ivl/synthetic-tokenizers';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyTokenBitmask } from '../logits-processors.js';
import { createGrammarEngine, type GrammarEngine } from './grammar-constraint.js';
import { vocabularyFromTokenizerJson } from './grammar-vocabulary.js';

const IM_END = 151645;
const allowed = (mask: Int32Array, id: number) => ((mask[id >> 5]! >>> (id & 31)) & 1) === 1;

describe('the XGrammar engine over the real Qwen vocabulary', () => {
  let engine: GrammarEngine;
  let vocab: Record<string, number>;
  beforeAll(async () => {
    const { json } = internvlQwen2Tokenizer();
    vocab = (json.model as { vocab: Record<string, number> }).vocab;
    const vocabulary = vocabularyFromTokenizerJson(json, { vocabSize: 151674, stopTokenIds: [IM_END] });
    expect(vocabulary.vocabType).toBe('byte_level');
    engine = await createGrammarEngine(vocabulary);
  }, 60_000);

  it('should allow exactly the tokens that continue a choice, then only the stop token', async () => {
    const state = await (await engine.compile({ type: 'choice', choices: ['yes', 'no'] })).start();
    const first = await state.nextBitmask();
    expect(allowed(first, vocab.yes!)).toBe(true);
    expect(allowed(first, vocab.no!)).toBe(true);
    expect(allowed(first, vocab.maybe!)).toBe(false);
    expect(allowed(first, IM_END)).toBe(false);
    expect(state.accept(vocab.yes!)).toBe(true);
    const after = await state.nextBitmask();
    expect(allowed(after, IM_END)).toBe(true);
    expect(allowed(after, vocab.no!)).toBe(false);
    expect(state.accept(IM_END)).toBe(true);
    expect(state.terminated).toBe(true);
    state.dispose();
  });

  it('should mask logits to the grammar', async () => {
    const state = await (await engine.compile({ type: 'regex', pattern: '[0-9]+' })).start();
    const logits = new Float32Array(151674).fill(1);
    applyTokenBitmask(logits, await state.nextBitmask());
    expect(logits[vocab['7']!]).toBe(1);
    expect(logits[vocab.yes!]).toBe(Number.NEGATIVE_INFINITY);
    state.dispose();
  });

  it('should refuse a malformed format with a typed error', async () => {
    await expect(engine.compile({ type: 'choice', choices: [] })).rejects.toThrow(InvalidArgumentError);
    await expect(engine.compile({ type: 'grammar', ebnf: 'root ::= (' })).rejects.toThrow(
      /could not be compiled/,
    );
    await expect(engine.compile({ type: 'xml' } as never)).rejects.toThrow(/Unknown responseFormat type/);
  });
});
