import { describe, expect, it } from 'vitest';
import { ByteLruCache } from './byte-lru-cache.js';

describe('ByteLruCache', () => {
  it('should evict the least recently used entries to stay within its bytes', () => {
    const cache = new ByteLruCache<string>(10);
    cache.set('a', 'A', 4);
    cache.set('b', 'B', 4);
    expect(cache.get('a')).toBe('A'); // a is now newer than b
    cache.set('c', 'C', 4);
    expect(cache.peek('b')).toBeUndefined();
    expect(cache.peek('a')).toBe('A');
    expect(cache.bytes).toBe(8);
    expect(cache.get('b')).toBeUndefined();
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });

  it('should not keep a value larger than the whole budget, nor count it twice when replaced', () => {
    const cache = new ByteLruCache<string>(10);
    cache.set('a', 'A', 6);
    cache.set('a', 'A2', 7);
    expect(cache.bytes).toBe(7);
    cache.set('huge', 'H', 11);
    expect(cache.peek('huge')).toBeUndefined();
    expect(cache.peek('a')).toBe('A2');
    cache.clear();
    expect([cache.size, cache.bytes]).toEqual([0, 0]);
  });
});
