/**
 * Counts, from the fleet's own side, how many instances are out of service (draining, mid-upgrade,
 * unhealthy or crashed) at each moment. Tests compare its maximum with the orchestrator's
 * `maxUnavailable` bound, so it must see every change: agents report each transition synchronously.
 */
export interface OutOfServiceSample {
  at: string;
  outOfService: number;
}

export interface OutOfServiceHistory {
  current: number;
  max: number;
  maxAt: string | null;
  samples: OutOfServiceSample[];
  /** True when more changes happened than `sampleLimit`; max and current stay exact. */
  truncated: boolean;
}

export class OutOfServiceRecorder {
  private readonly outOfService = new Set<string>();
  private samples: OutOfServiceSample[] = [];
  private max = 0;
  private maxAt: string | null = null;
  private truncated = false;

  constructor(private readonly sampleLimit = 200_000) {}

  /** Records the instance's state; a no-op when it did not change. */
  update(instanceName: string, isOutOfService: boolean): void {
    const was = this.outOfService.has(instanceName);
    if (was === isOutOfService) return;
    if (isOutOfService) this.outOfService.add(instanceName);
    else this.outOfService.delete(instanceName);
    const at = new Date().toISOString();
    const count = this.outOfService.size;
    if (count > this.max) {
      this.max = count;
      this.maxAt = at;
    }
    if (this.samples.length < this.sampleLimit) this.samples.push({ at, outOfService: count });
    else this.truncated = true;
  }

  history(): OutOfServiceHistory {
    return {
      current: this.outOfService.size,
      max: this.max,
      maxAt: this.maxAt,
      samples: [...this.samples],
      truncated: this.truncated,
    };
  }

  /** Starts a new observation window: the maximum restarts from the current count. */
  reset(): void {
    this.samples = [];
    this.max = this.outOfService.size;
    this.maxAt = this.max > 0 ? new Date().toISOString() : null;
    this.truncated = false;
  }
}
