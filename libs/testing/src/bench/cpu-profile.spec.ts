import { codeArea, selfTime, type CpuProfile } from './cpu-profile';

// A hand-made profile: samples every 100 µs from t=1000 µs, in three functions and idle.
const PROFILE: CpuProfile = {
  nodes: [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
    { id: 2, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
    {
      id: 3,
      callFrame: {
        functionName: 'loggingMiddleware',
        url: 'file:///r/node_modules/pino-http/logger.js',
        lineNumber: 137,
      },
    },
    {
      id: 4,
      callFrame: {
        functionName: 'canActivate',
        url: 'file:///r/libs/http/src/auth/auth.guard.ts',
        lineNumber: 54,
      },
    },
    { id: 5, callFrame: { functionName: 'writev', url: '', lineNumber: -1 } },
  ],
  startTime: 1000,
  endTime: 2000,
  samples: [3, 3, 4, 2, 5, 3, 4, 4, 2, 3],
  timeDeltas: [0, 100, 100, 100, 100, 100, 100, 100, 100, 100],
};

describe('selfTime', () => {
  it('charges each sample the time to the next one and leaves idle out of the busy time', () => {
    const report = selfTime(PROFILE);
    // Ten samples, the last has no successor (0 µs), two are idle: 7 busy × 100 µs.
    expect(report.busyMs).toBe(1);
    expect(report.functions.map((row) => [row.name, row.ms])).toEqual([
      ['loggingMiddleware (node_modules/pino-http/logger.js:138)', 0.3],
      ['canActivate (libs/http/src/auth/auth.guard.ts:55)', 0.3],
      ['writev', 0.1],
    ]);
    expect(report.areas.map((row) => row.name)).toEqual(['pino-http', 'libs/http', '(native)']);
  });

  it('keeps only the samples inside the window', () => {
    // Samples at 1400…1700 µs: writev, loggingMiddleware, canActivate, canActivate.
    const report = selfTime(PROFILE, { fromUs: 1400, toUs: 1700 });
    expect(report.windowMs).toBe(0);
    expect(report.functions.map((row) => [row.name, row.ms])).toEqual([
      ['canActivate (libs/http/src/auth/auth.guard.ts:55)', 0.2],
      ['writev', 0.1],
      ['loggingMiddleware (node_modules/pino-http/logger.js:138)', 0.1],
    ]);
    expect(report.functions[0]?.share).toBeCloseTo(0.5);
  });
});

describe('codeArea', () => {
  it('names npm packages (scoped too), the repository part, node internals and V8 pseudo-frames', () => {
    expect(codeArea('file:///r/node_modules/@nestjs/core/router/x.js', 'f')).toBe('@nestjs/core');
    expect(codeArea('file:///r/apps/orchestrator/src/proxy/registry-proxy.ts', 'f')).toBe(
      'apps/orchestrator',
    );
    expect(codeArea('node:_http_server', 'f')).toBe('node');
    expect(codeArea('', '(garbage collector)')).toBe('(garbage collector)');
    expect(codeArea('', 'writev')).toBe('(native)');
  });
});
