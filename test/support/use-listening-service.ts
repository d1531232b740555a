import type { Socket } from 'node:net';
import { afterEach } from 'vitest';
import { MemoryPanicClock } from '../../src/index.js';
import { createServer, type VixTtlServer, type VixTtlServerOptions } from '../../src/server/http/create-server.js';

/** What {@link useListeningService} gives a test. */
export interface ListeningService {
  /** Starts the test's service (a memory clock, no VIX engine, metrics never cached) with these options; resolves its port. */
  start(options: Partial<VixTtlServerOptions>): Promise<number>;
  /** The service {@link start} started (throws before). */
  server(): VixTtlServer;
  /** Raw client sockets the test opened: destroyed after the test, before the service closes. */
  readonly sockets: Socket[];
}

/**
 * An in-process service per test, listening on a free loopback port, for tests that talk
 * to it over raw sockets: registers an `afterEach` (in the block that calls it) that
 * destroys the test's sockets, then closes the service.
 */
export function useListeningService(): ListeningService {
  let server: VixTtlServer | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await server?.app.close();
    server = undefined;
  });
  return {
    sockets,
    server: () => {
      if (!server) throw new Error('useListeningService: start() the service first');
      return server;
    },
    start: async (options) => {
      server = await createServer({ clock: new MemoryPanicClock(), vixSource: null, metricsMaxAgeMs: 0, ...options });
      await server.app.listen({ port: 0, host: '127.0.0.1' });
      return (server.app.server.address() as { port: number }).port;
    },
  };
}
