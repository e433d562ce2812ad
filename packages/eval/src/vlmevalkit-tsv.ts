import { InvalidArgumentError } from '@ivl/core';
import Papa from 'papaparse';
import type { McqQuestion } from './mcq-prompt.js';

/** A question of a VLMEvalKit multiple-choice TSV, with its images' bytes. */
export interface EvalItem extends McqQuestion {
  /** Encoded images (the `image` column's base64, one or a list), in order. */
  readonly images: readonly Uint8Array[];
}

const decodeBase64 = (text: string) => Uint8Array.from(atob(text.trim()), (c) => c.charCodeAt(0));

/** The `image` cell: base64, a Python list of base64 strings, or (≤ 64 characters) another row's index. */
function imageCells(cell: string): string[] {
  const trimmed = cell.trim();
  if (trimmed.startsWith('['))
    return [...trimmed.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => m[1] ?? m[2] ?? '');
  return trimmed ? [trimmed] : [];
}

/**
 * Reads a VLMEvalKit multiple-choice TSV (`index`, `question`, `A`…`I`, `answer`, `hint`,
 * `category`/`split`, `image`): options are the letter columns that are not empty; an `image`
 * cell of at most 64 characters names the row whose image it shares, as VLMEvalKit stores repeats.
 *
 * @throws {InvalidArgumentError} for a file without `index` and `question` columns, or an image
 *   reference to a row that does not exist
 */
export function readVlmEvalTsv(text: string): EvalItem[] {
  const parsed = Papa.parse<Record<string, string>>(text, {
    delimiter: '\t',
    header: true,
    skipEmptyLines: true,
  });
  const fields = parsed.meta.fields ?? [];
  if (!fields.includes('index') || !fields.includes('question')) {
    throw new InvalidArgumentError({
      argument: 'data',
      message: `A VLMEvalKit TSV has "index" and "question" columns (tab-separated, with a header); this one has ${fields.join(', ') || 'none'}.`,
    });
  }
  const rows = parsed.data;
  const byIndex = new Map(rows.map((row) => [String(row.index), row]));
  const letters = fields.filter((field) => /^[A-Z]$/.test(field));
  return rows.map((row) => {
    let cell = row.image ?? '';
    if (cell.length > 0 && cell.length <= 64) {
      const target = byIndex.get(cell.trim());
      if (!target) {
        throw new InvalidArgumentError({
          argument: 'data',
          message: `Row ${row.index}'s image refers to row ${cell.trim()}, which the file does not have.`,
        });
      }
      cell = target.image ?? '';
    }
    const options: Record<string, string> = {};
    for (const letter of letters) {
      const value = row[letter];
      if (value !== undefined && value !== '' && value.toLowerCase() !== 'nan') options[letter] = value;
    }
    const optional = (name: string) => {
      const value = row[name];
      return value === undefined || value === '' || value.toLowerCase() === 'nan' ? undefined : value;
    };
    const hint = optional('hint');
    const answer = optional('answer');
    const category = optional('category');
    const split = optional('split');
    return {
      index: String(row.index),
      question: row.question ?? '',
      options,
      images: imageCells(cell).map(decodeBase64),
      ...(hint !== undefined && { hint }),
      ...(answer !== undefined && { answer }),
      ...(category !== undefined && { category }),
      ...(split !== undefined && { split }),
    };
  });
}
