import type { CanaryCheck } from '../progress-history';
import { formatTime } from '../format';

const WIDTH = 600;
const HEIGHT = 120;

/**
 * The canary monitor's checks over time: per check, a column of healthy (green) over unhealthy (red)
 * canaries. The same figures follow as a table for screen readers and for reading exact values.
 */
export function CanaryChart({ checks }: { checks: readonly CanaryCheck[] }) {
  if (checks.length === 0) return <p class="muted">No canary health check yet.</p>;
  const shown = checks.slice(-60);
  const most = Math.max(1, ...shown.map((c) => c.healthy + c.unhealthy));
  const step = WIDTH / Math.max(shown.length, 10);
  const last = checks[checks.length - 1] as CanaryCheck;
  return (
    <figure class="canary">
      <svg
        viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
        role="img"
        aria-label={`${checks.length} canary checks; the last at ${formatTime(last.at)}: ${last.healthy} healthy, ${last.unhealthy} unhealthy`}
      >
        {shown.map((check, index) => {
          const healthy = (check.healthy / most) * (HEIGHT - 4);
          const unhealthy = (check.unhealthy / most) * (HEIGHT - 4);
          const x = index * step + 1;
          return (
            <g key={check.at + String(index)}>
              <rect class="bar-unhealthy" x={x} width={step - 2} y={HEIGHT - unhealthy} height={unhealthy} />
              <rect
                class="bar-healthy"
                x={x}
                width={step - 2}
                y={HEIGHT - unhealthy - healthy}
                height={healthy}
              />
            </g>
          );
        })}
      </svg>
      <figcaption>
        Canary health, {checks.length} check{checks.length === 1 ? '' : 's'}: <span class="swatch healthy" />{' '}
        healthy, <span class="swatch unhealthy" /> unhealthy. Last: {last.healthy} healthy, {last.unhealthy}{' '}
        unhealthy at {formatTime(last.at)}.
      </figcaption>
      <details>
        <summary>Every check</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">time</th>
              <th scope="col">healthy</th>
              <th scope="col">unhealthy</th>
            </tr>
          </thead>
          <tbody>
            {checks.map((check, index) => (
              <tr key={String(index)}>
                <td>{formatTime(check.at)}</td>
                <td>{check.healthy}</td>
                <td>{check.unhealthy}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
