export type { Decoder, DecoderSettings, PrefillOptions } from './create-decoder.js';
export { createDecoder } from './create-decoder.js';
export { KvCache } from './kv-cache.js';
