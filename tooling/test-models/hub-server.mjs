import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, relative } from 'node:path';

/**
 * A local HTTP server that serves checkpoint folders in the Hugging Face Hub's URL layout, as far
 * as `@huggingface/hub` reads it: `GET /api/models/<repo>/revision/<rev>` (the commit),
 * `GET /api/models/<repo>/tree/<commit>?recursive=true` (files with sizes, LFS sha256 for
 * `*.safetensors`, git blob hashes for the rest) and `GET /<repo>/resolve/<commit>/<path>` with
 * byte ranges. Point a client at it with `HF_ENDPOINT` or `hubUrl`. Only for tests, on 127.0.0.1.
 *
 * @param {{
 *   repos: Record<string, string>,
 *   token?: string,
 *   cutOnce?: { path: string, afterBytes: number },
 * }} options repos: `owner/name` → a checkpoint folder; token: required as a bearer token when set;
 *   cutOnce: the first download of `path` stops after that many bytes (a dropped connection)
 * @returns {Promise<{ url: string, requests: { method: string, url: string, range?: string }[], commitOf: (repo: string) => string, close: () => Promise<void> }>}
 */
export async function startHubServer({ repos, token, cutOnce }) {
  const snapshots = new Map();
  for (const [repo, folder] of Object.entries(repos)) {
    const files = listFolder(folder).map((path) => {
      const bytes = readFileSync(join(folder, path));
      const lfs = path.endsWith('.safetensors');
      const blobHash = createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
      return {
        path,
        bytes,
        entry: {
          type: 'file',
          path,
          size: bytes.length,
          oid: blobHash,
          ...(lfs && {
            lfs: {
              oid: createHash('sha256').update(bytes).digest('hex'),
              size: bytes.length,
              pointerSize: 134,
            },
          }),
        },
      };
    });
    const commit = createHash('sha1')
      .update(files.map((file) => `${file.path}:${file.entry.oid}`).join('\n'))
      .digest('hex');
    snapshots.set(repo, { commit, files });
  }
  const requests = [];
  let cut = cutOnce;

  const server = createServer((request, response) => {
    const url = new URL(request.url, 'http://hub.local');
    requests.push({
      method: request.method,
      url: url.pathname,
      ...(request.headers.range && { range: request.headers.range }),
    });
    const json = (status, body) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (token && request.headers.authorization !== `Bearer ${token}`) {
      json(401, { error: 'Invalid credentials in Authorization header' });
      return;
    }
    const api = url.pathname.match(/^\/api\/models\/([^/]+\/[^/]+)\/(revision|tree)\/([^/?]+)/);
    if (api) {
      const [, repo, kind, revision] = api;
      const snapshot = snapshots.get(repo);
      if (!snapshot || (revision !== 'main' && revision !== snapshot.commit)) {
        json(404, { error: 'Repository not found' });
        return;
      }
      if (kind === 'revision') {
        json(200, { _id: repo, id: repo, sha: snapshot.commit, private: false, downloads: 0, likes: 0 });
      } else {
        const directories = [
          ...new Set(snapshot.files.filter((f) => f.path.includes('/')).map((f) => f.path.split('/')[0])),
        ];
        json(200, [
          ...directories.map((path) => ({ type: 'directory', path, size: 0, oid: '0'.repeat(40) })),
          ...snapshot.files.map((file) => file.entry),
        ]);
      }
      return;
    }
    const resolved = url.pathname.match(/^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/);
    const snapshot = resolved && snapshots.get(resolved[1]);
    const file =
      snapshot &&
      snapshot.commit === resolved[2] &&
      snapshot.files.find((f) => f.path === decodeURIComponent(resolved[3]));
    if (!file) {
      response.writeHead(404, { 'x-error-code': 'EntryNotFound' });
      response.end('Entry not found');
      return;
    }
    const { bytes } = file;
    const range = request.headers.range?.match(/^bytes=(\d+)-(\d*)$/);
    const start = range ? Number(range[1]) : 0;
    const end = range?.[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
    const body = bytes.subarray(start, end + 1);
    response.writeHead(range ? 206 : 200, {
      'content-type': 'application/octet-stream',
      'content-length': body.length,
      etag: `"${file.entry.lfs?.oid ?? file.entry.oid}"`,
      'accept-ranges': 'bytes',
      ...(range && { 'content-range': `bytes ${start}-${end}/${bytes.length}` }),
    });
    if (cut && cut.path === file.path && body.length > cut.afterBytes) {
      cut = undefined;
      response.write(body.subarray(0, cutOnce.afterBytes), () => response.destroy());
      return;
    }
    response.end(body);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    commitOf: (repo) => snapshots.get(repo).commit,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function listFolder(folder, base = folder) {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    return statSync(path).isDirectory() ? listFolder(path, base) : [relative(base, path)];
  });
}
