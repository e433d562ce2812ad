import {
  type BackendSession,
  ContextOverflowError,
  createTensor,
  type ModelManifest,
  type Tensor,
  throwIfAborted,
} from '@ivl/core';
import { projectEmbeddings } from '@ivl/projector';
import type { PromptMedia } from '@ivl/prompt';
import { type RgbImage, tileImage } from '@ivl/tiling';
import { encodeImages } from '@ivl/vision-encoder';
import { ByteLruCache } from './byte-lru-cache.js';
import { sha256Hex } from './content-hash.js';
import type { MediaLoader } from './media-loader.js';
import type { MediaItem } from './messages.js';

type PixelValues = Tensor<'float32'> | Tensor<'float16'>;

/** One `<img>` block of a prompt: an image, or one frame of a video. */
export interface MediaBlock {
  /**
   * What the block shows: SHA-256 of the decoded pixels, their size and the tile budget. Two
   * blocks with one key give the same embeddings, whatever path or URL they came from.
   */
  readonly key: string;
  readonly tiles: number;
  /** The tiles to encode; absent when the cache held the block's embeddings when it was prepared. */
  readonly pixelValues?: PixelValues;
}

/** The media of a prompt: its blocks in order, and what the prompt layout needs of each item. */
export interface PreparedMedia {
  readonly blocks: readonly MediaBlock[];
  readonly promptMedia: readonly PromptMedia[];
  /** Decoded size of each image, in order (grounding boxes are relative to it). */
  readonly imageSizes: readonly { readonly width: number; readonly height: number }[];
}

/** What {@link MediaEncoder.embed} did. */
export interface EmbeddedMedia {
  /** Image-embedding rows of the blocks asked for, in order: `[Σ tiles·numImageToken, D]`. */
  readonly rows: Float32Array;
  readonly encodedTiles: number;
  readonly cachedBlocks: number;
  readonly ms: number;
}

interface EncodedBlock {
  readonly rows: Float32Array;
  readonly tiles: number;
}

/** Settings of {@link createMediaEncoder}. */
export interface MediaEncoderSettings {
  readonly loader: MediaLoader;
  readonly manifest: ModelManifest;
  readonly visionEncoder: BackendSession;
  readonly projector: BackendSession;
  readonly microBatchSize: number;
  /** Budget of the embeddings cache in bytes. */
  readonly cacheBytes: number;
}

/** Decodes, tiles and encodes the media of prompts, keeping embeddings by content (LRU, bounded). */
export interface MediaEncoder {
  readonly cache: ByteLruCache<EncodedBlock>;
  /**
   * Decodes every item and finds its blocks' identities; tiles only what the cache lacks
   * (decoding is cheap next to encoding, and content is known only after it).
   */
  prepare(
    items: readonly MediaItem[],
    options: { imageTiles: number; videoFrames: number; signal?: AbortSignal },
  ): Promise<PreparedMedia>;
  /** Embedding rows of `blocks`, encoding in one batch those the cache does not hold. */
  embed(blocks: readonly MediaBlock[], signal?: AbortSignal): Promise<EmbeddedMedia>;
}

export function createMediaEncoder(settings: MediaEncoderSettings): MediaEncoder {
  const { loader, manifest } = settings;
  const cache = new ByteLruCache<EncodedBlock>(settings.cacheBytes);
  const tiling = {
    tileSizePx: manifest.tileSizePx,
    mean: manifest.normalization.mean,
    std: manifest.normalization.std,
  };

  const block = async (
    kind: string,
    image: RgbImage,
    maxTiles: number,
    tile: () => PixelValues,
    seen: Map<string, MediaBlock>,
  ): Promise<MediaBlock> => {
    const key = `${kind}:${await sha256Hex(image.data)}:${image.width}x${image.height}:${maxTiles}`;
    const cached = cache.peek(key);
    if (cached) return { key, tiles: cached.tiles };
    // The same picture twice in one prompt is tiled (and later encoded) once.
    const earlier = seen.get(key);
    if (earlier) return earlier;
    const pixelValues = tile();
    const prepared = { key, tiles: pixelValues.dims[0]!, pixelValues };
    seen.set(key, prepared);
    return prepared;
  };

  return {
    cache,
    async prepare(items, options) {
      const blocks: MediaBlock[] = [];
      const promptMedia: PromptMedia[] = [];
      const seen = new Map<string, MediaBlock>();
      const imageSizes: { width: number; height: number }[] = [];
      for (const item of items) {
        throwIfAborted(options.signal);
        if (item.kind === 'image') {
          const image = await loader.image(item.source, options.signal);
          const maxTiles = item.maxTiles ?? options.imageTiles;
          const prepared = await block(
            'image',
            image,
            maxTiles,
            () => tileImage(image, { ...tiling, maxTiles }).pixelValues,
            seen,
          );
          blocks.push(prepared);
          promptMedia.push({ kind: 'image', tiles: prepared.tiles });
          imageSizes.push({ width: image.width, height: image.height });
          continue;
        }
        // Video frames take the images' path: one tile each (the official load_video's max_num=1).
        const frames = item.frames ?? options.videoFrames;
        const contextTokens = manifest.dims.maxPositionEmbeddings;
        if (frames * manifest.numImageToken > contextTokens) {
          // Checked before decoding anything: each frame is a block of numImageToken tokens.
          throw new ContextOverflowError({
            neededTokens: frames * manifest.numImageToken,
            limitTokens: contextTokens,
            hint: `A video of ${frames} frames alone needs ${frames * manifest.numImageToken} image tokens. Ask for at most ${Math.floor(contextTokens / manifest.numImageToken) - 1} frames (InternVL uses 8–32).`,
          });
        }
        const video = await loader.video(item.source, {
          frames,
          ...(options.signal && { signal: options.signal }),
        });
        for await (const frame of video.frames) {
          blocks.push(
            await block(
              'frame',
              frame.image,
              1,
              () =>
                tileImage(frame.image, { ...tiling, maxTiles: 1, maxPixels: Number.POSITIVE_INFINITY })
                  .pixelValues,
              seen,
            ),
          );
        }
        promptMedia.push({ kind: 'video', frames: video.indices.length });
      }
      return { blocks, promptMedia, imageSizes };
    },

    async embed(blocks, signal) {
      const started = performance.now();
      // Take what the cache holds before adding anything: new entries may evict these.
      const found = blocks.map((item) => cache.get(item.key));
      const missing = blocks.filter((_, index) => !found[index]);
      const encoded = new Map<string, EncodedBlock>();
      let encodedTiles = 0;
      if (missing.length > 0) {
        const unique = [...new Map(missing.map((item) => [item.key, item])).values()];
        const pixelValues = concatPixelValues(unique.map((item) => item.pixelValues!));
        const features = await encodeImages(settings.visionEncoder, pixelValues, {
          microBatchSize: settings.microBatchSize,
          ...(signal && { signal }),
        });
        const embeds = await projectEmbeddings(settings.projector, features, { ...(signal && { signal }) });
        const rowsPerTile = embeds.data.length / pixelValues.dims[0]!;
        let offset = 0;
        for (const item of unique) {
          // A copy per block, so an evicted block does not keep its batch's buffer alive.
          const rows = embeds.data.slice(offset, offset + item.tiles * rowsPerTile);
          offset += rows.length;
          const entry = { rows, tiles: item.tiles };
          encoded.set(item.key, entry);
          cache.set(item.key, entry, rows.byteLength);
        }
        encodedTiles = pixelValues.dims[0]!;
      }
      const parts = blocks.map((item, index) => found[index] ?? encoded.get(item.key)!);
      const rows = new Float32Array(parts.reduce((sum, part) => sum + part.rows.length, 0));
      let offset = 0;
      for (const part of parts) {
        rows.set(part.rows, offset);
        offset += part.rows.length;
      }
      return {
        rows,
        encodedTiles,
        cachedBlocks: blocks.length - missing.length,
        ms: performance.now() - started,
      };
    },
  };
}

function concatPixelValues(parts: readonly PixelValues[]): PixelValues {
  if (parts.length === 1) return parts[0]!;
  const first = parts[0]!;
  const data = new (first.dtype === 'float16' ? Uint16Array : Float32Array)(
    parts.reduce((sum, part) => sum + part.data.length, 0),
  );
  let offset = 0;
  for (const part of parts) {
    data.set(part.data, offset);
    offset += part.data.length;
  }
  const dims = [parts.reduce((sum, part) => sum + part.dims[0]!, 0), ...first.dims.slice(1)];
  return first.dtype === 'float16'
    ? createTensor('float16', dims, data as Uint16Array)
    : createTensor('float32', dims, data as Float32Array);
}
