import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

/** The bounds of every cursor-paged list of the orchestrator, as of the registry's lists (ADR 0076). */
export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 500;

const LIMIT_MESSAGE = `limit must be an integer from 1 to ${PAGE_LIMIT_MAX}`;

/** `limit`: 1–500, default 50; anything else is a 400 naming `limit`. `what` says what is counted. */
export function PageLimit(what: string) {
  return applyDecorators(
    ApiPropertyOptional({
      type: 'integer',
      minimum: 1,
      maximum: PAGE_LIMIT_MAX,
      default: PAGE_LIMIT_DEFAULT,
      description: `Most ${what} in the answer`,
    }),
    IsOptional(),
    Type(() => Number),
    IsInt({ message: LIMIT_MESSAGE }),
    Min(1, { message: LIMIT_MESSAGE }),
    Max(PAGE_LIMIT_MAX, { message: LIMIT_MESSAGE }),
  );
}
