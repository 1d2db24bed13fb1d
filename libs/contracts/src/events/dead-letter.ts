import { Type } from '@sinclair/typebox';
import type { Static } from '@sinclair/typebox';
import { IsoDateTime, Nullable } from '../schema-kit';

/**
 * `upgrade.dlq`, key = the original key: a message some consumer could not parse or process. The
 * original value is kept verbatim (UTF-8, or base64 when it is not valid UTF-8) so it can be replayed.
 */
export const DeadLetterSchema = Type.Object(
  {
    originalTopic: Type.String(),
    originalPartition: Nullable(Type.Integer({ minimum: 0 })),
    originalOffset: Nullable(Type.String({ description: 'Kafka offsets are 64-bit; carried as a string' })),
    consumerGroup: Nullable(Type.String()),
    key: Nullable(Type.String()),
    value: Nullable(Type.String()),
    valueEncoding: Type.Union([Type.Literal('utf8'), Type.Literal('base64')]),
    error: Type.Object({
      name: Type.String(),
      message: Type.String(),
      problems: Type.Array(Type.Object({ path: Type.String(), message: Type.String() })),
    }),
    failedAt: IsoDateTime(),
  },
  { $id: 'DeadLetter', title: 'DeadLetter' },
);
export type DeadLetter = Static<typeof DeadLetterSchema>;
