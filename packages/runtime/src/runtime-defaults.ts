/** Every default of the runtime in one place; options documented as `@default` point here. */
export const RUNTIME_DEFAULTS = Object.freeze({
  /** Tile budget of one chat call, shared by its images (spec §1.3). */
  maxTiles: 12,
  /** Frames sampled from each video. */
  videoFrames: 8,
  /** Answer length when neither the call nor generation_config.json sets one. */
  maxNewTokens: 1024,
  /** Tiles per vision-encoder run. */
  microBatchSize: 4,
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
