import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, MODEL_DTYPES } from '@ivl/core';
import { Command, InvalidArgumentError as CommanderArgumentError, CommanderError } from 'commander';
import { chatCommand, type Output } from './commands/chat.js';
import { convertCommand } from './commands/convert.js';
import { demoCommand } from './commands/demo.js';
import { evalCommand, evalReportCommand, evalWorkerCommand } from './commands/eval.js';
import { modelsCommand, modelsRemoveCommand, pullCommand } from './commands/models.js';
import { serveCommand } from './commands/serve.js';
import { tilesCommand } from './commands/tiles.js';
import { reportError, USAGE_EXIT_CODE } from './report-error.js';

// src/main.ts and dist/main.js both sit one level below the package root.
const SAMPLE_IMAGE = fileURLToPath(new URL('../assets/sample.jpg', import.meta.url));
// The CLI's own package.json, one level up from src/ and dist/ alike.
const CLI_VERSION = (
  JSON.parse(readFileSync(fileURLToPath(new URL('../package.json', import.meta.url)), 'utf8')) as {
    version: string;
  }
).version;
const SAMPLE_EVAL_SET = fileURLToPath(new URL('../assets/eval-sample.tsv', import.meta.url));

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new CommanderArgumentError(`expected an integer, got "${value}"`);
  return parsed;
}

function number(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new CommanderArgumentError(`expected a number, got "${value}"`);
  return parsed;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function dtypeOption(value: string): string {
  if (!(MODEL_DTYPES as readonly string[]).includes(value))
    throw new CommanderArgumentError(`expected one of ${MODEL_DTYPES.join(', ')}`);
  return value;
}

const consoleOutput: Output = {
  line: (text) => console.log(text),
  write: (text) => process.stdout.write(text),
  error: (text) => console.error(text),
  errorWrite: (text) => process.stderr.write(text),
};

/** How {@link main} is run: by the `ivl` process (signals), or by a test. */
export interface MainSettings {
  /** Aborts the running command (Ctrl-C, or stdout's reader gone). */
  readonly signal?: AbortSignal;
}

/** Runs the `ivl` command line; returns the exit code. Errors are reported, never thrown. */
export async function main(
  argv: readonly string[],
  print: (line: string) => void = console.log,
  output: Output = consoleOutput,
  settings: MainSettings = {},
): Promise<number> {
  const { signal } = settings;
  const program = new Command('ivl')
    .description('InternVL 2.5 in JavaScript: tiles, conversion, chat, serving, evaluation.')
    .version(CLI_VERSION, '-V, --version', 'print the version of ivl')
    .option('--verbose', 'print the stack (and causes) of an error')
    .enablePositionalOptions()
    .showHelpAfterError()
    .exitOverride();

  program
    .command('tiles')
    .description('Show how an image is cut into InternVL tiles, and draw the tiling.')
    .argument('<image>', 'image file (JPEG, PNG, WebP, GIF, TIFF, AVIF)')
    .option('--max-tiles <n>', 'most tiles of the grid', integer, 12)
    .option('--min-tiles <n>', 'fewest tiles of the grid', integer, 1)
    .option('-o, --out <file.png>', 'write a picture of the tiling')
    .option('--json', 'print the plan as one JSON document')
    .action((image: string, options) => tilesCommand(image, options, print));

  program
    .command('convert')
    .description(
      'Convert a Hugging Face InternVL 2.5 checkpoint directory into an ivl model directory (ONNX).',
    )
    .argument('<checkpoint>', 'checkpoint directory (config.json, *.safetensors, tokenizer files)')
    .argument('<out>', 'output model directory')
    .option(
      '--dtype <dtype>',
      'weight storage: fp32, fp16, q8 or q4 (block-quantized linear layers), int8 (8-bit weights and activations: fastest on CPUs with VNNI or AMX)',
      dtypeOption,
      'fp32',
    )
    .option('-f, --force', 'replace an existing output directory')
    .action((checkpoint: string, out: string, options) =>
      convertCommand(checkpoint, out, { ...options, progress: process.stderr.isTTY, signal }, print, output),
    );

  program
    .command('chat')
    .description('Ask an InternVL model about images and videos; interactive when no question is given.')
    .argument('[question]', 'the question (omit for an interactive conversation)')
    .requiredOption(
      '-m, --model <model>',
      'ivl model directory, a Hugging Face checkpoint directory, or hf:owner/name from the Hub (downloaded and converted once)',
    )
    .option('-i, --image <file>', 'an image (repeat for several)', collect)
    .option('-v, --video <file>', 'a video')
    .option('--frames <n>', 'frames sampled from the video', integer, 8)
    .option('--max-tiles <n>', 'tile budget shared by the images', integer, 12)
    .option('--max-new-tokens <n>', 'most tokens to generate', integer)
    .option('--temperature <t>', 'sampling temperature (0 = greedy)', number)
    .option('--top-p <p>', 'nucleus sampling mass', number)
    .option('--seed <n>', 'sampling seed', integer)
    .option('--votes <n>', 'sample n answers from one prefill and majority-vote them', integer)
    .option('--cot', "append the paper's chain-of-thought prompt")
    .option('--think', "InternVL3.5's thinking mode: reasoning (to stderr) before the answer")
    .option('--json-schema <file>', 'make the answer follow this JSON schema (constrained decoding)')
    .option('--draw <out.png>', "draw the answer's grounded boxes on the first image")
    .option(
      '--json',
      'print each answer as one JSON line (text, finishReason, usage, timings, grounding, vote)',
    )
    .option('--device <list>', 'cpu, cuda, webgpu, or a fallback list like cuda,cpu', 'cpu')
    .option('--threads <n>', 'CPU threads', integer)
    .option(
      '--dtype <dtype>',
      'which converted weights to load (fp32, fp16, q8, q4, int8); converts to it if needed',
    )
    .action((question: string | undefined, options) => chatCommand(question, { ...options, signal }, output));

  program
    .command('serve')
    .description(
      'Serve a model over an OpenAI-compatible HTTP API (/v1/chat/completions, /v1/models, /metrics).',
    )
    .requiredOption('-m, --model <dir>', 'ivl model directory, or a Hugging Face checkpoint (converted once)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on', integer, 8000)
    .option('--api-key <key>', 'require "Authorization: Bearer <key>"')
    .option('--max-concurrency <n>', 'requests admitted at once (they take turns on the model)', integer, 4)
    .option('--max-queue <n>', 'requests waiting beyond those; more get HTTP 429', integer, 16)
    .option('--max-body-mb <n>', 'largest request body in MiB', number, 32)
    .option('--allow-url-prefix <prefix>', 'fetch image/video URLs only with this prefix (repeat)', collect)
    .option('--allow-file-root <dir>', 'let requests read local files under this folder (repeat)', collect)
    .option('--allow-loopback', 'let requests make the server fetch loopback URLs')
    .option('--allow-private', 'let requests make the server fetch private-network URLs')
    .option('--device <list>', 'cpu, cuda, webgpu, or a fallback list like cuda,cpu', 'cpu')
    .option('--model-name <name>', 'the model id /v1/models lists')
    .option('--shutdown-deadline-ms <n>', 'on SIGTERM, how long running requests may finish', integer, 10_000)
    .action((options) => serveCommand({ ...options, signal }, output));

  const evaluate = program
    .command('eval')
    // `ivl eval worker --queue …`: the subcommand's own options, not eval's of the same names.
    .enablePositionalOptions()
    .description(
      'Answer and score a VLMEvalKit multiple-choice set (TSV) as VLMEvalKit evaluates InternVL: direct, CoT, or majority vote. Resumable.',
    )
    .option('--data <set.tsv>', 'the TSV (default: the bundled synthetic sample set)', SAMPLE_EVAL_SET)
    .option('-m, --model <dir>', 'ivl model directory, or a Hugging Face checkpoint')
    .option('--mode <mode>', 'direct, cot or vote', 'direct')
    .option('--votes <n>', 'samples of a vote (CoT, temperature 0.6, top-p 0.95)', integer)
    .option('--limit <k>', 'only the first k questions', integer)
    .option('--max-new-tokens <n>', 'most tokens per answer', integer, 4096)
    .option('--postprocess', "extract \\boxed{} before reading the option (VLMEvalKit's use_postprocess)")
    .option(
      '--upscale-first-image',
      'upscale the first image 2× (on by default for files named *MMMU*, as VLMEvalKit)',
    )
    .option(
      '--out <results.jsonl>',
      'results, one JSON line per question (resumed when it exists)',
      'results.jsonl',
    )
    .option('--device <list>', 'cpu, cuda, webgpu, or a fallback list like cuda,cpu', 'cpu')
    .option('--threads <n>', 'CPU threads', integer)
    .option(
      '--queue <redis-url>',
      'put the questions on a BullMQ queue for `ivl eval worker`s (redis://host:port)',
    )
    .action((options) => {
      if (!options.model) {
        throw new InvalidArgumentError({
          argument: 'model',
          message: 'ivl eval needs -m <model>: an ivl model directory or a Hugging Face checkpoint.',
        });
      }
      return evalCommand({ ...options, signal }, output);
    });
  evaluate
    .command('worker')
    .description(
      'Answer the questions of `ivl eval --queue` runs, with the model loaded once, until stopped.',
    )
    .requiredOption('--queue <redis-url>', 'the BullMQ queue (redis://host:port)')
    .requiredOption('-m, --model <dir>', 'ivl model directory, or a Hugging Face checkpoint')
    .option('--device <list>', 'cpu, cuda, webgpu, or a fallback list like cuda,cpu', 'cpu')
    .option('--threads <n>', 'CPU threads', integer)
    .action((options) => evalWorkerCommand({ ...options, signal }, output));
  evaluate
    .command('report')
    .description('Accuracy per run and category with the token cost of each, and a chart (SVG).')
    .argument('<results...>', 'results files of ivl eval')
    .option('--chart <out.svg>', 'write the accuracy-vs-tokens chart')
    .action((files: string[], options) => evalReportCommand(files, options.chart, output));

  program
    .command('pull')
    .description(
      'Download a checkpoint from the Hugging Face Hub (resumable; HF_TOKEN, HF_ENDPOINT honoured) and convert it once.',
    )
    .argument('<model>', 'owner/name on the Hub, e.g. OpenGVLab/InternVL2_5-1B (or owner/name@revision)')
    .option('--revision <rev>', 'a branch, tag or commit (default main)')
    .option('--dtype <dtype>', 'weights to convert to: fp32, fp16, q8, q4 or int8', dtypeOption, 'fp32')
    .option('--json', 'print the result as one JSON document')
    .action((model: string, options) => pullCommand(model, { ...options, signal }, output));

  const models = program
    .command('models')
    .description('List the cached models (downloaded checkpoints and converted models) with their sizes.')
    .option('--json', 'print the list as one JSON document')
    .action((options) => modelsCommand(options, output));
  models
    .command('rm')
    .description(
      "Remove a cached model: owner/name (its snapshots and conversions), owner/name@commit, or a converted model's id.",
    )
    .argument('<model>', 'what `ivl models` lists')
    .action((selector: string) => modelsRemoveCommand(selector, output));

  program
    .command('demo')
    .description(
      'Make (once) a small synthetic model and run the whole chat pipeline on the bundled sample image.',
    )
    .option('--cache <dir>', 'where the synthetic model is kept', '.cache/demo')
    .option('-i, --image <file>', 'another image')
    .option('--question <text>', 'the question', 'Describe the image.')
    .option('--max-new-tokens <n>', 'most tokens to generate', integer, 24)
    .action((options) => demoCommand({ ...options, sampleImage: SAMPLE_IMAGE, signal }, output));

  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    // Commander's own: help and --version exit 0; a usage error (unknown option, missing
    // argument) has printed its message and exits 2, as shells' built-ins do.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : USAGE_EXIT_CODE;
    const report = reportError(error, { verbose: program.opts().verbose === true, signal });
    for (const line of report.lines) output.error(line);
    return report.exitCode;
  }
}
