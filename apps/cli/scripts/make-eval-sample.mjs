#!/usr/bin/env node
// Writes assets/eval-sample.tsv: a small multiple-choice set in VLMEvalKit's TSV layout, with
// synthetic pictures (coloured shapes drawn here) and questions about them, so that `ivl eval`
// runs out of the box. Deterministic: the same file every time.
import { writeFileSync } from 'node:fs';
import sharp from 'sharp';

const COLOURS = [
  ['red', '#e53935'],
  ['green', '#43a047'],
  ['blue', '#1e88e5'],
  ['yellow', '#fdd835'],
];
const picture = async (shapes) =>
  (
    await sharp(
      Buffer.from(
        `<svg xmlns="http://www.w3.org/2000/svg" width="224" height="224"><rect width="224" height="224" fill="#fafafa"/>${shapes}</svg>`,
      ),
    )
      .png()
      .toBuffer()
  ).toString('base64');

const rows = [];
let index = 0;
for (const [name, hex] of COLOURS) {
  for (const shape of ['square', 'circle']) {
    const drawn =
      shape === 'square'
        ? `<rect x="56" y="56" width="112" height="112" fill="${hex}"/>`
        : `<circle cx="112" cy="112" r="60" fill="${hex}"/>`;
    const answer = 'ABCD'[COLOURS.findIndex(([n]) => n === name)];
    rows.push({
      index: index++,
      question: `What colour is the ${shape} in the image?`,
      A: 'red',
      B: 'green',
      C: 'blue',
      D: 'yellow',
      answer,
      category: 'colour',
      hint: '',
      image: await picture(drawn),
    });
  }
}
for (const count of [1, 2, 3, 4]) {
  const circles = Array.from(
    { length: count },
    (_, i) => `<circle cx="${40 + i * 48}" cy="112" r="18" fill="#1e88e5"/>`,
  ).join('');
  rows.push({
    index: index++,
    question: 'How many circles are there?',
    A: '1',
    B: '2',
    C: '3',
    D: '4',
    answer: 'ABCD'[count - 1],
    category: 'count',
    hint: 'Count every circle.',
    image: await picture(circles),
  });
}
const columns = ['index', 'question', 'hint', 'A', 'B', 'C', 'D', 'answer', 'category', 'image'];
const tsv = [
  columns.join('\t'),
  ...rows.map((row) => columns.map((column) => String(row[column] ?? '')).join('\t')),
].join('\n');
writeFileSync(new URL('../assets/eval-sample.tsv', import.meta.url), `${tsv}\n`);
console.log(`wrote assets/eval-sample.tsv: ${rows.length} questions`);
