import { crc32c } from './crc32c';

/** Bit-at-a-time reference implementation, to check the sliced tables against. */
function crc32cReference(buf: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  it.each([
    ['the standard check value "123456789"', Buffer.from('123456789'), 0xe3069283],
    ['the empty buffer', Buffer.alloc(0), 0x00000000],
    ['32 zero bytes (RFC 3720 B.4)', Buffer.alloc(32, 0x00), 0x8a9136aa],
    ['32 0xff bytes (RFC 3720 B.4)', Buffer.alloc(32, 0xff), 0x62a8ab43],
    ['32 ascending bytes (RFC 3720 B.4)', Buffer.from(Array.from({ length: 32 }, (_, i) => i)), 0x46dd794e],
    [
      '32 descending bytes (RFC 3720 B.4)',
      Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)),
      0x113fdb5c,
    ],
  ])('matches the known vector for %s', (_name, input, expected) => {
    expect(crc32c(input)).toBe(expected);
  });

  it('agrees with the bit-at-a-time definition for every length from 0 to 100 and odd alignments', () => {
    const data = Buffer.from(Array.from({ length: 120 }, (_, i) => (i * 167 + 13) & 0xff));
    for (let start = 0; start < 9; start++) {
      for (let len = 0; len <= 100; len++) {
        const slice = data.subarray(start, start + len);
        expect(crc32c(slice)).toBe(crc32cReference(slice));
      }
    }
  });

  it('gives the same answer on the word-at-a-time path for every alignment and length up to 300', () => {
    const backing = Buffer.from(Array.from({ length: 320 }, (_, i) => (i * 89 + 5) & 0xff));
    for (let start = 0; start < 8; start++) {
      for (let len = 60; len <= 300; len += 7) {
        const slice = backing.subarray(start, start + len);
        expect(crc32c(slice)).toBe(crc32cReference(slice));
      }
    }
  });

  it('continues a checksum across split buffers when given the previous result', () => {
    const whole = Buffer.from('The quick brown fox jumps over the lazy dog, twice over.');
    for (const cut of [0, 1, 7, 8, 9, 30, whole.length]) {
      expect(crc32c(whole.subarray(cut), crc32c(whole.subarray(0, cut)))).toBe(crc32c(whole));
    }
  });

  it('always returns an unsigned 32-bit number', () => {
    const value = crc32c(Buffer.alloc(32, 0xff));
    expect(value).toBeGreaterThan(0);
    expect(value).toBeLessThanOrEqual(0xffffffff);
  });
});
