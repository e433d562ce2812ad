import { access, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CheckpointError } from '@ivl/core';
import { readJsonObject } from '../checkpoint/read-json-object.js';
import { parseSentencePieceModel, sentencePieceToTokenizerJson } from './sentencepiece-model.js';

const QWEN2_SPLIT_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

const readJson = (path: string) => readJsonObject(path, `Missing ${path}.`);

/**
 * The checkpoint's tokenizer as a `tokenizer.json`: taken as is when the checkpoint has one;
 * otherwise built from the slow files the way HF's converters do: Qwen2's `vocab.json` +
 * `merges.txt` (+ added tokens from `tokenizer_config.json` / `added_tokens.json`), or InternLM2's
 * SentencePiece `tokenizer.model` (+ added tokens from `tokenizer_config.json`).
 * The InternVL special tokens must come out with their ids (checked by the caller).
 *
 * @throws {CheckpointError} when no usable tokenizer files are present
 */
export async function buildTokenizerJson(directory: string): Promise<Record<string, unknown>> {
  const direct = join(directory, 'tokenizer.json');
  if (await exists(direct)) return readJson(direct);
  if (await exists(join(directory, 'vocab.json'))) {
    const vocab = await readJson(join(directory, 'vocab.json'));
    const mergesText = await readFile(join(directory, 'merges.txt'), 'utf8').catch((error: unknown) => {
      throw new CheckpointError({
        path: join(directory, 'merges.txt'),
        message: `Missing ${join(directory, 'merges.txt')} next to vocab.json.`,
        cause: error,
      });
    });
    const merges = mergesText.split('\n').filter((line) => line.length > 0 && !line.startsWith('#version'));
    const config = (await exists(join(directory, 'tokenizer_config.json')))
      ? await readJson(join(directory, 'tokenizer_config.json'))
      : {};
    const decoderEntries = Object.entries(
      (config.added_tokens_decoder ?? {}) as Record<
        string,
        {
          content: string;
          special?: boolean;
          lstrip?: boolean;
          rstrip?: boolean;
          normalized?: boolean;
          single_word?: boolean;
        }
      >,
    );
    const extra = (await exists(join(directory, 'added_tokens.json')))
      ? ((await readJson(join(directory, 'added_tokens.json'))) as Record<string, number>)
      : {};
    const added = new Map<number, Record<string, unknown>>();
    for (const [content, id] of Object.entries(extra)) {
      added.set(id, {
        id,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      });
    }
    for (const [id, token] of decoderEntries) {
      added.set(Number(id), {
        id: Number(id),
        content: token.content,
        single_word: token.single_word ?? false,
        lstrip: token.lstrip ?? false,
        rstrip: token.rstrip ?? false,
        normalized: token.normalized ?? false,
        special: token.special ?? true,
      });
    }
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [...added.values()].sort((a, b) => (a.id as number) - (b.id as number)),
      normalizer: { type: 'NFC' },
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: QWEN2_SPLIT_PATTERN }, behavior: 'Isolated', invert: false },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
        ],
      },
      post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: '',
        end_of_word_suffix: '',
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: false,
        vocab,
        merges,
      },
    };
  }
  if (await exists(join(directory, 'tokenizer.model'))) {
    const path = join(directory, 'tokenizer.model');
    let model: ReturnType<typeof parseSentencePieceModel>;
    try {
      model = parseSentencePieceModel(new Uint8Array(await readFile(path)));
    } catch (error) {
      throw new CheckpointError({ path, message: `${path} is not a SentencePiece model.`, cause: error });
    }
    const config = (await exists(join(directory, 'tokenizer_config.json')))
      ? await readJson(join(directory, 'tokenizer_config.json'))
      : {};
    const decoder = (config.added_tokens_decoder ?? {}) as Record<
      string,
      { content: string; special?: boolean }
    >;
    const added = Object.entries(decoder).map(([id, token]) => ({
      id: Number(id),
      content: token.content,
      special: token.special ?? true,
    }));
    try {
      return sentencePieceToTokenizerJson(model, added);
    } catch (error) {
      throw new CheckpointError({ path, message: `${path}: ${(error as Error).message}`, cause: error });
    }
  }

  throw new CheckpointError({
    path: directory,
    message: `${directory} has no tokenizer (tokenizer.json, or vocab.json + merges.txt).`,
  });
}
