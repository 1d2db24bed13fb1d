import type { UpgradeExecutionView } from '@upshift/contracts/model';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { Api } from '../api';
import { errorText } from '../api';
import type { useCatalogNames } from '../catalog';
import { StatusBadge } from '../components/status-badge';
import { formatTime, humanStatus, shortId } from '../format';
import { StreamIndicator, useProgressStream, useThrottled } from '../live';
import { TERMINAL_STATUSES } from '../permissions';
import type { ProgressEnvelope } from '../progress-history';
import { executionHref } from '../router';
import type { Claims } from '../session';

const STATUSES = [
  'PENDING',
  'VALIDATING',
  'IN_PROGRESS',
  'CANARY_RUNNING',
  'CANARY_MONITORING',
  'PAUSED',
  'ROLLING_BACK',
  'ROLLED_BACK',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
];
/** The newest executions shown; the API's largest page (docs/api-contract.md, "Paths the orchestrator serves"). */
const LIST_SIZE = 200;

interface ExecutionPage {
  content: UpgradeExecutionView[];
  totalElements: number;
}

/**
 * The executions of one of the token's tenants, newest first, filtered by status (by the API) and
 * component (here), kept current by the tenant's event stream: statuses change as their events arrive,
 * and the list is read again after each burst.
 */
export function ExecutionsPage({
  api,
  claims,
  names,
}: {
  api: Api;
  claims: Claims;
  names: ReturnType<typeof useCatalogNames>;
}) {
  const tenants = claims.tenants === '*' ? null : claims.tenants;
  const [tenant, setTenant] = useState(tenants?.[0] ?? sessionStorage.getItem('upshift.tenant') ?? '');
  const [status, setStatus] = useState('');
  const [componentId, setComponentId] = useState('');
  const [rows, setRows] = useState<UpgradeExecutionView[] | null>(null);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const [eventsSeen, setEventsSeen] = useState(0);

  // Only the newest request's answer is shown: switching tenant or status quickly must not let an
  // older, slower answer replace the rows of the current choice.
  const newestLoad = useRef(0);
  const load = () => {
    if (tenant === '') return;
    const ticket = ++newestLoad.current;
    api
      .get<ExecutionPage>(`/tenants/${encodeURIComponent(tenant)}/upgrades`, {
        status,
        page: 0,
        size: LIST_SIZE,
      })
      .then((page) => {
        if (ticket !== newestLoad.current) return;
        setRows(page.content);
        setTotal(page.totalElements);
        setError(null);
      })
      .catch((e: unknown) => {
        if (ticket === newestLoad.current) setError(errorText(e));
      });
  };
  const reload = useThrottled(load, 1000);
  useEffect(load, [api, tenant, status]);
  useEffect(() => {
    for (const componentOfRow of new Set((rows ?? []).map((row) => row.componentId))) {
      names.wantVersions(componentOfRow);
    }
  }, [rows]);

  const stream = useProgressStream(
    tenant === '' ? null : `/tenants/${encodeURIComponent(tenant)}/events`,
    api,
    (envelope: ProgressEnvelope) => {
      setEventsSeen((n) => n + 1);
      if (envelope.data.kind === 'ExecutionStatusChanged') {
        const to = String(envelope.data['to']);
        setRows((current) =>
          current === null
            ? current
            : current.map((row) =>
                row.id === envelope.executionid
                  ? { ...row, status: to as UpgradeExecutionView['status'] }
                  : row,
              ),
        );
      }
      reload();
    },
  );

  const shown = useMemo(
    () => (rows ?? []).filter((row) => componentId === '' || row.componentId === componentId),
    [rows, componentId],
  );
  const counters = useMemo(() => {
    const count = (wanted: (s: string) => boolean) => shown.filter((row) => wanted(row.status)).length;
    return [
      ['active', count((s) => !TERMINAL_STATUSES.includes(s))],
      ['completed', count((s) => s === 'COMPLETED')],
      ['rolled back', count((s) => s === 'ROLLED_BACK')],
      ['failed', count((s) => s === 'FAILED')],
      ['cancelled', count((s) => s === 'CANCELLED')],
    ] as const;
  }, [shown]);

  return (
    <main id="main">
      <div class="page-title">
        <h1>Executions</h1>
        {tenant !== '' && <StreamIndicator state={stream.state} />}
      </div>
      <form class="filters" onSubmit={(event) => event.preventDefault()}>
        {tenants === null ? (
          <p>
            <label for="tenant">Tenant</label>
            <input
              id="tenant"
              value={tenant}
              placeholder="tenant id"
              onChange={(event) => {
                const value = event.currentTarget.value.trim();
                sessionStorage.setItem('upshift.tenant', value);
                setTenant(value);
              }}
            />
          </p>
        ) : (
          <p>
            <label for="tenant">Tenant</label>
            <select id="tenant" value={tenant} onChange={(event) => setTenant(event.currentTarget.value)}>
              {tenants.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
            </select>
          </p>
        )}
        <p>
          <label for="status-filter">Status</label>
          <select
            id="status-filter"
            value={status}
            onChange={(event) => setStatus(event.currentTarget.value)}
          >
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {humanStatus(s)}
              </option>
            ))}
          </select>
        </p>
        <p>
          <label for="component-filter">Component</label>
          <select
            id="component-filter"
            value={componentId}
            onChange={(event) => setComponentId(event.currentTarget.value)}
          >
            <option value="">any</option>
            {names.components.map((c) => (
              <option key={c.id} value={c.id}>
                {c.name}
              </option>
            ))}
          </select>
        </p>
      </form>
      {tenant === '' && <p>The token may see every tenant: type the tenant id to list its executions.</p>}
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {rows !== null && (
        <>
          <ul class="counters" aria-label="Counters" data-testid="counters">
            {counters.map(([label, value]) => (
              <li key={label}>
                <strong data-counter={label}>{value}</strong> {label}
              </li>
            ))}
            <li>
              <strong data-counter="events">{eventsSeen}</strong> events received
            </li>
          </ul>
          <table class="executions">
            <caption>
              {shown.length} of the newest {Math.min(total, LIST_SIZE)} executions of tenant {tenant}
              {total > LIST_SIZE ? ` (${total} in all)` : ''}
            </caption>
            <thead>
              <tr>
                <th scope="col">execution</th>
                <th scope="col">component</th>
                <th scope="col">versions</th>
                <th scope="col">strategy</th>
                <th scope="col">status</th>
                <th scope="col">instances done / failed / total</th>
                <th scope="col">created</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((row) => (
                <tr key={row.id} data-execution={row.id}>
                  <td>
                    <a href={executionHref(row.id)}>{shortId(row.id)}</a>
                  </td>
                  <td>{names.componentName(row.componentId)}</td>
                  <td>
                    {names.versionName(row.fromVersionId)} → {names.versionName(row.toVersionId)}
                  </td>
                  <td>{row.strategy}</td>
                  <td>
                    <StatusBadge status={row.status} />
                  </td>
                  <td>
                    {row.completedInstances} / {row.failedInstances} / {row.totalInstances}
                  </td>
                  <td>{formatTime(row.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {shown.length === 0 && <p>No execution matches.</p>}
        </>
      )}
    </main>
  );
}
