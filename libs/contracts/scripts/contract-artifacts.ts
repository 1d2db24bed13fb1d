import * as path from 'path';
import * as prettier from 'prettier';
import { Type } from '@sinclair/typebox';
import type { TSchema } from '@sinclair/typebox';
import { stringify } from 'yaml';
import {
  AuditPageSchema,
  CLOUDEVENTS_CONTENT_TYPE,
  ConsumerGroups,
  EventEnvelopeSchema,
  ExecutionStatisticsSchema,
  MESSAGE_CATALOG,
  ProblemDetailsSchema,
  ProgressEventSchema,
  RegistryEventSchema,
  RollbackInfoSchema,
  Topics,
  UpgradeExecutionViewSchema,
  UpgradeInstanceViewSchema,
  ValidationResultViewSchema,
} from '../src';
import type { MessageDescriptor, TopicName } from '../src';
import { AGENT_OPENAPI_FILE, renderAgentOpenApi } from './agent-openapi';

/**
 * Renders every derived contract file from the TypeBox schemas in src/: the JSON Schemas under
 * schemas/, the AsyncAPI document and the agent protocol's OpenAPI document (docs/). `npm run schemas:generate` writes them; a test renders them again
 * and fails when the committed copies differ, so the files can never drift from the code.
 */

export const CONTRACTS_DIR = path.resolve(__dirname, '..');
const JSON_SCHEMA_DRAFT = 'http://json-schema.org/draft-07/schema#';

/** Plain JSON of a TypeBox schema: no symbols, no nested `$id` (which would rebase nested references). */
export function toPlainJsonSchema(schema: TSchema): Record<string, unknown> {
  const strip = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(strip);
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value as Record<string, unknown>)
          .filter(([key]) => key !== '$id')
          .map(([key, inner]) => [key, strip(inner)]),
      );
    }
    return value;
  };
  return strip(JSON.parse(JSON.stringify(schema))) as Record<string, unknown>;
}

function jsonSchemaFile(id: string, schema: TSchema): Record<string, unknown> {
  return { $schema: JSON_SCHEMA_DRAFT, $id: id, ...toPlainJsonSchema(schema) };
}

const wireSchema = (message: MessageDescriptor) =>
  EventEnvelopeSchema(message.schema, { title: `${message.name} message` });

/** Relative file path → content (before formatting). */
function renderJsonSchemas(): Map<string, string> {
  const files = new Map<string, string>();
  const put = (file: string, schema: TSchema) =>
    files.set(file, JSON.stringify(jsonSchemaFile(file.replace(/^schemas\//, ''), schema)));

  put('schemas/EventEnvelope.json', EventEnvelopeSchema(Type.Unknown(), { title: 'EventEnvelope' }));
  for (const schema of [
    UpgradeExecutionViewSchema,
    UpgradeInstanceViewSchema,
    ValidationResultViewSchema,
    RollbackInfoSchema,
    ExecutionStatisticsSchema,
    ProblemDetailsSchema,
    ProgressEventSchema,
    RegistryEventSchema,
    AuditPageSchema,
  ]) {
    put(`schemas/${String(schema.$id)}.json`, schema);
  }
  for (const message of MESSAGE_CATALOG) {
    put(`schemas/data/${message.name}.json`, message.schema);
    put(`schemas/messages/${message.name}.json`, wireSchema(message));
  }
  return files;
}

interface TopicDescription {
  channel: string;
  description: string;
  compacted?: boolean;
  /** Consumer group(s) that read the topic inside Upshift. */
  groups: string[];
}

const TOPICS: Record<TopicName, TopicDescription> = {
  [Topics.COMMANDS]: {
    channel: 'upgradeCommands',
    description:
      'Instance commands, one per attempt (UPGRADE or ROLLBACK), keyed by instanceId so that one instance ' +
      'sees its commands in order.',
    groups: [ConsumerGroups.WORKERS],
  },
  [Topics.RESULTS]: {
    channel: 'upgradeResults',
    description:
      'Step reports on commands, keyed by executionId. Applied only while their commandId is pending, each ' +
      'step once; duplicates and late reports change nothing.',
    groups: [ConsumerGroups.ORCHESTRATOR],
  },
  [Topics.PROGRESS]: {
    channel: 'upgradeProgress',
    description:
      'Every committed state change of an execution, keyed by executionId. The envelope `sequence` is ' +
      'gap-free per execution, so a consumer can detect a missing event.',
    groups: [],
  },
  [Topics.EXECUTIONS]: {
    channel: 'upgradeExecutions',
    description:
      'The latest snapshot of each execution (compacted), keyed by executionId. Its `sequence` is the last ' +
      'progress sequence it includes: start from the snapshot, then apply later progress events.',
    compacted: true,
    groups: [],
  },
  [Topics.DLQ]: {
    channel: 'upgradeDlq',
    description:
      'Messages a consumer could not parse or process, keyed by their original key, with the error.',
    groups: [],
  },
  [Topics.REGISTRY_EVENTS]: {
    channel: 'registryEvents',
    description: 'Catalog and inventory changes of the registry.',
    groups: [],
  },
  [Topics.AUDIT_EVENTS]: {
    channel: 'auditEvents',
    description:
      'One event per audit record of either REST service (mutating and refused requests), keyed by tenantId ' +
      '("-" when none). The envelope id is the record id; the same record is kept in the service\'s audit_log.',
    groups: [],
  },
};

const KAFKA_BINDING_VERSION = '0.5.0';
const keyFormat = (message: MessageDescriptor) => (/Id$/.test(message.key) ? { format: 'uuid' } : {});

export function renderAsyncApi(): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};

  for (const [topic, description] of Object.entries(TOPICS) as [TopicName, TopicDescription][]) {
    const onTopic = MESSAGE_CATALOG.filter((m) => m.topic === topic);
    channels[description.channel] = {
      address: topic,
      title: topic,
      description: description.description,
      messages: Object.fromEntries(onTopic.map((m) => [m.name, { $ref: `#/components/messages/${m.name}` }])),
      bindings: {
        kafka: {
          topic,
          ...(description.compacted ? { topicConfiguration: { 'cleanup.policy': ['compact'] } } : {}),
          bindingVersion: KAFKA_BINDING_VERSION,
        },
      },
    };
    const channelRef = { $ref: `#/channels/${description.channel}` };
    const messageRefs = onTopic.map((m) => ({
      $ref: `#/channels/${description.channel}/messages/${m.name}`,
    }));
    const producers = [...new Set(onTopic.map((m) => m.producer))].join('; ');
    operations[`publish${upperFirst(description.channel)}`] = {
      action: 'send',
      channel: channelRef,
      summary: `Published by ${producers}.`,
      messages: messageRefs,
    };
    for (const group of description.groups) {
      operations[`consume${upperFirst(description.channel)}`] = {
        action: 'receive',
        channel: channelRef,
        summary: `Consumed by ${[...new Set(onTopic.map((m) => m.consumers))].join('; ')}.`,
        messages: messageRefs,
        bindings: {
          kafka: { groupId: { type: 'string', enum: [group] }, bindingVersion: KAFKA_BINDING_VERSION },
        },
      };
    }
    for (const message of onTopic) {
      messages[message.name] = {
        name: message.name,
        title: message.name,
        summary: message.summary,
        description: `CloudEvents type \`${message.type}\`; key: ${message.key}; producer: ${message.producer}; consumers: ${message.consumers}.`,
        contentType: CLOUDEVENTS_CONTENT_TYPE,
        payload: { $ref: `#/components/schemas/${message.name}Message` },
        bindings: {
          kafka: {
            key: { type: 'string', description: message.key, ...keyFormat(message) },
            bindingVersion: KAFKA_BINDING_VERSION,
          },
        },
      };
      schemas[`${message.name}Message`] = toPlainJsonSchema(wireSchema(message));
    }
  }

  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Upshift events',
      version: '1.0.0',
      description:
        'The Kafka topics of Upshift. Every message is a CloudEvents 1.0 event in structured JSON mode ' +
        '(`content-type: application/cloudevents+json`) with the extension attributes `tenantid`, ' +
        '`executionid` and `sequence`. Generated from libs/contracts (TypeBox) by `npm run schemas:generate`; ' +
        'do not edit by hand. Consumers should ignore unknown fields (payloads only ever gain optional ones).',
    },
    defaultContentType: CLOUDEVENTS_CONTENT_TYPE,
    servers: {
      local: {
        host: '127.0.0.1:9092',
        protocol: 'kafka',
        description: 'The embedded broker of the local stack (KAFKA_BROKERS overrides it).',
      },
    },
    channels,
    operations,
    components: { messages, schemas },
  };
}

function upperFirst(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

async function format(file: string, content: string): Promise<string> {
  const absolute = path.join(CONTRACTS_DIR, file);
  const options = (await prettier.resolveConfig(absolute)) ?? {};
  return prettier.format(content, { ...options, filepath: absolute });
}

/** Every generated file, formatted as Prettier would leave it: relative path → content. */
export async function renderContractArtifacts(): Promise<Map<string, string>> {
  const raw = renderJsonSchemas();
  raw.set(
    'asyncapi.yaml',
    '# Generated by `npm run schemas:generate` from libs/contracts/src. Do not edit.\n' +
      stringify(renderAsyncApi(), { lineWidth: 0, aliasDuplicateObjects: false }),
  );
  raw.set(
    AGENT_OPENAPI_FILE,
    '# Generated by `npm run schemas:generate` from libs/contracts/src/agent/agent-protocol.ts. Do not edit.\n' +
      stringify(renderAgentOpenApi(), { lineWidth: 0, aliasDuplicateObjects: false }),
  );
  const out = new Map<string, string>();
  for (const [file, content] of [...raw.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    out.set(file, await format(file, content));
  }
  return out;
}
