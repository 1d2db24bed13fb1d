import { createHash } from 'crypto';

/**
 * Each agent call of a command gets its own commandId (the agent's idempotency key), derived
 * deterministically from the command's and the call's name (`drain`, `upgrade`, `undrain`, `rollback`):
 * a redelivered command derives the same ids, so the agent replays every call that already ran instead
 * of performing it again, and no two calls of one command share a key (the agent would refuse a key
 * reused for another operation). Formatted as a UUID (version nibble 5, RFC 4122 variant) because
 * agents expect UUID command ids.
 */
export function derivedCommandId(commandId: string, call: string): string {
  const hash = createHash('sha256').update(`${commandId}/${call}`).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
