import { hasSample, parsePrometheusText, sampleSum, seriesNamesOf } from './prometheus-text';

const TEXT = `# HELP upshift_steps_seconds Steps
# TYPE upshift_steps_seconds histogram
upshift_steps_seconds_bucket{le="1",step="DRAIN",service="o"} 2
upshift_steps_seconds_bucket{le="+Inf",step="DRAIN",service="o"} 3
upshift_steps_seconds_count{step="DRAIN",service="o"} 3
upshift_steps_seconds_count{step="UPGRADE",service="o"} 4
# HELP upshift_declared_total Declared, never counted
# TYPE upshift_declared_total counter
upshift_text{note="a \\"quoted\\" value, with a comma"} 1.5e+0
upshift_bare 7 1700000000000
`;

describe('parsePrometheusText', () => {
  const scrape = parsePrometheusText(TEXT);

  it('lists every declared family with its type, sampled or not', () => {
    expect(Object.fromEntries(scrape.families)).toEqual({
      upshift_steps_seconds: 'histogram',
      upshift_declared_total: 'counter',
    });
  });

  it('reads labels (escaped quotes and commas in values), values and timestamps', () => {
    expect(scrape.samples).toContainEqual({
      name: 'upshift_text',
      labels: { note: 'a "quoted" value, with a comma' },
      value: 1.5,
    });
    expect(scrape.samples).toContainEqual({ name: 'upshift_bare', labels: {}, value: 7 });
  });

  it('sums the samples whose labels include the ones asked for', () => {
    expect(sampleSum(scrape, 'upshift_steps_seconds_count')).toBe(7);
    expect(sampleSum(scrape, 'upshift_steps_seconds_count', { step: 'DRAIN' })).toBe(3);
    expect(sampleSum(scrape, 'upshift_steps_seconds_count', { step: 'ROLLBACK' })).toBe(0);
    expect(hasSample(scrape, 'upshift_steps_seconds_bucket', { le: '+Inf' })).toBe(true);
    expect(hasSample(scrape, 'upshift_declared_total')).toBe(false);
  });

  it('refuses a line that is not a sample', () => {
    expect(() => parsePrometheusText('not a sample line at all')).toThrow('not a Prometheus sample line');
  });
});

describe('seriesNamesOf', () => {
  it.each([
    ['histogram', ['x_bucket', 'x_sum', 'x_count']],
    ['summary', ['x', 'x_sum', 'x_count']],
    ['counter', ['x']],
    ['gauge', ['x']],
  ])('a %s', (type, expected) => {
    expect(seriesNamesOf('x', type)).toEqual(expected);
  });
});
