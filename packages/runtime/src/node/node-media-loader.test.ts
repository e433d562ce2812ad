import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ImageDecodeError } from '@ivl/core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveFetchPolicy } from '../fetch-policy.js';
import { refusedAddress } from './fetch-media.js';
import { createNodeMediaLoader } from './node-media-loader.js';

const root = mkdtempSync(join(tmpdir(), 'ivl-fetch-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function failure(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(ImageDecodeError.isInstance(error), String(error)).toBe(true);
  return (error as Error).message;
}

describe('the Node media loader against a local HTTP server on 127.0.0.1', () => {
  let server: Server;
  let base: string;
  let png: Buffer;
  let hugeBytesSent = 0;
  beforeAll(async () => {
    png = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } })
      .png()
      .toBuffer();
    server = createServer((request, response) => {
      const path = new URL(request.url!, 'http://x').pathname;
      if (path === '/ok.png') response.writeHead(200, { 'content-type': 'image/png' }).end(png);
      else if (path === '/error.png') response.writeHead(500, { 'content-type': 'image/png' }).end(png);
      else if (path === '/huge-declared')
        response.writeHead(200, { 'content-length': String(1.5 * 2 ** 30) }).end();
      else if (path === '/huge-stream') {
        // No content-length: 1 MiB chunks until the client hangs up (bounded to 64 MiB).
        response.writeHead(200);
        const chunk = Buffer.alloc(2 ** 20, 7);
        const send = () => {
          while (hugeBytesSent < 64 * 2 ** 20) {
            hugeBytesSent += chunk.length;
            if (!response.write(chunk)) return response.once('drain', send);
          }
          response.end();
        };
        response.on('close', () => undefined);
        send();
      } else if (path === '/slow') setTimeout(() => response.writeHead(200).end(png), 3000);
      else if (path.startsWith('/loop'))
        response.writeHead(302, { location: `/loop${Number(path.slice(5) || 0) + 1}` }).end();
      else if (path === '/redirect-ok') response.writeHead(301, { location: '/ok.png' }).end();
      else response.writeHead(404).end('not found');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const loopbackAllowed = createNodeMediaLoader({
    allowLoopback: true,
    timeoutMs: 1000,
    maxBytes: 4 * 2 ** 20,
  });

  it('should decode an image fetched over http, following a redirect', async () => {
    expect((await loopbackAllowed.image(`${base}/ok.png`)).width).toBe(8);
    expect((await loopbackAllowed.image(`${base}/redirect-ok`)).width).toBe(8);
  });

  it('should refuse loopback hosts by default, by address and by name (also at connect time)', async () => {
    const strict = createNodeMediaLoader();
    expect(await failure(strict.image(`${base}/ok.png`))).toMatch(
      /Could not read the image http:\/\/127\.0\.0\.1:\d+\/ok\.png: 127\.0\.0\.1 is a loopback address \(allowLoopback is off\)/,
    );
    const port = (server.address() as AddressInfo).port;
    // A name is refused by the address it resolves to, when connecting (no DNS-rebinding gap).
    expect(await failure(strict.image(`http://localhost:${port}/ok.png`))).toMatch(
      /localhost resolves to (127\.0\.0\.1|::1) is a loopback address/,
    );
  });

  it('should check the status: an HTTP 500 whose body is a PNG is refused, a 404 says 404', async () => {
    expect(await failure(loopbackAllowed.image(`${base}/error.png`))).toMatch(/the server answered HTTP 500/);
    expect(await failure(loopbackAllowed.image(`${base}/missing.png`))).toMatch(
      /the server answered HTTP 404/,
    );
  });

  it('should cap the bytes: a declared 1.5 GB body before reading, a streamed one as it passes the cap', async () => {
    expect(await failure(loopbackAllowed.image(`${base}/huge-declared`))).toMatch(
      /the body is 1610612736 bytes, over the limit of 4194304 bytes/,
    );
    const before = process.memoryUsage().rss;
    expect(await failure(loopbackAllowed.image(`${base}/huge-stream`))).toMatch(
      /the body passed the limit of 4194304 bytes/,
    );
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 2 ** 20);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(hugeBytesSent).toBeLessThan(64 * 2 ** 20);
  });

  it('should time out a slow answer, bound redirects, and name a refused connection', async () => {
    const started = performance.now();
    expect(await failure(loopbackAllowed.image(`${base}/slow`))).toMatch(/no complete answer within 1000 ms/);
    expect(performance.now() - started).toBeLessThan(2500);
    expect(await failure(loopbackAllowed.image(`${base}/loop`))).toMatch(/more than 3 redirects/);
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    expect(await failure(loopbackAllowed.image(`http://127.0.0.1:${port}/x.png`))).toMatch(
      /the connection was refused \(nothing listens there\)/,
    );
  });

  it('should bound data: URLs, refuse other schemes, and keep files inside fileRoots', async () => {
    const small = createNodeMediaLoader({ maxBytes: 10 });
    expect(await failure(small.image(`data:image/png;base64,${png.toString('base64')}`))).toMatch(
      /over the limit of 10 bytes/,
    );
    expect(
      (await createNodeMediaLoader().image(`data:image/png;base64,${png.toString('base64')}`)).height,
    ).toBe(8);
    expect(await failure(createNodeMediaLoader().image('ftp://example.com/x.png'))).toMatch(
      /ftp: URLs are not read/,
    );
    const allowed = join(root, 'uploads');
    mkdirSync(allowed);
    writeFileSync(join(allowed, 'a.png'), png);
    writeFileSync(join(root, 'secret.png'), png);
    const rooted = createNodeMediaLoader({ fileRoots: [allowed] });
    expect((await rooted.image(join(allowed, 'a.png'))).width).toBe(8);
    expect(await failure(rooted.image(join(allowed, '..', 'secret.png')))).toMatch(
      /outside the allowed folders/,
    );
    expect(await failure(rooted.image(`file://${join(root, 'secret.png')}`))).toMatch(
      /outside the allowed folders/,
    );
    expect(await failure(createNodeMediaLoader({ fileRoots: [] }).image(join(allowed, 'a.png')))).toMatch(
      /local files are not allowed here/,
    );
  });

  it('should refuse SVG, which the reference (Pillow) does not read', async () => {
    const svg = join(root, 'drawing.svg');
    writeFileSync(
      svg,
      '<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8"/></svg>',
    );
    expect(await failure(createNodeMediaLoader().image(svg))).toMatch(
      /is SVG, which InternVL's preprocessing \(Pillow\) does not read/,
    );
  });
});

describe('refusedAddress', () => {
  const strict = resolveFetchPolicy();
  it.each([
    ['127.0.0.1', /loopback/],
    ['::1', /loopback/],
    ['::ffff:127.0.0.1', /loopback/],
    ['10.1.2.3', /private/],
    ['172.20.0.1', /private/],
    ['192.168.1.1', /private/],
    ['169.254.169.254', /private/],
    ['100.64.0.1', /private/],
    ['0.0.0.0', /private/],
    ['fc00::1', /private/],
    ['fe80::1', /private/],
  ])('should refuse %s by default', (address, reason) => {
    expect(refusedAddress(address, strict)).toMatch(reason);
  });

  it('should allow public addresses, and loopback or private ones when the policy says so', () => {
    expect(refusedAddress('93.184.216.34', strict)).toBeUndefined();
    expect(refusedAddress('2606:4700::1111', strict)).toBeUndefined();
    expect(refusedAddress('127.0.0.1', resolveFetchPolicy({ allowLoopback: true }))).toBeUndefined();
    expect(refusedAddress('10.0.0.1', resolveFetchPolicy({ allowPrivate: true }))).toBeUndefined();
  });
});
