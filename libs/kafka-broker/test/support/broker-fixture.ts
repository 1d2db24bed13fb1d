import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { startBroker, type BrokerOptions, type RunningBroker } from '../../src/broker';

/** A broker on a random port with its own temporary data dir, removed on stop. */
export async function startTestBroker(
  opts: Partial<BrokerOptions> = {},
): Promise<RunningBroker & { dataDir: string }> {
  const dataDir = opts.dataDir ?? mkdtempSync(path.join(tmpdir(), 'upshift-broker-'));
  const broker = await startBroker({ port: 0, dataDir, ...opts });
  return {
    ...broker,
    dataDir,
    async stop() {
      await broker.stop();
      if (!opts.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
