import { randomUUID } from 'crypto';
import { Type } from '@sinclair/typebox';
import type { Static, TSchema } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { TypeCheck } from '@sinclair/typebox/compiler';
import { IsoDateTime, Uuid } from '../schema-kit';

/**
 * Every Kafka message is a CloudEvents 1.0 event in structured JSON mode, plus three extension
 * attributes: `tenantid`, `executionid` and `sequence` (lower-case alphanumerics, as CloudEvents
 * requires of attribute names). `data` is the typed payload.
 *
 * - `tenantid` / `executionid` are the empty string when the event is not about a tenant / execution
 *   (e.g. a registry version event); CloudEvents forbids null attribute values.
 * - `sequence` is gap-free per execution on `upgrade.progress`; on `upgrade.executions` it is the last
 *   progress sequence the snapshot includes (so a consumer can start from a snapshot and apply only
 *   later progress); elsewhere it is 0.
 */
export const EnvelopeAttributesSchema = Type.Object({
  specversion: Type.Literal('1.0'),
  id: Uuid({ description: 'Unique per event; consumers deduplicate on it' }),
  type: Type.String({ minLength: 1, description: 'e.g. upshift.command.v1, upshift.progress.BatchStarted' }),
  source: Type.String({
    minLength: 1,
    description: 'URI reference of the producer, e.g. /upshift/orchestrator',
  }),
  time: IsoDateTime(),
  subject: Type.String({
    description: 'What the event is about within the source (usually the message key)',
  }),
  datacontenttype: Type.Literal('application/json'),
  tenantid: Type.String({ maxLength: 64 }),
  executionid: Type.String({ description: 'Execution id (uuid), or empty when not about an execution' }),
  sequence: Type.Integer({ minimum: 0 }),
});

/** The envelope schema around a given payload schema. */
export function EventEnvelopeSchema<T extends TSchema>(
  data: T,
  options: { $id?: string; title?: string } = {},
) {
  return Type.Object({ ...EnvelopeAttributesSchema.properties, data }, options);
}

export type EnvelopeAttributes = Static<typeof EnvelopeAttributesSchema>;
export type EventEnvelope<T> = EnvelopeAttributes & { data: T };

export const CLOUDEVENTS_CONTENT_TYPE = 'application/cloudevents+json; charset=UTF-8';

export interface MakeEnvelopeInput<T> {
  type: string;
  source: string;
  subject: string;
  data: T;
  tenantId?: string;
  executionId?: string;
  sequence?: number;
  /** Defaults to a fresh UUID; pass one to make a retried write produce the same event. */
  id?: string;
  /** Defaults to now. */
  time?: Date | string;
}

export function makeEnvelope<T>(input: MakeEnvelopeInput<T>): EventEnvelope<T> {
  const time = input.time ?? new Date();
  return {
    specversion: '1.0',
    id: input.id ?? randomUUID(),
    type: input.type,
    source: input.source,
    time: typeof time === 'string' ? time : time.toISOString(),
    subject: input.subject,
    datacontenttype: 'application/json',
    tenantid: input.tenantId ?? '',
    executionid: input.executionId ?? '',
    sequence: input.sequence ?? 0,
    data: input.data,
  };
}

export interface MessageProblem {
  /** JSON pointer of the offending value ('' for the whole message). */
  path: string;
  message: string;
}

/**
 * A message that is not valid JSON or does not match its schema. Consumers send it to the dead-letter
 * topic with `problems` rather than retrying: a malformed message never becomes valid.
 */
export class InvalidMessageError extends Error {
  override readonly name = 'InvalidMessageError';
  constructor(
    readonly problems: readonly MessageProblem[],
    readonly expected: string,
  ) {
    super(
      `invalid ${expected} message: ` +
        problems
          .slice(0, 5)
          .map((p) => `${p.path || '/'} ${p.message}`)
          .join('; ') +
        (problems.length > 5 ? `; … ${problems.length - 5} more` : ''),
    );
  }
}

const MAX_PROBLEMS = 20;
const compiled = new WeakMap<TSchema, TypeCheck<TSchema>>();

function checkerFor(dataSchema: TSchema): TypeCheck<TSchema> {
  let checker = compiled.get(dataSchema);
  if (!checker) {
    checker = TypeCompiler.Compile(EventEnvelopeSchema(dataSchema));
    compiled.set(dataSchema, checker);
  }
  return checker;
}

export interface ParseEnvelopeOptions {
  /** When given, an envelope of another `type` is rejected (a string, or a test for families). */
  type?: string | ((type: string) => boolean);
}

/**
 * Parses a Kafka message value into a typed envelope, checking the envelope attributes and `data`
 * against `dataSchema`. Throws `InvalidMessageError` listing each failing path.
 */
export function parseEnvelope<T extends TSchema>(
  input: Buffer | string | null | undefined,
  dataSchema: T,
  options: ParseEnvelopeOptions = {},
): EventEnvelope<Static<T>> {
  const expected = typeof dataSchema.title === 'string' ? dataSchema.title : 'event';
  if (input === null || input === undefined) {
    throw new InvalidMessageError(
      [{ path: '', message: 'message has no value (tombstone or empty)' }],
      expected,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(typeof input === 'string' ? input : input.toString('utf8'));
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new InvalidMessageError([{ path: '', message: `not JSON: ${reason}` }], expected);
  }
  const checker = checkerFor(dataSchema);
  if (!checker.Check(value)) {
    const problems: MessageProblem[] = [];
    for (const error of checker.Errors(value)) {
      problems.push({ path: error.path, message: error.message });
      if (problems.length >= MAX_PROBLEMS) break;
    }
    throw new InvalidMessageError(problems, expected);
  }
  const envelope = value as EventEnvelope<Static<T>>;
  const wanted = options.type;
  if (
    wanted !== undefined &&
    !(typeof wanted === 'string' ? envelope.type === wanted : wanted(envelope.type))
  ) {
    throw new InvalidMessageError(
      [
        {
          path: '/type',
          message: `unexpected type ${envelope.type}${typeof wanted === 'string' ? `, expected ${wanted}` : ''}`,
        },
      ],
      expected,
    );
  }
  return envelope;
}
