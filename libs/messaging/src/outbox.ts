import type { OutboundMessage } from '@upshift/contracts';
import { withTraceContext } from '@upshift/tracing';
import { outboxChannel, quoteSchema } from './sql';
import type { SqlExecutor } from './sql';

/** Postgres binds at most 65,535 parameters per statement; 4 per row leaves room for 16k rows. */
const ROWS_PER_INSERT = 1_000;

/**
 * Writes messages into `<schema>.outbox` inside the caller's transaction (pass its EntityManager), so a
 * message exists exactly when the change it announces commits. Rows get increasing ids in array order;
 * the relay publishes in id order. The NOTIFY is delivered at commit and wakes the relay at once.
 * With tracing on, each envelope carries the writing transaction's trace context as the CloudEvents
 * `traceparent`/`tracestate` extension attributes (docs/adr/0091-opentelemetry-tracing.md).
 */
export async function enqueueOutbox(
  manager: SqlExecutor,
  schema: string,
  messages: readonly OutboundMessage[],
): Promise<void> {
  if (messages.length === 0) return;
  const table = `${quoteSchema(schema)}.outbox`;
  for (let start = 0; start < messages.length; start += ROWS_PER_INSERT) {
    const chunk = messages.slice(start, start + ROWS_PER_INSERT);
    const values: string[] = [];
    const parameters: unknown[] = [];
    for (const message of chunk) {
      const n = parameters.length;
      values.push(`($${n + 1}, $${n + 2}, $${n + 3}::jsonb, $${n + 4}::jsonb)`);
      parameters.push(
        message.topic,
        message.key,
        JSON.stringify(message.headers ?? {}),
        JSON.stringify(withTraceContext(message.value)),
      );
    }
    // A multi-row VALUES list assigns ids in list order, which is the publication order.
    await manager.query(
      `INSERT INTO ${table} (topic, message_key, headers, payload) VALUES ${values.join(', ')}`,
      parameters,
    );
  }
  await manager.query('SELECT pg_notify($1, $2)', [outboxChannel(schema), '']);
}
