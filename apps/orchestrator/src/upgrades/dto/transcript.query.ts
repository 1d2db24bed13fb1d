import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Matches, Max, Min } from 'class-validator';

/** The same bounds as the registry's lists (ADR 0076). */
export const TRANSCRIPT_LIMIT_DEFAULT = 50;
export const TRANSCRIPT_LIMIT_MAX = 500;

const LIMIT_MESSAGE = `limit must be an integer from 1 to ${TRANSCRIPT_LIMIT_MAX}`;

/**
 * `GET /upgrades/:executionId/transcript?limit=&after=`: a cursor rather than an offset, because a
 * running execution keeps appending lines and a line id never moves (ADR 0076).
 */
export class TranscriptQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: TRANSCRIPT_LIMIT_MAX,
    default: TRANSCRIPT_LIMIT_DEFAULT,
    description: 'Most lines in the answer',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: LIMIT_MESSAGE })
  @Min(1, { message: LIMIT_MESSAGE })
  @Max(TRANSCRIPT_LIMIT_MAX, { message: LIMIT_MESSAGE })
  limit: number = TRANSCRIPT_LIMIT_DEFAULT;

  @ApiPropertyOptional({
    description: "Lines after this line id: the previous page's `next`, or the id of the last line read",
    pattern: '^[0-9]{1,18}$',
    example: '1042',
  })
  @IsOptional()
  // Up to 18 digits: always within PostgreSQL's bigint, so the comparison never overflows.
  @Matches(/^[0-9]{1,18}$/, { message: "after must be a line id (digits), e.g. the previous page's next" })
  after?: string;
}
