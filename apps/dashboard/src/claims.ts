/** What the dashboard reads from a token's claims (libs/http/src/auth/token-verifier.ts reads the same). */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Claims {
  sub: string;
  /** Tenant ids, or '*' for every tenant. */
  tenants: string[] | '*';
  roles: Role[];
  /** Expiry, seconds since the epoch. */
  exp: number | null;
}
