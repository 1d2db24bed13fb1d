import { InvalidMessageError } from '@upshift/contracts';
import { toDeadLetter } from './dead-letter';

describe('toDeadLetter', () => {
  const now = new Date('2025-01-01T00:00:00.000Z');

  it('keeps a UTF-8 value as text and lists the parse problems', () => {
    const error = new InvalidMessageError(
      [{ path: '/data/outcome', message: 'Expected union value' }],
      'Result',
    );
    expect(
      toDeadLetter(
        { originalTopic: 'upgrade.results', key: Buffer.from('k1'), value: Buffer.from('{"é":1}'), error },
        now,
      ),
    ).toEqual({
      originalTopic: 'upgrade.results',
      originalPartition: null,
      originalOffset: null,
      consumerGroup: null,
      key: 'k1',
      value: '{"é":1}',
      valueEncoding: 'utf8',
      error: {
        name: 'InvalidMessageError',
        message: expect.stringContaining('/data/outcome'),
        problems: [{ path: '/data/outcome', message: 'Expected union value' }],
      },
      failedAt: '2025-01-01T00:00:00.000Z',
    });
  });

  it('keeps bytes that are not UTF-8 exactly, in base64', () => {
    const letter = toDeadLetter(
      { originalTopic: 't', key: null, value: Buffer.from([0xc3, 0x28]), error: 'x' },
      now,
    );
    expect(letter).toMatchObject({
      key: null,
      value: 'wyg=',
      valueEncoding: 'base64',
      error: { name: 'Error', message: 'x' },
    });
  });

  it('keeps a tombstone as null', () => {
    expect(
      toDeadLetter({ originalTopic: 't', key: 'k', value: null, error: new Error('e') }, now).value,
    ).toBeNull();
  });
});
