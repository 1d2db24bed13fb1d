/**
 * Encodes one response frame. Small fields go into a growing scratch buffer; large byte fields
 * (record batches read from the log) are kept by reference as separate chunks, so a Fetch response
 * is written to the socket without copying its records.
 */
const BY_REFERENCE_THRESHOLD = 1024;

export class Writer {
  private buf: Buffer;
  private pos: number;
  private chunkStart = 0;
  private readonly chunks: Buffer[] = [];
  private length = 0;

  constructor(initialSize = 256) {
    this.buf = Buffer.allocUnsafe(initialSize);
    this.pos = 0;
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    // Keep what was already written in place (earlier chunks may be views into it) and continue in a
    // fresh buffer: the unfinished chunk moves over.
    const pending = this.buf.subarray(this.chunkStart, this.pos);
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, pending.length + n + 256));
    pending.copy(next, 0);
    this.buf = next;
    this.pos = pending.length;
    this.chunkStart = 0;
  }

  int8(v: number): this {
    this.ensure(1);
    this.buf.writeInt8(v, this.pos);
    this.pos += 1;
    return this;
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  int16(v: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  uint16(v: number): this {
    this.ensure(2);
    this.buf.writeUInt16BE(v, this.pos);
    this.pos += 2;
    return this;
  }
  int32(v: number): this {
    this.ensure(4);
    this.buf.writeInt32BE(v, this.pos);
    this.pos += 4;
    return this;
  }
  uint32(v: number): this {
    this.ensure(4);
    this.buf.writeUInt32BE(v >>> 0, this.pos);
    this.pos += 4;
    return this;
  }
  int64(v: bigint): this {
    this.ensure(8);
    this.buf.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    return this;
  }
  float64(v: number): this {
    this.ensure(8);
    this.buf.writeDoubleBE(v, this.pos);
    this.pos += 8;
    return this;
  }
  uvarint(v: number): this {
    this.ensure(5);
    let n = v >>> 0;
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.pos++] = n;
    return this;
  }
  varint(v: number): this {
    return this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }
  varlong(v: bigint): this {
    this.ensure(10);
    let n = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    while (n >= 0x80n) {
      this.buf[this.pos++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.buf[this.pos++] = Number(n);
    return this;
  }

  private text(s: string, len: number): void {
    this.ensure(len);
    this.buf.write(s, this.pos, len, 'utf8');
    this.pos += len;
  }
  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    const len = Buffer.byteLength(s);
    this.int16(len);
    this.text(s, len);
    return this;
  }
  compactNullableString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    const len = Buffer.byteLength(s);
    this.uvarint(len + 1);
    this.text(s, len);
    return this;
  }

  raw(b: Buffer): this {
    if (b.length >= BY_REFERENCE_THRESHOLD) {
      this.flushChunk();
      this.chunks.push(b);
      this.length += b.length;
      return this;
    }
    this.ensure(b.length);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    return this;
  }
  nullableBytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1);
    return this.int32(b.length).raw(b);
  }
  compactNullableBytes(b: Buffer | null): this {
    if (b === null) return this.uvarint(0);
    return this.uvarint(b.length + 1).raw(b);
  }
  uuid(b: Buffer): this {
    return this.raw(b.length === 16 ? b : Buffer.alloc(16));
  }
  emptyTaggedFields(): this {
    return this.uvarint(0);
  }

  private flushChunk(): void {
    if (this.pos > this.chunkStart) {
      this.chunks.push(this.buf.subarray(this.chunkStart, this.pos));
      this.length += this.pos - this.chunkStart;
      this.chunkStart = this.pos;
    }
  }

  /** Everything written so far, as chunks to write in order. */
  finish(): { chunks: Buffer[]; length: number } {
    this.flushChunk();
    return { chunks: this.chunks, length: this.length };
  }

  /** Everything written so far as one buffer (tests and small messages). */
  toBuffer(): Buffer {
    const { chunks, length } = this.finish();
    return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
  }
}
