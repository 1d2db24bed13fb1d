import { splitByBytes } from './outbox-relay';

describe('splitByBytes', () => {
  const row = (n: number) => ({ payload: 'x'.repeat(n) });

  it('keeps rows in order, each request within the byte budget', () => {
    const rows = [row(40), row(40), row(40), row(10), row(90)];
    expect(splitByBytes(rows, 100).map((r) => r.rows.map((x) => x.payload.length))).toEqual([
      [40, 40],
      [40, 10],
      [90],
    ]);
  });

  it('sends a row larger than the budget on its own', () => {
    expect(splitByBytes([row(10), row(500), row(10)], 100).map((r) => r.rows.length)).toEqual([1, 1, 1]);
  });

  it('returns nothing for nothing', () => {
    expect(splitByBytes([], 100)).toEqual([]);
  });
});

describe('splitByBytes sizes', () => {
  const row = (n: number) => ({ payload: 'x'.repeat(n) });

  it("reports each request's payload bytes, so an oversized single row can be compressed", () => {
    expect(
      splitByBytes([row(40), row(40), row(500), row(10)], 100).map((r) => [r.rows.length, r.bytes]),
    ).toEqual([
      [2, 80],
      [1, 500],
      [1, 10],
    ]);
  });

  it('counts bytes, not characters', () => {
    expect(splitByBytes([{ payload: 'é'.repeat(10) }], 100)[0]?.bytes).toBe(20);
  });
});
