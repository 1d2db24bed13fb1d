import {
  checkAgentAddress,
  checkAgentUrl,
  DEFAULT_AGENT_URL_ALLOW,
  parseAgentUrlAllowList,
} from './agent-url-policy';

const defaults = parseAgentUrlAllowList(DEFAULT_AGENT_URL_ALLOW);
const kind = (url: string, policy = defaults) => checkAgentUrl(url, policy).kind;

describe('agent URL policy', () => {
  it('allows loopback and private addresses by default', () => {
    for (const url of [
      'http://127.0.0.1:8090/i/sim-0001',
      'http://127.8.9.10/',
      'http://[::1]:7070',
      'http://10.0.3.17:7070',
      'https://172.16.0.1/',
      'http://172.31.255.255/',
      'http://192.168.1.20/',
      'http://[fd12:3456::1]/',
    ])
      expect([url, kind(url)]).toEqual([url, 'allowed']);
  });

  it('refuses public addresses by default', () => {
    for (const url of ['http://8.8.8.8/', 'http://172.32.0.1/', 'http://[2001:db8::1]/', 'http://0.0.0.0/'])
      expect([url, kind(url)]).toEqual([url, 'refused']);
  });

  it('refuses link-local and metadata addresses in every spelling', () => {
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'http://2852039166/', // decimal
      'http://0xa9fea9fe/', // hex
      'http://0xa9.0xfe.0xa9.0xfe/', // hex parts
      'http://0251.0376.0251.0376/', // octal parts
      'http://169.254.169.254./', // trailing dot
      'http://[::ffff:169.254.169.254]/', // IPv4-mapped IPv6
      'http://[::ffff:a9fe:a9fe]/',
      'http://[64:ff9b::169.254.169.254]/', // NAT64
      'http://[fe80::1]/',
      'http://[fd00:ec2::254]/', // inside fc00::/7, refused anyway
      'http://metadata/computeMetadata/v1/',
      'http://metadata.google.internal/',
      'http://METADATA.google.internal./',
    ])
      expect([url, kind(url)]).toEqual([url, 'refused']);
  });

  it('refuses metadata addresses even when the allow list covers everything', () => {
    const everything = parseAgentUrlAllowList('0.0.0.0/0,::/0,*');
    expect(kind('http://8.8.8.8/', everything)).toBe('allowed');
    expect(kind('http://169.254.169.254/', everything)).toBe('refused');
    expect(kind('http://[::ffff:169.254.169.254]/', everything)).toBe('refused');
    expect(kind('http://[fd00:ec2::254]/', everything)).toBe('refused');
    expect(kind('http://metadata.google.internal/', everything)).toBe('refused');
    expect(checkAgentAddress('169.254.169.254', everything, true)).toEqual({
      allowed: false,
      why: 'a link-local or cloud metadata address',
    });
  });

  it('judges an IPv4-mapped address as the IPv4 address it reaches', () => {
    expect(kind('http://[::ffff:10.0.0.5]/')).toBe('allowed');
    expect(kind('http://[::ffff:8.8.8.8]/')).toBe('refused');
  });

  it('leaves host names to their resolved addresses, unless a host pattern allows the name', () => {
    const policy = parseAgentUrlAllowList('10.0.0.0/8, *.fleet.internal ,localhost');
    expect(checkAgentUrl('http://node-1.fleet.internal:7070/', policy)).toEqual({
      kind: 'resolve',
      host: 'node-1.fleet.internal',
      nameAllowed: true,
    });
    expect(checkAgentUrl('http://NODE-1.Fleet.Internal./', policy)).toMatchObject({ nameAllowed: true });
    expect(checkAgentUrl('http://fleet.internal/', policy)).toMatchObject({ nameAllowed: false });
    expect(checkAgentUrl('http://evilfleet.internal/', policy)).toMatchObject({ nameAllowed: false });
    expect(checkAgentUrl('http://localhost:8090/', policy)).toMatchObject({ nameAllowed: true });
    expect(checkAgentUrl('http://example.com/', policy)).toMatchObject({
      kind: 'resolve',
      nameAllowed: false,
    });
  });

  it('checks resolved addresses against the ranges, or only against the refused ones for allowed names', () => {
    const policy = parseAgentUrlAllowList('10.0.0.0/8,*.fleet.internal');
    expect(checkAgentAddress('10.1.2.3', policy).allowed).toBe(true);
    expect(checkAgentAddress('52.1.2.3', policy).allowed).toBe(false);
    expect(checkAgentAddress('52.1.2.3', policy, true).allowed).toBe(true);
    expect(checkAgentAddress('169.254.169.254', policy, true).allowed).toBe(false);
    expect(checkAgentAddress('fe80::1%eth0', policy, true).allowed).toBe(false);
    expect(checkAgentAddress('not-an-ip', policy).allowed).toBe(false);
  });

  it('refuses other schemes, credentials and non-URLs', () => {
    expect(kind('ftp://10.0.0.1/')).toBe('refused');
    expect(kind('file:///etc/passwd')).toBe('refused');
    expect(kind('http://user:secret@10.0.0.1/')).toBe('refused');
    expect(kind('not a url')).toBe('refused');
  });

  it('applies CIDR prefixes bit by bit', () => {
    const policy = parseAgentUrlAllowList('192.168.4.0/22,2001:db8:8000::/33');
    expect(kind('http://192.168.7.255/', policy)).toBe('allowed');
    expect(kind('http://192.168.8.0/', policy)).toBe('refused');
    expect(kind('http://192.168.3.255/', policy)).toBe('refused');
    expect(kind('http://[2001:db8:8000::1]/', policy)).toBe('allowed');
    expect(kind('http://[2001:db8:7fff::1]/', policy)).toBe('refused');
    expect(kind('http://10.0.0.1/', policy)).toBe('refused');
  });

  it('names the bad entry of AGENT_URL_ALLOW by position, without echoing it', () => {
    expect(() => parseAgentUrlAllowList('10.0.0.0/8,10.0.0.0/33')).toThrow(
      /^AGENT_URL_ALLOW: entry 2 is neither a CIDR/,
    );
    expect(() => parseAgentUrlAllowList('10.0.0.0/8,,localhost')).toThrow(
      'AGENT_URL_ALLOW: entry 2 is empty',
    );
    expect(() => parseAgentUrlAllowList('http://x.example')).toThrow(/entry 1/);
    expect(() => parseAgentUrlAllowList('*.ex*ample.com')).not.toThrow(/example/);
  });
});
