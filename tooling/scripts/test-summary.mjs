#!/usr/bin/env node
// Sums every package's vitest JSON report into one closing line: "tests: N passed, N failed, N skipped",
// plus the test files that failed without a failed test (an import or a beforeAll that threw).
// vitest's numFailedTestSuites counts describe blocks too, so it is not added to the tests.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
let skipped = 0;
let brokenFiles = 0;
const lines = [];
for (const group of ['packages', 'apps', 'tooling']) {
  for (const name of readdirSync(join(root, group))) {
    const report = join(root, group, name, '.cache', 'vitest-report.json');
    if (!existsSync(report)) continue;
    const data = JSON.parse(readFileSync(report, 'utf8'));
    passed += data.numPassedTests;
    failed += data.numFailedTests;
    skipped += data.numPendingTests + (data.numTodoTests ?? 0);
    const broken = (data.testResults ?? []).filter(
      (file) => file.status === 'failed' && !file.assertionResults.some((test) => test.status === 'failed'),
    );
    brokenFiles += broken.length;
    lines.push(
      `  ${group}/${name}: ${data.numPassedTests} passed, ${data.numFailedTests} failed, ${data.numPendingTests} skipped${broken.length > 0 ? `, ${broken.length} file(s) failed to run` : ''}`,
    );
  }
}
console.log(lines.join('\n'));
console.log(
  `tests: ${passed} passed, ${failed} failed, ${skipped} skipped${brokenFiles > 0 ? `, ${brokenFiles} file(s) failed to run` : ''}`,
);
process.exit(failed > 0 || brokenFiles > 0 || passed === 0 ? 1 : 0);
