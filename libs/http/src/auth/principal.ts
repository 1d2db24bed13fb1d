/**
 * Who is acting, as the bearer token says: `sub`, the tenants it may see (`*` for all) and its roles.
 * Roles are ranked: an operator can do everything a viewer can, an admin everything an operator can.
 */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export interface Principal {
  readonly sub: string;
  /** Tenant ids the token may see and change; `'*'` means every tenant. */
  readonly tenants: readonly string[] | '*';
  readonly roles: readonly Role[];
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** True when one of the principal's roles ranks at least as high as `needed`. */
export function hasRole(principal: Principal, needed: Role): boolean {
  return principal.roles.some((role) => RANK[role] >= RANK[needed]);
}

/** Whether data of `tenantId` exists for this principal at all (outside its tenants it answers 404). */
export function canSeeTenant(principal: Principal, tenantId: string): boolean {
  return principal.tenants === '*' || principal.tenants.includes(tenantId);
}

/** The tenant ids a query must be limited to, or null for no limit. */
export function tenantFilter(principal: Principal): readonly string[] | null {
  return principal.tenants === '*' ? null : principal.tenants;
}
