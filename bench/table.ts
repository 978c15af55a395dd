import type { Section } from './section';

/**
 * Renders all sections as ONE Markdown table: a bold row per section carries that section's column
 * headings, so the output reads aligned in a terminal and pastes into SOLUTION.md unchanged.
 */
export function renderTable(heading: string, sections: readonly Section[]): string {
  const width = Math.max(...sections.map((s) => s.columns.length));
  const pad = (cells: readonly string[]) => [...cells, ...Array<string>(width - cells.length).fill('')];
  const rows: string[][] = [];
  for (const s of sections) {
    rows.push(pad([`**${s.title}: ${s.columns[0]}**`, ...s.columns.slice(1).map((c) => `**${c}**`)]));
    for (const r of s.rows) rows.push(pad(r));
  }
  const header = pad(['Benchmark']);
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(3, ...all.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  const notes = sections.flatMap((s) => (s.notes ?? []).map((n) => `- ${s.title}: ${n}`));
  return [heading, '', line(header), rule, ...rows.map(line), ...(notes.length ? ['', ...notes] : [])].join('\n');
}

/** Thousands separators keep wide numbers readable; fixed decimals keep columns comparable. */
export function num(value: number, decimals = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

export function ms(value: number): string {
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`;
}

export function bytes(value: number): string {
  if (value >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(2)} MiB`;
  if (value >= 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${value} B`;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
