import type { KubeObject } from './kustomize-renderer';

/**
 * Decides whether NetworkPolicies let one connection through, by the rules of the NetworkPolicy API:
 * a pod selected by no policy of a direction is open in that direction; a selected pod lets through
 * what any selecting policy's rules allow (they add up); a pod-to-pod connection needs the sender's
 * egress and the receiver's ingress. Only what the manifests use is implemented (matchLabels, explicit
 * policyTypes, numeric ports with endPort, IPv4 ipBlocks without `except`); anything else throws.
 */
export interface PodEndpoint {
  namespace: string;
  labels: Record<string, string>;
}
/** An address outside the cluster (a managed database, a Kafka broker, an agent). */
export interface ExternalEndpoint {
  ip: string;
}
export type Endpoint = PodEndpoint | ExternalEndpoint;

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: unknown;
}
interface Peer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: { cidr: string; except?: string[] };
}
interface PortRule {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}
interface Rule {
  from?: Peer[];
  to?: Peer[];
  ports?: PortRule[];
}
interface PolicySpec {
  podSelector: LabelSelector;
  policyTypes?: ('Ingress' | 'Egress')[];
  ingress?: Rule[];
  egress?: Rule[];
}

function matches(selector: LabelSelector, labels: Record<string, string>): boolean {
  if (selector.matchExpressions !== undefined) throw new Error('matchExpressions are not supported');
  return Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
}

function ipv4(address: string): number {
  const parts = address.split('.').map(Number);
  if (parts.length !== 4 || parts.some((part) => !Number.isInteger(part) || part < 0 || part > 255))
    throw new Error(`${address} is not an IPv4 address`);
  return parts.reduce((value, part) => value * 256 + part, 0);
}

export function inCidr(ip: string, cidr: string): boolean {
  const [base, bits] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  return Math.floor(ipv4(ip) / size) === Math.floor(ipv4(base ?? '') / size);
}

function peerMatches(peer: Peer, policyNamespace: string, endpoint: Endpoint): boolean {
  if (peer.ipBlock) {
    if (peer.ipBlock.except?.length) throw new Error('ipBlock.except is not supported');
    // Pod addresses are not known here: ipBlocks are meant for endpoints outside the cluster.
    return 'ip' in endpoint && inCidr(endpoint.ip, peer.ipBlock.cidr);
  }
  if (!('namespace' in endpoint)) return false;
  // The namespace's own name label, which Kubernetes sets on every namespace.
  const namespaceLabels = { 'kubernetes.io/metadata.name': endpoint.namespace };
  const namespaceOk = peer.namespaceSelector
    ? matches(peer.namespaceSelector, namespaceLabels)
    : endpoint.namespace === policyNamespace;
  return namespaceOk && matches(peer.podSelector ?? {}, endpoint.labels);
}

function portMatches(rule: PortRule, port: number): boolean {
  if ((rule.protocol ?? 'TCP') !== 'TCP') return false;
  if (rule.port === undefined) return true;
  if (typeof rule.port !== 'number') throw new Error(`named port ${rule.port} is not supported`);
  return port >= rule.port && port <= (rule.endPort ?? rule.port);
}

function allowedBy(
  policies: KubeObject[],
  direction: 'Ingress' | 'Egress',
  subject: PodEndpoint,
  other: Endpoint,
  port: number,
): boolean {
  const selecting = policies.filter((policy) => {
    const spec = policy['spec'] as PolicySpec;
    if (spec.policyTypes === undefined)
      throw new Error(`${policy.metadata.name}: policyTypes must be explicit`);
    return (
      policy.metadata.namespace === subject.namespace &&
      spec.policyTypes.includes(direction) &&
      matches(spec.podSelector, subject.labels)
    );
  });
  if (selecting.length === 0) return true;
  return selecting.some((policy) => {
    const spec = policy['spec'] as PolicySpec;
    const rules = (direction === 'Ingress' ? spec.ingress : spec.egress) ?? [];
    return rules.some((rule) => {
      const peers = direction === 'Ingress' ? rule.from : rule.to;
      const peerOk =
        !peers ||
        peers.length === 0 ||
        peers.some((peer) => peerMatches(peer, policy.metadata.namespace ?? '', other));
      const portOk =
        !rule.ports || rule.ports.length === 0 || rule.ports.some((rulePort) => portMatches(rulePort, port));
      return peerOk && portOk;
    });
  });
}

/** Whether the receiver's policies alone admit the connection (what is left when a sender's egress is open). */
export function ingressAllowed(
  objects: KubeObject[],
  from: PodEndpoint,
  to: PodEndpoint,
  port: number,
): boolean {
  return allowedBy(
    objects.filter((object) => object.kind === 'NetworkPolicy'),
    'Ingress',
    to,
    from,
    port,
  );
}

/** Whether a TCP connection from `from` to `to`:`port` is let through by `objects`' NetworkPolicies. */
export function connectionAllowed(
  objects: KubeObject[],
  from: PodEndpoint,
  to: Endpoint,
  port: number,
): boolean {
  const policies = objects.filter((object) => object.kind === 'NetworkPolicy');
  const egress = allowedBy(policies, 'Egress', from, to, port);
  const ingress = 'namespace' in to ? allowedBy(policies, 'Ingress', to, from, port) : true;
  return egress && ingress;
}
