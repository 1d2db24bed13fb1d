import type { Message, Producer } from 'kafkajs';
import { CLOUDEVENTS_CONTENT_TYPE, type OutboundMessage } from '@upshift/contracts';
import { withTraceContext } from '@upshift/tracing';

/**
 * Collects messages for a couple of milliseconds and sends them in one produce request: thousands of
 * results per second then cost tens of round trips to the broker, not thousands. `publish` resolves
 * once the broker acknowledged the message (acks=all).
 */
export class BatchingPublisher {
  private queue: { message: OutboundMessage; resolve: () => void; reject: (error: unknown) => void }[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly producer: Producer,
    private readonly lingerMs = 2,
    private readonly maxBatch = 500,
  ) {}

  publish(message: OutboundMessage): Promise<void> {
    // The publisher's trace context, taken now: the batch is sent later, outside it.
    const traced = { ...message, value: withTraceContext(message.value) };
    return new Promise((resolve, reject) => {
      this.queue.push({ message: traced, resolve, reject });
      if (this.queue.length >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const byTopic = new Map<string, Message[]>();
    for (const { message } of batch) {
      const messages = byTopic.get(message.topic) ?? [];
      messages.push({
        key: message.key,
        value: JSON.stringify(message.value),
        headers: { 'content-type': CLOUDEVENTS_CONTENT_TYPE, ...message.headers },
      });
      byTopic.set(message.topic, messages);
    }
    this.producer
      .sendBatch({ acks: -1, topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) })
      .then(
        () => batch.forEach((entry) => entry.resolve()),
        (error: unknown) => batch.forEach((entry) => entry.reject(error)),
      );
  }
}
