import type {
  AgentBackupReply,
  AgentHealth,
  AgentStatus,
  AgentUpgradeRequest,
  AgentVersionReply,
} from '@upshift/contracts';
import type { WorkerMetrics } from '../metrics/worker-metrics';
import type { AgentCall, AgentDriver, AgentTarget, CallOptions } from './agent-driver';

/**
 * Any AgentDriver, each call timed and its errors counted (`upshift_agent_call_*`): around the driver
 * rather than inside it, so that every driver (HTTP, or a test's) is measured alike and the retries in
 * CommandExecutor show as the attempts they are.
 */
export class MeasuredAgentDriver implements AgentDriver {
  constructor(
    private readonly driver: AgentDriver,
    private readonly metrics: WorkerMetrics,
  ) {}

  status(target: AgentTarget, options?: CallOptions): Promise<AgentStatus> {
    return this.metrics.measure('status', () => this.driver.status(target, options));
  }

  health(target: AgentTarget, options?: CallOptions): Promise<AgentHealth> {
    return this.metrics.measure('health', () => this.driver.health(target, options));
  }

  drain(target: AgentTarget, call: AgentCall, options?: CallOptions): Promise<AgentStatus> {
    return this.metrics.measure('drain', () => this.driver.drain(target, call, options));
  }

  undrain(target: AgentTarget, call: AgentCall, options?: CallOptions): Promise<AgentStatus> {
    return this.metrics.measure('undrain', () => this.driver.undrain(target, call, options));
  }

  upgrade(
    target: AgentTarget,
    instruction: AgentUpgradeRequest,
    options?: CallOptions,
  ): Promise<AgentVersionReply> {
    return this.metrics.measure('upgrade', () => this.driver.upgrade(target, instruction, options));
  }

  rollback(
    target: AgentTarget,
    call: AgentCall,
    toVersion: string,
    options?: CallOptions,
  ): Promise<AgentVersionReply> {
    return this.metrics.measure('rollback', () => this.driver.rollback(target, call, toVersion, options));
  }

  backup(target: AgentTarget, call: AgentCall, options?: CallOptions): Promise<AgentBackupReply> {
    return this.metrics.measure('backup', () => this.driver.backup(target, call, options));
  }

  close(): void {
    this.driver.close();
  }
}
