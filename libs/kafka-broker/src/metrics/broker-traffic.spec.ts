import { buildRecordBatch } from '../protocol/record-batch';
import { BrokerTraffic, countRecords } from './broker-traffic';
import { metricsPortFrom } from './metrics-options';

const batch = (n: number) =>
  buildRecordBatch(Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `value ${i}` })));

describe('countRecords', () => {
  it.each([
    ['one batch of one record', [1], 1],
    ['one batch of five', [5], 5],
    ['three batches back to back, as a fetch returns them', [2, 3, 4], 9],
  ])('%s', (_, sizes, expected) => {
    expect(countRecords(Buffer.concat(sizes.map(batch)))).toBe(expected);
  });

  it('counts nothing in an empty answer', () => {
    expect(countRecords(Buffer.alloc(0))).toBe(0);
  });

  it('stops at a batch cut short (a fetch limit inside a batch), counting the whole ones before it', () => {
    const whole = batch(2);
    const cut = batch(3).subarray(0, 70);
    expect(countRecords(Buffer.concat([whole, cut]))).toBe(2);
  });
});

describe('BrokerTraffic', () => {
  it('adds up messages and bytes per topic and direction', () => {
    const traffic = new BrokerTraffic();
    traffic.produced('a', 2, 100);
    traffic.produced('a', 3, 50);
    traffic.produced('b', 1, 10);
    const records = Buffer.concat([batch(2), batch(1)]);
    traffic.fetched('a', records);
    traffic.fetched('b', Buffer.alloc(0));
    expect(Object.fromEntries(traffic.in)).toEqual({
      a: { messages: 5, bytes: 150 },
      b: { messages: 1, bytes: 10 },
    });
    expect(Object.fromEntries(traffic.out)).toEqual({ a: { messages: 3, bytes: records.length } });
  });
});

describe('metricsPortFrom', () => {
  it.each([
    ['no flag, no variable: no metrics server', undefined, {}, null],
    ['the flag', '9404', {}, 9404],
    ['the variable', undefined, { BROKER_METRICS_PORT: '9405' }, 9405],
    ['the flag wins over the variable', '0', { BROKER_METRICS_PORT: '9405' }, 0],
    ['an empty variable counts as unset', undefined, { BROKER_METRICS_PORT: '' }, null],
  ])('%s', (_, flag, env, expected) => {
    expect(metricsPortFrom(flag, env)).toBe(expected);
  });

  it.each([
    ['--metrics-port', 'abc', {}],
    ['--metrics-port', '70000', {}],
    ['BROKER_METRICS_PORT', undefined, { BROKER_METRICS_PORT: '-1' }],
  ])('refuses a bad %s naming it', (name, flag, env) => {
    expect(() => metricsPortFrom(flag, env)).toThrow(name);
  });
});
