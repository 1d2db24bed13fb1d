import { Controller, Get, Headers, Param, Query, Res } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiProduces, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { CurrentPrincipal, Requires } from '@upshift/http';
import type { Principal } from '@upshift/http';
import { problemResponse } from '../upgrades/openapi-schemas';
import { EventStreams } from './event-streams';

const STREAM_DESCRIPTION =
  'text/event-stream (ADR 0084). Each event: `event:` the progress event kind (or `resync`), `data:` the ' +
  'CloudEvents envelope exactly as published on Kafka `upgrade.progress`, `id:` the position to resume ' +
  'from with the `Last-Event-ID` header (or the `lastEventId` query). Comment lines are heartbeats.';

const LastEventIdHeader = ApiHeader({
  name: 'Last-Event-ID',
  required: false,
  description: 'The id of the last event received: the stream resumes after it, nothing missed or repeated',
});

const LastEventIdQuery = ApiQuery({
  name: 'lastEventId',
  required: false,
  description: 'The same as the Last-Event-ID header, for clients that cannot set it (curl); the header wins',
});

/** Live progress streams (docs/api-contract.md, "Event streams"), under /api/v1/registry. */
@ApiTags('events')
@Controller()
export class EventsController {
  constructor(private readonly streams: EventStreams) {}

  @Get('upgrades/:executionId/events')
  @Requires('viewer')
  @ApiOperation({
    summary: "An execution's progress events, live, resumable; ends once the execution is terminal",
    description:
      `${STREAM_DESCRIPTION} \`id\` is the event's \`sequence\`. Without Last-Event-ID the stream starts ` +
      'at the first event. It ends when the execution is terminal and every event was sent; a reconnect ' +
      'with nothing left answers 204, which stops an EventSource.',
  })
  @ApiProduces('text/event-stream')
  @LastEventIdHeader
  @LastEventIdQuery
  @ApiResponse({
    status: 200,
    description: 'The event stream',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiResponse({ status: 204, description: 'The execution is terminal and the client has every event' })
  @ApiResponse({ status: 400, ...problemResponse(400) })
  @ApiResponse({ status: 404, ...problemResponse(404) })
  execution(
    @Param('executionId') executionId: string,
    @Headers('last-event-id') header: string | undefined,
    @Query('lastEventId') query: string | undefined,
    @CurrentPrincipal() principal: Principal,
    @Res() res: Response,
  ): Promise<void> {
    return this.streams.followExecution(executionId, header ?? query, principal, res);
  }

  @Get('tenants/:tenantId/events')
  @Requires('viewer')
  @ApiOperation({
    summary: "A tenant's progress events, every execution interleaved, live and resumable",
    description:
      `${STREAM_DESCRIPTION} \`id\` is a cursor naming the last sequence received of each execution ` +
      'followed. Without Last-Event-ID the stream starts now; an id that cannot be resumed (malformed, or ' +
      'older than the 24 h the events are kept) gets a `resync` event first, then the stream from now.',
  })
  @ApiProduces('text/event-stream')
  @LastEventIdHeader
  @LastEventIdQuery
  @ApiResponse({
    status: 200,
    description: 'The event stream',
    content: { 'text/event-stream': { schema: { type: 'string' } } },
  })
  @ApiResponse({ status: 404, ...problemResponse(404) })
  tenant(
    @Param('tenantId') tenantId: string,
    @Headers('last-event-id') header: string | undefined,
    @Query('lastEventId') query: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    return this.streams.followTenant(tenantId, header ?? query, res);
  }
}
