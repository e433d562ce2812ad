#!/usr/bin/env node
// Sums every package's vitest JSON report into one closing line: "tests: N passed, N failed, N skipped".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
const lines = [];
for (const group of ['packages', 'apps', 'tooling']) {
  for (const name of readdirSync(join(root, group))) {
    const report = join(root, group, name, '.cache', 'vitest-report.json');
    if (!existsSync(report)) continue;
    const data = JSON.parse(readFileSync(report, 'utf8'));
    passed += data.numPassedTests;
    failed += data.numFailedTests + (data.numFailedTestSuites ?? 0);
    skipped += data.numPendingTests + (data.numTodoTests ?? 0);
    lines.push(
      `  ${group}/${name}: ${data.numPassedTests} passed, ${data.numFailedTests} failed, ${data.numPendingTests} skipped`,
    );
  }
}
console.log(lines.join('\n'));
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
