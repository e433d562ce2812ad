import { createNodeBackend } from '@ivl/backend-node';
import { tinyModel } from '@ivl/test-models';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from './node/create-runtime.js';
import type { Runtime } from './runtime.js';

// On a model with random weights nothing but the grammar makes these answers valid.
const SCHEMAS = {
  nested: {
    type: 'object',
    properties: {
      person: {
        type: 'object',
        properties: { name: { type: 'string', maxLength: 12 }, admin: { type: 'boolean' } },
        required: ['name', 'admin'],
        additionalProperties: false,
      },
      tags: { type: 'array', items: { type: 'string', maxLength: 6 }, maxItems: 3 },
    },
    required: ['person', 'tags'],
    additionalProperties: false,
  },
  enums: {
    type: 'array',
    items: { enum: ['cat', 'dog', 'bird'] },
    minItems: 1,
    maxItems: 4,
  },
  bounded: {
    type: 'object',
    properties: {
      count: { type: 'integer', minimum: 0, maximum: 20 },
      score: { type: 'integer', minimum: -5, maximum: 5 },
    },
    required: ['count', 'score'],
    additionalProperties: false,
  },
} as const;

describe('structured output on tiny-qwen2 (random weights)', () => {
  let runtime: Runtime;
  const ajv = new Ajv();
  const ask = [{ role: 'user' as const, content: 'Fill in the record.' }];
  beforeAll(async () => {
    const { model } = await tinyModel('tiny-qwen2');
    runtime = await createRuntime({ model, backend: createNodeBackend() });
  }, 300_000);
  afterAll(() => runtime.dispose());

  it.each(Object.entries(SCHEMAS))(
    'should give 50 seeded samples that parse and validate under the %s schema',
    async (_, schema) => {
      const validate = ajv.compile(schema);
      for (let seed = 0; seed < 50; seed++) {
        const result = await runtime
          .chat(ask, {
            responseFormat: { type: 'json_schema', json_schema: { name: 'record', schema } },
            doSample: true,
            temperature: 1,
            topK: 0,
            seed,
            maxNewTokens: 200,
          })
          .result();
        expect(result.finishReason, result.text).toBe('eos');
        const parsed = JSON.parse(result.text);
        expect(validate(parsed), `${result.text}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      }
    },
    300_000,
  );

  it('should constrain to a regex and to a choice list, every vote too', async () => {
    for (let seed = 0; seed < 10; seed++) {
      const code = await runtime
        .chat(ask, {
          responseFormat: { type: 'regex', pattern: '[A-Z]{2}-[0-9]{3}' },
          doSample: true,
          temperature: 1,
          topK: 0,
          seed,
        })
        .text();
      expect(code).toMatch(/^[A-Z]{2}-[0-9]{3}$/);
    }
    const voted = await runtime
      .chat(ask, {
        responseFormat: { type: 'choice', choices: ['red', 'green', 'blue'] },
        votes: 5,
        temperature: 1,
        topK: 0,
        seed: 3,
      })
      .result();
    expect(voted.samples).toHaveLength(5);
    for (const sample of voted.samples) expect(['red', 'green', 'blue']).toContain(sample.text);
    expect(voted.timings.constraintMs).toBeGreaterThan(0);
  }, 120_000);

  it('should give the unconstrained greedy answer wherever that answer already satisfies the grammar', async () => {
    runtime.reset();
    // The streamed text, untrimmed: what the tokens spell (the final text is trimmed).
    let spelled = '';
    const stream = runtime.chat(ask, { maxNewTokens: 6 });
    for await (const event of stream) if (event.type === 'token-delta') spelled += event.text;
    const free = await stream.result();
    expect(spelled.length).toBeGreaterThan(0);
    const constrained = await runtime
      .chat(ask, {
        maxNewTokens: 7,
        responseFormat: { type: 'choice', choices: [spelled, 'something else'] },
      })
      .result();
    expect(constrained.text).toBe(free.text);
    expect(constrained.samples[0]!.tokenIds.slice(0, free.samples[0]!.tokenIds.length)).toEqual(
      free.samples[0]!.tokenIds,
    );
  });

  it('should refuse a malformed response format with a typed error', async () => {
    await expect(
      runtime.chat(ask, { responseFormat: { type: 'regex', pattern: '' } }).text(),
    ).rejects.toThrow(/`pattern` must be a non-empty regular expression/);
  });
});
