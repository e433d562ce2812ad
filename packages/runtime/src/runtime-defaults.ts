/** Every default of the runtime in one place; options documented as `@default` point here. */
export const RUNTIME_DEFAULTS = Object.freeze({
  /** Tile budget of one chat call, shared by its images (spec §1.3). */
  maxTiles: 12,
  /** Frames sampled from each video. */
  videoFrames: 8,
  /** Answer length when neither the call nor generation_config.json sets one. */
  maxNewTokens: 1024,
  /** Tiles per vision-encoder run on a GPU (WebGPU, CUDA): fewer, larger runs. */
  microBatchSize: 4,
  /**
   * Tiles per vision-encoder run on a CPU (Node's `cpu`, the web's `wasm`): four at once ran no
   * faster there (InternVL2.5-1B, 2 threads: 3.2 s a tile either way) and held four tiles'
   * activations, 580 MB more at the 1B's shape for the session's life.
   */
  cpuMicroBatchSize: 1,
  /**
   * Bytes of encoded media kept for reuse: 256 MiB holds about 280 tiles at the 1B's hidden size
   * (256 rows · 896 · 4 bytes = 0.9 MiB a tile), a few conversations' worth of images.
   */
  mediaCacheBytes: 256 * 1024 * 1024,
  /**
   * Conversations whose KV caches are kept between calls. Each holds its tokens' keys and values
   * (at the 1B's shape 24 KiB a token: ~60 MiB for a 2,400-token conversation with one image).
   */
  conversationSlots: 1,
});
