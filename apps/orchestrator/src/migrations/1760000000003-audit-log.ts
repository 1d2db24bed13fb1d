import type { MigrationInterface, QueryRunner } from 'typeorm';
import { auditLogTableSql, dropAuditLogTableSql } from '@upshift/http';
import { SCHEMA } from '../database/entities';

/** orchestrator.audit_log: append-only, guarded by triggers (ADR 0075), in the shape libs/http reads. */
export class AuditLog1760000000003 implements MigrationInterface {
  name = 'AuditLog1760000000003';

  async up(q: QueryRunner): Promise<void> {
    for (const statement of auditLogTableSql(SCHEMA)) await q.query(statement);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const statement of dropAuditLogTableSql(SCHEMA)) await q.query(statement);
  }
}
