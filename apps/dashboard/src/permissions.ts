import type { Claims, Role } from './claims';

/**
 * What the signed-in role may do, mirroring the API's rules so that the page offers only what will be
 * accepted: roles rank viewer < operator < admin (libs/http/src/auth/principal.ts), every operation on an
 * execution needs `operator` (apps/orchestrator/src/upgrades/upgrades.controller.ts), and each is valid
 * only in some statuses (docs/api-contract.md, "Execution statuses and transitions"). The API decides.
 */
const RANK: Readonly<Record<Role, number>> = { viewer: 1, operator: 2, admin: 3 };

export function hasRole(claims: Claims, needed: Role): boolean {
  return claims.roles.some((role) => RANK[role] >= RANK[needed]);
}

export type Operation = 'promote-canary' | 'pause' | 'resume' | 'cancel' | 'rollback';

/** The operations' order on the page. */
export const OPERATIONS: readonly Operation[] = ['promote-canary', 'pause', 'resume', 'rollback', 'cancel'];

const VALID_FROM: Readonly<Record<Operation, readonly string[]>> = {
  'promote-canary': ['CANARY_MONITORING'],
  pause: ['IN_PROGRESS', 'CANARY_RUNNING'],
  resume: ['PAUSED'],
  cancel: ['PENDING', 'IN_PROGRESS', 'CANARY_RUNNING', 'CANARY_MONITORING', 'PAUSED'],
  rollback: ['IN_PROGRESS', 'CANARY_MONITORING'],
};

/** The operations to show for an execution in `status`: none unless the token is an operator. */
export function operationsFor(claims: Claims, status: string): Operation[] {
  if (!hasRole(claims, 'operator')) return [];
  return OPERATIONS.filter((operation) => VALID_FROM[operation].includes(status));
}

export const TERMINAL_STATUSES: readonly string[] = ['COMPLETED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'];
