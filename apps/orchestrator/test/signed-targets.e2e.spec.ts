import { createHash } from 'crypto';
import { ExecutionStatus, ValidationCheck } from '@upshift/contracts';
import { generateSigningKeyPair, signArtifactDigest } from '@upshift/signing';
import { registerFleet } from './support/fleet-fixture';
import { TestStack } from './support/stack';
import { createUpgrade, operate } from './support/upgrades';

/**
 * ADR 0073: once a component has signing keys, its agents install signed artifacts only, so validation
 * refuses a target the registry does not record as signed by a registered key, before any command.
 */
describe('signed upgrade targets at validation (e2e)', () => {
  let stack: TestStack;
  const key = generateSigningKeyPair();

  beforeAll(async () => {
    stack = await TestStack.start('orch_signed');
  });

  afterAll(async () => {
    await stack?.stop();
  });

  async function registry<T>(method: string, pathname: string, body?: unknown): Promise<T> {
    const res = await fetch(`${stack.registry.url}/api/v1/registry${pathname}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.adminToken}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`registry ${method} ${pathname} answered ${res.status}: ${text}`);
    return JSON.parse(text) as T;
  }

  const trustKey = (componentId: string) =>
    registry('POST', `/components/${componentId}/signing-keys`, { publicKey: key.publicKeyPem });

  function versionCompatibility(view: { validationResults: { check: string; passed: boolean }[] }) {
    return view.validationResults.find((v) => v.check === ValidationCheck.VERSION_COMPATIBILITY);
  }

  it('fails VERSION_COMPATIBILITY for a target published unsigned before the component got a key', async () => {
    const fleet = await registerFleet(stack, 2);
    const created = await createUpgrade(stack, fleet);
    // Both versions were published unsigned (no keys then) and keep signed: false.
    await trustKey(fleet.componentId);
    await operate(stack, created.id, 'start');

    const failed = await stack.waitForStatus(created.id, ExecutionStatus.FAILED);
    expect(versionCompatibility(failed)).toMatchObject({
      passed: false,
      detail: expect.stringContaining('target version 1.1.0 is unsigned but its component has signing keys'),
    });
    // The agent checks still ran and passed: only the signature stopped it, before any command.
    expect(failed.validationResults.filter((v) => !v.passed).map((v) => v.check)).toEqual([
      ValidationCheck.VERSION_COMPATIBILITY,
    ]);
    expect(stack.worker.commandsFor(created.id)).toEqual([]);
    expect(failed.instances.every((i) => i.status === 'PENDING')).toBe(true);
  });

  it('passes it for a target signed by a registered key, and the upgrade completes', async () => {
    const fleet = await registerFleet(stack, 2);
    await trustKey(fleet.componentId);
    const sha256 = createHash('sha256').update(`${fleet.componentId}:1.2.0`).digest('hex');
    const signed = await registry<{ id: string }>('POST', `/components/${fleet.componentId}/versions`, {
      version: '1.2.0',
      artifact: {
        url: 'https://artifacts.example.com/1.2.0.tar.gz',
        sha256,
        signature: signArtifactDigest(sha256, key.privateKeyPem),
      },
    });
    const published = await registry<{ signed: boolean; signatureRequired: boolean }>(
      'POST',
      `/components/${fleet.componentId}/versions/${signed.id}/publish`,
      {},
    );
    expect(published).toMatchObject({ signed: true, signatureRequired: true });

    const created = await createUpgrade(stack, { ...fleet, toVersionId: signed.id });
    await operate(stack, created.id, 'start');
    const done = await stack.waitForStatus(created.id, ExecutionStatus.COMPLETED);
    expect(versionCompatibility(done)).toMatchObject({ passed: true });
    expect(done.completedInstances).toBe(2);
  });
});
