import type { AuditRecord } from '@upshift/contracts';
import type { AuditCursor } from './audit-cursor';

/** What runs the statements: a TypeORM DataSource or EntityManager, a pg client. */
export interface AuditSqlExecutor {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]*$/;

function table(schema: string): string {
  if (!SCHEMA_NAME.test(schema)) throw new Error(`not a schema name: ${schema}`);
  return `${schema}.audit_log`;
}

/**
 * The DDL of `<schema>.audit_log`, for each service's migration (ADR 0075). Append-only twice over:
 * statement-level triggers raise on UPDATE, DELETE and TRUNCATE (whoever runs them, even when no row
 * matches), and those privileges are revoked from PUBLIC. The services connect as the table's owner
 * (the superuser, here), whom a REVOKE does not bind, so the triggers are what really guards the rows.
 */
export function auditLogTableSql(schema: string): string[] {
  const audit = table(schema);
  return [
    `CREATE TABLE ${audit} (
      id uuid PRIMARY KEY,
      occurred_at timestamptz NOT NULL,
      service text NOT NULL,
      action text NOT NULL,
      method text NOT NULL,
      path text NOT NULL,
      tenant_id text,
      target_id text,
      sub text,
      claimed_by text,
      status smallint NOT NULL,
      request_id text NOT NULL,
      source_address text
    )`,
    // Newest first, for everyone (admins of every tenant) and per tenant.
    `CREATE INDEX audit_log_newest_idx ON ${audit} (occurred_at DESC, id DESC)`,
    `CREATE INDEX audit_log_tenant_newest_idx ON ${audit} (tenant_id, occurred_at DESC, id DESC)`,
    `CREATE FUNCTION ${schema}.audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '${audit} is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege',
                HINT = 'Audit records are only ever inserted (ADR 0075).';
      END
      $$`,
    `CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON ${audit}
      FOR EACH STATEMENT EXECUTE FUNCTION ${schema}.audit_log_refuse_change()`,
    `CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON ${audit}
      FOR EACH STATEMENT EXECUTE FUNCTION ${schema}.audit_log_refuse_change()`,
    `REVOKE UPDATE, DELETE, TRUNCATE ON ${audit} FROM PUBLIC`,
  ];
}

export function dropAuditLogTableSql(schema: string): string[] {
  return [`DROP TABLE ${table(schema)}`, `DROP FUNCTION ${schema}.audit_log_refuse_change()`];
}

/** Inserts one record; run it in the transaction that also writes the record's outbox row. */
export async function insertAuditRecord(
  executor: AuditSqlExecutor,
  schema: string,
  record: AuditRecord,
): Promise<void> {
  await executor.query(
    `INSERT INTO ${table(schema)} (id, occurred_at, service, action, method, path, tenant_id, target_id, sub,
       claimed_by, status, request_id, source_address)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      record.id,
      record.at,
      record.service,
      record.action,
      record.method,
      record.path,
      record.tenantId,
      record.targetId,
      record.sub,
      record.claimedBy,
      record.status,
      record.requestId,
      record.sourceAddress,
    ],
  );
}

export interface AuditLogQuery {
  /** The tenants whose records may be returned; null for every record (tenant-less ones included). */
  tenants: readonly string[] | null;
  /** Records at or after this instant only. */
  since: Date | null;
  /** Records strictly after this position in newest-first order (the previous page's last record). */
  before: AuditCursor | null;
  limit: number;
}

/** One page, newest first, and whether more records follow it. */
export interface AuditLogSlice {
  items: AuditRecord[];
  hasMore: boolean;
}

/** A row of `<schema>.audit_log` as Postgres returns it. */
export interface AuditRow {
  id: string;
  occurred_at: Date;
  service: AuditRecord['service'];
  action: string;
  method: string;
  path: string;
  tenant_id: string | null;
  target_id: string | null;
  sub: string | null;
  claimed_by: string | null;
  status: number;
  request_id: string;
  source_address: string | null;
}

/** Keyset pagination on (occurred_at, id), both descending: stable while records keep arriving. */
export async function readAuditLog(
  executor: AuditSqlExecutor,
  schema: string,
  query: AuditLogQuery,
): Promise<AuditLogSlice> {
  const where: string[] = [];
  const parameters: unknown[] = [];
  const bind = (value: unknown) => {
    parameters.push(value);
    return `$${parameters.length}`;
  };
  if (query.tenants !== null) where.push(`tenant_id = ANY(${bind([...query.tenants])}::text[])`);
  if (query.since !== null) where.push(`occurred_at >= ${bind(query.since)}`);
  if (query.before !== null) {
    where.push(`(occurred_at, id) < (${bind(query.before.at)}::timestamptz, ${bind(query.before.id)}::uuid)`);
  }
  const rows = (await executor.query(
    `SELECT * FROM ${table(schema)} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
     ORDER BY occurred_at DESC, id DESC LIMIT ${bind(query.limit + 1)}`,
    parameters,
  )) as AuditRow[];
  return { items: rows.slice(0, query.limit).map(toRecord), hasMore: rows.length > query.limit };
}

function toRecord(row: AuditRow): AuditRecord {
  return {
    id: row.id,
    at: new Date(row.occurred_at).toISOString(),
    service: row.service,
    action: row.action,
    method: row.method,
    path: row.path,
    tenantId: row.tenant_id,
    targetId: row.target_id,
    sub: row.sub,
    claimedBy: row.claimed_by,
    status: Number(row.status),
    requestId: row.request_id,
    sourceAddress: row.source_address,
  };
}
