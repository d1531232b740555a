import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Cluster, type ClusterOptions } from 'ioredis';
import { RedisServer } from './redis-server.js';

const run = promisify(execFile);

/** A real Redis Cluster of `size` masters (no replicas) on free loopback ports. */
export class RedisClusterFixture {
  readonly nodes: RedisServer[];
  readonly #clients = new Set<Cluster>();

  private constructor(nodes: RedisServer[]) {
    this.nodes = nodes;
  }

  static async start(size = 3): Promise<RedisClusterFixture> {
    const nodes = await Promise.all(
      Array.from({ length: size }, () => RedisServer.start(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '5000'])),
    );
    const fixture = new RedisClusterFixture(nodes);
    try {
      await run('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes']);
      await fixture.waitUntilOk();
      return fixture;
    } catch (error) {
      await fixture.stop();
      throw error;
    }
  }

  /** `cluster:127.0.0.1:p1,127.0.0.1:p2,…`, the form the worker fixture understands. */
  get url(): string {
    return `cluster:${this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`;
  }

  client(options: ClusterOptions = {}): Cluster {
    const client = new Cluster(
      this.nodes.map((n) => ({ host: '127.0.0.1', port: n.port })),
      options,
    );
    client.on('error', () => {});
    this.#clients.add(client);
    return client;
  }

  /** The node that serves a key's slot. */
  async ownerOf(key: string): Promise<RedisServer> {
    const probe = this.nodes[0]!.client();
    const slot = Number(await probe.call('CLUSTER', 'KEYSLOT', key));
    const slots = (await probe.call('CLUSTER', 'SLOTS')) as Array<[number, number, [string, number]]>;
    probe.disconnect();
    const owner = slots.find(([from, to]) => slot >= from && slot <= to)!;
    return this.nodes.find((n) => n.port === Number(owner[2][1]))!;
  }

  async waitUntilOk(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const states = await Promise.all(
        this.nodes.map(async (node) => {
          const client = node.client({ lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
          try {
            await client.connect();
            return String(await client.call('CLUSTER', 'INFO')).includes('cluster_state:ok');
          } catch {
            return false;
          } finally {
            client.disconnect();
          }
        }),
      );
      if (states.every(Boolean)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the Redis Cluster did not reach cluster_state:ok');
  }

  async stop(): Promise<void> {
    for (const client of this.#clients) client.disconnect();
    this.#clients.clear();
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
