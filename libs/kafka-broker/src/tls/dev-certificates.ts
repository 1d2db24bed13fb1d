import { execFileSync } from 'child_process';
import { writeFileSync } from 'fs';
import * as path from 'path';

export interface DevCertificates {
  /** The CA certificate clients trust (KAFKA_CA_FILE, librdkafka's ssl.ca.location). */
  caFile: string;
  /** The broker's certificate, signed by the CA, for 127.0.0.1 and localhost (--tls-cert). */
  certFile: string;
  /** Its unencrypted private key (--tls-key). */
  keyFile: string;
}

/**
 * A throw-away CA and a broker certificate signed by it, made with the `openssl` CLI into `dir`, for
 * tests and the local stack. A separate CA (not a self-signed leaf) is what clients see against a real
 * cluster, and librdkafka and Node both check the subject alternative names, so 127.0.0.1 and localhost
 * are in them. Valid for two days; EC P-256 keeps generation fast.
 */
export function createDevCertificates(dir: string): DevCertificates {
  const file = (name: string): string => path.join(dir, name);
  const openssl = (args: string[]): void => {
    try {
      execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: Buffer };
      if (e.code === 'ENOENT') throw new Error('openssl is not installed: apt-get install -y openssl');
      throw new Error(`openssl ${args[0]} failed: ${e.stderr?.toString().trim() ?? e.message}`);
    }
  };
  const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl([
    'req',
    '-x509',
    ...ecKey,
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
    '-days',
    '2',
    '-subj',
    '/CN=Upshift dev CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  openssl([
    'req',
    ...ecKey,
    '-keyout',
    file('broker.key'),
    '-out',
    file('broker.csr'),
    '-subj',
    '/CN=localhost',
  ]);
  writeFileSync(
    file('broker.ext'),
    [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature,keyEncipherment',
      'extendedKeyUsage=serverAuth',
    ].join('\n') + '\n',
  );
  openssl([
    'x509',
    '-req',
    '-in',
    file('broker.csr'),
    '-CA',
    file('ca.pem'),
    '-CAkey',
    file('ca.key'),
    '-set_serial',
    String(Date.now()),
    '-days',
    '2',
    '-extfile',
    file('broker.ext'),
    '-out',
    file('broker.pem'),
  ]);
  return { caFile: file('ca.pem'), certFile: file('broker.pem'), keyFile: file('broker.key') };
}
