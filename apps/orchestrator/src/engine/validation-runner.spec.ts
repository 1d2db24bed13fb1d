import type { RegistryVersion } from '../registry/registry.client';
import { unsignedTarget } from './validation-runner';

function target(fields: Partial<RegistryVersion>): RegistryVersion {
  return {
    id: 'b8a7c1de-0000-4000-8000-000000000001',
    componentId: 'b8a7c1de-0000-4000-8000-000000000002',
    version: '2.2.0',
    status: 'published',
    artifact: { url: 'https://artifacts.example.com/2.2.0.tgz', sha256: 'a'.repeat(64), signature: null },
    signed: false,
    signingKeyId: null,
    signatureRequired: false,
    dependencies: {},
    ...fields,
  };
}

// ADR 0073: with keys, only a version recorded as signed by a registered key is a target.
describe('unsignedTarget', () => {
  it('accepts anything when the component has no keys', () => {
    expect(unsignedTarget(target({ signatureRequired: false, signed: false }))).toBeNull();
  });

  it('accepts a version signed by a registered key', () => {
    expect(
      unsignedTarget(target({ signatureRequired: true, signed: true, signingKeyId: 'key-1' })),
    ).toBeNull();
  });

  it('refuses a version published unsigned once the component has keys', () => {
    expect(unsignedTarget(target({ signatureRequired: true, signed: false }))).toMatch(
      /^target version 2\.2\.0 is unsigned but its component has signing keys/,
    );
  });

  it('refuses a version whose verifying key was removed', () => {
    expect(unsignedTarget(target({ signatureRequired: true, signed: true, signingKeyId: null }))).toMatch(
      /key that signed target version 2\.2\.0 is no longer registered/,
    );
  });
});
