import { InvalidMessageError, deadLetterMessage } from '@upshift/contracts';
import type { DeadLetter } from '@upshift/contracts';
import type { Producer } from 'kafkajs';
import { CLOUDEVENTS_CONTENT_TYPE } from '@upshift/contracts';

export interface DeadLetterInput {
  originalTopic: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  error: unknown;
  partition?: number;
  offset?: string;
  consumerGroup?: string;
  /** CloudEvents source of the consumer that gives up, e.g. /upshift/orchestrator. */
  source?: string;
}

function asText(value: Buffer | string | null): { text: string | null; encoding: 'utf8' | 'base64' } {
  if (value === null) return { text: null, encoding: 'utf8' };
  if (typeof value === 'string') return { text: value, encoding: 'utf8' };
  const text = value.toString('utf8');
  // Bytes that are not valid UTF-8 would be mangled by the round trip; keep them exactly, in base64.
  return Buffer.from(text, 'utf8').equals(value)
    ? { text, encoding: 'utf8' }
    : { text: value.toString('base64'), encoding: 'base64' };
}

export function toDeadLetter(input: DeadLetterInput, now = new Date()): DeadLetter {
  const value = asText(input.value);
  const error = input.error;
  return {
    originalTopic: input.originalTopic,
    originalPartition: input.partition ?? null,
    originalOffset: input.offset ?? null,
    consumerGroup: input.consumerGroup ?? null,
    key: input.key === null ? null : input.key.toString(),
    value: value.text,
    valueEncoding: value.encoding,
    error: {
      name: error instanceof Error ? error.name : 'Error',
      message: error instanceof Error ? error.message : String(error),
      problems: error instanceof InvalidMessageError ? [...error.problems] : [],
    },
    failedAt: now.toISOString(),
  };
}

/**
 * Parks a message that cannot be parsed or processed on `upgrade.dlq`, keyed by its original key, with
 * the error and where it came from, so that the consumer can move on and an operator can replay it.
 */
export async function sendToDlq(producer: Producer, input: DeadLetterInput): Promise<DeadLetter> {
  const letter = toDeadLetter(input);
  const message = deadLetterMessage(letter, { source: input.source ?? '/upshift' });
  await producer.send({
    topic: message.topic,
    acks: -1,
    messages: [
      {
        key: message.key,
        value: JSON.stringify(message.value),
        headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE },
      },
    ],
  });
  return letter;
}
