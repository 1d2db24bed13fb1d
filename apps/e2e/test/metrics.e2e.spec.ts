import { randomBytes } from 'crypto';
import { readFileSync } from 'fs';
import { join } from 'path';
import { ExecutionStatus, type UpgradeExecutionView } from '@upshift/contracts';
import { isTerminal } from '@upshift/domain';
import {
  eventually,
  hasSample,
  parsePrometheusText,
  sampleSum,
  seriesNamesOf,
  type PrometheusScrape,
} from '@upshift/testing';
import { freePort, OrchestratorClient, REPO_ROOT, startStack, type Stack } from '@upshift/stack';

jest.setTimeout(300_000);

const INSTANCES = 6;
/**
 * GET /metrics of every process after real upgrades through the whole stack (docs/adr/0086-metrics-endpoints.md):
 * the orchestrator (behind METRICS_TOKEN here), the registry, the worker and the embedded broker. Then
 * every metric that deploy/grafana and deploy/prometheus use must be one of those the services declare.
 */
describe('metrics of every service after real upgrades', () => {
  const metricsToken = randomBytes(24).toString('base64url');
  let stack: Stack;
  let client: OrchestratorClient;
  let workerMetricsUrl: string;
  const declared = new Map<string, Set<string>>();

  beforeAll(async () => {
    const workerPort = await freePort();
    workerMetricsUrl = `http://127.0.0.1:${workerPort}/metrics`;
    stack = await startStack({
      label: 'metrics',
      workers: 1,
      workerConcurrency: 16,
      // One worker: its probe port is known, so its /metrics is too.
      workerEnv: { WORKER_HEALTH_PORT: String(workerPort) },
      orchestratorEnv: { METRICS_TOKEN: metricsToken },
      brokerMetrics: true,
      fleet: {
        instances: INSTANCES,
        initialVersion: '2.1.0',
        latency: { default: { kind: 'uniform', minMs: 5, maxMs: 20 } },
      },
    });
    client = new OrchestratorClient(stack.baseUrl, stack.operatorToken);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function scrape(url: string, token?: string): Promise<PrometheusScrape> {
    const response = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const parsed = parsePrometheusText(await response.text());
    const service = new URL(url).port;
    const names = declared.get(service) ?? new Set<string>();
    for (const [family, type] of parsed.families) for (const n of seriesNamesOf(family, type)) names.add(n);
    declared.set(service, names);
    return parsed;
  }
  const orchestrator = () => scrape(`${stack.baseUrl}/metrics`, metricsToken);
  const registry = () => scrape(`${stack.registryUrl}/metrics`);
  const worker = () => scrape(workerMetricsUrl);
  const broker = () => scrape(stack.brokerMetricsUrl as string);

  function request(from: string, to: string, overrides: Record<string, unknown> = {}) {
    return {
      componentId: stack.componentId,
      fromVersionId: stack.versionId(from),
      toVersionId: stack.versionId(to),
      strategy: 'ROLLING',
      batchSize: 3,
      batchDelaySeconds: 0,
      healthCheckIntervalSeconds: 1,
      healthCheckTimeoutSeconds: 3,
      maxUnavailablePercentage: 50,
      totalInstances: INSTANCES,
      autoRollbackEnabled: true,
      failureThreshold: 1,
      initiatedBy: 'metrics@upshift.test',
      installedComponents: { kafka: '3.6.0', postgresql: '16.1.0' },
      ...overrides,
    };
  }

  async function runToEnd(body: Record<string, unknown>): Promise<UpgradeExecutionView> {
    const created = await client.create(stack.tenantId, body);
    await client.operate(created.id, 'start');
    const view = await eventually(
      async () => {
        const current = await client.get(created.id);
        return isTerminal(current.status) ? current : undefined;
      },
      { timeoutMs: 120_000, intervalMs: 250, what: `execution ${created.id} to end` },
    );
    await stack.inventoryMatchesFleet();
    return view;
  }

  it("the orchestrator's /metrics wants METRICS_TOKEN when one is set, and no user's JWT", async () => {
    const without = await fetch(`${stack.baseUrl}/metrics`);
    expect(without.status).toBe(401);
    const withUserToken = await fetch(`${stack.baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${stack.operatorToken}` },
    });
    expect(withUserToken.status).toBe(401);
    const scraped = await orchestrator();
    expect(
      sampleSum(scraped, 'upshift_process_cpu_seconds_total', { service: 'orchestrator' }),
    ).toBeGreaterThan(0);
    // The registry's has no token: open like its probes.
    expect(
      hasSample(await registry(), 'upshift_process_resident_memory_bytes', { service: 'registry' }),
    ).toBe(true);
  });

  it('after an upgrade of 6 instances: one step observation per instance and step, and every process counted its part', async () => {
    const view = await runToEnd(request('2.1.0', '2.2.0'));
    expect(view.status).toBe(ExecutionStatus.COMPLETED);

    const o = await orchestrator();
    for (const step of ['DRAIN', 'UPGRADE', 'HEALTH_CHECK']) {
      expect(
        sampleSum(o, 'upshift_instance_step_duration_seconds_count', { step, outcome: 'SUCCEEDED' }),
      ).toBe(INSTANCES);
    }
    expect(sampleSum(o, 'upshift_instance_step_duration_seconds_count')).toBe(INSTANCES * 3);
    expect(sampleSum(o, 'upshift_instance_step_duration_seconds_sum')).toBeGreaterThan(0);
    expect(
      sampleSum(o, 'upshift_command_dispatch_to_result_seconds_count', {
        type: 'UPGRADE',
        outcome: 'SUCCEEDED',
      }),
    ).toBe(INSTANCES);
    expect(sampleSum(o, 'upshift_executions_finished_total', { status: 'COMPLETED' })).toBe(1);
    expect(sampleSum(o, 'upshift_results_total', { verdict: 'applied' })).toBeGreaterThanOrEqual(INSTANCES);
    expect(sampleSum(o, 'upshift_results_total', { verdict: 'dead_lettered' })).toBe(0);
    expect(sampleSum(o, 'upshift_outbox_published_total', { topic: 'upgrade.commands' })).toBe(INSTANCES);
    expect(sampleSum(o, 'upshift_outbox_published_total', { topic: 'upgrade.progress' })).toBeGreaterThan(0);
    expect(sampleSum(o, 'upshift_outbox_relay_leader')).toBe(1);
    expect(
      sampleSum(o, 'upshift_http_request_duration_seconds_count', {
        route: '/api/v1/registry/tenants/:tenantId/upgrades',
        method: 'POST',
        status: '2xx',
      }),
    ).toBe(1);

    // The gauges read Postgres and Kafka at most every 5 s: eventually they show nothing active, nothing
    // pending and nothing unconsumed.
    await eventually(
      async () => {
        const now = await orchestrator();
        const active = sampleSum(now, 'upshift_executions');
        const lag = sampleSum(now, 'upshift_results_consumer_lag_messages');
        const pending = sampleSum(now, 'upshift_outbox_pending_rows');
        return active === 0 && lag === 0 && pending === 0 ? true : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'no active execution, no lag, no pending outbox rows' },
    );
    const settled = await orchestrator();
    for (const status of ['PENDING', 'VALIDATING', 'IN_PROGRESS', 'ROLLING_BACK']) {
      expect(hasSample(settled, 'upshift_executions', { status })).toBe(true);
    }
    expect(hasSample(settled, 'upshift_results_consumer_lag_messages')).toBe(true);
    expect(sampleSum(settled, 'upshift_outbox_oldest_pending_age_seconds')).toBe(0);

    const r = await registry();
    expect(sampleSum(r, 'upshift_outbox_relay_leader')).toBe(1);
    expect(sampleSum(r, 'upshift_outbox_published_total')).toBeGreaterThan(0);
    expect(sampleSum(r, 'upshift_http_request_duration_seconds_count', { status: '2xx' })).toBeGreaterThan(0);

    const w = await worker();
    for (const operation of ['drain', 'upgrade', 'undrain']) {
      expect(
        sampleSum(w, 'upshift_agent_call_duration_seconds_count', { operation, result: 'ok' }),
      ).toBeGreaterThanOrEqual(INSTANCES);
    }
    expect(
      sampleSum(w, 'upshift_agent_call_duration_seconds_count', { operation: 'health', result: 'ok' }),
    ).toBeGreaterThanOrEqual(INSTANCES);
    expect(
      sampleSum(w, 'upshift_worker_commands_total', { result: 'executed' }) +
        sampleSum(w, 'upshift_worker_commands_total', { result: 'replayed' }),
    ).toBeGreaterThanOrEqual(INSTANCES);
    expect(sampleSum(w, 'upshift_worker_reports_published_total')).toBeGreaterThanOrEqual(INSTANCES);

    const b = await broker();
    expect(
      sampleSum(b, 'upshift_broker_messages_in_total', { topic: 'upgrade.commands' }),
    ).toBeGreaterThanOrEqual(INSTANCES);
    expect(sampleSum(b, 'upshift_broker_bytes_in_total', { topic: 'upgrade.commands' })).toBeGreaterThan(0);
    expect(
      sampleSum(b, 'upshift_broker_messages_out_total', { topic: 'upgrade.commands' }),
    ).toBeGreaterThanOrEqual(INSTANCES);
    expect(
      sampleSum(b, 'upshift_broker_messages_in_total', { topic: 'upgrade.results' }),
    ).toBeGreaterThanOrEqual(INSTANCES);
    expect(sampleSum(b, 'upshift_broker_bytes_out_total', { topic: 'upgrade.results' })).toBeGreaterThan(0);
    expect(hasSample(b, 'upshift_process_cpu_seconds_total', { service: 'kafka-broker' })).toBe(true);
  });

  it('a run that fails its threshold counts a rollback by reason, its ROLLBACK steps and its end', async () => {
    const names = stack.fleet.instances.map((i) => i.name);
    stack.fleet.setFaults({ unhealthyAfterUpgrade: { instances: names.slice(0, 1) } });
    try {
      const view = await runToEnd(request('2.2.0', '2.2.2'));
      expect(view.status).toBe(ExecutionStatus.ROLLED_BACK);
    } finally {
      stack.fleet.setFaults({});
    }
    const o = await orchestrator();
    expect(sampleSum(o, 'upshift_rollbacks_total', { reason: 'failure_threshold' })).toBe(1);
    expect(sampleSum(o, 'upshift_executions_finished_total', { status: 'ROLLED_BACK' })).toBe(1);
    expect(
      sampleSum(o, 'upshift_instance_step_duration_seconds_count', {
        step: 'HEALTH_CHECK',
        outcome: 'FAILED',
      }),
    ).toBe(1);
    const rollbackSteps = sampleSum(o, 'upshift_instance_step_duration_seconds_count', { step: 'ROLLBACK' });
    expect(rollbackSteps).toBeGreaterThanOrEqual(1);
    expect(sampleSum(o, 'upshift_command_dispatch_to_result_seconds_count', { type: 'ROLLBACK' })).toBe(
      rollbackSteps,
    );
  });

  it('every metric the Grafana dashboard and the alert rules use is one a service declares', async () => {
    await Promise.all([orchestrator(), registry(), worker(), broker()]);
    const exported = new Set([...declared.values()].flatMap((names) => [...names]));
    const files = ['deploy/grafana/upshift-dashboard.json', 'deploy/prometheus/alerts.yml'];
    for (const file of files) {
      const referenced = referencedMetrics(readFileSync(join(REPO_ROOT, file), 'utf8'));
      expect(referenced.length).toBeGreaterThan(5);
      expect({ file, missing: referenced.filter((name) => !exported.has(name)) }).toEqual({
        file,
        missing: [],
      });
    }
  });
});

/** Every `upshift_…` name in a dashboard's or a rule file's PromQL. */
function referencedMetrics(text: string): string[] {
  return [...new Set(text.match(/\bupshift_[a-z0-9_]+\b/g) ?? [])].filter(
    // Recording-rule names and the dashboard's own uid are not metrics a service exports.
    (name) => !name.startsWith('upshift_dashboard'),
  );
}
