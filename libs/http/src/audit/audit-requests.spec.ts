import type { AuthenticatedRequest } from '../auth/access';
import { auditRecordFor } from './audit-requests';

const request = (overrides: Partial<AuthenticatedRequest>): AuthenticatedRequest =>
  ({ method: 'GET', originalUrl: '/', url: '/', ip: '127.0.0.1', ...overrides }) as AuthenticatedRequest;

describe('auditRecordFor', () => {
  it('keeps a record of a refused request whose path and target carry NUL, which Postgres text refuses', () => {
    const record = auditRecordFor(
      request({
        originalUrl: '/api/v1/registry/components/\u0000/versions?limit=5',
        auditContext: {
          action: 'GET /components/:componentId/versions',
          tenantId: null,
          targetId: '\u0000x',
        },
      }),
      401,
      'r-1',
      { service: 'registry' },
    );
    expect(record).toMatchObject({
      path: '/api/v1/registry/components/\uFFFD/versions',
      targetId: '\uFFFDx',
    });
    expect(JSON.stringify(record)).not.toContain('\\u0000');
  });

  it('records mutating and refused requests only', () => {
    const get = request({ method: 'GET', originalUrl: '/api/v1/registry/components' });
    expect(auditRecordFor(get, 200, 'r-2', { service: 'registry' })).toBeNull();
    expect(auditRecordFor(get, 403, 'r-3', { service: 'registry' })).toMatchObject({ status: 403 });
    const post = request({ method: 'POST', originalUrl: '/api/v1/registry/components' });
    expect(auditRecordFor(post, 201, 'r-4', { service: 'registry' })).toMatchObject({ method: 'POST' });
  });
});
