import { percentile, type ViolationKind } from './checks';
import type { RunResult } from './chaos-run';
import { KILL_KINDS, type KillKind } from './schedule';

export interface ChaosSummary {
  ok: boolean;
  seed: number;
  runs: number;
  instances: number;
  kills: Record<KillKind, number>;
  lost: number;
  doubled: number;
  stuck: number;
  gaps: number;
  conflicts: number;
  staleFencing: number;
  wrongStatus: number;
  outOfService: number;
  deadLetters: number;
  zonesMissed: number;
  unplannedExits: number;
  takeoverMs: { p50: number | null; p99: number | null; samples: number };
  wallMs: number;
}

const count = (results: readonly RunResult[], kind: ViolationKind) =>
  results.reduce((sum, r) => sum + r.violations.filter((v) => v.kind === kind).length, 0);

export function summarize(
  results: readonly RunResult[],
  seed: number,
  instances: number,
  wallMs: number,
): ChaosSummary {
  const kills = Object.fromEntries(KILL_KINDS.map((kind) => [kind, 0])) as Record<KillKind, number>;
  for (const result of results) for (const kill of result.kills) kills[kill.kind] += 1;
  const takeovers = results.flatMap((r) =>
    r.kills.map((k) => k.takeoverMs).filter((ms): ms is number => ms !== null),
  );
  const summary: Omit<ChaosSummary, 'ok'> = {
    seed,
    runs: results.length,
    instances,
    kills,
    lost: count(results, 'lost'),
    doubled: count(results, 'doubled'),
    stuck: count(results, 'stuck'),
    gaps: count(results, 'gap'),
    conflicts: count(results, 'conflict'),
    staleFencing: count(results, 'stale-fencing'),
    wrongStatus: count(results, 'wrong-status'),
    outOfService: count(results, 'out-of-service'),
    deadLetters: count(results, 'dlq'),
    zonesMissed: count(results, 'zone-missed'),
    unplannedExits: results.reduce((sum, r) => sum + r.unplannedExits.length, 0),
    takeoverMs: {
      p50: percentile(takeovers, 50),
      p99: percentile(takeovers, 99),
      samples: takeovers.length,
    },
    wallMs,
  };
  return { ok: results.every((r) => r.violations.length === 0), ...summary };
}

const pad = (value: unknown, width: number) => String(value).padEnd(width);

/** The per-run table: each kill, each execution as the fleet saw it, then the violations. */
export function formatRun(result: RunResult): string {
  const lines: string[] = [];
  const takeovers = result.kills.map((k) => k.takeoverMs).filter((ms): ms is number => ms !== null);
  lines.push(
    `run ${result.plan.run} (seed ${result.plan.seed}): ${result.kills.length} kills, ${result.violations.length} violations, ` +
      `takeover p50 ${percentile(takeovers, 50) ?? '-'} ms p99 ${percentile(takeovers, 99) ?? '-'} ms, ${result.wallMs} ms`,
  );
  lines.push(
    `  ${pad('kill', 13)}${pad('target', 40)}${pad('zone', 18)}${pad('at ms', 8)}${pad('down', 7)}${pad('takeover', 10)}inside`,
  );
  for (const kill of [...result.kills].sort((a, b) => a.atMs - b.atMs)) {
    lines.push(
      `  ${pad(kill.kind, 13)}${pad(kill.target, 40)}${pad(kill.zone ?? 'timed', 18)}${pad(kill.atMs, 8)}${pad(kill.downMs, 7)}` +
        `${pad(kill.takeoverMs ?? '-', 10)}${kill.zone === null ? '-' : kill.landedInside ? 'yes' : 'NO'}`,
    );
  }
  lines.push(
    `  ${pad('execution', 13)}${pad('status (expected)', 40)}${pad('upgrades', 10)}${pad('rollbacks', 11)}out of service`,
  );
  for (const execution of result.executions) {
    const upgrades = execution.fleet.instances.reduce((sum, i) => sum + i.upgradesApplied, 0);
    const rollbacks = execution.fleet.instances.reduce((sum, i) => sum + i.rollbacksApplied, 0);
    lines.push(
      `  ${pad(execution.label, 13)}${pad(`${execution.finalStatus ?? 'not terminal'} (${execution.expectation.expectedStatus})`, 40)}` +
        `${pad(upgrades, 10)}${pad(rollbacks, 11)}${execution.fleet.maxOutOfService} / ${execution.expectation.outOfServiceBudget}`,
    );
  }
  for (const execution of result.executions) {
    const account = execution.account;
    if (!account || execution.finalStatus === execution.expectation.expectedStatus) continue;
    lines.push(`  ${execution.label}: the orchestrator says "${account.statusReason ?? ''}"`);
    for (const failed of account.failed.slice(0, 5))
      lines.push(`    ${failed.name} FAILED: ${failed.error ?? '?'}`);
  }
  for (const exit of result.unplannedExits) lines.push(`  unplanned exit: ${exit}`);
  const shown = result.violations.slice(0, 20);
  for (const violation of shown)
    lines.push(
      `  VIOLATION ${violation.kind}${violation.executionId ? ` ${violation.executionId.slice(0, 8)}` : ''}: ${violation.detail}`,
    );
  if (result.violations.length > shown.length)
    lines.push(
      `  … and ${result.violations.length - shown.length} more violations (see the artifacts directory)`,
    );
  return lines.join('\n');
}
