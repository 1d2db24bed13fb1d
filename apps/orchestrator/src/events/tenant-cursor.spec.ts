import { formatTenantCursor, parseTenantCursor } from './tenant-cursor';

describe('tenant stream cursor', () => {
  const a = '0b8e0a52-35f4-4b8e-9d6a-8f1e7c0c1a01';
  const b = '6f0d7c1e-1c2b-4c3d-8e4f-5a6b7c8d9e02';

  it('reads back what it writes, executions and watermark alike', () => {
    const cursor = {
      watermarkMs: 1_764_680_000_000,
      delivered: new Map([
        [a, 12],
        [b, 0],
      ]),
    };
    const id = formatTenantCursor(cursor);
    expect(id).toBe(`1764680000000.${a}:12,${b}:0`);
    expect(parseTenantCursor(id)).toEqual(cursor);
  });

  it('reads a cursor that follows no execution yet', () => {
    expect(parseTenantCursor('1764680000000.')).toEqual({
      watermarkMs: 1_764_680_000_000,
      delivered: new Map(),
    });
  });

  it.each(['', '42', 'abc.', `1.${a}`, `1.${a}:x`, `1.not-a-uuid:3`, `1.${a}:1,`])(
    'refuses %p (the client is told to resync)',
    (id) => {
      expect(parseTenantCursor(id)).toBeNull();
    },
  );
});
