import { lastSequenceOf, ProducerStateTable } from './producer-state';

const MAX = 2147483647;

describe('lastSequenceOf', () => {
  it.each([
    ['adds the last offset delta', 10, 4, 14],
    ['reaches exactly the int32 maximum', MAX - 3, 3, MAX],
    ['wraps to 0 past the int32 maximum', MAX - 1, 2, 0],
    ['keeps wrapping from 0', MAX, 5, 4],
  ])('%s', (_rule, base, delta, expected) => {
    expect(lastSequenceOf(base, delta)).toBe(expected);
  });
});

describe('ProducerStateTable', () => {
  it('accepts the next sequence after a wrap-around', () => {
    const table = new ProducerStateTable();
    table.record(1n, 0, MAX - 1, 0n, 1, 0);
    expect(table.check(1n, 0, 0, 0)).toEqual({ kind: 'append' });
    expect(table.check(1n, 0, 1, 0)).toEqual({ kind: 'out-of-order', expected: 0 });
  });

  it('finds duplicates only with the same epoch and the same first and last sequence', () => {
    const table = new ProducerStateTable();
    table.record(1n, 3, 0, 100n, 4, 0);
    expect(table.check(1n, 3, 0, 4)).toEqual({ kind: 'duplicate', baseOffset: 100n });
    expect(table.check(1n, 3, 0, 2)).toEqual({ kind: 'out-of-order', expected: 5 });
    expect(table.check(1n, 2, 0, 4)).toEqual({ kind: 'fenced', currentEpoch: 3 });
  });

  it('round-trips through its snapshot form', () => {
    const table = new ProducerStateTable();
    for (let i = 0; i < 7; i++) table.record(5n, 1, i, BigInt(i), 0, i);
    const copy = ProducerStateTable.fromJSON(JSON.parse(JSON.stringify(table.toJSON())));
    expect(copy.toJSON()).toEqual(table.toJSON());
    expect(copy.check(5n, 1, 6, 0)).toEqual({ kind: 'duplicate', baseOffset: 6n });
    expect(copy.check(5n, 1, 1, 0)).toEqual({ kind: 'out-of-order', expected: 7 });
  });

  it('forgets batches at or after a truncation point', () => {
    const table = new ProducerStateTable();
    table.record(1n, 0, 0, 0n, 0, 0);
    table.record(1n, 0, 1, 1n, 0, 0);
    table.record(2n, 0, 0, 2n, 0, 0);
    table.truncateFrom(1n);
    expect(table.check(1n, 0, 1, 0)).toEqual({ kind: 'append' });
    expect(table.size).toBe(1);
  });
});
