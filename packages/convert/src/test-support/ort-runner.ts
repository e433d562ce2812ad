// Runs converted models with the real onnxruntime-node (CPU) or onnxruntime-web (wasm, in Node),
// the two runtimes the issue names. Tests only: published code never imports onnxruntime here.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import * as ortWeb from 'onnxruntime-web';

export type Runtime = 'node' | 'web';
type Ort = typeof ortNode;

export interface Session {
  run(
    feeds: Record<string, { type: 'float32' | 'int64'; dims: number[]; data: Float32Array | BigInt64Array }>,
  ): Promise<Record<string, { dims: readonly number[]; data: Float32Array }>>;
  release(): Promise<void>;
}

export async function openSession(runtime: Runtime, path: string): Promise<Session> {
  const ort = (runtime === 'node' ? ortNode : ortWeb) as unknown as Ort;
  let session: ortNode.InferenceSession;
  if (runtime === 'node') {
    session = await ort.InferenceSession.create(path, { intraOpNumThreads: 2 });
  } else {
    (ortWeb.env.wasm as { numThreads: number }).numThreads = 1;
    const model = readFileSync(path);
    const externalData = ['', '_1', '_2']
      .map((suffix) => `${path.replace(/\.onnx$/, '')}.onnx_data${suffix}`)
      .flatMap((file) => {
        try {
          return [{ path: file.slice(dirname(file).length + 1), data: new Uint8Array(readFileSync(file)) }];
        } catch {
          return [];
        }
      });
    session = (await ortWeb.InferenceSession.create(new Uint8Array(model), {
      externalData,
    })) as unknown as ortNode.InferenceSession;
  }
  return {
    async run(feeds) {
      const inputs: Record<string, ortNode.Tensor> = {};
      for (const [name, value] of Object.entries(feeds))
        inputs[name] = new ort.Tensor(value.type, value.data, value.dims);
      const outputs = await session.run(inputs);
      return Object.fromEntries(
        Object.entries(outputs).map(([name, tensor]) => [
          name,
          { dims: tensor.dims, data: tensor.data as Float32Array },
        ]),
      );
    },
    release: () => session.release(),
  };
}

export function modelPath(directory: string, part: string, suffix = ''): string {
  return join(directory, 'onnx', `${part}${suffix}.onnx`);
}
