import type { ContainerSpec } from './container-environment';
import type { KubeObject } from './kustomize-renderer';

/** Typed views of the parts of rendered workloads that the checks read. */
export interface Probe {
  httpGet?: { path: string; port: number | string };
  tcpSocket?: { port: number | string };
  exec?: { command: string[] };
  periodSeconds?: number;
  failureThreshold?: number;
}
export interface Container extends ContainerSpec {
  imagePullPolicy?: string;
  args?: string[];
  ports?: { name?: string; containerPort: number }[];
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  startupProbe?: Probe;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  lifecycle?: { preStop?: { sleep?: { seconds: number } } };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    runAsNonRoot?: boolean;
    runAsUser?: number;
    capabilities?: { drop?: string[]; add?: string[] };
  };
}
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  terminationGracePeriodSeconds?: number;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; seccompProfile?: { type: string } };
}
export interface Workload extends KubeObject {
  spec: {
    replicas?: number;
    selector: { matchLabels: Record<string, string> };
    template: {
      metadata: { labels: Record<string, string>; annotations?: Record<string, string> };
      spec: PodSpec;
    };
  };
}

export function workloads(objects: KubeObject[]): Workload[] {
  return objects.filter((object): object is Workload => ['Deployment', 'StatefulSet'].includes(object.kind));
}

export function find(objects: KubeObject[], kind: string, name: string): KubeObject | undefined {
  return objects.find((object) => object.kind === kind && object.metadata.name === name);
}

export function labelsMatch(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

/** Image name without tag or digest: `upshift/worker:0.1.0` → `upshift/worker`. */
export function imageRepository(image: string): string {
  return image.replace(/@.*$/, '').replace(/:[^/:]+$/, '');
}

/** The port a probe or Service names, as a number, if the container declares it. */
export function declaredPort(container: Container, port: number | string): number | undefined {
  return container.ports?.find((declared) => declared.name === port || declared.containerPort === port)
    ?.containerPort;
}
