/**
 * A bounds-checked cursor over one request body. Every read that would run past the end throws
 * {@link MalformedFrameError}, which the connection answers by closing itself (never the broker).
 */
export class MalformedFrameError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedFrameError';
  }
}

export class Reader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
    readonly end = buf.length,
  ) {}

  remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    const at = this.pos;
    if (n < 0 || at + n > this.end) {
      throw new MalformedFrameError(
        `frame too short: wanted ${n} bytes at offset ${at}, ${this.end - at} left`,
      );
    }
    this.pos = at + n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1));
  }
  bool(): boolean {
    return this.buf[this.need(1)] !== 0;
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }
  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8));
  }
  float64(): number {
    return this.buf.readDoubleBE(this.need(8));
  }

  /** Unsigned LEB128 as used by compact lengths and tagged fields (at most 5 bytes for 32 bits). */
  uvarint(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.buf[this.need(1)];
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
    }
    throw new MalformedFrameError('varint longer than 5 bytes');
  }

  /** Zig-zag signed varint (record fields). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }

  varlong(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.buf[this.need(1)];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
    }
    throw new MalformedFrameError('varlong longer than 10 bytes');
  }

  private text(len: number): string {
    const at = this.need(len);
    return this.buf.toString('utf8', at, at + len);
  }

  /** int16-prefixed string; null when the length is -1. */
  nullableString(): string | null {
    const len = this.int16();
    return len < 0 ? null : this.text(len);
  }
  /** uvarint(length + 1)-prefixed string; null when the prefix is 0. */
  compactNullableString(): string | null {
    const len = this.uvarint() - 1;
    return len < 0 ? null : this.text(len);
  }

  /** A view into the frame (no copy): valid as long as the frame buffer is. */
  slice(len: number): Buffer {
    const at = this.need(len);
    return this.buf.subarray(at, at + len);
  }
  nullableBytes(): Buffer | null {
    const len = this.int32();
    return len < 0 ? null : this.slice(len);
  }
  compactNullableBytes(): Buffer | null {
    const len = this.uvarint() - 1;
    return len < 0 ? null : this.slice(len);
  }

  uuid(): Buffer {
    return Buffer.from(this.slice(16));
  }

  /** Tagged fields we do not interpret are skipped, as the protocol requires of unknown tags. */
  skipTaggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      this.need(this.uvarint());
    }
  }
}
