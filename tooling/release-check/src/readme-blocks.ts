import { readFileSync } from 'node:fs';

/** The fenced blocks of a README section: `## Usage` → its ```ts/```js block, `## Install` → ```sh. */
export function sectionBlock(
  readme: string,
  heading: string,
  languages: readonly string[],
): string | undefined {
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) return undefined;
  const end = readme.indexOf('\n## ', start + 4);
  const section = readme.slice(start, end < 0 ? undefined : end);
  const fence = new RegExp(`\`\`\`(${languages.join('|')})\\n([\\s\\S]*?)\\n\`\`\``);
  return fence.exec(section)?.[2];
}

export const readReadme = (path: string) => readFileSync(path, 'utf8');

/**
 * What an example says it prints: the `// …` comment ending a `console.log` line, or on the line
 * right after one. Text after three spaces in the comment is a remark, not output.
 */
export function expectedOutputs(code: string): string[] {
  const lines = code.split('\n');
  const expected: string[] = [];
  lines.forEach((line, index) => {
    if (!line.includes('console.log(')) return;
    const trailing = /\);\s*\/\/ (.+)$/.exec(line)?.[1];
    const next = /^\s*\/\/ (.+)$/.exec(lines[index + 1] ?? '')?.[1];
    const comment = trailing ?? next;
    if (comment) expected.push(comment.split(/ {3,}/)[0]!.trim());
  });
  return expected;
}

/** Output compared without whitespace and with one kind of quote: Node's inspect wraps long values. */
export const normalized = (text: string) => text.replace(/\s+/g, '').replaceAll("'", '"');

/** The packages a block imports (bare specifiers, `node:` left out), by package name. */
export function importedPackages(code: string): string[] {
  const names = new Set<string>();
  const importFrom = /from\s+['"]([^'"]+)['"]/g;
  for (const match of code.matchAll(importFrom)) {
    const specifier = match[1]!;
    if (specifier.startsWith('node:') || specifier.startsWith('.')) continue;
    const parts = specifier.split('/');
    names.add(specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!);
  }
  return [...names];
}
