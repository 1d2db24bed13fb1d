import { randomUUID } from 'crypto';
import type { NextFunction, Request, Response } from 'express';
import { AUDIT_LIMITS, TENANT_ID_PATTERN } from '@upshift/contracts';
import type { AuditedService, AuditRecord } from '@upshift/contracts';
import type { AuthenticatedRequest } from '../auth/access';
import { canSeeTenant } from '../auth/principal';
import { auditScope } from './audit-scope';
import type { AuditWriter } from './audit-writer';

export const REQUEST_ID_HEADER = 'X-Request-Id';

/** nginx's "client closed request": the client left before the answer, so the outcome is unknown to it. */
export const CLIENT_CLOSED_REQUEST = 499;

const MUTATING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** What an incoming X-Request-Id may be to be kept (and echoed in a header): short, printable, no spaces. */
const ACCEPTED_REQUEST_ID = new RegExp(`^[A-Za-z0-9._:@/+=-]{1,${AUDIT_LIMITS.requestId}}$`);
const TENANT_ID = new RegExp(TENANT_ID_PATTERN);

/** A route with a mutating method that changes nothing: audited only when it is refused. */
export interface ReadOnlyRoute {
  method: string;
  /** Tested against the whole request path (prefix included, query excluded). */
  path: RegExp;
}

export interface AuditRequestsOptions {
  service: AuditedService;
  writer: AuditWriter;
  readOnly?: readonly ReadOnlyRoute[];
  /** The response has gone when a record fails to be written: all that is left is to say so. */
  onWriteError(error: unknown, record: AuditRecord): void;
}

/**
 * The audit hook (ADR 0075), an Express middleware installed before routing and body parsing. It gives
 * every request an id (the client's `X-Request-Id` when acceptable, else a new one, echoed back), runs
 * the rest of the request inside `auditScope`, and when the response has finished decides from the
 * final status, `request.principal` and `request.auditContext` (both left by the AuthGuard, also on
 * refusals) whether the request is audited, and hands the record to the service's writer.
 * After the finish, because only then is the outcome known, for refusals by the guard and by filters
 * alike; interceptors never see a request the guard refused.
 */
export function auditRequests(options: AuditRequestsOptions) {
  return (request: Request, response: Response, next: NextFunction): void => {
    const requestId = acceptedRequestId(request.headers['x-request-id']) ?? randomUUID();
    response.setHeader(REQUEST_ID_HEADER, requestId);
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      const status = response.writableFinished ? response.statusCode : CLIENT_CLOSED_REQUEST;
      const record = auditRecordFor(request, status, requestId, options);
      if (record === null) return;
      options.writer.write(record).catch((error: unknown) => options.onWriteError(error, record));
    };
    // 'close' alone when the client went away before the answer was written.
    response.once('finish', settle);
    response.once('close', settle);
    auditScope.run(request, next);
  };
}

/**
 * The record a finished request leaves, or null when it is not audited: requests with a mutating
 * method (unless the route is read-only) and refused requests of any method are; a refusal is a 401,
 * a 403, or a principal acting on a tenant outside its token (answered 404, as if it did not exist).
 */
export function auditRecordFor(
  request: AuthenticatedRequest,
  status: number,
  requestId: string,
  options: Pick<AuditRequestsOptions, 'service' | 'readOnly'>,
  at: Date = new Date(),
): AuditRecord | null {
  const method = request.method.toUpperCase();
  const path = bounded(
    (request.originalUrl || request.url).split('?')[0] ?? '/',
    AUDIT_LIMITS.path,
  ) as string;
  const context = request.auditContext;
  const principal = request.principal;
  const claimedTenant = context?.tenantId ?? null;
  const outsideTenant =
    principal !== undefined && claimedTenant !== null && !canSeeTenant(principal, claimedTenant);
  const refused = status === 401 || status === 403 || outsideTenant;
  const changes =
    MUTATING_METHODS.has(method) &&
    !(options.readOnly ?? []).some((route) => route.method === method && route.path.test(path));
  if (!refused && !changes) return null;
  return {
    id: randomUUID(),
    at: at.toISOString(),
    service: options.service,
    action: context?.action ?? `${method} ${path}`,
    method,
    path,
    // A tenant id that is not one (a mistyped path) is no tenant; the path still shows what was sent.
    tenantId: claimedTenant !== null && TENANT_ID.test(claimedTenant) ? claimedTenant : null,
    targetId: bounded(context?.targetId ?? null, AUDIT_LIMITS.targetId),
    sub: principal?.sub ?? null,
    claimedBy: bounded(context?.claimedBy ?? null, AUDIT_LIMITS.claimedBy),
    status,
    requestId,
    sourceAddress: request.ip ?? request.socket?.remoteAddress ?? null,
  };
}

/** The client's request id when it is one we can store and echo, else undefined. */
export function acceptedRequestId(header: string | string[] | undefined): string | undefined {
  return typeof header === 'string' && ACCEPTED_REQUEST_ID.test(header) ? header : undefined;
}

/**
 * A client's string as the audit log can store it: at most `max` characters, and without NUL, which a
 * Postgres text column refuses (a path such as `/components/%00` must still leave its record).
 */
function bounded(value: string | null, max: number): string | null {
  if (value === null) return null;
  const storable = value.replaceAll('\u0000', '\uFFFD');
  return storable.length <= max ? storable : storable.slice(0, max);
}
