import type { KubeObject } from './kustomize-renderer';

/**
 * The environment a container would start with, resolved the way the kubelet does from the rendered
 * ConfigMaps and Secrets: a missing non-optional key is an error (the pod would not start), a missing
 * optional one leaves the variable unset, `$(NAME)` in a value expands. Downward-API fields take the
 * sample values given.
 */
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    configMapKeyRef?: KeyRef;
    secretKeyRef?: KeyRef;
    fieldRef?: { fieldPath: string };
  };
}
interface KeyRef {
  name: string;
  key: string;
  optional?: boolean;
}
export interface ContainerSpec {
  name: string;
  image: string;
  env?: EnvVar[];
  envFrom?: unknown[];
}

export const SAMPLE_FIELDS: Record<string, string> = {
  'metadata.name': 'sample-pod-0',
  'status.podIP': '10.244.0.17',
};

function data(object: KubeObject | undefined): Record<string, string> | undefined {
  if (!object) return undefined;
  const encoded = Object.fromEntries(
    Object.entries((object['data'] as Record<string, string> | undefined) ?? {}).map(([key, value]) => [
      key,
      object.kind === 'Secret' ? Buffer.from(value, 'base64').toString('utf8') : value,
    ]),
  );
  return { ...encoded, ...((object['stringData'] as Record<string, string> | undefined) ?? {}) };
}

export function resolveEnvironment(
  container: ContainerSpec,
  available: KubeObject[],
): Record<string, string> {
  if (container.envFrom !== undefined)
    throw new Error(`${container.name}: envFrom hides which variables a service gets; list them in env`);
  const environment: Record<string, string> = {};
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) {
      // $(NAME) is replaced by a variable defined above it; $$ escapes a $ (the kubelet's expansion).
      environment[variable.name] = variable.value.replace(
        /\$\$|\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g,
        (whole, name?: string) => (whole === '$$' ? '$' : (environment[name ?? ''] ?? whole)),
      );
      continue;
    }
    const source = variable.valueFrom;
    const field = source?.fieldRef?.fieldPath;
    if (field !== undefined) {
      const sample = SAMPLE_FIELDS[field];
      if (sample === undefined) throw new Error(`${container.name}: no sample value for field ${field}`);
      environment[variable.name] = sample;
      continue;
    }
    const [kind, ref] = source?.configMapKeyRef
      ? (['ConfigMap', source.configMapKeyRef] as const)
      : source?.secretKeyRef
        ? (['Secret', source.secretKeyRef] as const)
        : (['', undefined] as const);
    if (!ref)
      throw new Error(`${container.name}: ${variable.name} has neither a value nor a supported source`);
    const values = data(
      available.find((object) => object.kind === kind && object.metadata.name === ref.name),
    );
    const value = values?.[ref.key];
    if (value !== undefined) environment[variable.name] = value;
    else if (!ref.optional)
      throw new Error(
        `${container.name}: ${variable.name} needs key ${ref.key} of ${kind} ${ref.name}, which is missing`,
      );
  }
  return environment;
}
