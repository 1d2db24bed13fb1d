import { createHash } from 'crypto';

/**
 * A command needing a second agent call (HEALTH_CHECK and ROLLBACK end with an undrain) gives that
 * call its own commandId, derived deterministically from the command's: a redelivered command derives
 * the same id, so the agent replays the undrain instead of performing it again. Formatted as a UUID
 * (version nibble 5, RFC 4122 variant) because agents expect UUID command ids.
 */
export function derivedCommandId(commandId: string, step: string): string {
  const hash = createHash('sha256').update(`${commandId}/${step}`).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
