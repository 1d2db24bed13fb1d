import { Module } from '@nestjs/common';
import { EventsController } from './events.controller';
import { EventStreams } from './event-streams';
import { ProgressLog } from './progress-log';

/** Server-sent event streams of executions' progress (ADR 0084). */
@Module({
  controllers: [EventsController],
  providers: [ProgressLog, EventStreams],
})
export class EventsModule {}
