import { type LanguageModelV4, NoSuchModelError, type ProviderV4 } from '@ai-sdk/provider';
import { IvlLanguageModel, type RuntimeSource } from './ivl-language-model.js';

/** Settings of {@link createIvl}. */
export interface IvlProviderSettings {
  /**
   * The runtime that answers, or a function that loads it on first use (shared by every call),
   * e.g. `() => createRuntime({ model: 'hf:OpenGVLab/InternVL2_5-1B', backend: createNodeBackend() })`.
   */
  readonly runtime: RuntimeSource;
  /** The model id results report. @default 'internvl' */
  readonly modelId?: string;
}

/** An AI SDK provider over one ivl runtime: call it (or `.languageModel()`) for the language model. */
export interface IvlProvider extends ProviderV4 {
  (modelId?: string): LanguageModelV4;
  languageModel(modelId?: string): LanguageModelV4;
}

/**
 * The ivl provider for the Vercel AI SDK.
 *
 * @example
 * ```ts
 * const ivl = createIvl({ runtime: await createRuntime({ model, backend: createNodeBackend() }) });
 * const { text } = await generateText({ model: ivl(), messages: [{ role: 'user', content: [
 *   { type: 'file', mediaType: 'image/jpeg', data: await readFile('photo.jpg') },
 *   { type: 'text', text: 'Describe the image.' },
 * ] }] });
 * ```
 */
export function createIvl(settings: IvlProviderSettings): IvlProvider {
  let model: IvlLanguageModel | undefined;
  const languageModel = (modelId = settings.modelId ?? 'internvl') => {
    // One runtime holds one model: every id names it; the id is what results report.
    if (model?.modelId === modelId) return model;
    model = new IvlLanguageModel(modelId, settings.runtime);
    return model;
  };
  const noSuch = (modelType: 'embeddingModel' | 'imageModel') => (modelId: string) => {
    throw new NoSuchModelError({
      modelId,
      modelType,
      message: `ivl serves InternVL as a language model only; it has no ${modelType}.`,
    });
  };
  return Object.assign((modelId?: string) => languageModel(modelId), {
    specificationVersion: 'v4' as const,
    languageModel,
    embeddingModel: noSuch('embeddingModel'),
    imageModel: noSuch('imageModel'),
  });
}
