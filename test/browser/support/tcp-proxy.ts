import { connect, createServer, type Socket } from 'node:net';

/**
 * A TCP proxy in front of a server, that a test can cut like a network: every open
 * connection (the page's WebSocket included) dies at once, and new ones are refused until
 * the line is restored. The server itself keeps running and taking writes meanwhile. It can
 * also refuse WebSocket upgrades only, like a proxy that does not support them.
 */
export async function cuttableProxy(targetPort: () => number) {
  const sockets = new Set<Socket>();
  let cut = false;
  let refuseWebSockets = false;
  const server = createServer((client) => {
    if (cut) {
      client.destroy();
      return;
    }
    if (!refuseWebSockets) {
      relay(client);
      return;
    }
    // Looks at the request before relaying it, as an HTTP proxy would. (On loopback the
    // request head arrives in one piece; a general proxy would have to gather it.)
    client.once('data', (head: Buffer) => {
      const text = head.toString('latin1');
      if (/^GET \/ws[?\s]/.test(text) && /\r\nupgrade:\s*websocket/i.test(text)) {
        client.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
        return;
      }
      relay(client, head);
    });
  });

  function relay(client: Socket, head?: Buffer): void {
    const upstream = connect(targetPort(), '127.0.0.1');
    if (head !== undefined) upstream.write(head);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream).pipe(client);
  }
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
    /**
     * Answers WebSocket upgrades on `/ws` with 502 from now on (or again relays them), as
     * some corporate proxies do; everything else passes, event streams included.
     */
    refuseWebSockets(refuse: boolean): void {
      refuseWebSockets = refuse;
    },
    close(): Promise<void> {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
