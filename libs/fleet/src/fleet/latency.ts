import { AGENT_OPERATIONS, type AgentOperation } from '@upshift/contracts';
import type { RandomSource } from './random';

export type LatencyDistribution =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  | { kind: 'normal'; meanMs: number; stddevMs: number };

/** Latency per operation; `default` applies to operations not listed. Zero everywhere for benchmarks. */
export type LatencyProfile = Partial<Record<AgentOperation | 'default', LatencyDistribution>>;

export const ZERO_LATENCY: LatencyDistribution = { kind: 'fixed', ms: 0 };

export function sampleLatency(distribution: LatencyDistribution, random: RandomSource): number {
  switch (distribution.kind) {
    case 'fixed':
      return Math.max(0, distribution.ms);
    case 'uniform':
      return Math.max(0, distribution.minMs + random() * (distribution.maxMs - distribution.minMs));
    case 'normal': {
      // Box–Muller; clamped at zero because a negative delay means "answer now".
      const u = Math.max(random(), Number.EPSILON);
      const v = random();
      const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
      return Math.max(0, distribution.meanMs + z * distribution.stddevMs);
    }
  }
}

export function latencyFor(profile: LatencyProfile, operation: AgentOperation): LatencyDistribution {
  return profile[operation] ?? profile.default ?? ZERO_LATENCY;
}

/** Returns a problem description, or null when the profile is valid (used by the admin API). */
export function validateLatencyProfile(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'latency must be an object';
  for (const [key, distribution] of Object.entries(value)) {
    if (key !== 'default' && !(AGENT_OPERATIONS as readonly string[]).includes(key)) {
      return `unknown operation "${key}" (expected one of ${[...AGENT_OPERATIONS, 'default'].join(', ')})`;
    }
    const problem = validateDistribution(distribution);
    if (problem) return `${key}: ${problem}`;
  }
  return null;
}

function validateDistribution(value: unknown): string | null {
  if (typeof value !== 'object' || value === null) return 'must be an object with a kind';
  const d = value as Record<string, unknown>;
  const isMs = (field: string) => typeof d[field] === 'number' && (d[field] as number) >= 0;
  switch (d['kind']) {
    case 'fixed':
      return isMs('ms') ? null : 'fixed needs ms >= 0';
    case 'uniform':
      return isMs('minMs') && isMs('maxMs') && (d['maxMs'] as number) >= (d['minMs'] as number)
        ? null
        : 'uniform needs 0 <= minMs <= maxMs';
    case 'normal':
      return isMs('meanMs') && isMs('stddevMs') ? null : 'normal needs meanMs >= 0 and stddevMs >= 0';
    default:
      return 'kind must be fixed, uniform or normal';
  }
}
