import { createServer, type Server, type Socket } from 'net';
import type { AddressInfo } from 'net';
import { requestText } from './http-json';

const OK =
  'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\n{}';

/**
 * A raw TCP server that answers the first request of each connection and resets the connection when a
 * second request arrives on it, without answering: what a client sees when it reuses a pooled
 * connection that the server has just closed as idle. `resetFirst` resets every connection at its
 * first request instead.
 */
async function resettingServer(resetFirst = false): Promise<{
  url: string;
  connections: () => number;
  requests: () => number;
  close: () => Promise<void>;
}> {
  let connections = 0;
  let requests = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let seen = 0;
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      while (buffered.includes('\r\n\r\n')) {
        buffered = buffered.slice(buffered.indexOf('\r\n\r\n') + 4);
        seen += 1;
        requests += 1;
        if (resetFirst || seen > 1) {
          socket.resetAndDestroy();
          return;
        }
        socket.write(OK);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/x`,
    connections: () => connections,
    requests: () => requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('requestText', () => {
  it('sends a request again on a new connection when a reused keep-alive connection was reset', async () => {
    const server = await resettingServer();
    try {
      await expect(requestText('GET', server.url, undefined, 5000)).resolves.toEqual({
        status: 200,
        text: '{}',
      });
      // The pooled connection is reused and reset at this request; the retry opens a second one.
      await expect(requestText('GET', server.url, undefined, 5000)).resolves.toEqual({
        status: 200,
        text: '{}',
      });
      expect(server.requests()).toBe(3);
      expect(server.connections()).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('does not send again when a new connection is reset: the server may have acted on it', async () => {
    const server = await resettingServer(true);
    try {
      await expect(requestText('GET', server.url, undefined, 5000)).rejects.toThrow(
        /ECONNRESET|socket hang up/,
      );
      expect(server.requests()).toBe(1);
    } finally {
      await server.close();
    }
  });
});
