import { applyDecorators, type Type as ClassType } from '@nestjs/common';
import { ApiOkResponse, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';
import type { Request, Response } from 'express';

/** Rows a list answers when the caller does not say, and the most it answers at once (ADR 0076). */
export const LIST_LIMIT_DEFAULT = 50;
export const LIST_LIMIT_MAX = 500;

const LIMIT_MESSAGE = `limit must be an integer from 1 to ${LIST_LIMIT_MAX}`;
const OFFSET_MESSAGE = 'offset must be an integer of 0 or more';

/**
 * `?limit=&offset=` of every registry list. The body stays a JSON array; how many rows there are and
 * where the next page is travel in headers (`X-Total-Count`, `Link: <…>; rel="next"`), see `sendPage`.
 */
export class PageQuery {
  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: LIST_LIMIT_MAX,
    default: LIST_LIMIT_DEFAULT,
    description: 'Most rows in the answer',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: LIMIT_MESSAGE })
  @Min(1, { message: LIMIT_MESSAGE })
  @Max(LIST_LIMIT_MAX, { message: LIMIT_MESSAGE })
  limit: number = LIST_LIMIT_DEFAULT;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 0,
    default: 0,
    description: 'Rows to skip; the `Link: rel="next"` header gives the next page ready-made',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt({ message: OFFSET_MESSAGE })
  @Min(0, { message: OFFSET_MESSAGE })
  // Beyond this the number no longer round-trips through JSON or PostgreSQL's bigint OFFSET.
  @Max(Number.MAX_SAFE_INTEGER, { message: OFFSET_MESSAGE })
  offset = 0;
}

/** One page of a list in its stable order, and how many rows the whole list has. */
export interface Page<T> {
  items: T[];
  total: number;
}

export function pageOf<T, U>(page: Page<T>, map: (item: T) => U): Page<U> {
  return { items: page.items.map(map), total: page.total };
}

/**
 * Answers a page as a plain array, with `X-Total-Count` and, when rows remain after it, an RFC 8288
 * `Link` to the next page: the same path and query, with the next offset. The reference is
 * path-absolute, so it stays right behind the orchestrator's proxy or a gateway that keeps paths.
 */
export function sendPage<T>(request: Request, response: Response, query: PageQuery, page: Page<T>): T[] {
  response.setHeader('X-Total-Count', String(page.total));
  const nextOffset = query.offset + query.limit;
  if (nextOffset < page.total) {
    const next = new URL(request.originalUrl, 'http://placeholder');
    next.searchParams.set('offset', String(nextOffset));
    response.setHeader('Link', `<${next.pathname}${next.search}>; rel="next"`);
  }
  return page.items;
}

/** The 200 of a paged list in the OpenAPI document: an array of `type`, and the two paging headers. */
export function ApiPagedOkResponse(type: ClassType<unknown>): MethodDecorator {
  return applyDecorators(
    ApiOkResponse({
      type,
      isArray: true,
      description: `At most \`limit\` rows (default ${LIST_LIMIT_DEFAULT}, at most ${LIST_LIMIT_MAX}), in a stable order`,
      headers: {
        'X-Total-Count': {
          description: 'How many rows the whole list has (with the same filters)',
          schema: { type: 'integer', minimum: 0 },
        },
        Link: {
          description:
            'RFC 8288; present when rows remain after this page: `<path?query&offset=N>; rel="next"`',
          schema: { type: 'string' },
        },
      },
    }),
  );
}
