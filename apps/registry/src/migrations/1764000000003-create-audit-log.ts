import { auditLogTableSql, dropAuditLogTableSql } from '@upshift/http';
import { MigrationInterface, QueryRunner } from 'typeorm';

/** registry.audit_log: append-only, guarded by triggers (ADR 0075), in the shape libs/http reads. */
export class CreateAuditLog1764000000003 implements MigrationInterface {
  name = 'CreateAuditLog1764000000003';

  async up(runner: QueryRunner): Promise<void> {
    for (const statement of auditLogTableSql('registry')) await runner.query(statement);
  }

  async down(runner: QueryRunner): Promise<void> {
    for (const statement of dropAuditLogTableSql('registry')) await runner.query(statement);
  }
}
