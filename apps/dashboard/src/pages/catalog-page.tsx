import { useEffect, useState } from 'preact/hooks';
import type { ComponentSummary, VersionSummary } from '@upshift/contracts/model';
import type { Api } from '../api';
import { errorText } from '../api';
import { listVersions } from '../catalog';

/** GET /components/:id/versions/:versionId/available-upgrades (the registry). */
interface AvailableTarget {
  versionId: string;
  version: string;
  channel: string;
  status: string;
  directTarget: boolean;
  requiredIntermediate: string | null;
  reason: string | null;
}

/** POST /components/:id/upgrade-path/validate (the registry). */
interface PathValidation {
  valid: boolean;
  path: { versionId: string; version: string }[];
  blockers: { code: string; message: string }[];
  warnings: { code: string; message: string }[];
}

/** The registry's catalog: components, their versions, where each version may go, and a path check. */
export function CatalogPage({ api, components }: { api: Api; components: readonly ComponentSummary[] }) {
  const [componentId, setComponentId] = useState('');
  const [versions, setVersions] = useState<VersionSummary[]>([]);
  const [error, setError] = useState<string | null>(null);
  const selected = componentId === '' ? (components[0]?.id ?? '') : componentId;
  const component = components.find((c) => c.id === selected);

  useEffect(() => {
    if (selected === '') return;
    setVersions([]);
    listVersions(api, selected)
      .then(setVersions)
      .catch((e: unknown) => setError(errorText(e)));
  }, [api, selected]);

  return (
    <main id="main">
      <h1>Catalog</h1>
      <section aria-labelledby="components-title">
        <h2 id="components-title">Components</h2>
        <table>
          <thead>
            <tr>
              <th scope="col">name</th>
              <th scope="col">kind</th>
              <th scope="col">description</th>
            </tr>
          </thead>
          <tbody>
            {components.map((c) => (
              <tr key={c.id} aria-current={c.id === selected ? 'true' : undefined}>
                <td>
                  <button type="button" class="link" onClick={() => setComponentId(c.id)}>
                    {c.name}
                  </button>
                </td>
                <td>{c.kind}</td>
                <td>{c.description ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {component !== undefined && (
        <>
          <section aria-labelledby="versions-title">
            <h2 id="versions-title">Versions of {component.name}</h2>
            <VersionsTable api={api} componentId={component.id} versions={versions} />
          </section>
          <PathForm key={component.id} api={api} component={component} versions={versions} />
        </>
      )}
    </main>
  );
}

function VersionsTable({
  api,
  componentId,
  versions,
}: {
  api: Api;
  componentId: string;
  versions: readonly VersionSummary[];
}) {
  const [open, setOpen] = useState<Record<string, AvailableTarget[] | string>>({});
  const toggle = (versionId: string) => {
    if (open[versionId] !== undefined) {
      const { [versionId]: _, ...rest } = open;
      return setOpen(rest);
    }
    api
      .get<AvailableTarget[]>(`/components/${componentId}/versions/${versionId}/available-upgrades`)
      .then((targets) => setOpen((current) => ({ ...current, [versionId]: targets })))
      .catch((e: unknown) => setOpen((current) => ({ ...current, [versionId]: errorText(e) })));
  };
  return (
    <table class="versions">
      <thead>
        <tr>
          <th scope="col">version</th>
          <th scope="col">channel</th>
          <th scope="col">status</th>
          <th scope="col">notes</th>
          <th scope="col">available upgrades</th>
        </tr>
      </thead>
      <tbody>
        {versions.map((v) => {
          const targets = open[v.id];
          return (
            <tr key={v.id}>
              <th scope="row">{v.version}</th>
              <td>{v.channel}</td>
              <td>{v.status.toLowerCase()}</td>
              <td>
                {[v.breaking && 'breaking', v.mandatory && 'mandatory', v.signed && 'signed']
                  .filter(Boolean)
                  .join(', ')}
              </td>
              <td>
                <button
                  type="button"
                  class="link"
                  aria-expanded={targets !== undefined}
                  onClick={() => toggle(v.id)}
                >
                  {targets === undefined ? 'show' : 'hide'}
                  <span class="visually-hidden"> available upgrades from {v.version}</span>
                </button>
                {typeof targets === 'string' && <p class="error">{targets}</p>}
                {Array.isArray(targets) &&
                  (targets.length === 0 ? (
                    <p class="muted">none</p>
                  ) : (
                    <ul class="targets">
                      {targets.map((t) => (
                        <li key={t.versionId}>
                          <strong>{t.version}</strong> ({t.channel}
                          {t.status === 'DEPRECATED' ? ', deprecated' : ''}):{' '}
                          {t.directTarget
                            ? 'direct'
                            : `via ${t.requiredIntermediate ?? 'an intermediate version'}`}
                          {t.reason !== null && <span class="muted"> — {t.reason}</span>}
                        </li>
                      ))}
                    </ul>
                  ))}
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Checks a path as `upshift path` does: valid or not, the blockers, the warnings and the suggested route. */
function PathForm({
  api,
  component,
  versions,
}: {
  api: Api;
  component: ComponentSummary;
  versions: readonly VersionSummary[];
}) {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [installed, setInstalled] = useState('');
  const [answer, setAnswer] = useState<PathValidation | null>(null);
  const [error, setError] = useState<string | null>(null);
  const fromId = from || versions[0]?.id || '';
  const toId = to || versions[versions.length - 1]?.id || '';
  const name = (id: string) => versions.find((v) => v.id === id)?.version ?? id;

  const submit = (event: Event) => {
    event.preventDefault();
    const pairs = installed
      .split(/[\s,]+/)
      .filter((pair) => pair !== '')
      .map((pair) => pair.split('='));
    const bad = pairs.find((pair) => pair.length !== 2 || pair[0] === '' || pair[1] === '');
    if (bad !== undefined) return setError(`"${bad.join('=')}" is not name=version`);
    setError(null);
    api
      .post<PathValidation>(`/components/${component.id}/upgrade-path/validate`, {
        fromVersionId: fromId,
        toVersionId: toId,
        installedComponents: Object.fromEntries(pairs),
      })
      .then(setAnswer)
      .catch((e: unknown) => setError(errorText(e)));
  };

  return (
    <section aria-labelledby="path-title">
      <h2 id="path-title">Validate an upgrade path of {component.name}</h2>
      <form class="filters" onSubmit={submit}>
        <p>
          <label for="path-from">From version</label>
          <select id="path-from" value={fromId} onChange={(e) => setFrom(e.currentTarget.value)}>
            {versions.map((v) => (
              <option key={v.id} value={v.id}>
                {v.version}
              </option>
            ))}
          </select>
        </p>
        <p>
          <label for="path-to">To version</label>
          <select id="path-to" value={toId} onChange={(e) => setTo(e.currentTarget.value)}>
            {versions.map((v) => (
              <option key={v.id} value={v.id}>
                {v.version}
              </option>
            ))}
          </select>
        </p>
        <p>
          <label for="path-installed">Installed beside it</label>
          <input
            id="path-installed"
            placeholder="kafka=3.7.0, postgresql=15.4.0"
            aria-describedby="path-installed-help"
            value={installed}
            onInput={(e) => setInstalled(e.currentTarget.value)}
          />
          <span id="path-installed-help" class="muted">
            name=version pairs, separated by commas
          </span>
        </p>
        <p>
          <button type="submit" class="primary">
            Validate
          </button>
        </p>
      </form>
      {error !== null && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      {answer !== null && (
        <div role="status" data-testid="path-result">
          <p>
            <strong>{answer.valid ? 'Valid' : 'Not valid'}</strong>: {name(fromId)} →{' '}
            {answer.path.map((step) => step.version).join(' → ') || name(toId)}
          </p>
          <ul>
            {answer.blockers.map((b) => (
              <li key={b.code + b.message}>
                blocker {b.code}: {b.message}
              </li>
            ))}
            {answer.warnings.map((w) => (
              <li key={w.code + w.message}>
                warning {w.code}: {w.message}
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
