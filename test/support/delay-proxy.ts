import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on a free loopback port in front of a real server, adding a delay to
 * every chunk in each direction (a congested link, a Redis busy with big commands).
 * Order is kept per direction; `delayMs` can change at any time (0: pass through).
 */
export class DelayProxy {
  /** Milliseconds each chunk waits, each way (a round trip pays twice). */
  delayMs = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  private constructor(server: Server) {
    this.#server = server;
  }

  /** Starts a proxy to `127.0.0.1:targetPort`. */
  static async start(targetPort: number): Promise<DelayProxy> {
    const holder: { proxy?: DelayProxy } = {};
    const server = createServer((client) => holder.proxy!.#pipe(client, targetPort));
    const proxy = (holder.proxy = new DelayProxy(server));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return proxy;
  }

  get port(): number {
    const address = this.#server.address();
    if (typeof address !== 'object' || address === null) throw new Error('proxy not listening');
    return address.port;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #pipe(client: Socket, targetPort: number): void {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    }
    this.#forward(client, upstream);
    this.#forward(upstream, client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  /** Forwards chunks in order, each held `delayMs` from when it arrived. */
  #forward(from: Socket, to: Socket): void {
    const queue: Array<{ data: Buffer; due: number }> = [];
    let timer: NodeJS.Timeout | null = null;
    const flush = (): void => {
      timer = null;
      const now = performance.now();
      while (queue.length > 0 && queue[0]!.due <= now) {
        const { data } = queue.shift()!;
        if (!to.destroyed) to.write(data);
      }
      if (queue.length > 0) timer = setTimeout(flush, Math.max(0, queue[0]!.due - now));
    };
    from.on('data', (data: Buffer) => {
      if (this.delayMs === 0 && queue.length === 0) {
        if (!to.destroyed) to.write(data);
        return;
      }
      queue.push({ data, due: performance.now() + this.delayMs });
      timer ??= setTimeout(flush, this.delayMs);
    });
  }
}
