import { useMemo, useState } from 'preact/hooks';
import { Api, API_PREFIX } from './api';
import { useCatalogNames } from './catalog';
import { CatalogPage } from './pages/catalog-page';
import { ExecutionPage } from './pages/execution-page';
import { ExecutionsPage } from './pages/executions-page';
import { SignInPage } from './pages/sign-in-page';
import { useRoute } from './router';
import { clearToken, decodeClaims, storedToken, storeToken } from './session';
import type { Claims } from './session';

export function App() {
  const [token, setToken] = useState(storedToken);
  const [notice, setNotice] = useState<string | null>(null);
  const claims = token === null ? null : decodeClaims(token);

  const signOut = (why: string | null) => {
    clearToken();
    setToken(null);
    setNotice(why);
  };

  if (token === null || claims === null) {
    return (
      <SignInPage
        notice={token !== null ? 'The stored token is not one Upshift reads: sign in again.' : notice}
        onSignIn={async (candidate) => {
          const why = await refusal(candidate);
          if (why !== null) return why;
          storeToken(candidate);
          setNotice(null);
          setToken(candidate);
          return null;
        }}
      />
    );
  }
  return (
    <SignedIn
      token={token}
      claims={claims}
      onSignOut={() => signOut('Signed out.')}
      onRefused={() => signOut('The API refused the token (expired or revoked?): sign in again.')}
    />
  );
}

function SignedIn({
  token,
  claims,
  onSignOut,
  onRefused,
}: {
  token: string;
  claims: Claims;
  onSignOut: () => void;
  onRefused: () => void;
}) {
  const api = useMemo(() => new Api(token, onRefused), [token]);
  const names = useCatalogNames(api);
  const route = useRoute();
  return (
    <>
      <a class="skip" href="#main" onClick={skipToMain}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">Upshift</span>
        <nav aria-label="Pages">
          <a href="#/" aria-current={route.page !== 'catalog' ? 'page' : undefined}>
            Executions
          </a>
          <a href="#/catalog" aria-current={route.page === 'catalog' ? 'page' : undefined}>
            Catalog
          </a>
        </nav>
        <span class="who" data-testid="who">
          {claims.sub} · {claims.roles.join(', ') || 'no role'} ·{' '}
          {claims.tenants === '*' ? 'every tenant' : `tenant ${claims.tenants.join(', ')}`}
        </span>
        <button type="button" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      {route.page === 'execution' ? (
        <ExecutionPage api={api} claims={claims} names={names} id={route.id} />
      ) : route.page === 'catalog' ? (
        <CatalogPage api={api} components={names.components} />
      ) : (
        <ExecutionsPage api={api} claims={claims} names={names} />
      )}
    </>
  );
}

/** The skip link must not change the fragment: the fragment is the page's address. */
function skipToMain(event: MouseEvent) {
  event.preventDefault();
  const main = document.getElementById('main');
  main?.setAttribute('tabindex', '-1');
  main?.focus();
}

/** Why a pasted token cannot be used, or null: its claims, its expiry, then the API's own answer. */
async function refusal(token: string): Promise<string | null> {
  const claims = decodeClaims(token);
  if (claims === null) return 'This is not a token Upshift reads (a JWT with sub, tenants and roles).';
  if (claims.exp !== null && claims.exp * 1000 < Date.now()) return 'This token has expired.';
  const answer = await fetch(`${API_PREFIX}/components?limit=1`, {
    headers: { authorization: `Bearer ${token}` },
  }).catch(() => null);
  if (answer === null) return 'The orchestrator did not answer.';
  if (answer.status === 401 || answer.status === 403) {
    const problem = (await answer.json().catch(() => ({}))) as { detail?: string };
    return `The API refused this token: ${problem.detail ?? `HTTP ${answer.status}`}`;
  }
  return null;
}
