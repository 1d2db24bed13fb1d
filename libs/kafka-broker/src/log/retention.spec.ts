import { type RetentionSegment, segmentsToDelete } from './retention';

const NOW = 1_000_000;
const seg = (size: number, ageMs: number): RetentionSegment => ({ size, newestTimestampMs: NOW - ageMs });

describe('segmentsToDelete', () => {
  it.each<[string, RetentionSegment[], { retentionMs: number; retentionBytes: number }, number]>([
    [
      'keeps everything when both rules are off',
      [seg(100, 9e9), seg(100, 9e9)],
      { retentionMs: -1, retentionBytes: -1 },
      0,
    ],
    [
      'deletes segments whose newest record is past retention.ms',
      [seg(1, 500), seg(1, 400), seg(1, 10)],
      { retentionMs: 100, retentionBytes: -1 },
      2,
    ],
    [
      'stops at the first segment it must keep, even if a later one is older',
      [seg(1, 500), seg(1, 10), seg(1, 500)],
      { retentionMs: 100, retentionBytes: -1 },
      1,
    ],
    [
      'keeps a segment exactly at the retention age',
      [seg(1, 100), seg(1, 0)],
      { retentionMs: 100, retentionBytes: -1 },
      0,
    ],
    [
      'deletes the oldest segments while the rest is still at least retention.bytes',
      [seg(100, 0), seg(100, 0), seg(100, 0), seg(50, 0)],
      { retentionMs: -1, retentionBytes: 150 },
      2,
    ],
    [
      'does not cut below retention.bytes',
      [seg(100, 0), seg(100, 0)],
      { retentionMs: -1, retentionBytes: 150 },
      0,
    ],
    [
      'takes whichever rule deletes more',
      [seg(10, 500), seg(10, 0), seg(10, 0)],
      { retentionMs: 100, retentionBytes: 10 },
      2,
    ],
    [
      'deletes an expired active segment (the log rolls first)',
      [seg(10, 500), seg(10, 500)],
      { retentionMs: 100, retentionBytes: -1 },
      2,
    ],
    [
      'never deletes an empty active segment',
      [seg(10, 500), seg(0, 500)],
      { retentionMs: 100, retentionBytes: -1 },
      1,
    ],
    [
      'deletes everything down to retention.bytes = 0 except an empty active segment',
      [seg(10, 0), seg(0, 0)],
      { retentionMs: -1, retentionBytes: 0 },
      1,
    ],
  ])('%s', (_rule, segments, config, expected) => {
    expect(segmentsToDelete(segments, config, NOW)).toBe(expected);
  });
});
