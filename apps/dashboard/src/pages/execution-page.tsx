import type { UpgradeExecutionView, UpgradeInstanceView } from '@upshift/contracts/model';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { Api } from '../api';
import { errorText } from '../api';
import type { useCatalogNames } from '../catalog';
import { CanaryChart } from '../components/canary-chart';
import { ExecutionActions } from '../components/execution-actions';
import { InstanceGrid } from '../components/instance-grid';
import { StatusBadge } from '../components/status-badge';
import { formatTime, humanStatus, shortId } from '../format';
import { StreamIndicator, useProgressStream, useThrottled } from '../live';
import { applyProgress, changesExecutionView, EMPTY_HISTORY } from '../progress-history';
import type { ProgressHistory } from '../progress-history';
import type { Claims } from '../session';

/**
 * One execution: its view (GET /upgrades/:id), read again when an event changes more than an instance,
 * and its history from the execution's event stream, replayed from the first event and then live.
 */
export function ExecutionPage({
  api,
  claims,
  names,
  id,
}: {
  api: Api;
  claims: Claims;
  names: ReturnType<typeof useCatalogNames>;
  id: string;
}) {
  const [execution, setExecution] = useState<UpgradeExecutionView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [history, setHistory] = useState<ProgressHistory>(EMPTY_HISTORY);

  const load = () => {
    api
      .get<UpgradeExecutionView>(`/upgrades/${encodeURIComponent(id)}`)
      .then((view) => {
        setExecution(view);
        setError(null);
      })
      .catch((e: unknown) => setError(errorText(e)));
  };
  const reload = useThrottled(load, 500);
  useEffect(() => {
    setExecution(null);
    setHistory(EMPTY_HISTORY);
    load();
  }, [api, id]);
  useEffect(() => {
    if (execution !== null) names.wantVersions(execution.componentId);
  }, [execution?.componentId]);

  const stream = useProgressStream(`/upgrades/${encodeURIComponent(id)}/events`, api, (envelope) => {
    setHistory((current) => applyProgress(current, envelope));
    if (changesExecutionView(envelope.data.kind)) reload();
  });
  // The stream ends with the execution: read the final view once more.
  useEffect(() => {
    if (stream.state === 'ended') reload();
  }, [stream.state]);

  const instances = useMemo<UpgradeInstanceView[]>(
    () =>
      (execution?.instances ?? []).map((instance) => {
        const latest = history.instances.get(instance.id);
        return latest === undefined
          ? instance
          : {
              ...instance,
              status: latest.status as UpgradeInstanceView['status'],
              batch: latest.batch ?? instance.batch,
              error: latest.error ?? instance.error,
            };
      }),
    [execution, history.instances],
  );

  if (execution === null) {
    return (
      <main id="main">
        <h1>Execution {shortId(id)}</h1>
        {error !== null ? (
          <p class="error" role="alert">
            {error}
          </p>
        ) : (
          <p>Loading…</p>
        )}
      </main>
    );
  }

  const failures = instances.filter((instance) => instance.status === 'FAILED' || instance.error !== null);
  const rollback = execution.rollbackInfo;
  return (
    <main id="main" class="execution">
      <p>
        <a href="#/">← Executions</a>
      </p>
      <div class="page-title">
        <h1>
          {names.componentName(execution.componentId)} {names.versionName(execution.fromVersionId)} →{' '}
          {names.versionName(execution.toVersionId)}
        </h1>
        <StatusBadge status={execution.status} />
        <StreamIndicator state={stream.state} />
      </div>
      <p class="muted">
        Execution <code>{execution.id}</code> of tenant {execution.tenantId}, {execution.strategy}, started by{' '}
        {execution.initiatedBy ?? 'unknown'}
      </p>
      {execution.statusReason !== null && <p class="reason">{execution.statusReason}</p>}
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <ExecutionActions api={api} claims={claims} execution={execution} onChanged={setExecution} />

      <dl class="facts">
        <div>
          <dt>instances</dt>
          <dd data-testid="instance-counts">
            {execution.completedInstances} completed, {execution.failedInstances} failed of{' '}
            {execution.totalInstances}
          </dd>
        </div>
        <div>
          <dt>batch</dt>
          <dd>
            {execution.currentBatch} of {execution.totalBatches}
          </dd>
        </div>
        <div>
          <dt>created</dt>
          <dd>{formatTime(execution.createdAt)}</dd>
        </div>
        <div>
          <dt>started</dt>
          <dd>{formatTime(execution.startedAt)}</dd>
        </div>
        <div>
          <dt>finished</dt>
          <dd>{formatTime(execution.completedAt)}</dd>
        </div>
      </dl>

      <div class="columns">
        <section aria-labelledby="timeline-title">
          <h2 id="timeline-title">Status timeline</h2>
          <ol class="timeline" data-testid="timeline">
            {history.statuses.map((step, index) => (
              <li key={String(index)}>
                <time dateTime={step.at}>{formatTime(step.at)}</time> <StatusBadge status={step.status} />
                {step.reason !== null && <span class="muted"> {step.reason}</span>}
              </li>
            ))}
          </ol>
        </section>
        <section aria-labelledby="instances-title">
          <h2 id="instances-title">Instances by batch</h2>
          <InstanceGrid instances={instances} />
        </section>
      </div>

      {(execution.strategy === 'CANARY' || history.canary.length > 0) && (
        <section aria-labelledby="canary-title">
          <h2 id="canary-title">Canary health</h2>
          <CanaryChart checks={history.canary} />
        </section>
      )}

      <section aria-labelledby="failures-title">
        <h2 id="failures-title">Failures</h2>
        {failures.length === 0 ? (
          <p class="muted">No instance failed.</p>
        ) : (
          <table data-testid="failures">
            <thead>
              <tr>
                <th scope="col">instance</th>
                <th scope="col">batch</th>
                <th scope="col">status</th>
                <th scope="col">reason</th>
              </tr>
            </thead>
            <tbody>
              {failures.map((instance) => (
                <tr key={instance.id}>
                  <td>{instance.name}</td>
                  <td>{instance.batch ?? '—'}</td>
                  <td>{humanStatus(instance.status)}</td>
                  <td>{instance.error ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <section aria-labelledby="rollback-title">
        <h2 id="rollback-title">Rollback</h2>
        {rollback === null || rollback.rollbackInitiatedAt === null ? (
          <p class="muted">
            Not rolled back.{' '}
            {execution.autoRollbackEnabled
              ? `Automatic rollback at ${execution.failureThreshold} failure${execution.failureThreshold === 1 ? '' : 's'}.`
              : 'Automatic rollback is off.'}
          </p>
        ) : (
          <dl class="facts" data-testid="rollback">
            <div>
              <dt>reason</dt>
              <dd>{rollback.rollbackReason ?? '—'}</dd>
            </div>
            <div>
              <dt>initiated by</dt>
              <dd>{rollback.rollbackInitiatedBy ?? '—'}</dd>
            </div>
            <div>
              <dt>at</dt>
              <dd>{formatTime(rollback.rollbackInitiatedAt)}</dd>
            </div>
            <div>
              <dt>failures</dt>
              <dd>
                {rollback.currentFailures} (threshold {rollback.failureThreshold})
              </dd>
            </div>
            <div>
              <dt>rolled back</dt>
              <dd>{rollback.rolledBackInstances.length} instances</dd>
            </div>
            {history.rollbacks.map((event, index) =>
              event.completedAt === null ? null : (
                <div key={String(index)}>
                  <dt>finished</dt>
                  <dd>
                    {formatTime(event.completedAt)}: {event.rolledBack} rolled back, {event.failed} could not
                    be
                  </dd>
                </div>
              ),
            )}
          </dl>
        )}
      </section>

      {execution.validationResults.length > 0 && (
        <section aria-labelledby="checks-title">
          <h2 id="checks-title">Pre-upgrade checks</h2>
          <ul class="checks">
            {execution.validationResults.map((check) => (
              <li key={check.check}>
                <strong>{check.passed ? 'passed' : 'FAILED'}</strong> {humanStatus(check.check)}:{' '}
                {check.detail}
              </li>
            ))}
          </ul>
        </section>
      )}

      <section aria-labelledby="transcript-title">
        <h2 id="transcript-title">Transcript</h2>
        <ol class="transcript" tabIndex={0} aria-labelledby="transcript-title" data-testid="transcript">
          {history.transcript.map((line, index) => (
            <li key={String(index)}>
              <time dateTime={line.at}>{formatTime(line.at)}</time> {line.line}
            </li>
          ))}
        </ol>
      </section>
    </main>
  );
}
