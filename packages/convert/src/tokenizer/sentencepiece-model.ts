import { CheckpointError } from '@ivl/core';
import protobuf from 'protobufjs';

/** The parts of a SentencePiece `ModelProto` (sentencepiece_model.proto) a tokenizer.json needs. */
export interface SentencePieceModel {
  readonly pieces: readonly { readonly piece: string; readonly score: number; readonly type: PieceType }[];
  /** 1 = unigram, 2 = BPE, 3 = word, 4 = char. */
  readonly modelType: number;
  readonly byteFallback: boolean;
  readonly addDummyPrefix: boolean;
}

/** SentencePiece piece types. */
export const PieceType = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;
export type PieceType = (typeof PieceType)[keyof typeof PieceType];

// Field numbers from sentencepiece_model.proto; only what we read or write.
const root = protobuf.Root.fromJSON({
  nested: {
    ModelProto: {
      fields: {
        pieces: { rule: 'repeated', type: 'SentencePiece', id: 1 },
        trainerSpec: { type: 'TrainerSpec', id: 2 },
        normalizerSpec: { type: 'NormalizerSpec', id: 3 },
      },
    },
    SentencePiece: {
      fields: {
        piece: { type: 'string', id: 1 },
        score: { type: 'float', id: 2 },
        type: { type: 'int32', id: 3, options: { default: 1 } },
      },
    },
    TrainerSpec: {
      fields: {
        modelType: { type: 'int32', id: 3, options: { default: 1 } },
        vocabSize: { type: 'int32', id: 4 },
        byteFallback: { type: 'bool', id: 35 },
      },
    },
    NormalizerSpec: {
      fields: {
        name: { type: 'string', id: 1 },
        addDummyPrefix: { type: 'bool', id: 3, options: { default: true } },
        removeExtraWhitespaces: { type: 'bool', id: 4, options: { default: true } },
      },
    },
  },
});
const ModelProto = root.lookupType('ModelProto');

/** Parses a `tokenizer.model` file. */
export function parseSentencePieceModel(bytes: Uint8Array): SentencePieceModel {
  const message = ModelProto.decode(bytes);
  const object = ModelProto.toObject(message, { defaults: true }) as {
    pieces: { piece: string; score: number; type: number }[];
    trainerSpec?: { modelType: number; byteFallback: boolean };
    normalizerSpec?: { addDummyPrefix: boolean };
  };
  return {
    pieces: object.pieces.map((p) => ({ piece: p.piece, score: p.score, type: (p.type || 1) as PieceType })),
    modelType: object.trainerSpec?.modelType ?? 1,
    byteFallback: object.trainerSpec?.byteFallback ?? false,
    addDummyPrefix: object.normalizerSpec?.addDummyPrefix ?? true,
  };
}

/** Writes a `tokenizer.model` (for synthetic checkpoints). */
export function encodeSentencePieceModel(model: SentencePieceModel): Uint8Array {
  const message = ModelProto.fromObject({
    pieces: model.pieces,
    trainerSpec: {
      modelType: model.modelType,
      vocabSize: model.pieces.length,
      byteFallback: model.byteFallback,
    },
    normalizerSpec: { name: 'identity', addDummyPrefix: model.addDummyPrefix, removeExtraWhitespaces: false },
  });
  return ModelProto.encode(message).finish();
}

/**
 * A BPE `tokenizer.json` from a SentencePiece BPE model, the way HF's slow→fast converter does for
 * Llama-style tokenizers: vocab by piece id, merges rebuilt from the pieces (every split of a piece
 * into two pieces, ordered by the merged piece's score), byte fallback, `▁` for spaces, a dummy
 * prefix only when the model has one (InternLM2's has not: prepend scheme "never").
 */
export function sentencePieceToTokenizerJson(
  model: SentencePieceModel,
  addedTokens: readonly { id: number; content: string; special: boolean }[],
): Record<string, unknown> {
  if (model.modelType !== 2)
    throw new CheckpointError({
      path: 'tokenizer.model',
      message: `tokenizer.model is a SentencePiece model of type ${model.modelType}; only BPE models (type 2, as InternLM2's) are supported.`,
    });
  const vocab: Record<string, number> = {};
  model.pieces.forEach(({ piece }, id) => {
    vocab[piece] = id;
  });
  const merges: [string, string, number][] = [];
  model.pieces.forEach(({ piece, score }) => {
    const local: [string, string, number][] = [];
    const characters = [...piece];
    for (let split = 1; split < characters.length; split++) {
      const left = characters.slice(0, split).join('');
      const right = characters.slice(split).join('');
      if (left in vocab && right in vocab) local.push([left, right, score]);
    }
    local.sort((a, b) => vocab[a[0]]! - vocab[b[0]]! || vocab[a[1]]! - vocab[b[1]]!);
    merges.push(...local);
  });
  // A stable sort by descending score, as Python's sorted(..., reverse=True).
  const ordered = merges
    .map((merge, index) => ({ merge, index }))
    .sort((a, b) => b.merge[2] - a.merge[2] || a.index - b.index);
  const special = model.pieces.flatMap(({ piece, type }, id) =>
    type === PieceType.CONTROL || type === PieceType.UNKNOWN ? [{ id, content: piece, special: true }] : [],
  );
  const added = new Map<number, { id: number; content: string; special: boolean }>();
  for (const token of [...special, ...addedTokens]) added.set(token.id, token);
  const unknown = model.pieces.find((p) => p.type === PieceType.UNKNOWN)?.piece ?? '<unk>';
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: [...added.values()]
      .sort((a, b) => a.id - b.id)
      .map((t) => ({
        id: t.id,
        content: t.content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: t.special,
      })),
    normalizer: model.addDummyPrefix
      ? {
          type: 'Sequence',
          normalizers: [
            { type: 'Prepend', prepend: '▁' },
            { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
          ],
        }
      : { type: 'Replace', pattern: { String: ' ' }, content: '▁' },
    pre_tokenizer: null,
    post_processor: null,
    decoder: {
      type: 'Sequence',
      decoders: [
        { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
        { type: 'ByteFallback' },
        { type: 'Fuse' },
        ...(model.addDummyPrefix ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : []),
      ],
    },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: unknown,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: true,
      byte_fallback: model.byteFallback,
      ignore_merges: false,
      vocab,
      merges: ordered.map(({ merge }) => `${merge[0]} ${merge[1]}`),
    },
  };
}

/**
 * The SentencePiece pieces of a SentencePiece-style BPE tokenizer.json (Llama/InternLM2 layout):
 * `<unk>` unknown, `<s>`/`</s>` control, `<0xNN>` bytes, other pieces scored by rank (−id), which
 * is the order their merges are learned in. For writing synthetic `tokenizer.model` files.
 */
export function sentencePieceFromTokenizerJson(
  json: { model: { vocab: Record<string, number> } },
  { addDummyPrefix }: { addDummyPrefix: boolean },
): SentencePieceModel {
  const pieces = Object.entries(json.model.vocab)
    .sort((a, b) => a[1] - b[1])
    .map(([piece, id]) => {
      const type: PieceType =
        piece === '<unk>'
          ? PieceType.UNKNOWN
          : piece === '<s>' || piece === '</s>'
            ? PieceType.CONTROL
            : /^<0x[0-9A-F]{2}>$/.test(piece)
              ? PieceType.BYTE
              : PieceType.NORMAL;
      return { piece, score: type === PieceType.NORMAL ? -id : 0, type };
    });
  return { pieces, modelType: 2, byteFallback: true, addDummyPrefix };
}
