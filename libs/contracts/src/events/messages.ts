import type { TSchema } from '@sinclair/typebox';
import { Topics } from '../topics';
import type { TopicName } from '../topics';
import { UpgradeExecutionViewSchema } from '../views/execution-views';
import type { UpgradeExecutionView } from '../views/execution-views';
import { AuditRecordedSchema } from './audit-events';
import type { AuditRecord } from './audit-events';
import { DeadLetterSchema } from './dead-letter';
import type { DeadLetter } from './dead-letter';
import { makeEnvelope } from './envelope';
import type { EventEnvelope } from './envelope';
import { InstanceCommandResultSchema, InstanceCommandSchema } from './instance-command';
import type { InstanceCommand, InstanceCommandResult } from './instance-command';
import { PROGRESS_EVENT_SCHEMAS } from './progress-events';
import type { ProgressEvent } from './progress-events';
import { REGISTRY_EVENT_SCHEMAS } from './registry-events';
import type { RegistryEvent } from './registry-events';

/** CloudEvents `type` of each message. */
export const EventTypes = {
  COMMAND: 'upshift.command.v1',
  RESULT: 'upshift.result.v1',
  EXECUTION_SNAPSHOT: 'upshift.execution.snapshot.v1',
  DEAD_LETTER: 'upshift.dlq.v1',
  AUDIT_RECORDED: 'upshift.audit.recorded.v1',
  progress: <K extends ProgressEvent['kind']>(kind: K) => `upshift.progress.${kind}` as const,
  registry: <K extends RegistryEvent['kind']>(kind: K) => `upshift.registry.${kind}` as const,
} as const;

export const isProgressEventType = (type: string): boolean => type.startsWith('upshift.progress.');
export const isRegistryEventType = (type: string): boolean => type.startsWith('upshift.registry.');

/** CloudEvents `source` of each producer. */
export const EventSources = {
  ORCHESTRATOR: '/upshift/orchestrator',
  REGISTRY: '/upshift/registry',
  WORKER: '/upshift/worker',
} as const;

/** A message ready for the outbox or a producer: topic, key and envelope. */
export interface OutboundMessage<T = unknown> {
  topic: TopicName;
  key: string;
  value: EventEnvelope<T>;
  headers?: Record<string, string>;
}

interface EnvelopeOverrides {
  source?: string;
  id?: string;
  time?: Date | string;
}

/** upgrade.commands, key instanceId. */
export function commandMessage(
  command: InstanceCommand,
  o: EnvelopeOverrides = {},
): OutboundMessage<InstanceCommand> {
  return {
    topic: Topics.COMMANDS,
    key: command.instanceId,
    value: makeEnvelope({
      ...o,
      type: EventTypes.COMMAND,
      source: o.source ?? EventSources.ORCHESTRATOR,
      subject: command.instanceId,
      tenantId: command.tenantId,
      executionId: command.executionId,
      data: command,
    }),
  };
}

/** upgrade.results, key executionId (one partition orders all results of an execution). */
export function resultMessage(
  result: InstanceCommandResult,
  o: EnvelopeOverrides = {},
): OutboundMessage<InstanceCommandResult> {
  return {
    topic: Topics.RESULTS,
    key: result.executionId,
    value: makeEnvelope({
      ...o,
      type: EventTypes.RESULT,
      source: o.source ?? EventSources.WORKER,
      subject: result.instanceId,
      tenantId: result.tenantId,
      executionId: result.executionId,
      data: result,
    }),
  };
}

export interface ProgressMessageInput<E extends ProgressEvent> extends EnvelopeOverrides {
  executionId: string;
  tenantId: string;
  /** Gap-free per execution: the orchestrator increments it in the transaction that writes the event. */
  sequence: number;
  data: E;
}

/** upgrade.progress, key executionId. */
export function progressMessage<E extends ProgressEvent>(input: ProgressMessageInput<E>): OutboundMessage<E> {
  return {
    topic: Topics.PROGRESS,
    key: input.executionId,
    value: makeEnvelope({
      id: input.id,
      time: input.time,
      type: EventTypes.progress(input.data.kind),
      source: input.source ?? EventSources.ORCHESTRATOR,
      subject: input.executionId,
      tenantId: input.tenantId,
      executionId: input.executionId,
      sequence: input.sequence,
      data: input.data,
    }),
  };
}

/** upgrade.executions (compacted), key executionId; `sequence` = last progress sequence included. */
export function executionSnapshotMessage(
  view: UpgradeExecutionView,
  sequence: number,
  o: EnvelopeOverrides = {},
): OutboundMessage<UpgradeExecutionView> {
  return {
    topic: Topics.EXECUTIONS,
    key: view.id,
    value: makeEnvelope({
      ...o,
      type: EventTypes.EXECUTION_SNAPSHOT,
      source: o.source ?? EventSources.ORCHESTRATOR,
      subject: view.id,
      tenantId: view.tenantId,
      executionId: view.id,
      sequence,
      data: view,
    }),
  };
}

/** registry.events, key componentId for version events and instanceId for inventory events. */
export function registryEventMessage<E extends RegistryEvent>(
  data: E,
  o: EnvelopeOverrides = {},
): OutboundMessage<E> {
  const key = data.kind === 'InstanceRegistered' ? data.instanceId : data.componentId;
  return {
    topic: Topics.REGISTRY_EVENTS,
    key,
    value: makeEnvelope({
      ...o,
      type: EventTypes.registry(data.kind),
      source: o.source ?? EventSources.REGISTRY,
      subject: key,
      tenantId: data.kind === 'InstanceRegistered' ? data.tenantId : '',
      data,
    }),
  };
}

/** The Kafka key of an audit record that concerns no tenant (catalog changes, unknown paths). */
export const NO_TENANT_KEY = '-';

/**
 * audit.events, key tenantId ("-" when none). The envelope id is the record's id, so a consumer that
 * deduplicates on it sees each record once; `source` names the service that answered the request.
 */
export function auditRecordedMessage(record: AuditRecord): OutboundMessage<AuditRecord> {
  const key = record.tenantId ?? NO_TENANT_KEY;
  return {
    topic: Topics.AUDIT_EVENTS,
    key,
    value: makeEnvelope({
      id: record.id,
      time: record.at,
      type: EventTypes.AUDIT_RECORDED,
      source: record.service === 'registry' ? EventSources.REGISTRY : EventSources.ORCHESTRATOR,
      subject: key,
      tenantId: record.tenantId ?? '',
      data: record,
    }),
  };
}

/** upgrade.dlq, key = original key. */
export function deadLetterMessage(
  letter: DeadLetter,
  context: { source: string; tenantId?: string; executionId?: string },
): OutboundMessage<DeadLetter> {
  return {
    topic: Topics.DLQ,
    key: letter.key ?? '',
    value: makeEnvelope({
      type: EventTypes.DEAD_LETTER,
      source: context.source,
      subject: letter.originalTopic,
      tenantId: context.tenantId,
      executionId: context.executionId,
      data: letter,
    }),
  };
}

/**
 * Every message on every topic, described once: the AsyncAPI document and the JSON Schemas are
 * generated from this list, so they cannot drift from the TypeBox schemas the code checks against.
 */
export interface MessageDescriptor {
  /** Message name in AsyncAPI and JSON Schema file name. */
  name: string;
  topic: TopicName;
  /** CloudEvents type. */
  type: string;
  /** What the Kafka key holds. */
  key: string;
  producer: string;
  consumers: string;
  summary: string;
  schema: TSchema;
}

export const MESSAGE_CATALOG: readonly MessageDescriptor[] = [
  {
    name: 'InstanceCommand',
    topic: Topics.COMMANDS,
    type: EventTypes.COMMAND,
    key: 'instanceId',
    producer: 'orchestrator (via its outbox)',
    consumers: 'workers (group upshift-workers)',
    summary: 'Drain, upgrade, health-check or roll back one instance',
    schema: InstanceCommandSchema,
  },
  {
    name: 'InstanceCommandResult',
    topic: Topics.RESULTS,
    type: EventTypes.RESULT,
    key: 'executionId',
    producer: 'workers',
    consumers: 'orchestrator (group upshift-orchestrator)',
    summary: "A worker's outcome for one command",
    schema: InstanceCommandResultSchema,
  },
  ...PROGRESS_EVENT_SCHEMAS.map((schema): MessageDescriptor => ({
    name: schema.properties.kind.const,
    topic: Topics.PROGRESS,
    type: EventTypes.progress(schema.properties.kind.const),
    key: 'executionId',
    producer: 'orchestrator (via its outbox)',
    consumers: 'dashboards, the registry, anyone',
    summary: typeof schema.description === 'string' ? schema.description : schema.properties.kind.const,
    schema,
  })),
  {
    name: 'ExecutionSnapshot',
    topic: Topics.EXECUTIONS,
    type: EventTypes.EXECUTION_SNAPSHOT,
    key: 'executionId',
    producer: 'orchestrator (via its outbox)',
    consumers: 'dashboards',
    summary: 'The latest state of one execution (compacted topic: the newest per key survives)',
    schema: UpgradeExecutionViewSchema,
  },
  ...REGISTRY_EVENT_SCHEMAS.map((schema): MessageDescriptor => ({
    name: schema.properties.kind.const,
    topic: Topics.REGISTRY_EVENTS,
    type: EventTypes.registry(schema.properties.kind.const),
    key: schema.properties.kind.const === 'InstanceRegistered' ? 'instanceId' : 'componentId',
    producer: 'registry (via its outbox)',
    consumers: 'anyone',
    summary: typeof schema.description === 'string' ? schema.description : schema.properties.kind.const,
    schema,
  })),
  {
    name: 'AuditRecorded',
    topic: Topics.AUDIT_EVENTS,
    type: EventTypes.AUDIT_RECORDED,
    key: 'tenantId, or "-" when the request concerned no tenant',
    producer: 'registry and orchestrator (each via its outbox)',
    consumers: 'auditors, SIEM pipelines',
    summary: 'A mutating or refused REST request: who, what, which tenant and target, the outcome',
    schema: AuditRecordedSchema,
  },
  {
    name: 'DeadLetter',
    topic: Topics.DLQ,
    type: EventTypes.DEAD_LETTER,
    key: 'the original message key',
    producer: 'any consumer',
    consumers: 'operators',
    summary: 'A message that could not be parsed or processed, with the error',
    schema: DeadLetterSchema,
  },
];
