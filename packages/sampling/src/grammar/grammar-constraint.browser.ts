// Runs inside headless Chromium (bundled by @ivl/browser-test); see grammar-constraint.browser.test.ts.
import { applyTokenBitmask } from '../logits-processors.js';
import { createGrammarEngine } from './grammar-constraint.js';
import { vocabularyFromTokenizerJson } from './grammar-vocabulary.js';

export default async function run(base: string) {
  const tokenizerJson = await (await fetch(`${base}tokenizer.json`)).json();
  const engine = await createGrammarEngine(
    vocabularyFromTokenizerJson(tokenizerJson, { vocabSize: 151674, stopTokenIds: [151645] }),
  );
  const vocab = tokenizerJson.model.vocab as Record<string, number>;
  const state = await (await engine.compile({ type: 'choice', choices: ['yes', 'no'] })).start();
  const logits = new Float32Array(151674).fill(1);
  applyTokenBitmask(logits, await state.nextBitmask());
  const allowed = [...logits.keys()].filter((id) => logits[id] === 1);
  const accepted = state.accept(vocab.yes!);
  const stopNext = new Float32Array(151674).fill(1);
  applyTokenBitmask(stopNext, await state.nextBitmask());
  return {
    allowsYes: allowed.includes(vocab.yes!),
    allowsMaybe: allowed.includes(vocab.maybe!),
    accepted,
    onlyStopAfter: [...stopNext.keys()].filter((id) => stopNext[id] === 1),
  };
}
