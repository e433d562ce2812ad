import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const CHROMIUM_PATHS = [process.env.IVL_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

/** Path of the Chromium binary, or undefined when none is installed. */
export function findChromium() {
  return CHROMIUM_PATHS.find((path) => path && existsSync(path));
}

const TYPES = {
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.mjs': 'text/javascript',
  '.html': 'text/html',
};

/**
 * Bundles `entry` (a module whose default export is `async (fixtureUrl) => result`) for the browser,
 * serves it with `files` from 127.0.0.1 under COOP/COEP (so threaded wasm works), runs it in
 * headless Chromium and returns the JSON result. Console errors of the page are appended to failures.
 *
 * `directories` serves whole folders (e.g. `{ 'ort/': onnxruntime-web's dist }` for its .wasm files).
 * @param {{ entry: string, files?: Record<string, string>, directories?: Record<string, string>, webgpu?: boolean, timeoutMs?: number }} options
 */
export async function runInChromium({
  entry,
  files = {},
  directories = {},
  webgpu = false,
  timeoutMs = 120_000,
}) {
  const executablePath = findChromium();
  if (!executablePath) {
    throw new Error(
      'Chromium not found. Install it (apt-get install -y chromium) or set IVL_CHROMIUM to its path.',
    );
  }
  const bundle = await build({
    stdin: {
      contents: `import run from ${JSON.stringify(entry)}; window.__ivlRun = run;`,
      resolveDir: process.cwd(),
      loader: 'js',
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    define: { __PACKAGE_VERSION__: '"0.0.0-test"' },
    // Node built-ins that browser-ready packages only touch in Node (XGrammar's Emscripten loader):
    // left out, as Vite leaves them out of browser builds.
    external: ['url', 'module', 'fs', 'path', 'crypto', 'node:*'],
    logLevel: 'silent',
  });
  const script = bundle.outputFiles[0].text;
  const server = createServer((request, response) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
    };
    const path = decodeURIComponent(new URL(request.url, 'http://x').pathname);
    if (path === '/') {
      response.writeHead(200, { ...headers, 'Content-Type': 'text/html' });
      response.end('<!doctype html><meta charset="utf-8"><script type="module" src="/bundle.js"></script>');
    } else if (path === '/bundle.js') {
      response.writeHead(200, { ...headers, 'Content-Type': 'text/javascript' });
      response.end(script);
    } else if (Object.keys(directories).some((prefix) => path.startsWith(`/${prefix}`))) {
      const prefix = Object.keys(directories).find((p) => path.startsWith(`/${p}`));
      const file = join(directories[prefix], path.slice(prefix.length + 1).replaceAll('..', ''));
      if (existsSync(file)) {
        response.writeHead(200, {
          ...headers,
          'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
        });
        response.end(readFileSync(file));
      } else {
        response.writeHead(404, headers);
        response.end();
      }
    } else if (path.startsWith('/files/') && files[path.slice(7)]) {
      const file = files[path.slice(7)];
      response.writeHead(200, {
        ...headers,
        'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
      });
      response.end(readFileSync(file));
    } else {
      response.writeHead(404, headers);
      response.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  const args = [
    '--headless',
    '--no-sandbox',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    '--disable-dev-shm-usage',
  ];
  if (webgpu)
    args.push('--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-webgpu-adapter=swiftshader');
  const browser = await chromium.launch({ executablePath, args, timeout: timeoutMs });
  try {
    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (error) => errors.push(String(error)));
    if (process.env.IVL_BROWSER_LOG)
      page.on('console', (message) => console.log(`[browser] ${message.text()}`));
    await page.goto(`http://127.0.0.1:${port}/`, { timeout: timeoutMs });
    await page.waitForFunction(() => typeof window.__ivlRun === 'function', undefined, {
      timeout: timeoutMs,
    });
    try {
      return await page.evaluate((base) => window.__ivlRun(base), `http://127.0.0.1:${port}/files/`);
    } catch (error) {
      throw new Error(`${error.message}${errors.length ? `\npage errors:\n${errors.join('\n')}` : ''}`);
    }
  } finally {
    await browser.close();
    server.close();
  }
}
