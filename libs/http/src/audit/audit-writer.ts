import type { AuditRecord } from '@upshift/contracts';

/**
 * Where a service keeps its audit records: each service implements it over its own DataSource, writing
 * the `audit_log` row and the `audit.events` outbox row in one transaction (ADR 0075).
 */
export interface AuditWriter {
  write(record: AuditRecord): Promise<void>;
}

/** The Nest token each service binds its AuditWriter to. */
export const AUDIT_WRITER = Symbol('AUDIT_WRITER');
