import fc from 'fast-check';
import { Reader } from './reader';
import { MessageSchema } from './schema';
import { Writer } from './writer';

describe('primitive codecs', () => {
  it('round-trips zig-zag varints and varlongs', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
        (i, l) => {
          const buf = new Writer(4).varint(i).varlong(l).toBuffer();
          const r = new Reader(buf);
          expect(r.varint()).toBe(i);
          expect(r.varlong()).toBe(l);
          expect(r.remaining()).toBe(0);
        },
      ),
    );
  });

  it('round-trips unsigned varints, strings and bytes in both encodings', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 2 ** 32 - 1 }),
        fc.option(fc.string()),
        fc.option(fc.uint8Array({ maxLength: 3000 })),
        (n, s, b) => {
          const bytes = b === null ? null : Buffer.from(b);
          const buf = new Writer(8)
            .uvarint(n)
            .nullableString(s)
            .compactNullableString(s)
            .nullableBytes(bytes)
            .compactNullableBytes(bytes)
            .toBuffer();
          const r = new Reader(buf);
          expect(r.uvarint()).toBe(n);
          expect(r.nullableString()).toBe(s);
          expect(r.compactNullableString()).toBe(s);
          expect(r.nullableBytes()).toEqual(bytes);
          expect(r.compactNullableBytes()).toEqual(bytes);
        },
      ),
    );
  });

  it('keeps large byte fields by reference instead of copying them', () => {
    const big = Buffer.alloc(64 * 1024, 7);
    const { chunks, length } = new Writer().int32(1).nullableBytes(big).int16(2).finish();
    expect(chunks).toContain(big);
    expect(length).toBe(4 + 4 + big.length + 2);
  });

  it('throws a MalformedFrameError past the end instead of reading garbage', () => {
    expect(() => new Reader(Buffer.from([0, 5, 65])).nullableString()).toThrow('frame too short');
  });
});

interface Sample {
  name: string;
  count: number;
  big: bigint;
  items: { id: number; label: string | null; tags: string[] }[] | null;
  added: boolean;
}

const sample = new MessageSchema<Sample>(
  `
  name string 0+
  count int32 0+
  big int64 1+ =-1
  items [] 0+ null=2+
    id int32 0+
    label string 0+ null=1+
    tags []string 0+
  added bool 3+ =true
  `,
  3,
);

describe('MessageSchema', () => {
  const value: Sample = {
    name: 'n',
    count: 3,
    big: 42n,
    items: [{ id: 1, label: null, tags: ['a', 'b'] }],
    added: false,
  };

  it.each([0, 1, 2, 3, 4])(
    'round-trips version %i, with defaults for fields the version lacks',
    (version) => {
      const w = new Writer();
      sample.encode(w, version, value);
      const decoded = sample.decode(new Reader(w.toBuffer()), version);
      expect(decoded.name).toBe('n');
      expect(decoded.big).toBe(version >= 1 ? 42n : -1n);
      expect(decoded.added).toBe(version >= 3 ? false : true);
      // label is not nullable in v0: null goes out as "".
      expect(decoded.items?.[0].label).toBe(version >= 1 ? null : '');
    },
  );

  it('uses compact lengths and tagged-field sections from the first flexible version', () => {
    const w = new Writer();
    sample.encode(w, 3, { ...value, items: null });
    // compact "n", int32, int64, compact null array, bool, empty top-level tags
    expect(w.toBuffer()).toEqual(Buffer.from([2, 0x6e, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0]));
  });

  it('skips tagged fields it does not know', () => {
    const w = new Writer().compactNullableString('x').int32(1).int64(2n).uvarint(0).bool(true);
    w.uvarint(1)
      .uvarint(7)
      .uvarint(3)
      .raw(Buffer.from([1, 2, 3])); // one unknown tag of 3 bytes
    const r = new Reader(w.toBuffer());
    expect(sample.decode(r, 3)).toEqual({ name: 'x', count: 1, big: 2n, items: null, added: true });
    expect(r.remaining()).toBe(0);
  });
});
