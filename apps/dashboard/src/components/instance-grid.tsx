import type { UpgradeInstanceView } from '@upshift/contracts/model';
import { humanStatus } from '../format';

const INSTANCE_STATUSES = [
  'PENDING',
  'DRAINING',
  'UPGRADING',
  'HEALTH_CHECKING',
  'COMPLETED',
  'FAILED',
  'ROLLED_BACK',
];

/**
 * The instances as a grid, one row per batch (unplanned ones last), each cell coloured by status and
 * named with it for screen readers and on hover.
 */
export function InstanceGrid({ instances }: { instances: readonly UpgradeInstanceView[] }) {
  const batches = new Map<number | null, UpgradeInstanceView[]>();
  for (const instance of instances) {
    const row = batches.get(instance.batch) ?? [];
    row.push(instance);
    batches.set(instance.batch, row);
  }
  const order = [...batches.keys()].sort((a, b) => (a ?? Infinity) - (b ?? Infinity));
  const counts = new Map<string, number>();
  for (const instance of instances) counts.set(instance.status, (counts.get(instance.status) ?? 0) + 1);
  return (
    <div>
      <ul class="legend" aria-label="Instances by status">
        {INSTANCE_STATUSES.filter((status) => counts.has(status)).map((status) => (
          <li key={status}>
            <span class={`cell status-${status.toLowerCase()}`} aria-hidden="true" /> {humanStatus(status)}{' '}
            <strong>{counts.get(status)}</strong>
          </li>
        ))}
      </ul>
      <table class="grid">
        <caption class="visually-hidden">Instances by batch</caption>
        <tbody>
          {order.map((batch) => (
            <tr key={String(batch)}>
              <th scope="row">{batch === null ? 'not planned' : `batch ${batch}`}</th>
              <td>
                <ul class="cells">
                  {(batches.get(batch) ?? []).map((instance) => (
                    <li
                      key={instance.id}
                      class={`cell status-${instance.status.toLowerCase()}`}
                      title={`${instance.name}: ${humanStatus(instance.status)}${instance.error ? ` (${instance.error})` : ''}`}
                      aria-label={`${instance.name}: ${humanStatus(instance.status)}`}
                      data-status={instance.status}
                    />
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
