import * as net from 'net';
import * as tls from 'tls';
import type { BrokerContext } from '../api/handler';
import { Connection, type ConnectionOptions } from './connection';

/**
 * The listener: one {@link Connection} per client; a bad client never takes the broker down. Plain
 * TCP, or TLS when given a certificate and key (a TLS socket is a net.Socket to the connection).
 */
export class BrokerServer {
  private readonly server: net.Server;
  private readonly connections = new Set<Connection>();

  constructor(
    private readonly broker: BrokerContext,
    private readonly opts: ConnectionOptions,
    tlsOptions?: tls.TlsOptions,
  ) {
    const accept = (socket: net.Socket): void => {
      const conn = new Connection(socket, this.broker, this.opts, (c) => this.connections.delete(c));
      this.connections.add(conn);
    };
    if (tlsOptions) {
      const server = tls.createServer(tlsOptions, accept);
      // A failed handshake (a plaintext client, an untrusted certificate) concerns that client only.
      server.on('tlsClientError', (err, socket) => {
        this.broker.logger.warn(
          { err: err.message, clientHost: socket.remoteAddress ?? 'unknown' },
          'TLS handshake failed',
        );
        socket.destroy();
      });
      this.server = server;
    } else {
      this.server = net.createServer(accept);
    }
    this.server.on('error', (err) => this.broker.logger.error({ err: err.message }, 'listener error'));
  }

  listen(port: number, host: string): Promise<{ port: number; host: string }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const addr = this.server.address() as net.AddressInfo;
        resolve({ port: addr.port, host: addr.address });
      });
    });
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const c of [...this.connections]) c.close();
    await closed;
  }
}
