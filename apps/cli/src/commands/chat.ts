import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import { createNodeBackend, type NodeDevice } from '@ivl/backend-node';
import { InvalidArgumentError, type ModelDtype } from '@ivl/core';
import type { ChatMessage, ChatOptions, ChatResult, ContentPart, Runtime } from '@ivl/runtime';
import { createRuntime } from '@ivl/runtime/node';
import { drawGrounding } from '../draw-grounding.js';
import { createModelProgress } from '../progress.js';

export interface ChatCommandOptions {
  readonly model: string;
  readonly image?: readonly string[];
  readonly video?: string;
  readonly frames: number;
  readonly maxTiles: number;
  readonly maxNewTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly seed?: number;
  readonly votes?: number;
  readonly cot?: boolean;
  /** InternVL3.5's thinking mode; the reasoning goes to stderr, the answer to stdout. */
  readonly think?: boolean;
  readonly device: string;
  readonly threads?: number;
  readonly dtype?: ModelDtype;
  /** A JSON schema file the answer must follow (constrained decoding). */
  readonly jsonSchema?: string;
  /** Draw the answer's grounded boxes on the (first) image into this PNG. */
  readonly draw?: string;
  /** Print each answer as one JSON line ({@link answerDocument}) instead of streaming text. */
  readonly json?: boolean;
  /** Stops loading or the answer (Ctrl-C). */
  readonly signal?: AbortSignal;
}

export interface Output {
  line(text: string): void;
  write(text: string): void;
  error(text: string): void;
  /** stderr without a line break (streamed reasoning). */
  errorWrite(text: string): void;
}

/** Loads a model with progress on stderr (a bar on a terminal, lines elsewhere). */
export async function openRuntime(
  model: string,
  device: string,
  threads: number | undefined,
  output: Output,
  dtype?: ModelDtype,
  signal?: AbortSignal,
): Promise<Runtime> {
  const progress = createModelProgress(output);
  try {
    const runtime = await createRuntime({
      model,
      backend: createNodeBackend({ device: device.split(',') as NodeDevice[], ...(threads && { threads }) }),
      ...(dtype && { dtype }),
      ...(signal && { signal }),
      onProgress: (event) => progress.update(event),
    });
    progress.stop();
    output.error(
      `model ${model}: ${runtime.manifest.family} LLM, InternViT-${runtime.manifest.vision.toUpperCase()}, on ${runtime.backend.capabilities.device}`,
    );
    return runtime;
  } catch (error) {
    progress.stop();
    throw error;
  }
}

function chatOptions(options: ChatCommandOptions): ChatOptions {
  return {
    maxTiles: options.maxTiles,
    videoFrames: options.frames,
    ...(options.maxNewTokens !== undefined && { maxNewTokens: options.maxNewTokens }),
    ...(options.temperature !== undefined && {
      temperature: options.temperature,
      doSample: options.temperature > 0,
    }),
    ...(options.topP !== undefined && { topP: options.topP }),
    ...(options.seed !== undefined && { seed: options.seed }),
    ...(options.votes !== undefined && { votes: options.votes }),
    ...(options.cot && { reasoning: 'cot' as const }),
    ...(options.think && { reasoning: 'think' as const }),
    ...(options.signal && { signal: options.signal }),
  };
}

/**
 * The JSON form of an answer (`ivl chat --json`), one line per answer. Field names are stable:
 * new fields may be added, none renamed or removed.
 */
export function answerDocument(question: string, result: ChatResult) {
  return {
    question,
    text: result.text,
    ...(result.reasoning !== undefined && { reasoning: result.reasoning }),
    finishReason: result.finishReason,
    usage: result.usage,
    timings: result.timings,
    grounding: result.grounding,
    ...(result.vote && {
      vote: result.vote,
      samples: result.samples.map((sample, index) => ({
        text: sample.text,
        finishReason: sample.finishReason,
        answer: result.vote?.samples[index]?.normalized ?? null,
      })),
    }),
  };
}

/** Streams one answer (or, with `json`, prints it as one JSON line when done); returns its result. */
export async function answer(
  runtime: Runtime,
  messages: readonly ChatMessage[],
  options: ChatOptions,
  output: Output,
  json = false,
): Promise<ChatResult> {
  let result: ChatResult | undefined;
  for await (const event of runtime.chat(messages, options)) {
    if (json) {
      if (event.type === 'done') result = event;
      continue;
    }
    if (event.type === 'image-encoded') {
      output.error(
        `[encoded ${event.images} image(s), ${event.videos} video(s): ${event.tiles} new tiles, ${event.cachedItems} cached, ${event.ms.toFixed(0)} ms]`,
      );
    } else if (event.type === 'token-delta' && (options.votes ?? 1) === 1) {
      // The think section goes to stderr, so that stdout holds the answer alone.
      if (event.reasoning) output.errorWrite(event.text);
      else output.write(event.text);
    } else if (event.type === 'sample-done' && (options.votes ?? 1) > 1) {
      output.line(`--- sample ${event.sample + 1}: answer ${event.answer ?? '(none)'}`);
      output.line(event.text);
    } else if (event.type === 'done') {
      result = event;
      if (event.vote) {
        output.line(
          `--- vote: ${event.vote.votes.map((v) => `${v.answer} ×${v.count}`).join(', ') || 'no answers'}${event.vote.unanswered ? `, ${event.vote.unanswered} without an answer` : ''}`,
        );
        output.line(`answer: ${event.vote.answer ?? '(none)'}`);
      } else {
        output.line('');
      }
      const { usage, timings } = event;
      output.error(
        `[${usage.promptTokens} prompt tokens (${usage.imageTokens} image, ${usage.reusedTokens} reused), ${usage.generatedTokens} generated; ` +
          `prefill ${timings.prefillMs.toFixed(0)} ms, decode ${timings.decodeTokensPerSecond.toFixed(1)} tokens/s; ${event.finishReason}]`,
      );
    }
  }
  return result!;
}

/** The response format of `--json-schema <file>`. */
async function schemaFormat(path: string): Promise<ChatOptions['responseFormat']> {
  let schema: unknown;
  try {
    schema = JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    throw new InvalidArgumentError({
      argument: 'json-schema',
      message: `--json-schema ${path} is not a readable JSON file: ${error instanceof Error ? error.message : String(error)}.`,
    });
  }
  if (typeof schema !== 'object' || schema === null) {
    throw new InvalidArgumentError({
      argument: 'json-schema',
      message: `--json-schema ${path} must hold a JSON schema object.`,
    });
  }
  return { type: 'json_schema', json_schema: { name: basename(path, '.json'), schema } };
}

/**
 * `ivl chat`: one question, or a conversation read line by line from stdin when none is given.
 * On a terminal it prompts, and an empty line ends it; from a pipe every line is a question,
 * answered in turn (lines that arrive while answering wait), until EOF.
 */
export async function chatCommand(
  question: string | undefined,
  options: ChatCommandOptions,
  output: Output,
): Promise<void> {
  const runtime = await openRuntime(
    options.model,
    options.device,
    options.threads,
    output,
    options.dtype,
    options.signal,
  );
  try {
    const media: ContentPart[] = [
      ...(options.image ?? []).map((image): ContentPart => ({ type: 'image', image })),
      ...(options.video
        ? [{ type: 'video', video: options.video, frames: options.frames } as ContentPart]
        : []),
    ];
    const settings: ChatOptions = {
      ...chatOptions(options),
      ...(options.jsonSchema && { responseFormat: await schemaFormat(options.jsonSchema) }),
    };
    if (options.draw && !options.image?.length) {
      throw new InvalidArgumentError({
        argument: 'draw',
        message: '--draw needs an image (-i) to draw the boxes on.',
      });
    }
    if (question !== undefined) {
      const result = await answer(
        runtime,
        [{ role: 'user', content: [...media, { type: 'text', text: question }] }],
        settings,
        output,
        options.json,
      );
      if (options.json) output.line(JSON.stringify(answerDocument(question, result)));
      if (options.draw) {
        await drawGrounding(options.image![0]!, result.grounding, options.draw);
        const boxes = result.grounding.reduce((count, object) => count + object.boxes.length, 0);
        output.error(`[drew ${boxes} grounded box(es) on ${options.image![0]} into ${options.draw}]`);
      }
      return;
    }
    const terminal = process.stdin.isTTY === true;
    const history: ChatMessage[] = [];
    const lines = createInterface({ input: process.stdin, terminal: false });
    if (terminal) output.error('Ask about the image(s); an empty line (or Ctrl-D) ends the conversation.');
    const prompt = () => {
      if (terminal) output.write('> ');
    };
    prompt();
    try {
      // The line iterator queues lines that arrive while an answer is being written.
      for await (const raw of lines) {
        const line = raw.trim();
        if (!line) {
          if (terminal) break;
          continue;
        }
        history.push({
          role: 'user',
          content: history.length === 0 ? [...media, { type: 'text', text: line }] : line,
        });
        const result = await answer(runtime, history, settings, output, options.json);
        if (options.json) output.line(JSON.stringify(answerDocument(line, result)));
        history.push({ role: 'assistant', content: result.text });
        prompt();
      }
    } finally {
      lines.close();
    }
  } finally {
    await runtime.dispose();
  }
}
