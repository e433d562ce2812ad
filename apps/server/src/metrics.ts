import type { Runtime } from '@ivl/runtime';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Admission } from './admission.js';

/** The server's Prometheus metrics, in a registry of its own (no process-global state). */
export function createMetrics(runtime: Runtime, admission: Admission) {
  const registry = new Registry();
  const requests = new Counter({
    name: 'ivl_requests_total',
    help: 'HTTP requests answered, by route and status.',
    labelNames: ['route', 'status'] as const,
    registers: [registry],
  });
  const promptTokens = new Counter({
    name: 'ivl_prompt_tokens_total',
    help: 'Prompt tokens of answered requests.',
    registers: [registry],
  });
  const reusedTokens = new Counter({
    name: 'ivl_prompt_tokens_reused_total',
    help: 'Prompt tokens taken from a kept KV cache instead of computed.',
    registers: [registry],
  });
  const completionTokens = new Counter({
    name: 'ivl_completion_tokens_total',
    help: 'Generated tokens.',
    registers: [registry],
  });
  const encodedTiles = new Counter({
    name: 'ivl_encoded_tiles_total',
    help: 'Image tiles run through the vision encoder.',
    registers: [registry],
  });
  const timeToFirstToken = new Histogram({
    name: 'ivl_time_to_first_token_seconds',
    help: 'From the request arriving to its first generated token.',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const decodeSpeed = new Histogram({
    name: 'ivl_decode_tokens_per_second',
    help: 'Decode speed of each answered request.',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
    registers: [registry],
  });
  new Gauge({
    name: 'ivl_requests_running',
    help: 'Requests admitted now.',
    registers: [registry],
    collect() {
      this.set(admission.active);
    },
  });
  new Gauge({
    name: 'ivl_queue_depth',
    help: 'Requests waiting to be admitted now.',
    registers: [registry],
    collect() {
      this.set(admission.waiting);
    },
  });
  new Gauge({
    name: 'ivl_media_cache_hits',
    help: 'Image blocks whose embeddings came from the media cache (since start).',
    registers: [registry],
    collect() {
      this.set(runtime.stats.mediaCacheHits);
    },
  });
  new Gauge({
    name: 'ivl_media_cache_bytes',
    help: 'Bytes of embeddings in the media cache now.',
    registers: [registry],
    collect() {
      this.set(runtime.stats.mediaCacheBytes);
    },
  });
  return {
    registry,
    requests,
    promptTokens,
    reusedTokens,
    completionTokens,
    encodedTiles,
    timeToFirstToken,
    decodeSpeed,
  };
}

export type ServerMetrics = ReturnType<typeof createMetrics>;
