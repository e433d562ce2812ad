/** Version of the `ivl.json` layout this code reads and writes. */
export const MODEL_FORMAT_VERSION = 1;

/** LLM family of an InternVL checkpoint. */
export type LlmFamily = 'qwen2' | 'internlm2';

/** Vision encoder of an InternVL checkpoint: InternViT-300M or InternViT-6B. */
export type VisionVariant = '300m' | '6b';

/** Storage type of one converted model file. */
export type ModelDtype = 'fp32' | 'fp16' | 'q8' | 'q4';

/** The parts of an ivl model directory, each an ONNX file under `onnx/`. */
export type ModelPart = 'vision_encoder' | 'projector' | 'embed_tokens' | 'decoder_model_merged';

/**
 * `ivl.json`: what the converter writes next to the ONNX files and the runtime reads first.
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
  /** The ONNX file of each part per dtype, relative to the model directory. */
  readonly files: Readonly<Record<ModelPart, Partial<Record<ModelDtype, string>>>>;
}
