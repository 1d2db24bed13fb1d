import type { Claims, Role } from '../src/claims';
import { hasRole, operationsFor } from '../src/permissions';

const claims = (...roles: Role[]): Claims => ({ sub: 's', tenants: ['t'], roles, exp: null });

/**
 * The buttons the execution page offers: operator and above only (upgrades.controller.ts), in the
 * statuses docs/api-contract.md allows each operation from.
 */
describe('operationsFor', () => {
  const table: [status: string, operations: string[]][] = [
    ['PENDING', ['cancel']],
    ['VALIDATING', []],
    ['IN_PROGRESS', ['pause', 'rollback', 'cancel']],
    ['CANARY_RUNNING', ['pause', 'cancel']],
    ['CANARY_MONITORING', ['promote-canary', 'rollback', 'cancel']],
    ['PAUSED', ['resume', 'cancel']],
    ['ROLLING_BACK', []],
    ['ROLLED_BACK', []],
    ['COMPLETED', []],
    ['FAILED', []],
    ['CANCELLED', []],
  ];

  it.each(table)('an operator of an execution %s gets %j', (status, operations) => {
    expect(operationsFor(claims('operator'), status)).toEqual(operations);
    expect(operationsFor(claims('admin'), status)).toEqual(operations);
  });

  it.each(table)('a viewer of an execution %s gets nothing', (status) => {
    expect(operationsFor(claims('viewer'), status)).toEqual([]);
    expect(operationsFor(claims(), status)).toEqual([]);
  });

  it('ranks roles: admin ⊃ operator ⊃ viewer', () => {
    expect(hasRole(claims('admin'), 'operator')).toBe(true);
    expect(hasRole(claims('operator'), 'admin')).toBe(false);
    expect(hasRole(claims('viewer', 'operator'), 'operator')).toBe(true);
  });
});
