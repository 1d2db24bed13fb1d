/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of Kafka's record batch v2.
 *
 * Node 20 has no built-in CRC-32C (zlib's crc32 is the IEEE polynomial), so this is the table-driven
 * "slicing-by-8" algorithm: eight 256-entry tables let one step consume eight bytes with eight
 * independent lookups, several times faster than the byte-at-a-time loop on the produce path.
 */
const POLYNOMIAL = 0x82f63b78;

/** TABLES[k * 256 + b]: the CRC contribution of byte b followed by k zero bytes. */
const TABLES = buildTables();

function buildTables(): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLYNOMIAL : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n];
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff] ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

/** Word-at-a-time loads need a little-endian host (every platform Node ships for in practice). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
/** Below this, viewing the buffer as 32-bit words costs more than it saves. */
const WORDS_FROM_BYTES = 64;

/**
 * The CRC-32C of `buf`, as an unsigned 32-bit number. Pass a previous result as `initial` to continue
 * a checksum over data split across buffers: crc32c(b, crc32c(a)) === crc32c(concat(a, b)).
 */
export function crc32c(buf: Buffer, initial = 0): number {
  const t = TABLES;
  let crc = ~initial | 0;
  let i = 0;
  const len = buf.length;
  if (LITTLE_ENDIAN && len >= WORDS_FROM_BYTES) {
    // Bytes up to a 4-byte boundary, then eight bytes per step read as two aligned 32-bit words
    // through an Int32Array view (about a third faster than assembling them from single bytes).
    while (((buf.byteOffset + i) & 3) !== 0) {
      crc = t[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
      i++;
    }
    const words = ((len - i) >>> 3) << 1;
    const w = new Int32Array(buf.buffer, buf.byteOffset + i, words);
    for (let j = 0; j < words; j += 2) {
      const lo = crc ^ w[j];
      const hi = w[j + 1];
      crc =
        t[1792 + (lo & 0xff)] ^
        t[1536 + ((lo >>> 8) & 0xff)] ^
        t[1280 + ((lo >>> 16) & 0xff)] ^
        t[1024 + (lo >>> 24)] ^
        t[768 + (hi & 0xff)] ^
        t[512 + ((hi >>> 8) & 0xff)] ^
        t[256 + ((hi >>> 16) & 0xff)] ^
        t[hi >>> 24];
    }
    i += words * 4;
  } else {
    const end8 = len - (len % 8);
    while (i < end8) {
      const lo = crc ^ (buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24));
      crc =
        t[1792 + (lo & 0xff)] ^
        t[1536 + ((lo >>> 8) & 0xff)] ^
        t[1280 + ((lo >>> 16) & 0xff)] ^
        t[1024 + (lo >>> 24)] ^
        t[768 + buf[i + 4]] ^
        t[512 + buf[i + 5]] ^
        t[256 + buf[i + 6]] ^
        t[buf[i + 7]];
      i += 8;
    }
  }
  while (i < len) {
    crc = t[(crc ^ buf[i]) & 0xff] ^ (crc >>> 8);
    i++;
  }
  return ~crc >>> 0;
}
