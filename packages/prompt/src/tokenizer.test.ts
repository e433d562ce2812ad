import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelLoadError } from '@ivl/core';
import {
  INTERNVL_QWEN2_SPECIAL_TOKENS,
  internvlQwen2Tokenizer,
  sentencePieceBpeTokenizer,
} from '@ivl/synthetic-tokenizers';
import { describe, expect, it } from 'vitest';
import { buildPrompt } from './build-prompt.js';
import { loadTokenizer } from './node/load-tokenizer.js';
import { createTokenizer } from './tokenizer.js';

const qwen = () => {
  const { json, config } = internvlQwen2Tokenizer();
  return createTokenizer(json, config, { family: 'qwen2' });
};

describe('createTokenizer (InternVL 2.5 Qwen2 vocabulary)', () => {
  const tokenizer = qwen();

  it('should encode as the real Qwen tokenizer does', () => {
    // Reference ids from Qwen's own tokenizer (ENVIRONMENT.md).
    expect(tokenizer.encode('Hello world, 你好')).toEqual([9707, 1879, 11, 220, 108386]);
    expect(tokenizer.bosTokenId).toBeUndefined();
  });

  it.each(INTERNVL_QWEN2_SPECIAL_TOKENS)('should encode %s to the single id %i', (token, id) => {
    expect(tokenizer.encode(token)).toEqual([id]);
    expect(tokenizer.encode(`a${token}b`)).toEqual([...tokenizer.encode('a'), id, ...tokenizer.encode('b')]);
  });

  it('should tokenize a rendered image prompt with specials split out first', () => {
    const { text } = buildPrompt({ question: 'Describe the image.\n\n  Twice:  ✓', images: [2] });
    const ids = tokenizer.encode(text);
    expect(ids.filter((id) => id === 151667)).toHaveLength(512);
    // Independent reconstruction: split on the special tokens, encode the text between them alone.
    const specials: Record<string, number> = {
      '<|im_start|>': 151644,
      '<|im_end|>': 151645,
      '<img>': 151665,
      '</img>': 151666,
      '<IMG_CONTEXT>': 151667,
    };
    const pieces = text
      .split(/(<\|im_start\|>|<\|im_end\|>|<img>|<\/img>|<IMG_CONTEXT>)/)
      .filter((p) => p.length > 0);
    const expected = pieces.flatMap((piece) =>
      piece in specials ? [specials[piece]!] : tokenizer.encode(piece),
    );
    expect(ids).toEqual(expected);
    expect(ids.slice(0, 3)).toEqual([151644, 8948, 198]); // <|im_start|> "system" "\n"
    expect(ids.at(-3)).toBe(151644);
  });

  it('should decode a reply as chat() does: specials skipped, cut at <|im_end|>, trimmed', () => {
    const ids = [...tokenizer.encode('  The answer is 4.'), 151645, ...tokenizer.encode('junk')];
    expect(tokenizer.decodeReply(ids)).toBe('The answer is 4.');
    expect(tokenizer.decode(ids, { skipSpecialTokens: false })).toBe('  The answer is 4.<|im_end|>junk');
    expect(tokenizer.decode([151665, ...tokenizer.encode('x'), 151666])).toBe('x');
  });

  it('should stream CJK and emoji text identical to the one-shot decode, never emitting half a character', () => {
    const text = '书生·万象 sees 🐈‍⬛ and 👩‍👩‍👧 — naïve café, 日本語テキスト！\n\n  done 🎉';
    const ids = tokenizer.encode(text);
    const stream = tokenizer.createStreamDecoder();
    const chunks = ids.map((id) => stream.push(id));
    chunks.push(stream.flush());
    expect(chunks.join('')).toBe(tokenizer.decode(ids));
    expect(chunks.join('')).toBe(text);
    expect(chunks.some((chunk) => chunk.includes('\uFFFD'))).toBe(false);
    expect(ids.length).toBeGreaterThan(chunks.filter((chunk) => chunk.length > 0).length); // some characters span tokens
  });
});

describe('createTokenizer (InternLM2 family)', () => {
  it('should prepend <s> for InternLM2 and apply clean_up_tokenization on decode', () => {
    const { json, config } = sentencePieceBpeTokenizer();
    const tokenizer = createTokenizer(json, config, { family: 'internlm2' });
    const ids = tokenizer.encode('Hello world');
    expect(ids[0]).toBe(1);
    expect(tokenizer.bosTokenId).toBe(1);
    expect(tokenizer.encode('Hello world').filter((id) => id === 1)).toHaveLength(1);
    expect(tokenizer.decode(tokenizer.encode("it is n't here ."))).toBe("it isn't here.");
  });

  it('should prepend <s> for InternLM3 but decode without the clean-up (its tokenizer is Llama-based)', () => {
    const { json, config } = sentencePieceBpeTokenizer();
    const tokenizer = createTokenizer(json, config, { family: 'internlm3' });
    expect(tokenizer.encode('Hello world')[0]).toBe(1);
    expect(tokenizer.decode(tokenizer.encode("it is n't here ."))).toBe("it is n't here .");
  });

  it('should refuse a family it does not know, listing the ones it does', () => {
    const { json, config } = sentencePieceBpeTokenizer();
    expect(() => createTokenizer(json, config, { family: 'gpt-oss' as never })).toThrow(
      /Unknown LLM family "gpt-oss". Available: qwen2, internlm2, internlm3, qwen3/,
    );
  });
});

describe('loadTokenizer', () => {
  it('should read tokenizer.json from a model directory and report a missing one', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'ivl-tok-'));
    try {
      const missing = await loadTokenizer(directory, { family: 'qwen2' }).catch((e: unknown) => e);
      expect(ModelLoadError.isInstance(missing)).toBe(true);
      expect((missing as Error).message).toMatch(/Missing .*tokenizer.json/);
      writeFileSync(join(directory, 'tokenizer.json'), '{ not json');
      await expect(loadTokenizer(directory, { family: 'qwen2' })).rejects.toThrow(/is not valid JSON/);
      writeFileSync(join(directory, 'tokenizer.json'), JSON.stringify(internvlQwen2Tokenizer().json));
      const tokenizer = await loadTokenizer(directory, { family: 'qwen2' });
      expect(tokenizer.encode('<IMG_CONTEXT>')).toEqual([151667]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
