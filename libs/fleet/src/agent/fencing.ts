import type { AgentMutatingOperation } from '@upshift/contracts';

/**
 * A mutating call an agent accepted (its fencing token passed) and ran, as the fleet's own log records
 * it: tests and chaos runs check from it that no call was ever applied under a stale token
 * (docs/agent-protocol.md, "Fencing").
 */
export interface AppliedCall {
  operation: AgentMutatingOperation;
  commandId: string;
  /** The token the call carried; null for a call without one (backup, or a caller that has none). */
  fencingToken: number | null;
  /** When the agent accepted it: the token was checked and the operation started. */
  acceptedAt: string;
  /** What it answered; null while it runs. A 409 here is an upgrade superseded while it installed. */
  status: number | null;
}

/** Backup changes neither version nor traffic: a caller without a token (the orchestrator) may take one. */
const UNFENCED_ALLOWED: readonly AgentMutatingOperation[] = ['backup'];

/**
 * Why a call must be refused as stale, or null when its token may pass: a token older than the newest
 * accepted one, or no token for a call that changes version or traffic once the instance has accepted
 * tokens (so that a caller unaware of fencing cannot undo a fenced rollback).
 */
export function staleFencingReason(
  operation: AgentMutatingOperation,
  token: number | null,
  newest: number | null,
): string | null {
  if (newest === null) return null;
  if (token === null) {
    return UNFENCED_ALLOWED.includes(operation)
      ? null
      : `this instance accepted fencing token ${newest}; ${operation} without a fencing token is refused`;
  }
  return token < newest ? `fencing token ${token} is older than ${newest}, the newest accepted` : null;
}

/**
 * The calls of a log that were accepted although a newer token had been accepted before them (or
 * without a token after one, except backups): empty when fencing held.
 */
export function staleAppliedCalls(calls: readonly AppliedCall[]): AppliedCall[] {
  let newest: number | null = null;
  const stale: AppliedCall[] = [];
  for (const call of calls) {
    if (staleFencingReason(call.operation, call.fencingToken, newest) !== null) stale.push(call);
    if (call.fencingToken !== null) newest = Math.max(newest ?? 0, call.fencingToken);
  }
  return stale;
}

/** The body's `fencingToken`: a whole number ≥ 1, null when absent, 'invalid' for anything else. */
export function fencingTokenOf(body: unknown): number | null | 'invalid' {
  if (typeof body !== 'object' || body === null) return null;
  const token = (body as Record<string, unknown>)['fencingToken'];
  if (token === undefined || token === null) return null;
  return typeof token === 'number' && Number.isSafeInteger(token) && token >= 1 ? token : 'invalid';
}
