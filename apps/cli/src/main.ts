import { IvlError } from '@ivl/core';
import { Command, InvalidArgumentError as CommanderArgumentError } from 'commander';
import { convertCommand } from './commands/convert.js';
import { tilesCommand } from './commands/tiles.js';

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new CommanderArgumentError(`expected an integer, got "${value}"`);
  return parsed;
}

/** Runs the `ivl` command line; returns the exit code. */
export async function main(
  argv: readonly string[],
  print: (line: string) => void = console.log,
): Promise<number> {
  const program = new Command('ivl')
    .description('InternVL 2.5 in JavaScript: tiles, conversion, chat.')
    .showHelpAfterError()
    .exitOverride();

  program
    .command('tiles')
    .description('Show how an image is cut into InternVL tiles, and draw the tiling.')
    .argument('<image>', 'image file (JPEG, PNG, WebP, GIF, TIFF, AVIF)')
    .option('--max-tiles <n>', 'most tiles of the grid', integer, 12)
    .option('--min-tiles <n>', 'fewest tiles of the grid', integer, 1)
    .option('-o, --out <file.png>', 'write a picture of the tiling')
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
      'weight storage: fp32 or fp16',
      (value: string) => {
        if (value !== 'fp32' && value !== 'fp16') throw new CommanderArgumentError('expected fp32 or fp16');
        return value;
      },
      'fp32',
    )
    .option('-f, --force', 'replace an existing output directory')
    .action((checkpoint: string, out: string, options) =>
      convertCommand(checkpoint, out, { ...options, progress: process.stderr.isTTY }, print),
    );

  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (error) {
    if (error instanceof Error && 'exitCode' in error && typeof error.exitCode === 'number')
      return error.exitCode;
    if (IvlError.isInstance(error)) {
      console.error(`ivl: ${error.name}: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
