import { useState } from 'preact/hooks';

/**
 * Sign-in by pasting a bearer token (`npm run token`, `.data/tokens.json` of `npm run up`, or an OIDC
 * provider's access token). `onSignIn` checks it against the API and answers why it was refused, if it was.
 */
export function SignInPage({
  onSignIn,
  notice,
}: {
  onSignIn: (token: string) => Promise<string | null>;
  notice: string | null;
}) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <main class="sign-in" id="main">
      <h1>Upshift</h1>
      <p>Sign in with a bearer token to follow and operate your tenants' upgrades.</p>
      {notice !== null && (
        <p class="notice" role="status">
          {notice}
        </p>
      )}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          setBusy(true);
          setError(null);
          onSignIn(token.trim())
            .then(setError)
            .finally(() => setBusy(false));
        }}
      >
        <label for="token">Bearer token</label>
        <textarea
          id="token"
          name="token"
          rows={5}
          required
          spellcheck={false}
          autocomplete="off"
          aria-describedby="token-help"
          aria-invalid={error !== null}
          value={token}
          onInput={(event) => setToken(event.currentTarget.value)}
        />
        <p id="token-help" class="muted">
          A JWT, e.g. from <code>npm run token -- --sub you --tenants TENANT --roles operator</code>. It is
          kept in this tab only (session storage) and sent to this server only.
        </p>
        {error !== null && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy || token.trim() === ''}>
          Sign in
        </button>
      </form>
    </main>
  );
}
