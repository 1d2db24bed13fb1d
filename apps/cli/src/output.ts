export type OutputFormat = 'table' | 'json';

/** Where a command writes: stdout for results, stderr for errors and notices. */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** True when stdout is a terminal (progress bars redraw in place). */
  readonly tty: boolean;
}

export type Cell = string | number | boolean | null | undefined;

function text(cell: Cell): string {
  return cell === null || cell === undefined ? '-' : String(cell);
}

/** A plain text table: a header row, then one row each, columns padded to their widest cell. */
export function table(columns: string[], rows: Cell[][]): string {
  const cells = [columns, ...rows.map((row) => row.map(text))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => (row[i] ?? '').length)));
  return cells
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Key/value lines for one object. */
export function fields(pairs: [string, Cell][]): string {
  const width = Math.max(...pairs.map(([key]) => key.length));
  return pairs.map(([key, value]) => `${`${key}:`.padEnd(width + 2)}${text(value)}`).join('\n');
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** A fixed-width progress bar: `[######------]`. */
export function bar(done: number, total: number, width = 20): string {
  const filled = total <= 0 ? 0 : Math.min(width, Math.round((done / total) * width));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}
