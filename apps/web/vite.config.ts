import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, normalize, resolve } from 'node:path';
import type { Connect, Plugin } from 'vite';
import { defineConfig } from 'vite';

// Cross-origin isolation: SharedArrayBuffer, hence multi-threaded wasm. Pages served without these
// headers still work, single-threaded.
const ISOLATION = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

const ortDist = dirname(createRequire(import.meta.url).resolve('onnxruntime-web'));
// The model the app offers first: the tiny demo model `npm run make-model` writes, or another
// ivl model directory named by IVL_WEB_MODEL (the end-to-end test serves the test model so).
const modelDir = resolve(process.env.IVL_WEB_MODEL ?? join(import.meta.dirname, '.cache/models/tiny'));

/** Every request for a model file, for the end-to-end test (GET /__ivl/requests). */
const modelRequests: string[] = [];

function serveFolder(prefix: string, folder: string): Connect.NextHandleFunction {
  return (request, response, next) => {
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    if (!path.startsWith(prefix)) return next();
    const file = normalize(join(folder, path.slice(prefix.length)));
    if (!file.startsWith(folder) || !existsSync(file) || !statSync(file).isFile()) return next();
    if (prefix === '/models/tiny/') modelRequests.push(path);
    // These middlewares answer before Vite's own, which add the configured headers.
    for (const [name, value] of Object.entries(ISOLATION)) response.setHeader(name, value);
    response.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    response.setHeader('Content-Length', statSync(file).size);
    response.setHeader(
      'Content-Type',
      file.endsWith('.wasm')
        ? 'application/wasm'
        : file.endsWith('.mjs')
          ? 'text/javascript'
          : 'application/octet-stream',
    );
    createReadStream(file).pipe(response);
  };
}

function ivlAssets(): Plugin {
  const middlewares = (use: (handler: Connect.NextHandleFunction) => void) => {
    use((request, response, next) => {
      if (request.url !== '/__ivl/requests') return next();
      response.setHeader('Content-Type', 'application/json');
      response.end(JSON.stringify(modelRequests));
    });
    use(serveFolder('/models/tiny/', modelDir));
    use(serveFolder('/ort/', ortDist));
  };
  return {
    name: 'ivl-assets',
    configureServer: (server) => middlewares((handler) => server.middlewares.use(handler)),
    configurePreviewServer: (server) => middlewares((handler) => server.middlewares.use(handler)),
    // onnxruntime-web's wasm binaries and their loaders, fetched at run time from /ort/.
    generateBundle() {
      for (const name of readdirSync(ortDist).filter((n) => /^ort-wasm.*\.(wasm|mjs)$/.test(n))) {
        this.emitFile({ type: 'asset', fileName: `ort/${name}`, source: readFileSync(join(ortDist, name)) });
      }
    },
  };
}

export default defineConfig({
  plugins: [ivlAssets()],
  server: { headers: ISOLATION },
  preview: { headers: ISOLATION },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 2048 },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
});
