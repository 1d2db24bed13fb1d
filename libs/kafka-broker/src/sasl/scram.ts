import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'crypto';
import { promisify } from 'util';
import type { SaslExchange, SaslStep } from './exchange';

const pbkdf2Async = promisify(pbkdf2);

export type ScramMechanism = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export const SCRAM_MECHANISMS: readonly ScramMechanism[] = ['SCRAM-SHA-256', 'SCRAM-SHA-512'];

const HASH: Record<ScramMechanism, { name: 'sha256' | 'sha512'; bytes: number }> = {
  'SCRAM-SHA-256': { name: 'sha256', bytes: 32 },
  'SCRAM-SHA-512': { name: 'sha512', bytes: 64 },
};

/** Kafka's minimum (and kafkajs' and librdkafka's): clients refuse fewer iterations. */
export const SCRAM_ITERATIONS = 4096;

/** What the broker keeps per user and mechanism (RFC 5802 §2.2): never the password itself. */
export interface ScramCredential {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

const hmac = (mechanism: ScramMechanism, key: Buffer, data: string | Buffer): Buffer =>
  createHmac(HASH[mechanism].name, key).update(data).digest();
const hash = (mechanism: ScramMechanism, data: Buffer): Buffer =>
  createHash(HASH[mechanism].name).update(data).digest();

/**
 * SaltedPassword = Hi(password, salt, i) (PBKDF2 with the mechanism's HMAC), then StoredKey =
 * H(HMAC(SaltedPassword, "Client Key")) and ServerKey = HMAC(SaltedPassword, "Server Key").
 * The password is used as its UTF-8 bytes (no SASLprep), as kafkajs and Kafka's own tools send it.
 */
export async function deriveScramCredential(
  mechanism: ScramMechanism,
  password: string,
  salt: Buffer = randomBytes(16),
  iterations = SCRAM_ITERATIONS,
): Promise<ScramCredential> {
  const { name, bytes } = HASH[mechanism];
  const salted = await pbkdf2Async(Buffer.from(password, 'utf8'), salt, iterations, bytes, name);
  return {
    salt,
    iterations,
    storedKey: hash(mechanism, hmac(mechanism, salted, 'Client Key')),
    serverKey: hmac(mechanism, salted, 'Server Key'),
  };
}

export interface ScramServerOptions {
  mechanism: ScramMechanism;
  /** The user's credential for this mechanism, or undefined for an unknown user. */
  lookup(user: string): ScramCredential | undefined;
  /**
   * Stands in for an unknown user so the exchange runs to the proof check like any other and fails
   * there: the server-first message does not tell which user names exist.
   */
  decoy(user: string): ScramCredential;
  /** The server's half of the nonce; random by default (tests pin it to replay RFC 7677's example). */
  serverNonce?: () => string;
}

class ScramError extends Error {}

/** saslname (RFC 5802 §5.1): "," and "=" travel as "=2C" and "=3D"; any other "=" is malformed. */
function decodeSaslName(value: string): string {
  if (/=(?!2C|3D)/.test(value)) throw new ScramError('malformed user name');
  return value.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/** printable (RFC 5802 §7): %x21-2B / %x2D-7E, i.e. visible ASCII without ",". */
const NONCE = /^[\x21-\x2b\x2d-\x7e]+$/;

/**
 * Splits "k=v,k=v" into ordered pairs. Values may contain "=" (base64); keys are one letter in
 * RFC 5802 and words in Kafka's extensions (`tokenauth=true`).
 */
function attributes(message: string): [string, string][] {
  return message.split(',').map((part) => {
    const m = /^([a-zA-Z]+)=(.*)$/s.exec(part);
    if (!m) throw new ScramError('malformed attribute');
    return [m[1], m[2]];
  });
}

/**
 * The server side of one SCRAM-SHA-256/512 exchange (RFC 5802, RFC 7677) as Kafka runs it:
 * client-first → server-first (nonce, salt, iterations) → client-final (proof) → server-final
 * (verifier). No channel binding (Kafka offers none); extensions are ignored except `tokenauth`,
 * which asks for delegation tokens we do not have.
 */
export class ScramServer implements SaslExchange {
  readonly mechanism: ScramMechanism;
  private state: 'first' | 'final' | 'over' = 'first';
  private user = '';
  private known = false;
  private credential!: ScramCredential;
  private gs2Header = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private clientNonce = '';
  private nonce = '';

  constructor(private readonly opts: ScramServerOptions) {
    this.mechanism = opts.mechanism;
  }

  step(token: Buffer): SaslStep {
    const state = this.state;
    this.state = 'over';
    try {
      if (state === 'first') return this.clientFirst(token.toString('utf8'));
      if (state === 'final') return this.clientFinal(token.toString('utf8'));
      return { kind: 'failed', reason: 'the exchange is over' };
    } catch (err) {
      if (err instanceof ScramError) return { kind: 'failed', reason: err.message };
      throw err;
    }
  }

  private clientFirst(message: string): SaslStep {
    // gs2-header = gs2-cbind-flag "," [ authzid ] ","
    const first = message.indexOf(',');
    const second = message.indexOf(',', first + 1);
    if (first < 0 || second < 0) throw new ScramError('malformed client-first message');
    const cbindFlag = message.slice(0, first);
    const authzid = message.slice(first + 1, second);
    if (cbindFlag.startsWith('p=')) throw new ScramError('channel binding is not supported');
    if (cbindFlag !== 'n' && cbindFlag !== 'y') throw new ScramError('malformed gs2 header');
    this.gs2Header = message.slice(0, second + 1);
    this.clientFirstBare = message.slice(second + 1);

    const attrs = attributes(this.clientFirstBare);
    if (attrs[0]?.[0] === 'm') throw new ScramError('mandatory extensions are not supported');
    if (attrs[0]?.[0] !== 'n' || attrs[1]?.[0] !== 'r')
      throw new ScramError('client-first message must start with n= and r=');
    const user = decodeSaslName(attrs[0][1]);
    const clientNonce = attrs[1][1];
    if (user === '') throw new ScramError('empty user name');
    if (!NONCE.test(clientNonce)) throw new ScramError('malformed client nonce');
    if (authzid !== '' && (!authzid.startsWith('a=') || decodeSaslName(authzid.slice(2)) !== user))
      throw new ScramError('authorization id differs from the user name');
    if (attrs.slice(2).some(([key, value]) => key === 'tokenauth' && value === 'true'))
      throw new ScramError('delegation tokens are not supported');

    const credential = this.opts.lookup(user);
    this.known = credential !== undefined;
    this.credential = credential ?? this.opts.decoy(user);
    this.user = user;
    const serverNonce = this.opts.serverNonce?.() ?? randomBytes(24).toString('base64');
    this.clientNonce = clientNonce;
    this.nonce = clientNonce + serverNonce;
    this.serverFirst = `r=${this.nonce},s=${this.credential.salt.toString('base64')},i=${this.credential.iterations}`;
    this.state = 'final';
    return { kind: 'continue', response: Buffer.from(this.serverFirst, 'utf8') };
  }

  private clientFinal(message: string): SaslStep {
    const proofAt = message.lastIndexOf(',p=');
    if (proofAt < 0) throw new ScramError('client-final message has no proof');
    const withoutProof = message.slice(0, proofAt);
    const proof = Buffer.from(message.slice(proofAt + 3), 'base64');
    const attrs = attributes(withoutProof);
    if (attrs[0]?.[0] !== 'c' || attrs[1]?.[0] !== 'r')
      throw new ScramError('client-final message must start with c= and r=');
    if (Buffer.from(attrs[0][1], 'base64').toString('utf8') !== this.gs2Header)
      throw new ScramError('channel binding data differs from the gs2 header');
    // RFC 5802 wants the combined nonce echoed exactly. librdkafka before 2.6.1 (Debian's kcat) puts
    // its own nonce once more in front of it; Kafka 3.8.1–3.9 accept that, and so do we (ADR 0070),
    // but no other prefix.
    const echoed = attrs[1][1];
    if (echoed !== this.nonce && echoed !== this.clientNonce + this.nonce)
      throw new ScramError('nonce mismatch');

    const { mechanism } = this;
    const { storedKey, serverKey } = this.credential;
    if (proof.length !== storedKey.length) throw new ScramError('client proof has the wrong length');
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(mechanism, storedKey, authMessage);
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i += 1) clientKey[i] = proof[i] ^ clientSignature[i];
    const matches = timingSafeEqual(hash(mechanism, clientKey), storedKey);
    if (!matches || !this.known) throw new ScramError('invalid credentials');
    const serverSignature = hmac(mechanism, serverKey, authMessage).toString('base64');
    return { kind: 'done', principal: this.user, response: Buffer.from(`v=${serverSignature}`, 'utf8') };
  }
}
