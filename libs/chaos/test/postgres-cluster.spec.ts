import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { Client } from 'pg';
import { PostgresCluster } from '@upshift/chaos';
import { freePort } from '@upshift/stack';

jest.setTimeout(120_000);

/** Whether a server answers on the cluster's port. */
async function answers(cluster: PostgresCluster): Promise<boolean> {
  const client = new Client({ connectionString: cluster.adminUrl, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * Ctrl-C reaches the harness while a kill's restart of Postgres is under way, or still to come: the
 * cluster it stops must stay stopped (a postmaster left running outlives the harness, on its port and
 * its deleted data directory).
 */
describe("the chaos harness's Postgres cluster", () => {
  let workDir: string;
  let cluster: PostgresCluster;

  beforeEach(async () => {
    workDir = mkdtempSync(path.join(tmpdir(), 'upshift-cluster-'));
    mkdirSync(path.join(workDir, 'postgres'));
    cluster = new PostgresCluster(
      path.join(workDir, 'postgres'),
      await freePort(),
      path.join(workDir, 'postgres.log'),
    );
    await cluster.init();
    await cluster.start();
    await cluster.crash();
  });

  afterEach(async () => {
    await cluster.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  it('stopped while it starts again after a crash, ends stopped', async () => {
    const restart = cluster.start();
    await cluster.stop();
    await restart;
    expect(await answers(cluster)).toBe(false);
    expect(existsSync(path.join(cluster.dataDir, 'postmaster.pid'))).toBe(false);
  });

  it('refuses to start again once stopped', async () => {
    await cluster.stop();
    await expect(cluster.start()).rejects.toThrow('the Postgres cluster was stopped');
    expect(await answers(cluster)).toBe(false);
  });
});
