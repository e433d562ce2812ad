// The benchmarks' memory bound (the same probe for every bench that states one).
// Memory bandwidth with N threads, all at once, the median of 5 rounds of two ways, the higher
// taken (so the bound is never flattering to the figure under it): each worker either memcmp's
// two equal 256 MiB buffers (Buffer.compare: reads only) or memcpy's one into the other (counting
// the bytes read and written). Here the second is usually the higher.
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';

const BYTES = 256 * 1024 * 1024;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(threads, mode) {
  const workers = Array.from(
    { length: threads },
    () => new Worker(new URL(import.meta.url), { workerData: mode }),
  );
  const round = () => Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
  await round();
  const times = [];
  for (let r = 0; r < 5; r++) {
    const started = performance.now();
    const done = round();
    for (const worker of workers) worker.postMessage('go');
    await done;
    times.push((performance.now() - started) / 1000);
  }
  await Promise.all(workers.map((w) => w.terminate()));
  return (threads * 2 * BYTES) / median(times);
}

/** Bytes per second moved by `threads` threads at once. */
export async function memoryBandwidth(threads) {
  return Math.max(await measure(threads, 'compare'), await measure(threads, 'copy'));
}

if (!isMainThread) {
  const a = Buffer.alloc(BYTES, 1);
  const b = Buffer.alloc(BYTES, 1);
  parentPort.postMessage('ready');
  parentPort.on('message', () => {
    if (workerData === 'copy') b.set(a);
    parentPort.postMessage(workerData === 'copy' ? 0 : Buffer.compare(a, b));
  });
}
