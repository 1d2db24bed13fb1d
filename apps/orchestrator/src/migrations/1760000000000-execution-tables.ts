import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Executions, their instances, validation results and transcript (schema `orchestrator`). */
export class ExecutionTables1760000000000 implements MigrationInterface {
  name = 'ExecutionTables1760000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE orchestrator.execution (
        id uuid PRIMARY KEY,
        tenant_id text NOT NULL,
        component_id text NOT NULL,
        from_version_id text NOT NULL,
        to_version_id text NOT NULL,
        strategy text NOT NULL,
        canary_percentage int NOT NULL,
        batch_size int NOT NULL,
        batch_delay_seconds int NOT NULL,
        health_check_interval_seconds int NOT NULL,
        health_check_timeout_seconds int NOT NULL,
        max_unavailable_percentage int NOT NULL,
        total_instances int NOT NULL,
        auto_rollback_enabled boolean NOT NULL,
        failure_threshold int NOT NULL,
        initiated_by text,
        installed_components jsonb,
        status text NOT NULL,
        status_reason text,
        phase text NOT NULL CHECK (phase IN ('CANARY', 'ROLLOUT')),
        halted boolean NOT NULL DEFAULT false,
        completed_instances int NOT NULL DEFAULT 0,
        failed_instances int NOT NULL DEFAULT 0,
        current_batch int NOT NULL DEFAULT 0,
        total_batches int NOT NULL DEFAULT 0,
        approved_stage int NOT NULL DEFAULT 0,
        last_batch_completed_at timestamptz,
        next_canary_check_at timestamptz,
        progress_sequence bigint NOT NULL DEFAULT 0,
        lease_version bigint NOT NULL DEFAULT 0,
        from_version text NOT NULL,
        to_version text NOT NULL,
        artifact_url text NOT NULL,
        artifact_sha256 text NOT NULL,
        artifact_signature text,
        target_dependencies jsonb NOT NULL DEFAULT '{}'::jsonb,
        rollback_reason text,
        rollback_initiated_at timestamptz,
        rollback_initiated_by text,
        created_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        completed_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(
      `CREATE INDEX execution_tenant_created ON orchestrator.execution (tenant_id, created_at DESC, id)`,
    );
    await q.query(`CREATE INDEX execution_component ON orchestrator.execution (component_id)`);
    // At most one active execution per tenant and component, enforced by the database so that two
    // concurrent POSTs (or two replicas) cannot both pass the "no active upgrade" check.
    await q.query(`
      CREATE UNIQUE INDEX execution_one_active_per_component ON orchestrator.execution (tenant_id, component_id)
      WHERE status NOT IN ('COMPLETED', 'FAILED', 'ROLLED_BACK', 'CANCELLED')`);
    await q.query(`
      CREATE INDEX execution_canary_due ON orchestrator.execution (next_canary_check_at)
      WHERE status = 'CANARY_MONITORING'`);
    await q.query(`
      CREATE INDEX execution_active ON orchestrator.execution (status)
      WHERE status NOT IN ('COMPLETED', 'FAILED', 'ROLLED_BACK', 'CANCELLED')`);

    await q.query(`
      CREATE TABLE orchestrator.execution_instance (
        execution_id uuid NOT NULL REFERENCES orchestrator.execution (id) ON DELETE CASCADE,
        id text NOT NULL,
        position int NOT NULL,
        name text NOT NULL,
        agent_url text NOT NULL,
        status text NOT NULL,
        batch int,
        failed_at text,
        started_at timestamptz,
        completed_at timestamptz,
        error text,
        pending_command_id uuid,
        pending_command_type text,
        pending_command_issued_at timestamptz,
        attempt int NOT NULL DEFAULT 0,
        rollback_failed boolean NOT NULL DEFAULT false,
        PRIMARY KEY (execution_id, id)
      )`);
    await q.query(
      `CREATE INDEX execution_instance_position ON orchestrator.execution_instance (execution_id, position)`,
    );
    await q.query(`
      CREATE INDEX execution_instance_pending ON orchestrator.execution_instance (pending_command_issued_at)
      WHERE pending_command_id IS NOT NULL`);

    await q.query(`
      CREATE TABLE orchestrator.validation_result (
        execution_id uuid NOT NULL REFERENCES orchestrator.execution (id) ON DELETE CASCADE,
        "check" text NOT NULL,
        passed boolean NOT NULL,
        detail text NOT NULL,
        checked_at timestamptz NOT NULL,
        PRIMARY KEY (execution_id, "check")
      )`);

    await q.query(`
      CREATE TABLE orchestrator.transcript_line (
        id bigserial PRIMARY KEY,
        execution_id uuid NOT NULL REFERENCES orchestrator.execution (id) ON DELETE CASCADE,
        at timestamptz NOT NULL,
        line text NOT NULL
      )`);
    await q.query(
      `CREATE INDEX transcript_line_execution ON orchestrator.transcript_line (execution_id, id)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE orchestrator.transcript_line`);
    await q.query(`DROP TABLE orchestrator.validation_result`);
    await q.query(`DROP TABLE orchestrator.execution_instance`);
    await q.query(`DROP TABLE orchestrator.execution`);
  }
}
