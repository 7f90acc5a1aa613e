import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy a test can cut (every connection reset, new ones refused by reset), slow down
 * (added latency on the client→server direction) or hold (client→server data kept until
 * release()), to fault a real server without stopping it.
 */
export class TcpProxy {
  delayMs = 0;
  private isCut = false;
  private held: Array<() => void> | undefined;
  private sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetHost: string, targetPort: number): Promise<TcpProxy> {
    const sockets = new Set<Socket>();
    let proxy: TcpProxy | undefined;
    const server = createServer((client) => {
      if (!proxy || proxy.isCut) {
        client.destroy();
        return;
      }
      const p = proxy;
      const upstream = connect(targetPort, targetHost);
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {
          // A reset on one side is propagated by destroying the other; nothing else to do.
          client.destroy();
          upstream.destroy();
        });
      }
      client.on('data', (chunk) => {
        if (p.held) p.held.push(() => upstream.write(chunk));
        else if (p.delayMs > 0) setTimeout(() => upstream.write(chunk), p.delayMs);
        else upstream.write(chunk);
      });
      upstream.on('data', (chunk) => client.write(chunk));
      client.on('end', () => upstream.end());
      upstream.on('end', () => client.end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('proxy has no port');
    proxy = new TcpProxy(server, address.port);
    proxy.sockets = sockets;
    return proxy;
  }

  /** Keeps client→server data (queries) until release(): a database that answers only when the test says so. */
  hold(): void {
    this.held ??= [];
  }

  /** Chunks held so far: > 0 once a query has reached the "database". */
  get heldChunks(): number {
    return this.held?.length ?? 0;
  }

  /** Sends what was held, in order, and stops holding. */
  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const send of held) send();
  }

  cut(): void {
    this.isCut = true;
    for (const s of this.sockets) s.destroy();
  }

  restore(): void {
    this.isCut = false;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }
}

/** A loopback port with nothing listening: connections are refused. */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return address.port;
}
