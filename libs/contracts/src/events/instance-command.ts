import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { CommandOutcome, InstanceCommandType, InstanceStep } from '../enums';
import { IsoDateTime, Nullable, Sha256Hex, StringEnum, TenantId, Uuid } from '../schema-kit';

/**
 * `upgrade.commands`, key instanceId: one attempt at one instance. The worker carries it through every
 * step of its type (COMMAND_STEPS) and reports the steps on `upgrade.results`.
 */
export const InstanceCommandSchema = Type.Object(
  {
    commandId: Uuid({
      description: 'Results answer this id; a result for a command no longer pending is ignored',
    }),
    executionId: Uuid(),
    tenantId: TenantId(),
    instanceId: Uuid(),
    instanceName: Type.String(),
    agentUrl: Type.String({ format: 'uri', description: "Base URL of the instance's agent" }),
    type: StringEnum(InstanceCommandType),
    fencingToken: Type.Integer({
      minimum: 1,
      description:
        'Grows with every command sent to this instance (re-issues and rollbacks included, across executions); ' +
        'workers and agents refuse a command whose token is older than the newest they have seen for the instance',
    }),
    targetVersion: Type.Object({
      versionId: Uuid(),
      version: Type.String({ description: 'Semver of the target version' }),
      artifact: Type.Object({
        url: Type.String({ format: 'uri' }),
        sha256: Sha256Hex(),
        signature: Nullable(Type.String(), { description: 'Base64 ed25519 signature; null when unsigned' }),
      }),
    }),
    previousVersion: Type.Object(
      { versionId: Uuid(), version: Type.String() },
      { description: 'The version a ROLLBACK returns to' },
    ),
    healthCheckIntervalSeconds: Type.Integer({
      minimum: 1,
      description: 'UPGRADE: how often to probe health',
    }),
    healthCheckTimeoutSeconds: Type.Integer({
      minimum: 1,
      description:
        'UPGRADE: the health check fails when the instance is not healthy this long after the upgrade step',
    }),
    attempt: Type.Integer({ minimum: 1, description: '1-based; a retried command keeps its commandId' }),
    issuedAt: IsoDateTime(),
  },
  { $id: 'InstanceCommand', title: 'InstanceCommand' },
);
export type InstanceCommand = Static<typeof InstanceCommandSchema>;

/** One step of a command, as the worker saw it end. */
export const InstanceStepReportSchema = Type.Object(
  {
    step: StringEnum(InstanceStep),
    outcome: StringEnum(CommandOutcome),
    reason: Nullable(Type.String(), { description: 'Why it failed; null on success' }),
    observedVersion: Nullable(Type.String(), { description: 'Version the agent reports after the step' }),
    startedAt: IsoDateTime(),
    finishedAt: IsoDateTime(),
  },
  { $id: 'InstanceStepReport', title: 'InstanceStepReport' },
);
export type InstanceStepReport = Static<typeof InstanceStepReportSchema>;

/**
 * `upgrade.results`, key executionId: a worker's report on one command — the steps that ended since its
 * previous report, in order. Steps that end close together are folded into one report, so a fast
 * instance costs one result and a slow one shows each step as it ends. A step that failed is the last
 * one; `final` is true on the command's last report (every step done, or one failed). A replayed report
 * may repeat steps already reported: the orchestrator applies each step once.
 */
export const InstanceCommandResultSchema = Type.Object(
  {
    commandId: Uuid(),
    executionId: Uuid(),
    tenantId: TenantId(),
    instanceId: Uuid(),
    type: StringEnum(InstanceCommandType),
    fencingToken: Type.Integer({ minimum: 1, description: "The command's token" }),
    steps: Type.Array(InstanceStepReportSchema, { minItems: 1 }),
    final: Type.Boolean({ description: 'True on the last report of the command' }),
    workerId: Type.String(),
  },
  { $id: 'InstanceCommandResult', title: 'InstanceCommandResult' },
);
export type InstanceCommandResult = Static<typeof InstanceCommandResultSchema>;
