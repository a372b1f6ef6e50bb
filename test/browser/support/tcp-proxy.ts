import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a server, that a test can cut like a network: every open
 * connection (the page's WebSocket included) dies at once, and new ones are refused until
 * the line is restored. The server itself keeps running and taking writes meanwhile.
 */
export async function cuttableProxy(targetPort: () => number) {
  const sockets = new Set<Socket>();
  let cut = false;
  const server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort(), '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    cut(): void {
      cut = true;
      for (const socket of sockets) socket.destroy();
    },
    restore(): void {
      cut = false;
    },
    close(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
