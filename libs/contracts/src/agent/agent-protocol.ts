import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { IsoDateTime, Nullable, StringEnum, Uuid } from '../schema-kit';

/**
 * The request and response bodies of the agent protocol (docs/agent-protocol.md), written once as TypeBox
 * schemas: the workers' driver, the orchestrator's agent client and the simulated fleet use these types,
 * and docs/agent-protocol.openapi.yaml is generated from them (`npm run schemas:generate`). The `$id`s
 * are the names of the OpenAPI document's component schemas. Callers do not check answers against these
 * schemas at run time (ADR 0064).
 */

/** The calls that only read an instance (`GET {agentUrl}/agent/{operation}`). */
export const AGENT_READ_OPERATIONS = ['status', 'health'] as const;
/** The calls that change an instance (`POST {agentUrl}/agent/{operation}`), each idempotent by commandId. */
export const AGENT_MUTATING_OPERATIONS = ['drain', 'undrain', 'upgrade', 'rollback', 'backup'] as const;
export const AGENT_OPERATIONS = [...AGENT_READ_OPERATIONS, ...AGENT_MUTATING_OPERATIONS] as const;
export type AgentReadOperation = (typeof AGENT_READ_OPERATIONS)[number];
export type AgentMutatingOperation = (typeof AGENT_MUTATING_OPERATIONS)[number];
export type AgentOperation = (typeof AGENT_OPERATIONS)[number];

export const AgentCommandIdSchema = Uuid({
  $id: 'CommandId',
  title: 'CommandId',
  description: 'Idempotency key; a repeat gets the first answer and has no second effect',
});

/**
 * The command's fencing token (docs/agent-protocol.md, "Fencing"): optional, so that callers without one
 * (the orchestrator's backup check) keep working; workers send it with every drain, undrain, upgrade and
 * rollback.
 */
export const AgentFencingTokenSchema = Type.Integer({
  $id: 'FencingToken',
  title: 'FencingToken',
  minimum: 1,
  description:
    "The command's fencing token; the agent refuses (409 stale-fencing-token) a token older than the newest it accepted for the instance",
});

/** `POST /agent/drain`, `/agent/undrain`, `/agent/backup`. */
export const AgentCommandRequestSchema = Type.Object(
  { commandId: AgentCommandIdSchema, fencingToken: Type.Optional(AgentFencingTokenSchema) },
  { $id: 'CommandRequest', title: 'CommandRequest' },
);
export type AgentCommandRequest = Static<typeof AgentCommandRequestSchema>;

/** `POST /agent/upgrade`. */
export const AgentUpgradeRequestSchema = Type.Object(
  {
    commandId: AgentCommandIdSchema,
    fencingToken: Type.Optional(AgentFencingTokenSchema),
    version: Type.String({ description: 'Semver of the target version' }),
    artifactUrl: Type.String({ format: 'uri' }),
    // The agent accepts either case; Upshift sends lower case (docs/agent-protocol.md, "Upgrade").
    sha256: Type.String({ pattern: '^[0-9a-fA-F]{64}$' }),
    signature: Type.Optional(
      Nullable(Type.String(), {
        description:
          "Base64 ed25519 signature of the 32 raw bytes of the artifact's SHA-256 digest (docs/signing.md); null when unsigned",
      }),
    ),
  },
  { $id: 'UpgradeRequest', title: 'UpgradeRequest' },
);
export type AgentUpgradeRequest = Static<typeof AgentUpgradeRequestSchema>;

/** `POST /agent/rollback`. */
export const AgentRollbackRequestSchema = Type.Object(
  {
    commandId: AgentCommandIdSchema,
    fencingToken: Type.Optional(AgentFencingTokenSchema),
    toVersion: Type.Optional(
      Type.String({ description: 'The version the caller expects the instance to run afterwards' }),
    ),
  },
  { $id: 'RollbackRequest', title: 'RollbackRequest' },
);
export type AgentRollbackRequest = Static<typeof AgentRollbackRequestSchema>;

/** What `POST /agent/upgrade` and `POST /agent/rollback` answer. */
export const AgentVersionReplySchema = Type.Object(
  {
    version: Type.String({ description: 'The version the instance runs now' }),
    previousVersion: Nullable(Type.String(), { description: 'Kept by the last upgrade for a rollback' }),
    applied: Type.Optional(
      Type.Boolean({ description: 'Upgrade: false when the target version already ran (nothing changed)' }),
    ),
    rolledBack: Type.Optional(
      Type.Boolean({ description: 'Rollback: false when the last upgrade attempt had applied nothing' }),
    ),
    rolledBackFrom: Type.Optional(Type.String({ description: 'Rollback: the version it replaced' })),
    sha256: Type.Optional(Type.String({ description: 'Upgrade: the verified digest of the artifact' })),
  },
  { $id: 'VersionReply', title: 'VersionReply' },
);
export type AgentVersionReply = Static<typeof AgentVersionReplySchema>;

/** What `POST /agent/backup` answers. */
export const AgentBackupReplySchema = Type.Object(
  { lastBackupAt: IsoDateTime(), version: Type.String() },
  { $id: 'BackupReply', title: 'BackupReply' },
);
export type AgentBackupReply = Static<typeof AgentBackupReplySchema>;

export const AgentCapacitySchema = Type.Object(
  {
    cpuPercentFree: Type.Number({ minimum: 0, maximum: 100 }),
    memoryMbFree: Type.Number({ minimum: 0 }),
    diskMbFree: Type.Number({ minimum: 0 }),
  },
  { $id: 'Capacity', title: 'Capacity' },
);
export type AgentCapacity = Static<typeof AgentCapacitySchema>;

/** `GET /agent/status`, and what drain and undrain answer. */
export const AgentStatusSchema = Type.Object(
  {
    instanceId: Type.String(),
    name: Type.String(),
    version: Type.String(),
    previousVersion: Nullable(Type.String(), { description: 'Kept by the last upgrade for a rollback' }),
    healthy: Type.Boolean(),
    draining: Type.Boolean(),
    capacity: AgentCapacitySchema,
    lastBackupAt: Nullable(IsoDateTime()),
  },
  { $id: 'AgentStatus', title: 'AgentStatus' },
);
export type AgentStatus = Static<typeof AgentStatusSchema>;

export const AgentHealthCheckSchema = Type.Object(
  { name: Type.String(), healthy: Type.Boolean(), detail: Type.Optional(Type.String()) },
  { $id: 'HealthCheck', title: 'HealthCheck' },
);
export type AgentHealthCheck = Static<typeof AgentHealthCheckSchema>;

/** `GET /agent/health`: 200 whenever the agent answers; `healthy` is the verdict. */
export const AgentHealthSchema = Type.Object(
  { healthy: Type.Boolean(), version: Type.String(), checks: Type.Array(AgentHealthCheckSchema) },
  { $id: 'AgentHealth', title: 'AgentHealth' },
);
export type AgentHealth = Static<typeof AgentHealthSchema>;

/** The machine-readable `code` of an agent's problem answer (docs/agent-protocol.md, "Errors"). */
export const AgentProblemCode = {
  UNAUTHENTICATED: 'unauthenticated',
  INVALID_REQUEST: 'invalid-request',
  NOT_DRAINED: 'not-drained',
  COMMAND_ID_REUSED: 'command-id-reused',
  STALE_FENCING_TOKEN: 'stale-fencing-token',
  DIGEST_MISMATCH: 'digest-mismatch',
  SIGNATURE_INVALID: 'signature-invalid',
  UNTRUSTED_SIGNATURE: 'untrusted-signature',
  UPGRADE_FAILED: 'upgrade-failed',
  ROLLBACK_FAILED: 'rollback-failed',
  ROLLBACK_TARGET_UNAVAILABLE: 'rollback-target-unavailable',
  ARTIFACT_UNAVAILABLE: 'artifact-unavailable',
  TEMPORARILY_UNAVAILABLE: 'temporarily-unavailable',
  CRASHED: 'crashed',
  AGENT_STOPPING: 'agent-stopping',
} as const;
export type AgentProblemCode = (typeof AgentProblemCode)[keyof typeof AgentProblemCode];

/** RFC 9457 problem details (`application/problem+json`) with the agent's `code` and `transient` flag. */
export const AgentProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: StringEnum(AgentProblemCode),
    transient: Type.Boolean({
      description: 'True only for 503: nothing happened, retry the same commandId',
    }),
  },
  { $id: 'AgentProblem', title: 'AgentProblem' },
);
export type AgentProblem = Static<typeof AgentProblemSchema>;
