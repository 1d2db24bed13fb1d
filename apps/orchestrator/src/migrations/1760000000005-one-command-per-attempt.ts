import type { MigrationInterface, QueryRunner } from 'typeorm';
import { SCHEMA } from '../database/entities';

/**
 * One command per instance attempt, with fencing tokens (ADR 0081).
 *
 * - `command_fencing_seq`: every command sent draws its fencing token from it, so tokens grow per
 *   instance across re-issues, rollbacks and executions (and across replicas: Postgres hands them out).
 * - `execution_instance.fencing_token`: the token of the newest command sent to the instance.
 * - `execution_instance.pending_command_steps`: steps of the pending command applied; 0 means its worker
 *   never answered, which the command deadline re-issues (an answered one that stalls fails).
 *
 * Rows written by the per-step flow hold DRAIN, UPGRADE or HEALTH_CHECK commands already on Kafka in a
 * shape the new workers do not take (no fencing token, retired types), so nobody will answer them. Each
 * pending command becomes an UPGRADE (a ROLLBACK stays one) that was never answered and is long
 * overdue: the first recovery sweep arms its deadline, which fires at once and issues a fresh command
 * under a new id and token. Its steps that the instance's status already reflects (a drain, an upgrade)
 * are skipped when reported again.
 */
export class OneCommandPerAttempt1760000000005 implements MigrationInterface {
  name = 'OneCommandPerAttempt1760000000005';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE SEQUENCE ${SCHEMA}.command_fencing_seq AS bigint START 1`);
    await q.query(`
      ALTER TABLE ${SCHEMA}.execution_instance
        ADD COLUMN pending_command_steps int NOT NULL DEFAULT 0,
        ADD COLUMN fencing_token bigint`);
    await q.query(`
      UPDATE ${SCHEMA}.execution_instance
         SET pending_command_type = CASE WHEN pending_command_type = 'ROLLBACK' THEN 'ROLLBACK' ELSE 'UPGRADE' END,
             pending_command_issued_at = 'epoch'
       WHERE pending_command_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    // Back to the per-step commands: the one the instance's status was waiting for.
    await q.query(`
      UPDATE ${SCHEMA}.execution_instance
         SET pending_command_type = CASE status WHEN 'DRAINING' THEN 'DRAIN' WHEN 'HEALTH_CHECKING' THEN 'HEALTH_CHECK'
                                                ELSE 'UPGRADE' END
       WHERE pending_command_type = 'UPGRADE'`);
    await q.query(`
      ALTER TABLE ${SCHEMA}.execution_instance DROP COLUMN fencing_token, DROP COLUMN pending_command_steps`);
    await q.query(`DROP SEQUENCE ${SCHEMA}.command_fencing_seq`);
  }
}
