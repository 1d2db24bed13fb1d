import { Gauge } from 'prom-client';
import { createServiceRegistry } from './service-registry';

describe('createServiceRegistry', () => {
  it('gives two services in one process their own metrics, each with the process metrics under its label', async () => {
    const orchestrator = createServiceRegistry('orchestrator');
    const registry = createServiceRegistry('registry');
    new Gauge({ name: 'upshift_only_here', help: 'one service', registers: [orchestrator] }).set(1);

    const first = await orchestrator.metrics();
    const second = await registry.metrics();
    expect(first).toContain('upshift_only_here{service="orchestrator"} 1');
    expect(second).not.toContain('upshift_only_here');
    expect(first).toMatch(/^upshift_process_resident_memory_bytes\{service="orchestrator"\} \d+/m);
    expect(second).toMatch(/^upshift_process_resident_memory_bytes\{service="registry"\} \d+/m);
    expect(second).not.toContain('service="orchestrator"');
  });
});
