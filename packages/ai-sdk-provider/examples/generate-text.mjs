// The README's example on a small synthetic model (random weights: the answer is noise).
// Run after `pnpm build`: node packages/ai-sdk-provider/examples/generate-text.mjs
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createIvl } from '@ivl/ai-sdk-provider';
import { createNodeBackend } from '@ivl/backend-node';
import { convertCheckpoint, writeSyntheticCheckpoint } from '@ivl/convert';
import { createRuntime } from '@ivl/runtime/node';
import { internvlQwen2Tokenizer } from '@ivl/synthetic-tokenizers';
import { generateText, streamText } from 'ai';

const work = join(tmpdir(), `ivl-ai-sdk-example-${process.pid}`);
await writeSyntheticCheckpoint(join(work, 'hf'), 'tiny-qwen2', {
  seed: 1,
  tokenizer: internvlQwen2Tokenizer(),
});
await convertCheckpoint(join(work, 'hf'), join(work, 'ivl'));

const runtime = await createRuntime({ model: join(work, 'ivl'), backend: createNodeBackend() });
const ivl = createIvl({ runtime, modelId: 'tiny-qwen2' });
const image = await readFile(new URL('../../../apps/cli/assets/sample.jpg', import.meta.url));
const { text, usage, finishReason } = await generateText({
  model: ivl(),
  messages: [
    {
      role: 'user',
      content: [
        { type: 'file', mediaType: 'image/jpeg', data: image },
        { type: 'text', text: 'Describe the image.' },
      ],
    },
  ],
  maxOutputTokens: 8,
  providerOptions: { ivl: { maxTiles: 1 } },
});
console.log(
  `generateText: ${usage.inputTokens} prompt tokens, ${usage.outputTokens} generated, finish ${finishReason}`,
);
console.log(`text: ${JSON.stringify(text)}`);
let streamed = '';
for await (const delta of streamText({ model: ivl(), prompt: 'Tell a story.', maxOutputTokens: 8 })
  .textStream) {
  streamed += delta;
}
console.log(`streamText: ${JSON.stringify(streamed)}`);
await runtime.dispose();
const { rm } = await import('node:fs/promises');
await rm(work, { recursive: true, force: true });
