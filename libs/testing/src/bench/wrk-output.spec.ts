import { parseWrkOutput } from './wrk-output';

// Captured from `wrk -t2 -c32 -d3s --latency` against the floor server on a 2-core machine.
const CLEAN_RUN = `Running 3s test @ http://127.0.0.1:39871/
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.15ms    2.83ms  62.64ms   97.06%
    Req/Sec    19.99k     5.40k   24.46k    90.00%
  Latency Distribution
     50%  690.00us
     75%  822.00us
     90%    1.30ms
     99%    9.15ms
  119319 requests in 3.01s, 21.39MB read
Requests/sec:  39641.77
Transfer/sec:      7.11MB
`;

// The same report shape with the lines wrk adds when answers fail, and seconds-scale latencies.
const FAILING_RUN = `Running 10s test @ http://127.0.0.1:8084/api/v1/registry/upgrades/x
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20s   300.00ms   1.90s    70.00%
    Req/Sec    12.00      5.00     20.00     60.00%
  Latency Distribution
     50%    1.10s
     75%    1.40s
     90%    1.70s
     99%    1.89s
  240 requests in 10.02s, 96.00KB read
  Socket errors: connect 0, read 3, write 0, timeout 7
  Non-2xx or 3xx responses: 240
Requests/sec:     23.95
Transfer/sec:      9.58KB
`;

describe('parseWrkOutput', () => {
  it('reads throughput, totals and the latency distribution of a clean run, in milliseconds', () => {
    expect(parseWrkOutput(CLEAN_RUN)).toEqual({
      requestsPerSec: 39641.77,
      requests: 119319,
      durationSeconds: 3.01,
      latencyMs: { p50: 0.69, p75: 0.822, p90: 1.3, p99: 9.15 },
      non2xx: 0,
      socketErrors: { connect: 0, read: 0, write: 0, timeout: 0 },
    });
  });

  it('reads non-2xx answers, socket errors and latencies in seconds', () => {
    const figures = parseWrkOutput(FAILING_RUN);
    expect(figures.non2xx).toBe(240);
    expect(figures.socketErrors).toEqual({ connect: 0, read: 3, write: 0, timeout: 7 });
    expect(figures.latencyMs.p50).toBe(1100);
    expect(figures.latencyMs.p99).toBe(1890);
    expect(figures.requestsPerSec).toBe(23.95);
  });

  it('refuses output without a latency distribution (wrk run without --latency)', () => {
    const withoutDistribution = CLEAN_RUN.replace(/ {2}Latency Distribution[\s\S]*?99%\s+\S+\n/, '');
    expect(() => parseWrkOutput(withoutDistribution)).toThrow(/50% latency/);
  });

  it('refuses the output of a run that never connected', () => {
    expect(() => parseWrkOutput('unable to connect to 127.0.0.1:1 Connection refused\n')).toThrow(
      /wrk output has no/,
    );
  });
});
