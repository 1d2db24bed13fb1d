import { randomBytes } from 'crypto';
import { ExecutionStatus } from '@upshift/contracts';
import { isTerminal } from '@upshift/domain';
import { eventually } from '@upshift/testing';
import { OrchestratorClient, startStack, type Stack } from '@upshift/stack';
import {
  startOtlpJsonCollector,
  type CollectedSpan,
  type OtlpJsonCollector,
} from './support/otlp-json-collector';

jest.setTimeout(300_000);

const INSTANCES = 2;
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;
/**
 * One trace from `POST …/upgrades/:id/start` to the agents (docs/adr/0091-opentelemetry-tracing.md): the
 * orchestrator and the worker run as the separate processes they are, with the standard OTEL_* variables
 * pointing at an OTLP/HTTP receiver this test runs; the trace id is the test's own, sent as `traceparent`
 * on the start request. The fleet is the witness that the context reached the agents.
 */
describe('tracing across REST, outbox, Kafka, worker and agent', () => {
  let collector: OtlpJsonCollector;
  let stack: Stack;
  let client: OrchestratorClient;

  beforeAll(async () => {
    collector = await startOtlpJsonCollector();
    const otel = {
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.endpoint,
      // Export within a tenth of a second instead of five: the test waits for the spans.
      OTEL_BSP_SCHEDULE_DELAY: '100',
    };
    stack = await startStack({
      label: 'tracing',
      workers: 1,
      workerConcurrency: 8,
      workerEnv: otel,
      orchestratorEnv: otel,
      fleet: {
        instances: INSTANCES,
        initialVersion: '2.1.0',
        latency: { default: { kind: 'uniform', minMs: 1, maxMs: 5 } },
      },
    });
    client = new OrchestratorClient(stack.baseUrl, stack.operatorToken);
  });

  afterAll(async () => {
    await stack?.stop();
    await collector?.close();
  });

  it('one trace id from the start request through the outbox, the worker and the agent call to the progress events', async () => {
    const created = await client.create(stack.tenantId, {
      componentId: stack.componentId,
      fromVersionId: stack.versionId('2.1.0'),
      toVersionId: stack.versionId('2.2.0'),
      strategy: 'ROLLING',
      batchSize: 1,
      batchDelaySeconds: 0,
      healthCheckIntervalSeconds: 1,
      healthCheckTimeoutSeconds: 3,
      maxUnavailablePercentage: 50,
      totalInstances: INSTANCES,
      autoRollbackEnabled: true,
      failureThreshold: 1,
      initiatedBy: 'tracing@upshift.test',
      installedComponents: { kafka: '3.6.0', postgresql: '16.1.0' },
    });
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const startPath = `/api/v1/registry/upgrades/${created.id}/start`;
    const started = await fetch(`${stack.baseUrl}${startPath}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${stack.operatorToken}`,
        traceparent: `00-${traceId}-${callerSpanId}-01`,
      },
    });
    expect(started.status).toBe(200);
    const view = await eventually(
      async () => {
        const current = await client.get(created.id);
        return isTerminal(current.status) ? current : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250, what: `execution ${created.id} to end` },
    );
    expect(view.status).toBe(ExecutionStatus.COMPLETED);

    const inTrace = () => collector.spans.filter((span) => span.traceId === traceId);
    const find = (service: string, kind: number, name: string) => (span: CollectedSpan) =>
      span.service === service && span.kind === kind && span.name === name;
    const wanted = {
      request: (s: CollectedSpan) =>
        s.service === 'upshift-orchestrator' && s.kind === SERVER && s.attributes['url.path'] === startPath,
      commandPublished: find('upshift-orchestrator', PRODUCER, 'upgrade.commands publish'),
      commandHandled: find('upshift-worker', CONSUMER, 'upgrade.commands process'),
      agentUpgrade: find('upshift-worker', CLIENT, 'agent upgrade'),
      resultApplied: find('upshift-orchestrator', CONSUMER, 'upgrade.results process'),
      progressPublished: find('upshift-orchestrator', PRODUCER, 'upgrade.progress publish'),
    };
    // Two processes export in batches, and a worker's span ends after the orchestrator applied its
    // result: wait until every kind of span is in and every parent has arrived.
    const complete = (all: CollectedSpan[]): boolean => {
      const ids = new Set([callerSpanId, ...all.map((s) => s.spanId)]);
      return (
        Object.values(wanted).every((matches) => all.some(matches)) &&
        all.filter(wanted.agentUpgrade).length >= INSTANCES &&
        all.every((s) => ids.has(s.parentSpanId))
      );
    };
    const spans = await eventually(
      () => {
        const all = inTrace();
        return complete(all) ? all : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `every span of trace ${traceId} and its parents` },
    );

    // The request continues the caller's span; every other span hangs off a span of the same trace.
    const request = spans.filter(wanted.request);
    expect(request).toHaveLength(1);
    expect(request[0]?.parentSpanId).toBe(callerSpanId);
    const ids = new Set([callerSpanId, ...spans.map((s) => s.spanId)]);
    const orphans = spans.filter((s) => !ids.has(s.parentSpanId));
    expect(orphans).toEqual([]);

    // One command per instance was published, handled and sent to its agent within this trace.
    expect(spans.filter(wanted.commandPublished).length).toBeGreaterThanOrEqual(INSTANCES);
    expect(spans.filter(wanted.commandHandled).length).toBeGreaterThanOrEqual(INSTANCES);
    const agentUpgrades = spans.filter(wanted.agentUpgrade);
    expect(agentUpgrades.length).toBeGreaterThanOrEqual(INSTANCES);
    // A progress event was published from a transaction that applied a result.
    const resultSpanIds = new Set(spans.filter(wanted.resultApplied).map((s) => s.spanId));
    expect(spans.filter(wanted.progressPublished).some((s) => resultSpanIds.has(s.parentSpanId))).toBe(true);

    // The agents saw the trace: each upgrade call arrived with a traceparent of this trace, naming
    // the worker's agent-call span as its parent.
    const agentSpanIds = new Set(agentUpgrades.map((s) => s.spanId));
    for (const instance of stack.fleet.instances) {
      const traced = stack.fleet.agent(instance.name).tracedCalls;
      // Before its first upgrade, an agent is asked only by the orchestrator's pre-upgrade checks (the
      // worker checks health after the switch): those calls carry the start's trace too.
      const checks = traced.slice(
        0,
        traced.findIndex((c) => c.operation === 'upgrade'),
      );
      expect(checks.filter((c) => c.operation === 'health').map((c) => c.traceparent.split('-')[1])).toEqual([
        traceId,
      ]);
      const upgrades = traced.filter((c) => c.operation === 'upgrade');
      expect(upgrades.length).toBeGreaterThanOrEqual(1);
      for (const call of upgrades) {
        const [version, callTraceId, parentId] = call.traceparent.split('-');
        expect([version, callTraceId]).toEqual(['00', traceId]);
        expect(agentSpanIds.has(parentId ?? '')).toBe(true);
      }
    }
  });
});
