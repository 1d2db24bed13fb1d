import { createHash, timingSafeEqual } from 'crypto';
import type { SaslExchange, SaslStep } from './exchange';

export const sha256 = (data: string | Buffer): Buffer => createHash('sha256').update(data).digest();

/** What the broker keeps for PLAIN: the SHA-256 of the password, compared in constant time. */
export type PlainDigestLookup = (user: string) => Buffer | undefined;

// Compared against for unknown users, so that timing does not tell which names exist.
const UNKNOWN_USER_DIGEST = sha256('\0unknown');

/**
 * Checks a SASL/PLAIN token (RFC 4616: authzid NUL authcid NUL passwd). Returns the user name, or
 * null.
 */
export function verifyPlain(token: Buffer, lookup: PlainDigestLookup): string | null {
  const parts = token.toString('utf8').split('\0');
  if (parts.length !== 3) return null;
  const [authzid, user, password] = parts;
  if (authzid !== '' && authzid !== user) return null;
  const expected = lookup(user);
  const ok = timingSafeEqual(expected ?? UNKNOWN_USER_DIGEST, sha256(password));
  return ok && expected !== undefined ? user : null;
}

/** PLAIN is a single step: one token in, an empty answer out. */
export class PlainExchange implements SaslExchange {
  readonly mechanism = 'PLAIN';
  private used = false;

  constructor(private readonly lookup: PlainDigestLookup) {}

  step(token: Buffer): SaslStep {
    if (this.used) return { kind: 'failed', reason: 'the exchange is over' };
    this.used = true;
    const user = verifyPlain(token, this.lookup);
    return user
      ? { kind: 'done', principal: user, response: Buffer.alloc(0) }
      : { kind: 'failed', reason: 'invalid username or password' };
  }
}
