/**
 * Version of the `ivl.json` layout this code reads and writes. 2: every file of a part is listed
 * with its size and SHA-256 (1 named only the `.onnx` file).
 */
export const MODEL_FORMAT_VERSION = 2;

/**
 * LLM family of an InternVL checkpoint: `qwen2` (Qwen2 / Qwen2.5: InternVL 2.5 and 3), `internlm2`
 * (InternVL 2.5), `internlm3` (InternVL3-9B), `qwen3` (InternVL3.5 dense). The Qwen families share one
 * byte-level BPE tokenizer; the InternLM families use SentencePiece with a `<s>` prepended.
 */
export type LlmFamily = 'qwen2' | 'internlm2' | 'internlm3' | 'qwen3';

/** The LLM families this code reads, in one list for schemas and messages. */
export const LLM_FAMILIES: readonly LlmFamily[] = ['qwen2', 'internlm2', 'internlm3', 'qwen3'];

/** Whether a family's tokenizer is SentencePiece with `<s>` prepended (InternLM) rather than Qwen's byte-level BPE. */
export const usesSentencePiece = (family: LlmFamily): boolean =>
  family === 'internlm2' || family === 'internlm3';

/** Vision encoder of an InternVL checkpoint: InternViT-300M or InternViT-6B. */
export type VisionVariant = '300m' | '6b';

/**
 * Storage type of one converted model file: `fp32`; `fp16` (fp32 compute); `q8` / `q4`: linear
 * layers with 8- or 4-bit weights in blocks of 32 (onnxruntime's `MatMulNBits`); `int8`: linear
 * layers with 8-bit weights per output channel and activations quantized to 8 bits per token at
 * run time, multiplied by onnxruntime's integer GEMM (fast on CPUs with VNNI or AMX).
 */
export type ModelDtype = 'fp32' | 'fp16' | 'q8' | 'q4' | 'int8';

/** Every {@link ModelDtype}, in the order a model's default is picked from those it has. */
export const MODEL_DTYPES: readonly ModelDtype[] = ['fp32', 'fp16', 'q8', 'q4', 'int8'];

/** The parts of an ivl model directory, each an ONNX file under `onnx/`. */
export type ModelPart = 'vision_encoder' | 'projector' | 'embed_tokens' | 'decoder_model_merged';

/** One file of a model directory. */
export interface ModelFile {
  /** Relative to the model directory, `/`-separated, never leaving it. */
  readonly path: string;
  readonly bytes: number;
  /** Lower-case hex SHA-256 of the file's bytes. */
  readonly sha256: string;
}

/** The files of one part in one dtype: the graph and the external-data files its weights are in. */
export interface ModelPartFiles {
  readonly onnx: ModelFile;
  /** In the order the converter wrote them; the graph names each by its path relative to the `.onnx`. */
  readonly externalData: readonly ModelFile[];
}

/**
 * `ivl.json`: what the converter writes next to the ONNX files and the runtime reads first. It is
 * the only source of file names, sizes and hashes for stores, backends, progress and caches.
 */
export interface ModelManifest {
  readonly formatVersion: number;
  readonly family: LlmFamily;
  readonly vision: VisionVariant;
  /** Conversation template name, e.g. `internvl2_5`. */
  readonly template: string;
  readonly tileSizePx: number;
  /** Image tokens per tile (256 for InternVL 2.5). */
  readonly numImageToken: number;
  readonly normalization: { readonly mean: readonly number[]; readonly std: readonly number[] };
  readonly dims: {
    readonly visionHidden: number;
    readonly llmHidden: number;
    readonly layers: number;
    readonly heads: number;
    readonly kvHeads: number;
    readonly headDim: number;
    readonly vocabSize: number;
    readonly maxPositionEmbeddings: number;
  };
  readonly tokens: {
    readonly imgStart: number;
    readonly imgEnd: number;
    readonly imgContext: number;
    readonly imEnd: number;
    readonly bos?: number;
  };
  /** The checkpoint's own system message, when its config sets one (else the template's). */
  readonly systemMessage?: string;
  /**
   * How the decoder reads its past keys and values. `capacity`: the past inputs may be longer
   * than the cache (a buffer with room to grow; `attention_mask` says how many rows are valid),
   * and the new rows come out as `new_key_values.*` for the caller to append. Absent (models
   * converted before): past inputs are exactly the cache, and each present is a new, longer tensor.
   */
  readonly decoderPast?: 'capacity';
  /** The files of each part per dtype. */
  readonly files: Readonly<Record<ModelPart, Partial<Record<ModelDtype, ModelPartFiles>>>>;
}

/** Bytes of all files of a part. */
export function partBytes(files: ModelPartFiles): number {
  return files.externalData.reduce((sum, file) => sum + file.bytes, files.onnx.bytes);
}

/**
 * The backend source of a part, each file located by `locate(path)` (a path on disk, a URL, or
 * its bytes): the graph, and its external data under the names the graph gives them (paths
 * relative to the `.onnx` file's folder).
 */
export function partSource<T extends string | Uint8Array>(
  files: ModelPartFiles,
  locate: (file: ModelFile) => T,
): { readonly model: T; readonly externalData: readonly { readonly path: string; readonly data: T }[] } {
  const folder = files.onnx.path.includes('/')
    ? files.onnx.path.slice(0, files.onnx.path.lastIndexOf('/') + 1)
    : '';
  return {
    model: locate(files.onnx),
    externalData: files.externalData.map((file) => ({
      path: file.path.startsWith(folder) ? file.path.slice(folder.length) : file.path,
      data: locate(file),
    })),
  };
}
