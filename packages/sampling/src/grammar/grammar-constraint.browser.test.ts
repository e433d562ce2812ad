import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findChromium, runInChromium } from '@ivl/browser-test';
import { internvlQwen2Tokenizer } from '@ivl/synthetic-tokenizers';
import { afterAll, describe, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'ivl-grammar-browser-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe.runIf(findChromium() !== undefined || process.env.CI)(
  'the grammar engine in headless Chromium',
  () => {
    it('should load XGrammar in the page and mask to a choice, then to the stop token', async () => {
      const tokenizer = join(root, 'tokenizer.json');
      writeFileSync(tokenizer, JSON.stringify(internvlQwen2Tokenizer().json));
      const result = await runInChromium<{
        allowsYes: boolean;
        allowsMaybe: boolean;
        accepted: boolean;
        onlyStopAfter: number[];
      }>({
        entry: fileURLToPath(new URL('./grammar-constraint.browser.ts', import.meta.url)),
        files: { 'tokenizer.json': tokenizer },
        timeoutMs: 120_000,
      });
      expect(result).toEqual({
        allowsYes: true,
        allowsMaybe: false,
        accepted: true,
        onlyStopAfter: [151645],
      });
    }, 180_000);
  },
);
