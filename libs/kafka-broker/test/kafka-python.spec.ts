import * as path from 'path';
import { startTestBroker, type TestBroker } from '@upshift/testing';
import { requirePythonKafka, run } from './support/child';

jest.setTimeout(90_000);

/**
 * kafka-python 2.0.2 sends ApiVersions v0 and Metadata v0 back to back, infers the broker version,
 * then uses fixed old versions (Produce 7, Fetch 4, JoinGroup 2, OffsetCommit 2, OffsetFetch 1).
 */
describe('kafka-python (python3-kafka) against the embedded broker', () => {
  let python: string;
  let broker: TestBroker;

  beforeAll(async () => {
    python = requirePythonKafka();
    broker = await startTestBroker();
  });

  afterAll(async () => {
    await broker?.stop();
  });

  it('produces with KafkaProducer and consumes with a KafkaConsumer group that commits offsets', async () => {
    const script = path.join(__dirname, 'python', 'kafka_python_roundtrip.py');
    const out = await run(python, [script, broker.address, 'python.events', 'python-group'], {
      timeoutMs: 80_000,
    });
    if (out.code !== 0) throw new Error(`kafka-python script failed (${out.code}):\n${out.stderr}`);
    const result = JSON.parse(out.stdout.trim().split('\n').pop() ?? '{}') as Record<string, unknown>;
    expect(result).toEqual({
      produced_offsets: [0, 1, 2, 3, 4],
      first_read: ['k0=first-0', 'k1=first-1', 'k2=first-2', 'k3=first-3', 'k4=first-4'],
      committed_after_first: 5,
      second_read: ['k0=second-0', 'k1=second-1', 'k2=second-2'],
      committed_after_second: 8,
    });
  });
});
