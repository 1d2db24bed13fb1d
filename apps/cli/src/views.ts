import type { UpgradeExecutionView, UpgradeInstanceView } from '@upshift/contracts';
import { fields, table } from './output';

/** An execution in a few lines: what, where it stands, who started it, and its rollback if any. */
export function executionSummary(v: UpgradeExecutionView): string {
  const rollback = v.rollbackInfo;
  const pairs: [string, string | number | null][] = [
    ['id', v.id],
    ['tenant', v.tenantId],
    ['component', v.componentId],
    ['versions', `${v.fromVersionId} → ${v.toVersionId}`],
    ['strategy', v.strategy],
    ['status', v.statusReason ? `${v.status} (${v.statusReason})` : v.status],
    ['instances', `${v.completedInstances}/${v.totalInstances} upgraded, ${v.failedInstances} failed`],
    ['batch', `${v.currentBatch}/${v.totalBatches}`],
    ['initiated by', v.initiatedBy],
    ['created', v.createdAt],
    ['started', v.startedAt],
    ['completed', v.completedAt],
  ];
  if (rollback?.rollbackReason) {
    pairs.push([
      'rollback',
      `${rollback.rollbackReason} (by ${rollback.rollbackInitiatedBy ?? '?'}; ` +
        `${rollback.rolledBackInstances.length} rolled back)`,
    ]);
  }
  return fields(pairs);
}

export function instancesTable(instances: readonly UpgradeInstanceView[]): string {
  return table(
    ['NAME', 'STATUS', 'BATCH', 'ERROR', 'ID'],
    instances.map((i) => [i.name, i.status, i.batch, i.error, i.id]),
  );
}
