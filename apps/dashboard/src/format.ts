/** Times as the operator's local clock shows them, with the date when it is not today. */
export function formatTime(iso: string | null | undefined): string {
  if (iso === null || iso === undefined) return '—';
  const date = new Date(iso);
  const today = new Date().toDateString() === date.toDateString();
  return today
    ? date.toLocaleTimeString(undefined, { hour12: false })
    : date.toLocaleString(undefined, { hour12: false });
}

/** The first block of a UUID: enough to tell executions apart on one screen. */
export function shortId(id: string): string {
  return id.slice(0, 8);
}

export function humanStatus(status: string): string {
  return status.replace(/_/g, ' ').toLowerCase();
}
