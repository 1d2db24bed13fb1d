import { canSeeTenant, hasRole, tenantFilter } from './principal';
import type { Principal, Role } from './principal';
import { parseDuration } from './token-minter';

const as = (roles: Role[], tenants: Principal['tenants'] = ['t1']): Principal => ({
  sub: 's',
  tenants,
  roles,
});

describe('principal', () => {
  it.each([
    [['viewer'], 'viewer', true],
    [['viewer'], 'operator', false],
    [['operator'], 'viewer', true],
    [['operator'], 'admin', false],
    [['admin'], 'operator', true],
    [['viewer', 'admin'], 'admin', true],
  ] as [Role[], Role, boolean][])('roles %j meet %s: %s', (roles, needed, expected) => {
    expect(hasRole(as(roles), needed)).toBe(expected);
  });

  it('sees its own tenants only, or every tenant with "*"', () => {
    expect(canSeeTenant(as(['viewer'], ['t1', 't2']), 't2')).toBe(true);
    expect(canSeeTenant(as(['admin'], ['t1']), 't3')).toBe(false);
    expect(canSeeTenant(as(['viewer'], '*'), 'anything')).toBe(true);
    expect(tenantFilter(as(['viewer'], '*'))).toBeNull();
    expect(tenantFilter(as(['viewer'], ['t1']))).toEqual(['t1']);
  });
});

describe('parseDuration', () => {
  it.each([
    ['90', 90],
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604_800],
    ['0s', null],
    ['1w', null],
    ['abc', null],
  ])('%s → %s', (text, seconds) => {
    expect(parseDuration(text)).toBe(seconds);
  });
});
