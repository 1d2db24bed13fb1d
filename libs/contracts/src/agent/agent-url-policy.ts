import { isIPv4, isIPv6 } from 'net';

/**
 * Which agent URLs Upshift may call (ADR 0072). An instance's `agentUrl` comes from whoever registered
 * the instance; without a check, a worker or the orchestrator would send requests wherever it points,
 * cloud metadata services included (server-side request forgery).
 *
 * Pure: no DNS, no clock. The registry checks a URL as written; workers and the orchestrator check it
 * again and then every address its host resolves to (agent-address-lookup.ts).
 */

/** `AGENT_URL_ALLOW` when unset: loopback and the private ranges. */
export const DEFAULT_AGENT_URL_ALLOW =
  '127.0.0.0/8,::1/128,localhost,10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7';

/** Refused whatever the allow list says: link-local ranges and the cloud metadata services. */
const ALWAYS_REFUSED_RANGES = ['169.254.0.0/16', 'fe80::/10', 'fd00:ec2::254/128'];
const ALWAYS_REFUSED_NAMES = new Set(['metadata', 'metadata.google.internal']);

/** IPv4-mapped (::ffff:0:0/96) and NAT64 (64:ff9b::/96) addresses carry an IPv4 address in their last 32 bits. */
const IPV4_MAPPED = parseCidr('::ffff:0:0/96');
const NAT64 = parseCidr('64:ff9b::/96');

interface IpAddress {
  family: 4 | 6;
  bytes: Uint8Array;
}

interface Cidr {
  network: IpAddress;
  prefix: number;
}

export interface AgentUrlPolicy {
  readonly ranges: readonly Cidr[];
  /** Exact names (`localhost`) and wildcard suffixes (`*.fleet.internal`), lower-case, no trailing dot. */
  readonly hostPatterns: readonly string[];
}

export type AgentAddressVerdict = { allowed: true } | { allowed: false; why: string };

/**
 * What a URL says before any DNS: `allowed` (an allowed IP literal), `refused`, or `resolve` (a host
 * name; its addresses decide, unless the name matches a host pattern: then only the always-refused
 * ranges are checked).
 */
export type AgentUrlVerdict =
  | { kind: 'allowed' }
  | { kind: 'refused'; why: string }
  | { kind: 'resolve'; host: string; nameAllowed: boolean };

/** Parses `AGENT_URL_ALLOW`; throws naming the position of a bad entry (never echoing the value). */
export function parseAgentUrlAllowList(text: string): AgentUrlPolicy {
  const ranges: Cidr[] = [];
  const hostPatterns: string[] = [];
  const entries = text.split(',').map((entry) => entry.trim());
  entries.forEach((entry, index) => {
    if (entry === '') throw new Error(`AGENT_URL_ALLOW: entry ${index + 1} is empty`);
    const range = parseCidr(entry);
    if (range) return void ranges.push(range);
    const pattern = normaliseHost(entry);
    if (/^(\*|(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*)$/.test(pattern))
      return void hostPatterns.push(pattern);
    throw new Error(
      `AGENT_URL_ALLOW: entry ${index + 1} is neither a CIDR (10.0.0.0/8, fc00::/7) nor a host pattern (*.fleet.internal)`,
    );
  });
  return { ranges, hostPatterns };
}

/** Checks an address a host resolved to (or an IP literal). `nameAllowed`: the host matched a pattern. */
export function checkAgentAddress(
  address: string,
  policy: AgentUrlPolicy,
  nameAllowed = false,
): AgentAddressVerdict {
  const ip = parseIp(address);
  if (!ip) return { allowed: false, why: 'not an IP address' };
  const candidates = [ip, ...embeddedIpv4(ip)];
  const refused = ALWAYS_REFUSED.find((range) => candidates.some((c) => inRange(c, range)));
  if (refused) return { allowed: false, why: 'a link-local or cloud metadata address' };
  if (nameAllowed) return { allowed: true };
  // An IPv4-mapped address reaches the IPv4 host: it is allowed exactly when that IPv4 address is.
  const effective = inRange(ip, IPV4_MAPPED) ? toIpv4(ip) : ip;
  if (policy.ranges.some((range) => inRange(effective, range))) return { allowed: true };
  return { allowed: false, why: 'outside AGENT_URL_ALLOW' };
}

/** Checks an agent URL as written: scheme, credentials, IP literals (any spelling), refused names. */
export function checkAgentUrl(agentUrl: string | URL, policy: AgentUrlPolicy): AgentUrlVerdict {
  let url: URL;
  try {
    // The WHATWG parser already turns http://2852039166/, http://0xa9.0xfe.0xa9.0xfe/ and
    // http://169.254.169.254./ into 169.254.169.254: the same spelling a socket would connect to.
    url = typeof agentUrl === 'string' ? new URL(agentUrl) : agentUrl;
  } catch {
    return { kind: 'refused', why: 'not a URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { kind: 'refused', why: 'not http or https' };
  if (url.username !== '' || url.password !== '') return { kind: 'refused', why: 'carries credentials' };
  const host = normaliseHost(url.hostname.replace(/^\[(.*)\]$/, '$1'));
  if (host === '') return { kind: 'refused', why: 'has no host' };
  if (isIPv4(host) || isIPv6(host)) {
    const verdict = checkAgentAddress(host, policy);
    return verdict.allowed ? { kind: 'allowed' } : { kind: 'refused', why: verdict.why };
  }
  if (ALWAYS_REFUSED_NAMES.has(host)) return { kind: 'refused', why: 'a cloud metadata host name' };
  return { kind: 'resolve', host, nameAllowed: hostMatches(host, policy) };
}

/** Whether a host name matches one of the allow list's host patterns. */
export function hostMatches(host: string, policy: AgentUrlPolicy): boolean {
  const name = normaliseHost(host);
  return policy.hostPatterns.some((pattern) =>
    pattern === '*' ? true : pattern.startsWith('*.') ? name.endsWith(pattern.slice(1)) : name === pattern,
  );
}

/** Lower-case, without the trailing dots of a fully qualified name (`metadata.google.internal.`). */
function normaliseHost(host: string): string {
  return host.toLowerCase().replace(/\.+$/, '');
}

function parseCidr(text: string): Cidr | null {
  const [address, prefixText, extra] = text.split('/');
  if (address === undefined || extra !== undefined) return null;
  const network = parseIp(address);
  if (!network) return null;
  const max = network.family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return null;
  return { network, prefix };
}

const ALWAYS_REFUSED: Cidr[] = ALWAYS_REFUSED_RANGES.map((text) => parseCidr(text) as Cidr);

function parseIp(text: string): IpAddress | null {
  const address = text.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) does not change the address
  if (isIPv4(address)) return { family: 4, bytes: Uint8Array.from(address.split('.').map(Number)) };
  if (!isIPv6(address)) return null;
  let text6 = address;
  const tail: number[] = [];
  const dotted = /:(\d+\.\d+\.\d+\.\d+)$/.exec(text6);
  if (dotted?.[1]) {
    tail.push(...dotted[1].split('.').map(Number));
    text6 = `${text6.slice(0, dotted.index)}:0:0`;
  }
  const [head, rest] = text6.split('::');
  const groups = (part: string | undefined) => (part ? part.split(':') : []);
  const before = groups(head);
  const after = groups(rest);
  const missing = 8 - before.length - after.length;
  const all = rest === undefined ? before : [...before, ...Array<string>(missing).fill('0'), ...after];
  const bytes = new Uint8Array(16);
  all.forEach((group, i) => {
    const value = parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  if (tail.length === 4) bytes.set(tail, 12);
  return { family: 6, bytes };
}

function toIpv4(ip: IpAddress): IpAddress {
  return { family: 4, bytes: ip.bytes.slice(12) };
}

function embeddedIpv4(ip: IpAddress): IpAddress[] {
  if (ip.family !== 6) return [];
  return inRange(ip, IPV4_MAPPED) || inRange(ip, NAT64) ? [toIpv4(ip)] : [];
}

function inRange(ip: IpAddress, range: Cidr | null): boolean {
  if (!range || ip.family !== range.network.family) return false;
  let bits = range.prefix;
  for (let i = 0; bits > 0; i += 1, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((ip.bytes[i] ?? 0) & mask) !== ((range.network.bytes[i] ?? 0) & mask)) return false;
  }
  return true;
}
