import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

// Every value a package exports is named in its README's API table: a user reading the README
// meets the whole public surface (types are left to the .d.ts files).
const root = join(import.meta.dirname, '..', '..', '..');
const packages = readdirSync(join(root, 'packages')).filter((name) =>
  readFileSync(join(root, 'packages', name, 'README.md'), 'utf8').includes('\n## API'),
);

describe.each(packages)('the API table of packages/%s', (name) => {
  it('should name every exported value', async () => {
    const dir = join(root, 'packages', name);
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const readme = readFileSync(join(dir, 'README.md'), 'utf8');
    const api = readme.slice(readme.indexOf('\n## API'));
    const missing: string[] = [];
    for (const [subpath, target] of Object.entries(manifest.exports as Record<string, unknown>)) {
      if (subpath === './package.json') continue;
      const entry =
        (target as { import?: { default?: string }; default?: string }).import?.default ??
        (target as { default?: string }).default;
      if (!entry) continue;
      const module = await import(pathToFileURL(join(dir, entry)).href);
      for (const exported of Object.keys(module)) {
        if (!new RegExp(`\`[^\`]*\\b${exported}\\b`).test(api)) missing.push(`${subpath}: ${exported}`);
      }
    }
    expect(missing, `packages/${name}/README.md's API section does not name these exports`).toEqual([]);
  });
});
