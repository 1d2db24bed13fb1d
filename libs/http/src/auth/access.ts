import { createParamDecorator, SetMetadata } from '@nestjs/common';
import type { ExecutionContext } from '@nestjs/common';
import type { Request } from 'express';
import type { Principal, Role } from './principal';

export const ACCESS_RULE = 'upshift:access-rule';

/**
 * Every route declares who may call it. `public` routes need no token (health probes, metrics, the
 * OpenAPI documents); the others name the least role they need and, when they change something, the
 * action the audit log records.
 */
export type AccessRule = { role: 'public' } | { role: Role; action?: string };

/** No token needed. */
export const Public = () => SetMetadata(ACCESS_RULE, { role: 'public' } satisfies AccessRule);

/** At least `role`; `action` (e.g. `upgrade.rollback`) names a mutating route in the audit log. */
export const Requires = (role: Role, action?: string) =>
  SetMetadata(ACCESS_RULE, { role, action } satisfies AccessRule);

/** The request as the guard leaves it: who acts, and what the audit log will say about it. */
export interface AuthenticatedRequest extends Request {
  principal?: Principal;
  /** Filled by the guard before it decides, so that refused requests are audited too. */
  auditContext?: {
    action: string;
    tenantId: string | null;
    targetId: string | null;
    /** A free-text `initiatedBy` the request carried, kept beside the token's subject. */
    claimedBy?: string;
  };
}

/** The principal of the current request (set by the AuthGuard; routes that inject it are never public). */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (principal === undefined) throw new Error('CurrentPrincipal used on a route without authentication');
  return principal;
});
