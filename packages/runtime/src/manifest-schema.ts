import { LLM_FAMILIES, MODEL_FORMAT_VERSION, ModelLoadError, type ModelManifest } from '@ivl/core';
import * as v from 'valibot';

const positive = v.pipe(v.number(), v.integer(), v.minValue(1));
const tokenId = v.pipe(v.number(), v.integer(), v.minValue(0));
// A relative `/`-separated path that stays inside the model directory.
const insidePath = v.pipe(
  v.string(),
  v.check(
    (path) =>
      path.length > 0 &&
      !path.startsWith('/') &&
      !path.includes('\\') &&
      !/^[a-zA-Z]:/.test(path) &&
      path.split('/').every((segment) => segment !== '..' && segment !== '.' && segment !== ''),
    'a relative path inside the model directory (no "..", no leading "/")',
  ),
);
const modelFile = v.object({
  path: insidePath,
  bytes: v.pipe(v.number(), v.integer(), v.minValue(0)),
  sha256: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'a lower-case hex SHA-256')),
});
const partFiles = v.object({ onnx: modelFile, externalData: v.array(modelFile) });
const byDtype = v.object({
  fp32: v.optional(partFiles),
  fp16: v.optional(partFiles),
  q8: v.optional(partFiles),
  q4: v.optional(partFiles),
  int8: v.optional(partFiles),
});
const channels = v.pipe(v.array(v.number()), v.length(3));

const manifestSchema = v.object({
  formatVersion: v.literal(MODEL_FORMAT_VERSION),
  family: v.picklist(LLM_FAMILIES),
  vision: v.picklist(['300m', '6b']),
  template: v.string(),
  tileSizePx: positive,
  numImageToken: positive,
  normalization: v.object({ mean: channels, std: channels }),
  dims: v.object({
    visionHidden: positive,
    llmHidden: positive,
    layers: positive,
    heads: positive,
    kvHeads: positive,
    headDim: positive,
    vocabSize: positive,
    maxPositionEmbeddings: positive,
  }),
  tokens: v.object({
    imgStart: tokenId,
    imgEnd: tokenId,
    imgContext: tokenId,
    imEnd: tokenId,
    bos: v.optional(tokenId),
  }),
  systemMessage: v.optional(v.string()),
  decoderPast: v.optional(v.literal('capacity')),
  files: v.object({
    vision_encoder: byDtype,
    projector: byDtype,
    embed_tokens: byDtype,
    decoder_model_merged: byDtype,
  }),
});

/**
 * Checks a parsed `ivl.json` against the format this ivl reads.
 * @throws {ModelLoadError} naming the first wrong field, or asking to convert again when the
 *   directory was written for another format version
 */
export function parseManifest(value: unknown, location: string): ModelManifest {
  const path = `${location}/ivl.json`;
  const version =
    typeof value === 'object' && value !== null
      ? (value as { formatVersion?: unknown }).formatVersion
      : undefined;
  if (version !== MODEL_FORMAT_VERSION) {
    throw new ModelLoadError({
      path,
      message:
        `${location} was converted for model format ${typeof version === 'number' ? version : 'unknown'}, but this ivl reads format ${MODEL_FORMAT_VERSION}. ` +
        'Convert the checkpoint again with this version (`ivl convert --force`).',
    });
  }
  const parsed = v.safeParse(manifestSchema, value);
  if (parsed.success) return parsed.output as ModelManifest;
  const issue = parsed.issues[0];
  const field = (issue.path ?? []).map((item) => String(item.key)).join('.');
  throw new ModelLoadError({
    path,
    message: `${path} is not a valid ivl model manifest: ${field || 'the document'}: ${issue.message}. Convert the checkpoint again (\`ivl convert --force\`).`,
  });
}
