import type { Cluster } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { RedisClusterFixture } from './redis-cluster.js';

/** A real Redis Cluster that the enclosing `describe` owns, and the test's own cluster client on it (fields set by `beforeAll`). */
export interface RedisClusterInUse {
  /** The cluster, formed before the first test of the block and stopped after its last. */
  cluster: RedisClusterFixture;
  /** A cluster client of the test's own; closed with the cluster. */
  client: Cluster;
}

/** The start hook's timeout: forming a cluster (servers, `redis-cli --cluster create`, slots agreed) on a loaded 2-core machine is not the subject. */
const FORM_TIMEOUT_MS = 40_000;

/**
 * Forms a real Redis Cluster of `masters` masters (no replicas) in `beforeAll` and stops
 * it in `afterAll`, for the `describe` it is called in: every block keeps a cluster of
 * its own, so no block sees another's keys or slots.
 */
export function useRedisCluster(masters: number): RedisClusterInUse {
  const inUse = {} as RedisClusterInUse;
  beforeAll(async () => {
    inUse.cluster = await RedisClusterFixture.start(masters);
    inUse.client = inUse.cluster.client();
  }, FORM_TIMEOUT_MS);
  afterAll(async () => inUse.cluster?.stop());
  return inUse;
}
