import 'reflect-metadata';
import { existsSync, readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import {
  loadConfig as loadOrchestratorConfig,
  OrchestratorConfig,
} from '../../../apps/orchestrator/src/config';
import { loadRegistryConfig, RegistryConfig } from '../../../apps/registry/src/config';
import { loadWorkerConfig, WorkerConfig } from '../../../apps/worker/src/config';
import { FleetSimConfig, loadFleetSimConfig, toFleetOptions } from '../../../apps/fleet-sim/src/config';
import { resolveEnvironment } from './container-environment';
import { renderKustomization, type KubeObject } from './kustomize-renderer';
import { KUBERNETES_VERSION, schemaErrors } from './kubernetes-schema';
import { unknownFieldErrors } from './unknown-fields';
import {
  connectionAllowed,
  ingressAllowed,
  type Endpoint,
  type PodEndpoint,
} from './network-policy-evaluator';
import { parseQuantity } from './quantity';
import {
  declaredPort,
  find,
  imageRepository,
  labelsMatch,
  workloads,
  type Container,
  type Workload,
} from './workloads';

/**
 * Renders every overlay of deploy/k8s and checks what a cluster would refuse or regret: schema errors
 * against Kubernetes 1.33, missing probes, resources or disruption budgets, unpinned images, root
 * containers, open networks, and an environment the services' own config loaders would reject.
 */
const K8S = join(__dirname, '..');
const OVERLAYS = ['dev', 'production'] as const;
type Overlay = (typeof OVERLAYS)[number];
const NAMESPACES: Record<Overlay, string> = { dev: 'upshift-dev', production: 'upshift' };
const rendered: Record<Overlay, KubeObject[]> = {
  dev: renderKustomization(join(K8S, 'overlays', 'dev')),
  production: renderKustomization(join(K8S, 'overlays', 'production')),
};

/** Production expects this Secret to exist (made outside Git); its example stands in for it here. */
const productionSecret = parse(
  readFileSync(join(K8S, 'overlays', 'production', 'upshift-credentials.example.yaml'), 'utf8'),
) as KubeObject;

/** Each Upshift image, and the check its own process makes of its environment at start-up. */
const UPSHIFT_SERVICES: Record<string, { defaults: object; load: (env: NodeJS.ProcessEnv) => unknown }> = {
  'upshift/orchestrator': {
    defaults: new OrchestratorConfig(),
    load: (env) => loadOrchestratorConfig({}, env),
  },
  'upshift/registry': { defaults: new RegistryConfig(), load: (env) => loadRegistryConfig(env) },
  'upshift/worker': { defaults: new WorkerConfig(), load: (env) => loadWorkerConfig(env) },
  'upshift/fleet-sim': {
    defaults: new FleetSimConfig(),
    load: (env) => toFleetOptions(loadFleetSimConfig(env, [])),
  },
};
/** The Upshift images deploy/Dockerfile builds, as docker-compose.yml names them. */
const BUILT_IMAGES = [
  ...new Set(
    readFileSync(join(K8S, '..', '..', 'docker-compose.yml'), 'utf8').match(/upshift\/[a-z-]+(?=:)/g),
  ),
];
/**
 * What deploy/fleet-sim-compose.sh exports before it starts the fleet (the ids the demo catalog's seed
 * returns and a token it mints): the fleet-sim process sees these as well as the pod's variables.
 */
const SEEDING_SCRIPT = 'deploy/fleet-sim-compose.sh';
const SEEDING_SCRIPT_EXPORTS = {
  FLEET_COMPONENT_ID: '3f0c1d9e-0000-4000-8000-000000000001',
  FLEET_VERSION_ID: '3f0c1d9e-0000-4000-8000-000000000002',
  FLEET_REGISTRY_TOKEN: 'minted.by.the.script',
};
/** apps/orchestrator/src/main.ts exits by force this long after SIGTERM if app.close() has not finished. */
const ORCHESTRATOR_FORCED_EXIT_SECONDS = 15;

function containers(workload: Workload): Container[] {
  const pod = workload.spec.template.spec;
  return [...(pod.initContainers ?? []), ...pod.containers];
}

function eachContainer(objects: KubeObject[]): { workload: Workload; container: Container; id: string }[] {
  return workloads(objects).flatMap((workload) =>
    containers(workload).map((container) => ({
      workload,
      container,
      id: `${workload.kind}/${workload.metadata.name}/${container.name}`,
    })),
  );
}

/** Replicas the workload runs at least: its HPA's minimum when one scales it, else spec.replicas (1). */
function minimumReplicas(objects: KubeObject[], workload: Workload): number {
  const hpa = objects.find(
    (object) =>
      object.kind === 'HorizontalPodAutoscaler' &&
      (object['spec'] as { scaleTargetRef: { name: string } }).scaleTargetRef.name === workload.metadata.name,
  );
  return hpa ? ((hpa['spec'] as { minReplicas?: number }).minReplicas ?? 1) : (workload.spec.replicas ?? 1);
}

/** A variable whose default names this machine's loopback address: in a pod it would reach nothing. */
function machineLocalDefaults(defaults: object): string[] {
  return Object.entries(defaults)
    .filter(([, value]) => typeof value === 'string' && /\b127\.0\.0\.1\b|localhost:\d/.test(value))
    .map(([key]) => key);
}

describe.each(OVERLAYS)(`the %s overlay (Kubernetes ${KUBERNETES_VERSION})`, (overlay) => {
  const objects = rendered[overlay];
  const secrets = overlay === 'production' ? [...objects, productionSecret] : objects;

  it('renders objects that all validate against the Kubernetes schemas (production: and its Secret example)', () => {
    expect(workloads(objects).length).toBeGreaterThanOrEqual(3);
    const errors = secrets.flatMap((object) =>
      schemaErrors(object).map((error) => `${object.kind}/${object.metadata.name}: ${error}`),
    );
    expect(errors).toEqual([]);
  });

  it("puts every namespaced object in the overlay's namespace, which it creates", () => {
    expect(find(objects, 'Namespace', NAMESPACES[overlay])).toBeDefined();
    const elsewhere = objects
      .filter((object) => object.kind !== 'Namespace' && object.metadata.namespace !== NAMESPACES[overlay])
      .map((object) => `${object.kind}/${object.metadata.name}`);
    expect(elsewhere).toEqual([]);
  });

  it('gives every container startup, liveness and readiness probes on ports it declares', () => {
    const problems: string[] = [];
    for (const { container, id } of eachContainer(objects)) {
      for (const kind of ['startupProbe', 'livenessProbe', 'readinessProbe'] as const) {
        const probe = container[kind];
        if (!probe) {
          problems.push(`${id}: no ${kind}`);
          continue;
        }
        const port = probe.httpGet?.port ?? probe.tcpSocket?.port;
        if (port !== undefined && declaredPort(container, port) === undefined)
          problems.push(`${id}: ${kind} uses port ${port}, which the container does not declare`);
        if (!probe.httpGet && !probe.tcpSocket && !probe.exec) problems.push(`${id}: ${kind} checks nothing`);
      }
      // The HTTP services' two endpoints: live never depends on a dependency, ready does.
      if (UPSHIFT_SERVICES[imageRepository(container.image)]) {
        expect([id, container.livenessProbe?.httpGet?.path]).toEqual([id, '/health/live']);
        expect([id, container.readinessProbe?.httpGet?.path]).toEqual([id, '/health/ready']);
      }
    }
    expect(problems).toEqual([]);
  });

  it('gives every container CPU and memory requests no larger than its limits', () => {
    const problems: string[] = [];
    for (const { container, id } of eachContainer(objects)) {
      for (const resource of ['cpu', 'memory']) {
        const request = container.resources?.requests?.[resource];
        const limit = container.resources?.limits?.[resource];
        if (request === undefined || limit === undefined)
          problems.push(`${id}: ${resource} request or limit missing`);
        else if (parseQuantity(request) > parseQuantity(limit))
          problems.push(`${id}: ${resource} request above limit`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('runs every container as a non-root user, without privilege escalation, capabilities or a writable root', () => {
    const problems: string[] = [];
    for (const { workload, container, id } of eachContainer(objects)) {
      const pod = workload.spec.template.spec.securityContext;
      const own = container.securityContext;
      if (!(own?.runAsNonRoot ?? pod?.runAsNonRoot)) problems.push(`${id}: runAsNonRoot is not set`);
      // runAsNonRoot alone refuses an image whose USER is a name; a numeric uid lets the kubelet check it.
      const uid = own?.runAsUser ?? pod?.runAsUser;
      if (uid === undefined || uid === 0) problems.push(`${id}: no non-zero runAsUser`);
      if (pod?.seccompProfile?.type !== 'RuntimeDefault')
        problems.push(`${id}: no RuntimeDefault seccomp profile`);
      if (own?.allowPrivilegeEscalation !== false) problems.push(`${id}: privilege escalation allowed`);
      if (own?.readOnlyRootFilesystem !== true) problems.push(`${id}: writable root filesystem`);
      if (!own?.capabilities?.drop?.includes('ALL') || own.capabilities.add?.length)
        problems.push(`${id}: capabilities not all dropped`);
      if (workload.spec.template.spec.automountServiceAccountToken !== false)
        problems.push(`${id}: mounts a Kubernetes API token it never uses`);
    }
    expect(problems).toEqual([]);
  });

  it('pins every image to an exact version, all Upshift images to the same one', () => {
    const images = eachContainer(objects).map(({ container }) => container.image);
    const unpinned = images.filter(
      (image) => !/:\d+\.\d+(\.\d+)?([-.][\w.]+)?$|@sha256:[0-9a-f]{64}$/.test(image),
    );
    expect(unpinned).toEqual([]);
    const pullPolicies = eachContainer(objects).map(({ container }) => container.imagePullPolicy);
    expect(new Set(pullPolicies)).toEqual(new Set(['IfNotPresent']));
    const upshift = images.filter((image) => imageRepository(image).startsWith('upshift/'));
    expect(BUILT_IMAGES).toEqual(expect.arrayContaining(Object.keys(UPSHIFT_SERVICES)));
    expect(upshift.filter((image) => !BUILT_IMAGES.includes(imageRepository(image)))).toEqual([]);
    expect(new Set(upshift.map((image) => image.slice(imageRepository(image).length))).size).toBe(1);
  });

  it('runs only programs the images hold: each script an args list names is in the repository', () => {
    const missing: string[] = [];
    for (const { container, id } of eachContainer(objects)) {
      const [program, script] = container.args ?? [];
      if (program !== 'node' && program !== 'sh') continue;
      // The images run JavaScript compiled from the TypeScript beside it (npm run build:services).
      const source = (script ?? '').replace(/^dist\//, '').replace(/\.js$/, '.ts');
      if (!existsSync(join(K8S, '..', '..', source))) missing.push(`${id}: ${script} (${source})`);
    }
    expect(missing).toEqual([]);
  });

  it('stops gracefully: out of the Service before SIGTERM, and killed only after the service has shut down', () => {
    const problems: string[] = [];
    const routed = objects
      .filter((object) => object.kind === 'Service')
      .map((service) => (service['spec'] as { selector: Record<string, string> }).selector);
    for (const { workload, container, id } of eachContainer(objects)) {
      const grace = workload.spec.template.spec.terminationGracePeriodSeconds;
      if (grace === undefined) {
        problems.push(`${id}: no terminationGracePeriodSeconds`);
        continue;
      }
      const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
      const isUpshiftService = UPSHIFT_SERVICES[imageRepository(container.image)] !== undefined;
      const behindService =
        workload.kind === 'Deployment' &&
        routed.some((selector) => labelsMatch(selector, workload.spec.template.metadata.labels));
      if (behindService && preStop === 0) problems.push(`${id}: no preStop pause before SIGTERM`);
      const env = isUpshiftService ? resolveEnvironment(container, secrets) : {};
      const shutdown =
        imageRepository(container.image) === 'upshift/orchestrator'
          ? ORCHESTRATOR_FORCED_EXIT_SECONDS
          : imageRepository(container.image) === 'upshift/worker'
            ? Number(env['WORKER_SHUTDOWN_GRACE_MS'] ?? new WorkerConfig().WORKER_SHUTDOWN_GRACE_MS) / 1000
            : 0;
      if (grace <= preStop + shutdown)
        problems.push(`${id}: ${grace} s of grace for ${preStop} s of preStop and ${shutdown} s of shutdown`);
    }
    expect(problems).toEqual([]);
  });

  it('has a PodDisruptionBudget for every workload that runs more than one pod', () => {
    const budgets = objects.filter((object) => object.kind === 'PodDisruptionBudget');
    const uncovered = workloads(objects)
      .filter((workload) => minimumReplicas(objects, workload) > 1)
      .filter(
        (workload) =>
          !budgets.some((budget) => {
            const spec = budget['spec'] as {
              selector: { matchLabels: Record<string, string> };
              maxUnavailable?: number;
            };
            // A budget that allows every pod to go at once protects nothing.
            return (
              labelsMatch(spec.selector.matchLabels, workload.spec.template.metadata.labels) &&
              (spec.maxUnavailable ?? 0) < minimumReplicas(objects, workload)
            );
          }),
      )
      .map((workload) => workload.metadata.name);
    expect(uncovered).toEqual([]);
    expect(workloads(objects).filter((workload) => minimumReplicas(objects, workload) > 1).length).toBe(
      overlay === 'production' ? 3 : 0,
    );
  });

  it('scales workers with a CPU HorizontalPodAutoscaler and leaves their count to it', () => {
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'worker')?.['spec'] as {
      scaleTargetRef: { apiVersion: string; kind: string; name: string };
      minReplicas: number;
      maxReplicas: number;
      metrics: { resource?: { name: string } }[];
    };
    expect(hpa.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'worker' });
    expect(hpa.minReplicas).toBeLessThanOrEqual(hpa.maxReplicas);
    expect(hpa.metrics.map((metric) => metric.resource?.name)).toEqual(['cpu']);
    const worker = find(objects, 'Deployment', 'worker') as Workload;
    // A replicas field would be re-applied over the autoscaler's choice on every deploy.
    expect(worker.spec.replicas).toBeUndefined();
    // Utilization is a share of the request: without one the autoscaler cannot compute it.
    expect(worker.spec.template.spec.containers[0]?.resources?.requests?.['cpu']).toBeDefined();
  });

  it('annotates every Upshift service that serves /metrics for Prometheus, on that port', () => {
    const problems: string[] = [];
    for (const { workload, container, id } of eachContainer(objects)) {
      if (
        !['upshift/orchestrator', 'upshift/registry', 'upshift/worker', 'upshift/kafka-broker'].includes(
          imageRepository(container.image),
        )
      )
        continue;
      const annotations = workload.spec.template.metadata.annotations ?? {};
      if (annotations['prometheus.io/scrape'] !== 'true') problems.push(`${id}: not marked for scraping`);
      if (annotations['prometheus.io/path'] !== '/metrics')
        problems.push(`${id}: scrape path is not /metrics`);
      if (declaredPort(container, Number(annotations['prometheus.io/port'])) === undefined)
        problems.push(`${id}: scrape port ${annotations['prometheus.io/port']} is not one it declares`);
      // The services guard /metrics with METRICS_TOKEN when the Secret has it (the broker has no token).
      if (imageRepository(container.image) === 'upshift/kafka-broker') continue;
      const token = container.env?.find((variable) => variable.name === 'METRICS_TOKEN')?.valueFrom
        ?.secretKeyRef;
      if (token?.name !== 'upshift-credentials' || token.key !== 'METRICS_TOKEN')
        problems.push(`${id}: METRICS_TOKEN is not taken from the upshift-credentials Secret`);
    }
    expect(problems).toEqual([]);
  });

  it('routes every Service to the pods of a workload and to ports they declare', () => {
    const problems: string[] = [];
    for (const service of objects.filter((object) => object.kind === 'Service')) {
      const spec = service['spec'] as {
        selector: Record<string, string>;
        ports: { targetPort: string | number }[];
      };
      const backends = workloads(objects).filter((workload) =>
        labelsMatch(spec.selector, workload.spec.template.metadata.labels),
      );
      if (backends.length !== 1)
        problems.push(`Service/${service.metadata.name}: ${backends.length} workloads`);
      for (const { targetPort } of spec.ports)
        if (
          !backends.some((workload) =>
            containers(workload).some((c) => declaredPort(c, targetPort) !== undefined),
          )
        )
          problems.push(`Service/${service.metadata.name}: no container declares ${targetPort}`);
    }
    expect(problems).toEqual([]);
  });

  it('denies traffic by default and gives every workload NetworkPolicies of its own for both directions', () => {
    const policies = objects.filter((object) => object.kind === 'NetworkPolicy');
    const denyAll = policies.find(
      (policy) =>
        Object.keys((policy['spec'] as { podSelector: object }).podSelector).length === 0 &&
        (policy['spec'] as { ingress?: unknown; egress?: unknown }).ingress === undefined &&
        (policy['spec'] as { ingress?: unknown; egress?: unknown }).egress === undefined,
    );
    expect((denyAll?.['spec'] as { policyTypes: string[] } | undefined)?.policyTypes).toEqual([
      'Ingress',
      'Egress',
    ]);
    const missing: string[] = [];
    for (const workload of workloads(objects)) {
      const name = workload.spec.template.metadata.labels['app.kubernetes.io/name'];
      const own = policies.filter(
        (policy) =>
          (policy['spec'] as { podSelector: { matchLabels?: Record<string, string> } }).podSelector
            .matchLabels?.['app.kubernetes.io/name'] === name,
      );
      const types = new Set(
        own.flatMap((policy) => (policy['spec'] as { policyTypes: string[] }).policyTypes),
      );
      // Workers accept nothing but scrapes (the shared prometheus-scrape policy): their own need egress only.
      for (const type of name === 'worker' ? ['Egress'] : ['Ingress', 'Egress'])
        if (!types.has(type)) missing.push(`${workload.metadata.name}: no ${type} policy of its own`);
    }
    expect(missing).toEqual([]);
  });

  it('starts every Upshift service with an environment that its own config loader accepts', () => {
    const checked: string[] = [];
    for (const { container, id } of eachContainer(objects)) {
      const service = UPSHIFT_SERVICES[imageRepository(container.image)];
      if (!service) continue;
      const env: Record<string, string> = {
        ...resolveEnvironment(container, secrets),
        ...(container.args?.includes(SEEDING_SCRIPT) ? SEEDING_SCRIPT_EXPORTS : {}),
      };
      let refusal = '';
      try {
        service.load(env);
      } catch (error) {
        refusal = error instanceof Error ? error.message : String(error);
      }
      expect([id, refusal]).toEqual([id, '']);
      // What would only work on the developer's machine must come from the manifests.
      const unset = machineLocalDefaults(service.defaults).filter((key) => env[key] === undefined);
      expect([id, unset]).toEqual([id, []]);
      // The port the process listens on is the one the pod declares.
      const port = env['PORT'] ?? env['WORKER_HEALTH_PORT'] ?? env['FLEET_PORT'];
      expect([id, port !== undefined && declaredPort(container, Number(port)) !== undefined]).toEqual([
        id,
        true,
      ]);
      checked.push(imageRepository(container.image));
    }
    expect(checked.sort()).toEqual(
      overlay === 'dev'
        ? ['upshift/fleet-sim', 'upshift/orchestrator', 'upshift/registry', 'upshift/worker']
        : ['upshift/orchestrator', 'upshift/registry', 'upshift/worker'],
    );
  });
});

it('uses no field the Kubernetes API does not know, in either overlay', () => {
  // One type-check of both overlays: building a TypeScript program is the slow part (seconds).
  expect(unknownFieldErrors([...rendered.dev, ...rendered.production, productionSecret])).toEqual([]);
});

/** A pod of the overlay's namespace, by its app.kubernetes.io/name. */
function pod(overlay: Overlay, name: string): PodEndpoint {
  return {
    namespace: NAMESPACES[overlay],
    labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'upshift' },
  };
}
const KUBE_DNS: PodEndpoint = { namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } };
const PROMETHEUS: PodEndpoint = {
  namespace: 'monitoring',
  labels: { 'app.kubernetes.io/name': 'prometheus' },
};
const INGRESS_CONTROLLER: PodEndpoint = {
  namespace: 'ingress-nginx',
  labels: { 'app.kubernetes.io/name': 'ingress-nginx' },
};

function reachability(overlay: Overlay, connections: [PodEndpoint, Endpoint, number][]): string[] {
  return connections.map(([from, to, port]) => {
    const target =
      'ip' in to ? to.ip : `${to.namespace}/${to.labels['app.kubernetes.io/name'] ?? to.labels['k8s-app']}`;
    const source = `${from.namespace}/${from.labels['app.kubernetes.io/name']}`;
    return `${source} → ${target}:${port} ${connectionAllowed(rendered[overlay], from, to, port) ? 'allowed' : 'denied'}`;
  });
}

describe('the dev overlay', () => {
  const objects = rendered.dev;

  it('points every connection string at a Service of the overlay, on a port the Service exposes', () => {
    const exposed = new Set(
      objects
        .filter((object) => object.kind === 'Service')
        .flatMap((service) =>
          (service['spec'] as { ports: { port: number }[] }).ports.map(
            (port) => `${service.metadata.name}:${port.port}`,
          ),
        ),
    );
    const targets = new Set<string>();
    for (const { container } of eachContainer(objects)) {
      if (!UPSHIFT_SERVICES[imageRepository(container.image)]) continue;
      const env = resolveEnvironment(container, objects);
      for (const key of ['DATABASE_URL', 'REDIS_URL', 'REGISTRY_URL'])
        if (env[key] !== undefined) targets.add(new URL(env[key]).host);
      for (const broker of env['KAFKA_BROKERS']?.split(',') ?? []) targets.add(broker);
    }
    expect([...targets].sort()).toEqual(['broker:9092', 'postgres:5432', 'redis:6379', 'registry:8085']);
    expect([...targets].filter((target) => !exposed.has(target))).toEqual([]);
    // The broker listens beyond its loopback and tells clients to come back under the same name.
    const broker = containers(find(objects, 'StatefulSet', 'broker') as Workload)[0];
    expect(broker?.args).toEqual(
      expect.arrayContaining(['--host=0.0.0.0', '--port=9092', '--advertised-host=broker']),
    );
  });

  /** Every connection between the overlay's pods, on every port they declare, that `allowed` admits. */
  function matrix(allowed: (from: PodEndpoint, to: PodEndpoint, port: number) => boolean): string[] {
    const apps = workloads(objects).map(
      (workload) => workload.spec.template.metadata.labels['app.kubernetes.io/name'] ?? '',
    );
    return workloads(objects).flatMap((target) =>
      containers(target).flatMap((container) =>
        (container.ports ?? []).flatMap(({ containerPort }) =>
          apps
            .filter((source) => allowed(pod('dev', source), pod('dev', target.metadata.name), containerPort))
            .map((source) => `${source} → ${target.metadata.name}:${containerPort}`),
        ),
      ),
    );
  }
  const everyone = ['broker', 'fleet-sim', 'orchestrator', 'postgres', 'redis', 'registry', 'worker'];

  it('lets each pod reach exactly what it needs, and nothing else', () => {
    expect(matrix((from, to, port) => connectionAllowed(objects, from, to, port)).sort()).toEqual(
      [
        'registry → postgres:5432',
        'orchestrator → postgres:5432',
        'orchestrator → redis:6379',
        'worker → redis:6379',
        'registry → broker:9092',
        'orchestrator → broker:9092',
        'worker → broker:9092',
        'orchestrator → registry:8085',
        'fleet-sim → registry:8085',
        'orchestrator → fleet-sim:8090',
        'worker → fleet-sim:8090',
      ].sort(),
    );
  });

  it("admits at each pod's door only the pods that need it, whatever the senders' egress allows", () => {
    expect(matrix((from, to, port) => ingressAllowed(objects, from, to, port)).sort()).toEqual(
      [
        'registry → postgres:5432',
        'orchestrator → postgres:5432',
        'orchestrator → redis:6379',
        'worker → redis:6379',
        'registry → broker:9092',
        'orchestrator → broker:9092',
        'worker → broker:9092',
        'orchestrator → registry:8085',
        'fleet-sim → registry:8085',
        'orchestrator → fleet-sim:8090',
        'worker → fleet-sim:8090',
        // The API's port is open to every client (it checks their bearer tokens); none of these sends there.
        ...everyone.map((source) => `${source} → orchestrator:8084`),
      ].sort(),
    );
  });

  it('lets the cluster DNS, Prometheus and clients in other namespaces through, and nothing to the internet', () => {
    const needed: [PodEndpoint, Endpoint, number][] = [
      [pod('dev', 'worker'), KUBE_DNS, 53],
      [pod('dev', 'fleet-sim'), KUBE_DNS, 53],
      [INGRESS_CONTROLLER, pod('dev', 'orchestrator'), 8084],
      [PROMETHEUS, pod('dev', 'orchestrator'), 8084],
      [PROMETHEUS, pod('dev', 'registry'), 8085],
      [PROMETHEUS, pod('dev', 'worker'), 8087],
      [PROMETHEUS, pod('dev', 'broker'), 9404],
    ];
    const refused: [PodEndpoint, Endpoint, number][] = [
      [pod('dev', 'postgres'), { ip: '93.184.216.34' }, 443],
      [pod('dev', 'worker'), { ip: '93.184.216.34' }, 443],
      [pod('dev', 'orchestrator'), { ip: '93.184.216.34' }, 443],
      [INGRESS_CONTROLLER, pod('dev', 'registry'), 8085],
      [INGRESS_CONTROLLER, pod('dev', 'postgres'), 5432],
      [INGRESS_CONTROLLER, pod('dev', 'worker'), 8087],
      [PROMETHEUS, pod('dev', 'postgres'), 5432],
    ];
    expect(reachability('dev', needed).filter((line) => line.endsWith('denied'))).toEqual([]);
    expect(reachability('dev', refused).filter((line) => line.endsWith('allowed'))).toEqual([]);
  });
});

describe('the production overlay', () => {
  const objects = rendered.production;

  it('runs two or more orchestrator and registry replicas, and none of the dev-only stores', () => {
    expect((find(objects, 'Deployment', 'orchestrator') as Workload).spec.replicas).toBeGreaterThanOrEqual(2);
    expect((find(objects, 'Deployment', 'registry') as Workload).spec.replicas).toBeGreaterThanOrEqual(2);
    expect(
      workloads(objects)
        .map((workload) => workload.metadata.name)
        .sort(),
    ).toEqual(['orchestrator', 'registry', 'worker']);
  });

  it('ships no Secret, and needs no key of it that the example does not document', () => {
    expect(objects.filter((object) => object.kind === 'Secret')).toEqual([]);
    const documented = Object.keys(productionSecret['stringData'] as Record<string, string>);
    const required = eachContainer(objects).flatMap(({ container }) =>
      (container.env ?? [])
        .map((variable) => variable.valueFrom?.secretKeyRef)
        .filter((ref) => ref !== undefined && !ref.optional)
        .map((ref) => ref?.key ?? ''),
    );
    expect(required.filter((key) => !documented.includes(key))).toEqual([]);
    expect(new Set(required)).toEqual(new Set(['DATABASE_URL', 'REDIS_URL', 'AGENT_AUTH_KEY']));
  });

  it('reaches the external stores by port and agents only where AGENT_URL_ALLOW lets them be', () => {
    const external = { ip: '10.20.0.5' };
    const agent = { ip: '10.128.3.4' };
    const internet = { ip: '93.184.216.34' };
    const needed: [PodEndpoint, Endpoint, number][] = [
      [pod('production', 'registry'), external, 5432],
      [pod('production', 'registry'), external, 9093],
      [pod('production', 'orchestrator'), external, 5432],
      [pod('production', 'orchestrator'), external, 6380],
      [pod('production', 'orchestrator'), external, 9093],
      [pod('production', 'orchestrator'), agent, 8443],
      [pod('production', 'orchestrator'), pod('production', 'registry'), 8085],
      [pod('production', 'worker'), external, 6379],
      [pod('production', 'worker'), external, 9092],
      [pod('production', 'worker'), agent, 8443],
    ];
    const refused: [PodEndpoint, Endpoint, number][] = [
      [pod('production', 'worker'), external, 5432],
      [pod('production', 'registry'), external, 6379],
      [pod('production', 'registry'), agent, 8443],
      [pod('production', 'worker'), internet, 443],
      [pod('production', 'orchestrator'), internet, 443],
      [INGRESS_CONTROLLER, pod('production', 'registry'), 8085],
    ];
    expect(reachability('production', needed).filter((line) => line.endsWith('denied'))).toEqual([]);
    expect(reachability('production', refused).filter((line) => line.endsWith('allowed'))).toEqual([]);

    const allowList = (find(objects, 'ConfigMap', 'upshift-environment')?.['data'] as Record<string, string>)[
      'AGENT_URL_ALLOW'
    ];
    for (const name of ['orchestrator-egress', 'worker-egress']) {
      const rules = (
        find(objects, 'NetworkPolicy', name)?.['spec'] as {
          egress: { to?: { ipBlock?: { cidr: string } }[] }[];
        }
      ).egress;
      const cidrs = rules.flatMap((rule) => rule.to ?? []).map((peer) => peer.ipBlock?.cidr);
      expect([name, cidrs.sort()]).toEqual([name, allowList?.split(',').sort()]);
    }
  });
});
