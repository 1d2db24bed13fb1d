import { execFileSync, spawnSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';

const REPO_ROOT = join(__dirname, '..', '..', '..');
const ALERTS = join(REPO_ROOT, 'deploy', 'prometheus', 'alerts.yml');
const SCRAPE_CONFIG = join(REPO_ROOT, 'deploy', 'prometheus', 'prometheus.yml');
const DASHBOARD = join(REPO_ROOT, 'deploy', 'grafana', 'upshift-dashboard.json');

/** Debian's `prometheus` package ships promtool; .ci/run installs it. Missing is a failure, never a skip. */
function promtool(args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { encoding: 'utf8' });
  if (run.error !== undefined) {
    throw new Error(
      `promtool could not be run (${run.error.message}); install it with: apt-get install -y prometheus`,
    );
  }
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

interface DashboardPanel {
  title: string;
  targets?: { expr: string }[];
}

/**
 * The monitoring files of deploy/ (docs/adr/0086-metrics-endpoints.md) checked by Prometheus's own
 * tool: the alert rules, the scrape configuration, and every query of the Grafana dashboard (as
 * recording rules, Grafana's $__rate_interval read as 5m). That the metrics they name exist is
 * apps/e2e/test/metrics.e2e.spec.ts's job, against the running services.
 */
describe('deploy/prometheus and deploy/grafana', () => {
  it('promtool is installed', () => {
    expect(execFileSync('promtool', ['--version'], { encoding: 'utf8' })).toMatch(/promtool/);
  });

  it('promtool check rules accepts alerts.yml', () => {
    const { status, output } = promtool(['check', 'rules', ALERTS]);
    expect({ status, output }).toEqual({
      status: 0,
      output: expect.stringMatching(/SUCCESS: \d+ rules found/),
    });
  });

  it('promtool check config accepts prometheus.yml and the rule file it names', () => {
    const { status, output } = promtool(['check', 'config', SCRAPE_CONFIG]);
    expect({ status, output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('every query of the Grafana dashboard is valid PromQL', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: DashboardPanel[] };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(20);
    const dir = mkdtempSync(join(tmpdir(), 'upshift-dashboard-promql-'));
    try {
      const file = join(dir, 'dashboard-queries.yml');
      const rules = exprs.map(
        (expr, i) =>
          `      - record: upshift_dashboard_query_${i}\n        expr: ${JSON.stringify(expr.replaceAll('$__rate_interval', '5m'))}`,
      );
      writeFileSync(file, `groups:\n  - name: dashboard\n    rules:\n${rules.join('\n')}\n`);
      const { status, output } = promtool(['check', 'rules', file]);
      expect({ status, output }).toEqual({
        status: 0,
        output: expect.stringContaining(`${exprs.length} rules found`),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
