import { AsyncLocalStorage } from 'async_hooks';
import type { AuthenticatedRequest } from '../auth/access';

/**
 * The request being served, for code that learns what the audit record should say only deep inside a
 * use case: an `:executionId` route knows its tenant once the execution is loaded. The audit hook
 * runs the rest of the request inside this scope.
 */
export const auditScope = new AsyncLocalStorage<AuthenticatedRequest>();

/**
 * Names the tenant the current request acts on, for its audit record (and for telling a refused
 * cross-tenant request from a plain 404). Outside a request, or on a route without an audit context
 * (public routes), it does nothing.
 */
export function noteAuditTenant(tenantId: string): void {
  const context = auditScope.getStore()?.auditContext;
  if (context !== undefined) context.tenantId = tenantId;
}
