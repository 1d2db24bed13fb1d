import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, Matches } from 'class-validator';
import { PAGE_LIMIT_DEFAULT, PageLimit } from './page-limit';

/**
 * `GET /upgrades/:executionId/transcript?limit=&after=`: a cursor rather than an offset, because a
 * running execution keeps appending lines and a line id never moves (ADR 0076).
 */
export class TranscriptQuery {
  @PageLimit('lines')
  limit: number = PAGE_LIMIT_DEFAULT;

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
