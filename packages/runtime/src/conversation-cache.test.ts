import { describe, expect, it } from 'vitest';
import { findPromptBlocks, reusablePrefixLength } from './conversation-cache.js';

// Token ids of a toy vocabulary: 1 = <img>, 2 = </img>, 3 = <IMG_CONTEXT>, others text.
const tokens = { imgStart: 1, imgEnd: 2 };
const prompt = (...parts: (number | string)[]) =>
  parts.flatMap((part) => (typeof part === 'string' ? [1, 3, 3, 3, 2] : [part]));
const keysOf = (...parts: (number | string)[]) =>
  parts.filter((part) => typeof part === 'string') as string[];
const cached = (...parts: (number | string)[]) => {
  const ids = prompt(...parts);
  return { ids, blocks: findPromptBlocks(ids, keysOf(...parts), tokens) };
};
const reuse = (before: (number | string)[], after: (number | string)[]) => {
  const ids = prompt(...after);
  return reusablePrefixLength(cached(...before), ids, findPromptBlocks(ids, keysOf(...after), tokens));
};

describe('reusablePrefixLength', () => {
  it('should stop at the block of a different image even where every token id is the same', () => {
    // Same ids (every image token is <IMG_CONTEXT>), different pixels behind the block.
    expect(reuse([10, 'A', 11, 12], [10, 'B', 11, 12])).toBe(1);
  });

  it('should reuse the whole earlier conversation when its images are the same', () => {
    expect(reuse([10, 'A', 11, 12, 20], [10, 'A', 11, 12, 20, 21, 22])).toBe(9);
    // A follow-up that adds an image after the shared part keeps everything before it.
    expect(reuse([10, 'A', 11, 12], [10, 'A', 11, 12, 'B', 13])).toBe(8);
  });

  it('should never end inside a block, and leave one token to compute', () => {
    const ids = prompt(10, 'A', 11);
    // The cache ends inside the image block.
    expect(
      reusablePrefixLength({ ids: ids.slice(0, 4), blocks: [] }, ids, findPromptBlocks(ids, ['A'], tokens)),
    ).toBe(1);
    expect(reuse([10, 11, 12], [10, 11, 12])).toBe(2);
  });

  it('should not match a block without a known identity', () => {
    const ids = prompt(10, 'A', 11);
    const blocks = findPromptBlocks(ids, [], tokens);
    expect(blocks[0]!.key).toBeUndefined();
    expect(reusablePrefixLength({ ids, blocks }, [...ids, 5], blocks)).toBe(1);
  });
});
