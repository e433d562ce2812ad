#!/usr/bin/env node
// Fails when a package imports another along an edge docs/DESIGN.md §1 forbids, imports a package it
// does not declare, imports onnxruntime outside the two backend packages, or is published while it
// depends on a private workspace package (npm could not install it).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

/** Which @ivl packages each library package may import from its (non-test) sources. */
const ALLOWED = {
  '@ivl/core': [],
  '@ivl/tiling': ['@ivl/core'],
  '@ivl/video': ['@ivl/core', '@ivl/tiling'],
  '@ivl/sampling': ['@ivl/core'],
  '@ivl/prompt': ['@ivl/core'],
  '@ivl/vision-encoder': ['@ivl/core'],
  '@ivl/projector': ['@ivl/core'],
  '@ivl/decoder': ['@ivl/core'],
  '@ivl/convert': ['@ivl/core'],
  '@ivl/backend-node': ['@ivl/core'],
  '@ivl/backend-web': ['@ivl/core'],
  '@ivl/eval': ['@ivl/core', '@ivl/runtime', '@ivl/tiling'],
  '@ivl/ai-sdk-provider': ['@ivl/runtime'],
  '@ivl/runtime': [
    '@ivl/core',
    '@ivl/tiling',
    '@ivl/video',
    '@ivl/sampling',
    '@ivl/prompt',
    '@ivl/vision-encoder',
    '@ivl/projector',
    '@ivl/decoder',
    '@ivl/convert',
  ],
};
const ONNXRUNTIME_ALLOWED = new Set(['@ivl/backend-node', '@ivl/backend-web']);

function* sourceFiles(dir) {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'dist' || entry === '__fixtures__') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) yield* sourceFiles(path);
    else if (/\.(m?ts|tsx|m?js)$/.test(entry) && !entry.endsWith('.d.ts')) yield path;
  }
}

function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || specifier.startsWith('/'))
    return undefined;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const IMPORT =
  /(?:^|[\s;])(?:import|export)\s[^'"`]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^import\s+['"]([^'"]+)['"]/gm;
const problems = [];
// Test files may use the workspace-wide test tools declared at the root.
const rootDevDependencies = new Set(
  Object.keys(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies ?? {}),
);
const workspaces = ['packages', 'apps', 'tooling'].flatMap((group) =>
  readdirSync(join(root, group)).map((name) => join(root, group, name)),
);
const privatePackages = new Set(
  workspaces.flatMap((dir) => {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      return manifest.private ? [manifest.name] : [];
    } catch {
      return [];
    }
  }),
);

for (const dir of workspaces) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  } catch {
    continue;
  }
  const name = manifest.name;
  const declared = new Set(
    ['dependencies', 'peerDependencies', 'devDependencies', 'optionalDependencies'].flatMap((field) =>
      Object.keys(manifest[field] ?? {}),
    ),
  );
  const runtimeDeclared = new Set(
    ['dependencies', 'peerDependencies', 'optionalDependencies'].flatMap((field) =>
      Object.keys(manifest[field] ?? {}),
    ),
  );
  if (!manifest.private) {
    for (const target of runtimeDeclared) {
      if (privatePackages.has(target))
        problems.push(`${relative(root, dir)}/package.json — published ${name} depends on private ${target}`);
    }
  }
  const srcDir = join(dir, 'src');
  let files = [];
  try {
    files = [...sourceFiles(srcDir)];
  } catch {
    continue;
  }
  for (const file of files) {
    const isTest = /\.(test|test-d|browser|bench)\.ts$/.test(file) || file.includes('/test-support/');
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const specifier = match[1] ?? match[2] ?? match[3];
      const target = packageOf(specifier);
      if (!target || target === name) continue;
      const where = `${relative(root, file)}: '${specifier}'`;
      if (!declared.has(target) && !(isTest && rootDevDependencies.has(target)))
        problems.push(`${where} — ${target} is not declared in ${name}'s package.json`);
      if (isTest) continue;
      if (!runtimeDeclared.has(target) && !manifest.private) {
        problems.push(
          `${where} — ${target} is only a devDependency of ${name} but is imported by published code`,
        );
      }
      if (target.startsWith('onnxruntime') && !ONNXRUNTIME_ALLOWED.has(name)) {
        problems.push(`${where} — only @ivl/backend-node and @ivl/backend-web may import onnxruntime`);
      }
      if (target.startsWith('@ivl/') && ALLOWED[name] && !ALLOWED[name].includes(target)) {
        problems.push(`${where} — ${name} may not import ${target} (docs/DESIGN.md §1)`);
      }
    }
  }
}

if (problems.length > 0) {
  console.error(`Import check failed:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  process.exit(1);
}
console.log(`Import check passed (${workspaces.length} workspace folders).`);
