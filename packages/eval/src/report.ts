import type { EvalRecord } from './run-evaluation.js';

/** Accuracy and token cost of one run (a results file). */
export interface EvalSummary {
  /** `direct`, `cot` or `vote@N`. */
  readonly label: string;
  readonly questions: number;
  readonly correct: number;
  readonly accuracy: number;
  /** Mean generated tokens per question (all samples of a vote). */
  readonly meanGeneratedTokens: number;
  /** Questions whose answer no option could be read from (`Z`). */
  readonly unanswered: number;
  readonly byCategory: readonly {
    readonly category: string;
    readonly questions: number;
    readonly accuracy: number;
  }[];
}

/** Sums up the records of one run. */
export function summarize(records: readonly EvalRecord[], label?: string): EvalSummary {
  const first = records[0];
  const name =
    label ?? (first?.mode === 'vote' ? `vote@${first.samples?.length ?? '?'}` : (first?.mode ?? 'empty'));
  const correct = records.filter((record) => record.correct).length;
  const categories = new Map<string, EvalRecord[]>();
  for (const record of records) {
    const key = record.category ?? '(none)';
    categories.set(key, [...(categories.get(key) ?? []), record]);
  }
  return {
    label: name,
    questions: records.length,
    correct,
    accuracy: records.length ? correct / records.length : 0,
    meanGeneratedTokens: records.length
      ? records.reduce((sum, record) => sum + record.generatedTokens, 0) / records.length
      : 0,
    unanswered: records.filter((record) => record.extracted === 'Z').length,
    byCategory: [...categories]
      .map(([category, list]) => ({
        category,
        questions: list.length,
        accuracy: list.filter((record) => record.correct).length / list.length,
      }))
      .sort((a, b) => a.category.localeCompare(b.category)),
  };
}

/** The report as text: one line per run, then accuracy per category. */
export function formatReport(summaries: readonly EvalSummary[]): string {
  const percent = (value: number) => `${(100 * value).toFixed(1)} %`;
  const lines = ['run         questions  accuracy  unanswered  tokens/question'];
  for (const s of summaries) {
    lines.push(
      `${s.label.padEnd(11)} ${String(s.questions).padStart(9)}  ${percent(s.accuracy).padStart(8)}  ${String(s.unanswered).padStart(10)}  ${s.meanGeneratedTokens.toFixed(1).padStart(15)}`,
    );
  }
  const categories = [...new Set(summaries.flatMap((s) => s.byCategory.map((c) => c.category)))].sort();
  if (categories.length > 1 || (categories.length === 1 && categories[0] !== '(none)')) {
    lines.push('', `category${' '.repeat(16)}${summaries.map((s) => s.label.padStart(10)).join('')}`);
    for (const category of categories) {
      const cells = summaries.map((s) => {
        const found = s.byCategory.find((c) => c.category === category);
        return (found ? percent(found.accuracy) : '–').padStart(10);
      });
      lines.push(`${category.slice(0, 22).padEnd(24)}${cells.join('')}`);
    }
  }
  return lines.join('\n');
}

/**
 * A chart of what test-time scaling buys: accuracy against generated tokens per question, one
 * point per run (direct, CoT, vote@N), as an SVG document.
 */
export function renderChart(
  summaries: readonly EvalSummary[],
  title = 'Accuracy vs generated tokens',
): string {
  const width = 640;
  const height = 400;
  const margin = { left: 64, right: 24, top: 40, bottom: 52 };
  const maxTokens = Math.max(1, ...summaries.map((s) => s.meanGeneratedTokens)) * 1.1;
  const x = (tokens: number) => margin.left + (tokens / maxTokens) * (width - margin.left - margin.right);
  const y = (accuracy: number) => height - margin.bottom - accuracy * (height - margin.top - margin.bottom);
  const colours = ['#007aff', '#ff9500', '#34c759', '#af52de', '#ff3b30', '#5ac8fa'];
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (a) =>
        `<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(a)}" y2="${y(a)}" stroke="#ddd"/>` +
        `<text x="${margin.left - 8}" y="${y(a) + 4}" font-size="12" text-anchor="end">${a * 100}%</text>`,
    )
    .join('');
  const points = summaries
    .map((s, i) => {
      const colour = colours[i % colours.length];
      const cx = x(s.meanGeneratedTokens);
      const cy = y(s.accuracy);
      // Labels of points that sit together are stacked; near the right edge they go left.
      const right = cx > width * 0.7;
      const labelY =
        cy -
        10 -
        16 *
          summaries
            .slice(0, i)
            .filter((o) => Math.abs(x(o.meanGeneratedTokens) - cx) < 80 && Math.abs(y(o.accuracy) - cy) < 20)
            .length;
      return (
        `<circle cx="${cx.toFixed(1)}" cy="${cy.toFixed(1)}" r="6" fill="${colour}"/>` +
        `<text x="${(right ? cx - 10 : cx + 10).toFixed(1)}" y="${labelY.toFixed(1)}" font-size="13" fill="${colour}" text-anchor="${right ? 'end' : 'start'}">${s.label} ${(100 * s.accuracy).toFixed(1)}%</text>`
      );
    })
    .join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">` +
    `<rect width="${width}" height="${height}" fill="#fff"/>` +
    `<text x="${width / 2}" y="24" font-size="15" text-anchor="middle">${title}</text>${grid}` +
    `<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>` +
    `<text x="${width / 2}" y="${height - 14}" font-size="12" text-anchor="middle">generated tokens per question (up to ${maxTokens.toFixed(0)})</text>` +
    `${points}</svg>`
  );
}
