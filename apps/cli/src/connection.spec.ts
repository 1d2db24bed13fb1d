import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DEFAULT_URL, resolveConnection, tokenTenants } from './connection';
import { UsageError } from './errors';

describe('resolveConnection', () => {
  let home: string;

  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'upshift-profile-'));
  });

  afterEach(() => {
    fs.rmSync(home, { recursive: true, force: true });
  });

  const profile = (content: string) => {
    fs.mkdirSync(path.join(home, 'upshift'));
    fs.writeFileSync(path.join(home, 'upshift', 'config.json'), content);
  };

  it('defaults to the local stack without a token', () => {
    expect(resolveConnection({}, { XDG_CONFIG_HOME: home })).toEqual({ url: DEFAULT_URL, token: null });
  });

  it('takes flags over the environment over the profile, each for itself', () => {
    profile(JSON.stringify({ url: 'http://profile:1', token: 'from-profile' }));
    expect(resolveConnection({}, { XDG_CONFIG_HOME: home })).toEqual({
      url: 'http://profile:1',
      token: 'from-profile',
    });
    const env = { XDG_CONFIG_HOME: home, UPSHIFT_URL: 'http://env:2/', UPSHIFT_TOKEN: 'from-env' };
    expect(resolveConnection({}, env)).toEqual({ url: 'http://env:2', token: 'from-env' });
    expect(resolveConnection({ url: 'http://flag:3' }, env)).toEqual({
      url: 'http://flag:3',
      token: 'from-env',
    });
  });

  it('names what is wrong: a profile that is not JSON, a URL that is not one', () => {
    expect(() => resolveConnection({ url: 'not a url' }, { XDG_CONFIG_HOME: home })).toThrow(
      new UsageError('--url', '"not a url" is not a URL'),
    );
    profile('{ url: ');
    expect(() => resolveConnection({}, { XDG_CONFIG_HOME: home })).toThrow(UsageError);
  });
});

describe('tokenTenants', () => {
  const token = (claims: unknown) =>
    ['e30', Buffer.from(JSON.stringify(claims)).toString('base64url'), 'sig'].join('.');

  it("reads the token's tenants without verifying it, and nothing from what is not a JWT", () => {
    expect(tokenTenants(token({ tenants: ['550e8400'], roles: ['operator'] }))).toEqual(['550e8400']);
    expect(tokenTenants(token({ tenants: ['*'] }))).toEqual(['*']);
    expect(tokenTenants('opaque')).toEqual([]);
    expect(tokenTenants(null)).toEqual([]);
  });
});
