/**
 * Splits a TCP byte stream into Kafka frames (int32 size, then that many bytes). Chunks are kept
 * as they arrive and joined once per frame, so a large frame is copied once, not once per chunk.
 */
export class FrameTooLargeError extends Error {
  constructor(size: number, max: number, setting: string) {
    super(`frame of ${size} bytes is larger than the ${max}-byte limit (${setting})`);
    this.name = 'FrameTooLargeError';
  }
}

export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private needed = -1;

  /** `setting` names the limit in errors: Kafka's setting of the same meaning. */
  constructor(
    private limit: number,
    private setting = 'socket.request.max.bytes',
  ) {}

  get maxFrameBytes(): number {
    return this.limit;
  }

  /** Lifts the limit (after SASL authentication) for the frames still to come. */
  raiseLimit(maxFrameBytes: number, setting = 'socket.request.max.bytes'): void {
    this.limit = maxFrameBytes;
    this.setting = setting;
  }

  /** Feeds bytes; returns the frames they complete (each without its size prefix). */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    for (;;) {
      if (this.needed < 0) {
        if (this.buffered < 4) break;
        const size = this.peekSize();
        if (size < 0 || size > this.limit) throw new FrameTooLargeError(size, this.limit, this.setting);
        this.needed = size;
      }
      if (this.buffered < 4 + this.needed) break;
      const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.buffered);
      frames.push(all.subarray(4, 4 + this.needed));
      const rest = all.subarray(4 + this.needed);
      this.chunks = rest.length > 0 ? [rest] : [];
      this.buffered = rest.length;
      this.needed = -1;
    }
    return frames;
  }

  private peekSize(): number {
    const first = this.chunks[0];
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.concat(this.chunks, this.buffered).subarray(0, 4);
    return head.readInt32BE(0);
  }
}
