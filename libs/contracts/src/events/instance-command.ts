import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { CommandOutcome, InstanceCommandType } from '../enums';
import { IsoDateTime, Nullable, Sha256Hex, StringEnum, TenantId, Uuid } from '../schema-kit';

/** `upgrade.commands`, key instanceId: what one worker must do to one instance. */
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
    healthCheckIntervalSeconds: Type.Integer({ minimum: 1 }),
    healthCheckTimeoutSeconds: Type.Integer({ minimum: 1 }),
    attempt: Type.Integer({ minimum: 1, description: '1-based; a retried command keeps its commandId' }),
    issuedAt: IsoDateTime(),
  },
  { $id: 'InstanceCommand', title: 'InstanceCommand' },
);
export type InstanceCommand = Static<typeof InstanceCommandSchema>;

/** `upgrade.results`, key executionId: a worker's answer to one command. */
export const InstanceCommandResultSchema = Type.Object(
  {
    commandId: Uuid(),
    executionId: Uuid(),
    tenantId: TenantId(),
    instanceId: Uuid(),
    type: StringEnum(InstanceCommandType),
    outcome: StringEnum(CommandOutcome),
    reason: Nullable(Type.String(), { description: 'Why it failed; null on success' }),
    observedVersion: Nullable(Type.String(), { description: 'Version the agent reports after the command' }),
    startedAt: IsoDateTime(),
    finishedAt: IsoDateTime(),
    durationMs: Type.Integer({ minimum: 0 }),
    workerId: Type.String(),
  },
  { $id: 'InstanceCommandResult', title: 'InstanceCommandResult' },
);
export type InstanceCommandResult = Static<typeof InstanceCommandResultSchema>;
