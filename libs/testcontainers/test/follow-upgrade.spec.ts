import { Kafka, logLevel } from 'kafkajs';
import { UpshiftContainer, type StartedUpshift } from '@upshift/testcontainers';

// Needs a Docker engine and the upshift/* images (npm run test:deploy builds them), and
// TESTCONTAINERS_RYUK_DISABLED=true TESTCONTAINERS_HOST_OVERRIDE=localhost in the environment.
describe('an upgrade of a simulated fleet, followed on upgrade.progress', () => {
  let upshift: StartedUpshift;

  beforeAll(async () => {
    upshift = await new UpshiftContainer().withFleet(20).start();
  }, 600_000);

  afterAll(async () => {
    await upshift?.stop();
  });

  it('upgrades 20 instances from 2.1.0 to 2.2.2 and reports it on the topic', async () => {
    const execution = await upshift.createUpgrade(await upshift.fleetUpgradeBody('2.2.2'));

    // Subscribed before the start, from the beginning: every event of the execution is read.
    const kafka = new Kafka({
      clientId: 'my-tests',
      brokers: upshift.kafkaBrokers,
      logLevel: logLevel.NOTHING,
    });
    const consumer = kafka.consumer({ groupId: `my-tests-${execution.id}` });
    await consumer.connect();
    await consumer.subscribe({ topic: 'upgrade.progress', fromBeginning: true });
    const sequences: number[] = [];
    const ended = new Promise<string>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message }) => {
          // A CloudEvents envelope (docs/adr/0023-cloudevents-envelope-and-keys.md).
          const event = JSON.parse(String(message.value));
          if (event.executionid !== execution.id) return;
          sequences.push(event.sequence);
          const { kind, to } = event.data;
          if (
            kind === 'ExecutionStatusChanged' &&
            ['COMPLETED', 'FAILED', 'ROLLED_BACK', 'CANCELLED'].includes(to)
          )
            resolve(to);
        },
      });
    });

    try {
      await upshift.start(execution.id);
      expect(await ended).toBe('COMPLETED');
    } finally {
      await consumer.disconnect();
    }
    // One event per step, numbered without a gap.
    expect(sequences).toEqual(sequences.map((_, i) => sequences[0] + i));
    const done = await upshift.waitFor(execution.id, 'COMPLETED');
    expect(done).toMatchObject({ completedInstances: 20, failedInstances: 0 });
  });
});
