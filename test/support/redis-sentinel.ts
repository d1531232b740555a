import { Redis, type RedisOptions } from 'ioredis';
import { RedisServer } from './redis-server.js';

export const MASTER_NAME = 'vixmaster';

/** A real primary, one replica and three sentinels (quorum 2) on free loopback ports. */
export class RedisSentinelFixture {
  readonly primary: RedisServer;
  readonly replica: RedisServer;
  readonly sentinels: RedisServer[];
  readonly #clients = new Set<Redis>();

  private constructor(primary: RedisServer, replica: RedisServer, sentinels: RedisServer[]) {
    this.primary = primary;
    this.replica = replica;
    this.sentinels = sentinels;
  }

  static async start(): Promise<RedisSentinelFixture> {
    const primary = await RedisServer.start();
    const replica = await RedisServer.start(['--replicaof', '127.0.0.1', String(primary.port)]);
    const config = [
      `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${primary.port} 2`,
      `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
      `sentinel failover-timeout ${MASTER_NAME} 5000`,
      `sentinel parallel-syncs ${MASTER_NAME} 1`,
      '',
    ].join('\n');
    const sentinels = await Promise.all(Array.from({ length: 3 }, () => RedisServer.start(['--sentinel'], { config })));
    const fixture = new RedisSentinelFixture(primary, replica, sentinels);
    await fixture.#waitForReplication();
    return fixture;
  }

  /** A client that finds the primary through the sentinels, as production clients do. */
  client(options: RedisOptions = {}): Redis {
    const client = new Redis({
      sentinels: this.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
      name: MASTER_NAME,
      ...options,
    });
    client.on('error', () => {});
    this.#clients.add(client);
    return client;
  }

  /** Port of the primary the sentinels currently name. */
  async currentPrimaryPort(): Promise<number> {
    const sentinel = this.sentinels[0]!.client();
    try {
      const [, port] = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', MASTER_NAME)) as [string, string];
      return Number(port);
    } finally {
      sentinel.disconnect();
    }
  }

  async #waitForReplication(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const replica = this.replica.client();
    const sentinel = this.sentinels[0]!.client();
    try {
      while (Date.now() < deadline) {
        const info = await replica.info('replication');
        const known = (await sentinel.call('SENTINEL', 'replicas', MASTER_NAME)) as unknown[];
        if (info.includes('master_link_status:up') && known.length > 0) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error('replica or sentinels not ready in time');
    } finally {
      replica.disconnect();
      sentinel.disconnect();
    }
  }

  async stop(): Promise<void> {
    for (const client of this.#clients) client.disconnect();
    this.#clients.clear();
    await Promise.all([this.primary, this.replica, ...this.sentinels].map((s) => s.stop()));
  }
}
