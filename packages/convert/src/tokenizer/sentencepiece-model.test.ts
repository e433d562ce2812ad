import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { CheckpointError } from '@ivl/core';
import { sentencePieceBpeTokenizer } from '@ivl/synthetic-tokenizers';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTokenizerJson } from './build-tokenizer-json.js';
import {
  encodeSentencePieceModel,
  parseSentencePieceModel,
  sentencePieceFromTokenizerJson,
  sentencePieceToTokenizerJson,
} from './sentencepiece-model.js';

const root = mkdtempSync(join(tmpdir(), 'ivl-sp-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const TEXTS = [
  'Hello world, how are you?',
  '  leading spaces and trailing  ',
  '书生·万象 is InternVL — naïve café 🐈‍⬛ 12345',
  'line one\n\nline two\ttab',
  'Supercalifragilisticexpialidocious antidisestablishmentarianism',
];

describe('SentencePiece tokenizer.model → tokenizer.json', () => {
  const original = sentencePieceBpeTokenizer();

  it('should round-trip a SentencePiece model through protobuf', () => {
    const model = sentencePieceFromTokenizerJson(original.json as never, { addDummyPrefix: true });
    const parsed = parseSentencePieceModel(encodeSentencePieceModel(model));
    expect(parsed.pieces.length).toBe(32000);
    expect(parsed.pieces[0]).toEqual({ piece: '<unk>', score: 0, type: 2 });
    expect(parsed.pieces[3]).toEqual({ piece: '<0x00>', score: 0, type: 6 });
    expect(parsed).toMatchObject({ modelType: 2, byteFallback: true, addDummyPrefix: true });
  });

  it('should build a tokenizer.json that encodes and decodes like the original (Llama 2 layout, dummy prefix)', () => {
    const model = parseSentencePieceModel(
      encodeSentencePieceModel(
        sentencePieceFromTokenizerJson(original.json as never, { addDummyPrefix: true }),
      ),
    );
    const rebuilt = new Tokenizer(sentencePieceToTokenizerJson(model, []), {});
    const reference = new Tokenizer(original.json, original.config);
    for (const text of TEXTS) {
      const ids = reference.encode(text, { add_special_tokens: false }).ids;
      expect(rebuilt.encode(text, { add_special_tokens: false }).ids).toEqual(ids);
      expect(rebuilt.decode(ids)).toBe(reference.decode(ids));
    }
  });

  it('should read an InternLM2-style checkpoint: no dummy prefix, InternVL tokens from tokenizer_config.json', async () => {
    const directory = join(root, 'internlm2');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(directory);
    writeFileSync(
      join(directory, 'tokenizer.model'),
      encodeSentencePieceModel(
        sentencePieceFromTokenizerJson(original.json as never, { addDummyPrefix: false }),
      ),
    );
    writeFileSync(
      join(directory, 'tokenizer_config.json'),
      JSON.stringify({
        added_tokens_decoder: {
          92546: { content: '<IMG_CONTEXT>', special: true },
          92542: { content: '<|im_end|>', special: true },
        },
      }),
    );
    const tokenizer = new Tokenizer(await buildTokenizerJson(directory), {});
    expect(tokenizer.encode('<IMG_CONTEXT>', { add_special_tokens: false }).ids).toEqual([92546]);
    const ids = tokenizer.encode('Hello world', { add_special_tokens: false }).ids;
    // No dummy prefix: "Hello" is not "▁Hello".
    expect(tokenizer.decode(ids)).toBe('Hello world');
    expect(ids[0]).not.toBe(
      new Tokenizer(original.json, original.config).encode('Hello', { add_special_tokens: false }).ids[0],
    );
    writeFileSync(join(directory, 'tokenizer.model'), new Uint8Array([0xff, 0xff, 0xff]));
    const error = await buildTokenizerJson(directory).catch((e: unknown) => e);
    expect(CheckpointError.isInstance(error)).toBe(true);
  });
});
