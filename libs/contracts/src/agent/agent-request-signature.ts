import { createHash, createHmac, hkdfSync, randomUUID, timingSafeEqual } from 'crypto';

/**
 * Signed agent requests (ADR 0071, docs/agent-protocol.md "Authentication"): workers and the
 * orchestrator sign every call to an agent with an HMAC-SHA256 key of the instance's tenant; the agent
 * refuses (401) what is unsigned, badly signed, outside the time window, or replayed. Signing and
 * verifying live here only, so that both sides compute the same bytes.
 */

export const AGENT_AUTH_HEADERS = {
  keyId: 'x-upshift-key-id',
  timestamp: 'x-upshift-timestamp',
  nonce: 'x-upshift-nonce',
  signature: 'x-upshift-signature',
} as const;

/** How far a request's timestamp may be from the agent's clock, either way. */
export const AGENT_SIGNATURE_WINDOW_SECONDS = 300;

const SCHEME = 'UPSHIFT-AGENT-HMAC-SHA256-V1';
const MIN_MASTER_KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const NONCE = /^[A-Za-z0-9_-]{16,128}$/;
const TIMESTAMP = /^\d{1,12}$/;
const SIGNATURE = /^v1=([0-9a-f]{64})$/;

/**
 * Reads `AGENT_AUTH_KEY`: at least 32 bytes, hex-encoded (`openssl rand -hex 32`). The error names the
 * variable and never the value.
 */
export function parseAgentAuthKey(text: string | undefined, variable = 'AGENT_AUTH_KEY'): Buffer {
  if (text === undefined || text === '') throw new Error(`${variable} is required (openssl rand -hex 32)`);
  if (!/^([0-9a-fA-F]{2})+$/.test(text) || text.length < MIN_MASTER_KEY_BYTES * 2) {
    throw new Error(
      `${variable} must be at least ${MIN_MASTER_KEY_BYTES} bytes, hex-encoded (64 or more hex digits; openssl rand -hex 32)`,
    );
  }
  return Buffer.from(text, 'hex');
}

/**
 * A tenant's agent key: HKDF-SHA256 of the master key, salt `upshift-agent-auth`, info
 * `tenant:<tenantId>`, 32 bytes. An agent is given its tenant's key only, so an agent (or whoever reads
 * its disk) can sign requests for its own tenant's agents and no other's.
 */
export function deriveTenantAgentKey(masterKey: Buffer, tenantId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', masterKey, 'upshift-agent-auth', `tenant:${tenantId}`, 32));
}

/** The keys a party holds, by key id (the tenant id). */
export interface AgentKeyring {
  keyFor(keyId: string): Buffer | null;
}

/** Every tenant's key, derived on demand from the master key (workers, the orchestrator, the simulator). */
export function masterKeyring(masterKey: Buffer): AgentKeyring {
  const derived = new Map<string, Buffer>();
  return {
    keyFor(keyId) {
      let key = derived.get(keyId);
      if (!key) {
        key = deriveTenantAgentKey(masterKey, keyId);
        derived.set(keyId, key);
      }
      return key;
    },
  };
}

/** One tenant's key: what a real agent holds. */
export function tenantKeyring(tenantId: string, key: Buffer): AgentKeyring {
  return { keyFor: (keyId) => (keyId === tenantId ? key : null) };
}

export interface AgentRequestToSign {
  method: string;
  /** The request target exactly as sent: path and query, e.g. `/i/sim-0001/agent/status`. */
  pathAndQuery: string;
  /** The body bytes exactly as sent; undefined or empty for none. */
  body?: Buffer | string;
}

/** The signing headers for one request. Sign every attempt anew: a retry is a new request. */
export function signAgentRequest(
  keyring: AgentKeyring,
  keyId: string,
  request: AgentRequestToSign,
  { nowMs = Date.now(), nonce = randomUUID() }: { nowMs?: number; nonce?: string } = {},
): Record<string, string> {
  const key = keyring.keyFor(keyId);
  if (!key) throw new Error(`no agent key for key id ${keyId}`);
  const timestamp = String(Math.floor(nowMs / 1000));
  return {
    [AGENT_AUTH_HEADERS.keyId]: keyId,
    [AGENT_AUTH_HEADERS.timestamp]: timestamp,
    [AGENT_AUTH_HEADERS.nonce]: nonce,
    [AGENT_AUTH_HEADERS.signature]: `v1=${mac(key, canonical(request, keyId, timestamp, nonce)).toString('hex')}`,
  };
}

export type AgentRequestRefusal =
  'unsigned' | 'malformed' | 'unknown-key' | 'bad-signature' | 'stale' | 'replayed';

export type AgentRequestVerdict = { ok: true; keyId: string } | { ok: false; refusal: AgentRequestRefusal };

/** Remembers nonces so that a captured request cannot be sent again while its timestamp is still valid. */
export interface NonceStore {
  /** True the first time `nonce` is seen for `keyId`, false on every repeat. */
  firstUse(keyId: string, nonce: string, nowMs: number): boolean;
}

/**
 * Verifies a signed request (the agent's side). The nonce is remembered only once the signature
 * verified, so unsigned noise cannot fill the store.
 */
export function verifyAgentRequest(
  headers: Record<string, string | string[] | undefined>,
  request: AgentRequestToSign,
  keyring: AgentKeyring,
  nonces: NonceStore,
  nowMs: number = Date.now(),
): AgentRequestVerdict {
  const keyId = single(headers[AGENT_AUTH_HEADERS.keyId]);
  const timestamp = single(headers[AGENT_AUTH_HEADERS.timestamp]);
  const nonce = single(headers[AGENT_AUTH_HEADERS.nonce]);
  const signature = single(headers[AGENT_AUTH_HEADERS.signature]);
  if (keyId === undefined && timestamp === undefined && nonce === undefined && signature === undefined)
    return { ok: false, refusal: 'unsigned' };
  const sent = signature === undefined ? null : SIGNATURE.exec(signature);
  if (
    keyId === undefined ||
    !KEY_ID.test(keyId) ||
    timestamp === undefined ||
    !TIMESTAMP.test(timestamp) ||
    nonce === undefined ||
    !NONCE.test(nonce) ||
    !sent?.[1]
  )
    return { ok: false, refusal: 'malformed' };
  const key = keyring.keyFor(keyId);
  if (!key) return { ok: false, refusal: 'unknown-key' };
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > AGENT_SIGNATURE_WINDOW_SECONDS)
    return { ok: false, refusal: 'stale' };
  const expected = mac(key, canonical(request, keyId, timestamp, nonce));
  if (!timingSafeEqual(expected, Buffer.from(sent[1], 'hex'))) return { ok: false, refusal: 'bad-signature' };
  if (!nonces.firstUse(keyId, nonce, nowMs)) return { ok: false, refusal: 'replayed' };
  return { ok: true, keyId };
}

/**
 * An in-memory NonceStore. Every nonce is kept for twice the window (a timestamp may be up to one
 * window in the future, and stays valid one window after that), so entries expire in insertion order
 * and pruning only looks at the oldest ones. Memory grows with requests per 10 minutes.
 */
export class MemoryNonceStore implements NonceStore {
  private readonly seen = new Map<string, number>();
  private readonly holdMs = 2 * AGENT_SIGNATURE_WINDOW_SECONDS * 1000;

  firstUse(keyId: string, nonce: string, nowMs: number): boolean {
    for (const [entry, expiresAt] of this.seen) {
      if (expiresAt > nowMs) break;
      this.seen.delete(entry);
    }
    const entry = `${keyId}\n${nonce}`;
    if (this.seen.has(entry)) return false;
    this.seen.set(entry, nowMs + this.holdMs);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }
}

/** The string both sides sign: one field a line, so no field can bleed into the next. */
function canonical(request: AgentRequestToSign, keyId: string, timestamp: string, nonce: string): string {
  const body = request.body === undefined ? '' : request.body;
  return [
    SCHEME,
    request.method.toUpperCase(),
    request.pathAndQuery,
    keyId,
    timestamp,
    nonce,
    createHash('sha256').update(body).digest('hex'),
  ].join('\n');
}

function mac(key: Buffer, text: string): Buffer {
  return createHmac('sha256', key).update(text).digest();
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
}
