import { randomUUID } from 'crypto';
import { Type } from '@sinclair/typebox';
import {
  CommandOutcome,
  ExecutionStatus,
  InstanceCommandType,
  InstanceStatus,
  InstanceStep,
  VersionChannel,
} from '../enums';
import { Topics } from '../topics';
import { EventEnvelopeSchema, InvalidMessageError, makeEnvelope, parseEnvelope } from './envelope';
import type { EventEnvelope } from './envelope';
import { InstanceCommandResultSchema, InstanceCommandSchema } from './instance-command';
import type { InstanceCommand, InstanceCommandResult } from './instance-command';
import {
  EventTypes,
  MESSAGE_CATALOG,
  commandMessage,
  deadLetterMessage,
  isProgressEventType,
  progressMessage,
  registryEventMessage,
  resultMessage,
} from './messages';
import { PROGRESS_EVENT_KINDS, ProgressEventSchema } from './progress-events';
import type { ProgressEvent } from './progress-events';
import { RegistryEventSchema } from './registry-events';
import { DeadLetterSchema } from './dead-letter';

const executionId = randomUUID();
const instanceId = randomUUID();

const command: InstanceCommand = {
  commandId: randomUUID(),
  executionId,
  tenantId: '550e8400',
  instanceId,
  instanceName: 'kafka-0',
  agentUrl: 'http://127.0.0.1:7001',
  type: InstanceCommandType.UPGRADE,
  fencingToken: 41,
  targetVersion: {
    versionId: randomUUID(),
    version: '2.1.0',
    artifact: { url: 'https://artifacts.example/kafka-2.1.0.tgz', sha256: 'a'.repeat(64), signature: null },
  },
  previousVersion: { versionId: randomUUID(), version: '2.0.3' },
  healthCheckIntervalSeconds: 30,
  healthCheckTimeoutSeconds: 300,
  attempt: 1,
  issuedAt: new Date().toISOString(),
};

const result: InstanceCommandResult = {
  commandId: command.commandId,
  executionId,
  tenantId: '550e8400',
  instanceId,
  type: InstanceCommandType.UPGRADE,
  fencingToken: 41,
  steps: [
    {
      step: InstanceStep.DRAIN,
      outcome: CommandOutcome.SUCCEEDED,
      reason: null,
      observedVersion: '2.0.3',
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: '2025-01-01T00:00:00.200Z',
    },
    {
      step: InstanceStep.UPGRADE,
      outcome: CommandOutcome.FAILED,
      reason: 'the agent refused the artifact: digest mismatch',
      observedVersion: '2.0.3',
      startedAt: '2025-01-01T00:00:00.200Z',
      finishedAt: '2025-01-01T00:00:01.500Z',
    },
  ],
  final: true,
  workerId: 'worker-1',
};

function problemsOf(run: () => unknown): { path: string; message: string }[] {
  try {
    run();
  } catch (error) {
    if (error instanceof InvalidMessageError) return [...error.problems];
    throw error;
  }
  throw new Error('expected an InvalidMessageError');
}

describe('event envelope', () => {
  it('has the CloudEvents attributes and the Upshift extensions', () => {
    const envelope = makeEnvelope({ type: 't', source: '/s', subject: 'x', data: { n: 1 } });
    expect(envelope).toEqual({
      specversion: '1.0',
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 't',
      source: '/s',
      time: expect.stringMatching(/Z$/),
      subject: 'x',
      datacontenttype: 'application/json',
      tenantid: '',
      executionid: '',
      sequence: 0,
      data: { n: 1 },
    });
    // The envelope of ADR 0023, spelled out: a compile-time check that the derived type matches it.
    const typed: EventEnvelope<{ n: number }> = envelope;
    const documented: {
      specversion: '1.0';
      id: string;
      type: string;
      source: string;
      time: string;
      subject: string;
      datacontenttype: 'application/json';
      tenantid: string;
      executionid: string;
      sequence: number;
      data: { n: number };
    } = typed;
    expect(documented.data.n).toBe(1);
  });

  it('round-trips a command through a Buffer', () => {
    const message = commandMessage(command);
    expect(message.topic).toBe(Topics.COMMANDS);
    expect(message.key).toBe(instanceId);
    const parsed = parseEnvelope(Buffer.from(JSON.stringify(message.value)), InstanceCommandSchema, {
      type: EventTypes.COMMAND,
    });
    expect(parsed).toEqual(message.value);
    expect(parsed.data.targetVersion.artifact.signature).toBeNull();
  });

  it('round-trips a result through a string, keyed by execution', () => {
    const message = resultMessage(result, { source: '/upshift/worker/worker-1' });
    expect(message.key).toBe(executionId);
    expect(parseEnvelope(JSON.stringify(message.value), InstanceCommandResultSchema)).toEqual(message.value);
  });

  it('round-trips every progress kind with its sequence', () => {
    const samples: ProgressEvent[] = [
      {
        kind: 'ExecutionStatusChanged',
        from: ExecutionStatus.PENDING,
        to: ExecutionStatus.VALIDATING,
        reason: null,
      },
      {
        kind: 'InstanceStatusChanged',
        instanceId,
        instanceName: 'kafka-0',
        from: InstanceStatus.PENDING,
        to: InstanceStatus.DRAINING,
        batch: 1,
        error: null,
      },
      { kind: 'BatchStarted', batch: 1, instanceIds: [instanceId] },
      { kind: 'TranscriptLine', line: 'batch 1 started' },
    ];
    samples.forEach((data, index) => {
      const message = progressMessage({ executionId, tenantId: 't1', sequence: index + 1, data });
      expect(message.value.type).toBe(`upshift.progress.${data.kind}`);
      const parsed = parseEnvelope(JSON.stringify(message.value), ProgressEventSchema, {
        type: isProgressEventType,
      });
      expect(parsed.sequence).toBe(index + 1);
      expect(parsed.data).toEqual(data);
    });
  });

  it('keys registry version events by component and inventory events by instance', () => {
    const componentId = randomUUID();
    const version = registryEventMessage({
      kind: 'VersionYanked',
      componentId,
      componentName: 'kafka',
      versionId: randomUUID(),
      version: '3.0.1',
      channel: VersionChannel.STABLE,
      reason: 'CVE',
    });
    expect(version.key).toBe(componentId);
    expect(version.value.type).toBe('upshift.registry.VersionYanked');
    expect(() => parseEnvelope(JSON.stringify(version.value), RegistryEventSchema)).not.toThrow();
  });

  it('rejects bytes that are not JSON', () => {
    expect(problemsOf(() => parseEnvelope(Buffer.from('{oops'), InstanceCommandSchema))).toEqual([
      { path: '', message: expect.stringMatching(/^not JSON/) },
    ]);
  });

  it('rejects a tombstone', () => {
    expect(problemsOf(() => parseEnvelope(null, InstanceCommandSchema))[0]?.message).toMatch(/no value/);
  });

  it('lists the path of each invalid field, in the envelope and in data', () => {
    const envelope = commandMessage(command).value;
    const broken = {
      ...envelope,
      specversion: '0.3',
      data: {
        ...envelope.data,
        instanceId: 'not-a-uuid',
        attempt: 0,
        type: 'REBOOT',
        targetVersion: undefined,
      },
    };
    const paths = problemsOf(() => parseEnvelope(JSON.stringify(broken), InstanceCommandSchema)).map(
      (p) => p.path,
    );
    expect(paths).toEqual(
      expect.arrayContaining([
        '/specversion',
        '/data/instanceId',
        '/data/attempt',
        '/data/type',
        '/data/targetVersion',
      ]),
    );
  });

  it('names the message kind and the first problems in the error message', () => {
    const envelope = { ...commandMessage(command).value, sequence: -1 };
    expect(() => parseEnvelope(JSON.stringify(envelope), InstanceCommandSchema)).toThrow(
      /invalid InstanceCommand message: \/sequence/,
    );
  });

  it('rejects an envelope of another type when a type is expected', () => {
    const envelope = commandMessage(command).value;
    expect(
      problemsOf(() => parseEnvelope(JSON.stringify(envelope), InstanceCommandSchema, { type: 'x' })),
    ).toEqual([{ path: '/type', message: 'unexpected type upshift.command.v1, expected x' }]);
  });

  it('accepts unknown extra fields so producers can add optional ones first', () => {
    const envelope = commandMessage(command).value;
    const extended = { ...envelope, traceparent: '00-abc', data: { ...envelope.data, priority: 'high' } };
    expect(() => parseEnvelope(JSON.stringify(extended), InstanceCommandSchema)).not.toThrow();
  });

  it('builds dead letters keyed by the original key', () => {
    const letter = deadLetterMessage(
      {
        originalTopic: Topics.RESULTS,
        originalPartition: 0,
        originalOffset: '42',
        consumerGroup: 'upshift-orchestrator',
        key: executionId,
        value: '{oops',
        valueEncoding: 'utf8',
        error: { name: 'InvalidMessageError', message: 'not JSON', problems: [] },
        failedAt: new Date().toISOString(),
      },
      { source: '/upshift/orchestrator' },
    );
    expect(letter.key).toBe(executionId);
    expect(() => parseEnvelope(JSON.stringify(letter.value), DeadLetterSchema)).not.toThrow();
  });

  it('generic envelope schema checks only attributes when data is unknown', () => {
    const schema = EventEnvelopeSchema(Type.Unknown());
    expect(schema.required).toContain('data');
  });
});

describe('message catalog', () => {
  it('describes every topic and every progress kind', () => {
    expect(new Set(MESSAGE_CATALOG.map((m) => m.topic))).toEqual(new Set(Object.values(Topics)));
    for (const kind of PROGRESS_EVENT_KINDS) {
      expect(MESSAGE_CATALOG.find((m) => m.name === kind)?.type).toBe(`upshift.progress.${kind}`);
    }
    expect(new Set(MESSAGE_CATALOG.map((m) => m.name)).size).toBe(MESSAGE_CATALOG.length);
  });
});
