import { randomBytes } from 'crypto';
import {
  AGENT_AUTH_HEADERS,
  deriveTenantAgentKey,
  masterKeyring,
  MemoryNonceStore,
  parseAgentAuthKey,
  signAgentRequest,
  tenantKeyring,
  verifyAgentRequest,
  type AgentRequestToSign,
} from './agent-request-signature';

const master = randomBytes(32);
const workers = masterKeyring(master);
const request: AgentRequestToSign = {
  method: 'POST',
  pathAndQuery: '/i/sim-0001/agent/drain',
  body: '{"commandId":"c1"}',
};
const NOW = Date.parse('2026-01-01T12:00:00Z');

function verify(
  headers: Record<string, string>,
  overrides: Partial<AgentRequestToSign> = {},
  { nowMs = NOW, keyring = workers, nonces = new MemoryNonceStore() } = {},
) {
  return verifyAgentRequest(headers, { ...request, ...overrides }, keyring, nonces, nowMs);
}

describe('agent request signatures', () => {
  it('accepts a request signed with the tenant key, on a master keyring and on the tenant keyring alone', () => {
    const headers = signAgentRequest(workers, 't-1', request, { nowMs: NOW });
    expect(headers[AGENT_AUTH_HEADERS.signature]).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verify(headers)).toEqual({ ok: true, keyId: 't-1' });
    const agent = tenantKeyring('t-1', deriveTenantAgentKey(master, 't-1'));
    expect(verify(headers, {}, { keyring: agent })).toEqual({ ok: true, keyId: 't-1' });
  });

  it("refuses another tenant's signature on a tenant's agent", () => {
    const agentOfT1 = tenantKeyring('t-1', deriveTenantAgentKey(master, 't-1'));
    const forT2 = signAgentRequest(workers, 't-2', request, { nowMs: NOW });
    expect(verify(forT2, {}, { keyring: agentOfT1 })).toEqual({ ok: false, refusal: 'unknown-key' });
    // Claiming t-1 while signing with t-2's key fails the signature.
    const relabelled = { ...forT2, [AGENT_AUTH_HEADERS.keyId]: 't-1' };
    expect(verify(relabelled, {}, { keyring: agentOfT1 })).toEqual({ ok: false, refusal: 'bad-signature' });
  });

  it('derives different keys per tenant and per master key', () => {
    expect(deriveTenantAgentKey(master, 'a').equals(deriveTenantAgentKey(master, 'b'))).toBe(false);
    expect(deriveTenantAgentKey(master, 'a').equals(deriveTenantAgentKey(randomBytes(32), 'a'))).toBe(false);
    expect(deriveTenantAgentKey(master, 'a')).toHaveLength(32);
  });

  it('covers the method, the path with its query and the body', () => {
    const headers = signAgentRequest(workers, 't-1', request, { nowMs: NOW });
    expect(verify(headers, { method: 'PUT' })).toEqual({ ok: false, refusal: 'bad-signature' });
    expect(verify(headers, { pathAndQuery: '/i/sim-0002/agent/drain' })).toEqual({
      ok: false,
      refusal: 'bad-signature',
    });
    expect(verify(headers, { pathAndQuery: `${request.pathAndQuery}?x=1` })).toEqual({
      ok: false,
      refusal: 'bad-signature',
    });
    expect(verify(headers, { body: '{"commandId":"c2"}' })).toEqual({ ok: false, refusal: 'bad-signature' });
  });

  it('refuses unsigned and malformed requests', () => {
    expect(verify({})).toEqual({ ok: false, refusal: 'unsigned' });
    const headers = signAgentRequest(workers, 't-1', request, { nowMs: NOW });
    expect(verify({ ...headers, [AGENT_AUTH_HEADERS.signature]: 'v2=abc' })).toEqual({
      ok: false,
      refusal: 'malformed',
    });
    const { [AGENT_AUTH_HEADERS.nonce]: _nonce, ...withoutNonce } = headers;
    expect(verify(withoutNonce)).toEqual({ ok: false, refusal: 'malformed' });
  });

  it('refuses timestamps more than five minutes away, either way', () => {
    const headers = signAgentRequest(workers, 't-1', request, { nowMs: NOW });
    expect(verify(headers, {}, { nowMs: NOW + 299_000 }).ok).toBe(true);
    expect(verify(headers, {}, { nowMs: NOW + 301_000 })).toEqual({ ok: false, refusal: 'stale' });
    expect(verify(headers, {}, { nowMs: NOW - 301_000 })).toEqual({ ok: false, refusal: 'stale' });
  });

  it('refuses a replayed nonce while it is remembered, and forgets it after twice the window', () => {
    const nonces = new MemoryNonceStore();
    const headers = signAgentRequest(workers, 't-1', request, { nowMs: NOW });
    expect(verify(headers, {}, { nonces }).ok).toBe(true);
    expect(verify(headers, {}, { nonces, nowMs: NOW + 1000 })).toEqual({ ok: false, refusal: 'replayed' });
    // A bad signature does not burn a nonce.
    const fresh = signAgentRequest(workers, 't-1', request, { nowMs: NOW });
    expect(verify(fresh, { body: 'x' }, { nonces }).ok).toBe(false);
    expect(verify(fresh, {}, { nonces }).ok).toBe(true);
    expect(nonces.size).toBe(2);
    const later = NOW + 600_001;
    expect(
      verify(signAgentRequest(workers, 't-1', request, { nowMs: later }), {}, { nonces, nowMs: later }).ok,
    ).toBe(true);
    expect(nonces.size).toBe(1);
  });

  it('requires AGENT_AUTH_KEY as at least 32 hex-encoded bytes and never echoes it', () => {
    expect(parseAgentAuthKey('ab'.repeat(32))).toHaveLength(32);
    expect(() => parseAgentAuthKey(undefined)).toThrow(/^AGENT_AUTH_KEY is required/);
    for (const bad of ['ab'.repeat(31), 'zz'.repeat(32), 'abc'.repeat(31)]) {
      let message = '';
      try {
        parseAgentAuthKey(bad);
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/^AGENT_AUTH_KEY must be at least 32 bytes/);
      expect(message).not.toContain(bad);
    }
  });
});
