// Read bandwidth with N threads: each worker memcmp's two equal 256 MiB buffers (Buffer.compare,
// a vectorised native loop that only reads), all at once; the median of 5 rounds.
import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import { median } from './prompt-ids.mjs';

const BYTES = 256 * 1024 * 1024;

export async function readBandwidth(threads) {
  const workers = Array.from({ length: threads }, () => new Worker(new URL(import.meta.url)));
  const round = () => Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
  await round();
  const times = [];
  for (let r = 0; r < 5; r++) {
    const started = performance.now();
    const done = round();
    for (const worker of workers) worker.postMessage('read');
    await done;
    times.push((performance.now() - started) / 1000);
  }
  await Promise.all(workers.map((w) => w.terminate()));
  return (threads * 2 * BYTES) / median(times);
}

if (!isMainThread) {
  const a = Buffer.alloc(BYTES, 1);
  const b = Buffer.alloc(BYTES, 1);
  parentPort.postMessage('ready');
  parentPort.on('message', () => parentPort.postMessage(Buffer.compare(a, b)));
}
