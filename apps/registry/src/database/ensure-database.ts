import { Client } from 'pg';

const DUPLICATE_DATABASE = '42P04';
const UNIQUE_VIOLATION = '23505';

/**
 * Creates the database named in `databaseUrl` when it does not exist yet, so that a fresh machine
 * needs no manual `createdb`. Two replicas starting together may both try: the loser's "already
 * exists" is success.
 */
export async function ensureDatabaseExists(databaseUrl: string): Promise<'created' | 'existed'> {
  const target = new URL(databaseUrl);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (name === '') throw new Error('DATABASE_URL names no database; append one, e.g. /upshift');
  const maintenance = new URL(databaseUrl);
  maintenance.pathname = '/postgres';
  const client = new Client({ connectionString: maintenance.toString(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (existing.rowCount !== null && existing.rowCount > 0) return 'existed';
    try {
      await client.query(`CREATE DATABASE ${quoteIdentifier(name)}`);
      return 'created';
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === DUPLICATE_DATABASE || code === UNIQUE_VIOLATION) return 'existed';
      throw error;
    }
  } finally {
    await client.end();
  }
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
