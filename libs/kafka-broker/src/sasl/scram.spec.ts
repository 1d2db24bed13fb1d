import { createHash, createHmac, pbkdf2Sync } from 'crypto';
import { deriveScramCredential, ScramServer, type ScramCredential } from './scram';

/** The client's proof for `clientFinalWithoutProof` (RFC 5802 §3), to build messages the RFC does not list. */
function proofFor(
  password: string,
  serverFirst: string,
  clientFirstBare: string,
  withoutProof: string,
): string {
  const salt = Buffer.from(/s=([^,]+)/.exec(serverFirst)?.[1] ?? '', 'base64');
  const salted = pbkdf2Sync(password, salt, 4096, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const authMessage = `${clientFirstBare},${serverFirst},${withoutProof}`;
  const signature = createHmac('sha256', storedKey).update(authMessage).digest();
  return Buffer.from(clientKey.map((b, i) => b ^ signature[i])).toString('base64');
}

/** RFC 7677 §3: the SCRAM-SHA-256 example exchange for user "user", password "pencil". */
const RFC = {
  clientFirst: 'n,,n=user,r=rOprNGfwEbeRWgbNEkqO',
  serverNonce: '%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0',
  serverFirst: 'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096',
  clientFinal:
    'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
  serverFinal: 'v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=',
};

describe('ScramServer (SCRAM-SHA-256, RFC 7677 example)', () => {
  let credential: ScramCredential;
  let decoy: ScramCredential;

  beforeAll(async () => {
    credential = await deriveScramCredential(
      'SCRAM-SHA-256',
      'pencil',
      Buffer.from('W22ZaJ0SNY7soEsUEjb6gQ==', 'base64'),
      4096,
    );
    decoy = await deriveScramCredential('SCRAM-SHA-256', 'not-the-password');
  });

  const server = (): ScramServer =>
    new ScramServer({
      mechanism: 'SCRAM-SHA-256',
      lookup: (user) => (user === 'user' ? credential : undefined),
      decoy: () => decoy,
      serverNonce: () => RFC.serverNonce,
    });
  const step = (s: ScramServer, message: string) => s.step(Buffer.from(message, 'utf8'));
  const text = (b: Buffer) => b.toString('utf8');

  it('answers the RFC exchange byte for byte and authenticates the user', () => {
    const s = server();
    const first = step(s, RFC.clientFirst);
    expect(first.kind).toBe('continue');
    expect(first.kind === 'continue' && text(first.response)).toBe(RFC.serverFirst);
    const final = step(s, RFC.clientFinal);
    expect(final).toEqual({ kind: 'done', principal: 'user', response: Buffer.from(RFC.serverFinal) });
  });

  it('refuses a proof that does not match the stored key', () => {
    const s = server();
    step(s, RFC.clientFirst);
    const tampered = RFC.clientFinal.replace('p=dHzb', 'p=dHzc');
    expect(step(s, tampered)).toEqual({ kind: 'failed', reason: 'invalid credentials' });
  });

  it('refuses a client-final whose nonce is not client nonce + server nonce', () => {
    const s = server();
    step(s, RFC.clientFirst);
    expect(step(s, RFC.clientFinal.replace('hNlF$k0', 'hNlF$k1'))).toEqual({
      kind: 'failed',
      reason: 'nonce mismatch',
    });
  });

  it("accepts librdkafka's echo of the client nonce before the combined nonce, and no other prefix", () => {
    const clientNonce = 'rOprNGfwEbeRWgbNEkqO';
    const combined = `${clientNonce}${RFC.serverNonce}`;
    const finalWith = (echoed: string): string => {
      const withoutProof = `c=biws,r=${echoed}`;
      return `${withoutProof},p=${proofFor('pencil', RFC.serverFirst, `n=user,r=${clientNonce}`, withoutProof)}`;
    };
    const doubled = server();
    step(doubled, RFC.clientFirst);
    expect(step(doubled, finalWith(clientNonce + combined)).kind).toBe('done');

    const prefixed = server();
    step(prefixed, RFC.clientFirst);
    expect(step(prefixed, finalWith(`x${combined}`))).toEqual({ kind: 'failed', reason: 'nonce mismatch' });
  });

  it('refuses channel-binding data that differs from the gs2 header', () => {
    const s = server();
    step(s, RFC.clientFirst);
    const other = Buffer.from('y,,').toString('base64');
    expect(step(s, RFC.clientFinal.replace('c=biws', `c=${other}`)).kind).toBe('failed');
  });

  it('runs an unknown user to the proof check with a decoy salt, then refuses', () => {
    const s = server();
    const first = step(s, 'n,,n=mallory,r=rOprNGfwEbeRWgbNEkqO');
    expect(first.kind === 'continue' && text(first.response)).toBe(
      `r=rOprNGfwEbeRWgbNEkqO${RFC.serverNonce},s=${decoy.salt.toString('base64')},i=4096`,
    );
    expect(step(s, RFC.clientFinal).kind).toBe('failed');
  });

  it.each([
    ['channel binding (p=)', 'p=tls-unique,,n=user,r=abc'],
    ['another authorization id', 'n,a=admin,n=user,r=abc'],
    ['a malformed user name escape', 'n,,n=us=er,r=abc'],
    ['a nonce with a non-printable character', 'n,,n=user,r=ab\x01c'],
    ['mandatory extensions', 'n,,m=ext,n=user,r=abc'],
    ['delegation tokens', 'n,,n=user,r=abc,tokenauth=true'],
    ['no nonce', 'n,,n=user'],
  ])('refuses a client-first message with %s', (_what, message) => {
    expect(step(server(), message).kind).toBe('failed');
  });

  it('accepts an authorization id equal to the user and escaped names', async () => {
    const s = new ScramServer({
      mechanism: 'SCRAM-SHA-256',
      lookup: (user) => (user === 'a,b=c' ? credential : undefined),
      decoy: () => decoy,
    });
    expect(step(s, 'n,a=a=2Cb=3Dc,n=a=2Cb=3Dc,r=abc').kind).toBe('continue');
  });

  it('refuses any step after the exchange ended', () => {
    const s = server();
    step(s, RFC.clientFirst);
    step(s, RFC.clientFinal);
    expect(step(s, RFC.clientFinal).kind).toBe('failed');
  });
});
