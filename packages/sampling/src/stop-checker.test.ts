import { InvalidArgumentError } from '@ivl/core';
import { describe, expect, it } from 'vitest';
import { createStopChecker } from './stop-checker.js';

function run(checker: ReturnType<typeof createStopChecker>, pieces: [number, string][]) {
  let text = '';
  for (const [id, piece] of pieces) {
    const step = checker.push(id, piece);
    text += step.text;
    if (step.done) return { text, reason: step.reason };
  }
  return { text: text + checker.flush(), reason: undefined };
}

describe('createStopChecker', () => {
  it('should stop at an end-of-turn id without emitting it', () => {
    const checker = createStopChecker({ eosTokenIds: [151645] });
    expect(
      run(checker, [
        [1, 'Hello'],
        [2, ' world'],
        [151645, ''],
        [3, 'never'],
      ]),
    ).toEqual({ text: 'Hello world', reason: 'eos' });
  });

  it('should find a stop string that spans token boundaries and hold back its prefix meanwhile', () => {
    const checker = createStopChecker({ stopStrings: ['\nUser:'] });
    expect(checker.push(1, 'Fine.\nU').text).toBe('Fine.');
    expect(checker.push(2, 'se').text).toBe('');
    const last = checker.push(3, 'r: next');
    expect(last).toEqual({ text: '', done: true, reason: 'stop-string' });
  });

  it('should release held text once it can no longer start a stop string', () => {
    const checker = createStopChecker({ stopStrings: ['###'] });
    expect(checker.push(1, 'a #').text).toBe('a ');
    expect(checker.push(2, '# b').text).toBe('## b');
  });

  it('should cut at the earliest of several stop strings', () => {
    const checker = createStopChecker({ stopStrings: ['END', 'STOP'] });
    expect(run(checker, [[1, 'x STOP y END']])).toEqual({ text: 'x ', reason: 'stop-string' });
  });

  it('should stop after maxNewTokens, emitting held text', () => {
    const checker = createStopChecker({ maxNewTokens: 2, stopStrings: ['abc'] });
    expect(
      run(checker, [
        [1, 'x'],
        [2, 'ab'],
        [3, 'c'],
      ]),
    ).toEqual({ text: 'xab', reason: 'max-tokens' });
    expect(checker.tokenCount).toBe(2);
  });

  it('should refuse bad options and use after stop', () => {
    expect(() => createStopChecker({ maxNewTokens: 0 })).toThrow(InvalidArgumentError);
    expect(() => createStopChecker({ stopStrings: [''] })).toThrow(/non-empty/);
    const checker = createStopChecker({ eosTokenIds: [0] });
    checker.push(0, '');
    expect(() => checker.push(1, 'x')).toThrow(/already stopped/);
  });
});
