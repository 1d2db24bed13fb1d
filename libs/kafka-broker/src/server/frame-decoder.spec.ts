import fc from 'fast-check';
import { FrameDecoder, FrameTooLargeError } from './frame-decoder';

const frame = (payload: Buffer): Buffer => {
  const size = Buffer.alloc(4);
  size.writeInt32BE(payload.length);
  return Buffer.concat([size, payload]);
};

describe('FrameDecoder', () => {
  it('yields the same frames however the stream is cut into chunks', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 10 }),
        fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 1 }),
        (payloads, cuts) => {
          const stream = Buffer.concat(payloads.map((p) => frame(Buffer.from(p))));
          const decoder = new FrameDecoder(1024);
          const out: Buffer[] = [];
          let at = 0;
          let i = 0;
          while (at < stream.length) {
            const n = cuts[i++ % cuts.length];
            out.push(...decoder.push(stream.subarray(at, at + n)));
            at += n;
          }
          expect(out.map((b) => Buffer.from(b))).toEqual(payloads.map((p) => Buffer.from(p)));
        },
      ),
    );
  });

  it('refuses a frame over the limit as soon as its size is known', () => {
    const decoder = new FrameDecoder(100);
    expect(() => decoder.push(Buffer.from([0, 0, 0, 101]))).toThrow(FrameTooLargeError);
    expect(() => new FrameDecoder(100).push(Buffer.from([0xff, 0xff, 0xff, 0xff]))).toThrow(
      FrameTooLargeError,
    );
  });

  it('names the limit it applies, and takes larger frames once the limit is raised', () => {
    const frame = Buffer.from([0, 0, 0, 150, ...Buffer.alloc(150)]);
    const preAuth = new FrameDecoder(100, 'sasl.server.max.receive.size');
    expect(() => preAuth.push(frame)).toThrow(
      /150 bytes .* 100-byte limit \(sasl\.server\.max\.receive\.size\)/,
    );

    const raised = new FrameDecoder(100, 'sasl.server.max.receive.size');
    raised.raiseLimit(1000);
    expect(raised.maxFrameBytes).toBe(1000);
    expect(raised.push(frame).map((f) => f.length)).toEqual([150]);
  });
});
