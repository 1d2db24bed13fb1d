/**
 * The signed-in token. Kept in sessionStorage (this tab only, gone when it closes; ADR 0089), read by
 * nothing but this module. Its claims are decoded for display and for hiding buttons only: the API
 * verifies the token and enforces roles and tenants on every request.
 */
import { ROLES } from './claims';
import type { Claims, Role } from './claims';

export type { Claims, Role } from './claims';

const STORAGE_KEY = 'upshift.token';

export function storedToken(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function storeToken(token: string): void {
  sessionStorage.setItem(STORAGE_KEY, token);
}

export function clearToken(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

/**
 * A sign-in link `/#token=<JWT>` (what `npm run demo` prints): stores the token and takes it out of the
 * address bar and the history at once, so that it is not bookmarked, shared or left on screen.
 */
export function takeTokenFromLocation(): void {
  const match = /^#token=([^&]+)/.exec(window.location.hash);
  if (match === null) return;
  storeToken(decodeURIComponent(match[1] as string).trim());
  window.history.replaceState(null, '', `${window.location.pathname}${window.location.search}#/`);
}

/** The token's claims, or null when it is not a JWT with the claims Upshift reads. */
export function decodeClaims(token: string): Claims | null {
  const payload = token.split('.')[1];
  if (payload === undefined) return null;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const bytes = Uint8Array.from(json, (c) => c.charCodeAt(0));
    const claims = JSON.parse(new TextDecoder().decode(bytes)) as Record<string, unknown>;
    const tenants = Array.isArray(claims['tenants']) ? claims['tenants'].map(String) : [];
    const roles = Array.isArray(claims['roles'])
      ? claims['roles'].filter((r): r is Role => ROLES.includes(r as Role))
      : [];
    if (typeof claims['sub'] !== 'string' || tenants.length === 0) return null;
    return {
      sub: claims['sub'],
      tenants: tenants.includes('*') ? '*' : tenants,
      roles,
      exp: typeof claims['exp'] === 'number' ? claims['exp'] : null,
    };
  } catch {
    return null;
  }
}
