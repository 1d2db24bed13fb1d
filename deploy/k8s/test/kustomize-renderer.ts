import { readFileSync, statSync } from 'fs';
import { join } from 'path';
import { parse, parseAllDocuments } from 'yaml';
import { applyJsonPatch, type JsonPatchOperation } from './json-patch';

/**
 * A renderer for the few kustomize features deploy/k8s uses, so that the tests can render the overlays
 * without a kustomize binary (none is packaged for this machine: docs/adr/0088-kubernetes-manifests-with-kustomize.md).
 * `kubectl apply -k` remains what deploys them. It implements `resources` (files and directories),
 * `namespace`, `replicas`, `images` (newName, newTag, digest) and `patches` given as inline JSON 6902
 * operations with a kind and name target; any other field of a kustomization.yaml is refused, so that
 * an overlay never relies on something this renderer would silently skip.
 */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

interface Kustomization {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  resources?: string[];
  replicas?: { name: string; count: number }[];
  images?: { name: string; newName?: string; newTag?: string; digest?: string }[];
  patches?: { target: { kind: string; name: string }; patch: string }[];
}

const KNOWN_FIELDS = new Set([
  'apiVersion',
  'kind',
  'namespace',
  'resources',
  'replicas',
  'images',
  'patches',
]);
/** The cluster-scoped kinds among those the manifests hold: they take no namespace. */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'PriorityClass',
  'StorageClass',
]);
const SCALABLE = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);

export function renderKustomization(dir: string): KubeObject[] {
  const kustomization = parse(readFileSync(join(dir, 'kustomization.yaml'), 'utf8')) as Kustomization;
  const unknown = Object.keys(kustomization).filter((field) => !KNOWN_FIELDS.has(field));
  if (unknown.length > 0)
    throw new Error(`${dir}/kustomization.yaml: ${unknown.join(', ')} not supported by this renderer`);

  const objects: KubeObject[] = [];
  for (const resource of kustomization.resources ?? []) {
    const path = join(dir, resource);
    objects.push(...(statSync(path).isDirectory() ? renderKustomization(path) : readObjects(path)));
  }
  const seen = new Set<string>();
  for (const object of objects) {
    const id = `${object.kind}/${object.metadata.name}`;
    if (seen.has(id)) throw new Error(`${dir}: ${id} is defined twice`);
    seen.add(id);
  }

  for (const { target, patch } of kustomization.patches ?? []) {
    const operations = parse(patch) as JsonPatchOperation[];
    if (!Array.isArray(operations))
      throw new Error(`${dir}: only JSON 6902 patches (a list of operations) are supported`);
    applyJsonPatch(findOne(objects, target.kind, target.name, dir), operations);
  }
  for (const { name, count } of kustomization.replicas ?? []) {
    const targets = objects.filter((object) => SCALABLE.has(object.kind) && object.metadata.name === name);
    if (targets.length === 0) throw new Error(`${dir}: replicas names ${name}, which is not a workload here`);
    for (const target of targets) (target['spec'] as Record<string, unknown>)['replicas'] = count;
  }
  for (const image of kustomization.images ?? []) {
    for (const container of objects.flatMap(containersOf)) {
      if (imageName(container.image) === image.name) container.image = retag(container.image, image);
    }
  }
  if (kustomization.namespace !== undefined) {
    for (const object of objects)
      if (!CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = kustomization.namespace;
  }
  return objects;
}

function readObjects(path: string): KubeObject[] {
  return parseAllDocuments(readFileSync(path, 'utf8'))
    .map((document) => {
      if (document.errors.length > 0) throw new Error(`${path}: ${document.errors[0]?.message}`);
      return document.toJS() as KubeObject | null;
    })
    .filter((object): object is KubeObject => object !== null);
}

function findOne(objects: KubeObject[], kind: string, name: string, dir: string): KubeObject {
  const found = objects.find((object) => object.kind === kind && object.metadata.name === name);
  if (!found) throw new Error(`${dir}: the patch target ${kind}/${name} is not among the resources`);
  return found;
}

interface Container {
  name: string;
  image: string;
}

/** The containers of a workload's pod template (Deployment, StatefulSet, ...). */
export function containersOf(object: KubeObject): Container[] {
  const spec = object['spec'] as {
    template?: { spec?: { containers?: Container[]; initContainers?: Container[] } };
  };
  const pod = spec?.template?.spec;
  return [...(pod?.initContainers ?? []), ...(pod?.containers ?? [])];
}

/** `registry.example/upshift/worker:0.1.0@sha256:…` → `registry.example/upshift/worker`. */
function imageName(image: string): string {
  const withoutDigest = image.split('@')[0] ?? image;
  const lastSlash = withoutDigest.lastIndexOf('/');
  const colon = withoutDigest.indexOf(':', lastSlash + 1);
  return colon === -1 ? withoutDigest : withoutDigest.slice(0, colon);
}

function retag(
  image: string,
  rule: { name: string; newName?: string; newTag?: string; digest?: string },
): string {
  const name = rule.newName ?? imageName(image);
  if (rule.digest !== undefined) return `${name}@${rule.digest}`;
  if (rule.newTag !== undefined) return `${name}:${rule.newTag}`;
  return name + image.slice(imageName(image).length);
}
