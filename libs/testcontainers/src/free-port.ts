import { createServer } from 'net';

/**
 * A host port nobody listens on right now. The broker's host listener must advertise its address
 * before the container starts, so its port is chosen here and bound fixed, not mapped at random.
 */
export function freeHostPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free host port'))));
    });
  });
}
