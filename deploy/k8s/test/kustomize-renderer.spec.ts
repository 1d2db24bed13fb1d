import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { applyJsonPatch } from './json-patch';
import { renderKustomization } from './kustomize-renderer';

/** The renderer the manifests' checks rely on: what it does, and what it refuses rather than skip. */
describe('renderKustomization', () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const deployment = `apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  replicas: 3
  template:
    spec:
      containers:
        - { name: api, image: 'upshift/orchestrator:0.0.9' }
        - { name: side, image: 'example.org/tools/side:1.2' }
`;

  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'upshift-kustomize-'));
    write('base/kustomization.yaml', 'resources: [app.yaml, ns.yaml]\n');
    write('base/app.yaml', `${deployment}---\napiVersion: v1\nkind: Service\nmetadata: { name: api }\n`);
    write('base/ns.yaml', 'apiVersion: v1\nkind: Namespace\nmetadata: { name: team }\n');
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('applies namespace, replicas, images and JSON 6902 patches over a base directory', () => {
    write(
      'overlay/kustomization.yaml',
      `namespace: team
resources: [../base]
replicas: [{ name: api, count: 1 }]
images:
  - { name: upshift/orchestrator, newTag: 0.1.0 }
  - { name: example.org/tools/side, newName: mirror.local/side, digest: 'sha256:${'a'.repeat(64)}' }
patches:
  - target: { kind: Service, name: api }
    patch: |-
      - { op: add, path: /spec, value: { ports: [{ port: 80 }] } }
      - { op: add, path: /spec/ports/-, value: { port: 443 } }
`,
    );
    const [api, service, namespace] = renderKustomization(join(root, 'overlay'));
    expect(api?.metadata.namespace).toBe('team');
    expect(api?.['spec']).toMatchObject({
      replicas: 1,
      template: {
        spec: {
          containers: [
            { image: 'upshift/orchestrator:0.1.0' },
            { image: `mirror.local/side@sha256:${'a'.repeat(64)}` },
          ],
        },
      },
    });
    expect(service?.['spec']).toEqual({ ports: [{ port: 80 }, { port: 443 }] });
    // Cluster-scoped: a namespace has none.
    expect(namespace?.metadata).toEqual({ name: 'team' });
  });

  it.each([
    ['a field it does not implement', 'resources: [../base]\nnamePrefix: x-\n', /namePrefix not supported/],
    [
      'a strategic-merge patch',
      'resources: [../base]\npatches:\n  - target: { kind: Service, name: api }\n    patch: "spec: {}"\n',
      /only JSON 6902/,
    ],
    [
      'a patch whose target is absent',
      'resources: [../base]\npatches:\n  - target: { kind: Service, name: web }\n    patch: "[]"\n',
      /Service\/web is not among/,
    ],
    [
      'replicas for no workload',
      'resources: [../base]\nreplicas: [{ name: web, count: 2 }]\n',
      /web, which is not a workload/,
    ],
    ['the same object twice', 'resources: [../base, ../base/app.yaml]\n', /Deployment\/api is defined twice/],
  ])('refuses %s', (_, kustomization, message) => {
    write('overlay/kustomization.yaml', kustomization);
    expect(() => renderKustomization(join(root, 'overlay'))).toThrow(message);
  });
});

describe('applyJsonPatch', () => {
  it.each([
    [{ op: 'replace', path: '/a/missing', value: 1 }, /\/a\/missing does not exist/],
    [{ op: 'remove', path: '/list/2' }, /out of range/],
    [{ op: 'add', path: '/list/x', value: 1 }, /not an array index/],
    [{ op: 'move', path: '/a' }, /op move is not supported/],
  ] as const)('refuses %j', (operation, message) => {
    expect(() => applyJsonPatch({ a: {}, list: [1, 2] }, [operation as never])).toThrow(message);
  });

  it('reads ~1 and ~0 in pointers as / and ~', () => {
    const document = { metadata: { annotations: { 'prometheus.io/port': '1', 'a~b': '2' } } };
    applyJsonPatch(document, [
      { op: 'replace', path: '/metadata/annotations/prometheus.io~1port', value: '8084' },
      { op: 'remove', path: '/metadata/annotations/a~0b' },
    ]);
    expect(document.metadata.annotations).toEqual({ 'prometheus.io/port': '8084' });
  });
});
