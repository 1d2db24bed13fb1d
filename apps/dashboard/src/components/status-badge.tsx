import { humanStatus } from '../format';

/** A status as a word and a colour (the word carries the meaning; the colour only helps). */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span class={`badge status-${status.toLowerCase()}`} data-status={status}>
      {humanStatus(status)}
    </span>
  );
}
