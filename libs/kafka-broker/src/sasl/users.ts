import { createHmac, randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import type { SaslExchange } from './exchange';
import { PlainExchange, sha256 } from './plain';
import {
  deriveScramCredential,
  SCRAM_ITERATIONS,
  SCRAM_MECHANISMS,
  ScramServer,
  type ScramCredential,
  type ScramMechanism,
} from './scram';

/** Offered in SaslHandshake, in this order. */
export const SASL_MECHANISMS: readonly string[] = ['PLAIN', ...SCRAM_MECHANISMS];

interface UserSecrets {
  plainDigest: Buffer;
  scram: Record<ScramMechanism, ScramCredential>;
}

/**
 * The broker's SASL users. The file may hold passwords in clear (it is a dev and test broker), but
 * they are dropped once loaded: PLAIN keeps a SHA-256 digest and SCRAM keeps salted keys
 * (StoredKey, ServerKey) per mechanism, derived here with a fresh salt.
 */
export class SaslUsers {
  // Salts of decoy credentials for unknown users: stable per name for the broker's life, unguessable.
  private readonly decoySecret = randomBytes(32);

  private constructor(private readonly users: ReadonlyMap<string, UserSecrets>) {}

  static async fromPasswords(passwords: ReadonlyMap<string, string>): Promise<SaslUsers> {
    const users = new Map<string, UserSecrets>();
    for (const [user, password] of passwords) {
      const [sha256Credential, sha512Credential] = await Promise.all([
        deriveScramCredential('SCRAM-SHA-256', password),
        deriveScramCredential('SCRAM-SHA-512', password),
      ]);
      users.set(user, {
        plainDigest: sha256(password),
        scram: { 'SCRAM-SHA-256': sha256Credential, 'SCRAM-SHA-512': sha512Credential },
      });
    }
    return new SaslUsers(users);
  }

  /** A new exchange for `mechanism`, or null when the mechanism is not offered. */
  startExchange(mechanism: string): SaslExchange | null {
    if (mechanism === 'PLAIN') return new PlainExchange((user) => this.users.get(user)?.plainDigest);
    if ((SCRAM_MECHANISMS as readonly string[]).includes(mechanism)) {
      const scram = mechanism as ScramMechanism;
      return new ScramServer({
        mechanism: scram,
        lookup: (user) => this.users.get(user)?.scram[scram],
        decoy: (user) => this.decoy(scram, user),
      });
    }
    return null;
  }

  private decoy(mechanism: ScramMechanism, user: string): ScramCredential {
    const salt = createHmac('sha256', this.decoySecret)
      .update(`${mechanism}\0${user}`)
      .digest()
      .subarray(0, 16);
    const bytes = mechanism === 'SCRAM-SHA-256' ? 32 : 64;
    return {
      salt,
      iterations: SCRAM_ITERATIONS,
      storedKey: randomBytes(bytes),
      serverKey: randomBytes(bytes),
    };
  }
}

/**
 * Reads the users file: either a JSON object `{ "user": "password", … }` or lines of
 * `user:password` (blank lines and `#` comments ignored). Passwords never reach the logs.
 */
export async function loadSaslUsers(file: string): Promise<SaslUsers> {
  return SaslUsers.fromPasswords(await readPasswords(file));
}

async function readPasswords(file: string): Promise<Map<string, string>> {
  const text = await fs.readFile(file, 'utf8');
  const users = new Map<string, string>();
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    const parsed = JSON.parse(trimmed) as Record<string, unknown>;
    for (const [user, password] of Object.entries(parsed)) {
      if (typeof password !== 'string')
        throw new Error(`SASL users file ${file}: the password of "${user}" must be a string`);
      users.set(user, password);
    }
  } else {
    for (const [i, line] of text.split('\n').entries()) {
      const l = line.trim();
      if (l === '' || l.startsWith('#')) continue;
      const colon = l.indexOf(':');
      if (colon <= 0) throw new Error(`SASL users file ${file}, line ${i + 1}: expected user:password`);
      users.set(l.slice(0, colon), l.slice(colon + 1));
    }
  }
  if (users.size === 0) throw new Error(`SASL users file ${file} defines no users`);
  return users;
}
