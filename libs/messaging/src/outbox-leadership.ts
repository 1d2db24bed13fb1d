import { Client } from 'pg';
import type { ClientConfig } from 'pg';
import type { Logger } from './logger';
import { outboxChannel } from './sql';

/** Advisory-lock key namespace: one lock per schema, the same in every process. */
export const outboxLeaderLockName = (schema: string) => `upshift.outbox-relay:${schema}`;
const lockName = outboxLeaderLockName;

export interface OutboxLeadershipOptions {
  schema: string;
  connection: string | ClientConfig;
  logger: Logger;
  /** Called for every NOTIFY on the schema's outbox channel (delivered while this session LISTENs). */
  onNotification: () => void;
}

/**
 * The relay's dedicated Postgres session and the leadership that lives in it (ADR 0021): a session-level
 * `pg_try_advisory_lock` plus LISTEN on the schema's outbox channel. When the session dies Postgres
 * releases the lock, so leadership ends with the session and a standby takes over without any timeout
 * logic here. The relay also runs its reads and UPDATEs on this session.
 */
export class OutboxLeadership {
  private client: Client | null = null;
  private clientBroken = false;
  private leader = false;

  constructor(private readonly options: OutboxLeadershipOptions) {}

  get isLeader(): boolean {
    return this.leader;
  }

  /** The open session, reconnecting first if it was lost (a new session holds no lock yet). */
  async session(): Promise<Client> {
    if (this.client && !this.clientBroken) return this.client;
    await this.close();
    const client = new Client(this.options.connection);
    this.clientBroken = false;
    client.on('error', (error) => {
      // The session is gone, and with it the advisory lock: stop acting as leader at once.
      this.clientBroken = true;
      if (this.leader)
        this.options.logger.warn({ err: error }, 'lost the Postgres session; leadership released');
      this.leader = false;
    });
    client.on('notification', () => this.options.onNotification());
    await client.connect();
    this.client = client;
    return client;
  }

  /** One attempt to take the lock; on success also LISTENs, so that commits wake the leader. */
  async tryAcquire(): Promise<void> {
    const client = await this.session();
    const { schema } = this.options;
    const { rows } = await client.query<{ locked: boolean }>(
      'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked',
      [lockName(schema)],
    );
    if (rows[0]?.locked !== true) return;
    try {
      // The relay connects its producer lazily, with the first chunk: leadership does not wait for Kafka.
      await client.query(`LISTEN "${outboxChannel(schema)}"`);
    } catch (error) {
      await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockName(schema)]);
      throw error;
    }
    this.leader = true;
    this.options.logger.info(
      { event: 'relay.leader' },
      'outbox relay is the leader for its schema; publishing',
    );
  }

  /**
   * Gives up leadership on a healthy session (UNLISTEN, unlock; failures ignored, the session is closed
   * next anyway). Returns whether this relay was the leader.
   */
  async release(): Promise<boolean> {
    const wasLeader = this.leader;
    this.leader = false;
    const client = this.client;
    if (wasLeader && client && !this.clientBroken) {
      const { schema } = this.options;
      await client.query(`UNLISTEN "${outboxChannel(schema)}"`).catch(() => undefined);
      await client
        .query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [lockName(schema)])
        .catch(() => undefined);
    }
    return wasLeader;
  }

  /**
   * After a failed cycle: if the session is broken or does not answer, it is closed (and leadership with
   * it), so the next cycle reconnects and contends again.
   */
  async dropIfDead(): Promise<void> {
    if (this.clientBroken || !this.client) {
      this.leader = false;
      await this.close();
      return;
    }
    try {
      await this.client.query('SELECT 1');
    } catch {
      this.leader = false;
      await this.close();
    }
  }

  /** Ends the session; Postgres releases a lock still held. */
  async close(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.leader = false;
    if (client) await client.end().catch(() => undefined);
  }
}
