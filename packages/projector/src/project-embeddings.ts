import { type BackendSession, ShapeMismatchError, type Tensor } from '@ivl/core';

/** Options of {@link projectEmbeddings}. */
export interface ProjectEmbeddingsOptions {
  readonly signal?: AbortSignal;
  /** @default 'vision_features', 'image_embeds' */
  readonly inputName?: string;
  readonly outputName?: string;
}

/**
 * Runs the projector (pixel shuffle v2 + mlp1): vision features [N, 1024, C] → image embeddings
 * [N, 256, D], ready to scatter into the prompt's `<IMG_CONTEXT>` positions.
 */
export async function projectEmbeddings(
  session: BackendSession,
  features: Tensor<'float32'>,
  options: ProjectEmbeddingsOptions = {},
): Promise<Tensor<'float32'>> {
  const { signal, inputName = 'vision_features', outputName = 'image_embeds' } = options;
  const outputs = await session.run({ [inputName]: features }, { signal });
  const embeds = outputs[outputName] as Tensor<'float32'> | undefined;
  if (!embeds || 'kind' in embeds || embeds.dims.length !== 3) {
    throw new ShapeMismatchError({
      message: `The projector gave no [N, T, D] output "${outputName}".`,
      expectedDims: [features.dims[0] ?? -1, -1, -1],
      actualDims: embeds?.dims ?? [],
    });
  }
  return embeds;
}
