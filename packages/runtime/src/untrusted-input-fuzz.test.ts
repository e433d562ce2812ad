import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, ModelLoadError } from '@ivl/core';
import { tinyModel } from '@ivl/test-models';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseManifest } from './manifest-schema.js';
import { toTurns } from './messages.js';

// ivl.json files and chat messages come from outside (model folders, HTTP requests): whatever
// they hold, they give a valid result or a typed error, never another exception or a hang.
const typed = (check: (error: unknown) => boolean, run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(check(error), `${String(error)}\n${(error as Error)?.stack}`).toBe(true);
  }
};

/** A copy of `value` with one node, found by walking `path` (numbers pick keys/items), replaced. */
function mutate(value: unknown, path: readonly number[], replacement: unknown): unknown {
  if (path.length === 0 || typeof value !== 'object' || value === null) return replacement;
  const keys = Object.keys(value);
  if (keys.length === 0) return replacement;
  const key = keys[path[0]! % keys.length]!;
  const copy = (Array.isArray(value) ? [...value] : { ...value }) as Record<string, unknown>;
  copy[key] = mutate((value as Record<string, unknown>)[key], path.slice(1), replacement);
  return copy;
}

const hostile = fc.oneof(
  fc.anything(),
  fc.constantFrom(
    null,
    undefined,
    '',
    '../../etc/passwd',
    '/abs',
    -1,
    1e308,
    Number.NaN,
    [],
    {},
    '__proto__',
  ),
);

describe('parseManifest under fuzzing', () => {
  let valid: unknown;
  beforeAll(async () => {
    const { model } = await tinyModel('tiny-qwen2');
    valid = JSON.parse(readFileSync(join(model, 'ivl.json'), 'utf8'));
  }, 300_000);

  it('should accept the converter’s own manifest', () => {
    expect(parseManifest(valid, 'model').formatVersion).toBe(2);
  });

  it('should give a manifest or a ModelLoadError for anything at all', () => {
    fc.assert(
      fc.property(fc.anything(), (value) =>
        typed(ModelLoadError.isInstance, () => parseManifest(value, 'model')),
      ),
      { numRuns: 500 },
    );
  });

  it('should give a manifest or a ModelLoadError for mutations of a valid one', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 40 }), { maxLength: 6 }), hostile, (path, replacement) =>
        typed(ModelLoadError.isInstance, () => parseManifest(mutate(valid, path, replacement), 'model')),
      ),
      { numRuns: 1000 },
    );
  });
});

describe('chat messages under fuzzing', () => {
  const part = fc.oneof(
    fc.record({ type: fc.constant('text'), text: fc.oneof(fc.string(), hostile) }),
    fc.record({ type: fc.constant('image'), image: hostile, maxTiles: fc.oneof(fc.integer(), hostile) }),
    fc.record({ type: fc.constant('image_url'), image_url: fc.oneof(fc.record({ url: hostile }), hostile) }),
    fc.record({ type: fc.constant('video'), video: hostile, frames: fc.oneof(fc.integer(), hostile) }),
    fc.record({ type: fc.oneof(fc.string(), hostile) }),
    hostile,
  );
  const message = fc.record(
    {
      role: fc.oneof(fc.constantFrom('system', 'user', 'assistant'), hostile),
      content: fc.oneof(fc.string(), fc.array(part, { maxLength: 4 }), hostile),
    },
    { requiredKeys: [] },
  );

  it('should give turns or an InvalidArgumentError for anything at all', () => {
    fc.assert(
      fc.property(fc.oneof(fc.array(message, { maxLength: 5 }), hostile), (messages) =>
        typed(InvalidArgumentError.isInstance, () => toTurns(messages as never)),
      ),
      { numRuns: 2000 },
    );
  });
});
