import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { IsoDateTime, Nullable, TenantId, Uuid } from '../schema-kit';

/** The services that keep an audit log, each in its own schema (ADR 0075). */
export const AUDITED_SERVICES = ['registry', 'orchestrator'] as const;
export type AuditedService = (typeof AUDITED_SERVICES)[number];

/** Bounds the audit hook applies before it stores anything a client sent. */
export const AUDIT_LIMITS = { path: 2048, targetId: 200, claimedBy: 500, requestId: 128 } as const;

/**
 * One audited request: a mutating request with its outcome, or a refused one (401, 403, or another
 * tenant's data). The same shape is a row of `<schema>.audit_log`, an item of `GET /audit` and the
 * payload of `audit.events` (ADR 0075).
 */
export const AuditRecordedSchema = Type.Object(
  {
    id: Uuid({ description: 'Unique per record; also the CloudEvents id of its audit.events message' }),
    at: IsoDateTime({ description: 'When the response finished (the outcome was known)' }),
    service: Type.Union(
      AUDITED_SERVICES.map((s) => Type.Literal(s)),
      { description: 'The service that answered the request' },
    ),
    action: Type.String({
      minLength: 1,
      description:
        "The route's action (e.g. `upgrade.rollback`, `version.publish`); `METHOD /route` for a route that " +
        'names none, `METHOD /path` for a request that matched no route',
    }),
    method: Type.String({ minLength: 1 }),
    path: Type.String({ maxLength: AUDIT_LIMITS.path, description: 'The request path, without the query' }),
    tenantId: Nullable(TenantId(), { description: 'The tenant acted on; null when none (catalog, unknown)' }),
    targetId: Nullable(Type.String({ maxLength: AUDIT_LIMITS.targetId }), {
      description: 'The most specific id in the path (execution, instance, version, key, component)',
    }),
    sub: Nullable(Type.String(), { description: "The verified token's subject; null without a valid token" }),
    claimedBy: Nullable(Type.String({ maxLength: AUDIT_LIMITS.claimedBy }), {
      description: 'A free-text `initiatedBy` the request carried, kept as given beside `sub`',
    }),
    status: Type.Integer({
      minimum: 100,
      maximum: 599,
      description: 'The response status; 499 when the client went away before the answer',
    }),
    requestId: Type.String({
      minLength: 1,
      maxLength: AUDIT_LIMITS.requestId,
      description: 'The X-Request-Id the request carried, or the one the service gave it (echoed back)',
    }),
    sourceAddress: Nullable(Type.String(), { description: 'The client address as the service saw it' }),
  },
  {
    $id: 'AuditRecorded',
    title: 'AuditRecorded',
    description: 'A mutating or refused request to a REST service, with who made it and the outcome',
  },
);
export type AuditRecord = Static<typeof AuditRecordedSchema>;

/** `GET /api/v1/registry/audit`: newest first; pass `nextCursor` as `before` for the next page. */
export const AuditPageSchema = Type.Object(
  {
    items: Type.Array(AuditRecordedSchema),
    nextCursor: Nullable(Type.String(), { description: 'null on the last page' }),
  },
  { $id: 'AuditPage', title: 'AuditPage' },
);
export type AuditPage = Static<typeof AuditPageSchema>;
