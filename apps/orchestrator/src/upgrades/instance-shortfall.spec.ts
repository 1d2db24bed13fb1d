import { ProblemType } from '@upshift/http';
import { describeVersions, tooFewInstances } from './instance-shortfall';

const base = { tenantId: '550e8400', componentName: 'upshift-gateway', fromVersion: '2.1.0' };

describe('tooFewInstances', () => {
  it('says that no instance is on the from-version any more, and where they all are', () => {
    const problem = tooFewInstances({
      ...base,
      requestedInstances: 20,
      availableInstances: 0,
      versionsOfAll: Array<string>(20).fill('2.2.2'),
    }).toProblem('/x');
    expect(problem.detail).toContain(
      "none of tenant 550e8400's 20 instance(s) of upshift-gateway is on 2.1.0 any more: 20 are on 2.2.2",
    );
    expect(problem.detail).not.toContain('at most 0');
    expect(problem).toMatchObject({
      status: 422,
      type: ProblemType.UNPROCESSABLE,
      availableInstances: 0,
      requestedInstances: 20,
    });
  });

  it('names how many are short and where the others are when some are on the from-version', () => {
    const detail = tooFewInstances({
      ...base,
      requestedInstances: 5,
      availableInstances: 2,
      versionsOfAll: ['2.1.0', '2.2.2', '2.1.0', '2.0.0', '2.2.2'],
    }).toProblem('/x').detail;
    expect(detail).toContain('has only 2 instance(s) of upshift-gateway on 2.1.0; ask for at most 2.');
    expect(detail).toContain('2 are on 2.2.2, 1 is on 2.0.0');
  });

  it('says the tenant has no instance at all when the inventory is empty', () => {
    const detail = tooFewInstances({
      ...base,
      requestedInstances: 1,
      availableInstances: 0,
      versionsOfAll: [],
    }).toProblem('/x').detail;
    expect(detail).toContain('has no instance of upshift-gateway');
  });
});

describe('describeVersions', () => {
  it('puts the most common version first, then orders by version', () => {
    expect(describeVersions(['1.0.0', '2.0.0', '2.0.0', '1.5.0'])).toBe(
      '2 are on 2.0.0, 1 is on 1.0.0, 1 is on 1.5.0',
    );
  });
});
